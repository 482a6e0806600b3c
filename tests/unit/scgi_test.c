/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* scgi_test: the request netstring, written and read back. */
#include <stdlib.h>
#include <string.h>

#include "scgi.h"
#include "t.h"

static void test_request(void)
{
    static const char want[] = "60:CONTENT_LENGTH\0"
                               "2\0SCGI\0"
                               "1\0"
                               "REQUEST_METHOD\0POST\0REQUEST_URI\0/ev\0,{}";
    struct buf h = BUF_INIT, out = BUF_INIT;
    const char *data, *name, *value;
    size_t dlen, nlen, vlen, off;
    int n, i, ok = 1;

    CHECK(scgi_append_header(&h, "REQUEST_METHOD", 14, "POST", 4) == 0);
    CHECK(scgi_append_header(&h, "REQUEST_URI", 11, "/ev", 3) == 0);
    CHECK(scgi_append_header(&h, "BAD", 3, "a\0b", 3) == -1);
    CHECK(scgi_append_header(&h, "", 0, "x", 1) == -1);
    CHECK(scgi_append_request(&out, &h, "{}", 2) == 0);
    CHECK_MEM(out.data, out.len, want, sizeof want - 1);

    n = scgi_parse_netstring(out.data, out.len, &data, &dlen);
    CHECK(n == (int)out.len - 2 && dlen == 60);
    for (i = 0; i < n; i++)
        if (scgi_parse_netstring(out.data, (size_t)i, &data, &dlen) != -2)
            ok = 0;
    CHECK(ok);
    scgi_parse_netstring(out.data, out.len, &data, &dlen);
    off = 0;
    n = scgi_next_header(data, dlen, &name, &nlen, &value, &vlen);
    CHECK(n == 17);
    CHECK_STR(name, nlen, "CONTENT_LENGTH");
    CHECK_STR(value, vlen, "2");
    for (i = 0; i < 3; i++) {
        off += (size_t)n;
        n = scgi_next_header(data + off, dlen - off, &name, &nlen, &value,
                             &vlen);
        CHECK(n > 0);
    }
    CHECK_STR(name, nlen, "REQUEST_URI");
    CHECK_STR(value, vlen, "/ev");
    off += (size_t)n;
    CHECK(scgi_next_header(data + off, dlen - off, &name, &nlen, &value,
                           &vlen) == 0);
    CHECK(scgi_next_header("A\0b", 3, &name, &nlen, &value, &vlen) == -1);
    CHECK(scgi_next_header("\0b\0", 3, &name, &nlen, &value, &vlen) == -1);

    CHECK(scgi_parse_netstring(":x,", 3, &data, &dlen) == -1);
    CHECK(scgi_parse_netstring("01:x,", 5, &data, &dlen) == -1);
    CHECK(scgi_parse_netstring("1:xy", 4, &data, &dlen) == -1);
    CHECK(scgi_parse_netstring("1234567890:", 11, &data, &dlen) == -1);
    CHECK(scgi_parse_netstring("0:,", 3, &data, &dlen) == 3 && dlen == 0);
    buf_free(&h);
    buf_free(&out);
}

int main(void)
{
    test_request();
    return T_DONE();
}
