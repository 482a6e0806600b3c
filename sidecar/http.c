/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* http: pure HTTP/1.1 request-head parser, query helpers, response heads. */
#include "http.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

/* tchar of RFC 7230 section 3.2.6: the characters of methods and header
 * names. */
static int http_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return 1;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return 1;
    default:
        return 0;
    }
}

/* Bytes 0x80-0xFF are let through in the target and in values: some
 * clients send raw UTF-8 paths, and RFC 7230 keeps obs-text in values.
 * CTLs never pass, since they are how requests get smuggled. */
static int http_is_target_char(unsigned char c)
{
    return c > 0x20 && c != 0x7F;
}

static int http_is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7F);
}

static unsigned char http_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ASCII only, so the locale cannot change what a header name matches. */
int http_case_equal(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (http_lower((unsigned char)a[i]) != http_lower((unsigned char)b[i]))
            return 0;
    }
    return 1;
}

/* At a line end at *pos: 1 (and *pos moved past it), 0 when something
 * else is there, -2 when it is cut off, -1 for a CR without its LF. */
int http_eol(const char *buf, size_t len, size_t *pos)
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

int http_parse_fields(const char *buf, size_t len, size_t p,
                      struct http_header *headers, size_t *num)
{
    struct http_header *h;
    size_t s, e;
    int r;

    for (;;) {
        r = http_eol(buf, len, &p);
        if (r == 1)
            return p > INT_MAX ? -1 : (int)p;
        if (r < 0)
            return r;
        /* A line opening with a blank is obs-fold (or, as the first line,
         * a header other parsers would glue to the start line): RFC 7230
         * section 3.2.4 lets us reject it. */
        if (buf[p] == ' ' || buf[p] == '\t')
            return -1;
        if (*num == HTTP_MAX_HEADERS)
            return -1;
        h = &headers[*num];

        s = p;
        while (p < len && http_is_tchar((unsigned char)buf[p]))
            p++;
        if (p == len)
            return -2;
        /* No blank before ':' either (section 3.2.4 says to reject it). */
        if (p == s || buf[p] != ':')
            return -1;
        h->name = buf + s;
        h->name_len = p - s;
        p++;

        while (p < len && (buf[p] == ' ' || buf[p] == '\t'))
            p++;
        s = p;
        while (p < len && http_is_value_char((unsigned char)buf[p]))
            p++;
        e = p;
        while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
            e--;
        r = http_eol(buf, len, &p);
        if (r != 1)
            return r == 0 ? -1 : r; /* 0: a control character */
        h->value = buf + s;
        h->value_len = e - s;
        (*num)++;
    }
}

int http_parse_version(const char *buf, size_t len, size_t *pos)
{
    static const char version[] = "HTTP/1.";
    size_t p = *pos, i;

    for (i = 0; i < sizeof(version) - 1; i++, p++) {
        if (p == len)
            return -2;
        if (buf[p] != version[i])
            return -1;
    }
    if (p == len)
        return -2;
    if (buf[p] != '0' && buf[p] != '1')
        return -1;
    *pos = p + 1;
    return buf[p] - '0';
}

static int http_parse_head(const char *buf, size_t len,
                           struct http_request *req)
{
    size_t p = 0, s;
    const char *q;
    int r;

    req->method = req->path = req->query = NULL;
    req->method_len = req->path_len = req->query_len = 0;
    req->minor_version = -1;
    req->num_headers = 0;

    /* RFC 7230 section 3.5: ignore blank lines before the request line, as
     * some clients send a stray CRLF after a POST body. */
    while ((r = http_eol(buf, len, &p)) == 1)
        ;
    if (r < 0)
        return r;

    s = p;
    while (p < len && http_is_tchar((unsigned char)buf[p]))
        p++;
    if (p == len)
        return -2;
    if (p == s || buf[p] != ' ')
        return -1;
    req->method = buf + s;
    req->method_len = p - s;
    p++;

    /* Only origin-form ("/path?query"), and "*" for OPTIONS. */
    if (p == len)
        return -2;
    if (buf[p] != '/' && buf[p] != '*')
        return -1;
    s = p;
    while (p < len && http_is_target_char((unsigned char)buf[p]))
        p++;
    if (p == len)
        return -2;
    if (buf[p] != ' ')
        return -1;
    if (buf[s] == '*' && (p - s != 1 || req->method_len != 7 ||
                          memcmp(req->method, "OPTIONS", 7) != 0))
        return -1;
    req->path = buf + s;
    req->path_len = p - s;
    q = memchr(req->path, '?', req->path_len);
    if (q != NULL) {
        req->query = q + 1;
        req->query_len = (size_t)(buf + p - req->query);
        req->path_len = (size_t)(q - req->path);
    }
    p++;

    r = http_parse_version(buf, len, &p);
    if (r < 0)
        return r;
    req->minor_version = r;
    r = http_eol(buf, len, &p);
    if (r != 1)
        return r == 0 ? -1 : r;

    return http_parse_fields(buf, len, p, req->headers, &req->num_headers);
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    size_t lim = len > INT_MAX ? INT_MAX : len;
    int r;

    /* The length is returned as an int; a head that does not end within
     * INT_MAX bytes can never be reported, so it is an error, not -2. */
    r = http_parse_head(buf, lim, req);
    if (r == -2 && lim < len)
        return -1;
    return r;
}

const struct http_header *http_fields_find(const struct http_header *h,
                                           size_t n, const char *name)
{
    size_t len = strlen(name), i;

    for (i = 0; i < n; i++)
        if (h[i].name_len == len && http_case_equal(h[i].name, name, len))
            return &h[i];
    return NULL;
}

const struct http_header *http_find_header(const struct http_request *req,
                                           const char *name)
{
    return http_fields_find(req->headers, req->num_headers, name);
}

int http_list_next(const struct http_header *h, size_t *pos, size_t *s,
                   size_t *e)
{
    size_t p = *pos;

    if (p > h->value_len)
        return 0;
    *s = p;
    while (p < h->value_len && h->value[p] != ',')
        p++;
    *e = p;
    while (*s < *e && (h->value[*s] == ' ' || h->value[*s] == '\t'))
        (*s)++;
    while (*e > *s && (h->value[*e - 1] == ' ' || h->value[*e - 1] == '\t'))
        (*e)--;
    *pos = p + 1; /* past the ',' (or past the end, which ends the list) */
    return 1;
}

int http_header_has_token(const struct http_header *h, const char *token)
{
    size_t n, s, e, p = 0;

    if (h == NULL)
        return 0;
    n = strlen(token);
    while (http_list_next(h, &p, &s, &e))
        if (e - s == n && http_case_equal(h->value + s, token, n))
            return 1;
    return 0;
}

int http_fields_content_length(const struct http_header *hs, size_t nh,
                               size_t *len)
{
    const struct http_header *h;
    size_t i, j, v, d, n = 0;
    int found = 0;

    for (i = 0; i < nh; i++) {
        h = &hs[i];
        if (h->name_len != 14 ||
            !http_case_equal(h->name, "Content-Length", 14))
            continue;
        /* 1*DIGIT only: no sign, no blanks, no list. Anything looser is
         * how front ends and back ends come to disagree on the body. */
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

int http_content_length(const struct http_request *req, size_t *len)
{
    int r = http_fields_content_length(req->headers, req->num_headers, len);

    if (r == 0)
        *len = 0;
    return r < 0 ? -1 : 0;
}

int http_fields_keep_alive(const struct http_header *hs, size_t nh,
                           int minor_version)
{
    const struct http_header *h;
    int close = 0, keep = 0;
    size_t i;

    /* Connection may be sent more than once; every field counts. */
    for (i = 0; i < nh; i++) {
        h = &hs[i];
        if (h->name_len != 10 || !http_case_equal(h->name, "Connection", 10))
            continue;
        close |= http_header_has_token(h, "close");
        keep |= http_header_has_token(h, "keep-alive");
    }
    if (close)
        return 0;
    return minor_version >= 1 || keep;
}

int http_keep_alive(const struct http_request *req)
{
    return http_fields_keep_alive(req->headers, req->num_headers,
                                  req->minor_version);
}

int http_query_get(const char *query, size_t query_len, const char *key,
                   const char **val, size_t *val_len)
{
    size_t klen = strlen(key), p = 0, s, e;
    const char *eq;

    if (query == NULL)
        return 0;
    while (p < query_len) {
        s = p;
        while (p < query_len && query[p] != '&')
            p++;
        e = p++;
        if (e == s)
            continue; /* "a=1&&b=2" has no empty key in the middle */
        eq = memchr(query + s, '=', e - s);
        if (eq == NULL) {
            if (e - s == klen && memcmp(query + s, key, klen) == 0) {
                *val = query + e;
                *val_len = 0;
                return 1;
            }
        } else if ((size_t)(eq - (query + s)) == klen &&
                   memcmp(query + s, key, klen) == 0) {
            *val = eq + 1;
            *val_len = (size_t)(query + e - *val);
            return 1;
        }
    }
    return 0;
}

int http_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long http_url_decode(char *dst, const char *src, size_t len)
{
    size_t i, o = 0;
    int hi, lo;

    if (len > LONG_MAX)
        return -1;
    /* o never passes i, so dst may be src. */
    for (i = 0; i < len; i++) {
        if (src[i] == '+') {
            dst[o++] = ' ';
        } else if (src[i] == '%') {
            if (len - i < 3)
                return -1;
            hi = http_hex(src[i + 1]);
            lo = http_hex(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            dst[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            dst[o++] = src[i];
        }
    }
    return (long)o;
}

const char *http_status_text(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}

int http_write_head(struct buf *out, int status, const char *content_type,
                    size_t content_length, int keep_alive, const char *extra)
{
    size_t old = out->len;

    if (buf_printf(out, "HTTP/1.1 %d %s\r\n", status,
                   http_status_text(status)) != 0)
        goto fail;
    if (extra != NULL && buf_puts(out, extra) != 0)
        goto fail;
    if (content_type != NULL &&
        buf_printf(out, "Content-Type: %s\r\n", content_type) != 0)
        goto fail;
    /* RFC 7230 section 3.3.2: no Content-Length on 1xx or 204. */
    if (status >= 200 && status != 204 &&
        buf_printf(out, "Content-Length: %zu\r\n", content_length) != 0)
        goto fail;
    /* A 101 carries "Connection: Upgrade" in `extra`; a second Connection
     * field would contradict it. */
    if (status != 101 &&
        buf_puts(out, keep_alive ? "Connection: keep-alive\r\n"
                                 : "Connection: close\r\n") != 0)
        goto fail;
    if (buf_puts(out, "\r\n") != 0)
        goto fail;
    return 0;

fail:
    /* Leave no half-written head behind for the caller to send. */
    out->len = old;
    if (out->data != NULL)
        out->data[old] = '\0';
    return -1;
}
