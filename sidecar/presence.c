/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* presence: presence:join / presence:leave decided across the fleet: a
 * user's first or last socket here asks the other socketiod nodes whether
 * the user is in the channel there, and the event goes out only when not. */
#include "presence.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "buf.h"
#include "fleet.h"
#include "fleetmsg.h"
#include "hub.h"
#include "log.h"
#include "redis.h"

struct presence_stats presence_stats;

/* One event of a user in a channel. The first of a user and channel is
 * asked about; later ones of the same wait behind it (`next`) and are
 * asked in turn, so the events of a user in a channel leave in the order
 * they happened here. */
struct presence_item {
    TAILQ_ENTRY(presence_item) link; /* the asked ones */
    struct presence_item *next;      /* same user and channel, later */
    struct presence_item *last;      /* the asked one: its chain's last */
    int join;
    unsigned sockets;
    const char *channel, *user; /* in nsp[] after the namespace */
    char nsp[];
};

static TAILQ_HEAD(, presence_item)
    presence_asked = TAILQ_HEAD_INITIALIZER(presence_asked);
static const char *presence_uid;
static int presence_on;
static struct buf presence_scratch, presence_out;

/* The asked event of this user and channel, NULL when none waits. */
static struct presence_item *presence_find(const char *nsp, const char *channel,
                                           const char *user)
{
    struct presence_item *it;

    TAILQ_FOREACH(it, &presence_asked, link)
    if (strcmp(it->user, user) == 0 && strcmp(it->channel, channel) == 0 &&
        strcmp(it->nsp, nsp) == 0)
        return it;
    return NULL;
}

static void presence_done(void *arg, const char *json, size_t len, long count,
                          int incomplete);

/* Asks the fleet about `it` (at the head of its chain, after the one
 * before it was decided, outside the hub); when no question can go,
 * decides at once and goes on with the next of the chain. */
static void presence_ask(struct presence_item *it)
{
    struct presence_item *next;

    while (it != NULL) {
        if (fleet_presence(it->nsp, it->channel, it->user, it->join,
                           presence_done, it) == 0) {
            presence_stats.asked++;
            return;
        }
        presence_stats.unanswered++;
        hub_presence_emit(it->nsp, it->channel, it->user, it->join,
                          it->sockets);
        next = it->next;
        TAILQ_REMOVE(&presence_asked, it, link);
        if (next != NULL) {
            next->last = it->last;
            TAILQ_INSERT_TAIL(&presence_asked, next, link);
        }
        free(it);
        presence_stats.pending--;
        it = next;
    }
}

/* The fleet answered (or did not in time): `count` > 0 says the user is
 * in the channel on another node, so it neither came nor went. */
static void presence_done(void *arg, const char *json, size_t len, long count,
                          int incomplete)
{
    struct presence_item *it = arg, *next = it->next;

    (void)json;
    (void)len;
    TAILQ_REMOVE(&presence_asked, it, link);
    presence_stats.pending--;
    if (!presence_on) {
        /* Shutting down: the chain goes unsent. */
        while (it != NULL) {
            next = it->next;
            free(it);
            it = next;
            if (it != NULL)
                presence_stats.pending--;
        }
        return;
    }
    if (count > 0) {
        presence_stats.suppressed++;
    } else {
        if (incomplete)
            presence_stats.unanswered++;
        hub_presence_emit(it->nsp, it->channel, it->user, it->join,
                          it->sockets);
    }
    if (next != NULL) {
        next->last = it->last;
        TAILQ_INSERT_TAIL(&presence_asked, next, link);
    }
    free(it);
    presence_ask(next);
}

/* An event opposite to the last one queued behind `head` (a tab that
 * subscribes and unsubscribes while the fleet is asked about an earlier
 * one): the two cancel out, neither asked nor sent, so a flapping socket
 * holds at most two events, however fast it goes. */
static void presence_cancel(struct presence_item *head)
{
    struct presence_item *p = head;

    while (p->next != head->last)
        p = p->next;
    free(head->last);
    p->next = NULL;
    head->last = p;
    presence_stats.pending--;
    presence_stats.coalesced += 2;
}

/* The hub's presence callback: every event is taken, to ask the fleet,
 * unless past PRESENCE_MAX_PENDING. */
static int presence_hub_cb(void *arg, const char *nsp, const char *channel,
                           const char *user, int join, unsigned sockets)
{
    size_t nl = strlen(nsp) + 1, cl = strlen(channel) + 1,
           ul = strlen(user) + 1;
    struct presence_item *it, *head;

    (void)arg;
    head = presence_find(nsp, channel, user);
    if (head != NULL && head->last != head && head->last->join != join) {
        presence_cancel(head);
        return 1;
    }
    if (presence_stats.pending >= PRESENCE_MAX_PENDING) {
        presence_stats.overflow++;
        return 0;
    }
    if ((it = malloc(sizeof *it + nl + cl + ul)) == NULL)
        return 0;
    memcpy(it->nsp, nsp, nl);
    memcpy(it->nsp + nl, channel, cl);
    memcpy(it->nsp + nl + cl, user, ul);
    it->channel = it->nsp + nl;
    it->user = it->channel + cl;
    it->join = join;
    it->sockets = sockets;
    it->next = NULL;
    it->last = it;
    if (head != NULL) {
        head->last->next = it;
        head->last = it;
        presence_stats.pending++;
        return 1;
    }
    /* fleet_presence() answers later, never from inside this call; when
     * it cannot ask, the hub sends the event now, as without a fleet. */
    if (fleet_presence(nsp, channel, user, join, presence_done, it) != 0) {
        free(it);
        presence_stats.unanswered++;
        return 0;
    }
    presence_stats.asked++;
    presence_stats.pending++;
    TAILQ_INSERT_TAIL(&presence_asked, it, link);
    return 1;
}

int presence_setup(const char *uid)
{
    const char *ch = fleet_presence_channel();

    if (ch == NULL || redis_subscribe(ch) != 0)
        return -1;
    presence_uid = uid;
    presence_on = 1;
    hub_set_presence(presence_hub_cb, NULL);
    return 0;
}

void presence_message(const char *data, size_t len)
{
    struct fleetmsg_presence m;
    const char *why;
    unsigned n = 0;

    if (!presence_on)
        return;
    if (fleetmsg_presence_decode(data, len, &m, &presence_scratch, &why) != 0) {
        presence_stats.malformed++;
        log_debug("presence: message dropped: %s", why);
        return;
    }
    if (strcmp(m.uid, presence_uid) == 0)
        return;
    if (!m.question) {
        fleet_presence_answer(m.request_id, m.sockets);
        return;
    }
    /* For a join, the sockets of a user and channel with an event still
     * undecided here count as absent: of two nodes asking each other at
     * once, neither takes the other's new socket for an old one, so the
     * join is not lost (both may send it). For a leave they count: a
     * user leaving there while coming here stays, and the join from
     * here says so. */
    if (!m.join || presence_find(m.nsp, m.channel, m.user) == NULL)
        n = hub_user_sockets(m.nsp, m.channel, m.user);
    buf_reset(&presence_out);
    if (fleetmsg_presence_answer(&presence_out, presence_uid, m.request_id,
                                 n) != 0 ||
        redis_publish(fleet_presence_channel(), presence_out.data,
                      presence_out.len) != 0)
        return;
    presence_stats.answered++;
}

void presence_shutdown(void)
{
    if (!presence_on)
        return;
    hub_set_presence(NULL, NULL);
    presence_on = 0;
    buf_free(&presence_scratch);
    buf_free(&presence_out);
}
