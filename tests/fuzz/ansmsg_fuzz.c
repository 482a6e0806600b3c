/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ansmsg_fuzz: libFuzzer target for the adapter request decoder and the
 * answer encoders (ansmsg.c): what the decoder takes has valid names,
 * strict JSON data and a type it knows, and the answers built from it are
 * strict JSON (or, for a client's ack, MessagePack). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ansmsg.h"
#include "jsonv.h"
#include "sio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ANSMSG_FUZZ_CHECK(c)                                                   \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ansmsg_scratch s;
    struct ansmsg_req r;
    struct ansmsg_socket so;
    struct buf out = BUF_INIT, meta = BUF_INIT, mp = BUF_INIT;
    const char *why, *p, *end;
    struct mpk_item it;
    size_t i;

    if (ansmsg_decode((const char *)data, size, &r, &s, &why) != 0) {
        ANSMSG_FUZZ_CHECK(why != NULL);
    } else {
        ANSMSG_FUZZ_CHECK(r.type >= 0 && r.type <= ADAPTER_REQ_BROADCAST_ACK);
        for (i = 0; i < r.nrooms + r.nexcept + r.nnames; i++)
            ANSMSG_FUZZ_CHECK(sio_name_valid(r.rooms[i], strlen(r.rooms[i])));
        ANSMSG_FUZZ_CHECK(r.json == NULL || jsonv_valid(r.json, r.json_len));
        if (r.request_id != NULL) {
            ANSMSG_FUZZ_CHECK(strlen(r.request_id) <= ANSMSG_MAX_ID);
            ANSMSG_FUZZ_CHECK(
                ansmsg_list_open(&out, r.request_id, "rooms") == 0 &&
                ansmsg_list_add(&out, r.request_id) == 0 &&
                ansmsg_list_close(&out) == 0 && jsonv_valid(out.data, out.len));
            if (r.json != NULL) {
                buf_reset(&out);
                if (ansmsg_broadcast_ack(&out, r.request_id, r.json, r.json_len,
                                         NULL, 0) == 0) {
                    p = out.data;
                    end = out.data + out.len;
                    ANSMSG_FUZZ_CHECK(mpk_read(&p, end, &it) == 0 &&
                                      it.type == MPK_MAP);
                    p = out.data;
                    ANSMSG_FUZZ_CHECK(mpk_skip(&p, end) == 0 && p == end);
                }
            }
        }
    }
    /* The same bytes as a handshake: the fetch answer stays strict JSON
     * whatever the headers and query hold. */
    buf_append(&meta, data, size);
    buf_append(&meta, "\0\0", 2);
    for (i = 0; i < meta.len - 2; i++)
        if (meta.data[i] == '\n')
            meta.data[i] = '\0';
    memset(&so, 0, sizeof so);
    so.id = "iAYkHY2P35oLml5fAAAA";
    so.meta = meta.data;
    so.issued_ms = (uint64_t)size * 1000003u;
    so.rooms = &so.id;
    so.nrooms = 1;
    so.auth = (const char *)data;
    so.auth_len = size;
    so.data = (const char *)data;
    so.data_len = size;
    buf_reset(&out);
    ANSMSG_FUZZ_CHECK(ansmsg_list_open(&out, "q", "sockets") == 0 &&
                      ansmsg_fetch_socket(&out, &so) == 0 &&
                      ansmsg_list_close(&out) == 0 &&
                      jsonv_valid(out.data, out.len));
    buf_free(&out);
    buf_free(&meta);
    buf_free(&mp);
    return 0;
}
