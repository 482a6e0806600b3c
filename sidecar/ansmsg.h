/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ansmsg: pure codec of the classic adapter's requests as the node that
 * answers them reads them, and of its answers (docs/scale-out.md). */
#ifndef SOCKETIOD_ANSMSG_H
#define SOCKETIOD_ANSMSG_H

#include <stddef.h>
#include <stdint.h>

#include "adapter.h"
#include "buf.h"
#include "frame.h"
#include "mpk.h"

/* Rooms, except-rooms, or rooms to join in one request; more is refused
 * as malformed. */
#define ANSMSG_MAX_NAMES 256
/* Bytes of a requestId, a uid or a sid (Node's are 6, 6 and 20). */
#define ANSMSG_MAX_ID 64

/* A request on "<key>-request#<nsp>#": a JSON object, or (BROADCAST) a
 * MessagePack map, with these keys (unknown ones ignored):
 *   type       enum adapter_request_type
 *   uid        the requesting node (absent: the redis-emitter)
 *   requestId  present when an answer is awaited
 *   rooms      SOCKETS: the rooms to list (none: everyone); REMOTE_JOIN /
 *              REMOTE_LEAVE with opts: the rooms to join or leave
 *   opts       {rooms, except, flags: {volatile, timeout}}: the audience
 *   sid, room  the legacy single-socket forms of 2, 3 and 4 (no opts)
 *   close      REMOTE_DISCONNECT: close the whole connection
 *   data       SERVER_SIDE_EMIT: [event, args...]
 *   packet     BROADCAST: {type: 2, data: [event, args...], nsp}
 * Strings are NUL-terminated and point into the scratch buffers. */
struct ansmsg_req {
    int type;
    const char *uid;        /* NULL when absent */
    const char *request_id; /* NULL when absent */
    int has_opts;
    const char *sid;          /* legacy forms, else NULL */
    const char *room;         /* legacy REMOTE_JOIN / REMOTE_LEAVE, else NULL */
    const char *const *rooms; /* the audience: opts.rooms (SOCKETS: rooms) */
    size_t nrooms;
    const char *const *except;
    size_t nexcept;
    const char *const *names; /* REMOTE_JOIN / REMOTE_LEAVE: to join, leave */
    size_t nnames;
    int close;
    const char *json; /* data (6), packet.data (7): a JSON array, event
                         first, placeholders for the binaries */
    size_t json_len;
    const struct mpk_bin *bins; /* 7: in placeholder order, into the msg */
    size_t nbins;
    unsigned flags;     /* ADAPTER_F_VOLATILE */
    int64_t timeout_ms; /* opts.flags.timeout, -1 when absent */
};

/* Where ansmsg_decode() writes; reusable, freed by ansmsg_scratch_free. */
struct ansmsg_scratch {
    struct buf mp, json, bins, names, offs, ptrs;
};

/* Decodes a request: JSON when it starts with '{' (strict JSON, as Node's
 * receivers sniff it), else MessagePack. Names must be valid
 * (sio_name_valid, at most ANSMSG_MAX_NAMES a list); requestId, uid and
 * sid at most ANSMSG_MAX_ID bytes; type an integer 0 to 9; REMOTE_FETCH,
 * SOCKETS, ALL_ROOMS and BROADCAST need a requestId; SERVER_SIDE_EMIT
 * `data` and BROADCAST `packet.data` a non-empty array starting with an
 * event name; REMOTE_JOIN / LEAVE / DISCONNECT either opts or a sid (JOIN
 * and LEAVE then a room). Returns 0, or -1 with *why when malformed or out
 * of memory. */
int ansmsg_decode(const char *msg, size_t len, struct ansmsg_req *r,
                  struct ansmsg_scratch *s, const char **why);
void ansmsg_scratch_free(struct ansmsg_scratch *s);

/* Answers. Each appends to `out` and returns 0, or -1 when out of memory
 * (then `out` holds part of it). JSON strings are escaped and any byte
 * that is not UTF-8 becomes U+FFFD, so the answer is strict JSON whatever
 * a handshake held. */

/* {"requestId": id, "<field>": [  -- then ansmsg_list_add per element and
 * ansmsg_list_close: the answer of SOCKETS ("sockets": ids), ALL_ROOMS
 * ("rooms") and REMOTE_FETCH ("sockets": ansmsg_fetch_socket). */
int ansmsg_list_open(struct buf *out, const char *request_id,
                     const char *field);
int ansmsg_list_add(struct buf *out, const char *s);
int ansmsg_list_close(struct buf *out);

/* What a socket is, for REMOTE_FETCH. */
struct ansmsg_socket {
    const char *id;
    const char *meta;         /* "KEY=value\0...\0\0": REMOTE_ADDR, HTTPS,
                                 QUERY_STRING, HTTP_*; NULL: none */
    uint64_t issued_ms;       /* wall clock */
    const char *path;         /* the Engine.IO path (--path), for "url" */
    const char *const *rooms; /* its id first, then its channels */
    size_t nrooms;
    const char *auth; /* JSON object or NULL ({}) */
    size_t auth_len;
    const char *data; /* JSON value or NULL ({}) */
    size_t data_len;
};

/* One element of REMOTE_FETCH's list (after ansmsg_list_open):
 * {"id", "handshake": {"headers", "time", "address", "xdomain", "secure",
 * "issued", "url", "query", "auth"}, "rooms", "data"}. Cookie and
 * Authorization headers are left out; auth and data that are not strict
 * JSON (an object for auth) become {}. */
int ansmsg_fetch_socket(struct buf *out, const struct ansmsg_socket *s);

/* {"requestId": id}: the owner's answer to a legacy 2, 3, 4. */
int ansmsg_done(struct buf *out, const char *request_id);

/* {"type": 6, "requestId": id, "data": null}: a serverSideEmit's ack. */
int ansmsg_emit_ack(struct buf *out, const char *request_id);

/* {"type": 8, "requestId": id, "clientCount": n}: a broadcast's audience. */
int ansmsg_client_count(struct buf *out, const char *request_id, long n);

/* MessagePack {"type": 9, "requestId": id, "packet": <first argument>}:
 * one client's ack of a broadcast; `json` is the ack's JSON array
 * (placeholders for `attach`); without arguments "packet" is left out, as
 * notepack.io leaves out undefined. Returns 0, or -1 when json is not a
 * JSON array or out of memory. */
int ansmsg_broadcast_ack(struct buf *out, const char *request_id,
                         const char *json, size_t len,
                         struct frame *const *attach, unsigned nattach);

#endif
