/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* httpres: pure parsers for what an upstream answers: HTTP/1.1 response
 * heads, CGI response heads (FastCGI/SCGI stdout), chunked bodies. */
#include "httpres.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

static int httpres_vchar(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7F);
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
    size_t p = 0, i;
    int st, r;

    res->status = 0;
    res->minor_version = -1;
    res->num_headers = 0;
    r = http_parse_version(buf, len, &p);
    if (r < 0)
        return r;
    res->minor_version = r;
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
    r = http_eol(buf, len, &p);
    if (r != 1)
        return r == 0 ? -1 : r;
    return http_parse_fields(buf, len, p, res->headers, &res->num_headers);
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
    r = http_parse_fields(buf, len, 0, res->headers, &res->num_headers);
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
    return http_fields_find(res->headers, res->num_headers, name);
}

int httpres_content_length(const struct httpres *res, size_t *len)
{
    return http_fields_content_length(res->headers, res->num_headers, len);
}

/* 1 when the last non-empty item of the comma-separated value `h` is
 * `token`: chunked must be the final transfer coding (RFC 7230 3.3.3). */
static int httpres_last_token(const struct http_header *h, const char *token)
{
    size_t n = strlen(token), s, e, p = 0;
    int found = 0;

    while (http_list_next(h, &p, &s, &e))
        if (e > s)
            found = e - s == n && http_case_equal(h->value + s, token, n);
    return found;
}

int httpres_chunked(const struct httpres *res)
{
    const struct http_header *h = httpres_header(res, "Transfer-Encoding");

    return h != NULL && httpres_last_token(h, "chunked");
}

int httpres_keep_alive(const struct httpres *res)
{
    return http_fields_keep_alive(res->headers, res->num_headers,
                                  res->minor_version);
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
        while (p < len && (d = http_hex(buf[p])) >= 0) {
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
        r = http_eol(buf, len, &p);
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
        r = http_eol(buf, len, &p);
        if (r != 1)
            return r == 0 ? -1 : r;
    }
    /* Trailer fields, then the empty line. */
    for (;;) {
        r = http_eol(buf, len, &p);
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
