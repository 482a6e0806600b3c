/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* log: leveled logging to stderr, as text or JSON lines, floods summarised,
 * with libevent's own messages routed in. */
#ifndef SOCKETIOD_LOG_H
#define SOCKETIOD_LOG_H

#include <stdint.h>

/* 0: warnings and errors, 1 (-v): lifecycle, 2 (-vv): per request,
 * 3 (-vvv): per packet. */
enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2, LOG_TRACE = 3 };

extern int log_level;

/* Sets the level and routes libevent's log callback through log_msg. */
void log_init(int level);

/* "text" (the default): `TIME LEVEL socketiod: [peer=.. sid=..] MSG`, TIME
 * in RFC 3339 (UTC, milliseconds); "json": one object per line with time,
 * level, msg and the fields. Returns 0, or -1 for another name. */
int log_set_format(const char *name);

/* In a --workers worker: every line names it, "socketiod[w1]:" in text,
 * "worker":"w1" in JSON. `name` is at most 15 characters of [A-Za-z0-9]. */
void log_set_worker(const char *name);

void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* As log_msg, with the peer address and the session id as fields (each
 * may be NULL). */
void log_at(int level, const char *peer, const char *sid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A start-up line the operator always sees (what listens where):
 * `socketiod: MSG` as text, whatever the time stamps of other lines, or a
 * JSON line of level "notice". */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs (as log_notice, level "fatal" in JSON) and exits 1. Only for
 * start-up errors. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* One kind of event a hostile peer can repeat at will (a refused
 * connection, a dropped event, an output overflow): logged at the default
 * level, yet at most one line a second. Define one static per kind,
 * LOG_SUMMARY_INIT("what happened"); only the loop thread counts. */
struct log_summary {
    const char *what; /* "connections refused over --max-connections" */
    uint64_t n;       /* counted since the last line */
    double since;     /* when the count started (CLOCK_MONOTONIC, s) */
    double last_line; /* when the last line was written, 0: never */
    char peer[64];    /* the last one's, for the line */
    char sid[32];
    struct log_summary *next; /* on the pending list when n > 0 */
    int pending;
};

#define LOG_SUMMARY_INIT(what)                                                 \
    {                                                                          \
        (what), 0, 0, 0, "", "", 0, 0                                          \
    }

/* Counts one event of `s` (peer, sid: NULL when unknown). The first after
 * a quiet second is logged at once; the rest are summed into one line a
 * second later: "WHAT: N in the last 1.0 s". Needs log_start(). */
void log_count(struct log_summary *s, const char *peer, const char *sid);

/* As log_count; the line written at once is "WHAT: DETAIL" (the summary
 * lines carry only the count). */
void log_countf(struct log_summary *s, const char *peer, const char *sid,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* log_at for lines about one client (peer address, session id). */
#define log_info_at(peer, sid, ...)                                            \
    do {                                                                       \
        if (log_level >= LOG_INFO)                                             \
            log_at(LOG_INFO, (peer), (sid), __VA_ARGS__);                      \
    } while (0)
#define log_warn_at(peer, sid, ...) log_at(LOG_WARN, (peer), (sid), __VA_ARGS__)

/* Gives the summaries their once-a-second timer (an event_base). */
struct event_base;
void log_start(struct event_base *base);

/* Writes every pending summary now (at exit). */
void log_flush(void);

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
