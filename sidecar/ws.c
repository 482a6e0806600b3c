/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ws: pure RFC 6455 codec (frame heads, masking, UTF-8, handshake key). */
#include "ws.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

/* Control frames carry at most 125 payload bytes (section 5.5); a close
 * payload spends two of them on the code. */
#define WS_CONTROL_MAX 125
#define WS_REASON_MAX (WS_CONTROL_MAX - 2)

/* The handshake GUID of section 1.3, appended to the client's key. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
#define WS_GUID_LEN (sizeof(ws_guid) - 1)
#define WS_KEY_LEN 24

static int ws_known_opcode(int op)
{
    switch (op) {
    case WS_OP_CONT:
    case WS_OP_TEXT:
    case WS_OP_BINARY:
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        return 1;
    default:
        return 0;
    }
}

int ws_parse_head(const uint8_t *buf, size_t len, struct ws_frame *f)
{
    size_t head, ext, i;
    unsigned len7;
    uint64_t n;

    /* Check each byte as soon as it arrives so a bad peer is dropped before
     * it sends the rest of the head. */
    if (len < 1)
        return -2;
    if (buf[0] & 0x70)
        return -1; /* no extension is negotiated, so RSV1-3 must be 0 */
    f->fin = buf[0] >> 7;
    f->opcode = buf[0] & 0x0F;
    if (!ws_known_opcode(f->opcode))
        return -1;
    if (len < 2)
        return -2;
    f->masked = buf[1] >> 7;
    if (!f->masked)
        return -1; /* section 5.1: clients must mask every frame */
    len7 = buf[1] & 0x7F;
    if ((f->opcode & 0x08) && (!f->fin || len7 > WS_CONTROL_MAX))
        return -1;

    ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    head = 2 + ext + 4;
    if (len < head)
        return -2;
    if (ext == 0) {
        n = len7;
    } else {
        n = 0;
        for (i = 0; i < ext; i++)
            n = n << 8 | buf[2 + i];
        if (ext == 8 && (n >> 63))
            return -1;
    }
    f->payload_len = n;
    memcpy(f->mask, buf + 2 + ext, 4);
    return (int)head;
}

void ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4],
               uint64_t offset)
{
    uint8_t rot[8];
    uint64_t m, w;
    size_t i;

    /* The mask repeats every 4 bytes, so an 8-byte word rotated to start
     * at `offset` lines up with every 8-byte step of the payload. memcpy
     * keeps unaligned access and aliasing defined; compilers turn it into
     * plain loads and stores. */
    for (i = 0; i < 8; i++)
        rot[i] = mask[(offset + i) & 3];
    memcpy(&m, rot, sizeof(m));
    for (i = 0; len - i >= 8; i += 8) {
        memcpy(&w, data + i, sizeof(w));
        w ^= m;
        memcpy(data + i, &w, sizeof(w));
    }
    for (; i < len; i++)
        data[i] ^= rot[i & 7];
}

size_t ws_write_head(uint8_t out[WS_MAX_HEAD], int fin, int opcode,
                     uint64_t payload_len)
{
    size_t n, i;

    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    if (payload_len <= WS_CONTROL_MAX) {
        out[1] = (uint8_t)payload_len;
        return 2;
    }
    /* Section 5.2 wants the shortest length form. */
    if (payload_len <= 0xFFFF) {
        out[1] = 126;
        n = 2;
    } else {
        out[1] = 127;
        n = 8;
    }
    for (i = 0; i < n; i++)
        out[2 + i] = (uint8_t)(payload_len >> (8 * (n - 1 - i)));
    return 2 + n;
}

int ws_encode_frame(struct buf *out, int opcode, const void *payload,
                    size_t len)
{
    uint8_t head[WS_MAX_HEAD];
    size_t hlen;

    hlen = ws_write_head(head, 1, opcode, len);
    /* Reserve both parts first so a failure appends nothing. */
    if (len > (size_t)-1 - hlen || buf_reserve(out, hlen + len) != 0)
        return -1;
    buf_append(out, head, hlen);
    buf_append(out, payload, len);
    return 0;
}

/* Codes an endpoint may put on the wire (section 7.4): 1004 is reserved,
 * 1005, 1006 and 1015 only stand for "no code" in APIs, 1016-2999 belong
 * to future RFCs, 3000-4999 to libraries and applications. 1012-1014 were
 * registered with IANA after the RFC. */
static int ws_close_code_ok(int code)
{
    if (code >= 1000 && code <= 1003)
        return 1;
    if (code >= 1007 && code <= 1014)
        return 1;
    return code >= 3000 && code <= 4999;
}

int ws_encode_close(struct buf *out, int code, const char *reason)
{
    uint8_t payload[WS_CONTROL_MAX];
    size_t n = 0, rlen;

    /* A code that must not be sent (1005 when echoing an empty close) is
     * answered with an empty close frame. */
    if (ws_close_code_ok(code)) {
        payload[0] = (uint8_t)(code >> 8);
        payload[1] = (uint8_t)code;
        n = 2;
        if (reason != NULL) {
            rlen = strlen(reason);
            if (rlen > WS_REASON_MAX) {
                /* Cut on a character boundary so the peer, which must
                 * validate the reason, does not fail the connection. */
                rlen = WS_REASON_MAX;
                while (rlen > 0 && ((uint8_t)reason[rlen] & 0xC0) == 0x80)
                    rlen--;
            }
            memcpy(payload + 2, reason, rlen);
            n += rlen;
        }
    }
    return ws_encode_frame(out, WS_OP_CLOSE, payload, n);
}

int ws_parse_close(const uint8_t *payload, size_t len, int *code)
{
    uint32_t st = 0;
    int c;

    if (len == 0) {
        *code = 1005; /* section 7.1.5: no status code was present */
        return 0;
    }
    if (len < 2)
        return -1;
    c = payload[0] << 8 | payload[1];
    if (!ws_close_code_ok(c))
        return -1;
    if (ws_utf8_feed(&st, payload + 2, len - 2) != 0)
        return -2;
    *code = c;
    return 0;
}

/* UTF-8 validation after the table of well-formed byte sequences in the
 * Unicode standard (chapter 3, table 3-7). The state names what the next
 * byte must be; the second bytes after E0, ED, F0 and F4 have narrower
 * ranges, which is what rules out overlong forms, the surrogates
 * U+D800-DFFF and anything above U+10FFFF. */
enum ws_utf8_state {
    WS_UTF8_ACCEPT = 0, /* on a character boundary */
    WS_UTF8_TAIL1,      /* 1 more byte 80-BF */
    WS_UTF8_TAIL2,      /* 2 more bytes 80-BF */
    WS_UTF8_TAIL3,      /* 3 more bytes 80-BF */
    WS_UTF8_E0,         /* A0-BF, then 1 more */
    WS_UTF8_ED,         /* 80-9F, then 1 more */
    WS_UTF8_F0,         /* 90-BF, then 2 more */
    WS_UTF8_F4,         /* 80-8F, then 2 more */
    WS_UTF8_REJECT,     /* sticky: later feeds stay invalid */
};

static const uint8_t ws_utf8_lo[] = {0,    0x80, 0x80, 0x80,
                                     0xA0, 0x80, 0x90, 0x80};
static const uint8_t ws_utf8_hi[] = {0,    0xBF, 0xBF, 0xBF,
                                     0xBF, 0x9F, 0xBF, 0x8F};
static const uint8_t ws_utf8_next[] = {0,
                                       WS_UTF8_ACCEPT,
                                       WS_UTF8_TAIL1,
                                       WS_UTF8_TAIL2,
                                       WS_UTF8_TAIL1,
                                       WS_UTF8_TAIL1,
                                       WS_UTF8_TAIL2,
                                       WS_UTF8_TAIL2};

static uint32_t ws_utf8_lead(uint8_t c)
{
    if (c < 0x80)
        return WS_UTF8_ACCEPT;
    if (c < 0xC2)
        return WS_UTF8_REJECT; /* stray tail, or C0/C1 (always overlong) */
    if (c < 0xE0)
        return WS_UTF8_TAIL1;
    if (c == 0xE0)
        return WS_UTF8_E0;
    if (c == 0xED)
        return WS_UTF8_ED;
    if (c < 0xF0)
        return WS_UTF8_TAIL2;
    if (c == 0xF0)
        return WS_UTF8_F0;
    if (c < 0xF4)
        return WS_UTF8_TAIL3;
    if (c == 0xF4)
        return WS_UTF8_F4;
    return WS_UTF8_REJECT; /* F5-FF would encode above U+10FFFF */
}

int ws_utf8_feed(uint32_t *state, const uint8_t *s, size_t len)
{
    uint32_t st = *state;
    uint64_t w;
    size_t i = 0;
    uint8_t c;

    if (st > WS_UTF8_REJECT)
        st = WS_UTF8_REJECT; /* a state we never produced */
    while (i < len && st != WS_UTF8_REJECT) {
        if (st == WS_UTF8_ACCEPT) {
            /* Socket.IO text is JSON, mostly ASCII: skip it a word at a
             * time while no byte has its top bit set. */
            while (len - i >= 8) {
                memcpy(&w, s + i, sizeof(w));
                if (w & UINT64_C(0x8080808080808080))
                    break;
                i += 8;
            }
            if (i == len)
                break;
            st = ws_utf8_lead(s[i++]);
            continue;
        }
        c = s[i++];
        if (c < ws_utf8_lo[st] || c > ws_utf8_hi[st])
            st = WS_UTF8_REJECT;
        else
            st = ws_utf8_next[st];
    }
    *state = st;
    if (st == WS_UTF8_REJECT)
        return -1;
    return st == WS_UTF8_ACCEPT ? 0 : 1;
}

static int ws_is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int ws_accept_key(const char *key, size_t key_len, char out[29])
{
    unsigned char in[WS_KEY_LEN + WS_GUID_LEN];
    unsigned char md[SHA_DIGEST_LENGTH];
    size_t i;

    /* 16 bytes encode as 22 characters and "==". The 4 unused bits of the
     * last character are not checked: RFC 4648 lets decoders ignore them
     * and no client benefits from being refused over them. */
    if (key == NULL || key_len != WS_KEY_LEN || key[22] != '=' ||
        key[23] != '=')
        return -1;
    for (i = 0; i < 22; i++) {
        if (!ws_is_b64(key[i]))
            return -1;
    }
    memcpy(in, key, WS_KEY_LEN);
    memcpy(in + WS_KEY_LEN, ws_guid, WS_GUID_LEN);
    if (SHA1(in, sizeof(in), md) == NULL)
        return -1;
    /* 20 bytes give 28 characters; EVP_EncodeBlock adds the NUL. */
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
    return 0;
}
