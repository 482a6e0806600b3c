/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* logfmt: renders SOCKETIO_MESSAGE_LOG_FORMAT lines, Python %-style. */
#include "logfmt.h"

#include <string.h>
#include <strings.h>

/* Conversion letters Python's %-operator knows; all render as text. */
static const char logfmt_convs[] = "sradiufFeEgGxXoc";

static size_t logfmt_chars(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Bytes of the first `chars` UTF-8 characters of s (never splits one). */
static size_t logfmt_prefix(const char *s, size_t len, size_t chars)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == chars)
                return i;
            n++;
        }
    }
    return len;
}

static size_t logfmt_digits(const char *s, size_t len, size_t *i)
{
    size_t v = 0;

    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (v <= LOGFMT_MAX_WIDTH)
            v = v * 10 + (size_t)(s[*i] - '0');
        (*i)++;
    }
    return v > LOGFMT_MAX_WIDTH ? LOGFMT_MAX_WIDTH : v;
}

/* Parses the directive at fmt[i] == '%'. Returns the bytes it spans and
 * renders it, or 0 when it is not a directive (the caller copies '%'). */
static size_t logfmt_directive(struct buf *out, const char *fmt, size_t len,
                               size_t i, logfmt_lookup lookup, void *arg,
                               int *oom)
{
    size_t start = i, key, klen, width = 0, prec = (size_t)-1, vlen = 0, pad, n;
    const char *v;
    int left = 0;

    i++; /* '%' */
    if (i >= len || fmt[i] != '(')
        return 0;
    key = ++i;
    while (i < len && fmt[i] != ')' && i - key <= LOGFMT_MAX_KEY)
        i++;
    if (i >= len || fmt[i] != ')')
        return 0;
    klen = i - key;
    i++;
    while (i < len && strchr("-+ #0", fmt[i]) != NULL && fmt[i] != '\0') {
        if (fmt[i] == '-')
            left = 1;
        i++;
    }
    width = logfmt_digits(fmt, len, &i);
    if (i < len && fmt[i] == '.') {
        i++;
        prec = logfmt_digits(fmt, len, &i);
    }
    if (i >= len || fmt[i] == '\0' || strchr(logfmt_convs, fmt[i]) == NULL)
        return 0;
    i++;
    v = lookup(arg, fmt + key, klen, &vlen);
    if (v == NULL)
        vlen = 0;
    if (prec != (size_t)-1)
        vlen = logfmt_prefix(v, vlen, prec);
    n = logfmt_chars(v, vlen);
    pad = width > n ? width - n : 0;
    if (buf_reserve(out, vlen + pad) != 0) {
        *oom = 1;
        return i - start;
    }
    if (!left) {
        memset(out->data + out->len, ' ', pad);
        out->len += pad;
    }
    if (vlen > 0)
        memcpy(out->data + out->len, v, vlen);
    out->len += vlen;
    if (left) {
        memset(out->data + out->len, ' ', pad);
        out->len += pad;
    }
    return i - start;
}

int logfmt_render(struct buf *out, const char *fmt, size_t len,
                  logfmt_lookup lookup, void *arg)
{
    size_t i = 0, run, used;
    const char *pct;
    int oom = 0;

    while (i < len && !oom) {
        pct = memchr(fmt + i, '%', len - i);
        run = pct ? (size_t)(pct - (fmt + i)) : len - i;
        if (run > 0 && buf_append(out, fmt + i, run) != 0)
            return -1;
        i += run;
        if (i >= len)
            break;
        if (i + 1 < len && fmt[i + 1] == '%') {
            if (buf_putc(out, '%') != 0)
                return -1;
            i += 2;
            continue;
        }
        used = logfmt_directive(out, fmt, len, i, lookup, arg, &oom);
        if (used == 0) {
            if (buf_putc(out, '%') != 0)
                return -1;
            used = 1;
        }
        i += used;
    }
    return oom ? -1 : 0;
}

int logfmt_disabled(const char *fmt)
{
    size_t n;

    if (fmt == NULL)
        return 1;
    while (*fmt == ' ' || *fmt == '\t')
        fmt++;
    n = strlen(fmt);
    while (n > 0 && (fmt[n - 1] == ' ' || fmt[n - 1] == '\t' ||
                     fmt[n - 1] == '\n' || fmt[n - 1] == '\r'))
        n--;
    return n == 0 || (n == 4 && strncasecmp(fmt, "None", 4) == 0);
}

const char *logfmt_meta(const char *meta, const char *key, size_t klen,
                        size_t *vlen)
{
    const char *p = meta;
    size_t n;

    while (p != NULL && *p) {
        n = strlen(p);
        if (n > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
            *vlen = n - klen - 1;
            return p + klen + 1;
        }
        p += n + 1;
    }
    return NULL;
}

size_t logfmt_meta_len(const char *meta)
{
    const char *p = meta;

    if (p == NULL)
        return 0;
    while (*p)
        p += strlen(p) + 1;
    return (size_t)(p - meta) + 1;
}
