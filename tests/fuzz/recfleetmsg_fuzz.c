/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recfleetmsg_fuzz: libFuzzer target for the decoder of the recovery
 * questions and answers other nodes send (recfleetmsg.c): what it takes
 * encodes back into a message that decodes to the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "recfleetmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECFLEETMSG_FUZZ_CHECK(c)                                              \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static void recfleetmsg_fuzz_same(const struct recfleetmsg *a,
                                  const struct recfleetmsg *b)
{
    size_t i;
    unsigned j;

    RECFLEETMSG_FUZZ_CHECK(strcmp(a->uid, b->uid) == 0 &&
                           strcmp(a->request_id, b->request_id) == 0 &&
                           a->question == b->question && a->found == b->found);
    if (!a->found)
        return;
    RECFLEETMSG_FUZZ_CHECK(
        strcmp(a->sid, b->sid) == 0 && strcmp(a->nsp, b->nsp) == 0 &&
        a->nchannels == b->nchannels && a->npackets == b->npackets &&
        a->context_len == b->context_len && a->bytes == b->bytes);
    for (i = 0; i < a->nchannels; i++)
        RECFLEETMSG_FUZZ_CHECK(strcmp(a->channels[i], b->channels[i]) == 0);
    for (i = 0; i < a->npackets; i++) {
        RECFLEETMSG_FUZZ_CHECK(a->packets[i].len == b->packets[i].len &&
                               memcmp(a->packets[i].json, b->packets[i].json,
                                      a->packets[i].len) == 0 &&
                               a->packets[i].nattach == b->packets[i].nattach);
        for (j = 0; j < a->packets[i].nattach; j++)
            RECFLEETMSG_FUZZ_CHECK(a->packets[i].attach[j]->len ==
                                   b->packets[i].attach[j]->len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct recfleetmsg m, m2;
    struct recfleetmsg_session s;
    struct recfleetmsg_packet *pk = NULL;
    struct buf again = BUF_INIT;
    const char *why = NULL;
    size_t i;

    if (recfleetmsg_decode((const char *)data, size, &m, &why) != 0) {
        RECFLEETMSG_FUZZ_CHECK(why != NULL);
        return 0;
    }
    RECFLEETMSG_FUZZ_CHECK(m.request_id[0] != '\0' && m.uid[0] != '\0');
    if (m.question) {
        RECFLEETMSG_FUZZ_CHECK(strlen(m.pid) == RECFLEETMSG_PID_LEN &&
                               m.nsp[0] == '/');
        RECFLEETMSG_FUZZ_CHECK(recfleetmsg_ask(&again, m.uid, m.request_id,
                                               m.nsp, m.pid, m.offset) == 0);
    } else if (!m.found) {
        RECFLEETMSG_FUZZ_CHECK(recfleetmsg_answer(&again, m.uid, m.request_id,
                                                  NULL, NULL, 0) == 0);
    } else {
        RECFLEETMSG_FUZZ_CHECK(m.context == NULL ||
                               jsonv_valid(m.context, m.context_len));
        if (m.npackets > 0)
            pk = calloc(m.npackets, sizeof *pk);
        RECFLEETMSG_FUZZ_CHECK(m.npackets == 0 || pk != NULL);
        for (i = 0; i < m.npackets; i++) {
            RECFLEETMSG_FUZZ_CHECK(
                m.packets[i].json[0] == '[' &&
                jsonv_valid(m.packets[i].json, m.packets[i].len));
            pk[i].json = m.packets[i].json;
            pk[i].len = m.packets[i].len;
            pk[i].attach = m.packets[i].attach;
            pk[i].nattach = m.packets[i].nattach;
        }
        s.sid = m.sid;
        s.nsp = m.nsp;
        s.channels = (const char *const *)m.channels;
        s.nchannels = m.nchannels;
        s.context = m.context;
        s.context_len = m.context_len;
        RECFLEETMSG_FUZZ_CHECK(recfleetmsg_answer(&again, m.uid, m.request_id,
                                                  &s, pk, m.npackets) == 0);
        free(pk);
    }
    RECFLEETMSG_FUZZ_CHECK(
        recfleetmsg_decode(again.data, again.len, &m2, &why) == 0);
    recfleetmsg_fuzz_same(&m, &m2);
    recfleetmsg_free(&m2);
    recfleetmsg_free(&m);
    buf_free(&again);
    return 0;
}
