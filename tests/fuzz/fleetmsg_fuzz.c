/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fleetmsg_fuzz: libFuzzer target for the decoder of the other nodes'
 * answers (fleetmsg.c): what it takes has a printable request id and
 * gives a strict JSON array; an ack's argument encodes back into a
 * BROADCAST request. A presence question it takes encodes back into the
 * same question. */
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

/* A presence question or answer taken is one this node could write. */
static void fleetmsg_fuzz_presence(const char *data, size_t size)
{
    static struct buf sc, sc2, again;
    struct fleetmsg_presence m, m2;
    const char *why = NULL;

    if (fleetmsg_presence_decode(data, size, &m, &sc, &why) != 0) {
        FLEETMSG_FUZZ_CHECK(why != NULL);
        return;
    }
    buf_reset(&again);
    if (m.question)
        FLEETMSG_FUZZ_CHECK(fleetmsg_presence_ask(&again, m.uid, m.request_id,
                                                  m.nsp, m.channel, m.user,
                                                  m.join) == 0);
    else
        FLEETMSG_FUZZ_CHECK(m.sockets >= 0 && m.sockets <= 1000000000 &&
                            fleetmsg_presence_answer(&again, m.uid,
                                                     m.request_id,
                                                     (unsigned)m.sockets) == 0);
    FLEETMSG_FUZZ_CHECK(jsonv_valid(again.data, again.len));
    FLEETMSG_FUZZ_CHECK(
        fleetmsg_presence_decode(again.data, again.len, &m2, &sc2, &why) == 0);
    FLEETMSG_FUZZ_CHECK(m2.question == m.question && m2.join == m.join &&
                        m2.sockets == m.sockets &&
                        strcmp(m2.request_id, m.request_id) == 0);
    if (m.question)
        FLEETMSG_FUZZ_CHECK(strcmp(m2.user, m.user) == 0 &&
                            strcmp(m2.channel, m.channel) == 0 &&
                            strcmp(m2.nsp, m.nsp) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct buf out, req;
    struct fleetmsg_resp r;
    const char *why = NULL;
    size_t i, n;

    fleetmsg_fuzz_presence((const char *)data, size);
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
