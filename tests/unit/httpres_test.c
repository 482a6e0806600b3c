/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* httpres_test: response heads, CGI heads, chunked bodies, every prefix. */
#include <stdlib.h>
#include <string.h>

#include "httpres.h"
#include "t.h"

/* Every proper prefix of a complete head is "need more". */
static void prefixes(int (*parse)(const char *, size_t, struct httpres *),
                     const char *text)
{
    struct httpres res;
    size_t i, n = strlen(text);
    int ok = 1;

    for (i = 0; i < n; i++) {
        char *copy = malloc(i ? i : 1);
        memcpy(copy, text, i);
        if (parse(copy, i, &res) != -2)
            ok = 0;
        free(copy);
    }
    CHECK(ok);
}

static void test_http(void)
{
    static const char r1[] = "HTTP/1.1 200 OK\r\nContent-Type: application/"
                             "json\r\nContent-Length: 2\r\n\r\n{}";
    struct httpres res;
    size_t len = 0;
    int n;

    n = httpres_parse(r1, sizeof r1 - 1, &res);
    CHECK(n == (int)sizeof r1 - 1 - 2);
    CHECK(res.status == 200 && res.minor_version == 1);
    CHECK(res.num_headers == 2);
    CHECK(httpres_content_length(&res, &len) == 1 && len == 2);
    CHECK(httpres_keep_alive(&res) == 1);
    CHECK(httpres_chunked(&res) == 0);
    CHECK_STR(httpres_header(&res, "content-type")->value,
              httpres_header(&res, "content-type")->value_len,
              "application/json");
    prefixes(httpres_parse, "HTTP/1.1 200 OK\r\nA: b\r\n\r\n");

    CHECK(httpres_parse("HTTP/1.0 404 Not Found\nConnection: keep-alive\n\n",
                        47, &res) == 47);
    CHECK(res.status == 404 && res.minor_version == 0 &&
          httpres_keep_alive(&res) == 1);
    CHECK(httpres_parse("HTTP/1.1 204\r\nConnection: close\r\n\r\n", 35,
                        &res) == 35);
    CHECK(res.status == 204 && httpres_keep_alive(&res) == 0);
    CHECK(httpres_content_length(&res, &len) == 0);
    CHECK(httpres_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, "
                        "chunked\r\n\r\n",
                        53, &res) == 53);
    CHECK(httpres_chunked(&res) == 1);

    /* Malformed. */
    CHECK(httpres_parse("HTTP/2 200 OK\r\n\r\n", 17, &res) == -1);
    CHECK(httpres_parse("HTTP/1.1 20 OK\r\n\r\n", 18, &res) == -1);
    CHECK(httpres_parse("HTTP/1.1 2000 OK\r\n\r\n", 20, &res) == -1);
    CHECK(httpres_parse("HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", 29, &res) == -1);
    CHECK(httpres_parse("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", 35,
                        &res) == -1);
    CHECK(httpres_parse("HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n", 26, &res) == -1);
    CHECK(httpres_parse("<html>", 6, &res) == -1);
    CHECK(httpres_parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                        "Content-Length: 2\r\n\r\n",
                        57, &res) == 57);
    CHECK(httpres_content_length(&res, &len) == -1);
    CHECK(httpres_parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 39,
                        &res) == 39);
    CHECK(httpres_content_length(&res, &len) == -1);
}

static void test_cgi(void)
{
    struct httpres res;
    int n;

    n = httpres_parse_cgi("Status: 403 Forbidden\r\nContent-Type: text/"
                          "plain\r\n\r\nno",
                          53, &res);
    CHECK(n == 51 && res.status == 403 && res.minor_version == -1);
    CHECK(httpres_parse_cgi("Content-Type: a/b\n\n{}", 21, &res) == 19);
    CHECK(res.status == 200);
    CHECK(httpres_parse_cgi("Location: /x\r\n\r\n", 16, &res) == 16 &&
          res.status == 302);
    CHECK(httpres_parse_cgi("HTTP/1.1 500 Oops\r\n\r\n", 21, &res) == 21 &&
          res.status == 500);
    CHECK(httpres_parse_cgi("Status: abc\r\n\r\n", 15, &res) == -1);
    CHECK(httpres_parse_cgi("Status: 2000\r\n\r\n", 16, &res) == -1);
    CHECK(httpres_parse_cgi("{\"json\":1}", 10, &res) == -1);
    prefixes(httpres_parse_cgi, "Status: 200 OK\r\nA: b\r\n\r\n");
}

static void test_chunked(void)
{
    char body[] = "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks."
                  "\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    size_t n = strlen(body), out = 0, i;
    long r;
    int ok = 1;

    for (i = 0; i < n - 4; i++) {
        char *copy = malloc(i ? i : 1);
        memcpy(copy, body, i);
        if (httpres_dechunk(copy, i, &out) != -2)
            ok = 0;
        free(copy);
    }
    CHECK(ok);
    r = httpres_dechunk(body, n, &out);
    CHECK(r == (long)n - 4);
    CHECK_STR(body, out, "Wikipedia in \r\n\r\nchunks.");
    {
        char b2[] = "0\r\n\r\n";
        CHECK(httpres_dechunk(b2, 5, &out) == 5 && out == 0);
    }
    {
        char b3[] = "x\r\n\r\n";
        CHECK(httpres_dechunk(b3, 5, &out) == -1);
    }
    {
        char b4[] = "3\r\nabcX0\r\n\r\n";
        CHECK(httpres_dechunk(b4, 12, &out) == -1);
    }
    {
        char b5[] = "fffffffffffffffffffff\r\n";
        CHECK(httpres_dechunk(b5, 23, &out) == -1);
    }
}

int main(void)
{
    test_http();
    test_cgi();
    test_chunked();
    return T_DONE();
}
