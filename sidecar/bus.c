/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* bus: this node in a Socket.IO fleet through Redis, speaking
 * @socket.io/redis-adapter's classic protocol: emits published,
 * broadcasts of other nodes and emitters delivered here. */
#include "bus.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "adapter.h"
#include "buf.h"
#include "hub.h"
#include "log.h"
#include "redis.h"

struct bus_stats bus_stats;
char bus_uid[7];

static int bus_on;
static const char *bus_key;
static size_t bus_max_message;
static struct adapter_scratch bus_scratch;
static struct buf bus_out, bus_chan;

int bus_enabled(void) { return bus_on; }

/* An emit of this node, published to the others. */
static void bus_publish(void *arg, const char *nsp, const struct hub_target *t,
                        const char *json, size_t len,
                        struct frame *const *attach, unsigned nattach)
{
    (void)arg;
    buf_reset(&bus_out);
    buf_reset(&bus_chan);
    /* Exactly one room: its own channel, where Node nodes without a member
     * drop it unread. */
    if (adapter_encode(&bus_out, bus_uid, nsp, json, len, attach, nattach,
                       t->rooms, t->nrooms, t->except, t->nexcept,
                       t->flags & HUB_F_VOLATILE ? ADAPTER_F_VOLATILE : 0) !=
            0 ||
        adapter_channel(&bus_chan, bus_key, nsp,
                        t->nrooms == 1 ? t->rooms[0] : NULL) != 0 ||
        redis_publish(bus_chan.data, bus_out.data, bus_out.len) != 0) {
        bus_stats.unpublished++;
        return;
    }
    bus_stats.published++;
}

void bus_message(void *arg, const char *channel, size_t clen, const char *data,
                 size_t len)
{
    struct frame *att[64], **attach = att;
    struct adapter_msg m;
    struct hub_target t;
    const char *why, *uid;
    size_t uid_len, i, n = 0;

    (void)arg;
    if (len > bus_max_message) {
        bus_stats.oversized++;
        log_info("bus: %zu-byte message on %.*s over --redis-max-message", len,
                 (int)(clen > 200 ? 200 : clen), channel);
        return;
    }
    if (adapter_uid(data, len, &uid, &uid_len) == 0 &&
        uid_len == strlen(bus_uid) && memcmp(uid, bus_uid, uid_len) == 0) {
        bus_stats.own++;
        return;
    }
    if (adapter_decode(data, len, &m, &bus_scratch, &why) != 0) {
        bus_stats.malformed++;
        log_info("bus: message on %.*s dropped: %s",
                 (int)(clen > 200 ? 200 : clen), channel, why);
        return;
    }
    if (m.nbins > 64 && (attach = calloc(m.nbins, sizeof *attach)) == NULL)
        return;
    for (n = 0; n < m.nbins; n++)
        if ((attach[n] = frame_new(m.bins[n].p, m.bins[n].len)) == NULL)
            goto done;
    memset(&t, 0, sizeof t);
    t.nsp = m.nsp;
    t.rooms = m.rooms;
    t.nrooms = m.nrooms;
    t.except = m.except;
    t.nexcept = m.nexcept;
    t.flags = HUB_F_LOCAL | (m.flags & ADAPTER_F_VOLATILE ? HUB_F_VOLATILE : 0);
    bus_stats.received++;
    hub_emit(&t, m.json, m.json_len, attach, (unsigned)m.nbins, 0, NULL, NULL);
done:
    for (i = 0; i < n; i++)
        frame_unref(attach[i]);
    if (attach != att)
        free(attach);
}

int bus_setup(struct event_base *base, const struct bus_config *cfg,
              const char **cause)
{
    static const char alnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[6];
    struct redis_url u;
    struct buf pat = BUF_INIT;
    size_t i;
    int rc;

    if (redis_url_parse(cfg->url, &u, cause) != 0)
        return -1;
    if (RAND_bytes(r, sizeof r) != 1) {
        *cause = "no random bytes for the node's uid";
        return -1;
    }
    for (i = 0; i < sizeof r; i++)
        bus_uid[i] = alnum[r[i] % 62];
    bus_key = cfg->key;
    bus_max_message = cfg->max_message;
    if (redis_setup(base, &u, cfg->timeout_ms, bus_message, NULL, cause) != 0)
        return -1;
    /* Every namespace at once: "<key>#*" (the request and response
     * channels are "<key>-request#..." and stay out of it). */
    rc = adapter_pattern(&pat, bus_key) != 0 || redis_psubscribe(pat.data);
    buf_free(&pat);
    if (rc != 0) {
        *cause = "out of memory";
        return -1;
    }
    hub_set_publish(bus_publish, NULL);
    bus_on = 1;
    return 0;
}

void bus_shutdown(void)
{
    if (!bus_on)
        return;
    hub_set_publish(NULL, NULL);
    redis_shutdown();
    adapter_scratch_free(&bus_scratch);
    buf_free(&bus_out);
    buf_free(&bus_chan);
    bus_on = 0;
}
