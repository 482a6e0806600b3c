/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upres_test: where HTTP, CGI and FastCGI answers from the app end. */
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "t.h"
#include "upres.h"

/* upres_http() on a copy of the literal (the body is decoded in place). */
static int http(const char *lit, int eof, struct upres *r, char **copy)
{
    size_t len = strlen(lit);

    *copy = malloc(len + 1);
    memcpy(*copy, lit, len + 1);
    return upres_http(*copy, len, eof, r);
}

static void test_http(void)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    struct upres r;
    char *p;
    size_t i;
    int ok = 1;

    CHECK(http(cont, 0, &r, &p) == UPRES_DONE && r.status == 200);
    CHECK_STR(r.body, r.len, "{}");
    CHECK(r.keep && r.consumed == sizeof cont - 1);
    free(p);
    for (i = 0; i < sizeof cont - 1; i++) {
        char *q = malloc(i + 1);
        memcpy(q, cont, i);
        if (upres_http(q, i, 0, &r) != UPRES_MORE)
            ok = 0;
        free(q);
    }
    CHECK(ok);
    /* Something after the answer: not kept (nothing is pipelined). */
    CHECK(http("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", 0, &r, &p) ==
              UPRES_DONE &&
          r.len == 1 && r.consumed == 39 && !r.keep);
    free(p);
    CHECK(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
               "Content-Length: 3\r\n\r\n2\r\nab\r\n1;x\r\nc\r\n0\r\n\r\n",
               0, &r, &p) == UPRES_DONE);
    CHECK_STR(r.body, r.len, "abc");
    CHECK(r.keep);
    free(p);
    CHECK(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab",
               1, &r, &p) == UPRES_BAD &&
          r.why != NULL);
    free(p);
    CHECK(http("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 0, &r,
               &p) == UPRES_DONE &&
          r.status == 204 && r.len == 0 && r.body == NULL && !r.keep);
    free(p);
    /* No length: the body runs to the close. */
    CHECK(http("HTTP/1.1 200 OK\r\n\r\nabc", 0, &r, &p) == UPRES_MORE);
    free(p);
    CHECK(http("HTTP/1.1 200 OK\r\n\r\nabc", 1, &r, &p) == UPRES_DONE &&
          !r.keep);
    CHECK_STR(r.body, r.len, "abc");
    free(p);
    CHECK(http("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 1, &r, &p) ==
              UPRES_CLOSED &&
          r.why != NULL);
    free(p);
    /* A whole answer when the app has closed: never kept. */
    CHECK(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 1, &r, &p) ==
              UPRES_DONE &&
          !r.keep);
    free(p);
    CHECK(http("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 0, &r, &p) ==
          UPRES_BAD);
    free(p);
    CHECK(http("SSH-2.0\r\n\r\n", 0, &r, &p) == UPRES_BAD);
    free(p);
    CHECK(http("HTTP/1.1 100 Continue\r\n\r\n", 1, &r, &p) == UPRES_MORE);
    free(p);
}

static void test_cgi(void)
{
    static const char ans[] = "Status: 201 Created\r\nContent-Length: 2\r\n\r\n"
                              "{}trailing";
    struct upres r;

    CHECK(upres_cgi(ans, sizeof ans - 1, &r) == UPRES_DONE && r.status == 201);
    CHECK_STR(r.body, r.len, "{}");
    /* A Content-Length longer than the body is not trusted. */
    CHECK(upres_cgi("Content-Length: 50\n\nabc", 23, &r) == UPRES_DONE &&
          r.status == 200);
    CHECK_STR(r.body, r.len, "abc");
    CHECK(upres_cgi("no head", 7, &r) == UPRES_BAD && r.why != NULL);
}

static void on_stderr(void *arg, const char *text, size_t len)
{
    struct buf *b = arg;

    buf_append(b, text, len);
}

static void test_fcgi(void)
{
    struct buf in = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
    static const char end_ok[8] = {0, 0, 0, 0, FCGI_REQUEST_COMPLETE};
    static const char end_busy[8] = {0, 0, 0, 0, FCGI_OVERLOADED};
    const char *why = NULL;
    size_t used, all;
    int r;

    fcgi_append(&in, FCGI_STDOUT, 1, "Status: 200\r\n\r\n{", 16);
    fcgi_append(&in, FCGI_STDERR, 1, "warn", 4);
    fcgi_append(&in, FCGI_STDOUT, 2, "other", 5);
    fcgi_append(&in, FCGI_STDOUT, 1, "}", 1);
    fcgi_append(&in, FCGI_STDOUT, 1, NULL, 0);
    fcgi_append(&in, FCGI_END_REQUEST, 1, end_ok, 8);
    all = in.len;
    /* Cut within the second record: the first is used, the rest waits. */
    r = upres_fcgi(in.data, 30, 1, &out, &used, on_stderr, &err, &why);
    CHECK(r == UPRES_MORE && used == 24 && out.len == 16);
    r = upres_fcgi(in.data + used, all - used, 1, &out, &used, on_stderr, &err,
                   &why);
    CHECK(r == UPRES_DONE && used == all - 24);
    CHECK_STR(out.data, out.len, "Status: 200\r\n\r\n{}");
    CHECK_STR(err.data, err.len, "warn");
    buf_reset(&out);
    buf_reset(&in);
    fcgi_append(&in, FCGI_END_REQUEST, 1, end_busy, 8);
    CHECK(upres_fcgi(in.data, in.len, 1, &out, &used, NULL, NULL, &why) ==
              UPRES_BAD &&
          why != NULL);
    why = NULL;
    CHECK(upres_fcgi("\x02\x06\x00\x01\x00\x00\x00\x00", 8, 1, &out, &used,
                     NULL, NULL, &why) == UPRES_BAD &&
          why != NULL);
    buf_free(&in);
    buf_free(&out);
    buf_free(&err);
}

int main(void)
{
    test_http();
    test_cgi();
    test_fcgi();
    return T_DONE();
}
