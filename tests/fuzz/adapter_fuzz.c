/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* adapter_fuzz: libFuzzer target for the classic adapter broadcast decoder
 * (adapter.c): what it takes has valid names and strict JSON data, and
 * encodes back into a message that decodes to the same broadcast. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "jsonv.h"
#include "sio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ADAPTER_FUZZ_CHECK(c)                                                  \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct adapter_scratch s, s2;
    struct adapter_msg m, m2;
    struct frame **att = NULL;
    struct buf out = BUF_INIT;
    const char *why, *uid;
    size_t i, n = 0, uid_len;

    if (adapter_decode((const char *)data, size, &m, &s, &why) != 0) {
        ADAPTER_FUZZ_CHECK(why != NULL);
        return 0;
    }
    ADAPTER_FUZZ_CHECK(adapter_uid((const char *)data, size, &uid, &uid_len) ==
                       0);
    ADAPTER_FUZZ_CHECK(uid_len == strlen(m.uid) &&
                       memcmp(uid, m.uid, uid_len) == 0);
    ADAPTER_FUZZ_CHECK(m.nsp[0] == '/' && jsonv_valid(m.json, m.json_len));
    for (i = 0; i < m.nrooms + m.nexcept; i++)
        ADAPTER_FUZZ_CHECK(sio_name_valid(m.rooms[i], strlen(m.rooms[i])));
    n = m.nbins;
    att = calloc(n ? n : 1, sizeof *att);
    if (att == NULL)
        return 0;
    for (i = 0; i < n; i++)
        if ((att[i] = frame_new(m.bins[i].p, m.bins[i].len)) == NULL)
            goto done;
    if (memmem(m.json, m.json_len, "\\u0000", 6) == NULL &&
        adapter_encode(&out, m.uid, m.nsp, m.json, m.json_len, att, (unsigned)n,
                       m.rooms, m.nrooms, m.except, m.nexcept, m.flags) == 0) {
        ADAPTER_FUZZ_CHECK(adapter_decode(out.data, out.len, &m2, &s2, &why) ==
                           0);
        ADAPTER_FUZZ_CHECK(m2.nrooms == m.nrooms && m2.nexcept == m.nexcept &&
                           m2.nbins == m.nbins && m2.flags == m.flags &&
                           strcmp(m2.nsp, m.nsp) == 0);
    }
done:
    for (i = 0; i < n; i++)
        frame_unref(att[i]);
    free(att);
    buf_free(&out);
    return 0;
}
