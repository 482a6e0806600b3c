/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* notify: systemd's Type=notify protocol (READY, STOPPING, STATUS, the
 * watchdog) through libsystemd's sd_notify; nothing without it. */
#include "notify.h"

#include <stdint.h>
#include <stdio.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"

static struct event *notify_watchdog;

#ifdef HAVE_LIBSYSTEMD
static void notify_send(const char *fmt, const char *status)
{
    if (sd_notifyf(0, fmt, status) < 0)
        log_warn("sd_notify failed");
}

static void notify_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    sd_notify(0, "WATCHDOG=1");
}
#endif

void notify_ready(struct event_base *base, const char *status)
{
#ifdef HAVE_LIBSYSTEMD
    uint64_t usec = 0;
    struct timeval tv;

    notify_send("READY=1\nSTATUS=%s", status);
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return;
    usec /= 2;
    tv.tv_sec = (time_t)(usec / 1000000);
    tv.tv_usec = (suseconds_t)(usec % 1000000);
    notify_watchdog = event_new(base, -1, EV_PERSIST, notify_tick, NULL);
    if (notify_watchdog == NULL || event_add(notify_watchdog, &tv) != 0)
        log_warn("cannot start the systemd watchdog timer");
    sd_notify(0, "WATCHDOG=1");
    log_info("systemd watchdog: every %llu us", (unsigned long long)usec);
#else
    (void)base;
    (void)status;
#endif
}

void notify_stopping(const char *status)
{
#ifdef HAVE_LIBSYSTEMD
    notify_send("STOPPING=1\nSTATUS=%s", status);
#else
    (void)status;
#endif
}

void notify_shutdown(void)
{
    if (notify_watchdog != NULL) {
        event_free(notify_watchdog);
        notify_watchdog = NULL;
    }
}
