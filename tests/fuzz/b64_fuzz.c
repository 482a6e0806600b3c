/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* b64_fuzz: libFuzzer target for base64: decode anything, round-trip bytes. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf enc = BUF_INIT;
    uint8_t *dst;
    long n;

    /* Decoding arbitrary text: bounded by B64_DECODED_MAX, never past it. */
    dst = malloc(B64_DECODED_MAX(size) ? B64_DECODED_MAX(size) : 1);
    if (dst == NULL)
        return 0;
    n = b64_decode(dst, (const char *)data, size);
    assert(n >= -1 && (size_t)(n < 0 ? 0 : n) <= B64_DECODED_MAX(size));
    if (n >= 0) {
        /* Whatever decodes re-encodes to text that decodes to the same. */
        struct buf again = BUF_INIT;
        uint8_t *dst2;
        long m;
        assert(b64_encode(&again, dst, (size_t)n) == 0);
        dst2 = malloc(B64_DECODED_MAX(again.len) + 1);
        assert(dst2 != NULL);
        m = b64_decode(dst2, again.data, again.len);
        assert(m == n && memcmp(dst, dst2, (size_t)n) == 0);
        free(dst2);
        buf_free(&again);
    }
    free(dst);

    /* Round trip of the input as bytes, and in-place decoding. */
    assert(b64_encode(&enc, data, size) == 0);
    assert(enc.len == (size + 2) / 3 * 4);
    n = b64_decode((uint8_t *)enc.data, enc.data, enc.len);
    assert(n == (long)size && memcmp(enc.data, data, size) == 0);
    buf_free(&enc);
    return 0;
}
