/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* answer: this node's answers to the requests of the other nodes of a
 * fleet (the classic adapter's request channel): fetchSockets, allRooms,
 * serverSideEmit, broadcasts with acks, socketsJoin/Leave and
 * disconnectSockets, in both their forms. */
#include "answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ansmsg.h"
#include "buf.h"
#include "hub.h"
#include "log.h"
#include "redis.h"

struct answer_stats answer_stats;

static const char *answer_key, *answer_uid, *answer_path;
static size_t answer_max = ANSWER_MAX_BYTES;
static struct ansmsg_scratch answer_scratch;
static struct buf answer_out, answer_chan;
static unsigned answer_broadcasts; /* waiting for their clients' acks */

/* A broadcast with acks, until every client answered or its timeout. */
struct answer_bcast {
    char request_id[ANSMSG_MAX_ID + 1];
    char nsp[]; /* for the response channel */
};

void answer_setup(const char *key, const char *uid, size_t max_bytes,
                  const char *path)
{
    answer_key = key;
    answer_uid = uid;
    answer_path = path;
    answer_max = max_bytes < ANSWER_MAX_BYTES ? max_bytes : ANSWER_MAX_BYTES;
}

/* Publishes `out` on the shared response channel of `nsp` (the one every
 * Node node reads; a node with publishOnSpecificResponseChannel picks its
 * own, we never do). */
static void answer_publish(const char *nsp, const struct buf *out)
{
    buf_reset(&answer_chan);
    if (buf_printf(&answer_chan, "%s-response#%s#", answer_key, nsp) != 0 ||
        redis_publish(answer_chan.data, out->data, out->len) != 0) {
        answer_stats.dropped++;
        return;
    }
    answer_stats.answers++;
}

/* Collects socket ids, NUL after each (hub_audience's callback). */
static void answer_collect(void *arg, const char *sid)
{
    struct buf *b = arg;

    buf_append(b, sid, strlen(sid) + 1);
}

/* The sockets of `nsp` in the request's audience, "id\0id\0...". */
static void answer_audience(const char *nsp, const struct ansmsg_req *r,
                            struct buf *sids)
{
    struct hub_target t;

    memset(&t, 0, sizeof t);
    t.nsp = nsp;
    t.rooms = r->rooms;
    t.nrooms = r->nrooms;
    t.except = r->except;
    t.nexcept = r->nexcept;
    hub_audience(&t, answer_collect, sids);
}

/* Room for "]}" and the end of the answer under the cap. */
#define ANSWER_TAIL 16

/* A list answer {requestId, <field>: [...]}: `add` appends the element
 * of each string of `items` ("a\0b\0") to answer_out (0), leaves it out
 * (1) or fails (-1); elements past the cap are cut, counted and logged. */
static void answer_list(const char *nsp, const struct ansmsg_req *r,
                        const char *field, const struct buf *items,
                        int (*add)(void *arg, const char *item), void *arg)
{
    const char *s;
    size_t mark;
    int cut = 0, rc;

    buf_reset(&answer_out);
    if (ansmsg_list_open(&answer_out, r->request_id, field) != 0)
        goto fail;
    for (s = items->data; s != NULL && s < items->data + items->len;
         s += strlen(s) + 1) {
        mark = answer_out.len;
        if ((rc = add(arg, s)) < 0)
            goto fail;
        if (rc == 0 && answer_out.len + ANSWER_TAIL > answer_max) {
            answer_out.len = mark;
            cut = 1;
            break;
        }
    }
    if (ansmsg_list_close(&answer_out) != 0)
        goto fail;
    if (cut) {
        answer_stats.truncated++;
        log_info("bus: %s answer of request %s cut at %zu bytes", field,
                 r->request_id, answer_max);
    }
    answer_publish(nsp, &answer_out);
    return;
fail:
    answer_stats.dropped++;
}

/* A name as an element of the list answer. */
static int answer_add_name(void *arg, const char *name)
{
    (void)arg;
    return ansmsg_list_add(&answer_out, name) != 0 ? -1 : 0;
}

/* Channel names of a namespace (hub_channels' callback). */
static void answer_channel(void *arg, const char *nsp, const char *name,
                           unsigned members)
{
    (void)nsp;
    (void)members;
    answer_collect(arg, name);
}

/* REMOTE_FETCH: one socket (hub_session's callback). */
struct answer_fetch {
    struct buf *out;
    int failed;
};

static void answer_fetch_one(void *arg, const struct hub_info *in)
{
    struct answer_fetch *f = arg;
    const char *names[66], **rooms = names;
    struct ansmsg_socket s;
    size_t i;

    if (in->nchannels >= 64 &&
        (rooms = malloc((in->nchannels + 2) * sizeof *rooms)) == NULL) {
        f->failed = 1;
        return;
    }
    rooms[0] = in->sid;
    for (i = 0; i < in->nchannels; i++)
        rooms[i + 1] = in->channels[i];
    memset(&s, 0, sizeof s);
    s.id = in->sid;
    s.meta = in->meta;
    s.issued_ms = (uint64_t)(in->connected_at * 1000.0);
    s.path = answer_path;
    /* Its app user's room too: the asking node reads the user from it. */
    if (in->user_room != NULL)
        rooms[i + 1] = in->user_room;
    s.rooms = rooms;
    s.nrooms = in->nchannels + 1 + (in->user_room != NULL);
    s.auth = in->auth;
    s.auth_len = in->auth_len;
    s.data = hub_context(in->sid, &s.data_len);
    if (ansmsg_fetch_socket(f->out, &s) != 0)
        f->failed = 1;
    if (rooms != names)
        free(rooms);
}

/* One socket of a REMOTE_FETCH answer (1: gone meanwhile, left out). */
static int answer_add_socket(void *arg, const char *sid)
{
    struct answer_fetch *f = arg;

    if (hub_session(sid, answer_fetch_one, f) != 0)
        return 1;
    return f->failed ? -1 : 0;
}

static void answer_fetch(const char *nsp, const struct ansmsg_req *r)
{
    struct answer_fetch f = {&answer_out, 0};
    struct buf sids = BUF_INIT;

    answer_audience(nsp, r, &sids);
    answer_list(nsp, r, "sockets", &sids, answer_add_socket, &f);
    buf_free(&sids);
}

/* socketsJoin / socketsLeave / disconnectSockets (with opts): applied to
 * the audience; nobody waits for an answer. */
static void answer_apply(const char *nsp, const struct ansmsg_req *r)
{
    struct buf sids = BUF_INIT;
    const char *sid, *err;
    size_t i;

    answer_audience(nsp, r, &sids);
    /* Collected first: a disconnect changes what hub_audience walks. */
    for (sid = sids.data; sid != NULL && sid < sids.data + sids.len;
         sid += strlen(sid) + 1) {
        if (r->type == ADAPTER_REQ_REMOTE_DISCONNECT) {
            if (r->close)
                hub_close(sid);
            else
                hub_disconnect(sid);
            continue;
        }
        for (i = 0; i < r->nnames; i++)
            if ((r->type == ADAPTER_REQ_REMOTE_JOIN
                     ? hub_join(sid, r->names[i], &err)
                     : hub_leave(sid, r->names[i], &err)) != 0)
                log_info("bus: socket %s: %s: %s", sid, r->names[i], err);
    }
    buf_free(&sids);
}

/* The legacy single-socket forms (adapter 6.x's remoteJoin, remoteLeave,
 * remoteDisconnect): only the node that has the socket acts and answers. */
static void answer_single(const char *nsp, const struct ansmsg_req *r)
{
    const char *owner = hub_socket_nsp(r->sid), *err;
    int rc = 0;

    if (owner == NULL || strcmp(owner, nsp) != 0)
        return;
    if (r->type == ADAPTER_REQ_REMOTE_JOIN)
        rc = hub_join(r->sid, r->room, &err);
    else if (r->type == ADAPTER_REQ_REMOTE_LEAVE)
        rc = hub_leave(r->sid, r->room, &err);
    else if (r->close)
        hub_close(r->sid);
    else
        hub_disconnect(r->sid);
    if (rc != 0)
        log_info("bus: socket %s: %s: %s", r->sid, r->room, err);
    if (r->request_id == NULL)
        return;
    buf_reset(&answer_out);
    if (ansmsg_done(&answer_out, r->request_id) != 0) {
        answer_stats.dropped++;
        return;
    }
    answer_publish(nsp, &answer_out);
}

/* A client answered a broadcast: its first argument goes to the
 * requester at once. */
static void answer_bcast_ack(void *arg, const char *sid, const char *data,
                             size_t len, struct frame *const *attach,
                             unsigned nattach)
{
    struct answer_bcast *b = arg;

    (void)sid;
    buf_reset(&answer_out);
    if (ansmsg_broadcast_ack(&answer_out, b->request_id, data, len, attach,
                             nattach) != 0) {
        answer_stats.dropped++;
        return;
    }
    answer_publish(b->nsp, &answer_out);
}

/* Every client answered, went away, or the timeout passed. */
static void answer_bcast_done(void *arg, const struct hub_ack_result *res,
                              size_t n)
{
    (void)res;
    (void)n;
    free(arg);
    answer_broadcasts--;
}

/* BROADCAST: delivered here with ack ids; the client count answered at
 * once, then each client's ack as it comes. */
static void answer_broadcast(const char *nsp, const struct ansmsg_req *r)
{
    struct frame *att[64], **attach = att;
    char request_id[ANSMSG_MAX_ID + 1];
    struct answer_bcast *b = NULL;
    struct hub_target t;
    size_t i, n = 0;
    long count = 0;
    int64_t tmo = r->timeout_ms < 0 ? 5000 : r->timeout_ms;

    if (tmo < 1)
        tmo = 1;
    if (tmo > ANSWER_MAX_TIMEOUT_MS)
        tmo = ANSWER_MAX_TIMEOUT_MS;
    snprintf(request_id, sizeof request_id, "%s", r->request_id);
    if (answer_broadcasts >= ANSWER_MAX_BROADCASTS) {
        log_info("bus: broadcast %s dropped: %u broadcasts wait for acks",
                 request_id, answer_broadcasts);
        goto dropped;
    }
    if (r->nbins > 64 && (attach = calloc(r->nbins, sizeof *attach)) == NULL)
        goto dropped;
    for (n = 0; n < r->nbins; n++)
        if ((attach[n] = frame_new(r->bins[n].p, r->bins[n].len)) == NULL)
            goto dropped;
    if ((b = malloc(sizeof *b + strlen(nsp) + 1)) == NULL)
        goto dropped;
    memcpy(b->request_id, request_id, sizeof request_id);
    strcpy(b->nsp, nsp);
    memset(&t, 0, sizeof t);
    t.nsp = nsp;
    t.rooms = r->rooms;
    t.nrooms = r->nrooms;
    t.except = r->except;
    t.nexcept = r->nexcept;
    t.flags =
        HUB_F_LOCAL | (r->flags & ADAPTER_F_VOLATILE ? HUB_F_VOLATILE : 0);
    answer_broadcasts++;
    /* b may be freed inside (nobody to wait for): not touched after. */
    count =
        hub_emit_each(&t, r->json, r->json_len, attach, (unsigned)n,
                      (unsigned)tmo, answer_bcast_ack, answer_bcast_done, b);
    if (count < 0) {
        /* Out of memory before any delivery: done never runs. */
        answer_broadcasts--;
        goto dropped;
    }
    buf_reset(&answer_out);
    if (ansmsg_client_count(&answer_out, request_id, count) != 0)
        answer_stats.dropped++;
    else
        answer_publish(nsp, &answer_out);
    goto out;
dropped:
    free(b);
    answer_stats.dropped++;
    /* Still say none will answer here, so the requester need not wait. */
    buf_reset(&answer_out);
    if (ansmsg_client_count(&answer_out, request_id, 0) == 0)
        answer_publish(nsp, &answer_out);
out:
    for (i = 0; i < n; i++)
        frame_unref(attach[i]);
    if (attach != att)
        free(attach);
}

int answer_request(const char *nsp, const char *data, size_t len)
{
    struct buf items = BUF_INIT;
    struct ansmsg_req r;
    struct hub_target t;
    const char *why;

    if (ansmsg_decode(data, len, &r, &answer_scratch, &why) != 0) {
        log_info("bus: request on %s dropped: %s", nsp, why);
        return ANSWER_MALFORMED;
    }
    if (r.uid != NULL && strcmp(r.uid, answer_uid) == 0)
        return ANSWER_OWN;
    switch (r.type) {
    case ADAPTER_REQ_SOCKETS:
        answer_audience(nsp, &r, &items);
        answer_list(nsp, &r, "sockets", &items, answer_add_name, NULL);
        break;
    case ADAPTER_REQ_ALL_ROOMS:
        /* Every room, each socket's own included, as Node lists them. */
        memset(&t, 0, sizeof t);
        t.nsp = nsp;
        hub_audience(&t, answer_collect, &items);
        hub_channels(nsp, answer_channel, &items);
        answer_list(nsp, &r, "rooms", &items, answer_add_name, NULL);
        break;
    case ADAPTER_REQ_REMOTE_JOIN:
    case ADAPTER_REQ_REMOTE_LEAVE:
    case ADAPTER_REQ_REMOTE_DISCONNECT:
        if (r.has_opts)
            answer_apply(nsp, &r);
        else
            answer_single(nsp, &r);
        break;
    case ADAPTER_REQ_REMOTE_FETCH:
        answer_fetch(nsp, &r);
        break;
    case ADAPTER_REQ_SERVER_SIDE_EMIT:
        /* No server-side handlers here (the application is reached per
         * socket only): acked with null so the requester need not wait. */
        answer_stats.server_side_emits++;
        log_debug("bus: serverSideEmit on %s from %s", nsp,
                  r.uid ? r.uid : "an emitter");
        if (r.request_id != NULL) {
            buf_reset(&answer_out);
            if (ansmsg_emit_ack(&answer_out, r.request_id) != 0)
                answer_stats.dropped++;
            else
                answer_publish(nsp, &answer_out);
        }
        break;
    case ADAPTER_REQ_BROADCAST:
        answer_broadcast(nsp, &r);
        break;
    default:
        return ANSWER_IGNORED;
    }
    buf_free(&items);
    return ANSWER_HANDLED;
}

void answer_shutdown(void)
{
    ansmsg_scratch_free(&answer_scratch);
    buf_free(&answer_out);
    buf_free(&answer_chan);
}
