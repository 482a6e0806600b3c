/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpc: the control protocol: newline-delimited JSON on a Unix socket. */
#ifndef SOCKETIOD_RPC_H
#define SOCKETIOD_RPC_H

#include <event2/event.h>
#include <stddef.h>
#include <sys/types.h>

/* Error codes (JSON-RPC's where they fit; docs/rpc.md). */
#define RPC_PARSE_ERROR (-32700)
#define RPC_INVALID_REQUEST (-32600)
#define RPC_METHOD_NOT_FOUND (-32601)
#define RPC_INVALID_PARAMS (-32602)
#define RPC_NO_SESSION (-32001)
#define RPC_ACK_TIMEOUT (-32002)
#define RPC_LINE_TOO_LONG (-32003)

struct rpc_stats {
    uint64_t connections;
    uint64_t requests;
    uint64_t errors;
};

extern struct rpc_stats rpc_stats;

/* Listens on `path` (an old socket file there is replaced) with `mode`.
 * Returns 0, or -1 with *cause set. */
int rpc_setup(struct event_base *base, const char *path, mode_t mode,
              size_t max_line, const char **cause);

/* Stops listening, closes clients and removes the socket file. */
void rpc_shutdown(void);

#endif
