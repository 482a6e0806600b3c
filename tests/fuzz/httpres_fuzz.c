/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* httpres_fuzz: libFuzzer target for the upstream answer parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct httpres res;
    char *copy = malloc(size ? size : 1);
    size_t len, out;
    int n;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    n = httpres_parse(copy, size, &res);
    if (n > 0) {
        httpres_content_length(&res, &len);
        httpres_chunked(&res);
        httpres_keep_alive(&res);
        if ((size_t)n <= size)
            httpres_dechunk(copy + n, size - (size_t)n, &out);
    }
    n = httpres_parse_cgi(copy, size, &res);
    if (n > 0)
        httpres_header(&res, "Status");
    httpres_dechunk(copy, size, &out);
    free(copy);
    return 0;
}
