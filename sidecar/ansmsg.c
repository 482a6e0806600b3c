/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ansmsg: pure codec of the classic adapter's requests as the node that
 * answers them reads them, and of its answers (docs/scale-out.md). */
#include "ansmsg.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonv.h"
#include "sio.h"

/* ---- requests ---- */

/* The lists a request names, in the order of s->ptrs. */
enum { ANSMSG_ROOMS, ANSMSG_EXCEPT, ANSMSG_NAMES, ANSMSG_NLISTS };

/* One name of a list: which list, where in s->names. */
struct ansmsg_off {
    int list;
    size_t off;
};

static int ansmsg_is(const struct mpk_item *it, const char *s)
{
    return it->type == MPK_STR && it->len == strlen(s) &&
           memcmp(it->p, s, it->len) == 0;
}

/* Copies a valid, non-empty name of at most `max` bytes (0: any) into
 * s->names with its NUL; *off says where. */
static int ansmsg_name(struct ansmsg_scratch *s, const struct mpk_item *it,
                       size_t max, size_t *off)
{
    *off = s->names.len;
    if (it->type != MPK_STR || it->len == 0 || (max && it->len > max) ||
        !sio_name_valid(it->p, it->len) ||
        buf_append(&s->names, it->p, it->len) != 0 ||
        buf_putc(&s->names, '\0') != 0)
        return -1;
    return 0;
}

/* A string value of at most `max` bytes into *off. */
static int ansmsg_scalar(const char **p, const char *end,
                         struct ansmsg_scratch *s, size_t max, size_t *off)
{
    struct mpk_item it;

    return mpk_read(p, end, &it) != 0 ? -1 : ansmsg_name(s, &it, max, off);
}

/* A list of names (nil: none) appended to list `list`; counts[list]. */
static int ansmsg_list(const char **p, const char *end,
                       struct ansmsg_scratch *s, int list, size_t *counts)
{
    struct ansmsg_off o;
    struct mpk_item it;
    uint32_t i, n;

    if (mpk_read(p, end, &it) != 0)
        return -1;
    if (it.type == MPK_NIL)
        return 0;
    if (it.type != MPK_ARRAY || counts[list] + it.len > ANSMSG_MAX_NAMES)
        return -1;
    n = it.len;
    o.list = list;
    for (i = 0; i < n; i++) {
        if (mpk_read(p, end, &it) != 0 || ansmsg_name(s, &it, 0, &o.off) != 0 ||
            buf_append(&s->offs, &o, sizeof o) != 0)
            return -1;
        counts[list]++;
    }
    return 0;
}

/* opts.flags: volatile, timeout; others skipped. */
static int ansmsg_flags(const char **p, const char *end, struct ansmsg_req *r)
{
    struct mpk_item it, key;
    uint32_t i, n;

    if (mpk_read(p, end, &it) != 0)
        return -1;
    if (it.type == MPK_NIL)
        return 0;
    if (it.type != MPK_MAP)
        return -1;
    n = it.len;
    for (i = 0; i < n; i++) {
        if (mpk_read(p, end, &key) != 0)
            return -1;
        if (!ansmsg_is(&key, "volatile") && !ansmsg_is(&key, "timeout")) {
            if (mpk_skip(p, end) != 0)
                return -1;
            continue;
        }
        if (mpk_read(p, end, &it) != 0 || it.type == MPK_ARRAY ||
            it.type == MPK_MAP)
            return -1;
        if (ansmsg_is(&key, "volatile") && it.type == MPK_BOOL && it.b)
            r->flags |= ADAPTER_F_VOLATILE;
        else if (ansmsg_is(&key, "timeout") && it.type == MPK_INT)
            r->timeout_ms = it.i < 0 ? 0 : it.i;
        else if (ansmsg_is(&key, "timeout") && it.type == MPK_UINT)
            r->timeout_ms = INT64_MAX;
        else if (ansmsg_is(&key, "timeout") && it.type == MPK_FLOAT)
            r->timeout_ms = !(it.f > 0)   ? 0
                            : it.f > 1e15 ? (int64_t)1e15
                                          : (int64_t)it.f;
    }
    return 0;
}

static int ansmsg_opts(const char **p, const char *end,
                       struct ansmsg_scratch *s, struct ansmsg_req *r,
                       size_t *counts)
{
    struct mpk_item it, key;
    uint32_t i, n;

    if (mpk_read(p, end, &it) != 0)
        return -1;
    if (it.type == MPK_NIL)
        return 0;
    if (it.type != MPK_MAP)
        return -1;
    r->has_opts = 1;
    n = it.len;
    for (i = 0; i < n; i++) {
        if (mpk_read(p, end, &key) != 0)
            return -1;
        if (ansmsg_is(&key, "rooms")) {
            if (ansmsg_list(p, end, s, ANSMSG_ROOMS, counts) != 0)
                return -1;
        } else if (ansmsg_is(&key, "except")) {
            if (ansmsg_list(p, end, s, ANSMSG_EXCEPT, counts) != 0)
                return -1;
        } else if (ansmsg_is(&key, "flags")) {
            if (ansmsg_flags(p, end, r) != 0)
                return -1;
        } else if (mpk_skip(p, end) != 0) {
            return -1;
        }
    }
    return 0;
}

/* [event, args...] as JSON into s->json (binaries into s->bins). */
static int ansmsg_data(const char **p, const char *end,
                       struct ansmsg_scratch *s)
{
    const char *q = *p;
    struct mpk_item it;

    if (mpk_read(&q, end, &it) != 0 || it.type != MPK_ARRAY || it.len == 0 ||
        mpk_read(&q, end, &it) != 0 || it.type != MPK_STR ||
        !sio_name_valid(it.p, it.len))
        return -1;
    buf_reset(&s->json);
    buf_reset(&s->bins);
    return mpk_to_json(p, end, &s->json, &s->bins) != 0 ||
                   buf_putc(&s->json, '\0') != 0
               ? -1
               : 0;
}

/* BROADCAST's packet: its data; type and nsp are the channel's. */
static int ansmsg_packet(const char **p, const char *end,
                         struct ansmsg_scratch *s, int *have_data)
{
    struct mpk_item it, key;
    uint32_t i, n;

    if (mpk_read(p, end, &it) != 0 || it.type != MPK_MAP)
        return -1;
    n = it.len;
    for (i = 0; i < n; i++) {
        if (mpk_read(p, end, &key) != 0)
            return -1;
        if (ansmsg_is(&key, "data")) {
            if (ansmsg_data(p, end, s) != 0)
                return -1;
            *have_data = 1;
        } else if (mpk_skip(p, end) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Every key of the request's map. offs[]: uid, requestId, sid, room
 * ((size_t)-1 when absent). */
static int ansmsg_map(const char **p, const char *end, struct ansmsg_scratch *s,
                      struct ansmsg_req *r, size_t *counts, size_t *offs,
                      int *have_data, const char **why)
{
    static const char *const scalars[] = {"uid", "requestId", "sid", "room"};
    struct mpk_item it, key;
    uint32_t i, n;
    size_t k;

    *why = "not a map";
    if (mpk_read(p, end, &it) != 0 || it.type != MPK_MAP)
        return -1;
    n = it.len;
    for (i = 0; i < n; i++) {
        *why = "malformed";
        if (mpk_read(p, end, &key) != 0)
            return -1;
        for (k = 0; k < 4 && !ansmsg_is(&key, scalars[k]); k++)
            ;
        if (k < 4) {
            *why = "bad uid, requestId, sid or room";
            if (ansmsg_scalar(p, end, s, k < 3 ? ANSMSG_MAX_ID : 0, &offs[k]) !=
                0)
                return -1;
        } else if (ansmsg_is(&key, "type")) {
            *why = "bad type";
            if (mpk_read(p, end, &it) != 0 || it.type != MPK_INT ||
                it.i < ADAPTER_REQ_SOCKETS || it.i > ADAPTER_REQ_BROADCAST_ACK)
                return -1;
            r->type = (int)it.i;
        } else if (ansmsg_is(&key, "rooms")) {
            *why = "bad rooms";
            if (ansmsg_list(p, end, s, ANSMSG_NAMES, counts) != 0)
                return -1;
        } else if (ansmsg_is(&key, "opts")) {
            *why = "bad opts";
            if (ansmsg_opts(p, end, s, r, counts) != 0)
                return -1;
        } else if (ansmsg_is(&key, "close")) {
            if (mpk_read(p, end, &it) != 0 || it.type == MPK_ARRAY ||
                it.type == MPK_MAP)
                return -1;
            r->close = it.type == MPK_BOOL && it.b;
        } else if (ansmsg_is(&key, "data")) {
            *why = "bad data";
            if (ansmsg_data(p, end, s) != 0)
                return -1;
            *have_data = 1;
        } else if (ansmsg_is(&key, "packet")) {
            *why = "bad packet";
            if (ansmsg_packet(p, end, s, have_data) != 0)
                return -1;
        } else if (mpk_skip(p, end) != 0) {
            return -1;
        }
    }
    return 0;
}

/* What each type needs. */
static const char *ansmsg_check(const struct ansmsg_req *r, int have_data)
{
    switch (r->type) {
    case -1:
        return "no type";
    case ADAPTER_REQ_SOCKETS:
    case ADAPTER_REQ_ALL_ROOMS:
    case ADAPTER_REQ_REMOTE_FETCH:
        return r->request_id ? NULL : "no requestId";
    case ADAPTER_REQ_REMOTE_JOIN:
    case ADAPTER_REQ_REMOTE_LEAVE:
        return r->has_opts || (r->sid && r->room) ? NULL : "no opts nor sid";
    case ADAPTER_REQ_REMOTE_DISCONNECT:
        return r->has_opts || r->sid ? NULL : "no opts nor sid";
    case ADAPTER_REQ_SERVER_SIDE_EMIT:
        return have_data ? NULL : "no data";
    case ADAPTER_REQ_BROADCAST:
        return have_data && r->request_id ? NULL : "no packet or requestId";
    default:
        return NULL;
    }
}

int ansmsg_decode(const char *msg, size_t len, struct ansmsg_req *r,
                  struct ansmsg_scratch *s, const char **why)
{
    size_t offs[4] = {(size_t)-1, (size_t)-1, (size_t)-1, (size_t)-1};
    size_t counts[ANSMSG_NLISTS] = {0}, at[ANSMSG_NLISTS], i, n;
    const char *p = msg, *end = msg + len, **ptrs, *names;
    const struct ansmsg_off *o;
    int have_data = 0;

    memset(r, 0, sizeof *r);
    r->type = -1;
    r->timeout_ms = -1;
    buf_reset(&s->names);
    buf_reset(&s->offs);
    buf_reset(&s->json);
    buf_reset(&s->bins);
    if (len > 0 && msg[0] == '{') {
        /* JSON: the same keys, read through its MessagePack form. */
        /* cJSON, under mpk_from_json, cuts a string at "\u0000": a name
         * would silently become another. */
        *why = "not JSON, or a \\u0000";
        buf_reset(&s->mp);
        if (!jsonv_valid(msg, len) || memmem(msg, len, "\\u0000", 6) ||
            mpk_from_json(&s->mp, msg, len, NULL, 0) != 0)
            return -1;
        p = s->mp.data;
        end = s->mp.data + s->mp.len;
    }
    if (ansmsg_map(&p, end, s, r, counts, offs, &have_data, why) != 0)
        return -1;
    if (p != end) {
        *why = "bytes after the request";
        return -1;
    }
    if (r->type == ADAPTER_REQ_SOCKETS) {
        /* SOCKETS' own "rooms" are its audience. */
        counts[ANSMSG_ROOMS] += counts[ANSMSG_NAMES];
        counts[ANSMSG_NAMES] = 0;
        if (counts[ANSMSG_ROOMS] > ANSMSG_MAX_NAMES) {
            *why = "bad rooms";
            return -1;
        }
    }
    n = s->offs.len / sizeof *o;
    buf_reset(&s->ptrs);
    *why = "out of memory";
    if (buf_reserve(&s->ptrs, (n + 1) * sizeof *ptrs) != 0)
        return -1;
    ptrs = (const char **)(void *)s->ptrs.data;
    names = s->names.data;
    at[ANSMSG_ROOMS] = 0;
    at[ANSMSG_EXCEPT] = counts[ANSMSG_ROOMS];
    at[ANSMSG_NAMES] = at[ANSMSG_EXCEPT] + counts[ANSMSG_EXCEPT];
    for (i = 0; i < n; i++) {
        o = (const struct ansmsg_off *)(void *)(s->offs.data + i * sizeof *o);
        ptrs[at[r->type == ADAPTER_REQ_SOCKETS && o->list == ANSMSG_NAMES
                    ? ANSMSG_ROOMS
                    : o->list]++] = names + o->off;
    }
    r->rooms = ptrs;
    r->nrooms = counts[ANSMSG_ROOMS];
    r->except = ptrs + counts[ANSMSG_ROOMS];
    r->nexcept = counts[ANSMSG_EXCEPT];
    r->names = r->except + r->nexcept;
    r->nnames = counts[ANSMSG_NAMES];
    r->uid = offs[0] != (size_t)-1 ? names + offs[0] : NULL;
    r->request_id = offs[1] != (size_t)-1 ? names + offs[1] : NULL;
    r->sid = offs[2] != (size_t)-1 ? names + offs[2] : NULL;
    r->room = offs[3] != (size_t)-1 ? names + offs[3] : NULL;
    if (have_data) {
        r->json = s->json.data;
        r->json_len = s->json.len - 1;
        r->bins = (const struct mpk_bin *)(void *)s->bins.data;
        r->nbins = s->bins.len / sizeof(struct mpk_bin);
    }
    if ((*why = ansmsg_check(r, have_data)) != NULL)
        return -1;
    return 0;
}

void ansmsg_scratch_free(struct ansmsg_scratch *s)
{
    buf_free(&s->mp);
    buf_free(&s->json);
    buf_free(&s->bins);
    buf_free(&s->names);
    buf_free(&s->offs);
    buf_free(&s->ptrs);
}

/* ---- answers ---- */

/* Bytes of the well-formed UTF-8 character at p (before p + left): 1 to
 * 4, or 0 when it is none (overlong, a surrogate, past U+10FFFF, cut). */
static size_t ansmsg_utf8(const unsigned char *p, size_t left)
{
    size_t n, i;
    uint32_t c;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2, c = p[0] & 0x1f;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3, c = p[0] & 0x0f;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4, c = p[0] & 0x07;
    else
        return 0;
    if (n > left)
        return 0;
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
        (n == 4 && (c < 0x10000 || c > 0x10ffff)))
        return 0;
    return n;
}

/* A JSON string literal of s[0..len). */
static int ansmsg_jstr(struct buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;
    int rc = buf_putc(out, '"');

    while (rc == 0 && i < len) {
        if (p[i] == '"' || p[i] == '\\') {
            rc = buf_putc(out, '\\') | buf_putc(out, (char)p[i]);
            i++;
        } else if (p[i] < 0x20) {
            rc = buf_printf(out, "\\u%04x", p[i]);
            i++;
        } else if ((n = ansmsg_utf8(p + i, len - i)) == 0) {
            rc = buf_puts(out, "\\ufffd");
            i++;
        } else {
            rc = buf_append(out, p + i, n);
            i += n;
        }
    }
    return rc != 0 || buf_putc(out, '"') != 0 ? -1 : 0;
}

static int ansmsg_jstrz(struct buf *out, const char *s)
{
    return ansmsg_jstr(out, s, strlen(s));
}

int ansmsg_list_open(struct buf *out, const char *request_id, const char *field)
{
    return buf_puts(out, "{\"requestId\":") != 0 ||
                   ansmsg_jstrz(out, request_id) != 0 ||
                   buf_putc(out, ',') != 0 || ansmsg_jstrz(out, field) != 0 ||
                   buf_puts(out, ":[") != 0
               ? -1
               : 0;
}

/* A comma unless the list was just opened. */
static int ansmsg_comma(struct buf *out)
{
    return out->len > 0 && out->data[out->len - 1] != '[' ? buf_putc(out, ',')
                                                          : 0;
}

int ansmsg_list_add(struct buf *out, const char *s)
{
    return ansmsg_comma(out) != 0 ? -1 : ansmsg_jstrz(out, s);
}

int ansmsg_list_close(struct buf *out) { return buf_puts(out, "]}"); }

/* The value of handshake key `key` in meta, or NULL. */
static const char *ansmsg_meta(const char *meta, const char *key)
{
    size_t klen = strlen(key);

    for (; meta != NULL && *meta; meta += strlen(meta) + 1)
        if (strncmp(meta, key, klen) == 0 && meta[klen] == '=')
            return meta + klen + 1;
    return NULL;
}

/* "headers": the HTTP_* values, named as Node names them (lower case,
 * dashes), less the credentials. */
static int ansmsg_headers(struct buf *out, const char *meta)
{
    char name[128];
    const char *eq;
    size_t i, n;
    int first = 1;

    if (buf_puts(out, "\"headers\":{") != 0)
        return -1;
    for (; meta != NULL && *meta; meta += strlen(meta) + 1) {
        if (strncmp(meta, "HTTP_", 5) != 0 ||
            (eq = strchr(meta, '=')) == NULL ||
            (n = (size_t)(eq - meta) - 5) == 0 || n >= sizeof name ||
            strncmp(meta, "HTTP_COOKIE=", 12) == 0 ||
            strncmp(meta, "HTTP_AUTHORIZATION=", 19) == 0)
            continue;
        for (i = 0; i < n; i++) {
            char c = meta[5 + i];
            name[i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? c + 32 : c;
        }
        if ((!first && buf_putc(out, ',') != 0) ||
            ansmsg_jstr(out, name, n) != 0 || buf_putc(out, ':') != 0 ||
            ansmsg_jstrz(out, eq + 1) != 0)
            return -1;
        first = 0;
    }
    return buf_putc(out, '}');
}

static int ansmsg_hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* s[0..len) percent-decoded ('+' a space, as Node's querystring) as a
 * JSON string. */
static int ansmsg_unescaped(struct buf *out, const char *s, size_t len)
{
    char tmp[256], *d = tmp;
    size_t i, o = 0;
    int hi, lo, rc;
    struct buf big = BUF_INIT;

    if (len > sizeof tmp) {
        if (buf_reserve(&big, len) != 0)
            return -1;
        d = big.data;
    }
    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && (hi = ansmsg_hex(s[i + 1])) >= 0 &&
            (lo = ansmsg_hex(s[i + 2])) >= 0) {
            d[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    rc = ansmsg_jstr(out, d, o);
    buf_free(&big);
    return rc;
}

/* "query": the query string as an object (a repeated key: its last value
 * wins, where Node gives an array). */
static int ansmsg_query(struct buf *out, const char *q)
{
    const char *amp, *eq;
    size_t n;
    int first = 1;

    if (buf_puts(out, "\"query\":{") != 0)
        return -1;
    for (; q != NULL && *q; q = *amp ? amp + 1 : amp) {
        amp = strchr(q, '&');
        if (amp == NULL)
            amp = q + strlen(q);
        n = (size_t)(amp - q);
        eq = memchr(q, '=', n);
        if (n == 0 || eq == q)
            continue;
        if ((!first && buf_putc(out, ',') != 0) ||
            ansmsg_unescaped(out, q, eq ? (size_t)(eq - q) : n) != 0 ||
            buf_putc(out, ':') != 0 ||
            ansmsg_unescaped(out, eq ? eq + 1 : amp,
                             eq ? (size_t)(amp - eq - 1) : 0) != 0)
            return -1;
        first = 0;
    }
    return buf_putc(out, '}');
}

/* Date.prototype.toString() of a UTC time: "Thu Dec 03 2026 15:40:03
 * GMT+0000 (Coordinated Universal Time)" (Node gives its local time). */
static int ansmsg_time(struct buf *out, uint64_t ms)
{
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        return buf_puts(out, "\"time\":\"\"");
    return buf_printf(out,
                      "\"time\":\"%.3s %.3s %02d %04d %02d:%02d:%02d GMT+0000 "
                      "(Coordinated Universal Time)\"",
                      days + 3 * tm.tm_wday, months + 3 * tm.tm_mon, tm.tm_mday,
                      tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* JSON text `v` when it is strict JSON (an object if `object`), else {}. */
static int ansmsg_raw(struct buf *out, const char *v, size_t len, int object)
{
    size_t i = 0;

    while (v != NULL && i < len && strchr(" \t\r\n", v[i]) != NULL)
        i++;
    if (v == NULL || i == len || (object && v[i] != '{') ||
        !jsonv_valid(v, len))
        return buf_puts(out, "{}");
    return buf_append(out, v, len);
}

int ansmsg_fetch_socket(struct buf *out, const struct ansmsg_socket *s)
{
    const char *addr = ansmsg_meta(s->meta, "REMOTE_ADDR");
    const char *query = ansmsg_meta(s->meta, "QUERY_STRING");
    const char *https = ansmsg_meta(s->meta, "HTTPS");
    struct buf url = BUF_INIT;
    size_t i;
    int rc;

    rc = buf_printf(&url, "%s?%s", s->path ? s->path : "/socket.io/",
                    query ? query : "");
    rc = rc != 0 || ansmsg_comma(out) != 0 || buf_puts(out, "{\"id\":") != 0 ||
         ansmsg_jstrz(out, s->id) != 0 ||
         buf_puts(out, ",\"handshake\":{") != 0 ||
         ansmsg_headers(out, s->meta) != 0 || buf_putc(out, ',') != 0 ||
         ansmsg_time(out, s->issued_ms) != 0 ||
         buf_puts(out, ",\"address\":") != 0 ||
         ansmsg_jstrz(out, addr ? addr : "") != 0 ||
         buf_printf(out, ",\"xdomain\":%s,\"secure\":%s,\"issued\":%llu",
                    ansmsg_meta(s->meta, "HTTP_ORIGIN") ? "true" : "false",
                    https && strcmp(https, "on") == 0 ? "true" : "false",
                    (unsigned long long)s->issued_ms) != 0 ||
         buf_puts(out, ",\"url\":") != 0 ||
         ansmsg_jstr(out, url.data, url.len) != 0 || buf_putc(out, ',') != 0 ||
         ansmsg_query(out, query) != 0 || buf_puts(out, ",\"auth\":") != 0 ||
         ansmsg_raw(out, s->auth, s->auth_len, 1) != 0 ||
         buf_puts(out, "},\"rooms\":[") != 0;
    for (i = 0; rc == 0 && i < s->nrooms; i++)
        rc = (i > 0 && buf_putc(out, ',') != 0) ||
             ansmsg_jstrz(out, s->rooms[i]) != 0;
    rc = rc != 0 || buf_puts(out, "],\"data\":") != 0 ||
         ansmsg_raw(out, s->data, s->data_len, 0) != 0 ||
         buf_putc(out, '}') != 0;
    buf_free(&url);
    return rc ? -1 : 0;
}

int ansmsg_done(struct buf *out, const char *request_id)
{
    return buf_puts(out, "{\"requestId\":") != 0 ||
                   ansmsg_jstrz(out, request_id) != 0 || buf_putc(out, '}') != 0
               ? -1
               : 0;
}

int ansmsg_emit_ack(struct buf *out, const char *request_id)
{
    return buf_printf(out, "{\"type\":%d,\"requestId\":",
                      ADAPTER_REQ_SERVER_SIDE_EMIT) != 0 ||
                   ansmsg_jstrz(out, request_id) != 0 ||
                   buf_puts(out, ",\"data\":null}") != 0
               ? -1
               : 0;
}

int ansmsg_client_count(struct buf *out, const char *request_id, long n)
{
    return buf_printf(out, "{\"type\":%d,\"requestId\":",
                      ADAPTER_REQ_BROADCAST_CLIENT_COUNT) != 0 ||
                   ansmsg_jstrz(out, request_id) != 0 ||
                   buf_printf(out, ",\"clientCount\":%ld}", n) != 0
               ? -1
               : 0;
}

int ansmsg_broadcast_ack(struct buf *out, const char *request_id,
                         const char *json, size_t len,
                         struct frame *const *attach, unsigned nattach)
{
    size_t i = 0;
    long first;

    while (i < len && strchr(" \t\r\n", json[i]) != NULL)
        i++;
    if (i == len || json[i] != '[')
        return -1;
    for (i++; i < len && strchr(" \t\r\n", json[i]) != NULL; i++)
        ;
    if (i == len)
        return -1;
    first = json[i] == ']' ? 0 : jsonv_value(json + i, len - i);
    if (first < 0)
        return -1;
    if (mpk_put_map(out, first ? 3 : 2) != 0 ||
        mpk_put_str(out, "type", 4) != 0 ||
        mpk_put_int(out, ADAPTER_REQ_BROADCAST_ACK) != 0 ||
        mpk_put_str(out, "requestId", 9) != 0 ||
        mpk_put_str(out, request_id, strlen(request_id)) != 0)
        return -1;
    if (first == 0)
        return 0;
    return mpk_put_str(out, "packet", 6) != 0 ||
                   mpk_from_json(out, json + i, (size_t)first, attach,
                                 nattach) != 0
               ? -1
               : 0;
}
