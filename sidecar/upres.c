/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upres: where an upstream answer ends (HTTP/1.1, FastCGI, SCGI). */
#include "upres.h"

#include <stdint.h>
#include <string.h>

#include "fcgi.h"
#include "httpres.h"

static int upres_fail(struct upres *r, int result, const char *why)
{
    r->why = why;
    return result;
}

int upres_http(char *data, size_t len, int eof, struct upres *r)
{
    struct httpres res;
    size_t off = 0, avail, blen, dlen;
    char *at;
    long n;
    int head;

    memset(r, 0, sizeof *r);
    for (;;) {
        if (off == len)
            return UPRES_MORE;
        head = httpres_parse(data + off, len - off, &res);
        if (head == -2 && !eof)
            return UPRES_MORE;
        if (head < 0)
            return upres_fail(r, UPRES_BAD, "malformed HTTP response head");
        if (res.status >= 200)
            break;
        off += (size_t)head; /* 100 Continue and such */
    }
    at = data + off + head;
    avail = len - off - (size_t)head;
    r->status = res.status;
    if (httpres_chunked(&res)) {
        n = httpres_dechunk(at, avail, &dlen);
        if (n == -2 && !eof)
            return UPRES_MORE;
        if (n < 0)
            return upres_fail(r, UPRES_BAD, "bad chunked body");
        blen = dlen;
        avail = (size_t)n; /* the encoded length */
    } else {
        switch (httpres_content_length(&res, &blen)) {
        case 1:
            if (avail < blen) {
                if (eof)
                    return upres_fail(r, UPRES_CLOSED,
                                      "closed within the body");
                return UPRES_MORE;
            }
            avail = blen;
            break;
        case 0:
            if (res.status == 204 || res.status == 304) {
                blen = avail = 0;
                break;
            }
            if (!eof)
                return UPRES_MORE; /* the body runs to the close */
            r->body = avail ? at : NULL;
            r->len = avail;
            return UPRES_DONE; /* neither kept nor consumed: it closed */
        default:
            return upres_fail(r, UPRES_BAD, "bad Content-Length");
        }
    }
    r->body = blen ? at : NULL;
    r->len = blen;
    r->consumed = off + (size_t)head + avail;
    r->keep = !eof && httpres_keep_alive(&res) && r->consumed == len;
    return UPRES_DONE;
}

int upres_cgi(const char *data, size_t len, struct upres *r)
{
    struct httpres res;
    size_t blen;
    int head = httpres_parse_cgi(data, len, &res);

    memset(r, 0, sizeof *r);
    if (head < 0)
        return upres_fail(r, UPRES_BAD, "malformed CGI response head");
    r->status = res.status;
    r->len = len - (size_t)head;
    if (httpres_content_length(&res, &blen) == 1 && blen <= r->len)
        r->len = blen;
    r->body = r->len ? data + head : NULL;
    r->consumed = len;
    return UPRES_DONE;
}

int upres_fcgi(const char *data, size_t len, unsigned id, struct buf *out,
               size_t *used, upres_stderr_cb on_stderr, void *arg,
               const char **why)
{
    struct fcgi_record rec;
    uint32_t app;
    int n, proto;

    *used = 0;
    while (*used < len) {
        n = fcgi_parse_record(data + *used, len - *used, &rec);
        if (n == -2)
            break;
        if (n < 0) {
            *why = "bad FastCGI record";
            return UPRES_BAD;
        }
        *used += (size_t)n;
        if (rec.id != id)
            continue;
        if (rec.type == FCGI_STDOUT) {
            if (buf_append(out, rec.content, rec.len) != 0)
                return UPRES_NOMEM;
        } else if (rec.type == FCGI_STDERR && rec.len > 0) {
            if (on_stderr != NULL)
                on_stderr(arg, rec.content, rec.len);
        } else if (rec.type == FCGI_END_REQUEST) {
            if (fcgi_parse_end(rec.content, rec.len, &app, &proto) != 0 ||
                proto != FCGI_REQUEST_COMPLETE) {
                *why = "FastCGI request not completed";
                return UPRES_BAD;
            }
            return UPRES_DONE;
        }
    }
    return UPRES_MORE;
}
