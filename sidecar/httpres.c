/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* httpres: pure parsers for what an upstream answers: HTTP/1.1 response
 * heads, CGI response heads (FastCGI/SCGI stdout), chunked bodies. */
#include "httpres.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

static int httpres_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static int httpres_vchar(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7F);
}

static int httpres_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int httpres_case_equal(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (httpres_lower((unsigned char)a[i]) !=
            httpres_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* At a line end: 1 (and past it), 0 something else, -2 cut off, -1 CR
 * without LF. */
static int httpres_eol(const char *buf, size_t len, size_t *pos)
{
    size_t p = *pos;

    if (p == len)
        return -2;
    if (buf[p] == '\n') {
        *pos = p + 1;
        return 1;
    }
    if (buf[p] != '\r')
        return 0;
    if (p + 1 == len)
        return -2;
    if (buf[p + 1] != '\n')
        return -1;
    *pos = p + 2;
    return 1;
}

/* Header lines from *pos up to and past the empty line. */
static int httpres_fields(const char *buf, size_t len, size_t p,
                          struct httpres *res)
{
    struct http_header *h;
    size_t s, e;
    int r;

    for (;;) {
        r = httpres_eol(buf, len, &p);
        if (r == 1)
            return p > INT_MAX ? -1 : (int)p;
        if (r < 0)
            return r;
        if (buf[p] == ' ' || buf[p] == '\t')
            return -1; /* obs-fold */
        if (res->num_headers == HTTP_MAX_HEADERS)
            return -1;
        h = &res->headers[res->num_headers];
        s = p;
        while (p < len && httpres_tchar((unsigned char)buf[p]))
            p++;
        if (p == len)
            return -2;
        if (p == s || buf[p] != ':')
            return -1;
        h->name = buf + s;
        h->name_len = p - s;
        p++;
        while (p < len && (buf[p] == ' ' || buf[p] == '\t'))
            p++;
        s = p;
        while (p < len && httpres_vchar((unsigned char)buf[p]))
            p++;
        e = p;
        while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
            e--;
        r = httpres_eol(buf, len, &p);
        if (r != 1)
            return r == 0 ? -1 : r;
        h->value = buf + s;
        h->value_len = e - s;
        res->num_headers++;
    }
}

/* Three digits at buf[p]: the status, or -1 (-2 when cut off). */
static int httpres_status(const char *buf, size_t len, size_t p)
{
    int i, v = 0;

    for (i = 0; i < 3; i++) {
        if (p + (size_t)i == len)
            return -2;
        if (buf[p + i] < '0' || buf[p + i] > '9')
            return -1;
        v = v * 10 + (buf[p + i] - '0');
    }
    return v < 100 ? -1 : v;
}

int httpres_parse(const char *buf, size_t len, struct httpres *res)
{
    static const char version[] = "HTTP/1.";
    size_t p, i;
    int st, r;

    res->status = 0;
    res->minor_version = -1;
    res->num_headers = 0;
    for (p = 0; p < sizeof version - 1; p++) {
        if (p == len)
            return -2;
        if (buf[p] != version[p])
            return -1;
    }
    if (p == len)
        return -2;
    if (buf[p] != '0' && buf[p] != '1')
        return -1;
    res->minor_version = buf[p] - '0';
    p++;
    if (p == len)
        return -2;
    if (buf[p++] != ' ')
        return -1;
    st = httpres_status(buf, len, p);
    if (st < 0)
        return st;
    res->status = st;
    p += 3;
    /* The reason phrase (maybe empty, maybe without the blank). */
    if (p == len)
        return -2;
    if (buf[p] != ' ' && buf[p] != '\r' && buf[p] != '\n')
        return -1;
    for (i = p; i < len && httpres_vchar((unsigned char)buf[i]); i++)
        ;
    p = i;
    r = httpres_eol(buf, len, &p);
    if (r != 1)
        return r == 0 ? -1 : r;
    return httpres_fields(buf, len, p, res);
}

int httpres_parse_cgi(const char *buf, size_t len, struct httpres *res)
{
    const struct http_header *h;
    size_t cmp = len < 7 ? len : 7;
    int r, st;

    if (len > 0 && memcmp(buf, "HTTP/1.", cmp) == 0)
        return httpres_parse(buf, len, res);
    res->status = 0;
    res->minor_version = -1;
    res->num_headers = 0;
    r = httpres_fields(buf, len, 0, res);
    if (r < 0)
        return r;
    if ((h = httpres_header(res, "Status")) != NULL) {
        st = h->value_len >= 3 ? httpres_status(h->value, h->value_len, 0) : -1;
        if (st < 0 || (h->value_len > 3 && h->value[3] != ' '))
            return -1;
        res->status = st;
    } else {
        res->status = httpres_header(res, "Location") ? 302 : 200;
    }
    return r;
}

const struct http_header *httpres_header(const struct httpres *res,
                                         const char *name)
{
    size_t n = strlen(name), i;

    for (i = 0; i < res->num_headers; i++)
        if (res->headers[i].name_len == n &&
            httpres_case_equal(res->headers[i].name, name, n))
            return &res->headers[i];
    return NULL;
}

int httpres_content_length(const struct httpres *res, size_t *len)
{
    const struct http_header *h;
    size_t i, j, v, d, n = 0;
    int found = 0;

    for (i = 0; i < res->num_headers; i++) {
        h = &res->headers[i];
        if (h->name_len != 14 ||
            !httpres_case_equal(h->name, "Content-Length", 14))
            continue;
        if (h->value_len == 0)
            return -1;
        v = 0;
        for (j = 0; j < h->value_len; j++) {
            if (h->value[j] < '0' || h->value[j] > '9')
                return -1;
            d = (size_t)(h->value[j] - '0');
            if (v > (SIZE_MAX - d) / 10)
                return -1;
            v = v * 10 + d;
        }
        if (found && v != n)
            return -1;
        found = 1;
        n = v;
    }
    if (found)
        *len = n;
    return found;
}

/* 1 when the comma-separated value `h` holds `token`. */
static int httpres_has_token(const struct http_header *h, const char *token,
                             int last_only)
{
    size_t n = strlen(token), s, e, p = 0;
    int found = 0;

    while (p <= h->value_len) {
        s = p;
        while (p < h->value_len && h->value[p] != ',')
            p++;
        e = p;
        while (s < e && (h->value[s] == ' ' || h->value[s] == '\t'))
            s++;
        while (e > s && (h->value[e - 1] == ' ' || h->value[e - 1] == '\t'))
            e--;
        if (e > s || !last_only)
            found = e - s == n && httpres_case_equal(h->value + s, token, n);
        if (found && !last_only)
            return 1;
        p++;
    }
    return found;
}

int httpres_chunked(const struct httpres *res)
{
    const struct http_header *h = httpres_header(res, "Transfer-Encoding");

    return h != NULL && httpres_has_token(h, "chunked", 1);
}

int httpres_keep_alive(const struct httpres *res)
{
    int close = 0, keep = 0;
    size_t i;

    for (i = 0; i < res->num_headers; i++) {
        const struct http_header *h = &res->headers[i];
        if (h->name_len != 10 || !httpres_case_equal(h->name, "Connection", 10))
            continue;
        close |= httpres_has_token(h, "close", 0);
        keep |= httpres_has_token(h, "keep-alive", 0);
    }
    if (close)
        return 0;
    return res->minor_version >= 1 || keep;
}

static int httpres_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One pass over the chunks; with `out`, copies the data there (which is
 * never ahead of what is read, so it may be `buf` itself). */
static long httpres_chunks(char *buf, size_t len, char *out, size_t *out_len)
{
    size_t p = 0, o = 0, size, s;
    int d, r, digits;

    for (;;) {
        size = 0;
        digits = 0;
        while (p < len && (d = httpres_hex(buf[p])) >= 0) {
            if (size > (SIZE_MAX >> 4) - 1)
                return -1;
            size = size * 16 + (size_t)d;
            p++;
            digits++;
        }
        if (p == len)
            return -2;
        if (digits == 0)
            return -1;
        /* Chunk extensions, ignored. */
        while (p < len && buf[p] != '\r' && buf[p] != '\n')
            if ((unsigned char)buf[p++] < 0x20 && buf[p - 1] != '\t')
                return -1;
        r = httpres_eol(buf, len, &p);
        if (r != 1)
            return r == 0 ? -1 : r;
        if (size == 0)
            break;
        if (len - p < size)
            return -2;
        if (out != NULL)
            memmove(out + o, buf + p, size);
        o += size;
        p += size;
        r = httpres_eol(buf, len, &p);
        if (r != 1)
            return r == 0 ? -1 : r;
    }
    /* Trailer fields, then the empty line. */
    for (;;) {
        r = httpres_eol(buf, len, &p);
        if (r == 1)
            break;
        if (r < 0)
            return r;
        s = p;
        while (p < len && buf[p] != '\n')
            p++;
        if (p == len)
            return -2;
        p++;
        (void)s;
    }
    if (p > LONG_MAX)
        return -1;
    *out_len = o;
    return (long)p;
}

long httpres_dechunk(char *buf, size_t len, size_t *out_len)
{
    size_t n;
    long r = httpres_chunks(buf, len, NULL, &n);

    if (r < 0)
        return r;
    return httpres_chunks(buf, len, buf, out_len);
}
