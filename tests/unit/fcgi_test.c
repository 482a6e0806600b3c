/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fcgi_test: records and name-value pairs, written and read back. */
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "t.h"

static void test_records(void)
{
    struct buf b = BUF_INIT, params = BUF_INIT;
    struct fcgi_record rec;
    const char *name, *value;
    size_t nlen, vlen, off = 0, i;
    char big[70000];
    uint32_t app;
    int n, proto, ok = 1;

    CHECK(fcgi_append_begin(&b, 1, FCGI_RESPONDER, FCGI_KEEP_CONN) == 0);
    CHECK(b.len == 16);
    CHECK_MEM(b.data, 8, "\x01\x01\x00\x01\x00\x08\x00\x00", 8);
    CHECK_MEM(b.data + 8, 8, "\x00\x01\x01\x00\x00\x00\x00\x00", 8);
    n = fcgi_parse_record(b.data, b.len, &rec);
    CHECK(n == 16 && rec.type == FCGI_BEGIN_REQUEST && rec.id == 1 &&
          rec.len == 8);
    /* Every prefix needs more. */
    for (i = 0; i < b.len; i++)
        if (fcgi_parse_record(b.data, i, &rec) != -2)
            ok = 0;
    CHECK(ok);

    /* A long value takes 4-byte lengths; records pad to 8. */
    memset(big, 'v', 300);
    CHECK(fcgi_append_param(&params, "REQUEST_METHOD", 14, "POST", 4) == 0);
    CHECK(fcgi_append_param(&params, "HTTP_COOKIE", 11, big, 300) == 0);
    CHECK(params.len == 2 + 14 + 4 + 1 + 4 + 11 + 300);
    buf_reset(&b);
    CHECK(fcgi_append(&b, FCGI_PARAMS, 7, params.data, params.len) == 0);
    CHECK(b.len % 8 == 0);
    n = fcgi_parse_record(b.data, b.len, &rec);
    CHECK(n == (int)b.len && rec.type == FCGI_PARAMS && rec.id == 7 &&
          rec.len == params.len);
    n = fcgi_parse_param(rec.content, rec.len, &name, &nlen, &value, &vlen);
    CHECK(n == 20);
    CHECK_STR(name, nlen, "REQUEST_METHOD");
    CHECK_STR(value, vlen, "POST");
    off = (size_t)n;
    n = fcgi_parse_param(rec.content + off, rec.len - off, &name, &nlen, &value,
                         &vlen);
    CHECK(n == 1 + 4 + 11 + 300 && vlen == 300 && nlen == 11);
    off += (size_t)n;
    CHECK(fcgi_parse_param(rec.content + off, rec.len - off, &name, &nlen,
                           &value, &vlen) == 0);
    CHECK(fcgi_parse_param(rec.content, 3, &name, &nlen, &value, &vlen) == -2);

    /* Over 64 KiB splits into records; an empty one ends the stream. */
    memset(big, 'x', sizeof big);
    buf_reset(&b);
    CHECK(fcgi_append(&b, FCGI_STDIN, 1, big, sizeof big) == 0);
    CHECK(fcgi_append(&b, FCGI_STDIN, 1, NULL, 0) == 0);
    n = fcgi_parse_record(b.data, b.len, &rec);
    CHECK(n > 0 && rec.len == FCGI_MAX_LENGTH);
    off = (size_t)n;
    n = fcgi_parse_record(b.data + off, b.len - off, &rec);
    CHECK(n > 0 && rec.len == sizeof big - FCGI_MAX_LENGTH);
    off += (size_t)n;
    n = fcgi_parse_record(b.data + off, b.len - off, &rec);
    CHECK(n == 8 && rec.len == 0 && rec.type == FCGI_STDIN);
    CHECK(off + 8 == b.len);

    /* Bad version and type. */
    CHECK(fcgi_parse_record("\x02\x06\x00\x01\x00\x00\x00\x00", 8, &rec) == -1);
    CHECK(fcgi_parse_record("\x01\x00\x00\x01\x00\x00\x00\x00", 8, &rec) == -1);
    CHECK(fcgi_parse_record("\x01\x0c\x00\x01\x00\x00\x00\x00", 8, &rec) == -1);
    CHECK(fcgi_parse_record("H", 1, &rec) == -1);

    CHECK(fcgi_parse_end("\x00\x00\x01\x02\x00\x00\x00\x00", 8, &app, &proto) ==
              0 &&
          app == 258 && proto == FCGI_REQUEST_COMPLETE);
    CHECK(fcgi_parse_end("\x00", 1, &app, &proto) == -1);
    buf_free(&b);
    buf_free(&params);
}

int main(void)
{
    test_records();
    return T_DONE();
}
