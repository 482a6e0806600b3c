/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* adapter: pure codec of @socket.io/redis-adapter's classic broadcast
 * message and channel names (docs/scale-out.md). */
#include "adapter.h"

#include <string.h>

#include "sio.h"

int adapter_uid(const char *msg, size_t len, const char **uid, size_t *uid_len)
{
    const char *p = msg, *end = msg + len;
    struct mpk_item it;

    if (mpk_read(&p, end, &it) != 0 || it.type != MPK_ARRAY || it.len < 1 ||
        mpk_read(&p, end, &it) != 0 || it.type != MPK_STR)
        return -1;
    *uid = it.p;
    *uid_len = it.len;
    return 0;
}

/* 1 when item `it` is the string `s`. */
static int adapter_is(const struct mpk_item *it, const char *s)
{
    return it->type == MPK_STR && it->len == strlen(s) &&
           memcmp(it->p, s, it->len) == 0;
}

/* Copies a string item into s->names (with its NUL) and records its
 * offset in `offs`. Names that are no valid name are refused. */
static int adapter_name(struct adapter_scratch *s, const struct mpk_item *it,
                        struct buf *offs)
{
    size_t off = s->names.len;

    if (it->type != MPK_STR || it->len == 0 ||
        !sio_name_valid(it->p, it->len) ||
        buf_append(&s->names, it->p, it->len) != 0 ||
        buf_putc(&s->names, '\0') != 0 ||
        buf_append(offs, &off, sizeof off) != 0)
        return -1;
    return 0;
}

/* A list of names: each offset goes to `offs`. */
static int adapter_names(const char **p, const char *end,
                         struct adapter_scratch *s, struct buf *offs)
{
    struct mpk_item it;
    uint32_t i, n;

    if (mpk_read(p, end, &it) != 0)
        return -1;
    if (it.type == MPK_NIL)
        return 0;
    if (it.type != MPK_ARRAY)
        return -1;
    n = it.len;
    for (i = 0; i < n; i++)
        if (mpk_read(p, end, &it) != 0 || adapter_name(s, &it, offs) != 0)
            return -1;
    return 0;
}

static int adapter_packet(const char **p, const char *end,
                          struct adapter_scratch *s, size_t *nsp_off,
                          int *have_data, const char **why)
{
    struct mpk_item it, key;
    struct buf off = BUF_INIT;
    uint32_t i, n;
    int type = -1, rc = -1;
    const char *data;

    if (mpk_read(p, end, &it) != 0 || it.type != MPK_MAP)
        goto fail;
    n = it.len;
    for (i = 0; i < n; i++) {
        if (mpk_read(p, end, &key) != 0)
            goto fail;
        if (adapter_is(&key, "type")) {
            if (mpk_read(p, end, &it) != 0 || it.type != MPK_INT)
                goto fail;
            type = (int)(it.i == 2 || it.i == 5 ? it.i : -1);
        } else if (adapter_is(&key, "nsp")) {
            if (mpk_read(p, end, &it) != 0 || it.type != MPK_STR ||
                it.len == 0 || it.p[0] != '/' ||
                adapter_name(s, &it, &off) != 0)
                goto fail;
            memcpy(nsp_off, off.data + off.len - sizeof *nsp_off,
                   sizeof *nsp_off);
        } else if (adapter_is(&key, "data")) {
            data = *p;
            if (mpk_read(&data, end, &it) != 0 || it.type != MPK_ARRAY ||
                it.len == 0 || mpk_read(&data, end, &key) != 0 ||
                key.type != MPK_STR || !sio_name_valid(key.p, key.len))
                goto fail;
            buf_reset(&s->json);
            buf_reset(&s->bins);
            if (mpk_to_json(p, end, &s->json, &s->bins) != 0 ||
                buf_putc(&s->json, '\0') != 0)
                goto fail;
            *have_data = 1;
        } else if (mpk_skip(p, end) != 0) {
            goto fail;
        }
    }
    if (type < 0) {
        *why = "not an event";
        goto out;
    }
    rc = 0;
    goto out;
fail:
    *why = "malformed packet";
out:
    buf_free(&off);
    return rc;
}

static int adapter_opts(const char **p, const char *end,
                        struct adapter_scratch *s, struct buf *rooms,
                        struct buf *except, unsigned *flags)
{
    struct mpk_item it, key;
    uint32_t i, n, j, m;

    if (mpk_read(p, end, &it) != 0 || it.type != MPK_MAP)
        return -1;
    n = it.len;
    for (i = 0; i < n; i++) {
        if (mpk_read(p, end, &key) != 0)
            return -1;
        if (adapter_is(&key, "rooms")) {
            if (adapter_names(p, end, s, rooms) != 0)
                return -1;
        } else if (adapter_is(&key, "except")) {
            if (adapter_names(p, end, s, except) != 0)
                return -1;
        } else if (adapter_is(&key, "flags")) {
            if (mpk_read(p, end, &it) != 0 || it.type != MPK_MAP)
                return -1;
            m = it.len;
            for (j = 0; j < m; j++) {
                if (mpk_read(p, end, &key) != 0)
                    return -1;
                if (adapter_is(&key, "volatile")) {
                    if (mpk_read(p, end, &it) != 0)
                        return -1;
                    if (it.type == MPK_BOOL && it.b)
                        *flags |= ADAPTER_F_VOLATILE;
                } else if (mpk_skip(p, end) != 0) {
                    return -1;
                }
            }
        } else if (mpk_skip(p, end) != 0) {
            return -1;
        }
    }
    return 0;
}

int adapter_decode(const char *msg, size_t len, struct adapter_msg *m,
                   struct adapter_scratch *s, const char **why)
{
    const char *p = msg, *end = msg + len, **ptrs;
    struct buf rooms = BUF_INIT, except = BUF_INIT;
    struct mpk_item it;
    size_t nsp_off = (size_t)-1, uid_off, i, nr, ne, off;
    struct buf uidoff = BUF_INIT;
    int have_data = 0, rc = -1;

    memset(m, 0, sizeof *m);
    buf_reset(&s->names);
    *why = "malformed message";
    if (mpk_read(&p, end, &it) != 0 || it.type != MPK_ARRAY || it.len < 3 ||
        mpk_read(&p, end, &it) != 0 || adapter_name(s, &it, &uidoff) != 0)
        goto out;
    memcpy(&uid_off, uidoff.data, sizeof uid_off);
    if (adapter_packet(&p, end, s, &nsp_off, &have_data, why) != 0)
        goto out;
    *why = "malformed options";
    if (adapter_opts(&p, end, s, &rooms, &except, &m->flags) != 0)
        goto out;
    *why = "no nsp or data";
    if (nsp_off == (size_t)-1 || !have_data)
        goto out;
    nr = rooms.len / sizeof(size_t);
    ne = except.len / sizeof(size_t);
    buf_reset(&s->ptrs);
    *why = "out of memory";
    if (buf_reserve(&s->ptrs, (nr + ne + 1) * sizeof *ptrs) != 0)
        goto out;
    ptrs = (const char **)(void *)s->ptrs.data;
    for (i = 0; i < nr + ne; i++) {
        memcpy(&off,
               (i < nr ? rooms.data + i * sizeof off
                       : except.data + (i - nr) * sizeof off),
               sizeof off);
        ptrs[i] = s->names.data + off;
    }
    m->uid = s->names.data + uid_off;
    m->nsp = s->names.data + nsp_off;
    m->json = s->json.data;
    m->json_len = s->json.len - 1;
    m->bins = (const struct mpk_bin *)(void *)s->bins.data;
    m->nbins = s->bins.len / sizeof(struct mpk_bin);
    m->rooms = ptrs;
    m->nrooms = nr;
    m->except = ptrs + nr;
    m->nexcept = ne;
    *why = NULL;
    rc = 0;
out:
    buf_free(&rooms);
    buf_free(&except);
    buf_free(&uidoff);
    return rc;
}

void adapter_scratch_free(struct adapter_scratch *s)
{
    buf_free(&s->json);
    buf_free(&s->bins);
    buf_free(&s->names);
    buf_free(&s->ptrs);
}

static int adapter_put_names(struct buf *out, const char *const *v, size_t n)
{
    size_t i;

    if (mpk_put_array(out, (uint32_t)n) != 0)
        return -1;
    for (i = 0; i < n; i++)
        if (mpk_put_str(out, v[i], strlen(v[i])) != 0)
            return -1;
    return 0;
}

int adapter_encode(struct buf *out, const char *uid, const char *nsp,
                   const char *json, size_t len, struct frame *const *attach,
                   unsigned nattach, const char *const *rooms, size_t nrooms,
                   const char *const *except, size_t nexcept, unsigned flags)
{
    if (nrooms > UINT32_MAX || nexcept > UINT32_MAX)
        return -1;
    if (mpk_put_array(out, 3) != 0 || mpk_put_str(out, uid, strlen(uid)) ||
        mpk_put_map(out, 3) != 0 || mpk_put_str(out, "type", 4) != 0 ||
        mpk_put_int(out, 2) != 0 || mpk_put_str(out, "data", 4) != 0 ||
        mpk_from_json(out, json, len, attach, nattach) != 0 ||
        mpk_put_str(out, "nsp", 3) != 0 ||
        mpk_put_str(out, nsp, strlen(nsp)) != 0 || mpk_put_map(out, 3) != 0 ||
        mpk_put_str(out, "rooms", 5) != 0 ||
        adapter_put_names(out, rooms, nrooms) != 0 ||
        mpk_put_str(out, "except", 6) != 0 ||
        adapter_put_names(out, except, nexcept) != 0 ||
        mpk_put_str(out, "flags", 5) != 0)
        return -1;
    if (flags & ADAPTER_F_VOLATILE)
        return mpk_put_map(out, 1) != 0 || mpk_put_str(out, "volatile", 8) ||
                       mpk_put_bool(out, 1)
                   ? -1
                   : 0;
    return mpk_put_map(out, 0);
}

int adapter_channel(struct buf *out, const char *key, const char *nsp,
                    const char *room)
{
    return buf_printf(out, "%s#%s#%s%s", key, nsp, room ? room : "",
                      room ? "#" : "") != 0 ||
                   buf_putc(out, '\0') != 0
               ? -1
               : 0;
}

int adapter_pattern(struct buf *out, const char *key)
{
    for (; *key; key++)
        if ((strchr("*?[]\\", *key) != NULL && buf_putc(out, '\\') != 0) ||
            buf_putc(out, *key) != 0)
            return -1;
    return buf_append(out, "#*", 3);
}
