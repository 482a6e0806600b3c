/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recfleet: connection state recovery across the fleet: a reconnect whose
 * session this node does not hold asks the other socketiod nodes (other
 * workers, other machines on the same Redis), and the one holding it hands
 * it over with the events it kept for it. */
#include "recfleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <event2/event.h>

#include "buf.h"
#include "hub.h"
#include "log.h"
#include "recfleetmsg.h"
#include "recover.h"
#include "redis.h"
#include "route.h"

struct recfleet_stats recfleet_stats;

/* A reconnect waiting for the fleet. */
struct recfleet_req {
    TAILQ_ENTRY(recfleet_req) link;
    char id[RECFLEETMSG_MAX_ID + 1];
    char *sid; /* the waiting socket's id for now */
    char *nsp;
    char pid[RECFLEETMSG_PID_LEN + 1]; /* the client's */
    char offset[RECFLEETMSG_MAX_OFFSET + 1];
    struct buf msg;
    struct event *timer;
    long expected; /* other nodes; -1 until NUMSUB answered */
    long answered;
    /* This node's ring when the question went out (seq_sent) and when
     * Redis handed it back (seq_echo): what the holder cannot have had. */
    uint64_t seq_sent, seq_echo;
    int numsub_wait, ended, echoed;
};

static TAILQ_HEAD(, recfleet_req)
    recfleet_pending = TAILQ_HEAD_INITIALIZER(recfleet_pending);
static struct event_base *recfleet_base;
static const char *recfleet_uid;
static const char *recfleet_key;
static unsigned recfleet_timeout_ms;
static size_t recfleet_max_message;
static char *recfleet_channel; /* "<key>-recovery#": the questions */
static char *recfleet_mine;    /* "<key>-recovery#<uid>#": answers to us */
static int recfleet_on;
static struct buf recfleet_out;

static uint64_t recfleet_wall_ms(void)
{
    struct timeval tv;

    event_base_gettimeofday_cached(recfleet_base, &tv);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void recfleet_req_free(struct recfleet_req *r)
{
    if (r->timer != NULL)
        event_free(r->timer);
    buf_free(&r->msg);
    free(r->sid);
    free(r->nsp);
    free(r);
}

/* Ends a question: the socket goes on with `rs` (NULL: a new session). */
static void recfleet_end(struct recfleet_req *r, struct recover_session *rs)
{
    char *sid = r->sid;

    if (r->ended)
        return;
    r->ended = 1;
    if (r->timer != NULL)
        evtimer_del(r->timer);
    TAILQ_REMOVE(&recfleet_pending, r, link);
    recfleet_stats.pending--;
    r->sid = NULL;
    if (!r->numsub_wait)
        recfleet_req_free(r);
    hub_recover_remote(sid, rs);
    free(sid);
}

static void recfleet_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct recfleet_req *r = arg;

    (void)fd;
    (void)what;
    recfleet_stats.timeouts++;
    recfleet_stats.none++;
    recfleet_end(r, NULL);
}

static void recfleet_numsub_cb(void *arg, long n)
{
    struct recfleet_req *r = arg;

    r->numsub_wait = 0;
    if (r->ended) {
        recfleet_req_free(r);
        return;
    }
    /* Redis counts this node too: it never answers itself. */
    r->expected = n - (redis_subscribed(recfleet_channel) ? 1 : 0);
    if (n < 0 || r->expected <= 0) {
        recfleet_stats.none++;
        recfleet_end(r, NULL);
        return;
    }
    r->seq_sent = recover_seq_now();
    if (redis_publish(recfleet_channel, r->msg.data, r->msg.len) != 0) {
        recfleet_stats.none++;
        recfleet_end(r, NULL);
        return;
    }
    recfleet_stats.asked++;
}

/* The hub's question: asks the fleet for the session of `pid`. */
static int recfleet_ask(void *arg, const char *sid, const char *nsp,
                        const char *pid, const char *offset)
{
    struct timeval tv = {recfleet_timeout_ms / 1000,
                         (recfleet_timeout_ms % 1000) * 1000};
    struct recfleet_req *r;

    (void)arg;
    if (!recfleet_on || !redis_stats.connected ||
        recfleet_stats.pending >= RECFLEET_MAX_PENDING) {
        recfleet_stats.refused++;
        return -1;
    }
    if ((r = calloc(1, sizeof *r)) == NULL)
        return -1;
    r->expected = -1;
    snprintf(r->pid, sizeof r->pid, "%s", pid);
    snprintf(r->offset, sizeof r->offset, "%s", offset);
    if (route_random_name(r->id, 16) != 0 || (r->sid = strdup(sid)) == NULL ||
        (r->nsp = strdup(nsp)) == NULL ||
        recfleetmsg_ask(&r->msg, recfleet_uid, r->id, nsp, pid, offset) != 0 ||
        (r->timer = evtimer_new(recfleet_base, recfleet_timer_cb, r)) == NULL ||
        redis_numsub(recfleet_channel, recfleet_numsub_cb, r) != 0) {
        recfleet_stats.refused++;
        recfleet_req_free(r);
        return -1;
    }
    r->numsub_wait = 1;
    evtimer_add(r->timer, &tv);
    TAILQ_INSERT_TAIL(&recfleet_pending, r, link);
    recfleet_stats.pending++;
    return 0;
}

static struct recfleet_req *recfleet_find(const char *id)
{
    struct recfleet_req *r;

    TAILQ_FOREACH(r, &recfleet_pending, link)
    if (strcmp(r->id, id) == 0)
        return r;
    return NULL;
}

/* Gathers the packets of a replay into an array. */
struct recfleet_gather {
    struct recfleetmsg_packet *pk;
    size_t n, cap;
    int failed;
};

static void recfleet_gather_cb(void *arg, const struct recover_packet *p)
{
    struct recfleet_gather *g = arg;
    struct recfleetmsg_packet *pk;

    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        if ((pk = realloc(g->pk, g->cap * sizeof *pk)) == NULL) {
            g->failed = 1;
            g->cap = g->n;
            return;
        }
        g->pk = pk;
    }
    g->pk[g->n].json = p->json;
    g->pk[g->n].len = p->len;
    g->pk[g->n].attach = p->attach;
    g->pk[g->n].nattach = p->nattach;
    g->n++;
}

/* Another node's question: the session, when this node holds it, goes to
 * the asker with what it missed; else "not here". */
static void recfleet_question(const struct recfleetmsg *m)
{
    struct recfleet_gather g = {0};
    struct recfleetmsg_session s;
    struct recover_session *rs;
    struct buf ch = BUF_INIT;
    int unknown, ok = 0;

    rs = recover_take_pid(m->pid, m->offset, m->nsp, recfleet_wall_ms(),
                          &unknown);
    /* Its old socket still here (its end not yet seen) keeps it. */
    if (rs != NULL && hub_sock_alive(rs->sid)) {
        recover_done(rs, 0);
        rs = NULL;
    }
    if (buf_printf(&ch, "%s-recovery#%s#", recfleet_key, m->uid) != 0 ||
        buf_putc(&ch, '\0') != 0) {
        if (rs != NULL)
            recover_untake(rs);
        buf_free(&ch);
        return;
    }
    buf_reset(&recfleet_out);
    if (rs != NULL) {
        s.sid = rs->sid;
        s.nsp = rs->nsp;
        s.channels = (const char *const *)rs->channels;
        s.nchannels = rs->nchannels;
        s.context = rs->context;
        s.context_len = rs->context_len;
        if (recover_replay(rs, recfleet_gather_cb, &g) >= 0 && !g.failed &&
            recfleetmsg_answer(&recfleet_out, recfleet_uid, m->request_id, &s,
                               g.pk, g.n) == 0) {
            if (recfleet_out.len <= recfleet_max_message)
                ok = 1;
            else
                recfleet_stats.oversized++;
        }
        free(g.pk);
        if (!ok) {
            /* Kept for a reconnect that reaches this node. */
            recover_untake(rs);
            rs = NULL;
            buf_reset(&recfleet_out);
        }
    }
    if (rs == NULL && recfleetmsg_answer(&recfleet_out, recfleet_uid,
                                         m->request_id, NULL, NULL, 0) != 0) {
        buf_free(&ch);
        return;
    }
    if (redis_publish(ch.data, recfleet_out.data, recfleet_out.len) != 0) {
        if (rs != NULL)
            recover_untake(rs);
    } else {
        recfleet_stats.answered++;
        if (rs != NULL) {
            log_debug("recovery: session %s handed to node %s", rs->sid,
                      m->uid);
            recover_give(rs);
        }
    }
    buf_free(&ch);
}

/* A holder's answer: the session, checked against this node's caps,
 * comes back with the events it missed, then those this node's ring has
 * that the holder could not have had. */
static void recfleet_answer(struct recfleetmsg *m)
{
    struct recfleet_req *r = recfleet_find(m->request_id);
    struct recover_session *rs;
    size_t i;
    long n = 0;

    if (r == NULL) {
        if (m->found) {
            recfleet_stats.late++;
            log_debug("recovery: session %s came after its question ended: "
                      "lost",
                      m->sid);
        }
        return;
    }
    if (!m->found) {
        r->answered++;
        if (r->expected >= 0 && r->answered >= r->expected) {
            recfleet_stats.none++;
            recfleet_end(r, NULL);
        }
        return;
    }
    if (strcmp(m->nsp, r->nsp) != 0 || m->bytes > recover_max_bytes()) {
        recfleet_stats.bad++;
        recfleet_stats.none++;
        recfleet_end(r, NULL);
        return;
    }
    rs = recover_adopt(r->pid, r->offset, m->sid, m->nsp,
                       (const char *const *)m->channels, m->nchannels,
                       m->context, m->context_len, recfleet_wall_ms());
    for (i = 0; rs != NULL && i < m->npackets; i++)
        if (recover_adopt_packet(rs, m->packets[i].json, m->packets[i].len,
                                 m->packets[i].attach,
                                 m->packets[i].nattach) != 0) {
            recover_done(rs, 0);
            rs = NULL;
        }
    if (rs != NULL &&
        (n = recover_adopt_since(rs, r->seq_sent,
                                 r->echoed ? r->seq_echo : recover_seq_now(),
                                 recover_origin(m->uid, strlen(m->uid)))) < 0) {
        recover_done(rs, 0);
        rs = NULL;
    } else if (rs != NULL) {
        recfleet_stats.window += (uint64_t)n;
    }
    recfleet_end(r, rs);
}

int recfleet_message(const char *channel, size_t clen, const char *data,
                     size_t len)
{
    struct recfleetmsg m;
    struct recfleet_req *r;
    const char *why;
    int mine;

    if (!recfleet_on)
        return 0;
    if ((mine = clen == strlen(recfleet_mine) &&
                memcmp(channel, recfleet_mine, clen) == 0) == 0 &&
        !(clen == strlen(recfleet_channel) &&
          memcmp(channel, recfleet_channel, clen) == 0))
        return 0;
    if (recfleetmsg_decode(data, len, &m, &why) != 0) {
        recfleet_stats.bad++;
        log_debug("recovery: fleet message dropped: %s", why);
        return 1;
    }
    if (mine && !m.question) {
        recfleet_answer(&m);
    } else if (!mine && m.question) {
        if (strcmp(m.uid, recfleet_uid) != 0)
            recfleet_question(&m);
        else if ((r = recfleet_find(m.request_id)) != NULL && !r->echoed) {
            r->echoed = 1;
            r->seq_echo = recover_seq_now();
        }
    } else {
        recfleet_stats.bad++;
    }
    recfleetmsg_free(&m);
    return 1;
}

int recfleet_setup(struct event_base *base, const char *key, const char *uid,
                   unsigned timeout_ms, size_t max_message)
{
    struct buf b = BUF_INIT;

    recfleet_base = base;
    recfleet_key = key;
    recfleet_uid = uid;
    recfleet_timeout_ms = timeout_ms;
    recfleet_max_message =
        max_message < RECFLEET_MAX_ANSWER ? max_message : RECFLEET_MAX_ANSWER;
    if (buf_printf(&b, "%s-recovery#", key) != 0 || buf_putc(&b, '\0') != 0 ||
        (recfleet_channel = strdup(b.data)) == NULL) {
        buf_free(&b);
        return -1;
    }
    buf_reset(&b);
    if (buf_printf(&b, "%s-recovery#%s#", key, uid) != 0 ||
        buf_putc(&b, '\0') != 0 || (recfleet_mine = strdup(b.data)) == NULL) {
        buf_free(&b);
        return -1;
    }
    buf_free(&b);
    if (redis_subscribe(recfleet_channel) != 0 ||
        redis_subscribe(recfleet_mine) != 0)
        return -1;
    recfleet_on = 1;
    hub_set_recfleet(recfleet_ask, NULL);
    return 0;
}

void recfleet_shutdown(void)
{
    struct recfleet_req *r;

    if (!recfleet_on)
        return;
    hub_set_recfleet(NULL, NULL);
    while ((r = TAILQ_FIRST(&recfleet_pending)) != NULL)
        recfleet_end(r, NULL);
    recfleet_on = 0;
    buf_free(&recfleet_out);
    free(recfleet_channel);
    free(recfleet_mine);
    recfleet_channel = recfleet_mine = NULL;
}
