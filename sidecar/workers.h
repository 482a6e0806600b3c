/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* workers: --workers N: the supervisor that binds the shared sockets and
 * forks, restarts and stops the workers, and what a worker inherits. */
#ifndef SOCKETIOD_WORKERS_H
#define SOCKETIOD_WORKERS_H

#include <stddef.h>

struct config;

/* The most workers: 3-character route tags ("w16"), and two cores here. */
#define WORKERS_MAX 16

/* Runs --workers (cfg->workers >= 1): checks the settings, binds every
 * public listener (per worker, SO_REUSEPORT), the control socket and the
 * hand-off pairs, forks the workers and supervises them. Returns 1 in a
 * worker, which goes on starting as a single daemon would, on the sockets
 * inherited (workers_listen_fd(), workers_rpc_fd()); returns 0 in the
 * supervisor once every worker has stopped, with *exit_code set. Refuses
 * bad settings with fatal() (start-up only). Call before any event loop,
 * thread or Redis connection exists. */
int workers_run(const struct config *cfg, int *exit_code);

/* 1..N in a worker, 0 when not running --workers. */
int workers_self(void);

/* N with --workers, 0 without. */
int workers_count(void);

/* The id of this --workers service, the same in each of its workers and
 * new at each start of the supervisor (16 letters and digits): what tells
 * its workers from other services' on the same Redis; "" without
 * --workers. */
const char *workers_service(void);

/* The worker whose route tag is `tag` (`len` bytes): 1..N, 0 when none. */
int workers_by_tag(const char *tag, size_t len);

/* The send end of worker w's hand-off pair (AF_UNIX SOCK_SEQPACKET,
 * non-blocking); -1 for this worker itself or no such worker. */
int workers_peer_fd(int w);

/* This worker's receiving end of its hand-off pair (non-blocking); -1 when
 * not a worker. Records sent while the worker was down wait there. */
int workers_inbox_fd(void);

/* What a --listen, --fcgi or --scgi address became: the listening socket
 * this worker inherited for cfg->listen[i] (`kind` 'l'), cfg->fcgi[i] ('f')
 * or cfg->scgi[i] ('s'); -1 when not a worker. */
int workers_listen_fd(int kind, int i);

/* The control socket this worker inherited; -1 when not a worker. */
int workers_rpc_fd(void);

/* Writes `addr` into out[cap] with every "%i" replaced by worker number
 * `w` (as decimal). Returns 0, or -1 when it does not fit. */
int workers_expand(const char *addr, int w, char *out, size_t cap);

/* 1 when `addr` has a "%i" (one address per worker). */
int workers_per_worker(const char *addr);

/* Tells the supervisor this worker is up (listening, in the fleet); the
 * supervisor tells systemd once every worker has. Nothing when not a
 * worker. */
void workers_ready(void);

#endif
