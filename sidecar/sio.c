/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* sio: pure Socket.IO packet codec, protocol v5 and v4. */
#include "sio.h"

#include <stdio.h>

#include "http.h"
#include "ws.h"

/* Ack ids travel as JSON numbers on the JavaScript side; above 2^53 they
 * stop being exact, so such an id can never be acked correctly. */
#define SIO_MAX_ID ((int64_t)1 << 53)

static int sio_is_digit(char c) { return c >= '0' && c <= '9'; }

static int sio_is_binary(int type)
{
    return type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK;
}

/* JSON text starts with one of these (no leading whitespace accepted). */
static int sio_starts_json(char c)
{
    return c == '[' || c == '{' || c == '"' || c == '-' || c == 't' ||
           c == 'f' || c == 'n' || sio_is_digit(c);
}

/* Parses "<digits>-" at s[*i]. Returns 0 with *i past the '-', or -1. */
static int sio_parse_attachments(const char *s, size_t len, size_t *i,
                                 unsigned *out)
{
    size_t j = *i;
    unsigned n = 0;

    if (j >= len || !sio_is_digit(s[j]))
        return -1;
    for (; j < len && sio_is_digit(s[j]); j++) {
        n = n * 10 + (unsigned)(s[j] - '0');
        if (n > SIO_MAX_ATTACHMENTS)
            return -1;
    }
    if (j >= len || s[j] != '-')
        return -1;
    *out = n;
    *i = j + 1;
    return 0;
}

/* Parses "/nsp[?query][,]" at s[*i] (s[*i] is '/'). Old v4 clients end a
 * namespace-only packet ("1/admin") without the ','; then the namespace
 * runs to the end, as socket.io-parser and python-socketio read it. */
static void sio_parse_nsp(const char *s, size_t len, size_t *i,
                          struct sio_packet *p)
{
    size_t start = *i, j = *i, q = len;

    for (; j < len && s[j] != ','; j++)
        if (s[j] == '?' && q == len)
            q = j;
    p->nsp = s + start;
    if (q < j) {
        p->nsp_len = q - start;
        p->query = s + q + 1;
        p->query_len = j - q - 1;
    } else {
        p->nsp_len = j - start;
    }
    *i = j < len ? j + 1 : j;
}

/* Parses the ack id digits at s[*i], if any. Returns 0 or -1 (over 2^53). */
static int sio_parse_id(const char *s, size_t len, size_t *i, int64_t *id)
{
    size_t j = *i;
    int64_t v = 0;

    if (j >= len || !sio_is_digit(s[j]))
        return 0;
    for (; j < len && sio_is_digit(s[j]); j++) {
        v = v * 10 + (s[j] - '0');
        if (v > SIO_MAX_ID)
            return -1;
    }
    *id = v;
    *i = j;
    return 0;
}

int sio_decode(const char *s, size_t len, struct sio_packet *p)
{
    size_t i = 1;

    p->type = -1;
    p->attachments = 0;
    p->nsp = "/";
    p->nsp_len = 1;
    p->query = NULL;
    p->query_len = 0;
    p->id = SIO_NO_ID;
    p->data = NULL;
    p->data_len = 0;

    if (len == 0 || s[0] < '0' || s[0] > '6')
        return -1;
    p->type = s[0] - '0';

    if (sio_is_binary(p->type) &&
        sio_parse_attachments(s, len, &i, &p->attachments) != 0)
        return -1;
    if (i < len && s[i] == '/')
        sio_parse_nsp(s, len, &i, p);
    if (sio_parse_id(s, len, &i, &p->id) != 0)
        return -1;
    /* Digits then '-' is an attachment count where none belongs ("21-[")
     * or an id before a negative number, which no packet type carries
     * (event and ack data are arrays, connect data objects). */
    if (p->id != SIO_NO_ID && i < len && s[i] == '-')
        return -1;

    if (i < len) {
        if (!sio_starts_json(s[i]))
            return -1;
        p->data = s + i;
        p->data_len = len - i;
    }
    return 0;
}

/* ---- names ---- */

static int sio_is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

int sio_name_valid(const char *s, size_t len)
{
    uint32_t st = 0;
    size_t i;

    for (i = 0; i < len; i++)
        if (sio_is_control((unsigned char)s[i]))
            return 0;
    return ws_utf8_feed(&st, (const uint8_t *)s, len) == 0;
}

/* The JSON string literal at s[*i] ('"'): moves *i past its closing quote.
 * Returns 1 when its value is a valid name, 0 when not, -1 when the
 * literal is cut short. Of the escapes only \" \\ \/ and \u above U+001F
 * (but U+007F) stay clear of the control characters. */
static int sio_json_literal(const char *s, size_t len, size_t *i)
{
    size_t j, start = *i + 1;
    uint32_t st = 0;
    int ok = 1, k, h;
    unsigned u;

    for (j = start; j < len && s[j] != '"'; j++) {
        if (sio_is_control((unsigned char)s[j])) {
            ok = 0;
        } else if (s[j] == '\\') {
            if (++j >= len)
                return -1;
            if (s[j] == 'u') {
                if (len - j < 5)
                    return -1;
                for (u = 0, k = 1; k <= 4; k++) {
                    if ((h = http_hex(s[j + (size_t)k])) < 0)
                        return -1;
                    u = u * 16 + (unsigned)h;
                }
                if (u < 0x20 || u == 0x7f)
                    ok = 0;
                j += 4;
            } else if (s[j] != '"' && s[j] != '\\' && s[j] != '/') {
                ok = 0; /* \b \f \n \r \t */
            }
        }
    }
    if (j >= len)
        return -1;
    if (ws_utf8_feed(&st, (const uint8_t *)s + start, j - start) != 0)
        ok = 0;
    *i = j + 1;
    return ok;
}

static size_t sio_skip_blanks(const char *s, size_t len, size_t i)
{
    while (i < len &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

int sio_json_string_name(const char *lit, size_t len)
{
    size_t i = 0;

    if (len == 0 || lit[0] != '"')
        return -1;
    return sio_json_literal(lit, len, &i);
}

int sio_json_name(const char *json, size_t len, unsigned index)
{
    size_t i = sio_skip_blanks(json, len, 0);
    int r;

    if (index > 1 || i >= len || json[i] != '[')
        return -1;
    i = sio_skip_blanks(json, len, i + 1);
    if (i >= len || json[i] != '"')
        return -1;
    r = sio_json_literal(json, len, &i);
    if (index == 0 || r < 0)
        return r;
    i = sio_skip_blanks(json, len, i);
    if (i >= len || json[i] != ',')
        return -1;
    i = sio_skip_blanks(json, len, i + 1);
    if (i >= len || json[i] != '"')
        return -1;
    return sio_json_literal(json, len, &i);
}

/* ---- encoding ---- */

int sio_encode_head(struct buf *out, int type, unsigned attachments,
                    const char *nsp, size_t nsp_len, int64_t id)
{
    char head[16], tail[24];
    int head_len, tail_len = 0;
    int named = nsp != NULL && nsp_len > 0 && !(nsp_len == 1 && nsp[0] == '/');

    if (type < SIO_CONNECT || type > SIO_BINARY_ACK)
        return -1;
    if (sio_is_binary(type))
        head_len = snprintf(head, sizeof(head), "%d%u-", type, attachments);
    else
        head_len = snprintf(head, sizeof(head), "%d", type);
    if (id >= 0)
        tail_len = snprintf(tail, sizeof(tail), "%lld", (long long)id);

    /* One reservation up front, so the appends below cannot fail halfway
     * and the buffer is either complete or unchanged. */
    if (buf_reserve(out, (size_t)head_len + (named ? nsp_len + 1 : 0) +
                             (size_t)tail_len) != 0)
        return -1;
    buf_append(out, head, (size_t)head_len);
    if (named) {
        buf_append(out, nsp, nsp_len);
        buf_putc(out, ',');
    }
    if (tail_len)
        buf_append(out, tail, (size_t)tail_len);
    return 0;
}
