/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* scgi_fuzz: libFuzzer target for SCGI netstrings and header pairs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SCGI_FUZZ_CHECK(c)                                                     \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

/* The data lies between the length's ':' and the final ','; one byte less
 * is incomplete; the pairs lie in the data, each name non-empty and both
 * ended by the NUL after them. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d, *d2, *name, *value;
    size_t dlen, dlen2, nlen, vlen, p = 0;
    char *copy = malloc(size ? size : 1);
    int n;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    n = scgi_parse_netstring(copy, size, &d, &dlen);
    SCGI_FUZZ_CHECK(n == -1 || n == -2 || (n > 0 && (size_t)n <= size));
    if (n > 0) {
        SCGI_FUZZ_CHECK(d > copy && d[-1] == ':' && d + dlen + 1 == copy + n &&
                        copy[n - 1] == ',');
        SCGI_FUZZ_CHECK(
            scgi_parse_netstring(copy, (size_t)n - 1, &d2, &dlen2) == -2);
        while ((n = scgi_next_header(d + p, dlen - p, &name, &nlen, &value,
                                     &vlen)) > 0) {
            SCGI_FUZZ_CHECK((size_t)n <= dlen - p && nlen > 0);
            SCGI_FUZZ_CHECK(name == d + p && name[nlen] == '\0' &&
                            value == name + nlen + 1 && value[vlen] == '\0' &&
                            (size_t)(value - d) + vlen < p + (size_t)n + 1);
            p += (size_t)n;
        }
    }
    free(copy);
    return 0;
}
