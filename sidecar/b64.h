/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* b64: standard base64 (RFC 4648, padded) over OpenSSL's block coder. */
#ifndef SOCKETIOD_B64_H
#define SOCKETIOD_B64_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends the padded base64 text of `len` bytes. 0, or -1 out of memory. */
int b64_encode(struct buf *out, const void *data, size_t len);

/* Room b64_decode() needs for `len` characters of input. */
#define B64_DECODED_MAX(len) (((len) + 3) / 4 * 3)

/* Decodes padded or unpadded base64 into `dst` (B64_DECODED_MAX(len)
 * bytes of room; dst may equal src for in-place decoding). Returns the
 * decoded length, or -1 when the input is not base64. */
long b64_decode(uint8_t *dst, const char *src, size_t len);

#endif
