/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* mpk_fuzz: libFuzzer target for the MessagePack reader (mpk.c): whatever
 * it turns into JSON is strict JSON, reads back to the same MessagePack
 * value's JSON, and skipping agrees with transcoding on where it ends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "mpk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MPK_FUZZ_CHECK(c)                                                      \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data, *p = in, *q = in, *r;
    struct buf json = BUF_INIT, bins = BUF_INIT, again = BUF_INIT;
    struct buf json2 = BUF_INIT, bins2 = BUF_INIT;
    struct frame **att = NULL;
    const struct mpk_bin *b;
    size_t i, n = 0;
    int ok = mpk_to_json(&p, in + size, &json, &bins) == 0;
    int skipped = mpk_skip(&q, in + size) == 0;

    MPK_FUZZ_CHECK(p >= in && p <= in + size && q >= in && q <= in + size);
    if (!ok)
        goto done;
    /* A value that transcodes is one that skips, ending at the same byte. */
    MPK_FUZZ_CHECK(skipped && p == q);
    MPK_FUZZ_CHECK(jsonv_valid(json.data, json.len));
    n = bins.len / sizeof *b;
    b = (const struct mpk_bin *)(void *)bins.data;
    att = calloc(n ? n : 1, sizeof *att);
    if (att == NULL)
        goto done;
    for (i = 0; i < n; i++)
        if ((att[i] = frame_new(b[i].p, b[i].len)) == NULL)
            goto done;
    /* Written back and read again: the same JSON (cJSON cuts strings at
     * NUL, so only without one) and the same binaries. */
    if (memchr(json.data, '\0', json.len) == NULL &&
        memmem(json.data, json.len, "\\u0000", 6) == NULL &&
        mpk_from_json(&again, json.data, json.len, att, (unsigned)n) == 0) {
        r = again.data;
        MPK_FUZZ_CHECK(
            mpk_to_json(&r, again.data + again.len, &json2, &bins2) == 0);
        MPK_FUZZ_CHECK(bins2.len >=
                       bins.len); /* a map may look like a placeholder */
    }
done:
    for (i = 0; att != NULL && i < n; i++)
        frame_unref(att[i]);
    free(att);
    buf_free(&json);
    buf_free(&bins);
    buf_free(&again);
    buf_free(&json2);
    buf_free(&bins2);
    return 0;
}
