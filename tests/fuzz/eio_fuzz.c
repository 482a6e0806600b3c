/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* eio_fuzz: libFuzzer target for Engine.IO v4/v3 payloads, text and binary
 * frames, and the decode -> encode -> decode round trip. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "eio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EIO_FUZZ_MAX_PACKETS 256

/* Decodes a whole payload into `pk`; the number of packets, or -1. */
static int eio_fuzz_decode(int version, int binary_body, const char *buf,
                           size_t len, struct eio_packet *pk)
{
    size_t pos = 0;
    int n = 0;

    while (pos < len) {
        int used;
        if (n == EIO_FUZZ_MAX_PACKETS)
            return -1;
        used = eio_payload_next(version, binary_body, buf + pos, len - pos,
                                &pk[n]);
        if (used < 0)
            return -1;
        assert(used > 0 && (size_t)used <= len - pos);
        assert(pk[n].type >= EIO_OPEN && pk[n].type <= EIO_NOOP);
        assert(pk[n].data >= buf + pos && pk[n].len <= len - pos &&
               pk[n].data + pk[n].len <= buf + pos + used);
        pos += (size_t)used;
        n++;
    }
    return n;
}

/* Base64 text as bytes (so packets compare whatever form they hold). */
static int eio_fuzz_bytes(const struct eio_packet *p, uint8_t **out,
                          size_t *len)
{
    long n;

    if (!p->base64) {
        *out = NULL;
        *len = p->len;
        return 0;
    }
    *out = malloc(B64_DECODED_MAX(p->len) + 1);
    assert(*out != NULL);
    n = b64_decode(*out, p->data, p->len);
    if (n < 0) {
        free(*out);
        return -1;
    }
    *len = (size_t)n;
    return 0;
}

static void eio_fuzz_same(const struct eio_packet *a,
                          const struct eio_packet *b)
{
    uint8_t *ab, *bb;
    size_t al, bl;

    assert(a->type == b->type);
    assert((a->binary || a->base64) == (b->binary || b->base64));
    assert(eio_fuzz_bytes(a, &ab, &al) == 0);
    assert(eio_fuzz_bytes(b, &bb, &bl) == 0);
    assert(al == bl);
    assert(memcmp(ab ? ab : (const uint8_t *)a->data,
                  bb ? bb : (const uint8_t *)b->data, al) == 0);
    free(ab);
    free(bb);
}

static void eio_fuzz_round_trip(int version, int binary_body, const char *buf,
                                size_t len)
{
    struct eio_packet *pk = calloc(EIO_FUZZ_MAX_PACKETS, sizeof *pk);
    struct eio_packet *pk2 = calloc(EIO_FUZZ_MAX_PACKETS, sizeof *pk2);
    struct buf out = BUF_INIT;
    int n, n2, i, ok = 1;

    assert(pk != NULL && pk2 != NULL);
    n = eio_fuzz_decode(version, binary_body, buf, len, pk);
    if (n <= 0)
        goto done;
    for (i = 0; i < n; i++) {
        uint8_t *tmp;
        size_t tl;
        /* Base64 that does not decode is the layer above's to refuse; an
         * encoder may then fail too, and the packet is left out. */
        if (pk[i].base64 && eio_fuzz_bytes(&pk[i], &tmp, &tl) != 0) {
            ok = 0;
            break;
        }
        if (pk[i].base64)
            free(tmp);
        /* v3's text form counts UTF-16 units, and a record that is not
         * UTF-8 does not count back to the same bytes. */
        if (eio_payload_append(&out, version, binary_body, i == 0, &pk[i]) !=
            0) {
            ok = 0;
            break;
        }
    }
    if (!ok)
        goto done;
    n2 = eio_fuzz_decode(version, binary_body, out.data, out.len, pk2);
    if (version == 3 && !binary_body && n2 != n)
        goto done; /* ill-formed UTF-8 changes the unit count: see above */
    assert(n2 == n);
    for (i = 0; i < n; i++) {
        if (version == 3 && !binary_body && pk[i].type == EIO_NOOP &&
            pk[i].len == 0)
            continue; /* "0:" comes back as the NOOP "1:6" */
        eio_fuzz_same(&pk[i], &pk2[i]);
    }
done:
    buf_free(&out);
    free(pk);
    free(pk2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct eio_packet p;
    char *buf;
    int version, binary_body;

    if (size == 0)
        return 0;
    /* First byte: which decoder; the rest is its input, copied to an
     * exact-size buffer so ASan catches reads past the end. */
    version = (data[0] & 1) ? 3 : 4;
    binary_body = (data[0] >> 1) & 1;
    buf = malloc(size - 1 ? size - 1 : 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data + 1, size - 1);
    size--;

    switch ((data[0] >> 2) & 3) {
    case 0:
    case 1:
        eio_fuzz_round_trip(version, binary_body, buf, size);
        break;
    case 2:
        if (eio_decode_text(version, buf, size, 1, &p) == 0) {
            assert(p.data >= buf && p.data + p.len <= buf + size);
            assert(p.type >= EIO_OPEN && p.type <= EIO_NOOP);
        }
        (void)eio_decode_text(version, buf, size, 0, &p);
        (void)eio_utf16_len(buf, size);
        assert(eio_utf16_len(buf, size) <= size);
        break;
    default:
        if (eio_decode_binary_frame(version, buf, size, &p) == 0) {
            struct buf out = BUF_INIT;
            assert(p.binary && p.type == EIO_MESSAGE);
            assert(p.data >= buf && p.data + p.len <= buf + size);
            /* A binary message goes out in every payload form. */
            assert(eio_payload_append(&out, version, binary_body, 1, &p) == 0);
            {
                struct eio_packet q;
                int used = eio_payload_next(version, binary_body, out.data,
                                            out.len, &q);
                assert(used == (int)out.len);
                eio_fuzz_same(&p, &q);
            }
            buf_free(&out);
        }
        break;
    }
    free(buf);
    return 0;
}
