/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* http: pure HTTP/1.1 request-head parser, query helpers, response heads. */
#ifndef SOCKETIOD_HTTP_H
#define SOCKETIOD_HTTP_H

#include <stddef.h>

#include "buf.h"

#define HTTP_MAX_HEADERS 48

struct http_header {
    const char *name;
    size_t name_len;
    const char *value; /* leading and trailing blanks stripped */
    size_t value_len;
};

/* Every pointer points into the buffer given to http_parse_request(). */
struct http_request {
    const char *method;
    size_t method_len;
    const char *path; /* request-target up to '?' (still %-encoded) */
    size_t path_len;
    const char *query; /* after '?', NULL when the target has no '?' */
    size_t query_len;
    int minor_version; /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t num_headers;
};

/* Parses a request line and headers ending in an empty line (CRLF or bare LF
 * line ends; blank lines before the request line are skipped). Pure: no
 * allocation, `req` points into `buf`.
 * Returns the length of the head (> 0), -2 when the head is incomplete, -1
 * when it is malformed (bad method, a target that is not origin-form or "*"
 * for OPTIONS, no "HTTP/1.0" or "HTTP/1.1", a header line without ':' or
 * with a control character, a folded line, more than HTTP_MAX_HEADERS). */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* Header fields are shared with the response parser (httpres.c): */

/* At buf[*pos]: 1 and *pos past a line end (CRLF or LF), 0 when something
 * else is there, -2 when cut off, -1 for a CR without LF. */
int http_eol(const char *buf, size_t len, size_t *pos);

/* "HTTP/1.0" or "HTTP/1.1" at buf[*pos]: the minor version (0 or 1) and
 * *pos past it, -2 when cut off, -1 when something else is there. */
int http_parse_version(const char *buf, size_t len, size_t *pos);

/* The value of a hexadecimal digit, or -1. */
int http_hex(char c);

/* ASCII case-insensitive comparison of n bytes: 1 when equal. */
int http_case_equal(const char *a, const char *b, size_t n);

/* Parses header lines from buf[pos] through the empty line that ends them,
 * appending to headers[*num] (at most HTTP_MAX_HEADERS in all). Returns
 * the offset just past the empty line (> 0), -2 when cut off, -1 when
 * malformed (obs-fold, no ':', a blank before ':', a control character). */
int http_parse_fields(const char *buf, size_t len, size_t pos,
                      struct http_header *headers, size_t *num);

/* The first of n headers named `name` (case-insensitive), or NULL. */
const struct http_header *http_fields_find(const struct http_header *h,
                                           size_t n, const char *name);

/* Content-Length among n headers: 1 and *len when present and valid, 0
 * when absent, -1 when malformed or repeated with another value. */
int http_fields_content_length(const struct http_header *h, size_t n,
                               size_t *len);

/* 1 when a message of HTTP/1.minor_version with these headers keeps the
 * connection open ("Connection: close" wins; 1.0 needs "keep-alive"). */
int http_fields_keep_alive(const struct http_header *h, size_t n,
                           int minor_version);

/* The first header named `name` (ASCII case-insensitive), or NULL. */
const struct http_header *http_find_header(const struct http_request *req,
                                           const char *name);

/* Steps through a comma-separated header value: the item starting at
 * *pos, blanks trimmed (it may be empty), is value[*s, *e), and *pos moves
 * past its comma. Returns 1, or 0 when the list is done. Start at 0. */
int http_list_next(const struct http_header *h, size_t *pos, size_t *s,
                   size_t *e);

/* 1 when the comma-separated header value contains `token`
 * (case-insensitive, e.g. "keep-alive, Upgrade" has "upgrade"), else 0;
 * `h` may be NULL (0), so the result of http_find_header() can be passed. */
int http_header_has_token(const struct http_header *h, const char *token);

/* Content-Length of the request: 0 and *len when present and valid, 0 and
 * *len = 0 when absent, -1 when malformed, repeated with other values, or
 * over SIZE_MAX. */
int http_content_length(const struct http_request *req, size_t *len);

/* 1 when the request should keep the connection open afterwards (HTTP/1.1
 * without "Connection: close", or HTTP/1.0 with "keep-alive"), else 0. */
int http_keep_alive(const struct http_request *req);

/* Finds `key` in an application/x-www-form-urlencoded query. Returns 1 and
 * the raw (still encoded) value, 0 when absent. A key without '=' has an
 * empty value. */
int http_query_get(const char *query, size_t query_len, const char *key,
                   const char **val, size_t *val_len);

/* %-decodes (and '+' to space) `len` bytes of `src` into `dst`, which has
 * room for `len` bytes; returns the decoded length, or -1 on a bad escape. */
long http_url_decode(char *dst, const char *src, size_t len);

/* The reason phrase for a status code ("OK", "Bad Request", ...). */
const char *http_status_text(int status);

/* Appends "HTTP/1.1 <status> <reason>\r\n", `extra` (zero or more complete
 * "Name: value\r\n" lines, may be NULL), Content-Type when not NULL,
 * Content-Length (not for 1xx and 204, RFC 7230 3.3.2), "Connection:
 * keep-alive" or "close" (not for 101, whose `extra` carries "Connection:
 * Upgrade"), and the blank line.
 * Returns 0, or -1 when out of memory (then `out` is left as it was). */
int http_write_head(struct buf *out, int status, const char *content_type,
                    size_t content_length, int keep_alive, const char *extra);

#endif
