/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* log: leveled logging to stderr, as text or JSON lines, floods summarised,
 * with libevent's own messages routed in. */
#include "log.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define LOG_LINE_MAX 4096

int log_level = LOG_WARN;

static int log_json;
/* "socketiod" or, in a --workers worker, "socketiod[w1]". */
static char log_name[32] = "socketiod";
static char log_worker[16];
static struct log_summary *log_pending;
static struct event *log_timer;

static const char *const log_names[] = {"warn", "info", "debug", "trace"};

int log_set_format(const char *name)
{
    if (strcmp(name, "text") == 0)
        log_json = 0;
    else if (strcmp(name, "json") == 0)
        log_json = 1;
    else
        return -1;
    return 0;
}

/* RFC 3339 in UTC with milliseconds: what collectors parse without a
 * zone database, and what sorts as text. */
static void log_stamp(char *out, size_t size)
{
    struct timeval tv;
    struct tm tm;
    char s[24];

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%.19s.%03dZ", s, (int)(tv.tv_usec / 1000) % 1000);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t log_utf8(const unsigned char *s, size_t n)
{
    size_t len, i;
    unsigned long cp;

    if (s[0] < 0xc2 || s[0] > 0xf4)
        return 0;
    len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    if (len > n)
        return 0;
    cp = s[0] & (0x7f >> len);
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* A JSON string of `s`: messages carry client bytes (names, addresses),
 * so quotes, controls and invalid UTF-8 (as U+FFFD) are escaped. */
static void log_json_str(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), k;

    fputc('"', f);
    while (n > 0) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p);
        } else if (*p >= 0x80) {
            if ((k = log_utf8(p, n)) == 0) {
                fputs("\\ufffd", f);
            } else {
                fwrite(p, 1, k, f);
                p += k;
                n -= k;
                continue;
            }
        } else {
            fputc(*p, f);
        }
        p++;
        n--;
    }
    fputc('"', f);
}

/* One line, written with one call so that threads' lines do not mix;
 * `count` < 0: none. */
static void log_line(const char *lvl, const char *peer, const char *sid,
                     long long count, const char *msg)
{
    char stamp[40];
    char *line = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&line, &size);

    if (f == NULL)
        return;
    log_stamp(stamp, sizeof stamp);
    if (log_json) {
        fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", stamp, lvl);
        log_json_str(f, msg);
        if (peer != NULL && *peer) {
            fputs(",\"peer\":", f);
            log_json_str(f, peer);
        }
        if (sid != NULL && *sid) {
            fputs(",\"sid\":", f);
            log_json_str(f, sid);
        }
        if (count >= 0)
            fprintf(f, ",\"count\":%lld", count);
        if (log_worker[0])
            fprintf(f, ",\"worker\":\"%s\"", log_worker);
        fputs("}\n", f);
    } else {
        fprintf(f, "%s %s %s:", stamp, lvl, log_name);
        if (peer != NULL && *peer)
            fprintf(f, " peer=%s", peer);
        if (sid != NULL && *sid)
            fprintf(f, " sid=%s", sid);
        fprintf(f, " %s\n", msg);
    }
    fclose(f);
    fwrite(line, 1, size, stderr);
    free(line);
}

void log_set_worker(const char *name)
{
    snprintf(log_worker, sizeof log_worker, "%s", name);
    snprintf(log_name, sizeof log_name, "socketiod[%s]", name);
}

static void log_vat(int level, const char *peer, const char *sid,
                    const char *fmt, va_list ap)
{
    char msg[LOG_LINE_MAX];

    vsnprintf(msg, sizeof msg, fmt, ap);
    log_line(log_names[level < 0   ? 0
                       : level > 3 ? 3
                                   : level],
             peer, sid, -1, msg);
}

void log_msg(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    log_vat(level, NULL, NULL, fmt, ap);
    va_end(ap);
}

void log_at(int level, const char *peer, const char *sid, const char *fmt, ...)
{
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    log_vat(level, peer, sid, fmt, ap);
    va_end(ap);
}

/* Start-up lines keep their plain text form, which scripts read for the
 * ports bound; under --log-format json they are JSON like the rest. */
static void log_plain(const char *lvl, const char *fmt, va_list ap)
{
    char msg[LOG_LINE_MAX];

    vsnprintf(msg, sizeof msg, fmt, ap);
    if (log_json)
        log_line(lvl, NULL, NULL, -1, msg);
    else
        fprintf(stderr, "%s: %s\n", log_name, msg);
}

void log_notice(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_plain("notice", fmt, ap);
    va_end(ap);
}

void fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_plain("fatal", fmt, ap);
    va_end(ap);
    exit(1);
}

/* ---- summaries ---- */

static double log_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void log_summary_write(struct log_summary *s, double now)
{
    char msg[256];

    snprintf(msg, sizeof msg, "%s: %llu in the last %.1f s", s->what,
             (unsigned long long)s->n, now - s->since);
    log_line(log_names[LOG_WARN], s->peer, s->sid, (long long)s->n, msg);
    s->n = 0;
    s->last_line = now;
}

/* Writes the summaries whose second is over; re-arms for the others. */
static void log_tick(evutil_socket_t fd, short what, void *arg)
{
    struct log_summary **pp = &log_pending, *s;
    double now = log_now(), next = 0;
    struct timeval tv;

    (void)fd;
    (void)what;
    (void)arg;
    while ((s = *pp) != NULL) {
        if (now - s->last_line >= 0.999) {
            log_summary_write(s, now);
            s->pending = 0;
            *pp = s->next;
            continue;
        }
        if (next == 0 || s->last_line + 1 < next)
            next = s->last_line + 1;
        pp = &s->next;
    }
    if (log_pending != NULL && log_timer != NULL) {
        next -= now;
        tv.tv_sec = (time_t)next;
        tv.tv_usec = (suseconds_t)((next - (double)tv.tv_sec) * 1e6) + 1000;
        evtimer_add(log_timer, &tv);
    }
}

/* Counts one event of `s`: 1 when its line is due now (the first after a
 * quiet second; the caller writes it), else 0 with the event summed into
 * the next summary. */
static int log_count_now(struct log_summary *s, const char *peer,
                         const char *sid)
{
    double now, left;
    struct timeval tv;

    if (log_level < LOG_WARN)
        return 0; /* silenced (the fuzzers) */
    now = log_now();
    snprintf(s->peer, sizeof s->peer, "%s", peer ? peer : "");
    snprintf(s->sid, sizeof s->sid, "%s", sid ? sid : "");
    if (!s->pending && now - s->last_line >= 1) {
        s->last_line = now;
        return 1;
    }
    if (s->n++ == 0)
        s->since = s->last_line;
    if (!s->pending) {
        s->pending = 1;
        s->next = log_pending;
        log_pending = s;
        if (log_timer != NULL && !evtimer_pending(log_timer, NULL)) {
            left = s->last_line + 1 - now;
            tv.tv_sec = (time_t)left;
            tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6) + 1000;
            evtimer_add(log_timer, &tv);
        }
    }
    return 0;
}

void log_count(struct log_summary *s, const char *peer, const char *sid)
{
    if (log_count_now(s, peer, sid))
        log_line(log_names[LOG_WARN], s->peer, s->sid, 1, s->what);
}

void log_countf(struct log_summary *s, const char *peer, const char *sid,
                const char *fmt, ...)
{
    char msg[LOG_LINE_MAX];
    va_list ap;
    int n;

    if (!log_count_now(s, peer, sid))
        return;
    n = snprintf(msg, sizeof msg, "%s: ", s->what);
    if (n > 0 && (size_t)n < sizeof msg) {
        va_start(ap, fmt);
        vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
        va_end(ap);
    }
    log_line(log_names[LOG_WARN], s->peer, s->sid, 1, msg);
}

void log_start(struct event_base *base)
{
    if (log_timer == NULL)
        log_timer = evtimer_new(base, log_tick, NULL);
}

void log_flush(void)
{
    struct log_summary *s;
    double now = log_now();

    while ((s = log_pending) != NULL) {
        log_pending = s->next;
        s->pending = 0;
        log_summary_write(s, now);
    }
    if (log_timer != NULL) {
        event_free(log_timer);
        log_timer = NULL;
    }
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
