/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* sio: pure Socket.IO packet codec, protocol v5 and v4. */
#ifndef SOCKETIOD_SIO_H
#define SOCKETIOD_SIO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A packet is  <type>[<attachments>-][<nsp>,][<ack id>][<JSON data>]
 *   type         one digit, below
 *   attachments  for BINARY_EVENT/BINARY_ACK: count of binary messages that
 *                follow; the JSON holds {"_placeholder":true,"num":i}
 *   nsp          starts with '/', ends at ','; omitted for "/"; v4 clients
 *                may append "?query" to it; old v4 clients send a
 *                namespace-only packet without the ',' ("1/admin")
 *   ack id       decimal digits
 * e.g. 2["chat","hi"]   21["chat","hi"]   2/admin,7["x"]
 *      51-["up",{"_placeholder":true,"num":0}]   40{"sid":"..."} */
enum sio_type {
    SIO_CONNECT = 0,
    SIO_DISCONNECT = 1,
    SIO_EVENT = 2,
    SIO_ACK = 3,
    SIO_CONNECT_ERROR = 4,
    SIO_BINARY_EVENT = 5,
    SIO_BINARY_ACK = 6,
};

#define SIO_MAX_ATTACHMENTS 64
#define SIO_NO_ID (-1)

/* Pointers point into the caller's buffer. */
struct sio_packet {
    int type;
    unsigned attachments;
    const char *nsp; /* "/" (static) when the packet names none */
    size_t nsp_len;
    const char *query; /* v4 "?a=b" after the namespace, without '?' */
    size_t query_len;  /* 0 and query NULL when absent */
    int64_t id;        /* SIO_NO_ID when absent */
    const char *data;  /* JSON text, not validated here; len 0 if absent */
    size_t data_len;
};

/* Decodes a packet. Pure. Returns 0, or -1 when malformed: unknown type,
 * attachments on a non-binary type or missing on a binary one or more than
 * SIO_MAX_ATTACHMENTS, an ack id over 2^53 or followed by '-' (that is an
 * attachment count, or a negative number no type carries), data that does
 * not start like JSON ('[', '{', '"', a digit, '-', 't', 'f', 'n'; no
 * leading blanks). Anything after the head not starting with '/' is id or
 * data, so a namespace always starts with '/'; without a ',' it runs to
 * the end. A '?' in the namespace starts the query (query non-NULL, maybe
 * empty). Type-specific rules (EVENT needs an array, ...) are the
 * caller's. */
int sio_decode(const char *s, size_t len, struct sio_packet *p);

/* Appends a packet head: type, "<attachments>-" for the binary types,
 * "<nsp>," unless nsp is "/" (or NULL/empty), the ack id unless negative
 * (SIO_NO_ID). The caller appends the JSON data. Returns 0, or -1 out of
 * memory or for a type outside 0-6; on -1 `out` is unchanged. */
int sio_encode_head(struct buf *out, int type, unsigned attachments,
                    const char *nsp, size_t nsp_len, int64_t id);

#endif
