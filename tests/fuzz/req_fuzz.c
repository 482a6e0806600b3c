/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* req_fuzz: libFuzzer target for CGI params (FastCGI name-value pairs) to
 * a request, and X-Forwarded-For behind trusted proxies. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int req_fuzz_trusted(const char *addr)
{
    return req_addr_in_list("127.0.0.1,10.0.0.0/8,::1/128,unix", addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct req_param p[64];
    struct http_request h;
    struct req_cgi cgi;
    const char *name, *value;
    size_t nlen, vlen, off = 0, n = 0;
    char *copy = malloc(size ? size : 1), *scratch = malloc(size + 1);
    char out[64];
    int k;

    if (copy == NULL || scratch == NULL)
        goto done;
    memcpy(copy, data, size);
    while (n < 64 && (k = fcgi_parse_param(copy + off, size - off, &name, &nlen,
                                           &value, &vlen)) > 0) {
        off += (size_t)k;
        p[n].name = name;
        p[n].nlen = nlen;
        p[n].value = value;
        p[n].vlen = vlen;
        n++;
    }
    req_from_cgi(p, n, scratch, size + 1, &h, &cgi);
    req_client_addr("127.0.0.1", copy, size, req_fuzz_trusted, out, sizeof out);
done:
    free(copy);
    free(scratch);
    return 0;
}
