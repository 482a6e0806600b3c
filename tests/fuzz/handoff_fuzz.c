/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* handoff_fuzz: libFuzzer target for the hand-off record header: any bytes
 * parse or are refused, and what parses re-encodes to the same header. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "handoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t head[HANDOFF_HEAD];
    size_t len = (size_t)-1;

    if (handoff_parse(data, size, &len) != 0)
        return 0;
    assert(len <= HANDOFF_MAX_CARRY && len + HANDOFF_HEAD == size);
    handoff_encode_head(head, (uint32_t)len);
    assert(memcmp(head, data, HANDOFF_HEAD) == 0);
    return 0;
}
