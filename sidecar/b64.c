/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* b64: standard base64 (RFC 4648, padded) over OpenSSL's block coder. */
#include "b64.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

/* EVP_*Block take an int length; work in slices well below INT_MAX. The
 * encode slice is a multiple of 3 so only the last one gets padding; the
 * decode slice is a multiple of 4 so it holds whole quanta. */
#define B64_ENC_SLICE (3 * 16384)
#define B64_DEC_SLICE 1024

int b64_encode(struct buf *out, const void *data, size_t len)
{
    const unsigned char *src = data;
    size_t enc_len, done = 0;

    if (len / 3 + 1 > SIZE_MAX / 4)
        return -1;
    enc_len = (len + 2) / 3 * 4;
    /* buf_reserve keeps one spare byte, which takes the NUL that
     * EVP_EncodeBlock writes after its output. */
    if (buf_reserve(out, enc_len) != 0)
        return -1;
    while (done < len) {
        size_t n = len - done < B64_ENC_SLICE ? len - done : B64_ENC_SLICE;
        int w = EVP_EncodeBlock((unsigned char *)out->data + out->len,
                                src + done, (int)n);

        out->len += (size_t)w;
        done += n;
    }
    out->data[out->len] = '\0';
    return 0;
}

static int b64_is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

long b64_decode(uint8_t *dst, const char *src, size_t len)
{
    unsigned char in_tmp[B64_DEC_SLICE];
    unsigned char out_tmp[B64_DEC_SLICE / 4 * 3];
    size_t body, tail, i, in = 0, out = 0;

    /* The result must fit a long. */
    if (len > (size_t)LONG_MAX / 3 * 4)
        return -1;
    /* Padding is only legal as the last one or two characters of a whole
     * quantum; unpadded input simply stops short. */
    body = len;
    if (len % 4 == 0 && len > 0 && src[len - 1] == '=') {
        body--;
        if (src[len - 2] == '=')
            body--;
    }
    if (body % 4 == 1)
        return -1;
    /* OpenSSL would skip surrounding blanks; validating every character
     * here makes it see exactly the alphabet and nothing else. */
    for (i = 0; i < body; i++)
        if (!b64_is_alpha((unsigned char)src[i]))
            return -1;

    /* Both sides go through temporaries: the input so that dst == src
     * cannot feed OpenSSL bytes it has just written, the output because
     * OpenSSL writes a zero byte for each '=' of the last quantum, which
     * could land past the end of an in-place buffer holding unpadded
     * text. Output never overtakes input: each slice's 3/4-sized result
     * ends at or before where the slice began plus its length. */
    tail = body % 4;
    while (in < body) {
        size_t n = body - in, pad = 0;
        int w;

        if (n > B64_DEC_SLICE)
            n = B64_DEC_SLICE;
        memcpy(in_tmp, src + in, n);
        if (in + n == body && tail != 0) {
            /* The last slice is short (n % 4 == tail), so the quantum we
             * complete still fits in in_tmp. */
            pad = 4 - tail;
            memset(in_tmp + n, '=', pad);
        }
        w = EVP_DecodeBlock(out_tmp, in_tmp, (int)(n + pad));
        if (w < 0 || (size_t)w < pad)
            return -1;
        memcpy(dst + out, out_tmp, (size_t)w - pad);
        out += (size_t)w - pad;
        in += n;
    }
    return (long)out;
}
