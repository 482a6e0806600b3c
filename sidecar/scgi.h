/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* scgi: pure SCGI codec: the netstring of request headers. */
#ifndef SOCKETIOD_SCGI_H
#define SOCKETIOD_SCGI_H

#include <stddef.h>

#include "buf.h"

/* An SCGI request is a netstring of NUL-separated header pairs, then the
 * body:  "<len>:" CONTENT_LENGTH\0<n>\0 SCGI\01\0 <name>\0<value>\0 ... ","
 * CONTENT_LENGTH comes first and SCGI=1 is required (the SCGI spec). The
 * answer is a CGI response (Status: header) up to the close. */

/* Appends one header pair to `hdrs` (collected before scgi_append_request).
 * Returns 0, or -1 out of memory or when name or value holds a NUL. */
int scgi_append_header(struct buf *hdrs, const char *name, size_t nlen,
                       const char *value, size_t vlen);

/* Appends a whole request: the netstring (CONTENT_LENGTH = blen, SCGI=1,
 * then `hdrs`) and the body. Returns 0, or -1 out of memory. */
int scgi_append_request(struct buf *out, const struct buf *hdrs,
                        const char *body, size_t blen);

/* Parses a netstring "<digits>:<data>,". Pure. Returns the bytes it takes
 * (> 0) with *data / *dlen pointing into `buf`, -2 when incomplete, -1
 * when malformed (no digits, a leading zero in a longer number, more than
 * 9 digits, no ':' or no ',' where due). */
int scgi_parse_netstring(const char *buf, size_t len, const char **data,
                         size_t *dlen);

/* Reads the next header pair of netstring data. Pure. Returns the bytes it
 * takes (> 0), 0 at the end, -1 when a name or value is not NUL-ended or
 * a name is empty. */
int scgi_next_header(const char *buf, size_t len, const char **name,
                     size_t *nlen, const char **value, size_t *vlen);

#endif
