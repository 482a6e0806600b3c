/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ws_test: unit tests for the RFC 6455 codec in sidecar/ws.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "ws.h"

/* Parses a copy held in a block of exactly `len` bytes, so that ASan
 * reports any read past the end. */
static int parse_exact(const uint8_t *buf, size_t len, struct ws_frame *f)
{
    uint8_t *copy = malloc(len ? len : 1);
    int r;

    memcpy(copy, buf, len);
    r = ws_parse_head(copy, len, f);
    free(copy);
    return r;
}

/* Every strict prefix of a valid head needs more bytes. */
static void check_splits(const uint8_t *buf, size_t len)
{
    struct ws_frame f;
    size_t i;
    int bad = 0;

    for (i = 0; i < len; i++) {
        if (parse_exact(buf, i, &f) != -2)
            bad++;
    }
    CHECK(bad == 0);
    CHECK(parse_exact(buf, len, &f) == (int)len);
}

static void test_accept_key(void)
{
    char out[29];

    memset(out, 'x', sizeof(out));
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out) == 0);
    CHECK_STR(out, strlen(out), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(out[28] == '\0');

    /* Another 16-byte key, checked against `openssl sha1 | base64`. */
    CHECK(ws_accept_key("AQIDBAUGBwgJCgsMDQ4PEA==", 24, out) == 0);
    CHECK_STR(out, strlen(out), "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
    /* '+' and '/' are base64 characters. */
    CHECK(ws_accept_key("++++++++++++++++//////==", 24, out) == 0);
    CHECK(strlen(out) == 28);

    CHECK(ws_accept_key(NULL, 24, out) == -1);
    CHECK(ws_accept_key("", 0, out) == -1);
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", 23, out) == -1);
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 23, out) == -1);
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ===", 25, out) == -1);
    /* 24 characters, but not 16 bytes: no padding, or wrong padding. */
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQAA", 24, out) == -1);
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZ===", 24, out) == -1);
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=A", 24, out) == -1);
    /* Characters outside the alphabet (URL-safe base64, blanks, NUL). */
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZ-==", 24, out) == -1);
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZ_==", 24, out) == -1);
    CHECK(ws_accept_key(" GhlIHNhbXBsZSBub25jZQ==", 24, out) == -1);
    CHECK(ws_accept_key("dGhlIHNhbX\0sZSBub25jZQ==", 24, out) == -1);
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBu\xc3\xa9Z5jZ==", 24, out) == -1);
}

static void test_parse_head_basic(void)
{
    /* RFC 6455 section 5.7: a masked "Hello". */
    static const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                    0x7f, 0x9f, 0x4d, 0x51, 0x58};
    struct ws_frame f;
    uint8_t payload[5];

    memset(&f, 0xAA, sizeof(f));
    CHECK(parse_exact(hello, sizeof(hello), &f) == 6);
    CHECK(f.fin == 1);
    CHECK(f.opcode == WS_OP_TEXT);
    CHECK(f.masked == 1);
    CHECK(f.payload_len == 5);
    CHECK(memcmp(f.mask, hello + 2, 4) == 0);
    memcpy(payload, hello + 6, 5);
    ws_unmask(payload, 5, f.mask, 0);
    CHECK_MEM(payload, 5, "Hello", 5);
    check_splits(hello, 6);

    /* The same frame unmasked, as a server sends it: refused from a
     * client (section 5.1). */
    {
        static const uint8_t unmasked[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
        CHECK(parse_exact(unmasked, sizeof(unmasked), &f) == -1);
        CHECK(parse_exact(unmasked, 2, &f) == -1);
    }

    /* First fragment, continuation, final continuation. */
    {
        static const uint8_t first[] = {0x01, 0x83, 1, 2, 3, 4};
        static const uint8_t cont[] = {0x00, 0x80, 1, 2, 3, 4};
        static const uint8_t last[] = {0x80, 0x82, 1, 2, 3, 4};
        CHECK(parse_exact(first, 6, &f) == 6 && f.fin == 0 &&
              f.opcode == WS_OP_TEXT && f.payload_len == 3);
        CHECK(parse_exact(cont, 6, &f) == 6 && f.fin == 0 &&
              f.opcode == WS_OP_CONT && f.payload_len == 0);
        CHECK(parse_exact(last, 6, &f) == 6 && f.fin == 1 &&
              f.opcode == WS_OP_CONT && f.payload_len == 2);
    }

    /* Binary, close, ping, pong. */
    {
        static const uint8_t ops[] = {0x82, 0x88, 0x89, 0x8A};
        static const int want[] = {WS_OP_BINARY, WS_OP_CLOSE, WS_OP_PING,
                                   WS_OP_PONG};
        uint8_t b[6] = {0, 0x80 | 7, 9, 9, 9, 9};
        size_t i;

        for (i = 0; i < sizeof(ops); i++) {
            b[0] = ops[i];
            CHECK(parse_exact(b, 6, &f) == 6 && f.opcode == want[i] &&
                  f.payload_len == 7);
            check_splits(b, 6);
        }
    }

    /* Bytes after the head are not part of it. */
    {
        static const uint8_t more[] = {0x82, 0x81, 0, 0, 0, 0, 0xFF, 0xFF};
        CHECK(parse_exact(more, sizeof(more), &f) == 6);
    }
}

static void test_parse_head_lengths(void)
{
    struct ws_frame f;

    /* 125 is the largest 7-bit length. */
    {
        static const uint8_t b[] = {0x82, 0xFD, 1, 2, 3, 4};
        CHECK(parse_exact(b, 6, &f) == 6 && f.payload_len == 125);
    }
    /* 16-bit lengths. */
    {
        static const uint8_t b[] = {0x82, 0xFE, 0x00, 0x7E, 1, 2, 3, 4};
        CHECK(parse_exact(b, 8, &f) == 8 && f.payload_len == 126);
        CHECK(memcmp(f.mask, "\x01\x02\x03\x04", 4) == 0);
        check_splits(b, sizeof(b));
    }
    {
        static const uint8_t b[] = {0x82, 0xFE, 0xFF, 0xFF, 1, 2, 3, 4};
        CHECK(parse_exact(b, 8, &f) == 8 && f.payload_len == 65535);
    }
    {
        static const uint8_t b[] = {0x82, 0xFE, 0x12, 0x34, 1, 2, 3, 4};
        CHECK(parse_exact(b, 8, &f) == 8 && f.payload_len == 0x1234);
    }
    /* 64-bit lengths. */
    {
        static const uint8_t b[] = {0x82, 0xFF, 0, 0, 0, 0, 0,
                                    1,    0,    0, 9, 8, 7, 6};
        CHECK(parse_exact(b, 14, &f) == 14 && f.payload_len == 65536);
        CHECK(memcmp(f.mask, "\x09\x08\x07\x06", 4) == 0);
        check_splits(b, sizeof(b));
    }
    {
        static const uint8_t b[] = {0x82, 0xFF, 0x01, 0x23, 0x45, 0x67, 0x89,
                                    0xAB, 0xCD, 0xEF, 1,    2,    3,    4};
        CHECK(parse_exact(b, 14, &f) == 14 &&
              f.payload_len == UINT64_C(0x0123456789ABCDEF));
    }
    {
        static const uint8_t b[] = {0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF,
                                    0xFF, 0xFF, 0xFF, 1,    2,    3,    4};
        CHECK(parse_exact(b, 14, &f) == 14 &&
              f.payload_len == UINT64_C(0x7FFFFFFFFFFFFFFF));
    }
    /* The top bit of a 64-bit length must be 0 (section 5.2). */
    {
        static const uint8_t b[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0,
                                    0,    0,    0,    1, 2, 3, 4};
        static const uint8_t c[] = {0x82, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                    0xFF, 0xFF, 0xFF, 1,    2,    3,    4};
        CHECK(parse_exact(b, 14, &f) == -1);
        CHECK(parse_exact(c, 14, &f) == -1);
    }
    /* Non-minimal lengths are accepted. */
    {
        static const uint8_t b16[] = {0x82, 0xFE, 0, 5, 1, 2, 3, 4};
        static const uint8_t b64[] = {0x82, 0xFF, 0, 0, 0, 0, 0,
                                      0,    0,    5, 1, 2, 3, 4};
        CHECK(parse_exact(b16, 8, &f) == 8 && f.payload_len == 5);
        CHECK(parse_exact(b64, 14, &f) == 14 && f.payload_len == 5);
    }
}

static void test_parse_head_errors(void)
{
    struct ws_frame f;
    uint8_t b[14];
    int op, bad;

    /* RSV1, RSV2, RSV3: caught from the first byte. */
    b[0] = 0x81 | 0x40;
    CHECK(parse_exact(b, 1, &f) == -1);
    b[0] = 0x81 | 0x20;
    CHECK(parse_exact(b, 1, &f) == -1);
    b[0] = 0x81 | 0x10;
    CHECK(parse_exact(b, 1, &f) == -1);
    b[0] = 0x81 | 0x70;
    b[1] = 0x80;
    memset(b + 2, 0, 4);
    CHECK(parse_exact(b, 6, &f) == -1);

    /* Reserved opcodes 3-7 and B-F, with and without FIN. */
    bad = 0;
    for (op = 0; op < 16; op++) {
        int known = op <= 2 || (op >= 8 && op <= 10);
        b[0] = (uint8_t)(0x80 | op);
        b[1] = 0x80;
        memset(b + 2, 0, 4);
        if (parse_exact(b, 6, &f) != (known ? 6 : -1))
            bad++;
        if (!known && parse_exact(b, 1, &f) != -1)
            bad++;
        if (known && parse_exact(b, 1, &f) != -2)
            bad++;
        b[0] = (uint8_t)op;
        if (!known && parse_exact(b, 6, &f) != -1)
            bad++;
    }
    CHECK(bad == 0);

    /* Control frames: not fragmented, at most 125 bytes. */
    memset(b, 0, sizeof(b));
    b[0] = WS_OP_PING; /* FIN clear */
    b[1] = 0x80;
    CHECK(parse_exact(b, 2, &f) == -1);
    b[0] = WS_OP_CLOSE;
    CHECK(parse_exact(b, 6, &f) == -1);
    b[0] = WS_OP_PONG;
    CHECK(parse_exact(b, 6, &f) == -1);
    b[0] = 0x80 | WS_OP_PING;
    b[1] = 0x80 | 125;
    CHECK(parse_exact(b, 6, &f) == 6 && f.payload_len == 125);
    b[1] = 0x80 | 126;
    CHECK(parse_exact(b, 2, &f) == -1);
    b[0] = 0x80 | WS_OP_CLOSE;
    b[1] = 0x80 | 127;
    CHECK(parse_exact(b, 14, &f) == -1);
    /* Even a 16-bit form of a small length is refused for control frames,
     * since the 7-bit field itself says "more than 125". */
    b[0] = 0x80 | WS_OP_PONG;
    b[1] = 0x80 | 126;
    b[2] = 0;
    b[3] = 1;
    CHECK(parse_exact(b, 8, &f) == -1);

    /* Unmasked data frames are refused as soon as byte 1 is seen. */
    b[0] = 0x82;
    b[1] = 0x7E;
    CHECK(parse_exact(b, 2, &f) == -1);
    CHECK(parse_exact(b, 0, &f) == -2);
}

/* Every one of the 65536 two-byte starts is classified without reading
 * further than given, and heads never claim more than WS_MAX_HEAD. */
static void test_parse_head_all_starts(void)
{
    struct ws_frame f;
    uint8_t b[WS_MAX_HEAD];
    unsigned x;
    int r, bad = 0;

    memset(b, 0, sizeof(b));
    for (x = 0; x < 65536; x++) {
        b[0] = (uint8_t)(x >> 8);
        b[1] = (uint8_t)x;
        r = parse_exact(b, sizeof(b), &f);
        if (r != -1 && (r < 6 || r > WS_MAX_HEAD))
            bad++;
        if (r > 0 && (f.masked != 1 || f.payload_len > UINT64_C(0xFFFF) ||
                      (f.opcode >= 8 && (f.payload_len > 125 || !f.fin))))
            bad++;
    }
    CHECK(bad == 0);
}

static void unmask_ref(uint8_t *d, size_t len, const uint8_t m[4], uint64_t off)
{
    size_t i;

    for (i = 0; i < len; i++)
        d[i] ^= m[(off + i) % 4];
}

static void test_unmask(void)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t src[300], a[301], b[300];
    size_t len, start, i, cut;
    int bad = 0;

    for (i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 131 + 7);

    /* Every length up to 70 at offsets 0-9 and some large ones, also from
     * an odd address so the word path is unaligned. */
    for (len = 0; len <= 70; len++) {
        static const uint64_t offs[] = {0,
                                        1,
                                        2,
                                        3,
                                        4,
                                        5,
                                        6,
                                        7,
                                        8,
                                        9,
                                        UINT64_C(0xFFFFFFFF),
                                        UINT64_C(0x100000003),
                                        UINT64_C(0xFFFFFFFFFFFFFFFE)};
        for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
            for (start = 0; start < 2; start++) {
                memcpy(a + start, src, len);
                memcpy(b, src, len);
                ws_unmask(a + start, len, mask, offs[i]);
                unmask_ref(b, len, mask, offs[i]);
                if (memcmp(a + start, b, len) != 0)
                    bad++;
            }
        }
    }
    CHECK(bad == 0);

    /* Unmasking in pieces, each at its offset in the payload, is the same
     * as unmasking the whole. */
    bad = 0;
    for (cut = 0; cut <= sizeof(src); cut += 7) {
        memcpy(a, src, sizeof(src));
        memcpy(b, src, sizeof(src));
        ws_unmask(a, cut, mask, 0);
        ws_unmask(a + cut, sizeof(src) - cut, mask, cut);
        unmask_ref(b, sizeof(src), mask, 0);
        if (memcmp(a, b, sizeof(src)) != 0)
            bad++;
    }
    CHECK(bad == 0);

    /* Twice gives back the input; a zero-length call touches nothing. */
    memcpy(a, src, sizeof(src));
    ws_unmask(a, sizeof(src), mask, 5);
    CHECK(memcmp(a, src, sizeof(src)) != 0);
    ws_unmask(a, sizeof(src), mask, 5);
    CHECK(memcmp(a, src, sizeof(src)) == 0);
    ws_unmask(NULL, 0, mask, 3);

    /* Known bytes: offset 2 starts with mask[2]. */
    memset(a, 0, 6);
    ws_unmask(a, 6, mask, 2);
    CHECK_MEM(a, 6, "\x21\x3d\x37\xfa\x21\x3d", 6);
}

static void test_write_head(void)
{
    uint8_t h[WS_MAX_HEAD];
    size_t n;

    n = ws_write_head(h, 1, WS_OP_TEXT, 5);
    CHECK_MEM(h, n, "\x81\x05", 2);
    n = ws_write_head(h, 0, WS_OP_BINARY, 0);
    CHECK_MEM(h, n, "\x02\x00", 2);
    n = ws_write_head(h, 1, WS_OP_CLOSE, 125);
    CHECK_MEM(h, n, "\x88\x7d", 2);
    n = ws_write_head(h, 1, WS_OP_TEXT, 126);
    CHECK_MEM(h, n, "\x81\x7e\x00\x7e", 4);
    n = ws_write_head(h, 1, WS_OP_TEXT, 65535);
    CHECK_MEM(h, n, "\x81\x7e\xff\xff", 4);
    n = ws_write_head(h, 1, WS_OP_TEXT, 65536);
    CHECK_MEM(h, n, "\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    n = ws_write_head(h, 0, WS_OP_CONT, UINT64_C(0x0102030405060708));
    CHECK_MEM(h, n, "\x00\x7f\x01\x02\x03\x04\x05\x06\x07\x08", 10);

    /* A server head plus MASK and a key is a head the parser reads back. */
    {
        static const uint64_t lens[] = {0,     1,     125,   126,
                                        127,   65535, 65536, UINT64_C(1) << 40,
                                        12345, 999999};
        struct ws_frame f;
        uint8_t c[WS_MAX_HEAD + 4];
        size_t i;
        int bad = 0;

        for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            n = ws_write_head(c, 1, WS_OP_BINARY, lens[i]);
            c[1] |= 0x80;
            memcpy(c + n, "\x0a\x0b\x0c\x0d", 4);
            if (parse_exact(c, n + 4, &f) != (int)(n + 4) ||
                f.payload_len != lens[i] || f.opcode != WS_OP_BINARY ||
                f.fin != 1 || memcmp(f.mask, "\x0a\x0b\x0c\x0d", 4) != 0)
                bad++;
        }
        CHECK(bad == 0);
    }
}

static void test_encode_frame(void)
{
    struct buf out = BUF_INIT;
    static uint8_t big[70000];

    CHECK(ws_encode_frame(&out, WS_OP_TEXT, "Hello", 5) == 0);
    CHECK_MEM(out.data, out.len, "\x81\x05Hello", 7);
    CHECK(ws_encode_frame(&out, WS_OP_PONG, NULL, 0) == 0);
    CHECK_MEM(out.data, out.len, "\x81\x05Hello\x8a\x00", 9);

    buf_reset(&out);
    memset(big, 'z', 300);
    CHECK(ws_encode_frame(&out, WS_OP_BINARY, big, 300) == 0);
    CHECK(out.len == 304);
    CHECK_MEM(out.data, 4, "\x82\x7e\x01\x2c", 4);
    CHECK(out.data[303] == 'z');

    buf_reset(&out);
    memset(big, 'q', sizeof(big));
    CHECK(ws_encode_frame(&out, WS_OP_TEXT, big, sizeof(big)) == 0);
    CHECK(out.len == 10 + sizeof(big));
    CHECK_MEM(out.data, 10, "\x81\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10);
    CHECK(memcmp(out.data + 10, big, sizeof(big)) == 0);
    buf_free(&out);
}

static void test_encode_close(void)
{
    struct buf out = BUF_INIT;
    char reason[200];
    int code;

    CHECK(ws_encode_close(&out, WS_CLOSE_NORMAL, NULL) == 0);
    CHECK_MEM(out.data, out.len, "\x88\x02\x03\xe8", 4);

    buf_reset(&out);
    CHECK(ws_encode_close(&out, WS_CLOSE_TOO_BIG, "too big") == 0);
    CHECK_MEM(out.data, out.len, "\x88\x09\x03\xf1too big", 11);
    CHECK(ws_parse_close((uint8_t *)out.data + 2, out.len - 2, &code) == 0);
    CHECK(code == 1009);

    buf_reset(&out);
    CHECK(ws_encode_close(&out, 4000, "") == 0);
    CHECK_MEM(out.data, out.len, "\x88\x02\x0f\xa0", 4);

    /* Codes that must not be sent give an empty close. */
    buf_reset(&out);
    CHECK(ws_encode_close(&out, 1005, "ignored") == 0);
    CHECK_MEM(out.data, out.len, "\x88\x00", 2);
    buf_reset(&out);
    CHECK(ws_encode_close(&out, 1006, NULL) == 0);
    CHECK_MEM(out.data, out.len, "\x88\x00", 2);
    buf_reset(&out);
    CHECK(ws_encode_close(&out, 0, NULL) == 0);
    CHECK_MEM(out.data, out.len, "\x88\x00", 2);
    buf_reset(&out);
    CHECK(ws_encode_close(&out, 70000, NULL) == 0);
    CHECK_MEM(out.data, out.len, "\x88\x00", 2);

    /* A long reason is cut to fit 125 bytes. */
    buf_reset(&out);
    memset(reason, 'r', 150);
    reason[150] = '\0';
    CHECK(ws_encode_close(&out, 1001, reason) == 0);
    CHECK(out.len == 2 + 125);
    CHECK((uint8_t)out.data[1] == 125);

    /* ... on a character boundary: 122 ASCII then "é" (2 bytes) would be
     * 124 bytes of reason, so the "é" goes. */
    buf_reset(&out);
    memset(reason, 'r', 122);
    memcpy(reason + 122, "\xc3\xa9tail", 7);
    CHECK(ws_encode_close(&out, 1001, reason) == 0);
    CHECK(out.len == 2 + 2 + 122);
    CHECK(ws_parse_close((uint8_t *)out.data + 2, out.len - 2, &code) == 0);
    /* ... and a 4-byte character that straddles 123. */
    buf_reset(&out);
    memset(reason, 'r', 121);
    memcpy(reason + 121, "\xf0\x9f\x98\x80", 5);
    CHECK(ws_encode_close(&out, 1001, reason) == 0);
    CHECK(out.len == 2 + 2 + 121);
    CHECK(ws_parse_close((uint8_t *)out.data + 2, out.len - 2, &code) == 0);
    /* Exactly 123 bytes fits whole. */
    buf_reset(&out);
    memset(reason, 'r', 120);
    memcpy(reason + 120, "\xe2\x82\xac", 4); /* U+20AC, ends at 123 */
    CHECK(ws_encode_close(&out, 1001, reason) == 0);
    CHECK(out.len == 2 + 125);
    CHECK(ws_parse_close((uint8_t *)out.data + 2, out.len - 2, &code) == 0);
    buf_free(&out);
}

static void test_parse_close(void)
{
    uint8_t p[64];
    int code, c, bad;

    code = 0;
    CHECK(ws_parse_close(NULL, 0, &code) == 0 && code == 1005);
    p[0] = 0x03;
    CHECK(ws_parse_close(p, 1, &code) == -1);

    /* Every code from 0 to 65535, without a reason. */
    bad = 0;
    for (c = 0; c < 65536; c++) {
        int ok = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
                 (c >= 3000 && c <= 4999);
        p[0] = (uint8_t)(c >> 8);
        p[1] = (uint8_t)c;
        code = -7;
        if (ws_parse_close(p, 2, &code) != (ok ? 0 : -1))
            bad++;
        if (ok && code != c)
            bad++;
    }
    CHECK(bad == 0);
    p[0] = 0x03;
    p[1] = 0xEC; /* 1004 */
    CHECK(ws_parse_close(p, 2, &code) == -1);
    p[1] = 0xED; /* 1005 */
    CHECK(ws_parse_close(p, 2, &code) == -1);
    p[1] = 0xEE; /* 1006 */
    CHECK(ws_parse_close(p, 2, &code) == -1);
    p[1] = 0xF7; /* 1015 */
    CHECK(ws_parse_close(p, 2, &code) == -1);
    p[0] = 0x0B;
    p[1] = 0xB8; /* 3000 */
    CHECK(ws_parse_close(p, 2, &code) == 0 && code == 3000);

    /* Reasons. */
    memcpy(p, "\x03\xe8Ok", 4);
    CHECK(ws_parse_close(p, 4, &code) == 0 && code == 1000);
    memcpy(p, "\x03\xe9\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 13);
    CHECK(ws_parse_close(p, 13, &code) == 0 && code == 1001);
    /* Cut inside the last character. */
    CHECK(ws_parse_close(p, 12, &code) == -2);
    memcpy(p, "\x03\xe8\xff", 3);
    CHECK(ws_parse_close(p, 3, &code) == -2);
    memcpy(p, "\x03\xe8\xed\xa0\x80", 5); /* a surrogate */
    CHECK(ws_parse_close(p, 5, &code) == -2);
    memcpy(p, "\x03\xe8\xc0\xaf", 4); /* overlong '/' */
    CHECK(ws_parse_close(p, 4, &code) == -2);
    /* A good reason does not save a bad code. */
    memcpy(p, "\x03\xedok", 4);
    CHECK(ws_parse_close(p, 4, &code) == -1);
    /* ... and a bad code wins over a bad reason. */
    memcpy(p, "\x03\xed\xff", 3);
    CHECK(ws_parse_close(p, 3, &code) == -1);
}

/* Feeds `s` whole and byte by byte; both give `want`. For invalid input,
 * byte-by-byte feeding must fail exactly at byte `fail_at`. */
static void check_utf8(const char *s, size_t len, int want, size_t fail_at)
{
    uint32_t st = 0;
    size_t i;
    int r = 0, first_fail = -1;
    uint8_t *copy = malloc(len ? len : 1);

    memcpy(copy, s, len);
    CHECK(ws_utf8_feed(&st, copy, len) == want);
    st = 0;
    for (i = 0; i < len; i++) {
        r = ws_utf8_feed(&st, copy + i, 1);
        if (r == -1 && first_fail < 0)
            first_fail = (int)i;
    }
    if (len == 0)
        r = ws_utf8_feed(&st, copy, 0);
    CHECK(r == want);
    if (want == -1)
        CHECK(first_fail == (int)fail_at);
    free(copy);
}

#define U8_OK(lit) check_utf8(lit, sizeof(lit) - 1, 0, 0)
#define U8_PART(lit) check_utf8(lit, sizeof(lit) - 1, 1, 0)
#define U8_BAD(lit, at) check_utf8(lit, sizeof(lit) - 1, -1, at)

static void test_utf8_vectors(void)
{
    U8_OK("");
    U8_OK("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1"
          "-UTF-8!!");
    U8_OK("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"); /* kosme */

    /* Boundaries of each length. */
    U8_OK("\x00");
    U8_OK("\x7f");
    U8_OK("\xc2\x80");
    U8_OK("\xdf\xbf");
    U8_OK("\xe0\xa0\x80");
    U8_OK("\xef\xbf\xbf");
    U8_OK("\xf0\x90\x80\x80");
    U8_OK("\xf4\x8f\xbf\xbf");
    U8_OK("\xed\x9f\xbf");     /* U+D7FF */
    U8_OK("\xee\x80\x80");     /* U+E000 */
    U8_OK("\xef\xbf\xbe");     /* U+FFFE: a noncharacter, but valid */
    U8_OK("\xf3\xbf\xbf\xbf"); /* U+FFFFF */

    /* Above U+10FFFF. */
    U8_BAD("\xf4\x90\x80\x80", 1);
    U8_BAD("\xf5\x80\x80\x80", 0);
    U8_BAD("\xf7\xbf\xbf\xbf", 0);
    U8_BAD("\xf8\x88\x80\x80\x80", 0);
    U8_BAD("\xfc\x84\x80\x80\x80\x80", 0);
    U8_BAD("\xfe", 0);
    U8_BAD("\xff", 0);

    /* Overlong forms. */
    U8_BAD("\xc0\xaf", 0);
    U8_BAD("\xc1\xbf", 0);
    U8_BAD("\xc0\x80", 0);
    U8_BAD("\xe0\x80\xaf", 1);
    U8_BAD("\xe0\x9f\xbf", 1);
    U8_BAD("\xf0\x80\x80\xaf", 1);
    U8_BAD("\xf0\x8f\xbf\xbf", 1);
    U8_BAD("\xf8\x80\x80\x80\xaf", 0);

    /* Surrogates, lone and paired. */
    U8_BAD("\xed\xa0\x80", 1);
    U8_BAD("\xed\xad\xbf", 1);
    U8_BAD("\xed\xae\x80", 1);
    U8_BAD("\xed\xb0\x80", 1);
    U8_BAD("\xed\xbf\xbf", 1);
    U8_BAD("\xed\xa0\x80\xed\xb0\x80", 1);
    U8_BAD("\xed\xaf\xbf\xed\xbf\xbf", 1);

    /* Stray continuation bytes, and a lead where a tail belongs. */
    U8_BAD("\x80", 0);
    U8_BAD("\xbf", 0);
    U8_BAD("a\x80\xbf", 1);
    U8_BAD("\xc2\xc2\x80", 1);
    U8_BAD("\xe1\x80\x41", 2);
    U8_BAD("\xf1\x80\x80\xc0", 3);
    U8_BAD("\xc2Z", 1);

    /* Autobahn 6.3.1: kosme, then a surrogate. */
    U8_BAD("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
           "edited",
           12);

    /* Truncated sequences are valid so far but not on a boundary. */
    U8_PART("\xc2");
    U8_PART("\xe0\xa0");
    U8_PART("\xe1");
    U8_PART("\xf0\x90\x80");
    U8_PART("\xf4\x8f");
    U8_PART("abc\xce\xba\xe1\xbd");
}

static void test_utf8_feeds(void)
{
    static const char kosme[] = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                                "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf!";
    size_t n = sizeof(kosme) - 1, i, j;
    uint32_t st;
    int bad = 0, r1, r2, r3;

    /* Split into three feeds at every pair of points. */
    for (i = 0; i <= n; i++) {
        for (j = i; j <= n; j++) {
            st = 0;
            r1 = ws_utf8_feed(&st, (const uint8_t *)kosme, i);
            r2 = ws_utf8_feed(&st, (const uint8_t *)kosme + i, j - i);
            r3 = ws_utf8_feed(&st, (const uint8_t *)kosme + j, n - j);
            if (r1 < 0 || r2 < 0 || r3 != 0)
                bad++;
        }
    }
    CHECK(bad == 0);

    /* Once invalid, always invalid, even for good bytes. */
    st = 0;
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"\xff", 1) == -1);
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"abc", 3) == -1);
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"", 0) == -1);
    /* A state we never handed out is not trusted. */
    st = 0xFFFFFFFFu;
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"a", 1) == -1);
    st = 1000;
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"", 0) == -1);
    /* An empty feed keeps a partial state partial. */
    st = 0;
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"\xe2\x82", 2) == 1);
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"", 0) == 1);
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"\xac", 1) == 0);
    /* A truncated sequence followed by ASCII in the next feed. */
    st = 0;
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"\xe2\x82", 2) == 1);
    CHECK(ws_utf8_feed(&st, (const uint8_t *)"abcdefghij", 10) == -1);
}

/* The word-at-a-time ASCII path: a bad or multi-byte character at every
 * position of long ASCII runs, from aligned and unaligned starts. */
static void test_utf8_ascii_runs(void)
{
    uint8_t b[80];
    size_t len, pos, start;
    uint32_t st;
    int bad = 0;

    for (len = 1; len <= 40; len++) {
        for (pos = 0; pos < len; pos++) {
            for (start = 0; start < 3; start++) {
                memset(b, 'a', sizeof(b));
                b[start + pos] = 0x80;
                st = 0;
                if (ws_utf8_feed(&st, b + start, len) != -1)
                    bad++;
                b[start + pos] = 0xC3;
                st = 0;
                if (ws_utf8_feed(&st, b + start, len) !=
                    (pos + 1 == len ? 1 : -1))
                    bad++;
                if (pos + 1 < len) {
                    b[start + pos + 1] = 0xA9;
                    st = 0;
                    if (ws_utf8_feed(&st, b + start, len) != 0)
                        bad++;
                }
            }
        }
        memset(b, 'a', sizeof(b));
        st = 0;
        if (ws_utf8_feed(&st, b, len) != 0)
            bad++;
    }
    CHECK(bad == 0);
}

/* Whether `k` bytes of an `n`-byte sequence, whose bits so far are `cp`,
 * can still be completed into a valid character. */
static int utf8_ref_prefix_ok(uint32_t cp, size_t k, size_t n)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned bits = 6 * (unsigned)(n - k);
    uint32_t lo = cp << bits, hi = lo | ((UINT32_C(1) << bits) - 1);

    if (lo < min[n])
        lo = min[n];
    if (hi > 0x10FFFF)
        hi = 0x10FFFF;
    if (lo > hi || (lo >= 0xD800 && hi <= 0xDFFF))
        return -1;
    return 1;
}

/* An independent decoder: computes the code point and checks it against
 * the length used, the surrogate range and U+10FFFF. Returns 0, 1 (cut
 * short) or -1, like ws_utf8_feed(). */
static int utf8_ref(const uint8_t *s, size_t len)
{
    size_t i = 0, n, k;
    uint32_t cp;

    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            n = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return -1;
        }
        for (k = 1; k < n; k++) {
            if (i + k == len)
                return utf8_ref_prefix_ok(cp, k, n);
            if ((s[i + k] & 0xC0) != 0x80)
                return -1;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
            (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        i += n;
    }
    return 0;
}

static int feed_split(const uint8_t *s, size_t len, size_t cut)
{
    uint32_t st = 0;

    if (ws_utf8_feed(&st, s, cut) == -1)
        return -1;
    return ws_utf8_feed(&st, s + cut, len - cut);
}

/* ws_utf8_feed() against the reference on every 1- and 2-byte input,
 * every 3-byte input starting with a non-ASCII byte, and 4-byte inputs
 * over the interesting tail values, whole and split in two. */
static void test_utf8_exhaustive(void)
{
    static const uint8_t tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
                                    0xA0, 0xBF, 0xC0, 0xC2, 0xF4, 0xFF};
    uint8_t b[4];
    uint32_t x, st;
    size_t i, j, len;
    long bad = 0, seen_part = 0, seen_bad = 0;
    int want;

    for (len = 1; len <= 3; len++) {
        uint32_t lim = UINT32_C(1) << (8 * len);
        for (x = len == 3 ? 0x800000 : 0; x < lim; x++) {
            for (i = 0; i < len; i++)
                b[i] = (uint8_t)(x >> (8 * (len - 1 - i)));
            want = utf8_ref(b, len);
            st = 0;
            if (ws_utf8_feed(&st, b, len) != want)
                bad++;
            if (feed_split(b, len, x % (len + 1)) != want)
                bad++;
            seen_part += want == 1;
            seen_bad += want == -1;
        }
    }
    for (x = 0xF0; x <= 0xF7; x++) {
        for (j = 0; j < 256; j++) {
            size_t t3, t4;
            for (t3 = 0; t3 < sizeof(tails); t3++) {
                for (t4 = 0; t4 < sizeof(tails); t4++) {
                    b[0] = (uint8_t)x;
                    b[1] = (uint8_t)j;
                    b[2] = tails[t3];
                    b[3] = tails[t4];
                    want = utf8_ref(b, 4);
                    for (i = 0; i <= 4; i++) {
                        if (feed_split(b, 4, i) != want)
                            bad++;
                    }
                }
            }
        }
    }
    CHECK(bad == 0);
    /* The sweep did meet all three outcomes. */
    CHECK(seen_part > 0 && seen_bad > 0);
}

int main(void)
{
    test_accept_key();
    test_parse_head_basic();
    test_parse_head_lengths();
    test_parse_head_errors();
    test_parse_head_all_starts();
    test_unmask();
    test_write_head();
    test_encode_frame();
    test_encode_close();
    test_parse_close();
    test_utf8_vectors();
    test_utf8_feeds();
    test_utf8_ascii_runs();
    test_utf8_exhaustive();
    return T_DONE();
}
