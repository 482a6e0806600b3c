/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* eio: pure Engine.IO packet and payload codec, protocol v4 and v3. */
#include "eio.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "b64.h"

/* v4 polling payloads separate records with ASCII "record separator". */
#define EIO_V4_SEP 0x1e

/* v3 octet-stream bodies: a kind byte, the length as one byte per decimal
 * digit (values 0-9, not ASCII), then this terminator. */
#define EIO_V3_KIND_TEXT 0x00
#define EIO_V3_KIND_BINARY 0x01
#define EIO_V3_LEN_END 0xff

static int eio_version_ok(int version) { return version == 3 || version == 4; }

/* Steps over one character of possibly invalid UTF-8 the way the WHATWG
 * decoder (browsers, Node's Buffer and setEncoding('utf8')) does, so that
 * our UTF-16 counts match the peer's .length: a well-formed sequence is one
 * code point (two units above U+FFFF); an ill-formed one becomes a single
 * U+FFFD covering its longest valid prefix, and the byte that broke it
 * starts the next character. Returns the bytes consumed, at least 1. */
static size_t eio_utf8_step(const unsigned char *s, size_t len, size_t *units)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t need, i;

    *units = 1;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 1;
    }
    for (i = 1; i <= need; i++) {
        if (i >= len || s[i] < lo || s[i] > hi)
            return i;
        lo = 0x80;
        hi = 0xbf;
    }
    if (need == 3)
        *units = 2;
    return need + 1;
}

size_t eio_utf16_len(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, total = 0, units;

    while (i < len) {
        i += eio_utf8_step(u + i, len - i, &units);
        total += units;
    }
    return total;
}

int eio_decode_text(int version, const char *s, size_t len, int allow_b64,
                    struct eio_packet *p)
{
    size_t skip;

    if (!eio_version_ok(version) || len == 0)
        return -1;
    if (allow_b64 && s[0] == 'b') {
        /* Only messages are ever binary; v3 still spells the type out. */
        skip = 1;
        if (version == 3) {
            if (len < 2 || s[1] != '0' + EIO_MESSAGE)
                return -1;
            skip = 2;
        }
        p->type = EIO_MESSAGE;
        p->binary = 0;
        p->base64 = 1;
        p->data = s + skip;
        p->len = len - skip;
        return 0;
    }
    if (s[0] < '0' + EIO_OPEN || s[0] > '0' + EIO_NOOP)
        return -1;
    p->type = s[0] - '0';
    p->binary = 0;
    p->base64 = 0;
    p->data = s + 1;
    p->len = len - 1;
    return 0;
}

int eio_decode_binary_frame(int version, const char *s, size_t len,
                            struct eio_packet *p)
{
    size_t skip = 0;

    if (!eio_version_ok(version))
        return -1;
    if (version == 3) {
        if (len == 0 || s[0] != EIO_MESSAGE)
            return -1;
        skip = 1;
    }
    p->type = EIO_MESSAGE;
    p->binary = 1;
    p->base64 = 0;
    p->data = s + skip;
    p->len = len - skip;
    return 0;
}

/* Adds decimal digit d to *n unless the result would exceed `limit`. A
 * length can never exceed the bytes that are left, so this bound both
 * rejects lying prefixes early and keeps the arithmetic from wrapping. */
static int eio_add_digit(size_t *n, unsigned d, size_t limit)
{
    if (d > limit || *n > (limit - d) / 10)
        return -1;
    *n = *n * 10 + d;
    return 0;
}

static int eio_next_v4(const char *buf, size_t len, struct eio_packet *p)
{
    const char *sep = memchr(buf, EIO_V4_SEP, len);
    size_t rec = sep ? (size_t)(sep - buf) : len;
    size_t used = sep ? rec + 1 : len;

    /* engine.io splits on the separator and fails on any empty record,
     * the one after a trailing separator included. */
    if (used == len && sep != NULL)
        return -1;
    if (eio_decode_text(4, buf, rec, 1, p) != 0)
        return -1;
    return (int)used;
}

static int eio_next_v3_text(const char *buf, size_t len, struct eio_packet *p)
{
    const unsigned char *u = (const unsigned char *)buf;
    size_t i = 0, n = 0, units = 0, start, end;

    while (i < len && u[i] >= '0' && u[i] <= '9') {
        /* A UTF-16 unit takes at least one UTF-8 byte. */
        if (eio_add_digit(&n, u[i] - '0', len) != 0)
            return -1;
        i++;
    }
    if (i == 0 || i == len || u[i] != ':')
        return -1;
    start = end = i + 1;
    while (units < n) {
        size_t step_units;

        if (end == len)
            return -1; /* truncated */
        end += eio_utf8_step(u + end, len - end, &step_units);
        units += step_units;
    }
    /* Overshooting means the count ends inside a surrogate pair. */
    if (units != n)
        return -1;
    if (n == 0) {
        /* engine.io 3 skips empty records (its encoder sends "0:" for an
         * empty packet list); a NOOP keeps "> 0 consumed, *p filled" true
         * and is ignored above us just as engine.io ignores it. */
        p->type = EIO_NOOP;
        p->binary = 0;
        p->base64 = 0;
        p->data = buf + start;
        p->len = 0;
    } else if (eio_decode_text(3, buf + start, end - start, 1, p) != 0) {
        return -1;
    }
    return (int)end;
}

static int eio_next_v3_binary(const char *buf, size_t len, struct eio_packet *p)
{
    const unsigned char *u = (const unsigned char *)buf;
    size_t i = 1, n = 0;

    if (u[0] != EIO_V3_KIND_TEXT && u[0] != EIO_V3_KIND_BINARY)
        return -1;
    while (i < len && u[i] != EIO_V3_LEN_END) {
        if (u[i] > 9 || eio_add_digit(&n, u[i], len) != 0)
            return -1;
        i++;
    }
    if (i == 1 || i == len)
        return -1; /* no digits, or no terminator */
    i++;
    if (n > len - i)
        return -1; /* truncated */
    if (u[0] == EIO_V3_KIND_TEXT) {
        if (eio_decode_text(3, buf + i, n, 1, p) != 0)
            return -1;
    } else {
        if (n == 0 || u[i] != EIO_MESSAGE)
            return -1;
        p->type = EIO_MESSAGE;
        p->binary = 1;
        p->base64 = 0;
        p->data = buf + i + 1;
        p->len = n - 1;
    }
    return (int)(i + n);
}

int eio_payload_next(int version, int binary_body, const char *buf, size_t len,
                     struct eio_packet *p)
{
    if (!eio_version_ok(version))
        return -1;
    if (len == 0)
        return 0;
    /* The byte count must fit the int we return; bodies are capped far
     * below this long before they reach us. */
    if (len > INT_MAX)
        return -1;
    if (version == 4)
        return eio_next_v4(buf, len, p);
    if (binary_body)
        return eio_next_v3_binary(buf, len, p);
    return eio_next_v3_text(buf, len, p);
}

/* Exact decoded size of base64 text, so a length prefix can be written
 * before the bytes; b64_decode() later confirms the text is valid. */
static size_t eio_b64_decoded_len(const char *s, size_t len)
{
    if (len % 4 == 0 && len > 0 && s[len - 1] == '=')
        len -= s[len - 2] == '=' ? 2 : 1;
    return len / 4 * 3 + (len % 4 > 1 ? len % 4 - 1 : 0);
}

static int eio_b64_encoded_len(size_t len, size_t *out)
{
    if (len / 3 + 1 > SIZE_MAX / 4)
        return -1;
    *out = (len + 2) / 3 * 4;
    return 0;
}

/* The v3 octet-stream length field: ASCII digits turned into values. */
static int eio_put_v3_len(struct buf *out, int kind, size_t n)
{
    size_t i, start;

    if (buf_putc(out, (char)kind) != 0)
        return -1;
    start = out->len;
    if (buf_printf(out, "%zu", n) != 0)
        return -1;
    for (i = start; i < out->len; i++)
        out->data[i] -= '0';
    return buf_putc(out, (char)EIO_V3_LEN_END);
}

/* Appends the packet's body as base64 text, whatever form it holds. */
static int eio_put_b64(struct buf *out, const struct eio_packet *p)
{
    if (p->base64)
        return buf_append(out, p->data, p->len);
    return b64_encode(out, p->data, p->len);
}

static int eio_append_v3_text(struct buf *out, const struct eio_packet *p,
                              char digit)
{
    size_t n;

    if (p->binary || p->base64) {
        if (p->base64)
            n = p->len;
        else if (eio_b64_encoded_len(p->len, &n) != 0)
            return -1;
        if (buf_printf(out, "%zu:b%c", n + 2, digit) != 0)
            return -1;
        return eio_put_b64(out, p);
    }
    n = eio_utf16_len(p->data, p->len);
    if (buf_printf(out, "%zu:%c", n + 1, digit) != 0)
        return -1;
    return buf_append(out, p->data, p->len);
}

static int eio_append_v3_binary(struct buf *out, const struct eio_packet *p,
                                char digit)
{
    size_t n;
    long got;

    if (!p->binary && !p->base64) {
        if (p->len == SIZE_MAX ||
            eio_put_v3_len(out, EIO_V3_KIND_TEXT, p->len + 1) != 0)
            return -1;
        if (buf_putc(out, digit) != 0)
            return -1;
        return buf_append(out, p->data, p->len);
    }
    n = p->binary ? p->len : eio_b64_decoded_len(p->data, p->len);
    if (n == SIZE_MAX || eio_put_v3_len(out, EIO_V3_KIND_BINARY, n + 1) != 0)
        return -1;
    if (buf_putc(out, (char)(digit - '0')) != 0)
        return -1;
    if (p->binary)
        return buf_append(out, p->data, p->len);
    /* Decode straight into the output rather than through a copy. */
    if (buf_reserve(out, B64_DECODED_MAX(p->len)) != 0)
        return -1;
    got = b64_decode((uint8_t *)out->data + out->len, p->data, p->len);
    if (got < 0 || (size_t)got != n)
        return -1;
    out->len += n;
    out->data[out->len] = '\0';
    return 0;
}

static int eio_append_one(struct buf *out, int version, int binary_body,
                          int first, const struct eio_packet *p)
{
    char digit;

    if (!eio_version_ok(version) || p->type < EIO_OPEN || p->type > EIO_NOOP)
        return -1;
    digit = (char)('0' + p->type);
    if (version == 3)
        return binary_body ? eio_append_v3_binary(out, p, digit)
                           : eio_append_v3_text(out, p, digit);
    if (!first && buf_putc(out, EIO_V4_SEP) != 0)
        return -1;
    if (p->binary || p->base64) {
        if (buf_putc(out, 'b') != 0)
            return -1;
        return eio_put_b64(out, p);
    }
    if (buf_putc(out, digit) != 0)
        return -1;
    return buf_append(out, p->data, p->len);
}

int eio_payload_append(struct buf *out, int version, int binary_body, int first,
                       const struct eio_packet *p)
{
    size_t mark = out->len;

    if (eio_append_one(out, version, binary_body, first, p) == 0)
        return 0;
    /* A packet goes in whole or not at all, so a failed append never
     * leaves a half record for the peer to choke on. */
    out->len = mark;
    if (out->data != NULL)
        out->data[mark] = '\0';
    return -1;
}

/* sid comes from our own generator, but escaping it costs nothing and
 * keeps the handshake valid JSON whatever it holds. */
static int eio_put_json_str(struct buf *out, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    if (buf_putc(out, '"') != 0)
        return -1;
    for (; *u != '\0'; u++) {
        int rc;

        if (*u == '"' || *u == '\\')
            rc = buf_printf(out, "\\%c", *u);
        else if (*u < 0x20)
            rc = buf_printf(out, "\\u%04x", *u);
        else
            rc = buf_putc(out, (char)*u);
        if (rc != 0)
            return -1;
    }
    return buf_putc(out, '"');
}

int eio_encode_open(struct buf *out, int version, const char *sid,
                    int can_upgrade, unsigned ping_interval_ms,
                    unsigned ping_timeout_ms, size_t max_payload)
{
    size_t mark = out->len;

    if (!eio_version_ok(version))
        return -1;
    /* Field order follows Node engine.io's handshake object. */
    if (buf_puts(out, "0{\"sid\":") != 0 || eio_put_json_str(out, sid) != 0 ||
        buf_printf(out,
                   ",\"upgrades\":%s,\"pingInterval\":%u,\"pingTimeout\":%u",
                   can_upgrade ? "[\"websocket\"]" : "[]", ping_interval_ms,
                   ping_timeout_ms) != 0)
        goto fail;
    if (version == 4 &&
        buf_printf(out, ",\"maxPayload\":%zu", max_payload) != 0)
        goto fail;
    if (buf_putc(out, '}') != 0)
        goto fail;
    return 0;

fail:
    out->len = mark;
    if (out->data != NULL)
        out->data[mark] = '\0';
    return -1;
}

const char *eio_error_json(enum eio_error code)
{
    /* Messages word for word as Node engine.io's Server.errorMessages. */
    static const char *const bodies[] = {
        [EIO_ERR_UNKNOWN_TRANSPORT] =
            "{\"code\":0,\"message\":\"Transport unknown\"}",
        [EIO_ERR_UNKNOWN_SID] =
            "{\"code\":1,\"message\":\"Session ID unknown\"}",
        [EIO_ERR_BAD_HANDSHAKE_METHOD] =
            "{\"code\":2,\"message\":\"Bad handshake method\"}",
        [EIO_ERR_BAD_REQUEST] = "{\"code\":3,\"message\":\"Bad request\"}",
        [EIO_ERR_FORBIDDEN] = "{\"code\":4,\"message\":\"Forbidden\"}",
        [EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION] =
            "{\"code\":5,\"message\":\"Unsupported protocol version\"}",
    };

    /* An out-of-range code is our own bug; answer something valid. */
    if ((unsigned)code >= sizeof(bodies) / sizeof(bodies[0]))
        code = EIO_ERR_BAD_REQUEST;
    return bodies[code];
}
