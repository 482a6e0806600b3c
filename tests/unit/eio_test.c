/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* eio_test: v4/v3 packets and payloads, against engine.io-parser's bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "eio.h"
#include "t.h"

#define MAX_PACKETS 64

/* What the tests compare: a packet with its binary body already decoded. */
struct want {
    int type;
    int binary;
    const char *data;
    size_t len;
};

/* clang-format off */
#define TEXT(t, s) {(t), 0, (s), sizeof(s) - 1}
#define BIN(s) {EIO_MESSAGE, 1, (s), sizeof(s) - 1}
/* clang-format on */

/* Decodes a whole body from an exactly-sized heap copy (so ASan sees any
 * read past it) and checks it against `want`. Returns the packets seen, or
 * -1 at the first error. */
static int decode_body(int version, int binary_body, const char *body,
                       size_t len, const struct want *want, int nwant)
{
    char *copy = malloc(len ? len : 1);
    size_t off = 0;
    int count = 0, ok = 1;

    memcpy(copy, body, len);
    while (off < len) {
        struct eio_packet p;
        int n =
            eio_payload_next(version, binary_body, copy + off, len - off, &p);

        if (n <= 0 || (size_t)n > len - off) {
            count = -1;
            break;
        }
        if (p.base64) {
            uint8_t *tmp = malloc(p.len + 1);
            long dl = b64_decode(tmp, p.data, p.len);

            ok &= count < nwant && !p.binary && dl >= 0 && want[count].binary &&
                  want[count].type == p.type && (size_t)dl == want[count].len &&
                  memcmp(tmp, want[count].data, want[count].len) == 0;
            free(tmp);
        } else {
            ok &= count < nwant && want[count].type == p.type &&
                  want[count].binary == p.binary && want[count].len == p.len &&
                  memcmp(p.data, want[count].data, p.len) == 0;
        }
        off += (size_t)n;
        count++;
    }
    free(copy);
    if (count >= 0 && !ok)
        return -2;
    return count;
}

static int encode_body(struct buf *out, int version, int binary_body,
                       const struct want *w, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        struct eio_packet p = {w[i].type, w[i].binary, 0, w[i].data, w[i].len};

        if (eio_payload_append(out, version, binary_body, i == 0, &p) != 0)
            return -1;
    }
    return 0;
}

/* The first four packets the reference vectors below were made from. */
static const struct want ref[] = {
    TEXT(EIO_MESSAGE, "h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), /* hé€😀 */
    BIN("\x01\x02\x03"),
    TEXT(EIO_PING, "probe"),
    TEXT(EIO_NOOP, ""),
};
#define NREF 4

/* engine.io-parser 5.2.3 encodePayload(ref). */
static const char ref_v4[] = "4h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                             "\x1e"
                             "bAQID\x1e"
                             "2probe\x1e"
                             "6";
/* engine.io-parser 2.2.1 encodePayload(ref, false): text. */
static const char ref_v3_text[] = "6:4h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                  "6:b4AQID6:2probe1:6";
/* engine.io-parser 2.2.1 encodePayload(ref, true): octet-stream. */
static const char ref_v3_bin[] = "\x00\x01\x01\xff"
                                 "4h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                 "\x01\x04\xff\x04\x01\x02\x03"
                                 "\x00\x06\xff"
                                 "2probe"
                                 "\x00\x01\xff"
                                 "6";

static void test_decode_text(void)
{
    struct eio_packet p;

    CHECK(eio_decode_text(4, "4hello", 6, 0, &p) == 0);
    CHECK(p.type == EIO_MESSAGE && !p.binary && !p.base64);
    CHECK_STR(p.data, p.len, "hello");
    CHECK(eio_decode_text(3, "2probe", 6, 0, &p) == 0);
    CHECK(p.type == EIO_PING);
    CHECK_STR(p.data, p.len, "probe");
    CHECK(eio_decode_text(4, "6", 1, 1, &p) == 0);
    CHECK(p.type == EIO_NOOP && p.len == 0);
    CHECK(eio_decode_text(4, "0{}", 3, 0, &p) == 0 && p.type == EIO_OPEN);

    CHECK(eio_decode_text(4, "", 0, 1, &p) == -1);
    CHECK(eio_decode_text(4, "7", 1, 1, &p) == -1);
    CHECK(eio_decode_text(4, "/x", 2, 1, &p) == -1);
    CHECK(eio_decode_text(3, "x", 1, 1, &p) == -1);
    CHECK(eio_decode_text(4, "40", 0, 1, &p) == -1); /* len wins over NUL */
    CHECK(eio_decode_text(5, "4a", 2, 1, &p) == -1);
    CHECK(eio_decode_text(2, "4a", 2, 1, &p) == -1);

    /* 'b' marks base64 only where the caller allows it. */
    CHECK(eio_decode_text(4, "bAQID", 5, 0, &p) == -1);
    CHECK(eio_decode_text(4, "bAQID", 5, 1, &p) == 0);
    CHECK(p.type == EIO_MESSAGE && p.base64 && !p.binary);
    CHECK_STR(p.data, p.len, "AQID");
    CHECK(eio_decode_text(4, "b", 1, 1, &p) == 0 && p.base64 && p.len == 0);
    CHECK(eio_decode_text(3, "b4AQID", 6, 1, &p) == 0);
    CHECK(p.type == EIO_MESSAGE && p.base64);
    CHECK_STR(p.data, p.len, "AQID");
    CHECK(eio_decode_text(3, "b4", 2, 1, &p) == 0 && p.len == 0);
    CHECK(eio_decode_text(3, "bAQID", 5, 1, &p) == -1);
    CHECK(eio_decode_text(3, "b2AQID", 6, 1, &p) == -1);
    CHECK(eio_decode_text(3, "b", 1, 1, &p) == -1);
    CHECK(eio_decode_text(3, "b4AQID", 6, 0, &p) == -1);
}

static void test_binary_frame(void)
{
    struct eio_packet p;

    CHECK(eio_decode_binary_frame(4, "\x04\x01\x02", 3, &p) == 0);
    CHECK(p.type == EIO_MESSAGE && p.binary && !p.base64);
    CHECK_STR(p.data, p.len, "\x04\x01\x02");
    CHECK(eio_decode_binary_frame(4, "", 0, &p) == 0 && p.len == 0);

    CHECK(eio_decode_binary_frame(3, "\x04\x01\x02", 3, &p) == 0);
    CHECK(p.type == EIO_MESSAGE && p.binary);
    CHECK_STR(p.data, p.len, "\x01\x02");
    CHECK(eio_decode_binary_frame(3, "\x04", 1, &p) == 0 && p.len == 0);
    CHECK(eio_decode_binary_frame(3, "", 0, &p) == -1);
    CHECK(eio_decode_binary_frame(3, "4\x01", 2, &p) == -1); /* ASCII '4' */
    CHECK(eio_decode_binary_frame(3, "\x02\x01", 2, &p) == -1);
    CHECK(eio_decode_binary_frame(1, "\x04", 1, &p) == -1);
}

static void test_utf16_len(void)
{
    /* Expected values are Node's Buffer.from(bytes).toString().length. */
    static const struct {
        const char *s;
        size_t want;
    } v[] = {
        {"", 0},
        {"abc", 3},
        {"\xc3\xa9", 1},         /* é */
        {"\xe2\x82\xac", 1},     /* € */
        {"\xf0\x9f\x98\x80", 2}, /* 😀, a surrogate pair */
        {"h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 5},
        {"\xff", 1},
        {"\x80", 1},
        {"\xe2\x82", 1}, /* truncated: one U+FFFD */
        {"\xe2\x82"
         "a",
         2},
        {"\xed\xa0\x80", 3}, /* an encoded surrogate */
        {"\xf0\x9f\x98", 1},
        {"\xf0\x9f\x98"
         "a",
         2},
        {"\xc0\x80", 2},         /* overlong NUL */
        {"\xe0\xa0\x80", 1},     /* U+0800, shortest form */
        {"\xf0\x8f\x80\x80", 4}, /* overlong */
        {"\xf4\x90\x80\x80", 4}, /* above U+10FFFF */
        {"\xf4\x8f\xbf\xbf", 2}, /* U+10FFFF */
        {"\xe2\xe2\x82\xac", 2},
    };
    size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        CHECK(eio_utf16_len(v[i].s, strlen(v[i].s)) == v[i].want);
    /* Never reads past len, even mid-sequence. */
    CHECK(eio_utf16_len("\xf0\x9f\x98\x80", 2) == 1);
}

static void test_v4_payload(void)
{
    struct buf b = BUF_INIT;
    static const struct want one[] = {TEXT(EIO_MESSAGE, "x")};
    static const struct want ping[] = {TEXT(EIO_PING, ":4a")};
    static const struct want two_msgs[] = {TEXT(EIO_MESSAGE, "a"),
                                           TEXT(EIO_MESSAGE, "b")};

    CHECK(encode_body(&b, 4, 0, ref, NREF) == 0);
    CHECK_MEM(b.data, b.len, ref_v4, sizeof(ref_v4) - 1);
    buf_reset(&b);
    /* binary_body means nothing to v4. */
    CHECK(encode_body(&b, 4, 1, ref, NREF) == 0);
    CHECK_MEM(b.data, b.len, ref_v4, sizeof(ref_v4) - 1);
    buf_free(&b);
    CHECK(decode_body(4, 0, ref_v4, sizeof(ref_v4) - 1, ref, NREF) == NREF);
    CHECK(decode_body(4, 1, ref_v4, sizeof(ref_v4) - 1, ref, NREF) == NREF);
    CHECK(decode_body(4, 0, "4x", 2, one, 1) == 1);
    CHECK(decode_body(4, 0,
                      "4a\x1e"
                      "4b",
                      5, two_msgs, 2) == 2);

    /* Empty records, wherever they are, are parser errors. */
    CHECK(decode_body(4, 0, "4a\x1e", 3, one, 1) == -1);
    CHECK(decode_body(4, 0,
                      "\x1e"
                      "4a",
                      3, one, 1) == -1);
    CHECK(decode_body(4, 0,
                      "4a\x1e\x1e"
                      "4b",
                      6, two_msgs, 2) == -1);
    CHECK(decode_body(4, 0, "\x1e", 1, one, 1) == -1);
    CHECK(decode_body(4, 0,
                      "4a\x1e"
                      "9",
                      4, two_msgs, 2) == -1);
    CHECK(decode_body(4, 0, "hello", 5, one, 1) == -1);
    /* v3 framing read as v4 is a ping carrying ":4a", as in JS. */
    CHECK(decode_body(4, 0, "2:4a", 4, ping, 1) == 1);
}

static void test_v4_first_flag(void)
{
    struct buf b = BUF_INIT;
    struct eio_packet p = {EIO_MESSAGE, 0, 0, "a", 1};

    /* "first" alone decides the separator, not the buffer's contents. */
    CHECK(buf_puts(&b, "XY") == 0);
    CHECK(eio_payload_append(&b, 4, 0, 1, &p) == 0);
    CHECK(eio_payload_append(&b, 4, 0, 0, &p) == 0);
    CHECK_STR(b.data, b.len,
              "XY4a\x1e"
              "4a");
    buf_free(&b);
}

static void test_v3_text_payload(void)
{
    struct buf b = BUF_INIT;
    static const struct want msg_a[] = {TEXT(EIO_MESSAGE, "a")};
    static const struct want noops[] = {TEXT(EIO_NOOP, ""), TEXT(EIO_NOOP, "")};
    static const struct want mixed[] = {TEXT(EIO_MESSAGE, "a"),
                                        TEXT(EIO_NOOP, ""), TEXT(EIO_NOOP, "")};
    static const struct want utf8[] = {
        TEXT(EIO_MESSAGE, "\xc3\xa9"),         /* é: 1 unit */
        TEXT(EIO_MESSAGE, "\xe2\x82\xac"),     /* €: 1 unit */
        TEXT(EIO_MESSAGE, "\xf0\x9f\x98\x80"), /* 😀: 2 units */
        TEXT(EIO_MESSAGE, "12:4:"),            /* digits and ':' in data */
        TEXT(EIO_MESSAGE, ""),
    };
    static const char utf8_body[] = "2:4\xc3\xa9"
                                    "2:4\xe2\x82\xac"
                                    "3:4\xf0\x9f\x98\x80"
                                    "6:412:4:"
                                    "1:4";

    CHECK(encode_body(&b, 3, 0, ref, NREF) == 0);
    CHECK_MEM(b.data, b.len, ref_v3_text, sizeof(ref_v3_text) - 1);
    buf_reset(&b);
    CHECK(encode_body(&b, 3, 0, utf8, 5) == 0);
    CHECK_MEM(b.data, b.len, utf8_body, sizeof(utf8_body) - 1);
    buf_free(&b);
    CHECK(decode_body(3, 0, ref_v3_text, sizeof(ref_v3_text) - 1, ref, NREF) ==
          NREF);
    CHECK(decode_body(3, 0, utf8_body, sizeof(utf8_body) - 1, utf8, 5) == 5);

    /* engine.io 3 skips "0:" records; we hand them up as NOOPs. */
    CHECK(decode_body(3, 0, "0:0:", 4, noops, 2) == 2);
    CHECK(decode_body(3, 0, "2:4a0:1:6", 9, mixed, 3) == 3);
    CHECK(decode_body(3, 0, "2:4a0:0:", 8, mixed, 3) == 3);
    /* JS Number() takes leading zeros. */
    CHECK(decode_body(3, 0, "002:4a", 6, msg_a, 1) == 1);

    /* Malformed: every one of these makes engine.io 3 drop the payload. */
    CHECK(decode_body(3, 0, ":4a", 3, msg_a, 1) == -1);  /* no length */
    CHECK(decode_body(3, 0, "a:4a", 4, msg_a, 1) == -1); /* not digits */
    CHECK(decode_body(3, 0, "2x:4a", 5, msg_a, 1) == -1);
    CHECK(decode_body(3, 0, "-2:4a", 5, msg_a, 1) == -1);
    CHECK(decode_body(3, 0, " 2:4a", 5, msg_a, 1) == -1);
    CHECK(decode_body(3, 0, "4a", 2, msg_a, 1) == -1); /* no ':' */
    CHECK(decode_body(3, 0, "2", 1, msg_a, 1) == -1);
    CHECK(decode_body(3, 0, "2:4a3", 5, msg_a, 1) == -1); /* dangling */
    CHECK(decode_body(3, 0, "3:4a", 4, msg_a, 1) == -1);  /* truncated */
    CHECK(decode_body(3, 0, "1:4a", 4, msg_a, 1) == -1);  /* too short */
    CHECK(decode_body(3, 0, "2:9a", 4, msg_a, 1) == -1);  /* bad type */
    CHECK(decode_body(3, 0, "2:xa", 4, msg_a, 1) == -1);
    CHECK(decode_body(3, 0, "1:b", 3, msg_a, 1) == -1);         /* "b" w/o 4 */
    CHECK(decode_body(3, 0, "3:4\xc3\xa9", 5, msg_a, 1) == -1); /* é = 1 */
    /* "2:4" + 😀 ends inside the surrogate pair. */
    CHECK(decode_body(3, 0, "2:4\xf0\x9f\x98\x80", 7, msg_a, 1) == -1);
    CHECK(decode_body(3, 0, "4:4\xf0\x9f\x98\x80", 7, msg_a, 1) == -1);
    CHECK(decode_body(3, 0, "99999999999999999999999999:4", 28, msg_a, 1) ==
          -1);
    CHECK(decode_body(3, 0, "18446744073709551617:4", 22, msg_a, 1) == -1);
    CHECK(decode_body(3, 0,
                      "4\x1e"
                      "4a",
                      4, msg_a, 1) == -1); /* v4 form */
}

static void test_v3_text_invalid_utf8(void)
{
    struct buf b = BUF_INIT;
    /* A truncated € counts one unit, as the peer's decoder sees U+FFFD. */
    static const struct want w[] = {TEXT(EIO_MESSAGE, "\xe2\x82"
                                                      "a"),
                                    TEXT(EIO_MESSAGE, "\xff\xff")};

    CHECK(encode_body(&b, 3, 0, w, 2) == 0);
    CHECK_STR(b.data, b.len,
              "3:4\xe2\x82"
              "a3:4\xff\xff");
    CHECK(decode_body(3, 0, b.data, b.len, w, 2) == 2);
    buf_free(&b);
}

static void test_v3_binary_payload(void)
{
    struct buf b = BUF_INIT;
    static const struct want msg_a[] = {TEXT(EIO_MESSAGE, "a")};
    static const struct want bin[] = {BIN("\x01\x02\x03")};
    static const struct want empties[] = {BIN(""), TEXT(EIO_MESSAGE, "")};
    struct want big[1];
    char *data = malloc(12345);

    CHECK(encode_body(&b, 3, 1, ref, NREF) == 0);
    CHECK_MEM(b.data, b.len, ref_v3_bin, sizeof(ref_v3_bin) - 1);
    CHECK(decode_body(3, 1, ref_v3_bin, sizeof(ref_v3_bin) - 1, ref, NREF) ==
          NREF);
    buf_reset(&b);
    CHECK(encode_body(&b, 3, 1, empties, 2) == 0);
    CHECK_STR(b.data, b.len,
              "\x01\x01\xff\x04\x00\x01\xff"
              "4");
    CHECK(decode_body(3, 1, b.data, b.len, empties, 2) == 2);

    /* A multi-digit length: 12345 bytes + type = 1 2 3 4 6. */
    memset(data, 0xab, 12345);
    big[0].type = EIO_MESSAGE;
    big[0].binary = 1;
    big[0].data = data;
    big[0].len = 12345;
    buf_reset(&b);
    CHECK(encode_body(&b, 3, 1, big, 1) == 0);
    CHECK(b.len == 7 + 1 + 12345);
    CHECK_MEM(b.data, 8, "\x01\x01\x02\x03\x04\x06\xff\x04", 8);
    CHECK(decode_body(3, 1, b.data, b.len, big, 1) == 1);
    buf_free(&b);
    free(data);

    /* A string record may itself hold a base64 message, as in JS. */
    CHECK(decode_body(3, 1,
                      "\x00\x06\xff"
                      "b4AQID",
                      9, bin, 1) == 1);
    CHECK(decode_body(3, 1,
                      "\x00\x00\x02\xff"
                      "4a",
                      6, msg_a, 1) == 1);

    CHECK(decode_body(3, 1,
                      "\x02\x02\xff"
                      "4a",
                      5, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "0\x02\xff"
                      "4a",
                      5, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\xff"
                      "4a",
                      4, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\x0a\xff"
                      "4a",
                      5, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\x32\xff"
                      "4a",
                      5, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\x02"
                      "4a",
                      4, msg_a, 1) == -1);
    CHECK(decode_body(3, 1, "\x00\x02", 2, msg_a, 1) == -1);
    CHECK(decode_body(3, 1, "\x00", 1, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\x03\xff"
                      "4a",
                      5, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\x01\xff"
                      "4a",
                      5, msg_a, 1) == -1);
    CHECK(decode_body(3, 1, "\x00\x00\xff", 3, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\x02\xff"
                      "9a",
                      5, msg_a, 1) == -1);
    CHECK(decode_body(3, 1, "\x01\x00\xff", 3, bin, 1) == -1);
    CHECK(decode_body(3, 1, "\x01\x02\xff\x02\x01", 5, bin, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x01\x02\xff"
                      "4a",
                      5, bin, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09"
                      "\x09\x09\x09\x09\x09\x09\x09\x09\x09\xff"
                      "4a",
                      25, msg_a, 1) == -1);
    CHECK(decode_body(3, 1,
                      "\x00\x01\x08\x04\x04\x06\x07\x04\x04\x00\x07\x03\x07"
                      "\x00\x09\x05\x05\x01\x06\x01\x07\xff"
                      "4a",
                      24, msg_a, 1) == -1); /* 2^64 + 1 */
}

static void test_append_base64_input(void)
{
    struct buf b = BUF_INIT;
    struct eio_packet p = {EIO_MESSAGE, 0, 1, "AQID", 4};
    struct eio_packet unpadded = {EIO_MESSAGE, 0, 1, "AQ", 2};
    struct eio_packet bad = {EIO_MESSAGE, 0, 1, "A*==", 4};

    /* Text forms pass base64 through; the octet-stream form decodes it. */
    CHECK(eio_payload_append(&b, 4, 0, 1, &p) == 0);
    CHECK_STR(b.data, b.len, "bAQID");
    buf_reset(&b);
    CHECK(eio_payload_append(&b, 3, 0, 1, &p) == 0);
    CHECK_STR(b.data, b.len, "6:b4AQID");
    buf_reset(&b);
    CHECK(eio_payload_append(&b, 3, 1, 1, &p) == 0);
    CHECK_STR(b.data, b.len, "\x01\x04\xff\x04\x01\x02\x03");
    CHECK(eio_payload_append(&b, 3, 1, 0, &unpadded) == 0);
    CHECK_STR(b.data, b.len,
              "\x01\x04\xff\x04\x01\x02\x03\x01\x02\xff\x04\x01");
    /* Bad base64 appends nothing. */
    CHECK(eio_payload_append(&b, 3, 1, 0, &bad) == -1);
    CHECK_STR(b.data, b.len,
              "\x01\x04\xff\x04\x01\x02\x03\x01\x02\xff\x04\x01");
    CHECK(b.data[b.len] == '\0');
    buf_free(&b);
}

static void test_append_rejects(void)
{
    struct buf b = BUF_INIT;
    struct eio_packet p = {EIO_MESSAGE, 0, 0, "a", 1};

    CHECK(buf_puts(&b, "keep") == 0);
    p.type = 7;
    CHECK(eio_payload_append(&b, 4, 0, 0, &p) == -1);
    p.type = -1;
    CHECK(eio_payload_append(&b, 3, 1, 0, &p) == -1);
    p.type = EIO_MESSAGE;
    CHECK(eio_payload_append(&b, 2, 0, 0, &p) == -1);
    CHECK_STR(b.data, b.len, "keep");

    /* Odd versions are refused everywhere rather than guessed at. */
    CHECK(eio_payload_next(5, 0, "4a", 2, &p) == -1);
    CHECK(eio_payload_next(4, 0, "", 0, &p) == 0);
    CHECK(eio_payload_next(3, 0, "", 0, &p) == 0);
    CHECK(eio_payload_next(3, 1, "", 0, &p) == 0);
    CHECK(eio_encode_open(&b, 5, "x", 1, 1, 1, 1) == -1);
    CHECK_STR(b.data, b.len, "keep");
    buf_free(&b);
}

static void test_open(void)
{
    struct buf b = BUF_INIT;

    CHECK(eio_encode_open(&b, 4, "lv_VI97HAXpY6yYWAAAC", 1, 25000, 20000,
                          1000000) == 0);
    CHECK_STR(b.data, b.len,
              "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
              "\"pingInterval\":25000,\"pingTimeout\":20000,"
              "\"maxPayload\":1000000}");
    buf_reset(&b);
    CHECK(eio_encode_open(&b, 3, "abc", 1, 25000, 5000, 1000000) == 0);
    CHECK_STR(b.data, b.len,
              "0{\"sid\":\"abc\",\"upgrades\":[\"websocket\"],"
              "\"pingInterval\":25000,\"pingTimeout\":5000}");
    buf_reset(&b);
    CHECK(eio_encode_open(&b, 4, "a\"b\\c\n", 0, 1, 2, 3) == 0);
    CHECK_STR(b.data, b.len,
              "0{\"sid\":\"a\\\"b\\\\c\\u000a\",\"upgrades\":[],"
              "\"pingInterval\":1,\"pingTimeout\":2,\"maxPayload\":3}");
    buf_free(&b);
}

static void test_errors(void)
{
    CHECK(strcmp(eio_error_json(EIO_ERR_UNKNOWN_TRANSPORT),
                 "{\"code\":0,\"message\":\"Transport unknown\"}") == 0);
    CHECK(strcmp(eio_error_json(EIO_ERR_UNKNOWN_SID),
                 "{\"code\":1,\"message\":\"Session ID unknown\"}") == 0);
    CHECK(strcmp(eio_error_json(EIO_ERR_BAD_HANDSHAKE_METHOD),
                 "{\"code\":2,\"message\":\"Bad handshake method\"}") == 0);
    CHECK(strcmp(eio_error_json(EIO_ERR_BAD_REQUEST),
                 "{\"code\":3,\"message\":\"Bad request\"}") == 0);
    CHECK(strcmp(eio_error_json(EIO_ERR_FORBIDDEN),
                 "{\"code\":4,\"message\":\"Forbidden\"}") == 0);
    CHECK(strcmp(eio_error_json(EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION),
                 "{\"code\":5,\"message\":\"Unsupported protocol "
                 "version\"}") == 0);
    CHECK(strcmp(eio_error_json((enum eio_error)42),
                 eio_error_json(EIO_ERR_BAD_REQUEST)) == 0);
}

/* A small deterministic generator, so failures reproduce. */
static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Random packet lists survive a round trip through every payload form. */
static void test_random_round_trips(void)
{
    static const char *const pieces[] = {
        "a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", ":",    "7",
        "b", "\x1e",     "\xff",         "\xe2\x82",         "\x00", "\x01\xff",
    };
    static const struct {
        int version, binary_body, npieces;
    } forms[] = {{4, 0, 7}, {3, 0, 12}, {3, 1, 12}};
    char *store = malloc(MAX_PACKETS * 256);
    int iter, failures = 0;

    for (iter = 0; iter < 3000; iter++) {
        struct want w[MAX_PACKETS];
        struct buf b = BUF_INIT;
        int f = iter % 3, n = 1 + (int)(rng() % 12), i;
        char *at = store;

        for (i = 0; i < n; i++) {
            size_t len = 0, k = rng() % 40;

            w[i].binary = rng() % 3 == 0;
            w[i].type = w[i].binary ? EIO_MESSAGE : (int)(rng() % 7);
            w[i].data = at;
            while (k--) {
                /* v4 text cannot carry its own separator. */
                const char *s =
                    w[i].binary ? NULL
                                : pieces[rng() % (uint32_t)forms[f].npieces];
                size_t sl = s ? (*s ? strlen(s) : 1) : 1;

                if (s)
                    memcpy(at + len, s, sl);
                else
                    at[len] = (char)rng();
                len += sl;
            }
            w[i].len = len;
            at += 256;
        }
        if (encode_body(&b, forms[f].version, forms[f].binary_body, w, n) !=
                0 ||
            decode_body(forms[f].version, forms[f].binary_body, b.data, b.len,
                        w, n) != n)
            failures++;
        buf_free(&b);
    }
    CHECK(failures == 0);
    free(store);
}

/* Random bytes never make a decoder misbehave: each call consumes within
 * the body or fails. ASan/UBSan do the rest. */
static void test_garbage(void)
{
    static const char alphabet[] = "0123456789:b4\x1e\x00\x01\x04\xff\xc3"
                                   "\xa9\xf0\x9f";
    int iter, bad = 0;

    for (iter = 0; iter < 200000; iter++) {
        size_t len = rng() % 24, off = 0, i;
        char *body = malloc(len ? len : 1);
        int version = rng() % 2 ? 3 : 4, binary_body = (int)(rng() % 2);

        for (i = 0; i < len; i++)
            body[i] = rng() % 4 ? alphabet[rng() % (sizeof(alphabet) - 1)]
                                : (char)rng();
        while (off < len) {
            struct eio_packet p;
            int n = eio_payload_next(version, binary_body, body + off,
                                     len - off, &p);

            if (n < 0)
                break;
            if (n == 0 || (size_t)n > len - off || p.data < body + off ||
                p.data + p.len > body + off + (size_t)n)
                bad++;
            if (n == 0)
                break;
            off += (size_t)n;
        }
        free(body);
    }
    CHECK(bad == 0);
}

int main(void)
{
    test_decode_text();
    test_binary_frame();
    test_utf16_len();
    test_v4_payload();
    test_v4_first_flag();
    test_v3_text_payload();
    test_v3_text_invalid_utf8();
    test_v3_binary_payload();
    test_append_base64_input();
    test_append_rejects();
    test_open();
    test_errors();
    test_random_round_trips();
    test_garbage();
    return T_DONE();
}
