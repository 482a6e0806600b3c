/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* svcstats_fuzz: libFuzzer target for what another worker (or anyone who
 * can publish on Redis) sends on the stats channel of a --workers service
 * (svcstats.c): questions, answers and their stats objects. */
#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "svcstats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SVCSTATS_FUZZ_CHECK(c)                                                 \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static int svcstats_fuzz_local(struct buf *out)
{
    return buf_puts(out, "{\"uptime\":1,\"worker\":1,\"sessions\":0}");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_base *base;
    uint64_t before;

    if (base == NULL) {
        base = event_base_new();
        SVCSTATS_FUZZ_CHECK(base != NULL &&
                            svcstats_setup(base, "socket.io", "SVC", 1, 3, 1000,
                                           svcstats_fuzz_local) == 0);
    }
    before = svcstats_stats.malformed + svcstats_stats.unknown +
             svcstats_stats.answers;
    svcstats_message((const char *)data, size);
    /* one message is one verdict at most; Redis is down: nothing pends */
    SVCSTATS_FUZZ_CHECK(svcstats_stats.malformed + svcstats_stats.unknown +
                            svcstats_stats.answers <=
                        before + 1);
    SVCSTATS_FUZZ_CHECK(svcstats_stats.answers == 0 &&
                        svcstats_stats.pending == 0);
    return 0;
}
