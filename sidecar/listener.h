/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* listener: the public TCP and Unix listening sockets. */
#ifndef SOCKETIOD_LISTENER_H
#define SOCKETIOD_LISTENER_H

#include <event2/event.h>
#include <sys/socket.h>

/* Listens on `addr` (HOST:PORT, [V6]:PORT or unix:PATH) and hands every
 * accepted socket to conn_new(). On EMFILE accepting pauses for a second.
 * Returns 0, or -1 with *cause. */
int listener_add(struct event_base *base, const char *addr, const char **cause);

/* Where accepted sockets go: conn_new() for the public port, a responder
 * front's accept function for FastCGI and SCGI. */
struct sockaddr;
typedef void (*listener_accept_fn)(int fd, const struct sockaddr *sa,
                                   socklen_t len);

/* As listener_add(), handing accepted sockets to `accept`. */
int listener_add_to(struct event_base *base, const char *addr,
                    listener_accept_fn accept, const char **cause);

/* Watches an already listening socket `fd` (one inherited from the web
 * server that spawned us, fd 0 for FastCGI, or from the --workers
 * supervisor); `accept` NULL hands accepted sockets to conn_new(). Returns
 * 0, or -1 with *cause. */
int listener_add_fd(struct event_base *base, int fd, listener_accept_fn accept,
                    const char **cause);

/* Makes way for a Unix socket at sun->sun_path: removes a socket file left
 * by a dead process. Returns 0, or -1 with *cause when a live process still
 * answers on it. */
struct sockaddr_un;
int listener_claim_path(const struct sockaddr_un *sun, const char **cause);

/* Makes a listening socket on `addr` as listener_add() would, without
 * watching it: the --workers supervisor's, for its workers to inherit.
 * `reuseport` 1 sets SO_REUSEPORT on a TCP socket, so that every worker's
 * socket binds the same address and the kernel spreads connections over
 * them. Returns the descriptor, or -1 with *cause. */
int listener_bind(const char *addr, int reuseport, const char **cause);

/* Writes where listening socket `fd` is bound, as listener_last_name(). */
void listener_fd_name(int fd, char *buf, size_t cap);

/* Writes where the listener added last is bound ("127.0.0.1:40123",
 * "[::1]:9000", "unix:PATH"): the port the kernel chose for port 0. */
void listener_last_name(char *buf, size_t cap);

/* Closes every listener. */
void listener_shutdown(void);

#endif
