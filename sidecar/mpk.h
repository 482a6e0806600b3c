/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* mpk: pure MessagePack reader and writer, and MessagePack <-> Socket.IO
 * JSON (binary values as attachments), for the Redis adapter's messages. */
#ifndef SOCKETIOD_MPK_H
#define SOCKETIOD_MPK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"

/* Nesting taken in a value; deeper is refused as malformed (notepack.io
 * and JSON.stringify have no limit, but no event needs 100 levels). */
#define MPK_MAX_DEPTH 100

enum mpk_type {
    MPK_NIL,
    MPK_BOOL,
    MPK_INT,   /* i */
    MPK_UINT,  /* u: positive values over INT64_MAX only */
    MPK_FLOAT, /* f (float 32 or 64) */
    MPK_STR,   /* p, len */
    MPK_BIN,   /* p, len */
    MPK_EXT,   /* ext, p, len */
    MPK_ARRAY, /* len elements follow */
    MPK_MAP,   /* len key/value pairs follow */
};

/* One item's head. Strings, binaries and extensions point into the
 * caller's buffer. */
struct mpk_item {
    int type; /* enum mpk_type */
    int b;
    int8_t ext;
    int64_t i;
    uint64_t u;
    double f;
    const char *p;
    uint32_t len;
};

/* Reads the item at *p (before end): its head, and for STR, BIN and EXT
 * its bytes too; *p moves past what was read. An ARRAY or MAP whose count
 * exceeds the bytes left (each element takes one at least) is refused.
 * Returns 0, or -1 when cut short or not MessagePack (0xc1). */
int mpk_read(const char **p, const char *end, struct mpk_item *it);

/* Moves *p past one whole value. Returns 0 or -1 (also deeper than
 * MPK_MAX_DEPTH). */
int mpk_skip(const char **p, const char *end);

/* Writes the value at *p as JSON text to `out` (strings must be UTF-8;
 * map keys strings; floats that are not finite become null, as
 * JSON.stringify writes them; the timestamp extension -1 becomes an ISO
 * 8601 string, as a Date is sent). Each BIN becomes
 * {"_placeholder":true,"num":N}, N counting from the number of pointers
 * already in `bins`, and its (pointer, length) is appended to `bins` as
 * two struct mpk_bin. Returns 0, or -1 on malformed input or out of
 * memory (then out and bins hold partial output). */
struct mpk_bin {
    const char *p;
    size_t len;
};
int mpk_to_json(const char **p, const char *end, struct buf *out,
                struct buf *bins);

/* Writers: each appends one head or value to `out`; 0 or -1 when out of
 * memory. Integers take the shortest form, as notepack.io writes them. */
int mpk_put_nil(struct buf *out);
int mpk_put_bool(struct buf *out, int v);
int mpk_put_int(struct buf *out, int64_t v);
int mpk_put_double(struct buf *out, double v);
int mpk_put_str(struct buf *out, const char *s, size_t len);
int mpk_put_bin(struct buf *out, const void *s, size_t len);
int mpk_put_array(struct buf *out, uint32_t n);
int mpk_put_map(struct buf *out, uint32_t n);

/* Appends the strict JSON text json[0..len) as MessagePack: integral
 * numbers within +-2^53 as integers, others as float 64, placeholders
 * {"_placeholder":true,"num":i} as BIN of attach[i]. Returns 0, or -1 when
 * the text is no JSON, a placeholder names no attachment, or out of
 * memory. */
int mpk_from_json(struct buf *out, const char *json, size_t len,
                  struct frame *const *attach, unsigned nattach);

#endif
