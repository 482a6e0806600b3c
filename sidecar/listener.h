/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* listener: the public TCP and Unix listening sockets. */
#ifndef SOCKETIOD_LISTENER_H
#define SOCKETIOD_LISTENER_H

#include <event2/event.h>

/* Listens on `addr` (HOST:PORT, [V6]:PORT or unix:PATH) and hands every
 * accepted socket to conn_new(). On EMFILE accepting pauses for a second.
 * Returns 0, or -1 with *cause. */
int listener_add(struct event_base *base, const char *addr,
                 const char **cause);

/* Makes way for a Unix socket at sun->sun_path: removes a socket file left
 * by a dead process. Returns 0, or -1 with *cause when a live process still
 * answers on it. */
struct sockaddr_un;
int listener_claim_path(const struct sockaddr_un *sun, const char **cause);

/* Closes every listener. */
void listener_shutdown(void);

#endif
