/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ws_fuzz: libFuzzer target for RFC 6455 frame heads, unmasking, close
 * payloads, UTF-8 validation and the handshake key. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks a stream of frames as conn.c does: head, then payload. */
static void ws_fuzz_frames(const uint8_t *buf, size_t size)
{
    size_t pos = 0;

    while (pos < size) {
        struct ws_frame f;
        int n = ws_parse_head(buf + pos, size - pos, &f);
        uint8_t *copy;
        size_t plen;

        assert(n == -1 || n == -2 || (n > 0 && n <= WS_MAX_HEAD));
        if (n < 0)
            return;
        assert((size_t)n <= size - pos);
        assert(f.masked);
        assert(f.opcode <= 0xA && (f.opcode < 3 || f.opcode >= 8));
        if (f.opcode >= 8)
            assert(f.fin && f.payload_len <= 125);
        pos += (size_t)n;
        if (f.payload_len > size - pos)
            return;
        plen = (size_t)f.payload_len;
        copy = malloc(plen ? plen : 1);
        if (copy == NULL)
            return;
        memcpy(copy, buf + pos, plen);
        /* Unmasking in two pieces equals unmasking at once. */
        {
            size_t cut = plen / 3;
            uint8_t *whole = malloc(plen ? plen : 1);
            assert(whole != NULL);
            memcpy(whole, copy, plen);
            ws_unmask(whole, plen, f.mask, 0);
            ws_unmask(copy, cut, f.mask, 0);
            ws_unmask(copy + cut, plen - cut, f.mask, cut);
            assert(memcmp(whole, copy, plen) == 0);
            free(whole);
        }
        if (f.opcode == WS_OP_CLOSE) {
            int code = 0;
            if (ws_parse_close(copy, plen, &code) == 0) {
                struct buf out = BUF_INIT;
                assert(code >= 1000 && code < 5000);
                /* Echoing the close gives a valid server close frame. */
                assert(ws_encode_close(&out, code, NULL) == 0);
                assert(out.len >= 2 && (uint8_t)out.data[0] == 0x88);
                buf_free(&out);
            }
        } else if (f.opcode == WS_OP_TEXT || f.opcode == WS_OP_CONT) {
            uint32_t st = 0, st2 = 0;
            int whole = ws_utf8_feed(&st, copy, plen);
            /* Feeding byte by byte agrees with feeding at once. */
            int r = 0;
            size_t i;
            for (i = 0; i < plen && r >= 0; i++)
                r = ws_utf8_feed(&st2, copy + i, 1);
            if (plen > 0)
                assert(r == whole || (whole == -1 && r == -1));
        } else if (f.opcode == WS_OP_PING) {
            struct buf out = BUF_INIT;
            assert(ws_encode_frame(&out, WS_OP_PONG, copy, plen) == 0);
            assert(out.len == plen + 2);
            buf_free(&out);
        }
        free(copy);
        pos += plen;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf;
    uint8_t head[WS_MAX_HEAD];

    if (size == 0)
        return 0;
    buf = malloc(size);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    switch (buf[0] & 3) {
    case 0:
    case 1:
        ws_fuzz_frames(buf + 1, size - 1);
        break;
    case 2: { /* a close payload and its reason as given */
        int code;
        struct buf out = BUF_INIT;
        if (ws_parse_close(buf + 1, size - 1, &code) == 0)
            assert(code == 1005 || (code >= 1000 && code < 5000));
        /* Encoding a close with any reason stays a control frame. */
        {
            char *reason = malloc(size);
            assert(reason != NULL);
            memcpy(reason, buf + 1, size - 1);
            reason[size - 1] = '\0';
            assert(ws_encode_close(&out, 1000 + (buf[0] >> 2), reason) == 0);
            assert(out.len <= 2 + 125);
            free(reason);
        }
        buf_free(&out);
        break;
    }
    default: { /* handshake key, and a server head's round trip */
        char accept[29];
        struct ws_frame f;
        size_t n;
        uint64_t len = 0;
        size_t i;
        (void)ws_accept_key((const char *)buf + 1, size - 1, accept);
        for (i = 1; i < size && i < 9; i++)
            len = len << 8 | buf[i];
        len &= 0x7fffffffffffffffULL;
        n = ws_write_head(head, buf[0] >> 7, WS_OP_BINARY, len);
        assert(n >= 2 && n <= WS_MAX_HEAD - 4);
        /* A server head is unmasked: the client parser must refuse it. */
        assert(ws_parse_head(head, n, &f) == -1);
        break;
    }
    }
    free(buf);
    return 0;
}
