/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* scgi: pure SCGI codec: the netstring of request headers. */
#include "scgi.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

int scgi_append_header(struct buf *hdrs, const char *name, size_t nlen,
                       const char *value, size_t vlen)
{
    size_t start = hdrs->len;

    if (nlen == 0 || memchr(name, '\0', nlen) != NULL ||
        memchr(value, '\0', vlen) != NULL)
        return -1;
    if (buf_append(hdrs, name, nlen) != 0 || buf_putc(hdrs, '\0') != 0 ||
        buf_append(hdrs, value, vlen) != 0 || buf_putc(hdrs, '\0') != 0) {
        hdrs->len = start;
        return -1;
    }
    return 0;
}

int scgi_append_request(struct buf *out, const struct buf *hdrs,
                        const char *body, size_t blen)
{
    char cl[32];
    size_t start = out->len, n;
    int cll = snprintf(cl, sizeof cl, "%zu", blen);

    /* "CONTENT_LENGTH\0" + value + "\0" + "SCGI\0" "1\0" + the rest. */
    n = 15 + (size_t)cll + 1 + 7 + hdrs->len;
    if (buf_printf(out, "%zu:", n) != 0 ||
        buf_append(out, "CONTENT_LENGTH", 15) != 0 ||
        buf_append(out, cl, (size_t)cll + 1) != 0 ||
        buf_append(out,
                   "SCGI\0"
                   "1",
                   7) != 0 ||
        buf_append(out, hdrs->data, hdrs->len) != 0 ||
        buf_putc(out, ',') != 0 || buf_append(out, body, blen) != 0) {
        out->len = start;
        return -1;
    }
    return 0;
}

int scgi_parse_netstring(const char *buf, size_t len, const char **data,
                         size_t *dlen)
{
    size_t p = 0, n = 0;

    while (p < len && buf[p] >= '0' && buf[p] <= '9') {
        if (p == 9 || (p == 1 && buf[0] == '0'))
            return -1;
        n = n * 10 + (size_t)(buf[p] - '0');
        p++;
    }
    if (p == len)
        return -2;
    if (p == 0 || buf[p] != ':')
        return -1;
    p++;
    if (len - p < n + 1)
        return -2;
    if (buf[p + n] != ',')
        return -1;
    *data = buf + p;
    *dlen = n;
    return (int)(p + n + 1);
}

int scgi_next_header(const char *buf, size_t len, const char **name,
                     size_t *nlen, const char **value, size_t *vlen)
{
    const char *z1, *z2;

    if (len == 0)
        return 0;
    z1 = memchr(buf, '\0', len);
    if (z1 == NULL || z1 == buf)
        return -1;
    z2 = memchr(z1 + 1, '\0', len - (size_t)(z1 + 1 - buf));
    if (z2 == NULL || z2 + 1 - buf > INT_MAX)
        return -1;
    *name = buf;
    *nlen = (size_t)(z1 - buf);
    *value = z1 + 1;
    *vlen = (size_t)(z2 - z1 - 1);
    return (int)(z2 + 1 - buf);
}
