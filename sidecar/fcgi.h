/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fcgi: pure FastCGI record codec (layout and constants from fcgi2's
 * fastcgi.h), for the upstream client and a responder front. */
#ifndef SOCKETIOD_FCGI_H
#define SOCKETIOD_FCGI_H

#include <stddef.h>
#include <stdint.h>

#include <fastcgi.h>

#include "buf.h"

/* A record is an 8-byte header, content, padding:
 *   version(1)=FCGI_VERSION_1 type(1) requestId(2, big-endian)
 *   contentLength(2) paddingLength(1) reserved(1)
 * e.g. FCGI_BEGIN_REQUEST id 1: 01 01 00 01 00 08 00 00 + 8-byte body
 * (role FCGI_RESPONDER, flags FCGI_KEEP_CONN). A stream (PARAMS, STDIN,
 * STDOUT, STDERR) ends with an empty record of its type. */
struct fcgi_record {
    int type;
    unsigned id;
    const char *content; /* points into the caller's buffer */
    size_t len;
};

/* Parses one record. Pure. Returns the bytes it takes, padding included
 * (> 0), -2 when incomplete, -1 when the version is not 1 or the type is 0
 * or above FCGI_MAXTYPE. */
int fcgi_parse_record(const char *buf, size_t len, struct fcgi_record *rec);

/* Appends records of `type` and `id` holding `len` bytes (split in pieces
 * of at most FCGI_MAX_LENGTH, padded to 8); len 0 appends the empty record
 * that ends a stream. Returns 0, or -1 out of memory. */
int fcgi_append(struct buf *out, int type, unsigned id, const void *data,
                size_t len);

/* Appends FCGI_BEGIN_REQUEST with `role` and `flags` (FCGI_KEEP_CONN). */
int fcgi_append_begin(struct buf *out, unsigned id, int role, int flags);

/* Appends one name-value pair (lengths in 1 byte below 128, else 4 bytes
 * with the top bit set) to `out` (the content of PARAMS records, to be
 * wrapped with fcgi_append()). Returns 0, or -1 out of memory. */
int fcgi_append_param(struct buf *out, const char *name, size_t nlen,
                      const char *value, size_t vlen);

/* Reads the next name-value pair of PARAMS content at `buf`. Pure. Returns
 * the bytes it takes (> 0), -2 when incomplete (0 at the end of the
 * content), -1 when a length is over 2^31. */
int fcgi_parse_param(const char *buf, size_t len, const char **name,
                     size_t *nlen, const char **value, size_t *vlen);

/* The appStatus and protocolStatus of FCGI_END_REQUEST content. Returns 0,
 * or -1 when the content is shorter than 8 bytes. */
int fcgi_parse_end(const char *content, size_t len, uint32_t *app_status,
                   int *protocol_status);

#endif
