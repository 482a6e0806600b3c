/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fleet: the control RPC's questions to the other nodes of the fleet
 * (the requesting side of the classic adapter's requests): pending
 * requests by id, their deadline, and the answers gathered. */
#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "adapter.h"
#include "buf.h"
#include "fleetmsg.h"
#include "log.h"
#include "redis.h"
#include "route.h"

struct fleet_stats fleet_stats = {.nodes = -1};

/* The requests of one question (one per namespace asked). */
struct fleet_group {
    fleet_done done;
    void *arg;
    size_t left;
    int incomplete;
    long count;
    struct buf acc; /* the answers' items, comma-separated */
};

struct fleet_req {
    TAILQ_ENTRY(fleet_req) link;
    char id[FLEETMSG_MAX_ID + 1];
    int type;      /* ADAPTER_REQ_REMOTE_FETCH, _REMOTE_*, _BROADCAST,
                      FLEET_REQ_PRESENCE */
    char *nsp;     /* for the sessions of a fetch answer */
    char *channel; /* "<key>-request#<nsp>#", or the presence channel */
    struct buf msg;
    struct fleet_group *g;
    struct event *timer;
    long expected; /* other nodes; -1 until NUMSUB answered */
    long answered; /* nodes that answered */
    long clients;  /* BROADCAST: clients the others sent to */
    long acks;     /* BROADCAST: their acks received */
    int numsub_wait, ended;
};

static TAILQ_HEAD(, fleet_req)
    fleet_pending = TAILQ_HEAD_INITIALIZER(fleet_pending);
static struct event_base *fleet_base;
static const char *fleet_key;
static const char *fleet_uid;
static unsigned fleet_timeout_ms;
static int fleet_on;
static struct buf fleet_scratch;
static char *fleet_pres_channel;    /* "<key>-presence#" */
static unsigned fleet_pres_pending; /* of fleet_stats.pending: presence.c
                                       bounds them, not FLEET_MAX_PENDING */

/* A presence question (presence.c): no adapter request type, as no Node
 * node reads its channel. */
#define FLEET_REQ_PRESENCE (-2)

void fleet_setup(struct event_base *base, const char *key, const char *uid,
                 unsigned timeout_ms)
{
    fleet_base = base;
    fleet_key = key;
    fleet_uid = uid;
    fleet_timeout_ms = timeout_ms;
    fleet_on = 1;
    free(fleet_pres_channel);
    fleet_pres_channel = malloc(strlen(key) + sizeof "-presence#");
    if (fleet_pres_channel != NULL)
        sprintf(fleet_pres_channel, "%s-presence#", key);
}

int fleet_enabled(void) { return fleet_on; }

const char *fleet_presence_channel(void)
{
    return fleet_on ? fleet_pres_channel : NULL;
}

static void fleet_req_free(struct fleet_req *r)
{
    if (r->timer != NULL)
        event_free(r->timer);
    buf_free(&r->msg);
    free(r->nsp);
    free(r->channel);
    free(r);
}

static void fleet_group_end(struct fleet_group *g)
{
    struct buf out = BUF_INIT;

    if (buf_putc(&out, '[') != 0 ||
        (g->acc.len > 0 && buf_append(&out, g->acc.data, g->acc.len) != 0) ||
        buf_putc(&out, ']') != 0 || buf_putc(&out, '\0') != 0) {
        buf_reset(&out);
        g->incomplete = 1;
        buf_append(&out, "[]", 3);
    }
    g->done(g->arg, out.data ? out.data : "[]", out.data ? out.len - 1 : 2,
            g->count, g->incomplete);
    buf_free(&out);
    buf_free(&g->acc);
    free(g);
}

/* Ends a request (answered, timed out or failed); the last of its group
 * answers the question. */
static void fleet_end(struct fleet_req *r, int incomplete)
{
    struct fleet_group *g = r->g;

    if (r->ended)
        return;
    r->ended = 1;
    if (r->timer != NULL)
        evtimer_del(r->timer);
    TAILQ_REMOVE(&fleet_pending, r, link);
    fleet_stats.pending--;
    if (r->type == FLEET_REQ_PRESENCE)
        fleet_pres_pending--;
    if (incomplete) {
        g->incomplete = 1;
        fleet_stats.incomplete++;
    }
    if (--g->left == 0)
        fleet_group_end(g);
    r->g = NULL;
    /* NUMSUB's answer still comes: it frees the request then. */
    if (!r->numsub_wait)
        fleet_req_free(r);
}

static void fleet_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct fleet_req *r = arg;

    (void)fd;
    (void)what;
    fleet_end(r, r->type == ADAPTER_REQ_BROADCAST
                     ? r->expected < 0 || r->answered < r->expected
                     : 1);
}

/* How many other nodes answer a request on `channel`: Redis counts every
 * exact subscriber, this node too when it subscribed (it never answers
 * itself). The one place this is decided. */
static long fleet_expected(const char *channel, long numsub)
{
    return numsub - (redis_subscribed(channel) ? 1 : 0);
}

static void fleet_numsub_cb(void *arg, long n)
{
    struct fleet_req *r = arg;

    r->numsub_wait = 0;
    if (r->ended) {
        fleet_req_free(r);
        return;
    }
    if (n < 0) {
        fleet_end(r, 1);
        return;
    }
    r->expected = fleet_expected(r->channel, n);
    /* The presence channel counts socketiod nodes only. */
    if (r->type != FLEET_REQ_PRESENCE)
        fleet_stats.nodes = r->expected + 1;
    if (r->expected <= 0) {
        fleet_end(r, 0);
        return;
    }
    if (redis_publish(r->channel, r->msg.data, r->msg.len) != 0) {
        fleet_end(r, 1);
        return;
    }
    fleet_stats.requests++;
}

/* A request of `type` on namespace `nsp`'s request channel (`channel`
 * when not NULL), its message still to be written to r->msg by the
 * caller. */
static struct fleet_req *fleet_req_new(int type, const char *nsp,
                                       const char *channel)
{
    struct fleet_req *r;
    struct buf ch = BUF_INIT;

    if (!fleet_on || !redis_stats.connected ||
        (type != FLEET_REQ_PRESENCE &&
         fleet_stats.pending - fleet_pres_pending >= FLEET_MAX_PENDING)) {
        fleet_stats.refused++;
        return NULL;
    }
    if ((r = calloc(1, sizeof *r)) == NULL)
        return NULL;
    r->type = type;
    r->expected = -1;
    if (route_random_name(r->id, 16) != 0 || (r->nsp = strdup(nsp)) == NULL ||
        (channel != NULL
             ? buf_puts(&ch, channel)
             : buf_printf(&ch, "%s-request#%s#", fleet_key, nsp)) != 0 ||
        (r->channel = buf_dup(ch.data, ch.len)) == NULL) {
        buf_free(&ch);
        fleet_req_free(r);
        return NULL;
    }
    buf_free(&ch);
    return r;
}

/* Sends NUMSUB and arms the deadline; the request joins `g`. */
static int fleet_start(struct fleet_req *r, struct fleet_group *g,
                       unsigned timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

    if ((r->timer = evtimer_new(fleet_base, fleet_timer_cb, r)) == NULL ||
        redis_numsub(r->channel, fleet_numsub_cb, r) != 0) {
        fleet_stats.refused++;
        return -1;
    }
    r->numsub_wait = 1;
    evtimer_add(r->timer, &tv);
    r->g = g;
    g->left++;
    TAILQ_INSERT_TAIL(&fleet_pending, r, link);
    fleet_stats.pending++;
    if (r->type == FLEET_REQ_PRESENCE)
        fleet_pres_pending++;
    return 0;
}

static struct fleet_group *fleet_group_new(fleet_done done, void *arg)
{
    struct fleet_group *g = calloc(1, sizeof *g);

    if (g != NULL) {
        g->done = done;
        g->arg = arg;
    }
    return g;
}

int fleet_fetch(const char *const *nsps, size_t nnsp, const char *const *rooms,
                size_t nrooms, fleet_done done, void *arg)
{
    struct fleet_group *g = fleet_group_new(done, arg);
    struct fleet_req *r;
    size_t i;

    if (g == NULL)
        return -1;
    for (i = 0; i < nnsp; i++) {
        if ((r = fleet_req_new(ADAPTER_REQ_REMOTE_FETCH, nsps[i], NULL)) ==
                NULL ||
            fleetmsg_fetch(&r->msg, fleet_uid, r->id, rooms, nrooms) != 0 ||
            fleet_start(r, g, fleet_timeout_ms) != 0) {
            if (r != NULL)
                fleet_req_free(r);
            g->incomplete = 1;
            continue;
        }
        /* A JSON request goes without its NUL. */
        r->msg.len--;
    }
    if (g->left == 0) {
        buf_free(&g->acc);
        free(g);
        return -1;
    }
    return 0;
}

int fleet_remote(int type, const char *nsp, const char *sid, const char *room,
                 int close, fleet_done done, void *arg)
{
    struct fleet_group *g = fleet_group_new(done, arg);
    struct fleet_req *r;

    if (g == NULL)
        return -1;
    if ((r = fleet_req_new(type, nsp, NULL)) == NULL ||
        fleetmsg_remote(&r->msg, type, fleet_uid, r->id, sid, room, close) !=
            0 ||
        fleet_start(r, g, fleet_timeout_ms) != 0) {
        if (r != NULL)
            fleet_req_free(r);
        free(g);
        return -1;
    }
    r->msg.len--;
    return 0;
}

int fleet_broadcast(const char *nsp, const char *const *rooms, size_t nrooms,
                    const char *const *except, size_t nexcept, const char *json,
                    size_t len, struct frame *const *attach, unsigned nattach,
                    unsigned timeout_ms, fleet_done done, void *arg)
{
    struct fleet_group *g = fleet_group_new(done, arg);
    struct fleet_req *r;

    if (g == NULL)
        return -1;
    if ((r = fleet_req_new(ADAPTER_REQ_BROADCAST, nsp, NULL)) == NULL ||
        fleetmsg_broadcast(&r->msg, fleet_uid, r->id, nsp, json, len, attach,
                           nattach, rooms, nrooms, except, nexcept,
                           timeout_ms) != 0 ||
        fleet_start(r, g, timeout_ms) != 0) {
        if (r != NULL)
            fleet_req_free(r);
        free(g);
        return -1;
    }
    return 0;
}

int fleet_presence(const char *nsp, const char *channel, const char *user,
                   int join, fleet_done done, void *arg)
{
    struct fleet_group *g;
    struct fleet_req *r;

    if (fleet_pres_channel == NULL || (g = fleet_group_new(done, arg)) == NULL)
        return -1;
    if ((r = fleet_req_new(FLEET_REQ_PRESENCE, nsp, fleet_pres_channel)) ==
            NULL ||
        fleetmsg_presence_ask(&r->msg, fleet_uid, r->id, nsp, channel, user,
                              join) != 0 ||
        fleet_start(r, g, fleet_timeout_ms) != 0) {
        if (r != NULL)
            fleet_req_free(r);
        free(g);
        return -1;
    }
    return 0;
}

void fleet_presence_answer(const char *request_id, long sockets)
{
    struct fleet_req *r;

    if (!fleet_on)
        return;
    TAILQ_FOREACH(r, &fleet_pending, link)
    if (r->type == FLEET_REQ_PRESENCE && strcmp(r->id, request_id) == 0)
        break;
    if (r == NULL) {
        fleet_stats.unknown++;
        return;
    }
    fleet_stats.answers++;
    r->answered++;
    /* One node with the user there settles it: no need to hear the rest. */
    if (sockets > 0) {
        r->g->count = sockets;
        fleet_end(r, 0);
    } else if (r->expected >= 0 && r->answered >= r->expected) {
        fleet_end(r, 0);
    }
}

/* Appends the items of JSON array text a[0..len) to the group's (past
 * FLEET_MAX_BYTES: dropped, and the answer is incomplete). */
static void fleet_acc(struct fleet_group *g, const char *a, size_t len,
                      int whole)
{
    if (g->acc.len + len > FLEET_MAX_BYTES) {
        g->incomplete = 1;
        return;
    }
    if (!whole) {
        if (len <= 2)
            return;
        a++;
        len -= 2;
    }
    if ((g->acc.len > 0 && buf_putc(&g->acc, ',') != 0) ||
        buf_append(&g->acc, a, len) != 0)
        g->incomplete = 1;
}

void fleet_response(const char *nsp, const char *data, size_t len)
{
    struct fleetmsg_resp m;
    struct fleet_req *r;
    const char *why;

    if (!fleet_on)
        return;
    if (fleetmsg_response(data, len, nsp, &m, &fleet_scratch, &why) != 0) {
        fleet_stats.malformed++;
        log_debug("fleet: answer dropped: %s", why);
        return;
    }
    TAILQ_FOREACH(r, &fleet_pending, link)
    if (strcmp(r->id, m.request_id) == 0)
        break;
    if (r == NULL) {
        fleet_stats.unknown++;
        return;
    }
    fleet_stats.answers++;
    switch (r->type) {
    case ADAPTER_REQ_REMOTE_FETCH:
        if (!m.has_sockets)
            return;
        fleet_acc(r->g, fleet_scratch.data, fleet_scratch.len, 0);
        r->g->count++;
        if (++r->answered >= r->expected && r->expected >= 0)
            fleet_end(r, 0);
        return;
    case ADAPTER_REQ_BROADCAST:
        if (m.type == ADAPTER_REQ_BROADCAST_CLIENT_COUNT) {
            r->answered++;
            r->clients += m.client_count;
            r->g->count += m.client_count;
        } else if (m.type == ADAPTER_REQ_BROADCAST_ACK) {
            r->acks++;
            fleet_acc(r->g, fleet_scratch.data, fleet_scratch.len, 1);
        }
        if (r->expected >= 0 && r->answered >= r->expected &&
            r->acks >= r->clients)
            fleet_end(r, 0);
        return;
    default:
        r->g->count = 1;
        fleet_end(r, 0);
    }
}

void fleet_shutdown(void)
{
    struct fleet_req *r;

    while ((r = TAILQ_FIRST(&fleet_pending)) != NULL)
        fleet_end(r, 1);
    buf_free(&fleet_scratch);
    free(fleet_pres_channel);
    fleet_pres_channel = NULL;
    fleet_on = 0;
}
