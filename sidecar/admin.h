/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* admin: the --admin HTTP listener: /metrics, /healthz, /readyz (and the
 * Admin UI's files). Its own socket and server, so the public port never
 * serves these paths. */
#ifndef SOCKETIOD_ADMIN_H
#define SOCKETIOD_ADMIN_H

#include <event2/event.h>

/* Listens on `addr` (HOST:PORT, [V6]:PORT, unix:PATH or /PATH) and starts
 * the loop's heartbeat that /healthz reads. Returns 0, or -1 with *cause. */
int admin_setup(struct event_base *base, const char *addr, const char **cause);

/* Readiness as /readyz reports it: 1 once every listener is up, 0 when
 * shutting down (then `why` is the 503's reason). */
void admin_set_ready(int ready, const char *why);

/* Serves the files under `dir` at /admin-ui/ (uifiles.c; NULL: nothing
 * there, the default). `dir` must outlive the listener. */
void admin_set_ui(const char *dir);

/* Stops the heartbeat (its socket closes with listener_shutdown()). */
void admin_shutdown(void);

#endif
