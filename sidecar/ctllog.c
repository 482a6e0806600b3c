/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ctllog: `socketioctl log`, reading the message log database directly. */
#include "ctllog.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <sqlite3.h>

#include "buf.h"

#define CTLLOG_DEFAULT_LIMIT 50
#define CTLLOG_POLL_US 200000 /* --follow polls this often */

enum { CTLLOG_COLS = 17 };

static const char ctllog_select[] =
    "SELECT id, time_us, direction, kind, via, sid, namespace, channel,"
    " event, ack_id, payload, attachments, recipients, to_sid, except_sid,"
    " remote_addr, line FROM messages WHERE id > ?1"
    " AND (?2 IS NULL OR sid = ?2) AND (?3 IS NULL OR channel = ?3)"
    " AND (?4 IS NULL OR event = ?4) AND (?5 IS NULL OR time_us >= ?5)"
    " AND (?6 IS NULL OR time_us < ?6)";

static const char *const ctllog_names[CTLLOG_COLS] = {
    "id",          "time_us",     "direction",  "kind",  "via",
    "sid",         "namespace",   "channel",    "event", "ack_id",
    "payload",     "attachments", "recipients", "to",    "except",
    "remote_addr", "line"};

struct ctllog_opts {
    const char *db;
    const char *sid, *channel, *event;
    int64_t since, until; /* µs, -1 unset */
    long limit;
    int follow, json, lines;
};

static void ctllog_usage(FILE *f)
{
    fputs("usage: socketioctl log [--db FILE] [-f] [-n N] [--sid SID] "
          "[--channel C]\n"
          "                       [--event E] [--since T] [--until T] "
          "[--json | --lines]\n"
          "  T: seconds since the epoch, 'YYYY-MM-DD[ HH:MM[:SS]]' (local "
          "time),\n"
          "     or an age such as 30s, 10m, 2h, 1d\n",
          f);
}

/* --json (before or after `log`): errors come as JSON too. */
static int ctllog_json_errors;

/* Prints "socketioctl: log: TEXT" on stderr, or under --json one line
 * {"error":{"message":"log: TEXT"}}, as socketioctl's other errors. */
static void ctllog_err(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void ctllog_err(const char *fmt, ...)
{
    char text[1024];
    cJSON *o, *e;
    char *line = NULL;
    va_list ap;

    strcpy(text, "log: ");
    va_start(ap, fmt);
    vsnprintf(text + 5, sizeof text - 5, fmt, ap);
    va_end(ap);
    if (!ctllog_json_errors) {
        fprintf(stderr, "socketioctl: %s\n", text);
        return;
    }
    o = cJSON_CreateObject();
    e = cJSON_AddObjectToObject(o, "error");
    if (e != NULL && cJSON_AddStringToObject(e, "message", text) != NULL)
        line = cJSON_PrintUnformatted(o);
    fprintf(stderr, "%s\n", line ? line : text);
    cJSON_free(line);
    cJSON_Delete(o);
}

static int ctllog_bad(const char *fmt, const char *arg)
{
    char text[512];

    snprintf(text, sizeof text, fmt, arg);
    ctllog_err("%s", text);
    if (!ctllog_json_errors)
        ctllog_usage(stderr);
    return 1;
}

/* A time argument in µs since the epoch, or -1. */
static int64_t ctllog_time(const char *s)
{
    struct tm tm;
    const char *end;
    char *e;
    double v;
    static const char *const forms[] = {"%Y-%m-%d %H:%M:%S",
                                        "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                                        "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
    size_t i;
    time_t t;

    errno = 0;
    v = strtod(s, &e);
    /* Up to year 5138 either way: the conversions below cannot overflow. */
    if (e != s && errno == 0 && v >= 0 && v < 1e11) {
        if (*e == '\0')
            return (int64_t)(v * 1e6);
        if (e[1] == '\0' && strchr("smhd", *e) != NULL) {
            double unit = *e == 's'   ? 1
                          : *e == 'm' ? 60
                          : *e == 'h' ? 3600
                                      : 86400;
            struct timespec now;
            if (v * unit >= 1e11)
                return -1;
            clock_gettime(CLOCK_REALTIME, &now);
            return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 -
                   (int64_t)(v * unit * 1e6);
        }
    }
    for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        memset(&tm, 0, sizeof tm);
        end = strptime(s, forms[i], &tm);
        if (end != NULL && *end == '\0') {
            tm.tm_isdst = -1;
            t = mktime(&tm);
            if (t != (time_t)-1)
                return (int64_t)t * 1000000;
        }
    }
    return -1;
}

static void ctllog_bind(sqlite3_stmt *st, int col, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

static void ctllog_bind_time(sqlite3_stmt *st, int col, int64_t t)
{
    if (t >= 0)
        sqlite3_bind_int64(st, col, t);
    else
        sqlite3_bind_null(st, col);
}

static const char *ctllog_col(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);

    return s ? (const char *)s : NULL;
}

static void ctllog_print_json(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject(), *v;
    char tbuf[64], *text;
    int64_t us = sqlite3_column_int64(st, 1);
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    int i;

    for (i = 0; i < CTLLOG_COLS; i++) {
        int type = sqlite3_column_type(st, i);
        const char *s = ctllog_col(st, i);
        if (type == SQLITE_NULL) {
            v = cJSON_CreateNull();
        } else if (type == SQLITE_INTEGER) {
            /* Raw digits: cJSON prints a double, and a time_us (16 digits)
             * ending in 0 came out as 1.76477000012345e+15. */
            char num[24];

            snprintf(num, sizeof num, "%lld",
                     (long long)sqlite3_column_int64(st, i));
            v = cJSON_CreateRaw(num);
        } else if (i == 10 || i == 11) { /* payload, attachments: JSON */
            v = cJSON_Parse(s);
            if (v == NULL)
                v = cJSON_CreateString(s);
        } else {
            v = cJSON_CreateString(s ? s : "");
        }
        cJSON_AddItemToObject(o, ctllog_names[i], v);
        if (i == 1) {
            localtime_r(&secs, &tm);
            strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
            snprintf(tbuf + strlen(tbuf), sizeof tbuf - strlen(tbuf), ".%06d",
                     (int)(us % 1000000));
            cJSON_AddStringToObject(o, "time", tbuf);
        }
    }
    text = cJSON_PrintUnformatted(o);
    if (text != NULL)
        puts(text);
    cJSON_free(text);
    cJSON_Delete(o);
}

/* Bytes of the well-formed UTF-8 character at s (lead byte >= 0x80), 0
 * when it is not one. */
static size_t ctllog_utf8(const unsigned char *s)
{
    size_t n, i;

    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    for (i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

/* Appends `s` for a terminal: what clients sent may hold escape sequences
 * (ESC, BEL, CSI as C0 or C1 controls, stray bytes) that would retitle,
 * clear or reprogram the reader's terminal. Those are written as \xHH
 * (\u00HH for a C1 control); the rest, UTF-8 included, as it is. */
static void ctllog_safe(struct buf *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n;

    while (*s) {
        if (*s < 0x20 || *s == 0x7f) {
            buf_printf(out, "\\x%02x", *s++);
        } else if (*s < 0x80) {
            buf_putc(out, (char)*s++);
        } else if ((n = ctllog_utf8(s)) == 0) {
            buf_printf(out, "\\x%02x", *s++);
        } else if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0) {
            buf_printf(out, "\\u%04x", s[1]);
            s += 2;
        } else {
            buf_append(out, s, n);
            s += n;
        }
    }
}

static void ctllog_print_text(sqlite3_stmt *st)
{
    int64_t us = sqlite3_column_int64(st, 1);
    time_t secs = (time_t)(us / 1000000);
    const char *dir = ctllog_col(st, 2), *kind = ctllog_col(st, 3),
               *via = ctllog_col(st, 4), *sid = ctllog_col(st, 5),
               *nsp = ctllog_col(st, 6), *channel = ctllog_col(st, 7),
               *payload = ctllog_col(st, 10), *att = ctllog_col(st, 11),
               *except = ctllog_col(st, 14);
    struct buf who = BUF_INIT, out = BUF_INIT;
    char tbuf[32];
    struct tm tm;
    size_t start;

    localtime_r(&secs, &tm);
    strftime(tbuf, sizeof tbuf, "%Y-%m-%d %H:%M:%S", &tm);
    if (sid != NULL)
        buf_puts(&who, sid);
    else if (channel != NULL)
        buf_printf(&who, "#%s", channel);
    else
        buf_puts(&who, "*");
    if (except != NULL)
        buf_printf(&who, " -%s", except);
    if (sqlite3_column_type(st, 12) != SQLITE_NULL &&
        strcmp(via ? via : "", "reply") != 0)
        buf_printf(&who, " (%lld)", (long long)sqlite3_column_int64(st, 12));
    buf_putc(&who, '\0');
    buf_printf(&out, "%s.%03d  %-3s %-7s %-6s ", tbuf,
               (int)(us % 1000000 / 1000), dir ? dir : "", kind ? kind : "",
               via ? via : "");
    start = out.len;
    ctllog_safe(&out, nsp);
    while (out.len - start < 5) /* the namespace column, as "%-5s" */
        buf_putc(&out, ' ');
    buf_putc(&out, ' ');
    ctllog_safe(&out, who.data);
    buf_puts(&out, "  ");
    ctllog_safe(&out, payload);
    if (att != NULL) {
        buf_puts(&out, "  binary ");
        ctllog_safe(&out, att);
    }
    buf_putc(&out, '\n');
    if (out.data != NULL)
        fwrite(out.data, 1, out.len, stdout);
    buf_free(&out);
    buf_free(&who);
}

/* A --lines row: the rendered line, escaped as above. */
static void ctllog_print_line(sqlite3_stmt *st)
{
    struct buf out = BUF_INIT;

    ctllog_safe(&out, ctllog_col(st, 16));
    buf_putc(&out, '\n');
    if (out.data != NULL)
        fwrite(out.data, 1, out.len, stdout);
    buf_free(&out);
}

/* Prints the rows after `*last` (the newest `limit` of them when limit >
 * 0); advances *last. Returns 0 or -1. */
static int ctllog_query(sqlite3 *db, const struct ctllog_opts *o, int64_t *last,
                        long limit)
{
    struct buf sql = BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc, n = 0;

    if (limit > 0)
        buf_printf(&sql,
                   "SELECT * FROM (%s ORDER BY id DESC LIMIT %ld) "
                   "ORDER BY id",
                   ctllog_select, limit);
    else
        buf_printf(&sql, "%s ORDER BY id", ctllog_select);
    buf_putc(&sql, '\0');
    rc = sqlite3_prepare_v2(db, sql.data, -1, &st, NULL);
    buf_free(&sql);
    if (rc != SQLITE_OK) {
        ctllog_err("%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, *last);
    ctllog_bind(st, 2, o->sid);
    ctllog_bind(st, 3, o->channel);
    ctllog_bind(st, 4, o->event);
    ctllog_bind_time(st, 5, o->since);
    ctllog_bind_time(st, 6, o->until);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *last = sqlite3_column_int64(st, 0);
        if (o->json)
            ctllog_print_json(st);
        else if (o->lines)
            ctllog_print_line(st);
        else
            ctllog_print_text(st);
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        ctllog_err("%s", sqlite3_errmsg(db));
        return -1;
    }
    if (n > 0)
        fflush(stdout);
    return 0;
}

int ctllog_main(int argc, char **argv, int json, const char *socket_path,
                ctllog_locate locate)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"follow", no_argument, NULL, 'f'},
        {"limit", required_argument, NULL, 'n'},
        {"sid", required_argument, NULL, 'S'},
        {"channel", required_argument, NULL, 'C'},
        {"event", required_argument, NULL, 'E'},
        {"since", required_argument, NULL, 'b'},
        {"until", required_argument, NULL, 'u'},
        {"json", no_argument, NULL, 'j'},
        {"lines", no_argument, NULL, 'L'},
        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctllog_opts o;
    char *owned = NULL, *end;
    sqlite3 *db = NULL;
    int64_t last = 0;
    int opt, status = 0;

    memset(&o, 0, sizeof o);
    o.json = ctllog_json_errors = json;
    o.since = o.until = -1;
    o.limit = CTLLOG_DEFAULT_LIMIT;
    optind = 0;
    opterr = !ctllog_json_errors; /* under --json our own message says it */
    while ((opt = getopt_long(argc, argv, "fn:s:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            o.db = optarg;
            break;
        case 'f':
            o.follow = 1;
            break;
        case 'n':
            errno = 0;
            o.limit = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || o.limit < 0)
                return ctllog_bad("bad --limit '%s'", optarg);
            break;
        case 'S':
            o.sid = optarg;
            break;
        case 'C':
            o.channel = optarg;
            break;
        case 'E':
            o.event = optarg;
            break;
        case 'b':
        case 'u':
            if ((opt == 'b' ? (o.since = ctllog_time(optarg))
                            : (o.until = ctllog_time(optarg))) < 0)
                return ctllog_bad("bad time '%s'", optarg);
            break;
        case 'j':
            o.json = ctllog_json_errors = 1;
            break;
        case 'L':
            o.lines = 1;
            break;
        case 's':
            socket_path = optarg;
            break;
        case 'h':
            ctllog_usage(stdout);
            return 0;
        default:
            return ctllog_bad("bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ctllog_bad("unexpected argument '%s'", argv[optind]);
    if (o.db == NULL && (o.db = getenv("SOCKETIOD_MESSAGE_LOG")) != NULL &&
        o.db[0] == '\0')
        o.db = NULL;
    if (o.db == NULL) {
        if ((owned = locate(socket_path)) == NULL)
            return 2;
        o.db = owned;
    }
    if (access(o.db, R_OK) != 0) {
        ctllog_err("%s: %s", o.db, strerror(errno));
        free(owned);
        return 1;
    }
    if (sqlite3_open_v2(o.db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        ctllog_err("%s: %s", o.db, db ? sqlite3_errmsg(db) : "out of memory");
        status = 1;
        goto done;
    }
    sqlite3_busy_timeout(db, 2000);
    if (ctllog_query(db, &o, &last, o.limit > 0 ? o.limit : -1) != 0) {
        status = 1;
        goto done;
    }
    while (o.follow) {
        usleep(CTLLOG_POLL_US);
        if (ctllog_query(db, &o, &last, -1) != 0) {
            status = 1;
            break;
        }
    }
done:
    sqlite3_close(db);
    free(owned);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
