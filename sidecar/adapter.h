/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* adapter: pure codec of @socket.io/redis-adapter's classic broadcast
 * message and channel names (docs/scale-out.md). */
#ifndef SOCKETIOD_ADAPTER_H
#define SOCKETIOD_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "mpk.h"

/* A broadcast, published on "<key>#<nsp>#" (or "<key>#<nsp>#<room>#" when
 * it has exactly one room) as MessagePack:
 *   [uid, {"type": 2, "data": [event, args...], "nsp": nsp},
 *    {"rooms": [...], "except": [...], "flags": {"volatile": true, ...}}]
 * uid: the publishing node's (the Redis emitter's is "emitter"). Binary
 * arguments are MessagePack BIN anywhere inside data. */
#define ADAPTER_F_VOLATILE 1u

/* The "type" of a message on the request and response channels
 * ("<key>-request#<nsp>#", "<key>-response#<nsp>#[<uid>#]"): JSON objects,
 * except BROADCAST and BROADCAST_ACK, which are MessagePack maps. */
enum adapter_request_type {
    ADAPTER_REQ_SOCKETS = 0,
    ADAPTER_REQ_ALL_ROOMS = 1,
    ADAPTER_REQ_REMOTE_JOIN = 2,
    ADAPTER_REQ_REMOTE_LEAVE = 3,
    ADAPTER_REQ_REMOTE_DISCONNECT = 4,
    ADAPTER_REQ_REMOTE_FETCH = 5,
    ADAPTER_REQ_SERVER_SIDE_EMIT = 6,
    ADAPTER_REQ_BROADCAST = 7,
    ADAPTER_REQ_BROADCAST_CLIENT_COUNT = 8,
    ADAPTER_REQ_BROADCAST_ACK = 9,
};

/* A decoded broadcast. Strings are NUL-terminated and point into the
 * scratch buffers given to adapter_decode(); rooms[] and except[] too. */
struct adapter_msg {
    const char *uid;
    const char *nsp;
    const char *json; /* data as a JSON array, placeholders for binaries */
    size_t json_len;
    const struct mpk_bin *bins; /* the binaries, in placeholder order */
    size_t nbins;
    const char *const *rooms;
    size_t nrooms;
    const char *const *except;
    size_t nexcept;
    unsigned flags; /* ADAPTER_F_* */
};

/* Where adapter_decode() writes; reusable, freed by adapter_scratch_free. */
struct adapter_scratch {
    struct buf json, bins, names, ptrs;
};

/* The uid (first array element) of a message, without decoding the rest:
 * points into msg, *uid_len bytes. Returns 0, or -1 when the message does
 * not start so. */
int adapter_uid(const char *msg, size_t len, const char **uid, size_t *uid_len);

/* Decodes a broadcast. Names must be valid (sio_name_valid); nsp starts
 * with '/'; packet type 2 or 5 (EVENT, BINARY_EVENT); data a non-empty
 * array starting with a string; unknown keys are ignored. Returns 0, or -1
 * with *why when malformed or out of memory. */
int adapter_decode(const char *msg, size_t len, struct adapter_msg *m,
                   struct adapter_scratch *s, const char **why);
void adapter_scratch_free(struct adapter_scratch *s);

/* Appends the broadcast of the event `json` (strict JSON array,
 * placeholders for `attach`) to `out`. Returns 0, or -1 when json is not
 * JSON, a placeholder names no attachment, or out of memory. */
int adapter_encode(struct buf *out, const char *uid, const char *nsp,
                   const char *json, size_t len, struct frame *const *attach,
                   unsigned nattach, const char *const *rooms, size_t nrooms,
                   const char *const *except, size_t nexcept, unsigned flags);

/* Appends the channel of a broadcast: "<key>#<nsp>#", or with `room` (not
 * NULL) "<key>#<nsp>#<room>#"; and NUL. Returns 0 or -1. */
int adapter_channel(struct buf *out, const char *key, const char *nsp,
                    const char *room);

/* Appends the PSUBSCRIBE pattern matching every broadcast channel of
 * every namespace, "<key>#*" with the glob characters of key escaped, and
 * NUL. Returns 0 or -1. */
int adapter_pattern(struct buf *out, const char *key);

#endif
