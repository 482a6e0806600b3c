/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* req_test: CGI params to requests, X-Forwarded-For behind trusted proxies. */
#include <stdlib.h>
#include <string.h>

#include "req.h"
#include "t.h"

#define P(n, v)                                                                \
    {                                                                          \
        n, sizeof(n) - 1, v, sizeof(v) - 1                                     \
    }

static void test_from_cgi(void)
{
    struct req_param p[] = {
        P("REQUEST_METHOD", "POST"),
        P("REQUEST_URI", "/socket.io/?EIO=4&transport=polling&sid=abc"),
        P("QUERY_STRING", "ignored=1"),
        P("REMOTE_ADDR", "192.0.2.7"),
        P("REMOTE_PORT", "51234"),
        P("HTTPS", "on"),
        P("CONTENT_TYPE", "text/plain;charset=UTF-8"),
        P("CONTENT_LENGTH", "12"),
        P("HTTP_X_FORWARDED_FOR", "198.51.100.1"),
        P("HTTP_ORIGIN", "http://example.com"),
        P("SERVER_NAME", "example.com"),
    };
    struct http_request h;
    struct req_cgi cgi;
    char scratch[256];
    const struct http_header *x;
    size_t cl;

    CHECK(req_from_cgi(p, sizeof p / sizeof p[0], scratch, sizeof scratch, &h,
                       &cgi) == 0);
    CHECK_STR(h.method, h.method_len, "POST");
    CHECK_STR(h.path, h.path_len, "/socket.io/");
    CHECK_STR(h.query, h.query_len, "EIO=4&transport=polling&sid=abc");
    CHECK(cgi.https == 1 && cgi.remote_port == 51234 &&
          cgi.content_length == 12);
    CHECK_STR(cgi.remote_addr, cgi.remote_addr_len, "192.0.2.7");
    x = http_find_header(&h, "X-Forwarded-For");
    CHECK(x != NULL);
    if (x != NULL)
        CHECK_STR(x->value, x->value_len, "198.51.100.1");
    x = http_find_header(&h, "Content-Type");
    CHECK(x != NULL);
    CHECK(http_content_length(&h, &cl) == 0 && cl == 12);
    CHECK(http_find_header(&h, "Origin") != NULL);
    CHECK(http_find_header(&h, "Server-Name") == NULL);
    /* Too little scratch for the header names. */
    CHECK(req_from_cgi(p, sizeof p / sizeof p[0], scratch, 8, &h, &cgi) == -1);
}

static void test_from_cgi_script(void)
{
    struct req_param p[] = {
        P("REQUEST_METHOD", "GET"),
        P("SCRIPT_NAME", "/socket.io"),
        P("PATH_INFO", "/"),
        P("QUERY_STRING", "EIO=4&transport=polling"),
        P("HTTPS", "off"),
        P("REQUEST_SCHEME", "http"),
    };
    struct req_param bad[] = {
        P("REQUEST_METHOD", "GET"),
        P("REQUEST_URI", "/x"),
        P("CONTENT_LENGTH", "1x"),
    };
    struct req_param nomethod[] = {P("REQUEST_URI", "/x")};
    struct req_param relative[] = {P("REQUEST_METHOD", "GET"),
                                   P("REQUEST_URI", "x")};
    struct http_request h;
    struct req_cgi cgi;
    char scratch[64];

    CHECK(req_from_cgi(p, 6, scratch, sizeof scratch, &h, &cgi) == 0);
    CHECK_STR(h.path, h.path_len, "/socket.io/");
    CHECK_STR(h.query, h.query_len, "EIO=4&transport=polling");
    CHECK(cgi.https == 0 && cgi.remote_addr == NULL);
    CHECK(req_from_cgi(bad, 3, scratch, sizeof scratch, &h, &cgi) == -1);
    CHECK(req_from_cgi(nomethod, 1, scratch, sizeof scratch, &h, &cgi) == -1);
    CHECK(req_from_cgi(relative, 2, scratch, sizeof scratch, &h, &cgi) == -1);
    CHECK(req_from_cgi(p, 1, scratch, sizeof scratch, &h, &cgi) == -1);
}

static int trusted(const char *a)
{
    return req_addr_in_list("127.0.0.1, 10.0.0.0/8,::1,unix", a);
}

static void test_client_addr(void)
{
    char out[64];
    const char *xff = "203.0.113.9, 198.51.100.2 ,10.1.2.3";

    CHECK(req_client_addr("127.0.0.1", xff, strlen(xff), trusted, out,
                          sizeof out) == 1);
    CHECK(strcmp(out, "198.51.100.2") == 0);
    /* An untrusted peer's header is ignored. */
    CHECK(req_client_addr("192.0.2.1", xff, strlen(xff), trusted, out,
                          sizeof out) == 0);
    CHECK(strcmp(out, "192.0.2.1") == 0);
    CHECK(req_client_addr("127.0.0.1", xff, strlen(xff), NULL, out,
                          sizeof out) == 0);
    CHECK(req_client_addr("local", "10.0.0.1", 8, trusted, out, sizeof out) ==
          1);
    CHECK(strcmp(out, "10.0.0.1") == 0); /* all trusted: the leftmost */
    CHECK(req_client_addr("::1", " , ", 3, trusted, out, sizeof out) == 0);
    CHECK(strcmp(out, "::1") == 0);

    CHECK(req_addr_in_list("10.0.0.0/8", "10.255.0.1"));
    CHECK(!req_addr_in_list("10.0.0.0/8", "11.0.0.1"));
    CHECK(req_addr_in_list("192.168.1.0/24,2001:db8::/32", "2001:db8::5"));
    CHECK(!req_addr_in_list("2001:db8::/32", "2001:db9::5"));
    CHECK(!req_addr_in_list("10.0.0.0/40", "10.0.0.1"));
    CHECK(!req_addr_in_list("", "10.0.0.1"));
    CHECK(!req_addr_in_list("garbage", "10.0.0.1"));
    CHECK(req_addr_in_list("10.0.0.0/0", "1.2.3.4"));
}

static int same(const char *origin, const char *host)
{
    return req_same_origin(origin, strlen(origin), host, strlen(host));
}

static void test_same_origin(void)
{
    CHECK(same("http://127.0.0.1:9000", "127.0.0.1:9000"));
    CHECK(same("https://Example.COM", "example.com"));
    CHECK(same("http://example.com", "example.com:80"));
    CHECK(same("http://example.com:80", "example.com"));
    CHECK(same("https://example.com", "example.com:443"));
    CHECK(same("https://example.com:443", "example.com"));
    CHECK(same("http://[::1]:9000", "[::1]:9000"));
    /* another site, port or scheme's default port */
    CHECK(!same("http://evil.example", "example.com"));
    CHECK(!same("http://example.com.evil.example", "example.com"));
    CHECK(!same("http://127.0.0.1:8000", "127.0.0.1:9000"));
    CHECK(!same("http://example.com", "example.com:443"));
    CHECK(!same("https://example.com", "example.com:80"));
    CHECK(!same("http://example.com:8080", "example.com"));
    /* not an origin a browser sends for a site */
    CHECK(!same("null", "example.com"));
    CHECK(!same("file://", "example.com"));
    CHECK(!same("http://example.com/", "example.com"));
    CHECK(!same("http://", ""));
    CHECK(!same("http://example.com", ""));
}

int main(void)
{
    test_from_cgi();
    test_from_cgi_script();
    test_client_addr();
    test_same_origin();
    return T_DONE();
}
