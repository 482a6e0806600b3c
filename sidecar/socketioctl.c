/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* socketioctl: the admin command line over socketiod's control RPC. */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctllog.h"
#include "rpc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define CTL_DEFAULT_WAIT 10000    /* ms to wait for the reply */
#define CTL_ACK_TIMEOUT 5000      /* the daemon's default emit ack timeout */
#define CTL_ACK_SLACK 2000        /* extra wait beyond an ack timeout */
#define CTL_MAX_REPLY (256 << 20) /* a longer reply line is refused */
#define CTL_REQUEST_ID 1

/* Exit statuses: an RPC error or a usage error is 1; not reaching the
 * daemon (connect, I/O, timeout, unreadable reply) is 2. */
enum { CTL_EXIT_OK = 0, CTL_EXIT_ERROR = 1, CTL_EXIT_CONNECT = 2 };

/* Command options; each command allows a subset. */
enum {
    CTL_O_NAMESPACE = 1 << 0,
    CTL_O_CHANNEL = 1 << 1,
    CTL_O_TO = 1 << 2,
    CTL_O_EXCEPT = 1 << 3,
    CTL_O_ACK = 1 << 4,
    CTL_O_TIMEOUT = 1 << 5,
    CTL_O_LOCAL = 1 << 6,
    CTL_O_USER = 1 << 7,
};

struct ctl {
    const char *path;
    int json;
    long wait_ms; /* reply wait; 0 waits forever */
};

struct ctl_args {
    const char *nsp;
    const char *channel;
    const char *to;
    const char *except;
    const char *user; /* an app user's sockets (docs/presence.md) */
    int ack;
    int local;       /* this node only (with --redis) */
    long timeout_ms; /* emit ack timeout; -1 when not given */
    char **pos;      /* positional arguments */
    int npos;
};

struct ctl_cmd {
    const char *name;
    const char *usage;
    unsigned opts;
    int min_pos, max_pos; /* max_pos -1: any number */
    cJSON *(*build)(const struct ctl_args *);
    void (*print)(const struct ctl_args *, const cJSON *result);
};

/* A table of text cells, row 0 the header, printed with aligned columns. */
struct ctl_table {
    int ncols;
    size_t nrows, cap;
    char **cells;
};

static const char *ctl_prog = "socketioctl";

/* Set by --json: a script reading JSON gets its errors as JSON too. */
static int ctl_json_errors;

/* Prints an error on stderr: "socketioctl: TEXT", or under --json one line
 * {"error":{"code":CODE,"message":TEXT}}, the code only when `has_code`
 * (the daemon's error codes, docs/rpc.md). */
static void ctl_error_out(int has_code, int code, const char *text)
{
    cJSON *o, *e;
    char *line;

    if (!ctl_json_errors) {
        fprintf(stderr, "%s: %s\n", ctl_prog, text);
        return;
    }
    o = cJSON_CreateObject();
    e = cJSON_AddObjectToObject(o, "error");
    if (e != NULL && has_code)
        cJSON_AddNumberToObject(e, "code", code);
    if (e != NULL)
        cJSON_AddStringToObject(e, "message", text);
    line = o ? cJSON_PrintUnformatted(o) : NULL;
    /* Without memory for JSON, the text alone still says what failed. */
    fprintf(stderr, "%s\n", line ? line : text);
    cJSON_free(line);
    cJSON_Delete(o);
}

static void ctl_complain(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void ctl_complain(const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ctl_error_out(0, 0, text);
}

static void ctl_die(int status, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

static void ctl_die(int status, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ctl_error_out(0, 0, text);
    exit(status);
}

static void *ctl_check(void *p)
{
    if (p == NULL)
        ctl_die(CTL_EXIT_ERROR, "out of memory");
    return p;
}

static char *ctl_strdup(const char *s) { return ctl_check(strdup(s)); }

/* ---- Talking to the daemon ---------------------------------------- */

static int ctl_connect(const char *path)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path))
        ctl_die(CTL_EXIT_CONNECT, "cannot connect to %s: path too long", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        ctl_die(CTL_EXIT_CONNECT, "socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
        ctl_die(CTL_EXIT_CONNECT,
                "cannot connect to %s: %s (is socketiod running? "
                "set the path with -s or SOCKETIOD_RPC)",
                path, strerror(errno));
    return fd;
}

static void ctl_write_all(const struct ctl *c, int fd, const char *s,
                          size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = send(fd, s, len, MSG_NOSIGNAL);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            ctl_die(CTL_EXIT_CONNECT, "write to %s: %s", c->path,
                    strerror(errno));
        s += n;
        len -= (size_t)n;
    }
}

static long ctl_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable or the deadline (0: none) passes. */
static void ctl_wait_readable(const struct ctl *c, int fd, long deadline)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    long left;
    int r;

    for (;;) {
        left = deadline ? deadline - ctl_now_ms() : -1;
        if (deadline && left <= 0)
            ctl_die(CTL_EXIT_CONNECT,
                    "no reply from %s within %ld ms (see --timeout)", c->path,
                    c->wait_ms);
        r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r > 0)
            return;
        if (r == -1 && errno != EINTR)
            ctl_die(CTL_EXIT_CONNECT, "poll: %s", strerror(errno));
    }
}

/* Reads until `in` holds a newline; returns the line length (without it). */
static size_t ctl_read_line(const struct ctl *c, int fd, struct buf *in,
                            long deadline)
{
    char *nl;
    ssize_t n;

    while ((nl = in->len ? memchr(in->data, '\n', in->len) : NULL) == NULL) {
        if (in->len > CTL_MAX_REPLY)
            ctl_die(CTL_EXIT_CONNECT, "reply from %s too long", c->path);
        ctl_wait_readable(c, fd, deadline);
        if (buf_reserve(in, 65536) != 0)
            ctl_die(CTL_EXIT_ERROR, "out of memory");
        n = read(fd, in->data + in->len, 65536);
        if (n == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n == -1)
            ctl_die(CTL_EXIT_CONNECT, "read from %s: %s", c->path,
                    strerror(errno));
        if (n == 0)
            ctl_die(CTL_EXIT_CONNECT, "%s closed the connection %s", c->path,
                    in->len ? "mid-reply" : "without a reply");
        in->len += (size_t)n;
    }
    return (size_t)(nl - in->data);
}

/* Sends one request and returns the response carrying its id. */
static cJSON *ctl_call(const struct ctl *c, const char *method, cJSON *params)
{
    struct buf in = BUF_INIT;
    cJSON *req, *resp, *id;
    char *text;
    size_t n;
    long deadline = c->wait_ms ? ctl_now_ms() + c->wait_ms : 0;
    int fd;

    req = ctl_check(cJSON_CreateObject());
    cJSON_AddNumberToObject(req, "id", CTL_REQUEST_ID);
    cJSON_AddStringToObject(req, "method", method);
    cJSON_AddItemToObject(req, "params", params);
    text = ctl_check(cJSON_PrintUnformatted(req));
    cJSON_Delete(req);

    fd = ctl_connect(c->path);
    ctl_write_all(c, fd, text, strlen(text));
    ctl_write_all(c, fd, "\n", 1);
    free(text);

    for (;;) {
        n = ctl_read_line(c, fd, &in, deadline);
        resp = cJSON_ParseWithLength(in.data, n);
        if (resp == NULL || !cJSON_IsObject(resp))
            ctl_die(CTL_EXIT_CONNECT, "unreadable reply from %s: %.*s", c->path,
                    n > 200 ? 200 : (int)n, in.data);
        id = cJSON_GetObjectItemCaseSensitive(resp, "id");
        if (cJSON_IsNumber(id) && id->valuedouble == CTL_REQUEST_ID)
            break;
        /* Not ours (an id-less parse error reply carries null). */
        if (cJSON_IsNull(id) &&
            cJSON_GetObjectItemCaseSensitive(resp, "error") != NULL)
            break;
        cJSON_Delete(resp);
        memmove(in.data, in.data + n + 1, in.len - n - 1);
        in.len -= n + 1;
    }
    close(fd);
    buf_free(&in);
    return resp;
}

/* Returns the result of a response, or exits with its error. */
static const cJSON *ctl_result(const struct ctl *c, const cJSON *resp)
{
    const cJSON *err, *code, *msg, *res;

    err = cJSON_GetObjectItemCaseSensitive(resp, "error");
    if (err != NULL) {
        code = cJSON_GetObjectItemCaseSensitive(err, "code");
        msg = cJSON_GetObjectItemCaseSensitive(err, "message");
        if (ctl_json_errors) {
            ctl_error_out(cJSON_IsNumber(code),
                          cJSON_IsNumber(code) ? code->valueint : 0,
                          cJSON_IsString(msg) ? msg->valuestring : "error");
            exit(CTL_EXIT_ERROR);
        }
        ctl_die(CTL_EXIT_ERROR, "%s (code %d)",
                cJSON_IsString(msg) ? msg->valuestring : "error",
                cJSON_IsNumber(code) ? code->valueint : 0);
    }
    res = cJSON_GetObjectItemCaseSensitive(resp, "result");
    if (res == NULL)
        ctl_die(CTL_EXIT_CONNECT, "reply from %s has no result", c->path);
    return res;
}

/* ---- Formatting ---------------------------------------------------- */

/* Text of a JSON value for a table cell: strings bare, integral numbers
 * without a fraction, anything else as compact JSON; "-" when absent. */
static char *ctl_text(const cJSON *v)
{
    char tmp[64];

    if (v == NULL || cJSON_IsNull(v))
        return ctl_strdup("-");
    if (cJSON_IsString(v))
        return ctl_strdup(v->valuestring);
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble == (double)(long long)v->valuedouble)
            snprintf(tmp, sizeof(tmp), "%lld", (long long)v->valuedouble);
        else
            snprintf(tmp, sizeof(tmp), "%g", v->valuedouble);
        return ctl_strdup(tmp);
    }
    return ctl_check(cJSON_PrintUnformatted(v));
}

static char *ctl_field(const cJSON *obj, const char *key)
{
    return ctl_text(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* Joins the texts of an array's items with ",", "-" when empty. */
static char *ctl_join(const cJSON *arr)
{
    struct buf b = BUF_INIT;
    const cJSON *it;
    char *s;

    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return ctl_strdup("-");
    cJSON_ArrayForEach(it, arr)
    {
        s = ctl_text(it);
        if ((b.len && buf_putc(&b, ',') != 0) || buf_puts(&b, s) != 0)
            ctl_die(CTL_EXIT_ERROR, "out of memory");
        free(s);
    }
    return b.data;
}

/* Unix seconds as local "YYYY-MM-DD HH:MM:SS". */
static char *ctl_time(const cJSON *v)
{
    char tmp[32];
    struct tm tm;
    time_t t;

    if (!cJSON_IsNumber(v))
        return ctl_text(v);
    t = (time_t)v->valuedouble;
    if (localtime_r(&t, &tm) == NULL ||
        strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
        return ctl_text(v);
    return ctl_strdup(tmp);
}

/* Seconds as "2d 3h 4m 5s" (leading zero units left out). */
static char *ctl_duration(const cJSON *v)
{
    char tmp[64];
    long long s;

    if (!cJSON_IsNumber(v) || v->valuedouble < 0)
        return ctl_text(v);
    s = (long long)v->valuedouble;
    if (s >= 86400)
        snprintf(tmp, sizeof(tmp), "%lldd %lldh %lldm %llds", s / 86400,
                 s / 3600 % 24, s / 60 % 60, s % 60);
    else if (s >= 3600)
        snprintf(tmp, sizeof(tmp), "%lldh %lldm %llds", s / 3600, s / 60 % 60,
                 s % 60);
    else if (s >= 60)
        snprintf(tmp, sizeof(tmp), "%lldm %llds", s / 60, s % 60);
    else
        snprintf(tmp, sizeof(tmp), "%llds", s);
    return ctl_strdup(tmp);
}

/* "addr:port", "[v6]:port", or the address alone when there is no port
 * (a client on a unix: listener). */
static char *ctl_remote(const cJSON *session)
{
    const cJSON *addr, *port;
    char *a, *s;
    size_t n;

    addr = cJSON_GetObjectItemCaseSensitive(session, "remote_addr");
    port = cJSON_GetObjectItemCaseSensitive(session, "remote_port");
    a = ctl_text(addr);
    if (!cJSON_IsNumber(port) || port->valueint <= 0)
        return a;
    n = strlen(a) + 16;
    s = ctl_check(malloc(n));
    snprintf(s, n, strchr(a, ':') ? "[%s]:%d" : "%s:%d", a, port->valueint);
    free(a);
    return s;
}

/* Terminal columns a UTF-8 string takes (one per code point). */
static size_t ctl_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* Adds a row of ncols cells; takes ownership of the malloc'd cells. */
static void ctl_table_row(struct ctl_table *t, char **cells)
{
    size_t need = (t->nrows + 1) * (size_t)t->ncols;

    if (need > t->cap) {
        t->cap = need * 2;
        t->cells = ctl_check(realloc(t->cells, t->cap * sizeof(char *)));
    }
    memcpy(t->cells + t->nrows * (size_t)t->ncols, cells,
           (size_t)t->ncols * sizeof(char *));
    t->nrows++;
}

static void ctl_table_header(struct ctl_table *t, const char **names, int ncols)
{
    char *cells[16];
    int i;

    t->ncols = ncols;
    for (i = 0; i < ncols; i++)
        cells[i] = ctl_strdup(names[i]);
    ctl_table_row(t, cells);
}

/* Prints the table (two spaces between columns, the last unpadded) and
 * frees it. */
static void ctl_table_print(struct ctl_table *t)
{
    size_t width[16] = {0}, w, r;
    int i;
    char *cell;

    for (r = 0; r < t->nrows; r++)
        for (i = 0; i < t->ncols; i++) {
            w = ctl_width(t->cells[r * (size_t)t->ncols + (size_t)i]);
            if (w > width[i])
                width[i] = w;
        }
    for (r = 0; r < t->nrows; r++) {
        for (i = 0; i < t->ncols; i++) {
            cell = t->cells[r * (size_t)t->ncols + (size_t)i];
            if (i == t->ncols - 1)
                printf("%s\n", cell);
            else
                printf("%s%*s", cell, (int)(width[i] - ctl_width(cell) + 2),
                       "");
            free(cell);
        }
    }
    free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap = 0;
}

/* Prints "key  value" pairs aligned; takes ownership of the values. */
static void ctl_print_pair(const char *key, char *value, int key_width)
{
    printf("%-*s  %s\n", key_width, key, value);
    free(value);
}

static const char *ctl_plural(long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static long ctl_count(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

/* ---- Printers, one per command -------------------------------------- */

static void ctl_print_sessions(const struct ctl_args *a, const cJSON *res)
{
    static const char *hdr[] = {"SID",  "NAMESPACE", "TRANSPORT", "REMOTE",
                                "USER", "CHANNELS",  "SINCE",     "NODE"};
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(res, "sessions");
    struct ctl_table t = {0, 0, 0, NULL};
    const cJSON *s;
    char *row[8];
    int fleet = 0;

    (void)a;
    /* With --redis each session says its node: one more column. */
    cJSON_ArrayForEach(s, list) fleet |=
        cJSON_GetObjectItemCaseSensitive(s, "node") != NULL;
    ctl_table_header(&t, hdr, fleet ? 8 : 7);
    cJSON_ArrayForEach(s, list)
    {
        row[0] = ctl_field(s, "sid");
        row[1] = ctl_field(s, "namespace");
        row[2] = ctl_field(s, "transport");
        row[3] = ctl_remote(s);
        row[4] = ctl_field(s, "user");
        row[5] = ctl_join(cJSON_GetObjectItemCaseSensitive(s, "channels"));
        row[6] = ctl_time(cJSON_GetObjectItemCaseSensitive(s, "connected_at"));
        row[7] = fleet ? ctl_field(s, "node") : NULL;
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "incomplete")))
        fprintf(stderr, "socketioctl: incomplete: not every node of the "
                        "fleet answered in time\n");
}

static void ctl_print_session(const struct ctl_args *a, const cJSON *res)
{
    static const char *known[] = {
        "sid",         "eio_sid",     "namespace", "transport",    "protocol",
        "remote_addr", "remote_port", "channels",  "connected_at", "user"};
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(res, "session");
    const cJSON *it;
    size_t i;
    int seen;

    (void)a;
    ctl_print_pair("sid", ctl_field(s, "sid"), 12);
    ctl_print_pair("eio_sid", ctl_field(s, "eio_sid"), 12);
    ctl_print_pair("namespace", ctl_field(s, "namespace"), 12);
    ctl_print_pair("transport", ctl_field(s, "transport"), 12);
    ctl_print_pair("protocol", ctl_field(s, "protocol"), 12);
    ctl_print_pair("remote", ctl_remote(s), 12);
    ctl_print_pair("user", ctl_field(s, "user"), 12);
    ctl_print_pair("channels",
                   ctl_join(cJSON_GetObjectItemCaseSensitive(s, "channels")),
                   12);
    ctl_print_pair(
        "connected_at",
        ctl_time(cJSON_GetObjectItemCaseSensitive(s, "connected_at")), 12);
    /* Fields newer daemons add. */
    cJSON_ArrayForEach(it, s)
    {
        for (seen = 0, i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            seen |= it->string && strcmp(it->string, known[i]) == 0;
        if (!seen && it->string)
            ctl_print_pair(it->string, ctl_text(it), 12);
    }
}

static void ctl_print_channels(const struct ctl_args *a, const cJSON *res)
{
    static const char *hdr[] = {"NAMESPACE", "CHANNEL", "MEMBERS"};
    struct ctl_table t = {0, 0, 0, NULL};
    const cJSON *ch;
    char *row[3];

    (void)a;
    ctl_table_header(&t, hdr, 3);
    cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(res, "channels"))
    {
        row[0] = ctl_field(ch, "namespace");
        row[1] = ctl_field(ch, "name");
        row[2] = ctl_field(ch, "members");
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t);
}

static void ctl_print_presence(const struct ctl_args *a, const cJSON *res)
{
    static const char *hdr[] = {"USER", "SOCKETS"};
    struct ctl_table t = {0, 0, 0, NULL};
    const cJSON *u;
    char *row[2];
    long n;

    (void)a;
    ctl_table_header(&t, hdr, 2);
    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(res, "users"))
    {
        row[0] = ctl_strdup(u->string);
        row[1] = ctl_text(u);
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t);
    n = ctl_count(res, "sockets");
    printf("%ld %s, %ld without a user\n", n,
           ctl_plural(n, "socket", "sockets"), ctl_count(res, "anonymous"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "truncated")))
        fprintf(stderr, "socketioctl: truncated: more users than listed\n");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "incomplete")))
        fprintf(stderr, "socketioctl: incomplete: not every node of the "
                        "fleet answered in time\n");
}

static void ctl_print_recipients(const cJSON *res)
{
    long n = ctl_count(res, "recipients");

    printf("%ld %s\n", n, ctl_plural(n, "recipient", "recipients"));
}

static void ctl_print_emit(const struct ctl_args *a, const cJSON *res)
{
    static const char *hdr[] = {"SID", "ACK"};
    struct ctl_table t = {0, 0, 0, NULL};
    const cJSON *acks, *tos, *it;
    char *row[2];
    long n;

    if (!a->ack) {
        ctl_print_recipients(res);
        return;
    }
    if (a->to) {
        row[0] = ctl_field(res, "args");
        printf("ack from %s: %s\n", a->to, row[0]);
        free(row[0]);
        return;
    }
    acks = cJSON_GetObjectItemCaseSensitive(res, "acks");
    tos = cJSON_GetObjectItemCaseSensitive(res, "timeouts");
    n = ctl_count(res, "recipients");
    printf("%ld %s, %d acked, %d timed out\n", n,
           ctl_plural(n, "recipient", "recipients"), cJSON_GetArraySize(acks),
           cJSON_GetArraySize(tos));
    if (cJSON_GetArraySize(acks) + cJSON_GetArraySize(tos) == 0)
        return;
    ctl_table_header(&t, hdr, 2);
    cJSON_ArrayForEach(it, acks)
    {
        row[0] = ctl_strdup(it->string ? it->string : "-");
        row[1] = ctl_text(it);
        ctl_table_row(&t, row);
    }
    cJSON_ArrayForEach(it, tos)
    {
        row[0] = ctl_text(it);
        row[1] = ctl_strdup("(timeout)");
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t);
}

static void ctl_print_send(const struct ctl_args *a, const cJSON *res)
{
    (void)a;
    ctl_print_recipients(res);
}

static void ctl_print_membership(const struct ctl_args *a, const cJSON *res)
{
    char *sid = ctl_field(res, "sid");
    char *chans = ctl_join(cJSON_GetObjectItemCaseSensitive(res, "channels"));

    (void)a;
    /* A socket of another node: its node did it, and did not list them. */
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "remote")))
        printf("%s (on another node): done\n", sid);
    else
        printf("%s channels: %s\n", sid, chans);
    free(sid);
    free(chans);
}

static void ctl_print_disconnect(const struct ctl_args *a, const cJSON *res)
{
    char *sid = ctl_field(res, "sid");

    (void)a;
    printf("disconnected %s\n", sid);
    free(sid);
}

/* Under --workers, one row per worker after the totals. */
static void ctl_print_workers(const cJSON *workers)
{
    static const char *hdr[] = {"WORKER",  "PID",         "ROUTE",
                                "UPTIME",  "CONNECTIONS", "SESSIONS",
                                "SOCKETS", "MESSAGES_IN", "MESSAGES_OUT"};
    struct ctl_table t = {0, 0, 0, NULL};
    const cJSON *w;
    char *row[9];

    ctl_table_header(&t, hdr, 9);
    cJSON_ArrayForEach(w, workers)
    {
        row[0] = ctl_field(w, "worker");
        row[1] = ctl_field(w, "pid");
        row[2] = ctl_field(w, "route");
        row[3] = ctl_duration(cJSON_GetObjectItemCaseSensitive(w, "uptime"));
        row[4] = ctl_field(w, "connections");
        row[5] = ctl_field(w, "sessions");
        row[6] = ctl_field(w, "sockets");
        row[7] = ctl_field(w, "messages_in");
        row[8] = ctl_field(w, "messages_out");
        ctl_table_row(&t, row);
    }
    printf("\n");
    ctl_table_print(&t);
}

static void ctl_print_stats(const struct ctl_args *a, const cJSON *res)
{
    const cJSON *it,
        *workers = cJSON_GetObjectItemCaseSensitive(res, "workers");
    int w = 0, n;
    char *missing;

    (void)a;
    cJSON_ArrayForEach(it, res)
    {
        n = it->string ? (int)strlen(it->string) : 0;
        if (n > w)
            w = n;
    }
    cJSON_ArrayForEach(it, res)
    {
        if (it->string == NULL || (workers != NULL && it == workers) ||
            strcmp(it->string, "missing") == 0 ||
            strcmp(it->string, "incomplete") == 0)
            continue;
        ctl_print_pair(it->string,
                       strcmp(it->string, "uptime") == 0 ? ctl_duration(it)
                                                         : ctl_text(it),
                       w);
    }
    if (cJSON_IsArray(workers))
        ctl_print_workers(workers);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "incomplete"))) {
        missing = ctl_text(cJSON_GetObjectItemCaseSensitive(res, "missing"));
        fprintf(stderr,
                "socketioctl: incomplete: worker(s) %s did not answer in "
                "time; the totals leave them out\n",
                missing);
        free(missing);
    }
}

/* ---- Request builders, one per command ------------------------------ */

/* A command-line value as JSON: itself when it parses, else a string. */
static cJSON *ctl_json_arg(const char *s)
{
    cJSON *v = cJSON_ParseWithOpts(s, NULL, 1);

    return v ? v : ctl_check(cJSON_CreateString(s));
}

static cJSON *ctl_params(void) { return ctl_check(cJSON_CreateObject()); }

static void ctl_add_str(cJSON *o, const char *key, const char *value)
{
    if (value != NULL)
        ctl_check(cJSON_AddStringToObject(o, key, value));
}

/* namespace, channel | to, except */
static void ctl_add_target(cJSON *p, const struct ctl_args *a)
{
    ctl_add_str(p, "namespace", a->nsp);
    ctl_add_str(p, "channel", a->channel);
    ctl_add_str(p, "to", a->to);
    ctl_add_str(p, "except", a->except);
    ctl_add_str(p, "user", a->user);
}

static cJSON *ctl_build_filter(const struct ctl_args *a)
{
    cJSON *p = ctl_params();

    ctl_add_str(p, "namespace", a->nsp);
    ctl_add_str(p, "channel", a->channel);
    ctl_add_str(p, "user", a->user);
    return p;
}

static cJSON *ctl_build_presence(const struct ctl_args *a)
{
    cJSON *p = ctl_params();

    ctl_add_str(p, "namespace", a->nsp);
    ctl_add_str(p, "channel", a->npos > 0 ? a->pos[0] : NULL);
    return p;
}

static cJSON *ctl_build_sid(const struct ctl_args *a)
{
    cJSON *p = ctl_params();

    ctl_add_str(p, "sid", a->pos[0]);
    ctl_add_str(p, "namespace", a->nsp);
    return p;
}

static cJSON *ctl_build_sid_channel(const struct ctl_args *a)
{
    cJSON *p = ctl_params();

    ctl_add_str(p, "sid", a->pos[0]);
    ctl_add_str(p, "channel", a->pos[1]);
    ctl_add_str(p, "namespace", a->nsp);
    return p;
}

static cJSON *ctl_build_emit(const struct ctl_args *a)
{
    cJSON *p = ctl_params(), *args;
    int i;

    ctl_add_str(p, "event", a->pos[0]);
    args = ctl_check(cJSON_AddArrayToObject(p, "args"));
    for (i = 1; i < a->npos; i++)
        cJSON_AddItemToArray(args, ctl_json_arg(a->pos[i]));
    ctl_add_target(p, a);
    if (a->ack)
        ctl_check(cJSON_AddTrueToObject(p, "ack"));
    if (a->timeout_ms >= 0)
        ctl_check(cJSON_AddNumberToObject(p, "timeout", (double)a->timeout_ms));
    return p;
}

static cJSON *ctl_build_send(const struct ctl_args *a)
{
    cJSON *p = ctl_params();

    cJSON_AddItemToObject(p, "message", ctl_json_arg(a->pos[0]));
    ctl_add_target(p, a);
    return p;
}

static cJSON *ctl_build_empty(const struct ctl_args *a)
{
    (void)a;
    return ctl_params();
}

#define CTL_TARGET                                                             \
    (CTL_O_NAMESPACE | CTL_O_CHANNEL | CTL_O_TO | CTL_O_EXCEPT | CTL_O_USER)

static const struct ctl_cmd ctl_cmds[] = {
    {"sessions", "sessions [--namespace N] [--channel C | --user U] [--local]",
     CTL_O_NAMESPACE | CTL_O_CHANNEL | CTL_O_USER | CTL_O_LOCAL, 0, 0,
     ctl_build_filter, ctl_print_sessions},
    {"session", "session SID [--namespace N] [--local]",
     CTL_O_NAMESPACE | CTL_O_LOCAL, 1, 1, ctl_build_sid, ctl_print_session},
    {"channels", "channels [--namespace N] [--local]",
     CTL_O_NAMESPACE | CTL_O_LOCAL, 0, 0, ctl_build_filter, ctl_print_channels},
    {"emit",
     "emit EVENT [ARG_JSON...] [--namespace N]\n"
     "           [--channel C | --to SID | --user U]\n"
     "           [--except SID] [--ack] [--timeout MS] [--local]",
     CTL_TARGET | CTL_O_ACK | CTL_O_TIMEOUT | CTL_O_LOCAL, 1, -1,
     ctl_build_emit, ctl_print_emit},
    {"send",
     "send MESSAGE_JSON [--namespace N] [--channel C | --to SID | --user U]\n"
     "           [--except SID] [--local]",
     CTL_TARGET | CTL_O_LOCAL, 1, 1, ctl_build_send, ctl_print_send},
    {"join", "join SID CHANNEL [--namespace N] [--local]",
     CTL_O_NAMESPACE | CTL_O_LOCAL, 2, 2, ctl_build_sid_channel,
     ctl_print_membership},
    {"leave", "leave SID CHANNEL [--namespace N] [--local]",
     CTL_O_NAMESPACE | CTL_O_LOCAL, 2, 2, ctl_build_sid_channel,
     ctl_print_membership},
    {"disconnect", "disconnect SID [--namespace N] [--local]",
     CTL_O_NAMESPACE | CTL_O_LOCAL, 1, 1, ctl_build_sid, ctl_print_disconnect},
    {"presence", "presence [CHANNEL] [--namespace N] [--local]",
     CTL_O_NAMESPACE | CTL_O_LOCAL, 0, 1, ctl_build_presence,
     ctl_print_presence},
    {"stats", "stats [--local]", CTL_O_LOCAL, 0, 0, ctl_build_empty,
     ctl_print_stats},
};

#define CTL_NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

/* ---- Command line --------------------------------------------------- */

static void ctl_usage(FILE *f)
{
    size_t i;

    fprintf(f,
            "usage: socketioctl [-s PATH] [--json] [--timeout MS] COMMAND "
            "[args]\n"
            "\n"
            "  -s, --socket PATH  control socket (default $SOCKETIOD_RPC, "
            "else\n"
            "                     %s)\n"
            "      --json         print the raw result JSON (errors too, as\n"
            "                     {\"error\":{...}} on stderr)\n"
            "      --timeout MS   wait this long for the reply (default "
            "%d; 0: forever)\n"
            "  -h, --help         this text;  -V, --version\n"
            "\ncommands:\n",
            rpc_default_path(1), CTL_DEFAULT_WAIT);
    for (i = 0; i < CTL_NCMDS; i++)
        fprintf(f, "  %s\n", ctl_cmds[i].usage);
    fprintf(f, "  log [--db FILE] [-f] [-n N] [--sid SID] [--channel C] "
               "[--event E]\n"
               "      [--since T] [--until T] [--json | --lines]   (the "
               "message log)\n");
    fprintf(f, "\nAn ARG_JSON or MESSAGE_JSON that is not valid JSON is "
               "sent as a string;\nput -- before arguments that start with "
               "'-' (negative numbers).\n");
}

static void ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

static void ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ctl_error_out(0, 0, text);
    /* The usage text is for people; under --json the message is all. */
    if (!ctl_json_errors && cmd)
        fprintf(stderr, "usage: socketioctl %s\n", cmd->usage);
    else if (!ctl_json_errors)
        fprintf(stderr, "see socketioctl --help\n");
    exit(CTL_EXIT_ERROR);
}

/* A millisecond count: digits only, at most a day-ish int range. */
static long ctl_parse_ms(const struct ctl_cmd *cmd, const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > INT_MAX)
        ctl_usage_error(cmd, "bad --timeout '%s' (milliseconds)", s);
    return v;
}

static const struct ctl_cmd *ctl_find(const char *name)
{
    size_t i;

    for (i = 0; i < CTL_NCMDS; i++)
        if (strcmp(ctl_cmds[i].name, name) == 0)
            return &ctl_cmds[i];
    return NULL;
}

/* Stores one command option after checking the command allows it. */
static void ctl_set_opt(const struct ctl_cmd *cmd, struct ctl_args *a, int opt,
                        const char *val)
{
    static const char *names[] = {"--namespace", "--channel", "--to",
                                  "--except",    "--ack",     "--timeout",
                                  "--local",     "--user"};
    int bit;

    if (!(cmd->opts & (unsigned)opt)) {
        for (bit = 0; (1 << bit) != opt; bit++)
            ;
        ctl_usage_error(cmd, "%s takes no %s option", cmd->name, names[bit]);
    }
    switch (opt) {
    case CTL_O_NAMESPACE:
        if (val[0] != '/')
            ctl_usage_error(cmd, "a namespace starts with '/': '%s'", val);
        a->nsp = val;
        break;
    case CTL_O_CHANNEL:
        a->channel = val;
        break;
    case CTL_O_TO:
        a->to = val;
        break;
    case CTL_O_EXCEPT:
        a->except = val;
        break;
    case CTL_O_ACK:
        a->ack = 1;
        break;
    case CTL_O_TIMEOUT:
        a->timeout_ms = ctl_parse_ms(cmd, val);
        break;
    case CTL_O_LOCAL:
        a->local = 1;
        break;
    case CTL_O_USER:
        a->user = val;
        break;
    }
}

/* Parses a command's options and positional arguments; argv[0] is the
 * command name. -s and --json are accepted here too. */
static void ctl_parse_cmd(struct ctl *c, const struct ctl_cmd *cmd, int argc,
                          char **argv, struct ctl_args *a)
{
    static const struct option longopts[] = {
        {"namespace", required_argument, NULL, CTL_O_NAMESPACE},
        {"channel", required_argument, NULL, CTL_O_CHANNEL},
        {"to", required_argument, NULL, CTL_O_TO},
        {"except", required_argument, NULL, CTL_O_EXCEPT},
        {"ack", no_argument, NULL, CTL_O_ACK},
        {"timeout", required_argument, NULL, CTL_O_TIMEOUT},
        {"local", no_argument, NULL, CTL_O_LOCAL},
        {"user", required_argument, NULL, CTL_O_USER},
        {"socket", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    memset(a, 0, sizeof(*a));
    a->timeout_ms = -1;
    argv[0] = (char *)ctl_prog; /* getopt names it in its messages */
    optind = 0;
    opterr = !ctl_json_errors; /* under --json our own message says it */
    while ((opt = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
        if (opt == 's')
            c->path = optarg;
        else if (opt == 'j')
            c->json = ctl_json_errors = 1;
        else if (opt == '?')
            ctl_usage_error(cmd, "bad option '%s' for %s", argv[optind - 1],
                            cmd->name);
        else
            ctl_set_opt(cmd, a, opt, optarg);
    }
    a->pos = argv + optind;
    a->npos = argc - optind;
    if (a->npos < cmd->min_pos || (cmd->max_pos >= 0 && a->npos > cmd->max_pos))
        ctl_usage_error(cmd, "%s: wrong number of arguments", cmd->name);
    if ((a->channel != NULL) + (a->to != NULL) + (a->user != NULL) > 1)
        ctl_usage_error(cmd, "--channel, --to and --user exclude each other");
}

/* Parses the options before COMMAND; returns the index of COMMAND. */
static int ctl_parse_global(struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    while ((opt = getopt_long(argc, argv, "+s:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            c->path = optarg;
            break;
        case 'j':
            c->json = ctl_json_errors = 1;
            break;
        case 't':
            c->wait_ms = ctl_parse_ms(NULL, optarg);
            break;
        case 'h':
            ctl_usage(stdout);
            exit(CTL_EXIT_OK);
        case 'V':
            printf("socketioctl %s\n", PACKAGE_VERSION);
            exit(CTL_EXIT_OK);
        default:
            ctl_usage_error(NULL, "bad option");
        }
    }
    if (optind >= argc)
        ctl_usage_error(NULL, "no command given");
    return optind;
}

/* An ack can take up to its timeout, so wait a little longer than that. */
static void ctl_extend_wait(struct ctl *c, const struct ctl_args *a)
{
    long need;

    if (!a->ack || c->wait_ms == 0)
        return;
    need =
        (a->timeout_ms >= 0 ? a->timeout_ms : CTL_ACK_TIMEOUT) + CTL_ACK_SLACK;
    if (c->wait_ms < need)
        c->wait_ms = need;
}

/* `socketioctl log` without --db: the daemon says where its log is. */
static char *ctl_log_locate(const char *path)
{
    struct ctl c = {path, 0, CTL_DEFAULT_WAIT};
    cJSON *params = ctl_params(), *resp;
    const cJSON *p;
    char *s = NULL;

    /* The accepting worker's own answer is enough, and asks nobody. */
    ctl_check(cJSON_AddTrueToObject(params, "local"));
    resp = ctl_call(&c, "stats", params);
    p = cJSON_GetObjectItemCaseSensitive(ctl_result(&c, resp), "message_log");

    if (cJSON_IsString(p))
        s = ctl_strdup(p->valuestring);
    else
        ctl_complain("the daemon at %s keeps no message log (see "
                     "--message-log-format); give --db FILE",
                     path);
    cJSON_Delete(resp);
    return s;
}

static void ctl_print_json(const cJSON *res)
{
    char *s = ctl_check(cJSON_PrintUnformatted(res));

    printf("%s\n", s);
    free(s);
}

int main(int argc, char **argv)
{
    struct ctl c = {NULL, 0, CTL_DEFAULT_WAIT};
    const struct ctl_cmd *cmd;
    struct ctl_args a;
    cJSON *resp, *params;
    const cJSON *res;
    int i;

    c.path = getenv("SOCKETIOD_RPC");
    if (c.path == NULL || c.path[0] == '\0')
        c.path = rpc_default_path(1);
    i = ctl_parse_global(&c, argc, argv);
    if (strcmp(argv[i], "help") == 0) {
        ctl_usage(stdout);
        return CTL_EXIT_OK;
    }
    if (strcmp(argv[i], "log") == 0) /* reads the database, not the RPC */
        return ctllog_main(argc - i, argv + i, c.json, c.path, ctl_log_locate);
    cmd = ctl_find(argv[i]);
    if (cmd == NULL)
        ctl_usage_error(NULL, "unknown command '%s'", argv[i]);
    ctl_parse_cmd(&c, cmd, argc - i, argv + i, &a);
    ctl_extend_wait(&c, &a);

    params = cmd->build(&a);
    if (a.local)
        ctl_check(cJSON_AddTrueToObject(params, "local"));
    resp = ctl_call(&c, cmd->name, params);
    res = ctl_result(&c, resp);
    if (c.json)
        ctl_print_json(res);
    else
        cmd->print(&a, res);
    cJSON_Delete(resp);
    if (fflush(stdout) != 0 || ferror(stdout))
        ctl_die(CTL_EXIT_ERROR, "write error on standard output");
    return CTL_EXIT_OK;
}
