/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upres: where an upstream answer ends (HTTP/1.1, FastCGI, SCGI). */
#ifndef SOCKETIOD_UPRES_H
#define SOCKETIOD_UPRES_H

#include <stddef.h>

#include "buf.h"

/* The framing upstream.c applies to what the application sends back, on
 * top of the head and record parsers of httpres.c and fcgi.c. Pure: no
 * I/O; only upres_fcgi() writes, into the caller's buffer. */

enum upres_result {
    UPRES_MORE,   /* not a whole answer yet: wait for more bytes */
    UPRES_DONE,   /* a whole answer, in struct upres */
    UPRES_BAD,    /* not a valid answer; why */
    UPRES_CLOSED, /* the application closed within the body; why */
    UPRES_NOMEM,
};

struct upres {
    int status;
    const char *body; /* into the caller's buffer; NULL when len is 0 */
    size_t len;
    int keep;        /* the connection may carry the next request */
    size_t consumed; /* the bytes the answer took from the buffer */
    const char *why;
};

/* An HTTP/1.1 answer in data[0..len), `eof` when the application closed
 * after it. Interim (1xx) answers are skipped; the body is chunked
 * (decoded in place), as long as Content-Length, empty for 204 and 304,
 * or else runs to the close. keep only when Connection allows, nothing
 * follows the answer and the application has not closed. Returns an enum
 * upres_result; UPRES_MORE with eof means nothing but interim answers came. */
int upres_http(char *data, size_t len, int eof, struct upres *r);

/* A CGI answer (SCGI's whole stream, FastCGI's STDOUT) complete in
 * data[0..len): its Status (default 200) and body, cut to Content-Length
 * when the body is longer. UPRES_DONE (keep 0, consumed len) or UPRES_BAD. */
int upres_cgi(const char *data, size_t len, struct upres *r);

/* Called with each non-empty FastCGI STDERR content, into the buffer. */
typedef void (*upres_stderr_cb)(void *arg, const char *text, size_t len);

/* FastCGI records in data[0..len) for request `id` (others are skipped):
 * STDOUT content is appended to `out`, STDERR content goes to `on_stderr`
 * (may be NULL), up to FCGI_END_REQUEST. *used is the bytes of whole
 * records read, to be dropped before the next call. Returns UPRES_MORE,
 * UPRES_DONE (`out` holds the CGI answer for upres_cgi()), UPRES_BAD (a
 * malformed record, or the request not completed; why) or UPRES_NOMEM. */
int upres_fcgi(const char *data, size_t len, unsigned id, struct buf *out,
               size_t *used, upres_stderr_cb on_stderr, void *arg,
               const char **why);

#endif
