/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* log: leveled logging to stderr, with libevent's own messages routed in. */
#include "log.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

int log_level = LOG_WARN;

static const char *const log_names[] = {"warn", "info", "debug", "trace"};

static void log_vmsg(int level, const char *fmt, va_list ap)
{
    struct timeval tv;
    struct tm tm;
    char stamp[32];

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ld socketiod %s: ", stamp, (long)tv.tv_usec / 1000,
            log_names[level < 0   ? 0
                      : level > 3 ? 3
                                  : level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_msg(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

void fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("socketiod: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void log_libevent(int severity, const char *msg)
{
    int level = severity >= EVENT_LOG_WARN  ? LOG_WARN
                : severity == EVENT_LOG_MSG ? LOG_INFO
                                            : LOG_TRACE;
    log_msg(level, "libevent: %s", msg);
}

void log_init(int level)
{
    log_level = level;
    event_set_log_callback(log_libevent);
}
