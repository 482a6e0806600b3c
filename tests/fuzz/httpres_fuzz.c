/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* httpres_fuzz: libFuzzer target for the upstream answer parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HTTPRES_FUZZ_CHECK(c)                                                  \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static int httpres_fuzz_in(const char *p, size_t n, const char *buf, size_t len)
{
    return n == 0 || (p >= buf && n <= len && (size_t)(p - buf) <= len - n);
}

/* Every header lies in the head; the head parses alike on its own, and one
 * byte less is incomplete. */
static void httpres_fuzz_head(int cgi, char *buf, size_t size)
{
    struct httpres res, again;
    size_t i, len;
    int n = cgi ? httpres_parse_cgi(buf, size, &res)
                : httpres_parse(buf, size, &res);

    HTTPRES_FUZZ_CHECK(n == -1 || n == -2 || (n > 0 && (size_t)n <= size));
    if (n <= 0)
        return;
    HTTPRES_FUZZ_CHECK(res.status >= 100 && res.status <= 999);
    /* a CGI head may be a whole HTTP/1.x one (non-parsed headers) */
    HTTPRES_FUZZ_CHECK(res.minor_version == 0 || res.minor_version == 1 ||
                       (cgi && res.minor_version == -1));
    HTTPRES_FUZZ_CHECK(res.num_headers <= HTTP_MAX_HEADERS);
    for (i = 0; i < res.num_headers; i++) {
        HTTPRES_FUZZ_CHECK(httpres_fuzz_in(
            res.headers[i].name, res.headers[i].name_len, buf, (size_t)n));
        HTTPRES_FUZZ_CHECK(httpres_fuzz_in(
            res.headers[i].value, res.headers[i].value_len, buf, (size_t)n));
    }
    httpres_content_length(&res, &len);
    httpres_chunked(&res);
    httpres_keep_alive(&res);
    httpres_header(&res, "Status");
    HTTPRES_FUZZ_CHECK((cgi ? httpres_parse_cgi(buf, (size_t)n, &again)
                            : httpres_parse(buf, (size_t)n, &again)) == n);
    HTTPRES_FUZZ_CHECK(again.status == res.status &&
                       again.num_headers == res.num_headers);
    HTTPRES_FUZZ_CHECK((cgi ? httpres_parse_cgi(buf, (size_t)n - 1, &again)
                            : httpres_parse(buf, (size_t)n - 1, &again)) == -2);
}

/* A decoded body is no longer than its encoding and decodes alike from
 * its own bytes; one byte less is incomplete and leaves the buffer as it
 * was. */
static void httpres_fuzz_chunked(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1), *again;
    size_t out, out2;
    long n;

    HTTPRES_FUZZ_CHECK(buf != NULL);
    memcpy(buf, data, size);
    n = httpres_dechunk(buf, size, &out);
    HTTPRES_FUZZ_CHECK(n == -1 || n == -2 || (n > 0 && (size_t)n <= size));
    if (n == -2)
        HTTPRES_FUZZ_CHECK(size == 0 || memcmp(buf, data, size) == 0);
    if (n > 0) {
        HTTPRES_FUZZ_CHECK(out <= (size_t)n);
        again = malloc((size_t)n);
        HTTPRES_FUZZ_CHECK(again != NULL);
        memcpy(again, data, (size_t)n);
        HTTPRES_FUZZ_CHECK(httpres_dechunk(again, (size_t)n, &out2) == n &&
                           out2 == out &&
                           (out == 0 || memcmp(again, buf, out) == 0));
        memcpy(again, data, (size_t)n);
        HTTPRES_FUZZ_CHECK(
            httpres_dechunk(again, (size_t)n - 1, &out2) == -2 &&
            ((size_t)n == 1 || memcmp(again, data, (size_t)n - 1) == 0));
        free(again);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    httpres_fuzz_head(0, copy, size);
    httpres_fuzz_head(1, copy, size);
    free(copy);
    httpres_fuzz_chunked(data, size);
    return 0;
}
