/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* pickle_fuzz: libFuzzer target for the data-only pickle reader
 * (pickle.c): it refuses with a reason or loads, and what it loads writes
 * as strict JSON under the size cap, its bytes inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "pickle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PICKLE_FUZZ_CHECK(c)                                                   \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

/* Small enough that a memo-shared value written over and over hits it. */
#define PICKLE_FUZZ_MAX_JSON 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data, *why = NULL;
    struct buf json = BUF_INIT, bins = BUF_INIT;
    const struct pickle_bin *b;
    struct pickle *pk = pickle_load(in, size, &why);
    unsigned root;
    size_t i;
    long v;

    if (pk == NULL) {
        PICKLE_FUZZ_CHECK(why != NULL && *why != '\0');
        return 0;
    }
    root = pickle_root(pk);
    PICKLE_FUZZ_CHECK(pickle_kind(pk, root) >= PICKLE_NONE &&
                      pickle_kind(pk, root) <= PICKLE_DICT);
    if (pickle_json(pk, root, PICKLE_FUZZ_MAX_JSON, &json, &bins, &why) == 0) {
        PICKLE_FUZZ_CHECK(json.len <= PICKLE_FUZZ_MAX_JSON);
        PICKLE_FUZZ_CHECK(jsonv_valid(json.data, json.len));
        b = (const struct pickle_bin *)(void *)bins.data;
        for (i = 0; i < bins.len / sizeof *b; i++)
            PICKLE_FUZZ_CHECK(b[i].p >= in && b[i].len <= size &&
                              b[i].p + b[i].len <= in + size);
    } else {
        PICKLE_FUZZ_CHECK(why != NULL);
    }
    /* What bus.c looks up. */
    v = pickle_get(pk, root, "data");
    PICKLE_FUZZ_CHECK(v == -1 || pickle_kind(pk, (unsigned)v) <= PICKLE_DICT);
    if (v >= 0) {
        buf_reset(&json);
        buf_reset(&bins);
        if (pickle_json(pk, (unsigned)v, PICKLE_FUZZ_MAX_JSON, &json, &bins,
                        &why) == 0)
            PICKLE_FUZZ_CHECK(jsonv_valid(json.data, json.len));
    }
    pickle_free(pk);
    buf_free(&json);
    buf_free(&bins);
    return 0;
}
