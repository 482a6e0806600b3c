/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* httpres: pure parsers for what an upstream answers: HTTP/1.1 response
 * heads, CGI response heads (FastCGI/SCGI stdout), chunked bodies. */
#ifndef SOCKETIOD_HTTPRES_H
#define SOCKETIOD_HTTPRES_H

#include <stddef.h>

#include "http.h"

/* Every pointer points into the buffer given to the parser. */
struct httpres {
    int status;        /* 100-999 */
    int minor_version; /* HTTP/1.x; -1 for a CGI head */
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t num_headers;
};

/* Parses "HTTP/1.x NNN reason" and header lines up to the empty line (CRLF
 * or bare LF). Pure: no allocation, `res` points into `buf`.
 * Returns the length of the head (> 0), -2 when incomplete, -1 when
 * malformed (no "HTTP/1.0"/"HTTP/1.1", a status that is not 3 digits, a
 * header without ':' or with a control character, a folded line, more than
 * HTTP_MAX_HEADERS). */
int httpres_parse(const char *buf, size_t len, struct httpres *res);

/* Parses a CGI response head (RFC 3875 6.2): header lines up to the empty
 * line; "Status: NNN reason" gives the status, else 200 (302 with a
 * Location). A head that starts with "HTTP/1." (a non-parsed-header
 * answer, which some servers send over SCGI) is parsed as by
 * httpres_parse(). Same returns as httpres_parse(). */
int httpres_parse_cgi(const char *buf, size_t len, struct httpres *res);

/* The first header named `name` (ASCII case-insensitive), or NULL. */
const struct http_header *httpres_header(const struct httpres *res,
                                         const char *name);

/* Content-Length: 1 and *len when present and valid, 0 when absent, -1
 * when malformed or repeated with different values. */
int httpres_content_length(const struct httpres *res, size_t *len);

/* 1 when Transfer-Encoding ends in "chunked", else 0. */
int httpres_chunked(const struct httpres *res);

/* 1 when the connection may carry another request afterwards (HTTP/1.1
 * without "Connection: close", HTTP/1.0 with "keep-alive"), else 0. */
int httpres_keep_alive(const struct httpres *res);

/* Decodes a chunked body (RFC 7230 4.1) at `buf` in place: chunk sizes
 * (hex, extensions ignored), data, the last chunk, trailers, the final
 * empty line. Returns the bytes consumed (> 0) with the decoded data in
 * buf[0 .. *out_len), -2 when incomplete (buf untouched), -1 when
 * malformed or a size overflows. */
long httpres_dechunk(char *buf, size_t len, size_t *out_len);

#endif
