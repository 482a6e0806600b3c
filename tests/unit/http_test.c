/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* http_test: unit tests for the request parser and helpers in http.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "t.h"

/* Parses a copy held in a block of exactly `len` bytes, so that ASan
 * reports any read past the end. The copy is kept in *keep (to be freed
 * by the caller) because `req` points into it. */
static int parse_exact(const char *buf, size_t len, struct http_request *req,
                       char **keep)
{
    char *copy = malloc(len ? len : 1);
    int r;

    memcpy(copy, buf, len);
    r = http_parse_request(copy, len, req);
    if (keep != NULL)
        *keep = copy;
    else
        free(copy);
    return r;
}

/* Every strict prefix of a valid head needs more bytes; the whole gives
 * `want` (the head length). */
static void check_splits(const char *buf, size_t len, int want)
{
    struct http_request req;
    size_t i;
    int bad = 0;

    for (i = 0; i < (size_t)want; i++) {
        if (parse_exact(buf, i, &req, NULL) != -2)
            bad++;
    }
    CHECK(bad == 0);
    CHECK(parse_exact(buf, len, &req, NULL) == want);
}

/* A malformed head gives -1, and no prefix of it is taken as a head. */
static void check_bad(const char *buf, size_t len)
{
    struct http_request req;
    size_t i;
    int bad = 0, r;

    for (i = 0; i < len; i++) {
        r = parse_exact(buf, i, &req, NULL);
        if (r != -2 && r != -1)
            bad++;
    }
    CHECK(bad == 0);
    CHECK(parse_exact(buf, len, &req, NULL) == -1);
}

#define SPLITS(lit) check_splits(lit, sizeof(lit) - 1, (int)sizeof(lit) - 1)
#define BAD(lit) check_bad(lit, sizeof(lit) - 1)

static void test_parse_basic(void)
{
    static const char r1[] =
        "GET /socket.io/?EIO=4&transport=polling&t=N8hyd6w HTTP/1.1\r\n"
        "Host: example.com:8080\r\n"
        "User-Agent:   curl/8.0  \r\n"
        "Accept: */*\r\n"
        "X-Empty:\r\n"
        "X-Tab:\tin\tside\t\r\n"
        "\r\n";
    struct http_request req;
    char *keep;

    CHECK(parse_exact(r1, sizeof(r1) - 1, &req, &keep) == sizeof(r1) - 1);
    CHECK_STR(req.method, req.method_len, "GET");
    CHECK_STR(req.path, req.path_len, "/socket.io/");
    CHECK(req.query != NULL);
    CHECK_STR(req.query, req.query_len, "EIO=4&transport=polling&t=N8hyd6w");
    CHECK(req.minor_version == 1);
    CHECK(req.num_headers == 5);
    CHECK_STR(req.headers[0].name, req.headers[0].name_len, "Host");
    CHECK_STR(req.headers[0].value, req.headers[0].value_len,
              "example.com:8080");
    CHECK_STR(req.headers[1].name, req.headers[1].name_len, "User-Agent");
    CHECK_STR(req.headers[1].value, req.headers[1].value_len, "curl/8.0");
    CHECK_STR(req.headers[2].value, req.headers[2].value_len, "*/*");
    CHECK_STR(req.headers[3].name, req.headers[3].name_len, "X-Empty");
    CHECK(req.headers[3].value != NULL && req.headers[3].value_len == 0);
    CHECK_STR(req.headers[4].value, req.headers[4].value_len, "in\tside");
    /* Results point into the given buffer. */
    CHECK(req.method == keep && req.path == keep + 4);
    free(keep);
    SPLITS(r1);

    /* Bare LF line ends, HTTP/1.0, no query, no headers. */
    {
        static const char r2[] = "POST /x HTTP/1.0\n\n";
        CHECK(http_parse_request(r2, sizeof(r2) - 1, &req) == 18);
        CHECK_STR(req.method, req.method_len, "POST");
        CHECK_STR(req.path, req.path_len, "/x");
        CHECK(req.query == NULL && req.query_len == 0);
        CHECK(req.minor_version == 0);
        CHECK(req.num_headers == 0);
        SPLITS(r2);
    }
    /* Mixed line ends. */
    {
        static const char r3[] = "GET / HTTP/1.1\nA: 1\r\nB: 2\n\r\n";
        CHECK(http_parse_request(r3, sizeof(r3) - 1, &req) == sizeof(r3) - 1);
        CHECK(req.num_headers == 2);
        CHECK_STR(req.headers[1].value, req.headers[1].value_len, "2");
        SPLITS(r3);
    }
    /* The body after the head is not counted. */
    {
        static const char r4[] = "POST / HTTP/1.1\r\nContent-Length: 4\r\n"
                                 "\r\nbody";
        CHECK(http_parse_request(r4, sizeof(r4) - 1, &req) ==
              sizeof(r4) - 1 - 4);
        check_splits(r4, sizeof(r4) - 1, sizeof(r4) - 1 - 4);
    }
    /* An empty query, and a '?' inside the query. */
    {
        static const char r5[] = "GET /a? HTTP/1.1\r\n\r\n";
        static const char r6[] = "GET /a?b?c=/d HTTP/1.1\r\n\r\n";
        CHECK(http_parse_request(r5, sizeof(r5) - 1, &req) > 0);
        CHECK_STR(req.path, req.path_len, "/a");
        CHECK(req.query != NULL && req.query_len == 0);
        CHECK(http_parse_request(r6, sizeof(r6) - 1, &req) > 0);
        CHECK_STR(req.path, req.path_len, "/a");
        CHECK_STR(req.query, req.query_len, "b?c=/d");
    }
    /* Blank lines before the request line are skipped. */
    {
        static const char r7[] = "\r\n\nGET / HTTP/1.1\r\n\r\n";
        CHECK(http_parse_request(r7, sizeof(r7) - 1, &req) == sizeof(r7) - 1);
        CHECK_STR(req.method, req.method_len, "GET");
        SPLITS(r7);
    }
    /* Methods are any token; raw UTF-8 and %-escapes pass in the target,
     * obs-text in values. */
    {
        static const char r8[] = "M-SEARCH!#$%&'*+.^_`|~09 /%7e/\xc3\xa9 "
                                 "HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n";
        CHECK(http_parse_request(r8, sizeof(r8) - 1, &req) == sizeof(r8) - 1);
        CHECK_STR(req.method, req.method_len, "M-SEARCH!#$%&'*+.^_`|~09");
        CHECK_STR(req.path, req.path_len, "/%7e/\xc3\xa9");
        CHECK_STR(req.headers[0].value, req.headers[0].value_len,
                  "caf\xc3\xa9");
    }
    /* OPTIONS * */
    {
        static const char r9[] = "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n";
        CHECK(http_parse_request(r9, sizeof(r9) - 1, &req) == sizeof(r9) - 1);
        CHECK_STR(req.path, req.path_len, "*");
        CHECK(req.query == NULL);
        SPLITS(r9);
    }
}

static void test_parse_bad(void)
{
    /* Request line. */
    BAD("GET\r\n\r\n");
    BAD("GET / \r\n\r\n");
    BAD("GET /\r\n\r\n");
    BAD(" GET / HTTP/1.1\r\n\r\n");
    BAD("GET  / HTTP/1.1\r\n\r\n");
    BAD("GET /  HTTP/1.1\r\n\r\n");
    BAD("GET\t/ HTTP/1.1\r\n\r\n");
    BAD("GE(T / HTTP/1.1\r\n\r\n");
    BAD("GE\"T / HTTP/1.1\r\n\r\n");
    BAD("G\x80T / HTTP/1.1\r\n\r\n");
    BAD("G\0T / HTTP/1.1\r\n\r\n");
    BAD("GET http://example.com/ HTTP/1.1\r\n\r\n");
    BAD("GET example.com:80 HTTP/1.1\r\n\r\n");
    BAD("GET ?a=1 HTTP/1.1\r\n\r\n");
    BAD("GET * HTTP/1.1\r\n\r\n");
    BAD("OPTIONS *x HTTP/1.1\r\n\r\n");
    BAD("OPTIONS ** HTTP/1.1\r\n\r\n");
    BAD("options * HTTP/1.1\r\n\r\n");
    BAD("GET /a\x01 HTTP/1.1\r\n\r\n");
    BAD("GET /a\x7f HTTP/1.1\r\n\r\n");
    BAD("GET /a\tb HTTP/1.1\r\n\r\n");
    BAD("GET /a\0b HTTP/1.1\r\n\r\n");
    BAD("GET /a\rb HTTP/1.1\r\n\r\n");
    BAD("GET /a\nb HTTP/1.1\r\n\r\n");
    BAD("GET / HTTP/1.2\r\n\r\n");
    BAD("GET / HTTP/2.0\r\n\r\n");
    BAD("GET / HTTP/0.9\r\n\r\n");
    BAD("GET / http/1.1\r\n\r\n");
    BAD("GET / HTTP/1.10\r\n\r\n");
    BAD("GET / HTTP/1.1 \r\n\r\n");
    BAD("GET / HTTP/1.\r\n\r\n");
    BAD("GET / HTTP/1.1\rX\r\n\r\n");
    BAD("GET / HTTP/1.1\r\r\n\r\n");
    BAD("\rGET / HTTP/1.1\r\n\r\n");
    BAD("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"); /* TLS hello */

    /* Header lines. */
    BAD("GET / HTTP/1.1\r\nHost\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost x\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost : x\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n");
    BAD("GET / HTTP/1.1\r\n: x\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHo(st: x\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nH\x80st: x\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost: a\x01z\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost: a\x7fz\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost: a\0z\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost: a\rz\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost: x\r\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nHost: x\r\n\r\r\n");
    BAD("GET / HTTP/1.1\r\nHost: x\r\n\rX");
    /* obs-fold, and a blank-led first header line. */
    BAD("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n");
    BAD("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n");
    BAD("GET / HTTP/1.1\r\n Host: x\r\n\r\n");
    BAD("GET / HTTP/1.1\n\tHost: x\n\n");
}

static void test_parse_limits(void)
{
    struct http_request req;
    char buf[4096];
    size_t n;
    int i;

    n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
    for (i = 0; i < HTTP_MAX_HEADERS; i++)
        n += (size_t)sprintf(buf + n, "H%d: v%d\r\n", i, i);
    memcpy(buf + n, "\r\n", 2);
    CHECK(http_parse_request(buf, n + 2, &req) == (int)n + 2);
    CHECK(req.num_headers == HTTP_MAX_HEADERS);
    CHECK_STR(req.headers[HTTP_MAX_HEADERS - 1].name,
              req.headers[HTTP_MAX_HEADERS - 1].name_len, "H47");
    check_splits(buf, n + 2, (int)n + 2);

    /* One more is refused, even before it is complete. */
    n += (size_t)sprintf(buf + n, "Hx: y\r\n\r\n");
    CHECK(parse_exact(buf, n, &req, NULL) == -1);
    CHECK(parse_exact(buf, n - 6, &req, NULL) == -1);

    /* Long but fine: a 3000-byte target. */
    n = (size_t)sprintf(buf, "GET /");
    memset(buf + n, 'a', 3000);
    n += 3000;
    n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
    CHECK(http_parse_request(buf, n, &req) == (int)n);
    CHECK(req.path_len == 3001);

    CHECK(parse_exact("", 0, &req, NULL) == -2);
    CHECK(parse_exact("\r\n\r\n", 4, &req, NULL) == -2);
}

/* Random bytes over a small alphabet of the characters that matter never
 * read past the end (ASan) and never give a head longer than the input. */
static void test_parse_random(void)
{
    static const char alpha[] = "GET /?:\r\n\t HTP1.0Oa\x01\x7f\x80*";
    struct http_request req;
    char buf[64];
    unsigned seed = 12345;
    int i, r, bad = 0, ok = 0;
    size_t j, len;

    for (i = 0; i < 200000; i++) {
        seed = seed * 1103515245u + 12345u;
        len = (seed >> 16) % sizeof(buf);
        for (j = 0; j < len; j++) {
            seed = seed * 1103515245u + 12345u;
            buf[j] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
        }
        /* Give it a fair chance to be valid now and then. */
        if (i % 4 == 0 && len >= 16)
            memcpy(buf, "GET / HTTP/1.1\r\n", 16);
        r = parse_exact(buf, len, &req, NULL);
        if (r == 0 || r < -2 || r > (int)len)
            bad++;
        if (r > 0)
            ok++;
    }
    CHECK(bad == 0);
    CHECK(ok > 0);
}

static void test_find_header(void)
{
    static const char r[] = "GET / HTTP/1.1\r\n"
                            "Host: a\r\n"
                            "connection: keep-alive, Upgrade\r\n"
                            "Upgrade: websocket\r\n"
                            "HOST: b\r\n"
                            "\r\n";
    struct http_request req;
    const struct http_header *h;

    CHECK(http_parse_request(r, sizeof(r) - 1, &req) > 0);
    h = http_find_header(&req, "host");
    CHECK(h != NULL && h == &req.headers[0]);
    CHECK(h != NULL && h->value[0] == 'a');
    h = http_find_header(&req, "CONNECTION");
    CHECK(h == &req.headers[1]);
    CHECK(http_find_header(&req, "Connectio") == NULL);
    CHECK(http_find_header(&req, "Connections") == NULL);
    CHECK(http_find_header(&req, "Origin") == NULL);
    CHECK(http_find_header(&req, "") == NULL);

    CHECK(http_header_has_token(h, "upgrade") == 1);
    CHECK(http_header_has_token(h, "KEEP-ALIVE") == 1);
    CHECK(http_header_has_token(h, "keep") == 0);
    CHECK(http_header_has_token(h, "close") == 0);
    CHECK(http_header_has_token(http_find_header(&req, "upgrade"),
                                "WebSocket") == 1);
    CHECK(http_header_has_token(http_find_header(&req, "Origin"), "x") == 0);
    CHECK(http_header_has_token(NULL, "x") == 0);
}

static void test_has_token(void)
{
    struct http_header h;

#define TOK(val, tok, want)                                                    \
    do {                                                                       \
        h.name = "X";                                                          \
        h.name_len = 1;                                                        \
        h.value = val;                                                         \
        h.value_len = sizeof(val) - 1;                                         \
        CHECK(http_header_has_token(&h, tok) == (want));                       \
    } while (0)

    TOK("Upgrade", "upgrade", 1);
    TOK("upgrade", "Upgrade", 1);
    TOK("Upgraded", "upgrade", 0);
    TOK("Upgrad", "upgrade", 0);
    TOK("a,upgrade", "upgrade", 1);
    TOK("upgrade,a", "upgrade", 1);
    TOK(" , ,\tupgrade\t, ", "upgrade", 1);
    TOK("a, b, c", "b", 1);
    TOK("a, b c, d", "b", 0);
    TOK("a, b c, d", "b c", 1);
    TOK("", "upgrade", 0);
    TOK(",,,", "upgrade", 0);
    TOK("close", "close", 1);
    /* The value is not NUL-terminated: nothing after value_len counts. */
    h.value = "close";
    h.value_len = 4;
    CHECK(http_header_has_token(&h, "close") == 0);
#undef TOK
}

static void req_with(struct http_request *req, int minor, const char *n1,
                     const char *v1, const char *n2, const char *v2)
{
    memset(req, 0, sizeof(*req));
    req->minor_version = minor;
    if (n1 != NULL) {
        req->headers[0].name = n1;
        req->headers[0].name_len = strlen(n1);
        req->headers[0].value = v1;
        req->headers[0].value_len = strlen(v1);
        req->num_headers = 1;
    }
    if (n2 != NULL) {
        req->headers[1].name = n2;
        req->headers[1].name_len = strlen(n2);
        req->headers[1].value = v2;
        req->headers[1].value_len = strlen(v2);
        req->num_headers = 2;
    }
}

static void test_content_length(void)
{
    struct http_request req;
    size_t n;

#define CL(v, want_r, want_n)                                                  \
    do {                                                                       \
        req_with(&req, 1, "Content-Length", v, NULL, NULL);                    \
        n = 77;                                                                \
        CHECK(http_content_length(&req, &n) == (want_r));                      \
        if ((want_r) == 0)                                                     \
            CHECK(n == (size_t)(want_n));                                      \
    } while (0)

    CL("0", 0, 0);
    CL("42", 0, 42);
    CL("007", 0, 7);
    CL("1048576", 0, 1048576);
    CL("", -1, 0);
    CL("-1", -1, 0);
    CL("+1", -1, 0);
    CL("1 2", -1, 0);
    CL("12a", -1, 0);
    CL("0x10", -1, 0);
    CL("4,4", -1, 0);
    CL("4, 4", -1, 0);
    CL("1e3", -1, 0);
    CL("\xd9\xa3", -1, 0); /* ARABIC-INDIC DIGIT THREE */
    if (SIZE_MAX == UINT64_C(18446744073709551615)) {
        CL("18446744073709551615", 0, SIZE_MAX);
        CL("18446744073709551616", -1, 0);
        CL("18446744073709551620", -1, 0);
        CL("99999999999999999999", -1, 0);
        CL("000000000000000000000000000018446744073709551615", 0, SIZE_MAX);
    }
    CL("999999999999999999999999999999999999999999999999999999999", -1, 0);
#undef CL

    /* Absent. */
    req_with(&req, 1, "Host", "x", NULL, NULL);
    n = 77;
    CHECK(http_content_length(&req, &n) == 0 && n == 0);
    req_with(&req, 1, NULL, NULL, NULL, NULL);
    n = 77;
    CHECK(http_content_length(&req, &n) == 0 && n == 0);
    /* Name matched case-insensitively. */
    req_with(&req, 1, "content-LENGTH", "5", NULL, NULL);
    CHECK(http_content_length(&req, &n) == 0 && n == 5);
    /* Repeated: the same value is fine, another value is not. */
    req_with(&req, 1, "Content-Length", "5", "content-length", "5");
    CHECK(http_content_length(&req, &n) == 0 && n == 5);
    req_with(&req, 1, "Content-Length", "5", "Content-Length", "6");
    CHECK(http_content_length(&req, &n) == -1);
    req_with(&req, 1, "Content-Length", "5", "Content-Length", "05");
    CHECK(http_content_length(&req, &n) == 0 && n == 5);
    req_with(&req, 1, "Content-Length", "5", "Content-Length", "x");
    CHECK(http_content_length(&req, &n) == -1);
    req_with(&req, 1, "Content-Length", "0", "Content-Length", "");
    CHECK(http_content_length(&req, &n) == -1);
    /* Other names that only start alike are not it. */
    req_with(&req, 1, "Content-Lengths", "x", "Content-Lengt", "y");
    CHECK(http_content_length(&req, &n) == 0 && n == 0);
}

static void test_keep_alive(void)
{
    struct http_request req;

    req_with(&req, 1, NULL, NULL, NULL, NULL);
    CHECK(http_keep_alive(&req) == 1);
    req_with(&req, 0, NULL, NULL, NULL, NULL);
    CHECK(http_keep_alive(&req) == 0);
    req_with(&req, 1, "Connection", "close", NULL, NULL);
    CHECK(http_keep_alive(&req) == 0);
    req_with(&req, 1, "connection", "Upgrade, CLOSE", NULL, NULL);
    CHECK(http_keep_alive(&req) == 0);
    req_with(&req, 1, "Connection", "keep-alive", NULL, NULL);
    CHECK(http_keep_alive(&req) == 1);
    req_with(&req, 1, "Connection", "closed", NULL, NULL);
    CHECK(http_keep_alive(&req) == 1);
    req_with(&req, 0, "Connection", "Keep-Alive", NULL, NULL);
    CHECK(http_keep_alive(&req) == 1);
    req_with(&req, 0, "Connection", "keep-alive, close", NULL, NULL);
    CHECK(http_keep_alive(&req) == 0);
    req_with(&req, 0, "Connection", "close", NULL, NULL);
    CHECK(http_keep_alive(&req) == 0);
    req_with(&req, 0, "Keep-Alive", "timeout=5", NULL, NULL);
    CHECK(http_keep_alive(&req) == 0);
    /* Every Connection field counts. */
    req_with(&req, 1, "Connection", "keep-alive", "Connection", "close");
    CHECK(http_keep_alive(&req) == 0);
    req_with(&req, 0, "Connection", "foo", "Connection", "keep-alive");
    CHECK(http_keep_alive(&req) == 1);
}

static void test_query_get(void)
{
    static const char q[] = "EIO=4&transport=polling&t=N8h&sid=&flag&x=a=b"
                            "&&=v&EIO=3";
    const char *v;
    size_t vl;

#define Q(key, want)                                                           \
    do {                                                                       \
        v = NULL;                                                              \
        vl = 99;                                                               \
        CHECK(http_query_get(q, sizeof(q) - 1, key, &v, &vl) == 1);            \
        CHECK_STR(v, vl, want);                                                \
    } while (0)

    Q("EIO", "4"); /* the first of two */
    Q("transport", "polling");
    Q("t", "N8h");
    Q("sid", "");
    Q("flag", "");
    Q("x", "a=b");
    Q("", "v");
#undef Q
    CHECK(http_query_get(q, sizeof(q) - 1, "EI", &v, &vl) == 0);
    CHECK(http_query_get(q, sizeof(q) - 1, "EIO=4", &v, &vl) == 0);
    CHECK(http_query_get(q, sizeof(q) - 1, "eio", &v, &vl) == 0);
    CHECK(http_query_get(q, sizeof(q) - 1, "transports", &v, &vl) == 0);
    CHECK(http_query_get(q, sizeof(q) - 1, "a", &v, &vl) == 0);
    CHECK(http_query_get(NULL, 0, "EIO", &v, &vl) == 0);
    CHECK(http_query_get("", 0, "EIO", &v, &vl) == 0);
    /* Only query_len bytes count. */
    CHECK(http_query_get("EIO=4&sid=abc", 5, "sid", &v, &vl) == 0);
    CHECK(http_query_get("EIO=4&sid=abc", 11, "sid", &v, &vl) == 1);
    CHECK_STR(v, vl, "a");
    CHECK(http_query_get("sidx", 3, "sid", &v, &vl) == 1);
    CHECK(vl == 0);
    /* A flag at the very end points at the end. */
    CHECK(http_query_get("a=1&b", 5, "b", &v, &vl) == 1);
    CHECK(vl == 0);
}

static void test_url_decode(void)
{
    char out[64], in[64];
    long n;

#define DEC(src, want)                                                         \
    do {                                                                       \
        n = http_url_decode(out, src, sizeof(src) - 1);                        \
        CHECK(n >= 0);                                                         \
        CHECK_MEM(out, (size_t)n, want, sizeof(want) - 1);                     \
    } while (0)

    DEC("", "");
    DEC("abc", "abc");
    DEC("a%20b+c", "a b c");
    DEC("%41%4a%4A%7e%7E", "AJJ~~");
    DEC("%25%2B+", "%+ ");
    DEC("%e2%82%ac", "\xe2\x82\xac");
    DEC("%00x", "\0x");
    DEC("100%25", "100%");
#undef DEC
    CHECK(http_url_decode(out, "%", 1) == -1);
    CHECK(http_url_decode(out, "%4", 2) == -1);
    CHECK(http_url_decode(out, "a%4", 3) == -1);
    CHECK(http_url_decode(out, "%zz", 3) == -1);
    CHECK(http_url_decode(out, "%4g", 3) == -1);
    CHECK(http_url_decode(out, "%g4", 3) == -1);
    CHECK(http_url_decode(out, "% 4", 3) == -1);
    CHECK(http_url_decode(out, "%-1", 3) == -1);
    /* Only len bytes are read: "%41" cut to "%4" is bad. */
    CHECK(http_url_decode(out, "%41", 2) == -1);
    CHECK(http_url_decode(out, "ab%41", 2) == 2);
    /* In place. */
    strcpy(in, "x%3Dy+%26z");
    n = http_url_decode(in, in, strlen(in));
    CHECK_MEM(in, (size_t)n, "x=y &z", 6);
}

static void test_status_text(void)
{
    static const struct {
        int code;
        const char *text;
    } want[] = {
        {101, "Switching Protocols"},
        {200, "OK"},
        {204, "No Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {304, "Not Modified"},
        {400, "Bad Request"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {411, "Length Required"},
        {413, "Payload Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    size_t i;
    int bad = 0;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (strcmp(http_status_text(want[i].code), want[i].text) != 0)
            bad++;
    }
    CHECK(bad == 0);
    CHECK(strcmp(http_status_text(0), "Unknown") == 0);
    CHECK(strcmp(http_status_text(-1), "Unknown") == 0);
    CHECK(strcmp(http_status_text(418), "Unknown") == 0);
    CHECK(strcmp(http_status_text(999), "Unknown") == 0);
}

static void test_write_head(void)
{
    struct buf out = BUF_INIT;

#define HEAD(want)                                                             \
    do {                                                                       \
        CHECK_STR(out.data, out.len, want);                                    \
        buf_reset(&out);                                                       \
    } while (0)

    CHECK(http_write_head(&out, 200, "text/plain; charset=UTF-8", 5, 1, NULL) ==
          0);
    HEAD("HTTP/1.1 200 OK\r\n"
         "Content-Type: text/plain; charset=UTF-8\r\n"
         "Content-Length: 5\r\n"
         "Connection: keep-alive\r\n"
         "\r\n");
    CHECK(http_write_head(&out, 400, NULL, 0, 0, NULL) == 0);
    HEAD("HTTP/1.1 400 Bad Request\r\n"
         "Content-Length: 0\r\n"
         "Connection: close\r\n"
         "\r\n");
    CHECK(http_write_head(&out, 200, "application/octet-stream", 123456789, 0,
                          "Access-Control-Allow-Origin: *\r\n"
                          "Vary: Origin\r\n") == 0);
    HEAD("HTTP/1.1 200 OK\r\n"
         "Access-Control-Allow-Origin: *\r\n"
         "Vary: Origin\r\n"
         "Content-Type: application/octet-stream\r\n"
         "Content-Length: 123456789\r\n"
         "Connection: close\r\n"
         "\r\n");
    CHECK(http_write_head(&out, 200, NULL, 0, 1, "") == 0);
    HEAD("HTTP/1.1 200 OK\r\n"
         "Content-Length: 0\r\n"
         "Connection: keep-alive\r\n"
         "\r\n");
    CHECK(http_write_head(&out, 418, NULL, 0, 1, NULL) == 0);
    HEAD("HTTP/1.1 418 Unknown\r\n"
         "Content-Length: 0\r\n"
         "Connection: keep-alive\r\n"
         "\r\n");

    /* No Content-Length on 1xx and 204; a 101's Connection is in extra. */
    CHECK(http_write_head(&out, 101, NULL, 0, 1,
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: "
                          "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") == 0);
    HEAD("HTTP/1.1 101 Switching Protocols\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
         "\r\n");
    CHECK(http_write_head(&out, 204, NULL, 0, 1, NULL) == 0);
    HEAD("HTTP/1.1 204 No Content\r\n"
         "Connection: keep-alive\r\n"
         "\r\n");

    /* Appends after what is there. */
    buf_puts(&out, "prev");
    CHECK(http_write_head(&out, 404, NULL, 0, 0, NULL) == 0);
    HEAD("prevHTTP/1.1 404 Not Found\r\n"
         "Content-Length: 0\r\n"
         "Connection: close\r\n"
         "\r\n");
#undef HEAD
    buf_free(&out);
}

/* http_list_next walks every item, empty ones included, trimmed. */
static void test_list_next(void)
{
    struct http_header h = {"X", 1, " a ,,\tb\t, c", 11};
    const char *want[] = {"a", "", "b", "c"};
    size_t p = 0, s, e, n = 0;

    while (http_list_next(&h, &p, &s, &e)) {
        CHECK(n < 4);
        if (n < 4)
            CHECK(e - s == strlen(want[n]) &&
                  memcmp(h.value + s, want[n], e - s) == 0);
        n++;
    }
    CHECK(n == 4);
    h.value = "";
    h.value_len = 0;
    p = 0;
    CHECK(http_list_next(&h, &p, &s, &e) == 1 && s == e);
    CHECK(http_list_next(&h, &p, &s, &e) == 0);
}

int main(void)
{
    test_parse_basic();
    test_parse_bad();
    test_parse_limits();
    test_parse_random();
    test_find_header();
    test_has_token();
    test_content_length();
    test_keep_alive();
    test_query_get();
    test_url_decode();
    test_status_text();
    test_write_head();
    test_list_next();
    return T_DONE();
}
