/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recover_fuzz: libFuzzer target for what a reconnecting client sends to
 * connection state recovery (recover.c): its CONNECT auth with "pid" and
 * "offset", the offset alone, and event arrays the offset is appended to. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "recover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECOVER_FUZZ_CHECK(c)                                                  \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static const char *const recover_fuzz_rooms[] = {"room"};

/* One kept session ("S1", in "room") and a few stored events, as the
 * daemon would have them when the input arrives. */
static void recover_fuzz_state(void)
{
    static int done;
    struct recover_config cfg = {60000, 1 << 20, 16};
    struct recover_audience all = {"/", NULL, 0, NULL, 0, 0};
    struct recover_audience room = {"/", recover_fuzz_rooms, 1, NULL, 0, 0};
    const char *cause;
    size_t len;

    static const unsigned char key[RECOVER_KEY_LEN];

    if (done)
        return;
    done = 1;
    RECOVER_FUZZ_CHECK(recover_setup(&cfg, 1000, &cause) == 0);
    /* A known key, so the corpus can hold S1's pid. */
    recover_restore_key(key, 0);
    recover_store(&all, "[\"a\",1]", 7, NULL, 0, 1000, &len);
    recover_store(&room, "[\"b\",{\"x\":[]}]", 14, NULL, 0, 1000, &len);
    recover_store(&all, "[\"c\"]", 5, NULL, 0, 1000, &len);
}

static void recover_fuzz_count(void *arg, const struct recover_packet *p)
{
    RECOVER_FUZZ_CHECK(p->len > 0 && p->json[0] == '[');
    (*(long *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct recover_session *rs;
    char out[512], again[64];
    uint64_t e, s, e2, s2;
    int refused;
    long n, count = 0;

    recover_fuzz_state();
    if (recover_session_nsp("S1") == NULL)
        RECOVER_FUZZ_CHECK(recover_keep("S1", "/", recover_fuzz_rooms, 1,
                                        "{\"u\":1}", 7, 1000) == 0);
    /* As the client's auth (sock.c passes only strict JSON objects). */
    if (size > 0 && data[0] == '{' && jsonv_valid(in, size)) {
        rs = recover_take(in, size, "/", 2000, &refused);
        if (rs != NULL) {
            RECOVER_FUZZ_CHECK(refused == 0 && strcmp(rs->sid, "S1") == 0);
            n = recover_replay(rs, recover_fuzz_count, &count);
            RECOVER_FUZZ_CHECK(n >= 0 && n == count && n <= 3);
            recover_done(rs, 1);
        }
    }
    /* As an offset: what parses prints back to the same numbers. */
    if (recover_offset_parse(in, size, &e, &s) == 0) {
        snprintf(again, sizeof again, "%llu-%llu", (unsigned long long)e,
                 (unsigned long long)s);
        RECOVER_FUZZ_CHECK(
            recover_offset_parse(again, strlen(again), &e2, &s2) == 0 &&
            e2 == e && s2 == s);
    }
    /* As an event array: the offset goes last, and JSON stays JSON. */
    if (size < 400 && jsonv_valid(in, size)) {
        n = recover_append_offset(in, size, 7, 9, out, sizeof out);
        if (n >= 0) {
            RECOVER_FUZZ_CHECK((size_t)n < sizeof out);
            RECOVER_FUZZ_CHECK(jsonv_valid(out, (size_t)n));
            RECOVER_FUZZ_CHECK(n >= 7 &&
                               memcmp(out + n - 6, "\"7-9\"]", 6) == 0);
        }
    }
    return 0;
}
