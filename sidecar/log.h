/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* log: leveled logging to stderr, with libevent's own messages routed in. */
#ifndef SOCKETIOD_LOG_H
#define SOCKETIOD_LOG_H

/* 0: warnings and errors, 1 (-v): lifecycle, 2 (-vv): per request,
 * 3 (-vvv): per packet. */
enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2, LOG_TRACE = 3 };

extern int log_level;

/* Sets the level and routes libevent's log callback through log_msg. */
void log_init(int level);

void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Logs and exits 1. Only for start-up errors. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)                                                          \
    do {                                                                       \
        if (log_level >= LOG_INFO)                                             \
            log_msg(LOG_INFO, __VA_ARGS__);                                    \
    } while (0)
#define log_debug(...)                                                         \
    do {                                                                       \
        if (log_level >= LOG_DEBUG)                                            \
            log_msg(LOG_DEBUG, __VA_ARGS__);                                   \
    } while (0)
#define log_trace(...)                                                         \
    do {                                                                       \
        if (log_level >= LOG_TRACE)                                            \
            log_msg(LOG_TRACE, __VA_ARGS__);                                   \
    } while (0)

#endif
