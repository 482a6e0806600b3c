/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* jsonv_fuzz: libFuzzer target for the strict JSON validator (jsonv.c):
 * what it accepts, cJSON reads as exactly one value, the same one again
 * after printing it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jsonv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define JSONV_FUZZ_CHECK(c)                                                    \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    const char *end = NULL;
    cJSON *v, *again;
    char *printed;
    long n;
    int ok;

    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    n = jsonv_value(buf, size);
    ok = jsonv_valid(buf, size);
    JSONV_FUZZ_CHECK(n >= -1 && (n < 0 || (size_t)n <= size));
    JSONV_FUZZ_CHECK(!ok || n > 0);
    if (ok && memchr(buf, '\0', size) == NULL) {
        buf[size] = '\0';
        /* strict JSON is a subset of what cJSON takes, nothing after it;
         * but for cJSON's one refusal of valid JSON: an unpaired surrogate
         * escape ("\ud800", which JSON.parse takes) */
        v = cJSON_ParseWithOpts(buf, &end, 1);
        JSONV_FUZZ_CHECK(v != NULL || strstr(buf, "\\u") != NULL);
        if (v == NULL)
            goto done;
        printed = cJSON_PrintUnformatted(v);
        JSONV_FUZZ_CHECK(printed != NULL);
        /* cJSON prints strict JSON (null for an infinity, escapes for
         * control characters): the re-encoding path stays strict too */
        JSONV_FUZZ_CHECK(jsonv_valid(printed, strlen(printed)));
        again = cJSON_Parse(printed);
        JSONV_FUZZ_CHECK(again != NULL);
        cJSON_Delete(again);
        cJSON_free(printed);
        cJSON_Delete(v);
    }
done:
    free(buf);
    return 0;
}
