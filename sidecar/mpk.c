/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* mpk: pure MessagePack reader and writer, and MessagePack <-> Socket.IO
 * JSON (binary values as attachments), for the Redis adapter's messages. */
#include "mpk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "ws.h"

/* Big-endian loads of n bytes. */
static uint64_t mpk_be(const unsigned char *s, unsigned n)
{
    uint64_t v = 0;

    while (n-- > 0)
        v = v << 8 | *s++;
    return v;
}

/* Takes a length of `lb` bytes then that many bytes of payload. */
static int mpk_take(const char **p, const char *end, unsigned lb,
                    struct mpk_item *it)
{
    uint64_t n;

    if ((size_t)(end - *p) < lb)
        return -1;
    n = mpk_be((const unsigned char *)*p, lb);
    *p += lb;
    if (n > (uint64_t)(end - *p))
        return -1;
    it->p = *p;
    it->len = (uint32_t)n;
    *p += n;
    return 0;
}

/* A count of `lb` bytes for an array (per = 1) or a map (per = 2). */
static int mpk_count(const char **p, const char *end, unsigned lb, unsigned per,
                     struct mpk_item *it)
{
    uint64_t n;

    if ((size_t)(end - *p) < lb)
        return -1;
    n = mpk_be((const unsigned char *)*p, lb);
    *p += lb;
    if (n * per > (uint64_t)(end - *p))
        return -1;
    it->len = (uint32_t)n;
    return 0;
}

/* A fixed-size number of n bytes. */
static int mpk_fixed(const char **p, const char *end, unsigned n, uint64_t *v)
{
    if ((size_t)(end - *p) < n)
        return -1;
    *v = mpk_be((const unsigned char *)*p, n);
    *p += n;
    return 0;
}

int mpk_read(const char **p, const char *end, struct mpk_item *it)
{
    unsigned char c;
    uint64_t v;
    float f32;
    uint32_t u32;

    memset(it, 0, sizeof *it);
    if (*p >= end)
        return -1;
    c = (unsigned char)*(*p)++;
    if (c <= 0x7f || c >= 0xe0) {
        it->type = MPK_INT;
        it->i = (int8_t)c;
        return 0;
    }
    if ((c & 0xe0) == 0xa0) { /* fixstr */
        it->type = MPK_STR;
        if ((size_t)(end - *p) < (c & 0x1fu))
            return -1;
        it->p = *p;
        it->len = c & 0x1f;
        *p += it->len;
        return 0;
    }
    if ((c & 0xf0) == 0x90 || (c & 0xf0) == 0x80) { /* fixarray, fixmap */
        it->type = (c & 0xf0) == 0x90 ? MPK_ARRAY : MPK_MAP;
        it->len = c & 0x0f;
        return it->len * (it->type == MPK_MAP ? 2u : 1u) > (size_t)(end - *p)
                   ? -1
                   : 0;
    }
    switch (c) {
    case 0xc0:
        it->type = MPK_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        it->type = MPK_BOOL;
        it->b = c == 0xc3;
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        it->type = MPK_BIN;
        return mpk_take(p, end, 1u << (c - 0xc4), it);
    case 0xd9:
    case 0xda:
    case 0xdb:
        it->type = MPK_STR;
        return mpk_take(p, end, 1u << (c - 0xd9), it);
    case 0xc7:
    case 0xc8:
    case 0xc9: /* ext 8/16/32: length, type, data */
        it->type = MPK_EXT;
        if (mpk_fixed(p, end, 1u << (c - 0xc7), &v) != 0 || *p >= end)
            return -1;
        it->ext = (int8_t) * (*p)++;
        if (v > (uint64_t)(end - *p))
            return -1;
        it->p = *p;
        it->len = (uint32_t)v;
        *p += v;
        return 0;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: /* fixext 1..16 */
        it->type = MPK_EXT;
        it->len = 1u << (c - 0xd4);
        if ((size_t)(end - *p) < 1 + (size_t)it->len)
            return -1;
        it->ext = (int8_t) * (*p)++;
        it->p = *p;
        *p += it->len;
        return 0;
    case 0xca:
        it->type = MPK_FLOAT;
        if (mpk_fixed(p, end, 4, &v) != 0)
            return -1;
        u32 = (uint32_t)v;
        memcpy(&f32, &u32, 4);
        it->f = f32;
        return 0;
    case 0xcb:
        it->type = MPK_FLOAT;
        if (mpk_fixed(p, end, 8, &v) != 0)
            return -1;
        memcpy(&it->f, &v, 8);
        return 0;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        if (mpk_fixed(p, end, 1u << (c - 0xcc), &v) != 0)
            return -1;
        it->type = v > INT64_MAX ? MPK_UINT : MPK_INT;
        it->u = v;
        it->i = (int64_t)(v > INT64_MAX ? 0 : v);
        return 0;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        unsigned n = 1u << (c - 0xd0);
        if (mpk_fixed(p, end, n, &v) != 0)
            return -1;
        it->type = MPK_INT;
        if (n < 8 && (v >> (8 * n - 1)) & 1) /* sign-extend */
            v |= ~(uint64_t)0 << (8 * n);
        memcpy(&it->i, &v, 8);
        return 0;
    }
    case 0xdc:
    case 0xdd:
        it->type = MPK_ARRAY;
        return mpk_count(p, end, c == 0xdc ? 2 : 4, 1, it);
    case 0xde:
    case 0xdf:
        it->type = MPK_MAP;
        return mpk_count(p, end, c == 0xde ? 2 : 4, 2, it);
    default: /* 0xc1, never used */
        return -1;
    }
}

static int mpk_skip_depth(const char **p, const char *end, unsigned depth)
{
    struct mpk_item it;
    uint64_t i, n;

    if (depth > MPK_MAX_DEPTH || mpk_read(p, end, &it) != 0)
        return -1;
    if (it.type != MPK_ARRAY && it.type != MPK_MAP)
        return 0;
    n = (uint64_t)it.len * (it.type == MPK_MAP ? 2 : 1);
    for (i = 0; i < n; i++)
        if (mpk_skip_depth(p, end, depth + 1) != 0)
            return -1;
    return 0;
}

int mpk_skip(const char **p, const char *end)
{
    return mpk_skip_depth(p, end, 0);
}

/* A JSON string literal of UTF-8 bytes s[0..len), or -1. */
static int mpk_json_string(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    uint32_t st = 0;
    size_t i, from = 0;
    unsigned char c;

    if (ws_utf8_feed(&st, (const uint8_t *)s, len) != 0)
        return -1;
    if (buf_putc(out, '"') != 0)
        return -1;
    for (i = 0; i < len; i++) {
        c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (buf_append(out, s + from, i - from) != 0)
            return -1;
        from = i + 1;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            if (buf_append(out, e, 2) != 0)
                return -1;
        } else {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            if (buf_append(out, e, 6) != 0)
                return -1;
        }
    }
    if (buf_append(out, s + from, len - from) != 0)
        return -1;
    return buf_putc(out, '"');
}

/* The timestamp extension (-1: 4, 8 or 12 bytes) as a JSON ISO string,
 * what a Date becomes in socket.io-parser's JSON. */
static int mpk_json_date(struct buf *out, const struct mpk_item *it)
{
    const unsigned char *d = (const unsigned char *)it->p;
    uint64_t v;
    int64_t sec;
    uint32_t nsec = 0;
    struct tm tm;
    time_t t;
    char text[64];

    if (it->len == 4) {
        sec = (int64_t)mpk_be(d, 4);
    } else if (it->len == 8) {
        v = mpk_be(d, 8);
        nsec = (uint32_t)(v >> 34);
        sec = (int64_t)(v & 0x3ffffffffULL);
    } else if (it->len == 12) {
        nsec = (uint32_t)mpk_be(d, 4);
        v = mpk_be(d + 4, 8);
        memcpy(&sec, &v, 8);
    } else {
        return -1;
    }
    /* JavaScript dates span +-8.64e15 ms; years past 9999 print badly. */
    if (nsec > 999999999 || sec < -62135596800LL || sec > 253402300799LL)
        return -1;
    t = (time_t)sec;
    if (gmtime_r(&t, &tm) == NULL)
        return -1;
    snprintf(text, sizeof text, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\"",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, nsec / 1000000);
    return buf_puts(out, text);
}

static int mpk_json_value(const char **p, const char *end, struct buf *out,
                          struct buf *bins, unsigned depth)
{
    struct mpk_item it;
    struct mpk_bin bin;
    uint32_t i;
    char num[64];

    if (depth > MPK_MAX_DEPTH || mpk_read(p, end, &it) != 0)
        return -1;
    switch (it.type) {
    case MPK_NIL:
        return buf_puts(out, "null");
    case MPK_BOOL:
        return buf_puts(out, it.b ? "true" : "false");
    case MPK_INT:
        snprintf(num, sizeof num, "%lld", (long long)it.i);
        return buf_puts(out, num);
    case MPK_UINT:
        snprintf(num, sizeof num, "%llu", (unsigned long long)it.u);
        return buf_puts(out, num);
    case MPK_FLOAT:
        if (!isfinite(it.f))
            return buf_puts(out, "null");
        /* Shortest text that reads back the same double, as JavaScript. */
        for (i = 1; i <= 17; i++) {
            snprintf(num, sizeof num, "%.*g", (int)i, it.f);
            if (strtod(num, NULL) == it.f)
                break;
        }
        return buf_puts(out, num);
    case MPK_STR:
        return mpk_json_string(out, it.p, it.len);
    case MPK_BIN:
        bin.p = it.p;
        bin.len = it.len;
        snprintf(num, sizeof num, "{\"_placeholder\":true,\"num\":%zu}",
                 bins->len / sizeof bin);
        if (buf_append(bins, &bin, sizeof bin) != 0)
            return -1;
        return buf_puts(out, num);
    case MPK_EXT:
        return it.ext == -1 ? mpk_json_date(out, &it) : -1;
    case MPK_ARRAY:
        if (buf_putc(out, '[') != 0)
            return -1;
        for (i = 0; i < it.len; i++)
            if ((i > 0 && buf_putc(out, ',') != 0) ||
                mpk_json_value(p, end, out, bins, depth + 1) != 0)
                return -1;
        return buf_putc(out, ']');
    case MPK_MAP:
        if (buf_putc(out, '{') != 0)
            return -1;
        for (i = 0; i < it.len; i++) {
            struct mpk_item key;
            if ((i > 0 && buf_putc(out, ',') != 0) ||
                mpk_read(p, end, &key) != 0 || key.type != MPK_STR ||
                mpk_json_string(out, key.p, key.len) != 0 ||
                buf_putc(out, ':') != 0 ||
                mpk_json_value(p, end, out, bins, depth + 1) != 0)
                return -1;
        }
        return buf_putc(out, '}');
    }
    return -1;
}

int mpk_to_json(const char **p, const char *end, struct buf *out,
                struct buf *bins)
{
    return mpk_json_value(p, end, out, bins, 0);
}

/* ---- writing ---- */

/* Appends byte `tag` and the n low bytes of v, big-endian. */
static int mpk_put_head(struct buf *out, unsigned char tag, uint64_t v,
                        unsigned n)
{
    unsigned char b[9];
    unsigned i;

    b[0] = tag;
    for (i = 0; i < n; i++)
        b[1 + i] = (unsigned char)(v >> (8 * (n - 1 - i)));
    return buf_append(out, b, 1 + n);
}

int mpk_put_nil(struct buf *out) { return buf_putc(out, (char)0xc0); }

int mpk_put_bool(struct buf *out, int v)
{
    return buf_putc(out, (char)(v ? 0xc3 : 0xc2));
}

int mpk_put_int(struct buf *out, int64_t v)
{
    if (v >= 0) {
        if (v <= 0x7f)
            return buf_putc(out, (char)v);
        if (v <= 0xff)
            return mpk_put_head(out, 0xcc, (uint64_t)v, 1);
        if (v <= 0xffff)
            return mpk_put_head(out, 0xcd, (uint64_t)v, 2);
        if (v <= 0xffffffffLL)
            return mpk_put_head(out, 0xce, (uint64_t)v, 4);
        return mpk_put_head(out, 0xcf, (uint64_t)v, 8);
    }
    if (v >= -32)
        return buf_putc(out, (char)(uint8_t)(int8_t)v);
    if (v >= INT8_MIN)
        return mpk_put_head(out, 0xd0, (uint64_t)v, 1);
    if (v >= INT16_MIN)
        return mpk_put_head(out, 0xd1, (uint64_t)v, 2);
    if (v >= INT32_MIN)
        return mpk_put_head(out, 0xd2, (uint64_t)v, 4);
    return mpk_put_head(out, 0xd3, (uint64_t)v, 8);
}

int mpk_put_double(struct buf *out, double v)
{
    uint64_t bits;

    memcpy(&bits, &v, 8);
    return mpk_put_head(out, 0xcb, bits, 8);
}

/* A STR or BIN head: `fix` the fixstr base (0 for none), then 8/16/32. */
static int mpk_put_bytes(struct buf *out, unsigned char fix, unsigned char tag8,
                         const void *s, size_t len)
{
    int rc;

    if (len > UINT32_MAX)
        return -1;
    if (fix && len < 32)
        rc = buf_putc(out, (char)(fix | len));
    else if (len <= 0xff)
        rc = mpk_put_head(out, tag8, len, 1);
    else if (len <= 0xffff)
        rc = mpk_put_head(out, tag8 + 1, len, 2);
    else
        rc = mpk_put_head(out, tag8 + 2, len, 4);
    return rc != 0 ? -1 : buf_append(out, s, len);
}

int mpk_put_str(struct buf *out, const char *s, size_t len)
{
    return mpk_put_bytes(out, 0xa0, 0xd9, s, len);
}

int mpk_put_bin(struct buf *out, const void *s, size_t len)
{
    return mpk_put_bytes(out, 0, 0xc4, s, len);
}

int mpk_put_array(struct buf *out, uint32_t n)
{
    return n < 16        ? buf_putc(out, (char)(0x90 | n))
           : n <= 0xffff ? mpk_put_head(out, 0xdc, n, 2)
                         : mpk_put_head(out, 0xdd, n, 4);
}

int mpk_put_map(struct buf *out, uint32_t n)
{
    return n < 16        ? buf_putc(out, (char)(0x80 | n))
           : n <= 0xffff ? mpk_put_head(out, 0xde, n, 2)
                         : mpk_put_head(out, 0xdf, n, 4);
}

/* The attachment index of a {"_placeholder":true,"num":i} object, or -1. */
static int mpk_placeholder(const cJSON *v)
{
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(v, "_placeholder");
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(v, "num");

    if (!cJSON_IsTrue(ph) || !cJSON_IsNumber(num) ||
        cJSON_GetArraySize(v) != 2 || num->valuedouble < 0 ||
        num->valuedouble > 65535 || num->valuedouble != (int)num->valuedouble)
        return -1;
    return (int)num->valuedouble;
}

static int mpk_put_json(struct buf *out, const cJSON *v,
                        struct frame *const *attach, unsigned nattach)
{
    const cJSON *e;
    int k;

    if (cJSON_IsNull(v))
        return mpk_put_nil(out);
    if (cJSON_IsBool(v))
        return mpk_put_bool(out, cJSON_IsTrue(v));
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) <= 9007199254740992.0 &&
            !(d == 0 && signbit(d)))
            return mpk_put_int(out, (int64_t)d);
        return mpk_put_double(out, d);
    }
    if (cJSON_IsString(v))
        return mpk_put_str(out, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsArray(v)) {
        if (mpk_put_array(out, (uint32_t)cJSON_GetArraySize(v)) != 0)
            return -1;
        cJSON_ArrayForEach(e, v) if (mpk_put_json(out, e, attach, nattach) !=
                                     0) return -1;
        return 0;
    }
    if (cJSON_IsObject(v)) {
        if ((k = mpk_placeholder(v)) >= 0) {
            if ((unsigned)k >= nattach)
                return -1;
            return mpk_put_bin(out, attach[k]->data, attach[k]->len);
        }
        if (mpk_put_map(out, (uint32_t)cJSON_GetArraySize(v)) != 0)
            return -1;
        cJSON_ArrayForEach(
            e, v) if (mpk_put_str(out, e->string, strlen(e->string)) != 0 ||
                      mpk_put_json(out, e, attach, nattach) != 0) return -1;
        return 0;
    }
    return -1;
}

int mpk_from_json(struct buf *out, const char *json, size_t len,
                  struct frame *const *attach, unsigned nattach)
{
    cJSON *v = cJSON_ParseWithLength(json, len);
    int rc;

    if (v == NULL)
        return -1;
    rc = mpk_put_json(out, v, attach, nattach);
    cJSON_Delete(v);
    return rc;
}
