/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* notify: systemd's Type=notify protocol (READY, STOPPING, STATUS, the
 * watchdog) through libsystemd's sd_notify; nothing without it. */
#ifndef SOCKETIOD_NOTIFY_H
#define SOCKETIOD_NOTIFY_H

#include <event2/event.h>

/* Tells the service manager the daemon is up (READY=1 and a STATUS); then,
 * from the loop, refreshes STATUS= with the connection, session and socket
 * counts every 10 s, and when it set WATCHDOG_USEC sends WATCHDOG=1 (with
 * the STATUS) every half of it, so a stuck loop gets the daemon restarted.
 * Nothing without NOTIFY_SOCKET. */
void notify_ready(struct event_base *base, const char *status);

/* STOPPING=1 with a STATUS (SIGTERM: draining). */
void notify_stopping(const char *status);

/* Sends `state` ("READY=1\nSTATUS=...", "WATCHDOG=1") as it is: for the
 * --workers supervisor, which runs no loop. Returns 1 when sent, 0 when no
 * service manager listens or it failed. */
int notify_send(const char *state);

/* Half the service manager's watchdog interval in ms (how often to send
 * WATCHDOG=1), 0 when it set none. */
unsigned notify_watchdog_ms(void);

/* Stops the watchdog timer. */
void notify_shutdown(void);

#endif
