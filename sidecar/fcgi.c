/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fcgi: pure FastCGI record codec (layout and constants from fcgi2's
 * fastcgi.h), for the upstream client and a responder front. */
#include "fcgi.h"

#include <limits.h>
#include <string.h>

int fcgi_parse_record(const char *buf, size_t len, struct fcgi_record *rec)
{
    const unsigned char *h = (const unsigned char *)buf;
    size_t clen, total;

    if (len >= 2 &&
        (h[0] != FCGI_VERSION_1 || h[1] == 0 || h[1] > FCGI_MAXTYPE))
        return -1;
    if (len == 1 && h[0] != FCGI_VERSION_1)
        return -1;
    if (len < FCGI_HEADER_LEN)
        return -2;
    clen = ((size_t)h[4] << 8) | h[5];
    total = FCGI_HEADER_LEN + clen + h[6];
    if (len < total)
        return -2;
    rec->type = h[1];
    rec->id = ((unsigned)h[2] << 8) | h[3];
    rec->content = buf + FCGI_HEADER_LEN;
    rec->len = clen;
    return (int)total;
}

static int fcgi_header(struct buf *out, int type, unsigned id, size_t clen,
                       unsigned pad)
{
    FCGI_Header h;

    h.version = FCGI_VERSION_1;
    h.type = (unsigned char)type;
    h.requestIdB1 = (unsigned char)(id >> 8);
    h.requestIdB0 = (unsigned char)id;
    h.contentLengthB1 = (unsigned char)(clen >> 8);
    h.contentLengthB0 = (unsigned char)clen;
    h.paddingLength = (unsigned char)pad;
    h.reserved = 0;
    return buf_append(out, &h, sizeof h);
}

int fcgi_append(struct buf *out, int type, unsigned id, const void *data,
                size_t len)
{
    static const char zeros[8];
    const char *p = data;
    size_t piece, start = out->len;
    unsigned pad;

    do {
        piece = len > FCGI_MAX_LENGTH ? FCGI_MAX_LENGTH : len;
        /* Pad each record to a multiple of 8 bytes, as the spec advises. */
        pad = (unsigned)((8 - piece % 8) % 8);
        if (fcgi_header(out, type, id, piece, pad) != 0 ||
            buf_append(out, p, piece) != 0 ||
            buf_append(out, zeros, pad) != 0) {
            out->len = start;
            return -1;
        }
        if (piece > 0) /* NULL + 0 is undefined: the empty record */
            p += piece;
        len -= piece;
    } while (len > 0);
    return 0;
}

int fcgi_append_begin(struct buf *out, unsigned id, int role, int flags)
{
    FCGI_BeginRequestBody b;

    memset(&b, 0, sizeof b);
    b.roleB1 = (unsigned char)(role >> 8);
    b.roleB0 = (unsigned char)role;
    b.flags = (unsigned char)flags;
    return fcgi_append(out, FCGI_BEGIN_REQUEST, id, &b, sizeof b);
}

static int fcgi_put_len(struct buf *out, size_t n)
{
    unsigned char b[4];

    if (n < 128) {
        b[0] = (unsigned char)n;
        return buf_append(out, b, 1);
    }
    b[0] = (unsigned char)((n >> 24) | 0x80);
    b[1] = (unsigned char)(n >> 16);
    b[2] = (unsigned char)(n >> 8);
    b[3] = (unsigned char)n;
    return buf_append(out, b, 4);
}

int fcgi_append_param(struct buf *out, const char *name, size_t nlen,
                      const char *value, size_t vlen)
{
    size_t start = out->len;

    if (nlen > 0x7fffffff || vlen > 0x7fffffff)
        return -1;
    if (fcgi_put_len(out, nlen) != 0 || fcgi_put_len(out, vlen) != 0 ||
        buf_append(out, name, nlen) != 0 || buf_append(out, value, vlen) != 0) {
        out->len = start;
        return -1;
    }
    return 0;
}

/* A length at buf[*p]: 0, -2 cut off. */
static int fcgi_get_len(const unsigned char *b, size_t len, size_t *p,
                        size_t *n)
{
    if (*p >= len)
        return -2;
    if (b[*p] < 128) {
        *n = b[(*p)++];
        return 0;
    }
    if (len - *p < 4)
        return -2;
    *n = ((size_t)(b[*p] & 0x7f) << 24) | ((size_t)b[*p + 1] << 16) |
         ((size_t)b[*p + 2] << 8) | b[*p + 3];
    *p += 4;
    return 0;
}

int fcgi_parse_param(const char *buf, size_t len, const char **name,
                     size_t *nlen, const char **value, size_t *vlen)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t p = 0;

    if (len == 0)
        return 0;
    if (fcgi_get_len(b, len, &p, nlen) != 0 ||
        fcgi_get_len(b, len, &p, vlen) != 0)
        return -2;
    if (len - p < *nlen || len - p - *nlen < *vlen)
        return -2;
    if (p + *nlen + *vlen > INT_MAX)
        return -1;
    *name = buf + p;
    *value = buf + p + *nlen;
    return (int)(p + *nlen + *vlen);
}

int fcgi_parse_end(const char *content, size_t len, uint32_t *app_status,
                   int *protocol_status)
{
    const FCGI_EndRequestBody *e = (const FCGI_EndRequestBody *)content;

    if (len < sizeof *e)
        return -1;
    *app_status = ((uint32_t)e->appStatusB3 << 24) |
                  ((uint32_t)e->appStatusB2 << 16) |
                  ((uint32_t)e->appStatusB1 << 8) | e->appStatusB0;
    *protocol_status = e->protocolStatus;
    return 0;
}
