/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upstream: forwards client events to the application over HTTP, FastCGI
 * or SCGI (the requests are upreq.c's): a connection pool, per-socket
 * order, a concurrency limit, timeouts, retries, and applying the answers. */
#include "upstream.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event_struct.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "fcgi.h"
#include "idmap.h"
#include "journal.h"
#include "log.h"
#include "sio.h"
#include "upans.h"
#include "upreq.h"
#include "upres.h"
#include "users.h"

/* Longest response taken from the application. */
#define UPSTREAM_MAX_RESPONSE (8u << 20)
#define UPREQ_FCGI_ID 1 /* one request per connection at a time */

struct upstream_stats upstream_stats;

/* What an event flood or an application outage repeats per event: a line
 * a second each, with the count. */
static struct log_summary upstream_full =
    LOG_SUMMARY_INIT("upstream events refused: the socket's queue is full "
                     "(--upstream-queue, --upstream-queue-bytes)");
static struct log_summary upstream_failed =
    LOG_SUMMARY_INIT("upstream requests failed");

static const double upstream_latency_bounds[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
struct hist_family upstream_latency = {upstream_latency_bounds,
                                       sizeof upstream_latency_bounds /
                                           sizeof upstream_latency_bounds[0],
                                       0,
                                       {{0}},
                                       {{{0}, 0, 0}}};

struct upstream_sock;

/* One event waiting for, or being answered by, the application. */
struct upstream_job {
    TAILQ_ENTRY(upstream_job) link;
    struct upstream_sock *us;
    int type;              /* enum hub_fwd_type */
    struct upreq_event ev; /* what the request carries, but the context */
    int64_t ack_id;
    char *channel;      /* SUBSCRIBE / UNSUBSCRIBE */
    int wait;           /* a SUBSCRIBE the hub waits for */
    char *nsp;          /* the socket's namespace, for actions naming none */
    unsigned tries;     /* sent again after a 503 this many times */
    int late;           /* a disconnect from the journal */
    struct event again; /* the wait before the next try; set once used */
};

/* The events of one socket, answered one at a time, in order. */
struct upstream_sock {
    struct idmap_node node; /* by sid */
    char *sid;
    TAILQ_HEAD(, upstream_job) jobs; /* the first is in flight when busy */
    unsigned njobs;
    size_t bytes; /* of the jobs' bodies */
    int busy;
    int ready; /* on upstream_ready */
    TAILQ_ENTRY(upstream_sock) ready_link;
    int gone;    /* disconnected: the context lives here now */
    int refused; /* its connect failed or was refused: the app never had
                    it, so a disconnect is not owed to it */
    char *ctx;
    size_t ctx_len;
};

enum upstream_conn_state {
    UPSTREAM_CONNECTING,
    UPSTREAM_SENDING,
    UPSTREAM_WAITING,
    UPSTREAM_IDLE,
};

static const char *const upstream_state_names[] = {"connecting", "sending",
                                                   "waiting", "idle"};

/* One connection to the application. */
struct upstream_conn {
    TAILQ_ENTRY(upstream_conn) link; /* upstream_idle or upstream_busy */
    unsigned id;
    int state;
    struct bufferevent *bev;
    struct upstream_job *job;
    struct event timer;
    int reused;     /* answered a request before this one */
    int got;        /* bytes of this job's answer have arrived */
    double t0;      /* when the job was sent on it (hist_now) */
    struct buf out; /* FastCGI: the STDOUT stream */
};

TAILQ_HEAD(upstream_conns, upstream_conn);

static struct event_base *upstream_base;
static struct upstream_config upstream_cfg;
static struct upreq_url upstream_u;
static char *upstream_secret;
static struct sockaddr_storage upstream_addr;
static socklen_t upstream_addrlen;
static struct idmap upstream_socks;
static TAILQ_HEAD(, upstream_sock)
    upstream_ready = TAILQ_HEAD_INITIALIZER(upstream_ready);
static struct upstream_conns upstream_idle =
    TAILQ_HEAD_INITIALIZER(upstream_idle);
static struct upstream_conns upstream_busy =
    TAILQ_HEAD_INITIALIZER(upstream_busy);
static unsigned upstream_nidle;
static unsigned upstream_next_conn;
static struct event upstream_pump_ev;
static int upstream_on;

static void upstream_start(struct upstream_job *job);
static void upstream_conn_free(struct upstream_conn *c);

/* ---- per-socket queues and the scheduler ---- */

static struct upstream_sock *upstream_sock_get(const char *sid, int create)
{
    struct upstream_sock *us =
        (struct upstream_sock *)idmap_get(&upstream_socks, sid);

    if (us != NULL || !create)
        return us;
    us = calloc(1, sizeof *us);
    if (us == NULL || (us->sid = strdup(sid)) == NULL) {
        free(us);
        return NULL;
    }
    TAILQ_INIT(&us->jobs);
    idmap_put(&upstream_socks, &us->node, us->sid);
    return us;
}

static void upstream_job_free(struct upstream_job *job)
{
    if (job->tries > 0)
        event_del(&job->again);
    upreq_event_free(&job->ev);
    free(job->channel);
    free(job->nsp);
    free(job);
}

static void upstream_sock_free(struct upstream_sock *us)
{
    struct upstream_job *job;

    while ((job = TAILQ_FIRST(&us->jobs)) != NULL) {
        TAILQ_REMOVE(&us->jobs, job, link);
        upstream_job_free(job);
    }
    if (us->ready) {
        TAILQ_REMOVE(&upstream_ready, us, ready_link);
        upstream_stats.queued--;
    }
    idmap_del(&upstream_socks, &us->node);
    free(us->ctx);
    free(us->sid);
    free(us);
}

static void upstream_kick(void)
{
    event_active(&upstream_pump_ev, EV_TIMEOUT, 1);
}

/* Puts a socket with waiting events and none in flight on the ready list. */
static void upstream_sock_ready(struct upstream_sock *us)
{
    if (us->busy || us->ready || TAILQ_EMPTY(&us->jobs))
        return;
    us->ready = 1;
    TAILQ_INSERT_TAIL(&upstream_ready, us, ready_link);
    upstream_stats.queued++;
    upstream_kick();
}

/* Runs from the loop, never inside a hub callback: dispatches while there
 * are free slots. */
static void upstream_pump(evutil_socket_t fd, short what, void *arg)
{
    struct upstream_sock *us;

    (void)fd;
    (void)what;
    (void)arg;
    while (upstream_stats.in_flight < upstream_cfg.concurrency &&
           (us = TAILQ_FIRST(&upstream_ready)) != NULL) {
        TAILQ_REMOVE(&upstream_ready, us, ready_link);
        us->ready = 0;
        upstream_stats.queued--;
        us->busy = 1;
        upstream_stats.in_flight++;
        upstream_stats.requests++;
        upstream_start(TAILQ_FIRST(&us->jobs));
    }
}

/* ---- building a request ---- */

/* A job for forwarded event `f`. */
static struct upstream_job *upstream_job_new(const struct hub_fwd *f)
{
    struct upstream_job *job = calloc(1, sizeof *job);
    struct timespec ts;

    if (job == NULL)
        return NULL;
    job->type = f->type;
    job->ack_id = f->ack_id;
    job->wait = f->wait;
    clock_gettime(CLOCK_REALTIME, &ts);
    if ((job->nsp = strdup(f->nsp)) == NULL ||
        ((f->type == HUB_FWD_SUBSCRIBE || f->type == HUB_FWD_UNSUBSCRIBE) &&
         (job->channel = strdup(f->channel)) == NULL) ||
        upreq_event_build(&job->ev, f, (double)ts.tv_sec + ts.tv_nsec / 1e9) !=
            0) {
        upstream_job_free(job);
        return NULL;
    }
    return job;
}

const char *upstream_forward(void *arg, const struct hub_fwd *f)
{
    struct upstream_sock *us;
    struct upstream_job *job;
    const char *ctx;
    size_t len;

    (void)arg;
    us = upstream_sock_get(f->sid, f->type == HUB_FWD_CONNECT);
    if (us == NULL)
        return f->type == HUB_FWD_CONNECT ? UPSTREAM_E_SERVER : NULL;
    if (f->type != HUB_FWD_DISCONNECT && us->njobs >= upstream_cfg.queue) {
        upstream_stats.overflows++;
        log_countf(&upstream_full, NULL, f->sid,
                   "%s refused, %u events wait already",
                   upreq_type_name(f->type), us->njobs);
        return UPSTREAM_E_OVERLOADED;
    }
    job = upstream_job_new(f);
    if (job == NULL) {
        log_warn_at(NULL, f->sid, "upstream: cannot build the %s request",
                    upreq_type_name(f->type));
        if (us->njobs == 0 &&
            (f->type == HUB_FWD_CONNECT || f->type == HUB_FWD_DISCONNECT))
            upstream_sock_free(us);
        return UPSTREAM_E_SERVER;
    }
    /* A queue of large events would pin memory the count cannot see. */
    if (f->type != HUB_FWD_DISCONNECT && us->njobs > 0 &&
        (us->bytes >= upstream_cfg.max_queue_bytes ||
         job->ev.len > upstream_cfg.max_queue_bytes - us->bytes)) {
        upstream_stats.overflows++;
        log_countf(&upstream_full, NULL, f->sid,
                   "%s of %zu bytes refused, %zu bytes wait already",
                   upreq_type_name(f->type), job->ev.len, us->bytes);
        upstream_job_free(job);
        return UPSTREAM_E_OVERLOADED;
    }
    job->us = us;
    if (f->type == HUB_FWD_CONNECT && us->gone) {
        /* A recovered socket back under its old id: the hub holds its
         * context again. */
        us->gone = 0;
        free(us->ctx);
        us->ctx = NULL;
        us->ctx_len = 0;
    }
    TAILQ_INSERT_TAIL(&us->jobs, job, link);
    us->njobs++;
    us->bytes += job->ev.len;
    if (f->type == HUB_FWD_DISCONNECT) {
        /* The hub forgets the socket now; its context stays with us for
         * the events still queued. */
        us->gone = 1;
        if ((ctx = hub_context(f->sid, &len)) != NULL &&
            (us->ctx = buf_dup(ctx, len)) != NULL)
            us->ctx_len = len;
    }
    upstream_sock_ready(us);
    return NULL;
}

/* ---- connections ---- */

static void upstream_conn_state(struct upstream_conn *c, int state)
{
    log_trace("upstream conn %u: %s -> %s", c->id,
              upstream_state_names[c->state], upstream_state_names[state]);
    c->state = state;
}

static void upstream_arm(struct upstream_conn *c)
{
    struct timeval tv;

    tv.tv_sec = upstream_cfg.timeout_ms / 1000;
    tv.tv_usec = (upstream_cfg.timeout_ms % 1000) * 1000;
    evtimer_add(&c->timer, &tv);
}

static void upstream_conn_free(struct upstream_conn *c)
{
    if (c->state == UPSTREAM_IDLE) {
        TAILQ_REMOVE(&upstream_idle, c, link);
        upstream_nidle--;
    } else {
        TAILQ_REMOVE(&upstream_busy, c, link);
    }
    event_del(&c->timer);
    bufferevent_free(c->bev);
    buf_free(&c->out);
    free(c);
}

/* Appends the whole request for `job` (body and signature) to `out`. */
static int upstream_request(struct upstream_job *job, struct buf *out)
{
    struct upstream_sock *us = job->us;
    const char *ctx = us->ctx;
    size_t ctx_len = us->ctx_len;

    if (!us->gone)
        ctx = hub_context(us->sid, &ctx_len);
    return upreq_append(out, &upstream_u, job->type, &job->ev, ctx, ctx_len,
                        upstream_secret, upstream_cfg.secret_len,
                        (long)time(NULL));
}

/* ---- answers ---- */

static void upstream_emit_action(const struct upstream_sock *us,
                                 const char *nsp, const struct upans_action *a)
{
    const char *to = a->channel ? a->channel : a->sid, *self = us->sid;
    struct hub_target t;

    memset(&t, 0, sizeof t);
    t.nsp = a->nsp ? a->nsp : nsp;
    if (to == NULL && !a->broadcast)
        to = self; /* no target: this socket */
    if (to != NULL) {
        t.rooms = &to;
        t.nrooms = 1;
        t.flags = a->channel ? 0 : HUB_F_SIDS;
    }
    if (a->except_self) {
        t.except = &self;
        t.nexcept = 1;
    }
    if (hub_emit(&t, a->json, a->len, a->at.f, a->at.n, 0, NULL, NULL) < 0)
        log_debug("upstream: socket %s: emit to %s reached nobody", us->sid,
                  to ? to : "?");
}

static void upstream_actions(const struct upstream_sock *us, const char *nsp,
                             struct upans *ans)
{
    const struct upans_action *a;
    const char *err, *target;

    while ((a = upans_next(ans)) != NULL) {
        target = a->sid ? a->sid : us->sid;
        switch (a->kind) {
        case UPANS_EMIT:
            upstream_emit_action(us, nsp, a);
            break;
        case UPANS_JOIN:
        case UPANS_LEAVE:
            if ((a->kind == UPANS_JOIN
                     ? hub_join(target, a->channel, &err)
                     : hub_leave(target, a->channel, &err)) != 0)
                log_debug("upstream: %s %s %s: %s",
                          a->kind == UPANS_JOIN ? "join" : "leave", target,
                          a->channel, err);
            break;
        case UPANS_DISCONNECT:
            hub_disconnect(target);
            break;
        case UPANS_BAD:
            upstream_stats.bad_actions++;
            log_warn_at(NULL, us->sid, "upstream: %s", a->why);
            break;
        }
    }
}

static void upstream_set_context(struct upstream_sock *us,
                                 const struct upans *ans)
{
    size_t len = ans->context_len;

    if (len > upstream_cfg.max_context) {
        upstream_stats.bad_actions++;
        log_warn_at(NULL, us->sid,
                    "upstream: context of %zu bytes is over the %zu-byte cap; "
                    "the old one is kept",
                    len, upstream_cfg.max_context);
        return;
    }
    if (!us->gone) {
        hub_set_context(us->sid, ans->context, len);
    } else {
        free(us->ctx);
        us->ctx = ans->context ? buf_dup(ans->context, len) : NULL;
        us->ctx_len = us->ctx ? len : 0;
    }
}

/* The app user the connect answer names (docs/presence.md): a bad one is
 * left out, counted and logged; the socket stays, with no user. */
static void upstream_set_user(struct upstream_sock *us, const struct upans *ans)
{
    const char *why = "user is not a string";

    if (ans->user_bad)
        users_stats.refused++;
    else if (ans->user == NULL)
        return;
    else if (users_valid(ans->user, strlen(ans->user), &why) &&
             hub_set_user(us->sid, ans->user, &why) == 0)
        return;
    log_warn_at(NULL, us->sid, "upstream: connect answer's user refused: %s",
                why);
}

/* Tells the client what became of an event the app could not answer. */
static void upstream_fail_job(struct upstream_job *job, const char *code,
                              const char *why)
{
    char reply[96];

    upstream_stats.errors++;
    log_countf(&upstream_failed, NULL, job->us->sid, "%s: %s (%s)",
               job->ev.what, why, code);
    switch (job->type) {
    case HUB_FWD_CONNECT:
        hub_connect_done(job->us->sid, code, NULL);
        /* Refused: no disconnect will follow (unless it was a recovered
         * socket's notice, accepted without asking). */
        if (hub_socket_nsp(job->us->sid) == NULL) {
            job->us->gone = 1;
            job->us->refused = 1;
        }
        break;
    case HUB_FWD_SUBSCRIBE:
        if (job->wait)
            hub_subscribe_done(job->us->sid, job->channel, job->ack_id, code);
        break;
    case HUB_FWD_EVENT:
        if (job->ack_id != SIO_NO_ID) {
            snprintf(reply, sizeof reply, "[{\"error\":\"%s\"}]", code);
            hub_ack(job->us->sid, job->ack_id, reply, strlen(reply), NULL, 0);
        }
        break;
    }
}

/* Applies a 2xx answer; returns NULL, or why it is not usable. */
static const char *upstream_apply(struct upstream_job *job, const char *body,
                                  size_t len)
{
    static const char bad_ack[] =
        "[{\"error\":\"" UPSTREAM_E_BAD_RESPONSE "\"}]";
    struct upstream_sock *us = job->us;
    const char *refusal, *why;
    struct upans ans;

    if (upans_decode(body, len, &ans, &why) != 0) {
        upans_free(&ans);
        return why;
    }
    upstream_stats.responses++;
    if (job->late) {
        /* Its socket is long gone and the world moved on: what the app
         * asks for now is not done (docs/upstream.md, late). */
        unsigned n = 0;
        while (upans_next(&ans) != NULL)
            n++;
        journal_ignored(n);
        upans_free(&ans);
        return NULL;
    }
    if (ans.has_context)
        upstream_set_context(us, &ans);
    refusal = ans.refused ? ans.message : NULL;
    switch (job->type) {
    case HUB_FWD_CONNECT:
        if (refusal == NULL) {
            hub_connect_done(us->sid, NULL, NULL);
            upstream_set_user(us, &ans);
        }
        break;
    case HUB_FWD_SUBSCRIBE:
        if (job->wait && refusal == NULL)
            hub_subscribe_done(us->sid, job->channel, job->ack_id, NULL);
        break;
    }
    upstream_actions(us, job->nsp, &ans);
    switch (job->type) {
    case HUB_FWD_CONNECT:
        if (refusal != NULL) {
            /* No socket, so no disconnect will come: we are done with it. */
            hub_connect_done(us->sid, refusal, ans.data);
            if (hub_socket_nsp(us->sid) == NULL) {
                us->gone = 1;
                us->refused = 1;
            }
        }
        break;
    case HUB_FWD_SUBSCRIBE:
        if (job->wait && refusal != NULL)
            hub_subscribe_done(us->sid, job->channel, job->ack_id, refusal);
        break;
    case HUB_FWD_EVENT:
        if (job->ack_id == SIO_NO_ID)
            break;
        if (ans.ack_why != NULL) {
            upstream_stats.bad_actions++;
            hub_ack(us->sid, job->ack_id, bad_ack, sizeof bad_ack - 1, NULL, 0);
        } else if (ans.ack == NULL) {
            hub_ack(us->sid, job->ack_id, "[]", 2, NULL, 0);
        } else {
            hub_ack(us->sid, job->ack_id, ans.ack, ans.ack_len, ans.ack_at.f,
                    ans.ack_at.n);
        }
        break;
    }
    upans_free(&ans);
    return NULL;
}

/* A disconnect the app could not take goes to the journal, with the
 * context it was sent with. */
static void upstream_owe(struct upstream_job *job)
{
    struct upstream_sock *us = job->us;
    struct buf doc = BUF_INIT;

    if (job->type != HUB_FWD_DISCONNECT || job->late || us->refused)
        return;
    if (buf_append(&doc, job->ev.head, job->ev.len) == 0 &&
        (us->ctx ? buf_append(&doc, us->ctx, us->ctx_len)
                 : buf_puts(&doc, "null")) == 0 &&
        buf_putc(&doc, '}') == 0)
        journal_put(us->sid, doc.data, doc.len, job->ev.len, job->ev.cookie,
                    job->ev.remote, job->ev.host);
    buf_free(&doc);
}

int upstream_late(void *arg, const struct journal_event *ev)
{
    struct upstream_sock *us;
    struct upstream_job *job;
    char key[JOURNAL_MAX_SID + 8];

    (void)arg;
    if (!upstream_on)
        return -1;
    /* Its own queue, apart from any live socket (a sid read back from the
     * state file is only as good as the file). */
    snprintf(key, sizeof key, "late:%s", ev->sid);
    if (upstream_sock_get(key, 0) != NULL)
        return -1;
    job = calloc(1, sizeof *job);
    if (job == NULL ||
        (job->ev.head = buf_dup(ev->head, ev->head_len)) == NULL ||
        (job->ev.what = strdup("late disconnect")) == NULL ||
        (ev->cookie && (job->ev.cookie = strdup(ev->cookie)) == NULL) ||
        (ev->remote && (job->ev.remote = strdup(ev->remote)) == NULL) ||
        (ev->host && (job->ev.host = strdup(ev->host)) == NULL) ||
        (us = upstream_sock_get(key, 1)) == NULL) {
        if (job != NULL)
            upstream_job_free(job);
        return -1;
    }
    us->gone = 1;
    if (ev->ctx != NULL && (us->ctx = buf_dup(ev->ctx, ev->ctx_len)) != NULL)
        us->ctx_len = ev->ctx_len;
    job->type = HUB_FWD_DISCONNECT;
    job->ack_id = SIO_NO_ID;
    job->late = 1;
    job->ev.len = ev->head_len;
    job->us = us;
    TAILQ_INSERT_TAIL(&us->jobs, job, link);
    us->njobs++;
    us->bytes += job->ev.len;
    upstream_sock_ready(us);
    return 0;
}

static void upstream_again_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    upstream_start(arg);
}

/* A 503 is what mod_wsgi, and proxies in front of other servers, answer
 * while the app's processes restart: the event goes again after 100, 200,
 * 400... ms, up to --upstream-retries times. The job stays first in its
 * socket's queue and in flight, so the socket's later events wait behind
 * it and a SIGTERM drain counts it. Returns 1 when it will go again. */
static int upstream_retry(struct upstream_job *job)
{
    unsigned ms;
    struct timeval tv;

    if (job->tries >= upstream_cfg.retries)
        return 0;
    ms = 100u << (job->tries < 10 ? job->tries : 10);
    if (job->tries++ == 0)
        evtimer_assign(&job->again, upstream_base, upstream_again_cb, job);
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    evtimer_add(&job->again, &tv);
    upstream_stats.retries++;
    log_info_at(NULL, job->us->sid, "upstream: %s answered 503; again in %u ms",
                job->ev.what, ms);
    return 1;
}

/* Settles a job that was in flight: `code` NULL when the answer is in
 * body[0..len) with `status`. The socket's next event may go afterwards;
 * the answer may queue more for it (a disconnect action), so the job
 * leaves the queue first and the socket is freed, if gone, last. */
static void upstream_done(struct upstream_job *job, const char *code,
                          const char *why, int status, const char *body,
                          size_t len)
{
    struct upstream_sock *us = job->us;
    char reason[96];
    int down, status5xx = code == NULL && status >= 500;

    if (code == NULL && status == 503 && upstream_retry(job))
        return;
    /* What says the app is not there (as opposed to: it answered no). */
    down = code == NULL ? status >= 500
                        : strcmp(code, UPSTREAM_E_TIMEOUT) == 0 ||
                              strcmp(code, UPSTREAM_E_UNAVAILABLE) == 0;
    TAILQ_REMOVE(&us->jobs, job, link);
    us->njobs--;
    us->bytes -= job->ev.len;
    us->busy = 0;
    upstream_stats.in_flight--;
    if (code == NULL && (status < 200 || status > 299)) {
        snprintf(reason, sizeof reason, "status %d", status);
        code = UPSTREAM_E_BAD_RESPONSE;
        why = reason;
    }
    if (code == NULL && (why = upstream_apply(job, body, len)) != NULL)
        code = UPSTREAM_E_BAD_RESPONSE;
    if (code != NULL) {
        if (strcmp(code, UPSTREAM_E_TIMEOUT) == 0)
            upstream_stats.timeouts++;
        else if (strcmp(code, UPSTREAM_E_UNAVAILABLE) == 0)
            upstream_stats.unavailable++;
        else if (strcmp(code, UPSTREAM_E_BAD_RESPONSE) == 0)
            upstream_stats.bad_responses++;
        upstream_fail_job(job, code, why);
        if (down && !job->late)
            upstream_owe(job);
    } else {
        log_debug("upstream: socket %s: %s answered", us->sid, job->ev.what);
        journal_app_up();
    }
    if (job->late)
        journal_settle(code == NULL ? JOURNAL_DELIVERED
                       : status5xx  ? JOURNAL_FAILED
                       : down       ? JOURNAL_DOWN
                                    : JOURNAL_REFUSED);
    upstream_job_free(job);
    if (us->njobs > 0)
        upstream_sock_ready(us);
    else if (us->gone)
        upstream_sock_free(us);
    upstream_kick();
}

/* Ends the job in flight on `c` (see upstream_done); the connection goes
 * back to the idle list when `keep`, after `consumed` input bytes are
 * dropped, else it is closed. `body` may point into its buffers, so the
 * answer is applied first. */
static void upstream_finish(struct upstream_conn *c, const char *code,
                            const char *why, int status, const char *body,
                            size_t len, int keep, size_t consumed)
{
    struct upstream_job *job = c->job;
    static const char *const protos[] = {"http", "fcgi", "scgi"};

    c->job = NULL;
    event_del(&c->timer);
    hist_observe(&upstream_latency, protos[upstream_u.proto],
                 hist_since(c->t0));
    upstream_done(job, code, why, status, body, len);
    if (keep && code == NULL && upstream_nidle < upstream_cfg.concurrency) {
        evbuffer_drain(bufferevent_get_input(c->bev), consumed);
        TAILQ_REMOVE(&upstream_busy, c, link);
        upstream_conn_state(c, UPSTREAM_IDLE);
        TAILQ_INSERT_HEAD(&upstream_idle, c, link);
        upstream_nidle++;
        c->reused = 1;
        buf_reset(&c->out);
    } else {
        upstream_conn_free(c);
    }
}

/* The connection failed before a whole answer: a kept-alive connection
 * that the app closed while idle gets the request again on a new one. */
static void upstream_broken(struct upstream_conn *c, const char *why)
{
    struct upstream_job *job = c->job;

    if (c->reused && !c->got && c->state != UPSTREAM_CONNECTING) {
        log_debug("upstream conn %u: closed while reused (%s); retrying", c->id,
                  why);
        c->job = NULL;
        upstream_conn_free(c);
        upstream_start(job);
        return;
    }
    upstream_finish(c, UPSTREAM_E_UNAVAILABLE, why, 0, NULL, 0, 0, 0);
}

/* Tries to complete the answer from what has arrived; `eof` when the app
 * closed. Returns 1 when the job is finished. */
static int upstream_try_http(struct upstream_conn *c, int eof)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t avail = evbuffer_get_length(in);
    struct upres r;

    if (avail == 0)
        return 0;
    switch (upres_http((char *)evbuffer_pullup(in, -1), avail, eof, &r)) {
    case UPRES_MORE:
        return 0;
    case UPRES_DONE:
        upstream_finish(c, NULL, NULL, r.status, r.body, r.len, r.keep,
                        r.consumed);
        return 1;
    case UPRES_CLOSED:
        upstream_broken(c, r.why);
        return 1;
    default:
        upstream_finish(c, UPSTREAM_E_BAD_RESPONSE, r.why, 0, NULL, 0, 0, 0);
        return 1;
    }
}

/* A CGI response (FastCGI stdout, SCGI) that is complete in data[0..len). */
static void upstream_cgi_done(struct upstream_conn *c, const char *data,
                              size_t len, int keep)
{
    struct upres r;

    if (upres_cgi(data, len, &r) != UPRES_DONE) {
        upstream_finish(c, UPSTREAM_E_BAD_RESPONSE, r.why, 0, NULL, 0, 0, 0);
        return;
    }
    upstream_finish(c, NULL, NULL, r.status, r.body, r.len, keep, 0);
}

static void upstream_fcgi_stderr(void *arg, const char *text, size_t len)
{
    (void)arg;
    log_warn("upstream: application stderr: %.*s", (int)(len > 500 ? 500 : len),
             text);
}

static int upstream_try_fcgi(struct upstream_conn *c, int eof)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t avail = evbuffer_get_length(in), used;
    const char *why = NULL;
    int r;

    if (avail == 0)
        return 0;
    r = upres_fcgi((const char *)evbuffer_pullup(in, -1), avail, UPREQ_FCGI_ID,
                   &c->out, &used, upstream_fcgi_stderr, NULL, &why);
    evbuffer_drain(in, used);
    switch (r) {
    case UPRES_MORE:
        return 0;
    case UPRES_DONE:
        upstream_cgi_done(c, c->out.data ? c->out.data : "", c->out.len,
                          !eof && evbuffer_get_length(in) == 0);
        return 1;
    case UPRES_NOMEM:
        upstream_finish(c, UPSTREAM_E_SERVER, "out of memory", 0, NULL, 0, 0,
                        0);
        return 1;
    default:
        upstream_finish(c, UPSTREAM_E_BAD_RESPONSE, why, 0, NULL, 0, 0, 0);
        return 1;
    }
}

/* SCGI: the answer runs to the close. */
static int upstream_try_scgi(struct upstream_conn *c, int eof)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);

    if (!eof || !c->got)
        return 0;
    upstream_cgi_done(c, (char *)evbuffer_pullup(in, -1),
                      evbuffer_get_length(in), 0);
    return 1;
}

/* One row per protocol (upreq's enum): how its answer is read (`eof` when
 * the app closed; 1 once the job is finished), and whether a connection
 * carries more than one request. */
static const struct upstream_proto {
    int (*try_answer)(struct upstream_conn *c, int eof);
    int reuses;
} upstream_protos[] = {
    [UPREQ_HTTP] = {upstream_try_http, 1},
    [UPREQ_FCGI] = {upstream_try_fcgi, 1},
    [UPREQ_SCGI] = {upstream_try_scgi, 0},
};

static void upstream_read_cb(struct bufferevent *bev, void *arg)
{
    struct upstream_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    if (c->job == NULL) {
        /* Nothing is due on an idle connection. */
        log_debug("upstream conn %u: unexpected bytes while idle", c->id);
        upstream_conn_free(c);
        return;
    }
    c->got = 1;
    if (evbuffer_get_length(in) + c->out.len > UPSTREAM_MAX_RESPONSE) {
        upstream_finish(c, UPSTREAM_E_BAD_RESPONSE, "response too long", 0,
                        NULL, 0, 0, 0);
        return;
    }
    upstream_protos[upstream_u.proto].try_answer(c, 0);
}

static void upstream_write_cb(struct bufferevent *bev, void *arg)
{
    struct upstream_conn *c = arg;

    (void)bev;
    if (c->job != NULL &&
        (c->state == UPSTREAM_SENDING || c->state == UPSTREAM_CONNECTING)) {
        /* Sent: the response gets its own full timeout. */
        upstream_conn_state(c, UPSTREAM_WAITING);
        upstream_arm(c);
    }
}

static void upstream_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct upstream_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char why[128];

    if (what & BEV_EVENT_CONNECTED) {
        log_trace("upstream conn %u: connected", c->id);
        if (!upstream_u.is_unix) {
            /* Requests go out whole; never hold a tail back for an ACK. */
            int one = 1;
            setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
                       sizeof one);
        }
        if (c->state == UPSTREAM_CONNECTING)
            upstream_conn_state(c, UPSTREAM_SENDING);
        return;
    }
    if (c->job == NULL) {
        upstream_conn_free(c); /* an idle one closed by the app */
        return;
    }
    if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
        if (evbuffer_get_length(in) > 0)
            c->got = 1;
        if (upstream_protos[upstream_u.proto].try_answer(c, 1))
            return;
        upstream_broken(c, c->got ? "closed before a whole response"
                                  : "closed without a response");
        return;
    }
    snprintf(why, sizeof why, "%s: %s",
             c->state == UPSTREAM_CONNECTING ? "connect" : "I/O",
             evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    upstream_broken(c, why);
}

static void upstream_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream_conn *c = arg;
    char why[96];

    (void)fd;
    (void)what;
    snprintf(why, sizeof why, "no %s within %u ms",
             c->state == UPSTREAM_CONNECTING ? "connection"
             : c->state == UPSTREAM_SENDING  ? "room to send"
                                             : "response",
             upstream_cfg.timeout_ms);
    upstream_finish(c, UPSTREAM_E_TIMEOUT, why, 0, NULL, 0, 0, 0);
}

static struct upstream_conn *upstream_conn_new(void)
{
    struct upstream_conn *c = calloc(1, sizeof *c);

    if (c == NULL)
        return NULL;
    c->bev = bufferevent_socket_new(upstream_base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        free(c);
        return NULL;
    }
    c->id = ++upstream_next_conn;
    c->state = UPSTREAM_CONNECTING;
    evtimer_assign(&c->timer, upstream_base, upstream_timeout_cb, c);
    bufferevent_setcb(c->bev, upstream_read_cb, upstream_write_cb,
                      upstream_event_cb, c);
    TAILQ_INSERT_TAIL(&upstream_busy, c, link);
    upstream_stats.connections++;
    return c;
}

/* Sends `job` (the head of its socket's queue, counted in flight) on an
 * idle connection or a new one. Failures finish the job through the usual
 * path; this runs from the loop (pump, or a connection callback). */
static void upstream_start(struct upstream_job *job)
{
    struct upstream_conn *c = NULL;
    struct buf req = BUF_INIT;
    int fresh = 0;

    if (upstream_protos[upstream_u.proto].reuses &&
        (c = TAILQ_FIRST(&upstream_idle)) != NULL) {
        TAILQ_REMOVE(&upstream_idle, c, link);
        upstream_nidle--;
        upstream_conn_state(c, UPSTREAM_SENDING);
        TAILQ_INSERT_TAIL(&upstream_busy, c, link);
        upstream_stats.reused++;
    } else if ((c = upstream_conn_new()) != NULL) {
        fresh = 1;
    } else {
        log_warn("upstream: out of memory for a connection");
        upstream_done(job, UPSTREAM_E_SERVER, "out of memory", 0, NULL, 0);
        return;
    }
    c->job = job;
    c->got = 0;
    c->t0 = hist_now();
    upstream_arm(c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (upstream_request(job, &req) != 0 ||
        bufferevent_write(c->bev, req.data, req.len) != 0) {
        buf_free(&req);
        upstream_finish(c, UPSTREAM_E_SERVER, "out of memory", 0, NULL, 0, 0,
                        0);
        return;
    }
    buf_free(&req);
    log_debug("upstream conn %u: socket %s: %s sent%s", c->id, job->us->sid,
              job->ev.what, fresh ? " (new connection)" : "");
    if (fresh &&
        bufferevent_socket_connect(c->bev, (struct sockaddr *)&upstream_addr,
                                   (int)upstream_addrlen) != 0) {
        char why[128];
        snprintf(why, sizeof why, "connect: %s", strerror(errno));
        upstream_finish(c, UPSTREAM_E_UNAVAILABLE, why, 0, NULL, 0, 0, 0);
    }
}

/* ---- set-up ---- */

int upstream_setup(struct event_base *base, const struct upstream_config *cfg,
                   const char **cause)
{
    struct addrinfo hints, *res = NULL;
    struct sockaddr_un *sun;
    int rc;

    if (upreq_parse_url(cfg->url, &upstream_u, cause) != 0)
        return -1;
    upstream_base = base;
    upstream_cfg = *cfg;
    if (upstream_cfg.concurrency == 0)
        upstream_cfg.concurrency = 1;
    if (upstream_cfg.max_queue_bytes == 0)
        upstream_cfg.max_queue_bytes = 4 << 20;
    if (upstream_cfg.queue == 0)
        upstream_cfg.queue = 1;
    memset(&upstream_addr, 0, sizeof upstream_addr);
    if (upstream_u.is_unix) {
        sun = (struct sockaddr_un *)&upstream_addr;
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, upstream_u.sock);
        upstream_addrlen = sizeof *sun;
    } else {
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        rc = getaddrinfo(upstream_u.host, upstream_u.port, &hints, &res);
        if (rc != 0) {
            *cause = gai_strerror(rc);
            return -1;
        }
        memcpy(&upstream_addr, res->ai_addr, res->ai_addrlen);
        upstream_addrlen = res->ai_addrlen;
        freeaddrinfo(res);
    }
    if (cfg->secret != NULL) {
        upstream_secret = malloc(cfg->secret_len + 1);
        if (upstream_secret == NULL) {
            *cause = "out of memory";
            return -1;
        }
        memcpy(upstream_secret, cfg->secret, cfg->secret_len);
        upstream_secret[cfg->secret_len] = '\0';
    }
    if (idmap_init(&upstream_socks) != 0) {
        *cause = "out of memory";
        return -1;
    }
    event_assign(&upstream_pump_ev, base, -1, 0, upstream_pump, NULL);
    upstream_on = 1;
    return 0;
}

void upstream_set_tuning(const struct upstream_config *cfg)
{
    upstream_cfg.concurrency = cfg->concurrency ? cfg->concurrency : 1;
    upstream_cfg.queue = cfg->queue ? cfg->queue : 1;
    upstream_cfg.timeout_ms = cfg->timeout_ms;
    upstream_cfg.retries = cfg->retries;
    upstream_cfg.max_context = cfg->max_context;
    upstream_cfg.max_queue_bytes =
        cfg->max_queue_bytes ? cfg->max_queue_bytes : 4 << 20;
    upstream_kick(); /* more slots may let waiting events go now */
}

const struct sockaddr *upstream_sockaddr(socklen_t *len)
{
    *len = upstream_addrlen;
    return upstream_on ? (const struct sockaddr *)&upstream_addr : NULL;
}

void upstream_shutdown(void)
{
    struct idmap_node *n;
    size_t b;

    if (!upstream_on)
        return;
    upstream_on = 0;
    event_del(&upstream_pump_ev);
    while (!TAILQ_EMPTY(&upstream_busy)) {
        struct upstream_conn *c = TAILQ_FIRST(&upstream_busy);
        c->job = NULL;
        upstream_conn_free(c);
    }
    while (!TAILQ_EMPTY(&upstream_idle))
        upstream_conn_free(TAILQ_FIRST(&upstream_idle));
    for (b = 0; b <= upstream_socks.mask; b++) {
        while ((n = upstream_socks.buckets[b]) != NULL) {
            struct upstream_sock *us = (struct upstream_sock *)n;
            struct upstream_job *job;
            /* The drain is over: what the app still owes is kept for the
             * next daemon (one in flight may have reached it: at least
             * once). */
            for (job = TAILQ_FIRST(&us->jobs); job != NULL;
                 job = TAILQ_NEXT(job, link))
                upstream_owe(job);
            upstream_sock_free(us);
        }
    }
    idmap_free(&upstream_socks);
    if (upstream_secret != NULL) {
        OPENSSL_cleanse(upstream_secret, upstream_cfg.secret_len);
        free(upstream_secret);
        upstream_secret = NULL;
    }
}
