/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fcgi_fuzz: libFuzzer target for FastCGI records and name-value pairs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FCGI_FUZZ_CHECK(c)                                                     \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

/* Pairs lie in the content, and written again read back the same. */
static void fcgi_fuzz_params(const char *content, size_t len)
{
    const char *name, *value, *n2, *v2;
    size_t nlen, vlen, nl2, vl2, p = 0;
    struct buf b = BUF_INIT;
    int n;

    while (p < len) {
        n = fcgi_parse_param(content + p, len - p, &name, &nlen, &value, &vlen);
        if (n <= 0)
            break;
        FCGI_FUZZ_CHECK((size_t)n <= len - p);
        FCGI_FUZZ_CHECK(name >= content + p && value >= name + nlen &&
                        (size_t)(value - content) + vlen <= p + (size_t)n);
        buf_reset(&b);
        FCGI_FUZZ_CHECK(fcgi_append_param(&b, name, nlen, value, vlen) == 0);
        FCGI_FUZZ_CHECK(fcgi_parse_param(b.data, b.len, &n2, &nl2, &v2, &vl2) ==
                        (int)b.len);
        FCGI_FUZZ_CHECK(nl2 == nlen && vl2 == vlen &&
                        (nlen == 0 || memcmp(n2, name, nlen) == 0) &&
                        (vlen == 0 || memcmp(v2, value, vlen) == 0));
        p += (size_t)n;
    }
    buf_free(&b);
}

/* A record's content lies within it; one byte less is incomplete; written
 * again with fcgi_append() it reads back the same. */
static void fcgi_fuzz_record(const char *buf, size_t len,
                             const struct fcgi_record *rec, int n)
{
    struct fcgi_record again;
    struct buf b = BUF_INIT;
    uint32_t app;
    int proto;

    FCGI_FUZZ_CHECK((size_t)n <= len && n >= 8);
    FCGI_FUZZ_CHECK(rec->content == buf + 8 && rec->len <= (size_t)n - 8 &&
                    (size_t)n - 8 - rec->len <= 255);
    FCGI_FUZZ_CHECK(fcgi_parse_record(buf, (size_t)n - 1, &again) == -2);
    FCGI_FUZZ_CHECK(
        fcgi_append(&b, rec->type, rec->id, rec->content, rec->len) == 0);
    FCGI_FUZZ_CHECK(fcgi_parse_record(b.data, b.len, &again) == (int)b.len);
    FCGI_FUZZ_CHECK(
        again.type == rec->type && again.id == rec->id &&
        again.len == rec->len &&
        (rec->len == 0 || memcmp(again.content, rec->content, rec->len) == 0));
    buf_free(&b);
    if (rec->type == FCGI_PARAMS)
        fcgi_fuzz_params(rec->content, rec->len);
    if (rec->type == FCGI_END_REQUEST)
        FCGI_FUZZ_CHECK(fcgi_parse_end(rec->content, rec->len, &app, &proto) ==
                        (rec->len >= 8 ? 0 : -1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fcgi_record rec;
    size_t off = 0;
    char *copy = malloc(size ? size : 1);
    int n;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    while (off < size &&
           (n = fcgi_parse_record(copy + off, size - off, &rec)) > 0) {
        fcgi_fuzz_record(copy + off, size - off, &rec, n);
        off += (size_t)n;
    }
    /* The whole input as PARAMS content, as the responder reads it. */
    fcgi_fuzz_params(copy, size);
    free(copy);
    return 0;
}
