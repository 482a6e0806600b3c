/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpc: the control protocol: newline-delimited JSON on a Unix socket. */
#ifndef SOCKETIOD_RPC_H
#define SOCKETIOD_RPC_H

#include <event2/event.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "hist.h"
#include "rpcmsg.h" /* the error codes of the answers, RPC_* */

struct rpc_stats {
    uint64_t connections;
    uint64_t requests;
    uint64_t errors;
    uint64_t refused; /* peers not on the allow-list (SO_PEERCRED) */
    uint64_t paused;  /* times a client's unread answers passed max_unread
                         and its requests stopped being read */
};

#define RPC_MAX_ALLOW 32

/* Who may use the control socket. A peer is allowed when its uid (from
 * SO_PEERCRED) is root, the daemon's own, or in `uids`, or its gid is in
 * `gids`. `group` (-1 for none) becomes the socket file's group. */
struct rpc_access {
    gid_t group;
    uid_t uids[RPC_MAX_ALLOW];
    unsigned nuids;
    gid_t gids[RPC_MAX_ALLOW];
    unsigned ngids;
};

extern struct rpc_stats rpc_stats;

/* Time to handle each request line, by method (an acked emit: until it is
 * sent, not until its acks): `socketiod_rpc_request_duration_seconds`. */
extern struct hist_family rpc_latency;

/* The objects of the stats method: its top level, "redis" and "cluster"
 * (both with --redis). */
enum rpc_stats_group { RPC_STATS_TOP, RPC_STATS_REDIS, RPC_STATS_CLUSTER };

/* Where the stats method's values come from: `each(group, fn, arg)` calls
 * `fn(arg, name, value)` once per value of that object (stats.c's tables,
 * which /metrics renders too). */
void rpc_set_stats(void (*each)(enum rpc_stats_group group,
                                void (*fn)(void *, const char *, double),
                                void *arg));

/* Writes this worker's own stats object (the stats method's "local"
 * answer) to `out` as JSON, without a NUL: svcstats.c's answer to the
 * other workers. Returns 0, or -1 when out of memory. */
int rpc_stats_text(struct buf *out);

/* Sets who may connect (default: root and the daemon's uid; the socket
 * file keeps the daemon's group). Call before rpc_setup(). */
void rpc_set_access(const struct rpc_access *a);

/* The control socket's default path, in a directory only its user can
 * write, so that no other local user can bind the name first (and have the
 * daemon refuse to start, and apps emit to the squatter):
 *   root      /run/socketiod/socketiod.sock
 *   others    $XDG_RUNTIME_DIR/socketiod/socketiod.sock (an absolute
 *             $XDG_RUNTIME_DIR), else /tmp/socketiod-<uid>/socketiod.sock
 * For a client (`client` 1), when that socket does not exist but the system
 * daemon's /run/socketiod/socketiod.sock does, that one. Returns a static
 * string. */
const char *rpc_default_path(int client);

/* Listens on `path` (an old socket file there is replaced) with `mode` and
 * the access's group; the file never exists with looser permissions. The
 * socket's directory is made when missing (0700; 0750 in the access's
 * group when it has one) and refused when another user than root or the
 * daemon's owns it or others than its owner may write it (a socket there
 * could be taken over). A request line over `max_line` is refused; a client
 * whose unread answers pass `max_unread` bytes is not read from until they
 * drain to half of it. Returns 0, or -1 with *cause set. */
int rpc_setup(struct event_base *base, const char *path, mode_t mode,
              size_t max_line, size_t max_unread, const char **cause);

/* The listening half of rpc_setup(): checks the directory, binds `path`
 * with `mode` and listens, without watching (the --workers supervisor's,
 * for its workers to inherit). Returns the descriptor, or -1 with *cause. */
int rpc_bind(const char *path, mode_t mode, const char **cause);

/* As rpc_setup() on control socket `fd`, already listening (inherited from
 * the --workers supervisor, which removes the file at its end: here
 * rpc_shutdown() leaves it). Returns 0, or -1 with *cause. */
int rpc_setup_fd(struct event_base *base, int fd, size_t max_line,
                 size_t max_unread, const char **cause);

/* Stops listening, closes clients and removes the socket file (the one
 * rpc_setup() made). */
void rpc_shutdown(void);

#endif
