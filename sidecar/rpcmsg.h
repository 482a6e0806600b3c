/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpcmsg: decodes one control-socket request line (docs/rpc.md). */
#ifndef SOCKETIOD_RPCMSG_H
#define SOCKETIOD_RPCMSG_H

#include <stddef.h>

#include "binjson.h"
#include "frame.h"
#include "hub.h"

/* rpc.c's own decoder, split out so it can be tested and fuzzed without a
 * daemon: no I/O, no daemon state. Requests are JSON, so unlike the wire
 * codecs this one hands cJSON values to its one caller, rpc.c. */
struct cJSON;

/* Error codes of the answers (JSON-RPC's where they fit). */
#define RPC_PARSE_ERROR (-32700)
#define RPC_INVALID_REQUEST (-32600)
#define RPC_METHOD_NOT_FOUND (-32601)
#define RPC_INVALID_PARAMS (-32602)
#define RPC_NO_SESSION (-32001)
#define RPC_ACK_TIMEOUT (-32002)
#define RPC_LINE_TOO_LONG (-32003)

/* A request {"id": any, "method": string, "params": object}. */
struct rpcmsg {
    const char *line; /* the caller's line, read again for raw params */
    size_t len;
    struct cJSON *root;     /* the parsed line (owned), NULL if not JSON */
    const struct cJSON *id; /* inside root; NULL when absent */
    const char *method;     /* NULL when absent or not a string */
    struct cJSON *params;   /* an object; owned `empty` when none given */
    struct cJSON *empty;
    const char *why; /* when rpcmsg_parse() fails */
};

/* Parses `line` (without its newline; it must outlive `m`). A line that is
 * not strict JSON (jsonv.h; cJSON alone takes more) is RPC_PARSE_ERROR with
 * m->root NULL. Returns 0, or RPC_PARSE_ERROR, RPC_INVALID_REQUEST or
 * RPC_INVALID_PARAMS with m->why (and m->id when the request had one). Call
 * rpcmsg_free() either way. */
int rpcmsg_parse(const char *line, size_t len, struct rpcmsg *m);

void rpcmsg_free(struct rpcmsg *m);

/* params.<key> when it is a string, else NULL. */
const char *rpcmsg_str(const struct cJSON *params, const char *key);

/* The exact text of params.<key> in the line, so that arguments reach the
 * clients as the app wrote them (cJSON would cut a "\u0000" out of a
 * string). 1 with *val and *vlen pointing into the line; 0 when the text
 * cannot be used as is: the key or "params" written with escapes, or a
 * duplicate that cJSON might resolve otherwise. The caller then
 * re-encodes. */
int rpcmsg_raw_param(const struct rpcmsg *m, const char *key, const char **val,
                     size_t *vlen);

/* Fills `t` from params' namespace, channel, to and except (each of the
 * last three a string or a non-empty list of strings; `to` names socket
 * ids: HUB_F_SIDS) and the booleans volatile and local. The names point
 * into params; the lists into one block (t->rooms, never NULL on success)
 * that rpcmsg_target_free() frees. Returns 0, or -1 with *why (nothing to
 * free). */
int rpcmsg_target(const struct cJSON *params, struct hub_target *t,
                  const char **why);
void rpcmsg_target_free(struct hub_target *t);

/* The Socket.IO event array ["event", args...] (malloc'd text) with its
 * binary values in `a`. `raw` (NULL: none) is the request's own text of
 * the arguments: an array when !wrap (emit's args), one value when wrap
 * (send's message); it is used as is unless it holds binary markers.
 * Otherwise `args` (an array, detached from as it is used; NULL: none) is
 * re-encoded. Returns NULL with *why on a bad binary value, NULL with *why
 * untouched when out of memory. */
char *rpcmsg_event(const char *event, struct cJSON *args, const char *raw,
                   size_t raw_len, int wrap, struct binjson_attach *a,
                   const char **why);

#endif
