/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fcgi_fuzz: libFuzzer target for FastCGI records and name-value pairs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fcgi_record rec;
    const char *name, *value;
    size_t nlen, vlen, off = 0, p;
    char *copy = malloc(size ? size : 1);
    uint32_t app;
    int n, proto;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    while (off < size &&
           (n = fcgi_parse_record(copy + off, size - off, &rec)) > 0) {
        if (rec.type == FCGI_PARAMS)
            for (p = 0; p < rec.len;) {
                n = fcgi_parse_param(rec.content + p, rec.len - p, &name, &nlen,
                                     &value, &vlen);
                if (n <= 0)
                    break;
                p += (size_t)n;
            }
        if (rec.type == FCGI_END_REQUEST)
            fcgi_parse_end(rec.content, rec.len, &app, &proto);
        off += (size_t)fcgi_parse_record(copy + off, size - off, &rec);
    }
    free(copy);
    return 0;
}
