/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* notify: systemd's Type=notify protocol (READY, STOPPING, STATUS, the
 * watchdog) through libsystemd's sd_notify; nothing without it. */
#include "notify.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "stats.h"

/* STATUS= (what `systemctl status` shows) is refreshed this often when no
 * watchdog ticks faster. */
#define NOTIFY_STATUS_S 10

static struct event *notify_timer;

#ifdef HAVE_LIBSYSTEMD
static int notify_watchdog_on;

struct notify_counts {
    double connections, sessions, sockets;
};

static void notify_count(void *arg, const char *name, double v)
{
    struct notify_counts *c = arg;

    if (strcmp(name, "connections") == 0)
        c->connections = v;
    else if (strcmp(name, "sessions") == 0)
        c->sessions = v;
    else if (strcmp(name, "sockets") == 0)
        c->sockets = v;
}

static void notify_tick(evutil_socket_t fd, short what, void *arg)
{
    struct notify_counts c = {0, 0, 0};

    (void)fd;
    (void)what;
    (void)arg;
    stats_each(notify_count, &c);
    sd_notifyf(0, "%sSTATUS=%.0f connections, %.0f sessions, %.0f sockets",
               notify_watchdog_on ? "WATCHDOG=1\n" : "", c.connections,
               c.sessions, c.sockets);
}
#endif

void notify_ready(struct event_base *base, const char *status)
{
#ifdef HAVE_LIBSYSTEMD
    uint64_t usec = (uint64_t)NOTIFY_STATUS_S * 1000000;
    struct timeval tv;

    if (getenv("NOTIFY_SOCKET") == NULL)
        return; /* not under a service manager that listens */
    if (sd_notifyf(0, "READY=1\nSTATUS=%s", status) < 0)
        log_warn("sd_notify READY=1 failed");
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        notify_watchdog_on = 1;
        usec /= 2;
        sd_notify(0, "WATCHDOG=1");
        log_info("systemd watchdog: every %llu us", (unsigned long long)usec);
    }
    tv.tv_sec = (time_t)(usec / 1000000);
    tv.tv_usec = (suseconds_t)(usec % 1000000);
    notify_timer = event_new(base, -1, EV_PERSIST, notify_tick, NULL);
    if (notify_timer == NULL || event_add(notify_timer, &tv) != 0)
        log_warn("cannot start the systemd watchdog and status timer");
#else
    (void)base;
    (void)status;
#endif
}

void notify_stopping(const char *status)
{
#ifdef HAVE_LIBSYSTEMD
    if (getenv("NOTIFY_SOCKET") != NULL)
        sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status);
#else
    (void)status;
#endif
}

int notify_send(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
    if (getenv("NOTIFY_SOCKET") == NULL)
        return 0;
    return sd_notify(0, state) > 0;
#else
    (void)state;
    return 0;
#endif
}

unsigned notify_watchdog_ms(void)
{
#ifdef HAVE_LIBSYSTEMD
    uint64_t usec = 0;

    if (getenv("NOTIFY_SOCKET") != NULL && sd_watchdog_enabled(0, &usec) > 0)
        return (unsigned)(usec / 2000);
#endif
    return 0;
}

void notify_shutdown(void)
{
    if (notify_timer != NULL) {
        event_free(notify_timer);
        notify_timer = NULL;
    }
}
