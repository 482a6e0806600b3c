/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* scgi_fuzz: libFuzzer target for the SCGI netstring and header pairs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d, *name, *value;
    size_t dlen, nlen, vlen, p = 0;
    char *copy = malloc(size ? size : 1);
    int n;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    if (scgi_parse_netstring(copy, size, &d, &dlen) > 0)
        while ((n = scgi_next_header(d + p, dlen - p, &name, &nlen, &value,
                                     &vlen)) > 0)
            p += (size_t)n;
    free(copy);
    return 0;
}
