/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* b64_test: RFC 4648 vectors, unpadded and invalid input, in-place decoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "t.h"

static const struct {
    const char *plain;
    const char *padded;
    const char *unpadded;
} vectors[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

/* Decodes `text` from an exactly-sized heap copy, in place, so ASan sees
 * any write past the text itself. */
static long decode_in_place(const char *text, size_t len, uint8_t *out)
{
    char *copy = malloc(len ? len : 1);
    long n;

    memcpy(copy, text, len);
    n = b64_decode((uint8_t *)copy, copy, len);
    if (n > 0)
        memcpy(out, copy, (size_t)n);
    free(copy);
    return n;
}

/* Decodes into a heap buffer of exactly B64_DECODED_MAX(len) bytes. */
static long decode_sized(const char *text, size_t len, uint8_t *out)
{
    size_t room = B64_DECODED_MAX(len);
    uint8_t *dst = malloc(room ? room : 1);
    long n = b64_decode(dst, text, len);

    if (n > 0)
        memcpy(out, dst, (size_t)n);
    free(dst);
    return n;
}

static void test_vectors(void)
{
    size_t i;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const char *plain = vectors[i].plain;
        size_t plen = strlen(plain);
        struct buf b = BUF_INIT;
        uint8_t out[16];
        long n;

        CHECK(b64_encode(&b, plain, plen) == 0);
        CHECK(b.len == strlen(vectors[i].padded));
        CHECK(b.data == NULL || strcmp(b.data, vectors[i].padded) == 0);
        buf_free(&b);

        n = decode_sized(vectors[i].padded, strlen(vectors[i].padded), out);
        CHECK_MEM(out, n, plain, plen);
        n = decode_sized(vectors[i].unpadded, strlen(vectors[i].unpadded), out);
        CHECK_MEM(out, n, plain, plen);
        n = decode_in_place(vectors[i].padded, strlen(vectors[i].padded), out);
        CHECK_MEM(out, n, plain, plen);
        n = decode_in_place(vectors[i].unpadded, strlen(vectors[i].unpadded),
                            out);
        CHECK_MEM(out, n, plain, plen);
    }
}

static void test_append(void)
{
    struct buf b = BUF_INIT;
    static const uint8_t bytes[] = {0x00, 0xff, 0x10, 0xfb, 0xef};

    CHECK(buf_puts(&b, "b") == 0);
    CHECK(b64_encode(&b, bytes, sizeof(bytes)) == 0);
    CHECK_STR(b.data, b.len, "bAP8Q++8=");
    CHECK(b64_encode(&b, "", 0) == 0);
    CHECK_STR(b.data, b.len, "bAP8Q++8=");
    CHECK(b.data[b.len] == '\0');
    buf_free(&b);
}

static void test_alphabet(void)
{
    uint8_t out[8];
    long n;

    /* '+' and '/' are the standard 62nd and 63rd letters. */
    n = b64_decode(out, "+/+/", 4);
    CHECK(n == 3 && out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
    n = b64_decode(out, "AAAA", 4);
    CHECK(n == 3 && out[0] == 0 && out[1] == 0 && out[2] == 0);
    /* Leftover bits in the last character are tolerated, as Node does. */
    n = b64_decode(out, "Zh==", 4);
    CHECK(n == 1 && out[0] == 'f');
}

static void test_invalid(void)
{
    static const char *const bad[] = {
        "Z",          /* one character cannot hold a byte */
        "Zm9vY",      /* same, after a whole quantum */
        "Zg=",        /* padding without a whole quantum */
        "Zm9vYg=",    /* same */
        "Z===",       /* three pads */
        "====",       /* pads only */
        "=Zg=",       /* pad first */
        "Zg==Zg==",   /* pad in the middle */
        "Zm9v!A==",   /* not in the alphabet */
        "Zm 9vw==",   /* blanks are not skipped */
        " Zm9vZg=",   /* not even leading ones, as OpenSSL would */
        "Zm9vZg\n\n", /* nor trailing newlines */
        "Zm9vZg=\n",  /* nor after padding */
        "Zm-_",       /* base64url letters */
        "Zm\xc3\xa9",
    };
    uint8_t out[16];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(b64_decode(out, bad[i], strlen(bad[i])) == -1);
    /* An embedded NUL is just another bad character. */
    CHECK(b64_decode(out, "Zm\0v", 4) == -1);
    /* A length the result could not be reported in. */
    CHECK(b64_decode(out, "", (size_t)-1) == -1);
}

/* Round trips lengths across OpenSSL slice boundaries, padded, unpadded,
 * into separate memory and in place. */
static void test_round_trips(void)
{
    static const size_t lens[] = {1,     2,     3,     766,   767,  768,
                                  769,   770,   1535,  1536,  1537, 3073,
                                  49151, 49152, 49153, 100000};
    size_t k;

    for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        size_t len = lens[k], i, text_len;
        uint8_t *plain = malloc(len), *out = malloc(len + 3);
        struct buf b = BUF_INIT;
        int bad_chars = 0;
        long n;

        for (i = 0; i < len; i++)
            plain[i] = (uint8_t)(i * 131 + (i >> 8) * 7);
        CHECK(b64_encode(&b, plain, len) == 0);
        CHECK(b.len == (len + 2) / 3 * 4);
        for (i = 0; i < b.len; i++)
            if (b.data[i] == '=' && i < b.len - 2)
                bad_chars++;
        CHECK(bad_chars == 0);

        n = decode_sized(b.data, b.len, out);
        CHECK_MEM(out, n, plain, len);
        n = decode_in_place(b.data, b.len, out);
        CHECK_MEM(out, n, plain, len);
        text_len = b.len;
        while (text_len > 0 && b.data[text_len - 1] == '=')
            text_len--;
        n = decode_in_place(b.data, text_len, out);
        CHECK_MEM(out, n, plain, len);
        n = decode_sized(b.data, text_len, out);
        CHECK_MEM(out, n, plain, len);

        /* A bad character in the last slice fails the whole input. */
        b.data[b.len - 1 - (b.len > 4 ? 4 : 0)] = '*';
        CHECK(b64_decode(out, b.data, b.len) == -1);

        buf_free(&b);
        free(plain);
        free(out);
    }
}

int main(void)
{
    test_vectors();
    test_append();
    test_alphabet();
    test_invalid();
    test_round_trips();
    return T_DONE();
}
