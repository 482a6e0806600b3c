/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upres_fuzz: libFuzzer target for upstream answer framing (upres.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UPRES_FUZZ_CHECK(c)                                                    \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

/* The input's bytes in a buffer of their own (the HTTP body is decoded in
 * place), so that ASan sees any read past `len`. */
static char *upres_fuzz_copy(const uint8_t *data, size_t len)
{
    char *p = malloc(len ? len : 1);

    UPRES_FUZZ_CHECK(p != NULL);
    memcpy(p, data, len);
    return p;
}

static void upres_fuzz_span(const struct upres *r, const char *buf, size_t len)
{
    UPRES_FUZZ_CHECK(r->consumed <= len);
    if (r->len == 0)
        return;
    UPRES_FUZZ_CHECK(r->body >= buf && r->len <= len &&
                     (size_t)(r->body - buf) <= len - r->len);
}

/* HTTP: whatever ends the answer, the answer alone (its first `consumed`
 * bytes) frames the same way, and one byte less is not an answer yet. */
static void upres_fuzz_http(const uint8_t *data, size_t len, int eof)
{
    char *buf = upres_fuzz_copy(data, len), *again, *body;
    struct upres r, r2;
    int res = upres_http(buf, len, eof, &r), res2;

    if (res != UPRES_DONE) {
        UPRES_FUZZ_CHECK(res == UPRES_MORE || r.why != NULL);
        goto done;
    }
    upres_fuzz_span(&r, buf, len);
    UPRES_FUZZ_CHECK(r.status >= 200 && r.status <= 999);
    UPRES_FUZZ_CHECK(!r.keep || (!eof && r.consumed == len));
    if (r.consumed == 0) { /* a body that ran to the close */
        UPRES_FUZZ_CHECK(eof && !r.keep);
        goto done;
    }
    body = malloc(r.len ? r.len : 1);
    UPRES_FUZZ_CHECK(body != NULL);
    if (r.len > 0)
        memcpy(body, r.body, r.len);
    again = upres_fuzz_copy(data, r.consumed);
    res2 = upres_http(again, r.consumed, 0, &r2);
    UPRES_FUZZ_CHECK(res2 == UPRES_DONE && r2.status == r.status &&
                     r2.len == r.len && r2.consumed == r.consumed);
    UPRES_FUZZ_CHECK(r.len == 0 || memcmp(r2.body, body, r.len) == 0);
    free(again);
    again = upres_fuzz_copy(data, r.consumed - 1);
    UPRES_FUZZ_CHECK(upres_http(again, r.consumed - 1, 0, &r2) == UPRES_MORE);
    free(again);
    free(body);
done:
    free(buf);
}

static void upres_fuzz_cgi(const uint8_t *data, size_t len)
{
    char *buf = upres_fuzz_copy(data, len);
    struct upres r;

    if (upres_cgi(buf, len, &r) == UPRES_DONE) {
        upres_fuzz_span(&r, buf, len);
        UPRES_FUZZ_CHECK(r.status >= 100 && r.status <= 999 && !r.keep);
    } else {
        UPRES_FUZZ_CHECK(r.why != NULL);
    }
    free(buf);
}

struct upres_fuzz_err {
    const char *buf;
    size_t len;
    size_t total;
};

static void upres_fuzz_stderr(void *arg, const char *text, size_t len)
{
    struct upres_fuzz_err *e = arg;

    UPRES_FUZZ_CHECK(len > 0 && text >= e->buf && len <= e->len &&
                     (size_t)(text - e->buf) <= e->len - len);
    e->total += len;
}

/* FastCGI: fed at once, or in two reads cut at `cut` (the first read's
 * unused tail carried over, as upstream.c does), the same answer. */
static void upres_fuzz_fcgi(const uint8_t *data, size_t len, size_t cut)
{
    struct buf whole = BUF_INIT, parts = BUF_INIT;
    char *buf = upres_fuzz_copy(data, len), *rest;
    struct upres_fuzz_err e = {buf, len, 0}, e2;
    const char *why = NULL;
    size_t used, used2;
    int res, res2;

    res = upres_fcgi(buf, len, 1, &whole, &used, upres_fuzz_stderr, &e, &why);
    UPRES_FUZZ_CHECK(used <= len);
    UPRES_FUZZ_CHECK(res != UPRES_BAD || why != NULL);
    if (res == UPRES_NOMEM)
        goto done;
    if (cut > len)
        cut = len;
    e2.buf = buf;
    e2.len = cut;
    e2.total = 0;
    res2 =
        upres_fcgi(buf, cut, 1, &parts, &used2, upres_fuzz_stderr, &e2, &why);
    UPRES_FUZZ_CHECK(used2 <= cut);
    if (res2 == UPRES_MORE) {
        rest = buf + used2;
        e2.buf = rest;
        e2.len = len - used2;
        res2 = upres_fcgi(rest, len - used2, 1, &parts, &used,
                          upres_fuzz_stderr, &e2, &why);
        used += used2;
    } else {
        used = used2;
    }
    if (res2 == UPRES_NOMEM)
        goto done;
    /* A whole answer or an error seen within the first read stays so. */
    UPRES_FUZZ_CHECK(res2 == res);
    UPRES_FUZZ_CHECK(e.total == e2.total);
    UPRES_FUZZ_CHECK(
        whole.len == parts.len &&
        (whole.len == 0 || memcmp(whole.data, parts.data, whole.len) == 0));
    if (res == UPRES_DONE) {
        upres_fuzz_cgi((const uint8_t *)(whole.data ? whole.data : ""),
                       whole.len);
    }
done:
    buf_free(&whole);
    buf_free(&parts);
    free(buf);
}

/* The first byte picks the framing (and for FastCGI where a read ends). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] & 3) {
    case 0:
        upres_fuzz_http(data + 1, size - 1, 0);
        break;
    case 1:
        upres_fuzz_http(data + 1, size - 1, 1);
        break;
    case 2:
        upres_fuzz_cgi(data + 1, size - 1);
        break;
    default:
        upres_fuzz_fcgi(data + 1, size - 1, (size_t)(data[0] >> 2) * 8);
        break;
    }
    return 0;
}
