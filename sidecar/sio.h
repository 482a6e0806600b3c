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

/* Whether `len` bytes at `s` may be a name a client chose (namespace,
 * channel, event): no control character (bytes 0x00-0x1f and 0x7f; a NUL
 * would cut the name where C strings end) and valid UTF-8 (shortest forms,
 * no surrogates, nothing past U+10FFFF). Length is the caller's. Pure.
 * Returns 1 when it may, 0 when not. */
int sio_name_valid(const char *s, size_t len);

/* Checks the JSON string literal at `lit` (lit[0] is its opening quote)
 * as a name, escapes decoded, as sio_json_name() does. Pure. Returns 1 when
 * it is a valid name, 0 when not, -1 when `lit` holds no whole literal. */
int sio_json_string_name(const char *lit, size_t len);

/* Checks item `index` (0 or 1) of the JSON array text `json` as a name,
 * on the text itself: a JSON parser cuts a string at "\u0000" without
 * saying so. `json` must be text a JSON parser accepted; for index 1,
 * item 0 must be a string. Pure. Returns 1 when the item is a string
 * whose value sio_name_valid() takes, 0 when it is a string it does not
 * take (escapes decoded: "\u0001", "\n" are control characters), -1 when
 * the item is not a string or is absent. */
int sio_json_name(const char *json, size_t len, unsigned index);

/* Appends a packet head: type, "<attachments>-" for the binary types,
 * "<nsp>," unless nsp is "/" (or NULL/empty), the ack id unless negative
 * (SIO_NO_ID). The caller appends the JSON data. Returns 0, or -1 out of
 * memory or for a type outside 0-6; on -1 `out` is unchanged. */
int sio_encode_head(struct buf *out, int type, unsigned attachments,
                    const char *nsp, size_t nsp_len, int64_t id);

#endif
