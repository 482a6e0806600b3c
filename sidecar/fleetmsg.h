/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fleetmsg: pure codec of the requests this node sends other nodes on
 * "<key>-request#<nsp>#" and of their answers (docs/scale-out.md). */
#ifndef SOCKETIOD_FLEETMSG_H
#define SOCKETIOD_FLEETMSG_H

#include <stddef.h>

#include "buf.h"
#include "frame.h"

/* Appends `s` as a JSON string (cJSON escapes it): the string fields of
 * every message between socketiod nodes. Returns 0 or -1 (out of memory). */
int fleetmsg_str(struct buf *out, const char *s);

/* A request id: what this node sends, and the longest it takes back. */
#define FLEETMSG_MAX_ID 32

/* Appends the JSON REMOTE_FETCH request of the sockets in any of `rooms`
 * (none: every socket of the namespace) and a NUL:
 *   {"uid","requestId","type":5,"opts":{"rooms":[...],"except":[]}}
 * Returns 0 or -1 (out of memory). */
int fleetmsg_fetch(struct buf *out, const char *uid, const char *req_id,
                   const char *const *rooms, size_t nrooms);

/* Appends the JSON request REMOTE_JOIN / REMOTE_LEAVE (`room` joined or
 * left) or REMOTE_DISCONNECT (`close`: the whole connection) of the one
 * socket `sid` (Node's legacy form, which its owner answers with
 * {"requestId"}) and a NUL. Returns 0 or -1. */
int fleetmsg_remote(struct buf *out, int type, const char *uid,
                    const char *req_id, const char *sid, const char *room,
                    int close);

/* Appends the MessagePack BROADCAST request of the event `json` (strict
 * JSON array, placeholders for `attach`) to the audience rooms/except of
 * namespace `nsp`, its acks awaited `timeout_ms`:
 *   {"uid","requestId","type":7,"packet":{"type":2,"data":[...],"nsp"},
 *    "opts":{"rooms","except","flags":{"timeout"}}}
 * Returns 0, or -1 when json is not JSON or out of memory. */
int fleetmsg_broadcast(struct buf *out, const char *uid, const char *req_id,
                       const char *nsp, const char *json, size_t len,
                       struct frame *const *attach, unsigned nattach,
                       const char *const *rooms, size_t nrooms,
                       const char *const *except, size_t nexcept,
                       unsigned timeout_ms);

/* An answer read from "<key>-response#<nsp>#[<uid>#]". */
struct fleetmsg_resp {
    char request_id[FLEETMSG_MAX_ID + 1];
    int type;          /* its "type", -1 when it has none (fetch, join...) */
    long client_count; /* BROADCAST_CLIENT_COUNT: >= 0 */
    int has_sockets;   /* a REMOTE_FETCH answer ("sockets": [...]) */
};

/* Decodes an answer: JSON ('{' first) or MessagePack (a map). Writes to
 * `out` (reset first) a JSON array: for a fetch answer, one session per
 * socket in the control RPC's form
 *   {"sid","namespace":nsp,"node","channels","remote_addr","connected_at"}
 * (node: the answer's "uid" when it has a valid one, else null; channels:
 * its rooms but its own id; remote_addr: handshake.address;
 * connected_at: handshake.issued in seconds); for BROADCAST_ACK, [arg]
 * (the one argument the adapter carries; a binary one as a placeholder
 * object, its bytes dropped); else []. Returns 0, or -1 with *why when
 * malformed (a bad id, a socket with a bad sid...) or out of memory. */
int fleetmsg_response(const char *data, size_t len, const char *nsp,
                      struct fleetmsg_resp *r, struct buf *out,
                      const char **why);

/* Presence questions (presence.c) and their answers, JSON on
 * "<key>-presence#", which only socketiod nodes read:
 *   {"uid","requestId","nsp","channel","user","join":bool}
 *                                  how many sockets has the user in the
 *                                  channel? (asked for a join or a leave)
 *   {"uid","requestId","sockets":N}  the answering node's
 * Names longer than this are refused. */
#define FLEETMSG_MAX_NAME 1024

/* Appends the question about user `user` in channel `channel` of `nsp`,
 * for a join (1) or a leave (0), with no NUL after it. Returns 0 or -1
 * (out of memory). */
int fleetmsg_presence_ask(struct buf *out, const char *uid, const char *req_id,
                          const char *nsp, const char *channel,
                          const char *user, int join);

/* Appends the answer `sockets` to question `req_id` (no NUL). Returns 0
 * or -1. */
int fleetmsg_presence_answer(struct buf *out, const char *uid,
                             const char *req_id, unsigned sockets);

struct fleetmsg_presence {
    char request_id[FLEETMSG_MAX_ID + 1];
    char uid[FLEETMSG_MAX_ID + 1]; /* the sender's */
    int question; /* 1: nsp, channel, user, join set; 0: sockets */
    int join;     /* asked for a join (1) or a leave (0) */
    const char *nsp, *channel, *user; /* in the scratch buffer */
    long sockets;                     /* 0 to 1e9 */
};

/* Decodes a question or an answer (untrusted): ids of 1 to
 * FLEETMSG_MAX_ID printable ASCII bytes, names sio_name_valid() and at most
 * FLEETMSG_MAX_NAME bytes (the namespace starting with "/"), the user
 * users_valid(); the names are copied to `scratch` (reset first).
 * Returns 0, or -1 with *why. */
int fleetmsg_presence_decode(const char *data, size_t len,
                             struct fleetmsg_presence *m, struct buf *scratch,
                             const char **why);

#endif
