/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* sio_fuzz: libFuzzer target for Socket.IO v5/v4 packets: decode, then
 * encode the head again and decode that to the same packet; and the name
 * checks over the same bytes. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sio_packet p, q;
    struct buf out = BUF_INIT;
    char *buf = malloc(size ? size : 1);

    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    /* The name checks read only their input, whatever it holds; a name
     * they take has no NUL. */
    if (sio_name_valid(buf, size))
        assert(memchr(buf, 0, size) == NULL);
    (void)sio_json_name(buf, size, 0);
    (void)sio_json_name(buf, size, 1);
    (void)sio_json_string_name(buf, size);
    if (sio_decode(buf, size, &p) != 0)
        goto done;
    assert(p.type >= SIO_CONNECT && p.type <= SIO_BINARY_ACK);
    assert(p.attachments <= SIO_MAX_ATTACHMENTS);
    assert(p.nsp != NULL && p.nsp_len > 0 && p.nsp[0] == '/');
    assert(p.id == SIO_NO_ID || (p.id >= 0 && p.id <= ((int64_t)1 << 53)));
    if (p.data_len)
        assert(p.data >= buf && p.data + p.data_len <= buf + size);
    if (p.query)
        assert(p.query >= buf && p.query + p.query_len <= buf + size);

    /* Encode the head again (the namespace with its query, as it came). */
    {
        size_t nsp_len = p.nsp_len;
        if (p.query)
            nsp_len = (size_t)(p.query + p.query_len - p.nsp);
        assert(sio_encode_head(&out, p.type, p.attachments, p.nsp, nsp_len,
                               p.id) == 0);
    }
    /* An old v4 namespace-only packet ("1/admin") gains its ',' here. */
    if (p.data_len && buf_append(&out, p.data, p.data_len) != 0)
        goto done;
    assert(sio_decode(out.data, out.len, &q) == 0);
    assert(q.type == p.type && q.attachments == p.attachments);
    assert(q.nsp_len == p.nsp_len && memcmp(q.nsp, p.nsp, p.nsp_len) == 0);
    assert((q.query == NULL) == (p.query == NULL));
    assert(q.query_len == p.query_len);
    if (p.query_len)
        assert(memcmp(q.query, p.query, p.query_len) == 0);
    assert(q.id == p.id);
    assert(q.data_len == p.data_len);
    if (p.data_len)
        assert(memcmp(q.data, p.data, p.data_len) == 0);
done:
    buf_free(&out);
    free(buf);
    return 0;
}
