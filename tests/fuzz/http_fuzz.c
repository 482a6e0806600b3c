/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* http_fuzz: libFuzzer target for the HTTP request-head parser and helpers. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every pointer the parser hands back must lie inside the input. */
static void http_fuzz_inside(const char *buf, size_t len, const char *p,
                             size_t n)
{
    if (p == NULL) {
        assert(n == 0);
        return;
    }
    assert(p >= buf && n <= len && (size_t)(p - buf) <= len - n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly `size` bytes, so ASan sees any read past the end. */
    char *buf = malloc(size ? size : 1);
    struct http_request req;
    size_t i, clen;
    int n;

    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    n = http_parse_request(buf, size, &req);
    assert(n == -1 || n == -2 || (n > 0 && (size_t)n <= size));
    if (n > 0) {
        http_fuzz_inside(buf, size, req.method, req.method_len);
        http_fuzz_inside(buf, size, req.path, req.path_len);
        http_fuzz_inside(buf, size, req.query, req.query_len);
        assert(req.num_headers <= HTTP_MAX_HEADERS);
        for (i = 0; i < req.num_headers; i++) {
            http_fuzz_inside(buf, size, req.headers[i].name,
                             req.headers[i].name_len);
            http_fuzz_inside(buf, size, req.headers[i].value,
                             req.headers[i].value_len);
        }
        (void)http_content_length(&req, &clen);
        (void)http_keep_alive(&req);
        (void)http_header_has_token(http_find_header(&req, "connection"),
                                    "upgrade");
        (void)http_header_has_token(http_find_header(&req, "upgrade"),
                                    "websocket");
        if (req.query != NULL) {
            const char *v;
            size_t vlen;
            static const char *const keys[] = {"EIO", "transport", "sid",
                                               "b64", "t",         ""};
            for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
                if (http_query_get(req.query, req.query_len, keys[i], &v,
                                   &vlen)) {
                    char *dst = malloc(vlen ? vlen : 1);
                    long d;
                    http_fuzz_inside(buf, size, v, vlen);
                    if (dst != NULL) {
                        d = http_url_decode(dst, v, vlen);
                        assert(d >= -1 && d <= (long)vlen);
                        free(dst);
                    }
                }
            }
        }
        /* The parse must not depend on bytes after the head. */
        {
            struct http_request again;
            assert(http_parse_request(buf, (size_t)n, &again) == n);
            assert(again.num_headers == req.num_headers);
        }
    }
    /* The url decoder on the raw input too. */
    {
        char *dst = malloc(size ? size : 1);
        if (dst != NULL) {
            long d = http_url_decode(dst, buf, size);
            assert(d >= -1 && d <= (long)size);
            free(dst);
        }
    }
    free(buf);
    return 0;
}
