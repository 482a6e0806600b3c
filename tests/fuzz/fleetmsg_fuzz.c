/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fleetmsg_fuzz: libFuzzer target for the decoder of the other nodes'
 * answers (fleetmsg.c): what it takes has a printable request id and
 * gives a strict JSON array; an ack's argument encodes back into a
 * BROADCAST request. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetmsg.h"
#include "jsonv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLEETMSG_FUZZ_CHECK(c)                                                 \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct buf out, req;
    struct fleetmsg_resp r;
    const char *why = NULL;
    size_t i, n;

    if (fleetmsg_response((const char *)data, size, "/", &r, &out, &why) != 0) {
        FLEETMSG_FUZZ_CHECK(why != NULL);
        return 0;
    }
    n = strlen(r.request_id);
    FLEETMSG_FUZZ_CHECK(n > 0 && n <= FLEETMSG_MAX_ID);
    for (i = 0; i < n; i++)
        FLEETMSG_FUZZ_CHECK(r.request_id[i] > 0x20 && r.request_id[i] < 0x7f);
    FLEETMSG_FUZZ_CHECK(out.len >= 2 && out.data[0] == '[' &&
                        out.data[out.len - 1] == ']' &&
                        jsonv_valid(out.data, out.len));
    if (r.type == 8)
        FLEETMSG_FUZZ_CHECK(r.client_count >= 0);
    /* An argument without binary goes out again as an event's data. */
    if (out.len > 2 && memmem(out.data, out.len, "_placeholder", 12) == NULL) {
        buf_reset(&req);
        FLEETMSG_FUZZ_CHECK(fleetmsg_broadcast(&req, "u", r.request_id, "/",
                                               out.data, out.len, NULL, 0, NULL,
                                               0, NULL, 0, 1000) == 0);
    }
    return 0;
}
