/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* hub: who is connected: sockets by id, namespaces, channels, and fan-out. */
#include "hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "log.h"
#include "msglog.h"
#include "recover.h"
#include "sio.h"
#include "timerq.h"
#include "turn.h"
#include "users.h"

struct hub_stats hub_stats;

/* Fan-outs iterate namespaces' sockets and channels' members while a
 * delivery may end a receiver's session, and with it sockets and members
 * not yet visited. So nothing is freed before the end of the loop turn
 * (turn_defer): a dropped record is unlinked at once and marked dead
 * (hub_sock.dead, hub_member.hs NULL), and a fan-out skips dead records and
 * goes on through their links. That relies on glibc's sys/queue.h leaving
 * a removed element's own next pointer as it was; the chain from a dead
 * record leads only forward, to records that were after it, so nobody
 * alive is skipped or visited twice. */

struct hub_nsp {
    struct idmap_node node;
    char *name;
    TAILQ_HEAD(, hub_sock) socks;
    unsigned nsocks;
    struct idmap channels;
    struct turn_node dead;
    uint8_t own; /* hub_set_own's namespace */
};

struct hub_channel {
    struct idmap_node node;
    char *name;
    struct hub_nsp *nsp;
    LIST_HEAD(, hub_member) members;
    unsigned count;
    uint8_t user; /* an app user's room (users.h) */
    struct turn_node dead;
};

/* One socket in one channel, linked from both sides. A dropped member
 * waits on hub_dead_members (through `next_dead`, as no fan-out reads the
 * channel of a dead member): one turn node for all of them, as a socket
 * may leave a thousand channels at once. */
struct hub_member {
    LIST_ENTRY(hub_member) in_channel;
    LIST_ENTRY(hub_member) in_sock;
    union {
        struct hub_channel *ch;
        struct hub_member *next_dead;
    };
    struct hub_sock *hs; /* NULL once dropped */
};

struct hub_sock {
    union {
        struct idmap_node node;     /* by socket id, while not dead */
        struct turn_node dead_node; /* then until the end of the turn */
    };
    TAILQ_ENTRY(hub_sock) in_nsp;
    struct sock *s;
    struct hub_nsp *nsp;
    /* Its app user's room (users.h), when it has one, comes first: the
     * user id is stored once per user, in that room's name, and a socket
     * without a user costs nothing (hub_user_of). */
    LIST_HEAD(, hub_member) channels;
    unsigned nchannels;
    uint32_t stamp;  /* last multi-channel emit that reached it */
    uint8_t pending; /* CONNECT forwarded, not answered: not in nsp->socks */
    uint8_t dead;    /* dropped; freed at the end of the turn */
    uint8_t asking;  /* pending: the fleet is asked for its session */
    char *context;   /* the forwarder's per-socket JSON, NULL when none */
    size_t context_len;
    char *auth; /* the CONNECT payload, kept for the forwarder */
    size_t auth_len;
    uint32_t tokens_milli; /* event rate bucket, in thousandths of events */
    uint32_t tokens_ms;    /* when the bucket was last filled (ms, wraps) */
};

/* An acked emit waiting for its receivers. */
struct hub_ackreq {
    int64_t id;
    unsigned waiting;
    size_t n, cap; /* results filled, and room for */
    struct hub_ack_result *results;
    hub_ack_done done;
    hub_ack_each each;
    void *arg;
    struct event timer;
    int finished;
};

static struct event_base *hub_base;
static int hub_relay;
static struct idmap hub_nsps;
static struct idmap hub_socks;
static int64_t hub_next_ack = 1;
static uint32_t hub_next_stamp;
static hub_forward_cb hub_fwd_cb;
static void *hub_fwd_arg;
static int hub_private_channels;
static struct hub_limits hub_lim = {HUB_MAX_CHANNELS_PER_SOCKET, 0, 0,
                                    HUB_FLOOD_DROP};
static hub_publish_cb hub_pub_cb;
static void *hub_pub_arg;
static void (*hub_nsp_cb)(void *arg, const char *nsp);
static void *hub_nsp_arg;
static struct hub_member *hub_dead_members;
static struct turn_node hub_dead_node;
static struct hub_own hub_own;
static char *hub_own_nsp;
static struct hub_watch hub_w;
static int hub_recover_authorize;
static hub_recfleet_cb hub_recfleet;
static void *hub_recfleet_arg;
static hub_presence_cb hub_pres_cb;
static void *hub_pres_arg;

void hub_set_limits(const struct hub_limits *lim)
{
    hub_lim = *lim;
    if (hub_lim.event_burst == 0)
        hub_lim.event_burst = hub_lim.event_rate;
    /* The bucket counts thousandths of events in 32 bits. */
    if (hub_lim.event_burst > UINT32_MAX / 1000)
        hub_lim.event_burst = UINT32_MAX / 1000;
}

static const double hub_fanout_bounds[] = {
    0, 1, 10, 100, 1000, 10000, 100000, 1000000,
};
struct hist_family hub_fanout = {hub_fanout_bounds,
                                 sizeof hub_fanout_bounds /
                                     sizeof hub_fanout_bounds[0],
                                 0,
                                 {{0}},
                                 {{{0}, 0, 0}}};

/* Events over --max-event-rate, one log line a second however many. */
static struct log_summary hub_rate_limited =
    LOG_SUMMARY_INIT("client events over --max-event-rate");

/* Takes one event from the socket's token bucket: 1 when it may pass. */
static int hub_rate_take(struct hub_sock *hs)
{
    uint32_t now = (uint32_t)timerq_now_ms(hub_base);
    uint32_t cap = hub_lim.event_burst * 1000;
    uint64_t t;

    /* event_rate events per second = event_rate thousandths per ms. */
    t = hs->tokens_milli +
        (uint64_t)(uint32_t)(now - hs->tokens_ms) * hub_lim.event_rate;
    hs->tokens_milli = t > cap ? cap : (uint32_t)t;
    hs->tokens_ms = now;
    if (hs->tokens_milli < 1000)
        return 0;
    hs->tokens_milli -= 1000;
    return 1;
}

void hub_setup(struct event_base *base, int relay)
{
    hub_base = base;
    hub_relay = relay;
    if (idmap_init(&hub_nsps) != 0 || idmap_init(&hub_socks) != 0)
        abort();
}

/* Any socket, connected or with its CONNECT still pending. */
static struct hub_sock *hub_find_any(const char *sid)
{
    return (struct hub_sock *)idmap_get(&hub_socks, sid);
}

/* A connected socket. */
static struct hub_sock *hub_find(const char *sid)
{
    struct hub_sock *hs = hub_find_any(sid);

    return hs != NULL && !hs->pending ? hs : NULL;
}

void hub_set_forward(hub_forward_cb cb, void *arg, int private_channels)
{
    hub_fwd_cb = cb;
    hub_fwd_arg = arg;
    hub_private_channels = private_channels;
}

/* Fills what every forwarded event carries. */
static void hub_fwd_init(struct hub_fwd *f, int type, struct hub_sock *hs)
{
    memset(f, 0, sizeof *f);
    f->type = type;
    f->sid = hs->s->id;
    f->eio_sid = sock_eio_sid(hs->s);
    f->nsp = hs->s->nsp;
    f->transport = sock_transport(hs->s);
    f->protocol = sock_eio_version(hs->s);
    f->meta = sock_meta(hs->s, NULL);
    f->auth = hs->auth;
    f->auth_len = hs->auth_len;
    f->ack_id = SIO_NO_ID;
}

static struct hub_nsp *hub_nsp_get(const char *name, int create)
{
    struct hub_nsp *n = (struct hub_nsp *)idmap_get(&hub_nsps, name);

    if (n != NULL || !create)
        return n;
    n = calloc(1, sizeof *n);
    if (n == NULL || (n->name = strdup(name)) == NULL ||
        idmap_init(&n->channels) != 0) {
        if (n != NULL)
            free(n->name);
        free(n);
        return NULL;
    }
    TAILQ_INIT(&n->socks);
    n->own = hub_own_nsp != NULL && strcmp(name, hub_own_nsp) == 0;
    idmap_put(&hub_nsps, &n->node, n->name);
    hub_stats.namespaces++;
    if (hub_nsp_cb != NULL)
        hub_nsp_cb(hub_nsp_arg, n->name);
    return n;
}

static void hub_nsp_free(struct turn_node *node)
{
    struct hub_nsp *n = TURN_OF(node, struct hub_nsp, dead);

    idmap_free(&n->channels);
    free(n->name);
    free(n);
}

static void hub_nsp_release(struct hub_nsp *n)
{
    if (n->nsocks > 0 || n->channels.count > 0)
        return;
    idmap_del(&hub_nsps, &n->node);
    hub_stats.namespaces--;
    turn_defer(&n->dead, hub_nsp_free);
}

/* ---- channels ---- */

/* Writes a JSON string literal of `s` (for the few replies built here). */
static void hub_json_string(char *out, size_t cap, const char *s)
{
    size_t o = 0;

    if (cap < 3)
        return;
    out[o++] = '"';
    for (; *s && o + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

static struct hub_member *hub_membership(struct hub_sock *hs, const char *ch)
{
    struct hub_member *m;

    LIST_FOREACH(m, &hs->channels, in_sock)
    if (strcmp(m->ch->name, ch) == 0)
        return m;
    return NULL;
}

/* The socket's membership of its app user's room, NULL when none. */
static struct hub_member *hub_user_of(const struct hub_sock *hs)
{
    struct hub_member *m = LIST_FIRST(&hs->channels);

    return m != NULL && m->ch->user ? m : NULL;
}

/* 1 when `hs` is in channel `ch`. */
static int hub_in(const struct hub_sock *hs, const struct hub_channel *ch)
{
    const struct hub_member *m;

    LIST_FOREACH(m, &hs->channels, in_sock)
    if (m->ch == ch)
        return 1;
    return 0;
}

/* The sockets of the user whose room is `room` in channel `ch`, counted
 * from the smaller side: the user's tabs, or the channel's members. */
static unsigned hub_user_in(const struct hub_channel *room,
                            const struct hub_channel *ch)
{
    const struct hub_member *m, *u;
    unsigned n = 0;

    if (room->count <= ch->count) {
        LIST_FOREACH(m, &room->members, in_channel)
        if (m->hs != NULL && hub_in(m->hs, ch))
            n++;
    } else {
        LIST_FOREACH(m, &ch->members, in_channel)
        if (m->hs != NULL && (u = hub_user_of(m->hs)) != NULL && u->ch == room)
            n++;
    }
    return n;
}

/* A presence event waiting for the end of the turn: a join or leave may
 * happen inside a fan-out (a delivery ends a session), and an emit from
 * there would restamp the receivers of the one under way. FIFO, so a
 * join and a leave in one turn go out in that order. */
struct hub_presence_ev {
    struct hub_presence_ev *next;
    size_t len;
    char nsp_and_json[]; /* the namespace, its NUL, the event's JSON */
};

static struct hub_presence_ev *hub_presence_head, **hub_presence_tail;
static struct turn_node hub_presence_node;
static int hub_presence_queued;

static void hub_presence_flush(struct turn_node *node)
{
    struct hub_presence_ev *e;
    struct hub_target t;
    const char *json;

    (void)node;
    while ((e = hub_presence_head) != NULL) {
        hub_presence_head = e->next;
        json = e->nsp_and_json + strlen(e->nsp_and_json) + 1;
        memset(&t, 0, sizeof t);
        t.nsp = e->nsp_and_json;
        t.rooms = (const char *const[]){json + e->len + 1};
        t.nrooms = 1;
        hub_emit(&t, json, e->len, NULL, 0, 0, NULL, NULL);
        free(e);
    }
    hub_presence_queued = 0;
}

void hub_presence_emit(const char *nsp, const char *chname, const char *user,
                       int join, unsigned n)
{
    char qch[2 * HUB_MAX_CHANNEL_NAME + 8], quser[2 * USERS_MAX_NAME + 8];
    struct hub_presence_ev *e;
    size_t nsp_len, ch_len, cap;
    int len;

    /* Names hold no control character: only " and \ are escaped. */
    hub_json_string(qch, sizeof qch, chname);
    hub_json_string(quser, sizeof quser, user);
    nsp_len = strlen(nsp);
    ch_len = strlen(chname);
    cap = strlen(qch) + strlen(quser) + 80;
    if ((e = malloc(sizeof *e + nsp_len + 1 + cap + ch_len + 1)) == NULL)
        return;
    memcpy(e->nsp_and_json, nsp, nsp_len + 1);
    len = snprintf(e->nsp_and_json + nsp_len + 1, cap,
                   "[\"presence:%s\",{\"channel\":%s,\"user\":%s,"
                   "\"sockets\":%u}]",
                   join ? "join" : "leave", qch, quser, n);
    if (len < 0 || (size_t)len >= cap) {
        free(e);
        return;
    }
    e->len = (size_t)len;
    memcpy(e->nsp_and_json + nsp_len + 1 + len + 1, chname, ch_len + 1);
    e->next = NULL;
    if (hub_presence_head == NULL)
        hub_presence_tail = &hub_presence_head;
    *hub_presence_tail = e;
    hub_presence_tail = &e->next;
    users_stats.presence_events++;
    if (!hub_presence_queued) {
        hub_presence_queued = 1;
        turn_defer(&hub_presence_node, hub_presence_flush);
    }
}

/* Queues presence:join or presence:leave to channel `ch` about the user
 * whose room is `room`, when --presence covers `ch` and the user's sockets
 * in it say the first came (1) or the last went (0); the presence
 * callback (the fleet's) may take it to decide later. */
static void hub_presence(const struct hub_channel *ch,
                         const struct hub_channel *room, int join)
{
    const char *user;
    unsigned n;

    if (!users_presence(ch->name))
        return;
    n = hub_user_in(room, ch);
    if (n != (join ? 1u : 0u))
        return;
    user = users_of_room(room->name);
    if (hub_pres_cb != NULL &&
        hub_pres_cb(hub_pres_arg, ch->nsp->name, ch->name, user, join, n))
        return;
    hub_presence_emit(ch->nsp->name, ch->name, user, join, n);
}

void hub_set_presence(hub_presence_cb cb, void *arg)
{
    hub_pres_cb = cb;
    hub_pres_arg = arg;
}

unsigned hub_user_sockets(const char *nsp, const char *channel,
                          const char *user)
{
    struct hub_nsp *n = hub_nsp_get(nsp, 0);
    struct hub_channel *ch, *room;
    char rname[USERS_ROOM_MAX];

    if (n == NULL)
        return 0;
    users_room(rname, user);
    ch = (struct hub_channel *)idmap_get(&n->channels, channel);
    room = (struct hub_channel *)idmap_get(&n->channels, rname);
    if (ch == NULL || ch->user || room == NULL || !room->user)
        return 0;
    return hub_user_in(room, ch);
}

/* Adds `hs` to channel `name` (valid, or a user's room when it has none:
 * hub_set_user). */
static int hub_sock_add(struct hub_sock *hs, const char *name, const char **err)
{
    struct hub_channel *ch;
    struct hub_member *m, *u = hub_user_of(hs);
    int room = users_of_room(name) != NULL;

    if (hub_membership(hs, name) != NULL)
        return 0;
    if (!room && hs->nchannels - (u != NULL) >= hub_lim.max_channels) {
        *err = "too many channels for one socket";
        return -1;
    }
    /* The membership first: a channel is never made that none is in. */
    if ((m = malloc(sizeof *m)) == NULL) {
        *err = "out of memory";
        return -1;
    }
    ch = (struct hub_channel *)idmap_get(&hs->nsp->channels, name);
    if (ch == NULL) {
        ch = calloc(1, sizeof *ch);
        if (ch == NULL || (ch->name = strdup(name)) == NULL) {
            free(ch);
            free(m);
            *err = "out of memory";
            return -1;
        }
        ch->nsp = hs->nsp;
        ch->user = (uint8_t)room;
        LIST_INIT(&ch->members);
        idmap_put(&hs->nsp->channels, &ch->node, ch->name);
        if (room)
            hub_stats.users++;
        else
            hub_stats.channels++;
    }
    m->ch = ch;
    m->hs = hs;
    LIST_INSERT_HEAD(&ch->members, m, in_channel);
    if (u != NULL)
        LIST_INSERT_AFTER(u, m, in_sock);
    else
        LIST_INSERT_HEAD(&hs->channels, m, in_sock);
    ch->count++;
    hs->nchannels++;
    log_debug("socket %s: joined channel %s", hs->s->id, name);
    if (u != NULL)
        hub_presence(ch, u->ch, 1);
    if (hub_w.joined != NULL && !room)
        hub_w.joined(hub_w.arg, hs->nsp->name, name, hs->s->id);
    return 0;
}

static int hub_sock_join(struct hub_sock *hs, const char *name,
                         const char **err)
{
    if (name[0] == '\0' || strlen(name) > HUB_MAX_CHANNEL_NAME) {
        *err = "channel names are 1 to 1024 bytes";
        return -1;
    }
    if (!sio_name_valid(name, strlen(name))) {
        hub_stats.names_refused++;
        *err = HUB_E_BAD_CHANNEL;
        return -1;
    }
    if (users_of_room(name) != NULL) {
        hub_stats.names_refused++;
        *err = HUB_E_RESERVED;
        return -1;
    }
    return hub_sock_add(hs, name, err);
}

static void hub_channel_free(struct turn_node *n)
{
    struct hub_channel *ch = TURN_OF(n, struct hub_channel, dead);

    free(ch->name);
    free(ch);
}

static void hub_members_free(struct turn_node *n)
{
    struct hub_member *m;

    (void)n;
    while ((m = hub_dead_members) != NULL) {
        hub_dead_members = m->next_dead;
        free(m);
    }
}

static void hub_member_drop(struct hub_member *m)
{
    struct hub_channel *ch = m->ch;
    struct hub_sock *hs = m->hs;
    struct hub_member *u;

    if (hub_w.left != NULL && !ch->user)
        hub_w.left(hub_w.arg, ch->nsp->name, ch->name, hs->s->id);
    LIST_REMOVE(m, in_channel);
    LIST_REMOVE(m, in_sock);
    hs->nchannels--;
    m->hs = NULL;
    if (hub_dead_members == NULL)
        turn_defer(&hub_dead_node, hub_members_free);
    m->next_dead = hub_dead_members;
    hub_dead_members = m;
    if (--ch->count == 0) {
        idmap_del(&ch->nsp->channels, &ch->node);
        if (ch->user)
            hub_stats.users--;
        else
            hub_stats.channels--;
        turn_defer(&ch->dead, hub_channel_free);
    }
    /* The channel record stays readable until the end of the turn. */
    if ((u = hub_user_of(hs)) != NULL)
        hub_presence(ch, u->ch, 0);
}

int hub_join(const char *sid, const char *channel, const char **err)
{
    struct hub_sock *hs = hub_find(sid);

    if (hs == NULL) {
        *err = "no such session";
        return -1;
    }
    return hub_sock_join(hs, channel, err);
}

int hub_leave(const char *sid, const char *channel, const char **err)
{
    struct hub_sock *hs = hub_find(sid);
    struct hub_member *m;

    if (hs == NULL) {
        *err = "no such session";
        return -1;
    }
    if ((m = hub_membership(hs, channel)) != NULL)
        hub_member_drop(m);
    return 0;
}

int hub_set_user(const char *sid, const char *user, const char **err)
{
    struct hub_sock *hs = hub_find(sid);
    struct hub_member *u;
    char room[USERS_ROOM_MAX];

    if (hs == NULL) {
        *err = "no such session";
        return -1;
    }
    if ((u = hub_user_of(hs)) != NULL) {
        if (user != NULL && strcmp(users_of_room(u->ch->name), user) == 0)
            return 0;
        hub_member_drop(u);
    }
    if (user == NULL)
        return 0;
    users_room(room, user);
    return hub_sock_add(hs, room, err);
}

const char *hub_user(const char *sid)
{
    struct hub_sock *hs = hub_find(sid);

    struct hub_member *u = hs != NULL ? hub_user_of(hs) : NULL;

    return u != NULL ? users_of_room(u->ch->name) : NULL;
}

/* ---- sockets ---- */

static void hub_sock_free(struct turn_node *node)
{
    struct hub_sock *hs = TURN_OF(node, struct hub_sock, dead_node);

    free(hs->context);
    free(hs->auth);
    free(hs);
}

static void hub_sock_drop(struct hub_sock *hs)
{
    struct recover_session *rs;
    struct hub_nsp *n;
    struct hub_member *m, *u = hub_user_of(hs);

    /* Its user's room last, so that its channels see the user leave. */
    while ((m = LIST_FIRST(&hs->channels)) != NULL) {
        if (m == u && (m = LIST_NEXT(m, in_sock)) == NULL)
            m = u;
        hub_member_drop(m);
    }
    /* Gone while the application decided: a retry may still recover. */
    if (hs->pending && (rs = recover_taken(hs->s->id)) != NULL)
        recover_untake(rs);
    if (recover_enabled)
        recover_forget(hs->s->id);
    n = hs->nsp;
    if (!hs->pending) {
        TAILQ_REMOVE(&n->socks, hs, in_nsp);
        hub_stats.sockets--;
    }
    n->nsocks--;
    idmap_del(&hub_socks, &hs->node);
    hs->s->data = NULL;
    hs->dead = 1;
    turn_defer(&hs->dead_node, hub_sock_free);
    hub_nsp_release(n);
}

/* ---- connection state recovery (recover.c) ---- */

/* Wall-clock ms: kept sessions and packets outlive the process. */
static uint64_t hub_wall_ms(void)
{
    struct timeval tv;

    event_base_gettimeofday_cached(hub_base, &tv);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

void hub_set_recovery(int authorize) { hub_recover_authorize = authorize; }

void hub_set_recfleet(hub_recfleet_cb cb, void *arg)
{
    hub_recfleet = cb;
    hub_recfleet_arg = arg;
}

int hub_sock_alive(const char *sid) { return hub_find_any(sid) != NULL; }

/* A reconnect asking for its session: the socket takes the old id, or
 * NULL when nothing is recovered (a new session, as socket.io does).
 * *ask is 1 when no session here has its pid and the fleet may be asked
 * (pid[] and offset[] then hold them). */
static struct recover_session *hub_recover_take(struct sock *s,
                                                const char *auth, size_t len,
                                                int *ask, char *pid,
                                                char *offset)
{
    struct recover_session *rs;
    int r, unknown;

    *ask = 0;
    if (!sock_recovers(s) || (r = recover_auth(auth, len, pid, offset)) > 0)
        return NULL;
    if (r < 0) {
        recover_stats.refused++;
        return NULL;
    }
    rs = recover_take_pid(pid, offset, s->nsp, hub_wall_ms(), &unknown);
    if (unknown) {
        if (hub_recfleet != NULL)
            *ask = 1;
        else
            recover_stats.refused++;
        return NULL;
    }
    if (rs == NULL)
        return NULL;
    /* The old socket still connected (its end not yet seen) keeps it. */
    if (hub_find_any(rs->sid) != NULL || sock_set_id(s, rs->sid) != 0) {
        recover_done(rs, 0);
        return NULL;
    }
    return rs;
}

static void hub_recover_send(void *arg, const struct recover_packet *rp)
{
    struct hub_sock *hs = arg;
    struct sock_packet p;

    if (sock_packet_init(&p, SIO_EVENT, hs->nsp->name, SIO_NO_ID, rp->json,
                         rp->len, rp->attach, rp->nattach) != 0)
        return;
    if (sock_send(hs->s, &p) == 0)
        hub_stats.messages_out++;
    sock_packet_release(&p);
}

/* Rejoins the session's channels and sends what it missed, before the
 * CONNECT answer (as socket.io; the client holds events until then).
 * Returns 0, or -1 when the ring lost the offset meanwhile. */
static int hub_recover_finish(struct hub_sock *hs, struct recover_session *rs)
{
    const char *err, *user;
    size_t i;
    long n;

    /* The user's room is reserved to the daemon: hub_sock_join refuses
     * it, the session's own record gives it back. */
    for (i = 0; i < rs->nchannels; i++)
        if ((user = users_of_room(rs->channels[i])) == NULL)
            hub_sock_join(hs, rs->channels[i], &err);
        else if (users_valid(user, strlen(user), &err))
            hub_sock_add(hs, rs->channels[i], &err);
    n = recover_replay(rs, hub_recover_send, hs);
    recover_done(rs, n >= 0);
    if (n >= 0)
        log_debug("socket %s: recovered, %ld events missed", hs->s->id, n);
    return n >= 0 ? 0 : -1;
}

/* A recoverable end: the session is kept for a reconnect. */
static void hub_recover_keep(struct hub_sock *hs)
{
    const char *names[64], **list = names;
    struct hub_member *m;
    size_t i = 0;

    if (hs->nchannels > 64 &&
        (list = malloc(hs->nchannels * sizeof *list)) == NULL)
        return;
    LIST_FOREACH(m, &hs->channels, in_sock)
    list[i++] = m->ch->name;
    recover_keep(hs->s->id, hs->nsp->name, list, i, hs->context,
                 hs->context_len, hub_wall_ms());
    if (list != names)
        free(list);
}

const char *hub_sock_pid(struct sock *s, char *out)
{
    if (!recover_enabled || !sock_recovers(s))
        return NULL;
    recover_pid(s->id, out);
    return out;
}

/* The CONNECT of `hs` (listed by its id, not yet in nsp->socks) goes on
 * with its recovered session `rs` (or none): NULL when connected,
 * sock_connect_pending when the application decides (hub_connect_done()
 * later), else a refusal (hs dropped). */
static const char *hub_sock_connect_go(struct hub_sock *hs,
                                       struct recover_session *rs,
                                       const char *auth, size_t len)
{
    struct hub_nsp *n = hs->nsp;
    struct sock *s = hs->s;
    struct hub_fwd f;
    const char *err;

    if (rs != NULL && rs->context != NULL && hs->context == NULL &&
        (hs->context = buf_dup(rs->context, rs->context_len)) != NULL)
        hs->context_len = rs->context_len;
    if (hub_fwd_cb != NULL && auth != NULL && len > 0 && hs->auth == NULL &&
        (hs->auth = buf_dup(auth, len)) != NULL)
        hs->auth_len = len;
    if (hub_fwd_cb == NULL || (rs != NULL && !hub_recover_authorize)) {
        hs->pending = 0;
        if (rs != NULL)
            hub_recover_finish(hs, rs); /* cannot fail: nothing ran since */
        TAILQ_INSERT_TAIL(&n->socks, hs, in_nsp);
        hub_stats.sockets++;
        if (hub_w.connected != NULL)
            hub_w.connected(hub_w.arg, n->name, s->id);
        if (hub_fwd_cb == NULL)
            return NULL;
        /* The application is told, not asked (socket.io's
         * skipMiddlewares). */
        hub_fwd_init(&f, HUB_FWD_CONNECT, hs);
        f.recovered = 1;
        hub_fwd_cb(hub_fwd_arg, &f);
        return NULL;
    }
    /* The application decides: the socket waits, out of every listing. */
    hs->pending = 1;
    hub_fwd_init(&f, HUB_FWD_CONNECT, hs);
    f.recovered = rs != NULL;
    err = hub_fwd_cb(hub_fwd_arg, &f);
    if (err != NULL) {
        hub_sock_drop(hs); /* puts rs back */
        return err;
    }
    return sock_connect_pending;
}

const char *hub_sock_connect(struct sock *s, const char *auth, size_t len)
{
    struct hub_nsp *n = hub_nsp_get(s->nsp, 1);
    char pid[RECOVER_PID_LEN + 1], off[RECOVER_MAX_OFFSET + 1];
    struct recover_session *rs = NULL;
    struct hub_sock *hs;
    const char *err;
    int ask = 0;

    if (n == NULL || (hs = calloc(1, sizeof *hs)) == NULL) {
        if (n != NULL)
            hub_nsp_release(n);
        return "server out of memory";
    }
    /* The daemon's own namespace (the Admin UI) keeps nothing. */
    if (recover_enabled && auth != NULL && !n->own)
        rs = hub_recover_take(s, auth, len, &ask, pid, off);
    hs->s = s;
    hs->nsp = n;
    hs->tokens_milli = hub_lim.event_burst * 1000; /* a full bucket */
    hs->tokens_ms = (uint32_t)timerq_now_ms(hub_base);
    LIST_INIT(&hs->channels);
    n->nsocks++;
    idmap_put(&hub_socks, &hs->node, s->id);
    s->data = hs;
    if (n->own) {
        if ((err = hub_own.connect(hub_own.arg, s, auth, len)) == NULL) {
            TAILQ_INSERT_TAIL(&n->socks, hs, in_nsp);
            hub_stats.sockets++;
            if (hub_w.connected != NULL)
                hub_w.connected(hub_w.arg, n->name, s->id);
            return NULL;
        }
        hs->pending = 1;                 /* never listed */
        if (err != sock_connect_pending) /* else hub_connect_done() later */
            hub_sock_drop(hs);
        return err;
    }
    /* Another node may hold the session: the socket waits, out of every
     * listing, until hub_recover_remote(). */
    if (ask) {
        hs->pending = 1;
        if (auth != NULL && len > 0 && (hs->auth = buf_dup(auth, len)) != NULL)
            hs->auth_len = len;
        if (hub_recfleet(hub_recfleet_arg, s->id, n->name, pid, off) == 0) {
            hs->asking = 1;
            return sock_connect_pending;
        }
        recover_stats.refused++;
    }
    return hub_sock_connect_go(hs, rs, auth, len);
}

void hub_recover_remote(const char *sid, struct recover_session *rs)
{
    struct hub_sock *hs = hub_find_any(sid);
    struct sock *s;
    const char *err;

    if (hs == NULL || !hs->asking) {
        if (rs != NULL)
            recover_untake(rs); /* its client left: counted lost */
        return;
    }
    s = hs->s;
    hs->asking = 0;
    if (rs == NULL) {
        recover_stats.refused++;
    } else if (hub_find_any(rs->sid) != NULL || strcmp(rs->nsp, s->nsp) != 0) {
        recover_done(rs, 0);
        rs = NULL;
    } else {
        /* The socket takes its old id (with the old node's route tag:
         * nothing routes a session by the tag of its socket id). */
        idmap_del(&hub_socks, &hs->node);
        if (sock_set_id(s, rs->sid) != 0) {
            recover_done(rs, 0);
            rs = NULL;
        }
        idmap_put(&hub_socks, &hs->node, s->id);
    }
    err = hub_sock_connect_go(hs, rs, hs->auth, hs->auth_len);
    if (err == sock_connect_pending)
        return;
    sock_connect_done(s, err, NULL);
}

int hub_connect_done(const char *sid, const char *refusal, const char *data)
{
    struct hub_sock *hs = hub_find_any(sid);
    struct recover_session *rs;
    struct sock *s;

    if (hs == NULL || !hs->pending || hs->asking)
        return -1;
    s = hs->s;
    if (refusal != NULL) {
        log_debug("socket %s: connect to %s refused: %s", sid, s->nsp, refusal);
        if ((rs = recover_taken(sid)) != NULL)
            recover_done(rs, 0);
        hub_sock_drop(hs);
        sock_connect_done(s, refusal, data);
        return 0;
    }
    rs = recover_taken(sid);
    hs->pending = 0;
    if (rs != NULL && hub_recover_finish(hs, rs) != 0) {
        hs->pending = 1; /* the session is spent: nothing left to untake */
        hub_sock_drop(hs);
        sock_connect_done(s, "recovery window passed", NULL);
        return 0;
    }
    TAILQ_INSERT_TAIL(&hs->nsp->socks, hs, in_nsp);
    hub_stats.sockets++;
    if (hub_w.connected != NULL)
        hub_w.connected(hub_w.arg, hs->nsp->name, sid);
    sock_connect_done(s, NULL, NULL);
    return 0;
}

void hub_sock_disconnect(struct sock *s, const char *reason)
{
    struct hub_sock *hs = s->data;
    struct hub_fwd f;

    if (hs == NULL)
        return;
    log_debug("socket %s: left %s (%s)", s->id, s->nsp, reason);
    if (hs->nsp->own) {
        if (!hs->pending)
            hub_own.disconnect(hub_own.arg, s, reason);
    } else if (hub_fwd_cb != NULL && !hs->asking) {
        hub_fwd_init(&f, HUB_FWD_DISCONNECT, hs);
        f.reason = reason;
        hub_fwd_cb(hub_fwd_arg, &f);
    }
    if (hub_w.disconnected != NULL && !hs->pending)
        hub_w.disconnected(hub_w.arg, hs->nsp->name, s->id, reason);
    if (recover_enabled && !hs->pending && !hs->nsp->own && sock_recovers(s) &&
        recover_reason_ok(reason))
        hub_recover_keep(hs);
    hub_sock_drop(hs);
}

const char *hub_context(const char *sid, size_t *len)
{
    struct hub_sock *hs = hub_find_any(sid);

    if (hs == NULL || hs->context == NULL)
        return NULL;
    *len = hs->context_len;
    return hs->context;
}

int hub_set_context(const char *sid, const char *json, size_t len)
{
    struct hub_sock *hs = hub_find_any(sid);
    char *copy = NULL;

    if (hs == NULL)
        return -1;
    if (json != NULL && (copy = buf_dup(json, len)) == NULL)
        return -1;
    free(hs->context);
    hs->context = copy;
    hs->context_len = copy ? len : 0;
    return 0;
}

/* ---- acks ---- */

static void hub_ack_finish(struct hub_ackreq *r)
{
    size_t i, j;
    struct hub_sock *hs;

    if (r->finished)
        return;
    r->finished = 1;
    event_del(&r->timer);
    /* Receivers that did not answer stop waiting for us. */
    for (i = 0; i < r->n; i++)
        if (r->results[i].data == NULL &&
            (hs = hub_find(r->results[i].sid)) != NULL)
            sock_cancel_ack(hs->s, r->id, r);
    r->done(r->arg, r->results, r->n);
    for (i = 0; i < r->n; i++) {
        free(r->results[i].sid);
        free(r->results[i].data);
        for (j = 0; j < r->results[i].nattach; j++)
            frame_unref(r->results[i].attach[j]);
        free(r->results[i].attach);
    }
    free(r->results);
    free(r);
}

static void hub_ack_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    hub_ack_finish(arg);
}

static void hub_ack_got(void *arg, struct sock *s, const char *data, size_t len,
                        struct frame **attach, unsigned nattach)
{
    struct hub_ackreq *r = arg;
    struct hub_ack_result *res = NULL;
    size_t i;

    for (i = 0; i < r->n; i++)
        if (strcmp(r->results[i].sid, s->id) == 0)
            res = &r->results[i];
    if (res == NULL)
        return;
    if (msglog_enabled && data != NULL)
        msglog_in(1, s->id, sock_meta(s, NULL), s->nsp, r->id, data, len,
                  attach, nattach);
    if (data != NULL && r->each != NULL && !r->finished)
        r->each(r->arg, s->id, data, len, attach, nattach);
    if (data != NULL && (res->data = buf_dup(data, len)) != NULL) {
        res->len = len;
        if (nattach > 0 &&
            (res->attach = calloc(nattach, sizeof *res->attach)) != NULL) {
            for (i = 0; i < nattach; i++)
                res->attach[i] = frame_ref(attach[i]);
            res->nattach = nattach;
        }
    }
    if (--r->waiting == 0)
        hub_ack_finish(r);
}

/* ---- fan-out ---- */

/* An emit kept for reconnects carries its offset; a client that never
 * recovers (socket.io-client 2.x, python-socketio: sock_recovers()) gets
 * the event as sent, encoded at its first such receiver: one more
 * encoding per emit at most. Set by the emit being delivered (saved and
 * restored around it). */
struct hub_plain {
    const char *nsp, *json;
    size_t len;
    struct frame *const *attach;
    unsigned nattach;
    struct sock_packet p;
    int state; /* 0 not built, 1 built, -1 failed (the offset goes) */
};

static struct hub_plain *hub_plain;

static struct sock_packet *hub_plain_packet(struct sock_packet *p)
{
    struct hub_plain *pl = hub_plain;

    if (pl->state == 0)
        pl->state =
            sock_packet_init(&pl->p, SIO_EVENT, pl->nsp, SIO_NO_ID, pl->json,
                             pl->len, pl->attach, pl->nattach) == 0
                ? 1
                : -1;
    return pl->state == 1 ? &pl->p : p;
}

static void hub_plain_end(struct hub_plain *pl, struct hub_plain *prev)
{
    hub_plain = prev;
    if (pl->state == 1)
        sock_packet_release(&pl->p);
}

/* Delivers to one socket; registers the ack first so a synchronous answer
 * cannot be missed. Returns 1 when delivered. */
static int hub_deliver(struct hub_sock *hs, struct sock_packet *p,
                       struct hub_ackreq *r)
{
    struct hub_ack_result *res;

    if (hub_plain != NULL && !sock_recovers(hs->s))
        p = hub_plain_packet(p);
    if (r != NULL) {
        if (r->n == r->cap)
            return 0; /* joined during the fan-out: not counted on */
        res = &r->results[r->n];
        memset(res, 0, sizeof *res);
        if ((res->sid = strdup(hs->s->id)) == NULL ||
            sock_expect_ack(hs->s, r->id, hub_ack_got, r) != 0) {
            free(res->sid);
            return 0;
        }
        r->n++;
        r->waiting++;
    }
    if (sock_send(hs->s, p) != 0)
        return 0; /* its session ended; a registered ack reports it gone */
    hub_stats.messages_out++;
    if (msglog_per_receiver)
        msglog_receiver(hs->s->id, sock_meta(hs->s, NULL));
    return 1;
}

/* The socket `sid` when it is a connected socket of namespace `n`. */
static struct hub_sock *hub_find_in(struct hub_nsp *n, const char *sid)
{
    struct hub_sock *hs = hub_find(sid);

    return hs != NULL && hs->nsp == n ? hs : NULL;
}

/* The audience's namespace (see struct hub_target), NULL when it has no
 * socket. */
static struct hub_nsp *hub_target_nsp(const struct hub_target *t)
{
    struct hub_sock *hs;
    size_t i;

    if (t->nsp != NULL)
        return hub_nsp_get(t->nsp, 0);
    for (i = 0; i < t->nrooms; i++)
        if ((hs = hub_find(t->rooms[i])) != NULL)
            return hs->nsp;
    return hub_nsp_get("/", 0);
}

/* Stamps every socket of namespace `n` in room `name` (a channel or a
 * socket id) with `stamp`. */
static void hub_stamp_room(struct hub_nsp *n, const char *name, uint32_t stamp)
{
    struct hub_channel *ch =
        (struct hub_channel *)idmap_get(&n->channels, name);
    struct hub_sock *hs = hub_find_in(n, name);
    struct hub_member *m;

    if (ch != NULL)
        LIST_FOREACH(m, &ch->members, in_channel)
    if (m->hs != NULL)
        m->hs->stamp = stamp;
    if (hs != NULL)
        hs->stamp = stamp;
}

/* Whether a room of a sids-only audience is a kept session's id: an emit
 * to it is stored for its reconnect. Returns its namespace, or NULL. */
static const char *hub_target_kept(const struct hub_target *t)
{
    const char *nsp;
    size_t i;

    for (i = 0; recover_enabled && i < t->nrooms; i++)
        if ((nsp = recover_session_nsp(t->rooms[i])) != NULL &&
            (t->nsp == NULL || strcmp(t->nsp, nsp) == 0))
            return nsp;
    return NULL;
}

/* Stores an emit for reconnects (recover.c): the JSON with its offset
 * last, or NULL (sent as it is). */
static const char *hub_recover_store(const struct hub_target *t,
                                     const char *nsp, const char *json,
                                     size_t len, struct frame *const *attach,
                                     unsigned nattach, size_t *out_len)
{
    struct recover_audience a;

    a.nsp = nsp;
    a.rooms = t->rooms;
    a.nrooms = t->nrooms;
    a.except = t->except;
    a.nexcept = t->nexcept;
    a.sids_only = (t->flags & HUB_F_SIDS) != 0;
    a.origin = t->origin;
    return recover_store(&a, json, len, attach, nattach, hub_wall_ms(),
                         out_len);
}

/* Delivers to `hs` unless it is dead, stamped already (excluded, or
 * reached through another room) or, for a volatile emit, not writable. */
static int hub_deliver_once(struct hub_sock *hs, uint32_t stamp, unsigned flags,
                            struct sock_packet *p, struct hub_ackreq *r)
{
    if (hs->dead || hs->stamp == stamp)
        return 0;
    hs->stamp = stamp;
    if ((flags & HUB_F_VOLATILE) && !sock_writable(hs->s))
        return 0;
    return hub_deliver(hs, p, r);
}

long hub_emit(const struct hub_target *t, const char *json, size_t len,
              struct frame *const *attach, unsigned nattach,
              unsigned timeout_ms, hub_ack_done done, void *arg)
{
    return hub_emit_each(t, json, len, attach, nattach, timeout_ms, NULL, done,
                         arg);
}

long hub_emit_each(const struct hub_target *t, const char *json, size_t len,
                   struct frame *const *attach, unsigned nattach,
                   unsigned timeout_ms, hub_ack_each each, hub_ack_done done,
                   void *arg)
{
    struct hub_nsp *n = hub_target_nsp(t);
    struct hub_sock *hs, *one = NULL;
    struct hub_channel *ch;
    struct hub_member *m;
    struct hub_ackreq *r = NULL;
    struct sock_packet p;
    struct hub_plain plain, *prev = hub_plain;
    uint32_t stamp;
    size_t i, cap = 0, found = 0, slen = len;
    long count = 0;
    struct timeval tv;
    const char *kept = NULL, *sjson = json;

    hub_stats.emits++;
    for (i = 0; n != NULL && i < t->nrooms; i++) {
        if ((hs = hub_find_in(n, t->rooms[i])) != NULL) {
            one = hs;
            found++;
        }
        if (!(t->flags & HUB_F_SIDS) &&
            (ch = (struct hub_channel *)idmap_get(&n->channels, t->rooms[i])) !=
                NULL)
            cap += ch->count;
    }
    /* A kept session (recover.c) gets the emit when it comes back; an
     * acked one is not kept, as in socket.io. */
    if ((t->flags & HUB_F_SIDS) && found == 0 &&
        (done != NULL || (kept = hub_target_kept(t)) == NULL))
        return -1;
    if (kept != NULL)
        n = hub_nsp_get(kept, 0); /* only kept sessions: nobody here now */
    if (hub_pub_cb != NULL && !(t->flags & HUB_F_LOCAL) && done == NULL) {
        int rc = hub_pub_cb(hub_pub_arg,
                            n        ? n->name
                            : kept   ? kept
                            : t->nsp ? t->nsp
                                     : "/",
                            t, json, len, attach, nattach);
        if (t->published != NULL)
            *t->published = rc == 0 ? 1 : rc > 0 ? 2 : 0;
    }
    cap += found;
    if (n != NULL && t->nrooms == 0)
        cap = n->nsocks;
    if (done != NULL) {
        r = calloc(1, sizeof *r);
        if (r == NULL ||
            (r->results = calloc(cap ? cap : 1, sizeof *r->results)) == NULL) {
            free(r);
            return -1;
        }
        r->cap = cap ? cap : 1;
        r->id = hub_next_ack++;
        r->waiting = 1; /* held until the loop ends: a receiver may fail
                           synchronously and must not finish us mid-loop */
        r->done = done;
        r->each = each;
        r->arg = arg;
        evtimer_assign(&r->timer, hub_base, hub_ack_timeout, r);
    }
    /* Acked and volatile emits are not kept, as in socket.io. */
    if (recover_enabled && done == NULL && !(t->flags & HUB_F_VOLATILE) &&
        !(n != NULL && n->own) &&
        (sjson = hub_recover_store(t,
                                   n        ? n->name
                                   : kept   ? kept
                                   : t->nsp ? t->nsp
                                            : "/",
                                   json, len, attach, nattach, &slen)) ==
            NULL) {
        sjson = json;
        slen = len;
    }
    if (sock_packet_init(&p, SIO_EVENT, n ? n->name : "/",
                         r ? r->id : SIO_NO_ID, sjson, slen, attach,
                         nattach) != 0) {
        if (r != NULL) {
            free(r->results);
            free(r);
        }
        return -1;
    }
    memset(&plain, 0, sizeof plain);
    plain.nsp = n ? n->name : "/";
    plain.json = json;
    plain.len = len;
    plain.attach = attach;
    plain.nattach = nattach;
    hub_plain = sjson != json ? &plain : NULL;
    /* One stamp per emit: the excluded are stamped first, then each
     * receiver as it is reached, so a socket in several rooms gets the
     * packet once, at the cost of one store per socket and no memory. */
    stamp = ++hub_next_stamp;
    for (i = 0; n != NULL && i < t->nexcept; i++)
        hub_stamp_room(n, t->except[i], stamp);
    /* A delivery may drop members and sockets (see the top of the file):
     * the next one is taken after it, through links that stay readable. */
    for (i = 0; n != NULL && i < t->nrooms; i++) {
        if (!(t->flags & HUB_F_SIDS) &&
            (ch = (struct hub_channel *)idmap_get(&n->channels, t->rooms[i])) !=
                NULL)
            for (m = LIST_FIRST(&ch->members); m != NULL;
                 m = LIST_NEXT(m, in_channel))
                if (m->hs != NULL)
                    count += hub_deliver_once(m->hs, stamp, t->flags, &p, r);
        if ((hs = hub_find_in(n, t->rooms[i])) != NULL)
            count += hub_deliver_once(hs, stamp, t->flags, &p, r);
    }
    if (n != NULL && t->nrooms == 0)
        TAILQ_FOREACH(hs, &n->socks, in_nsp)
    count += hub_deliver_once(hs, stamp, t->flags, &p, r);
    sock_packet_release(&p);
    hub_plain_end(&plain, prev);
    if (!(t->flags & HUB_F_SIDS))
        hist_observe(&hub_fanout, n ? n->name : "/", (double)count);
    else if (hub_w.event_out != NULL && found == 1 && count == 1 && !n->own)
        hub_w.event_out(hub_w.arg, n->name, one->s->id, json, len);
    if (msglog_enabled) {
        int to = (t->flags & HUB_F_SIDS) && t->nrooms == 1;
        const char *room = t->nrooms == 1 ? t->rooms[0] : NULL;

        /* The log has one channel, one sid and one except per row: a list
         * is logged by its first entry only when it has one. */
        one = to && count ? one : NULL;
        msglog_out(MSGLOG_EMIT, 0, one ? one->s->id : NULL,
                   one ? sock_meta(one->s, NULL) : NULL, n ? n->name : "/",
                   to ? NULL : room, to ? room : NULL,
                   t->nexcept == 1 ? t->except[0] : NULL, count,
                   r ? r->id : SIO_NO_ID, json, len, attach, nattach);
    }
    if (r != NULL) {
        if (--r->waiting == 0) {
            hub_ack_finish(r);
        } else {
            tv.tv_sec = timeout_ms / 1000;
            tv.tv_usec = (timeout_ms % 1000) * 1000;
            event_add(&r->timer, &tv);
        }
    }
    return count;
}

void hub_set_publish(hub_publish_cb cb, void *arg)
{
    hub_pub_cb = cb;
    hub_pub_arg = arg;
}

void hub_set_own(const struct hub_own *own)
{
    free(hub_own_nsp);
    hub_own_nsp = NULL;
    memset(&hub_own, 0, sizeof hub_own);
    if (own == NULL)
        return;
    hub_own = *own;
    if ((hub_own_nsp = strdup(own->nsp)) == NULL)
        abort(); /* start-up only */
    hub_own.nsp = hub_own_nsp;
}

void hub_set_watch(const struct hub_watch *w)
{
    if (w != NULL)
        hub_w = *w;
    else
        memset(&hub_w, 0, sizeof hub_w);
}

void hub_set_nsp_created(void (*cb)(void *arg, const char *nsp), void *arg)
{
    hub_nsp_cb = cb;
    hub_nsp_arg = arg;
}

const char *hub_socket_nsp(const char *sid)
{
    struct hub_sock *hs = hub_find(sid);

    return hs ? hs->nsp->name : NULL;
}

/* Relay mode: the audience of a relayed event is the sender's channels
 * less the sender. It is published to the other nodes, and kept for
 * reconnects (recover.c): *json and *len become the kept text. */
static void hub_relay_audience(struct hub_sock *from,
                               const struct sock_event *ev, const char **json,
                               size_t *len)
{
    const char *names[64], **rooms = names, *kept;
    struct hub_member *m;
    struct hub_target t;
    size_t i = 0;

    if (from->nchannels > 64 &&
        (rooms = malloc(from->nchannels * sizeof *rooms)) == NULL)
        return;
    LIST_FOREACH(m, &from->channels, in_sock)
    if (!m->ch->user)
        rooms[i++] = m->ch->name;
    if (i == 0) { /* its user's room alone: no room is no audience here */
        if (rooms != names)
            free(rooms);
        return;
    }
    memset(&t, 0, sizeof t);
    t.rooms = rooms;
    t.nrooms = i;
    t.except = (const char *const *)&from->s->id;
    t.nexcept = 1;
    if (hub_pub_cb != NULL)
        hub_pub_cb(hub_pub_arg, from->nsp->name, &t, ev->data, ev->data_len,
                   ev->attach, ev->nattach);
    if (recover_enabled &&
        (kept = hub_recover_store(&t, from->nsp->name, ev->data, ev->data_len,
                                  ev->attach, ev->nattach, len)) != NULL)
        *json = kept;
    if (rooms != names)
        free(rooms);
}

/* Relay mode: the sender's channels hear the event, each receiver once. */
static long hub_relay_event(struct hub_sock *from, const struct sock_event *ev)
{
    struct hub_member *m, *rm;
    struct sock_packet p;
    struct hub_plain plain, *prev = hub_plain;
    uint32_t stamp = ++hub_next_stamp;
    long count = 0;
    const char *json = ev->data;
    size_t len = ev->data_len;

    if ((hub_pub_cb != NULL || recover_enabled) && from->nchannels > 0)
        hub_relay_audience(from, ev, &json, &len);
    if (sock_packet_init(&p, SIO_EVENT, from->nsp->name, SIO_NO_ID, json, len,
                         ev->attach, ev->nattach) != 0)
        return 0;
    memset(&plain, 0, sizeof plain);
    plain.nsp = from->nsp->name;
    plain.json = ev->data;
    plain.len = ev->data_len;
    plain.attach = ev->attach;
    plain.nattach = ev->nattach;
    hub_plain = json != ev->data ? &plain : NULL;
    from->stamp = stamp;
    /* Deliveries may drop members, the sender's too (see the top of the
     * file): dead ones are skipped, links followed after each delivery. */
    LIST_FOREACH(m, &from->channels, in_sock)
    {
        if (m->hs == NULL || m->ch->user)
            continue;
        LIST_FOREACH(rm, &m->ch->members, in_channel)
        {
            if (rm->hs == NULL || rm->hs->stamp == stamp)
                continue;
            rm->hs->stamp = stamp;
            count += hub_deliver(rm->hs, &p, NULL);
        }
    }
    sock_packet_release(&p);
    hub_plain_end(&plain, prev);
    hist_observe(&hub_fanout, from->nsp->name, (double)count);
    if (msglog_enabled && count > 0)
        msglog_out(MSGLOG_RELAY, 0, NULL, NULL, from->nsp->name, NULL, NULL,
                   from->s->id, count, SIO_NO_ID, ev->data, ev->data_len,
                   ev->attach, ev->nattach);
    return count;
}

static void hub_ack_client(struct sock *s, int64_t id, const char *json)
{
    struct sock_packet p;

    if (id == SIO_NO_ID)
        return;
    if (sock_packet_init(&p, SIO_ACK, s->nsp, id, json, strlen(json), NULL,
                         0) == 0) {
        if (sock_send(s, &p) == 0 && msglog_enabled)
            msglog_out(MSGLOG_REPLY, 1, s->id, sock_meta(s, NULL), s->nsp, NULL,
                       s->id, NULL, 1, id, json, strlen(json), NULL, 0);
        sock_packet_release(&p);
    }
}

int hub_ack(const char *sid, int64_t id, const char *json, size_t len,
            struct frame *const *attach, unsigned nattach)
{
    struct hub_sock *hs = hub_find(sid);
    struct sock_packet p;
    int rc;

    if (hs == NULL || id == SIO_NO_ID)
        return -1;
    if (sock_packet_init(&p, SIO_ACK, hs->s->nsp, id, json, len, attach,
                         nattach) != 0)
        return -1;
    rc = sock_send(hs->s, &p);
    sock_packet_release(&p);
    return rc;
}

/* [{"error": code}]: what an acked event gets when the app cannot answer. */
static void hub_ack_error(struct sock *s, int64_t id, const char *code)
{
    char quoted[256], reply[300];

    hub_json_string(quoted, sizeof quoted, code);
    snprintf(reply, sizeof reply, "[{\"error\":%s}]", quoted);
    hub_ack_client(s, id, reply);
}

void hub_subscribe_done(const char *sid, const char *channel, int64_t ack_id,
                        const char *refusal)
{
    struct hub_sock *hs = hub_find(sid);
    char reply[2 * HUB_MAX_CHANNEL_NAME + 600];
    char quoted[2 * HUB_MAX_CHANNEL_NAME + 16], why[512];
    struct hub_target t;

    if (hs == NULL)
        return;
    if (refusal == NULL && hub_sock_join(hs, channel, &refusal) == 0) {
        hub_json_string(quoted, sizeof quoted, channel);
        snprintf(reply, sizeof reply, "[null,%s]", quoted);
        hub_ack_client(hs->s, ack_id, reply);
        return;
    }
    hub_json_string(why, sizeof why, refusal);
    snprintf(reply, sizeof reply, "[%s]", why);
    hub_ack_client(hs->s, ack_id, reply);
    hub_json_string(quoted, sizeof quoted, channel);
    snprintf(reply, sizeof reply, "[\"subscribe_error\",%s,%s]", quoted, why);
    memset(&t, 0, sizeof t);
    t.nsp = hs->s->nsp;
    t.rooms = &sid;
    t.nrooms = 1;
    t.flags = HUB_F_SIDS;
    hub_emit(&t, reply, strlen(reply), NULL, 0, 0, NULL, NULL);
}

void hub_sock_event(struct sock *s, const struct sock_event *ev)
{
    struct hub_sock *hs = s->data;
    char reply[2 * HUB_MAX_CHANNEL_NAME + 64],
        quoted[2 * HUB_MAX_CHANNEL_NAME + 16];
    const char *err = NULL;
    struct hub_fwd f;
    int subscribe;

    if (hs == NULL)
        return;
    hub_stats.events_in++;
    if (hub_lim.event_rate && !hub_rate_take(hs)) {
        hub_stats.events_rate_limited++;
        log_count(&hub_rate_limited, NULL, s->id);
        if (hub_lim.flood_action == HUB_FLOOD_DISCONNECT) {
            log_info_at(NULL, s->id, "over %u events/s, disconnecting",
                        hub_lim.event_rate);
            sock_disconnect(s, "event rate over the limit");
        }
        return; /* dropped: not handled, not acked */
    }
    if (hs->nsp->own) {
        hub_own.event(hub_own.arg, s, ev);
        return;
    }
    if (hub_w.event_in != NULL)
        hub_w.event_in(hub_w.arg, hs->nsp->name, s->id, ev->data, ev->data_len);
    if (msglog_enabled)
        msglog_in(0, s->id, sock_meta(s, NULL), s->nsp, ev->ack_id, ev->data,
                  ev->data_len, ev->attach, ev->nattach);
    subscribe = strcmp(ev->name, "subscribe") == 0;
    if (subscribe || strcmp(ev->name, "unsubscribe") == 0) {
        int rc;
        if (ev->arg1 == NULL) {
            err = "the channel must be a string";
            rc = -1;
        } else if (!ev->arg1_valid) {
            /* Refused here, before any use: "\u0000" cut it short. */
            hub_stats.names_refused++;
            err = HUB_E_BAD_CHANNEL;
            rc = -1;
        } else if (subscribe && hub_fwd_cb != NULL && hub_private_channels) {
            /* Private channels: the application says whether. */
            hub_fwd_init(&f, HUB_FWD_SUBSCRIBE, hs);
            f.channel = ev->arg1;
            f.ack_id = ev->ack_id;
            f.wait = 1;
            if ((err = hub_fwd_cb(hub_fwd_arg, &f)) != NULL)
                hub_subscribe_done(s->id, ev->arg1, ev->ack_id, err);
            return;
        } else if (subscribe) {
            rc = hub_sock_join(hs, ev->arg1, &err);
        } else {
            struct hub_member *m = hub_membership(hs, ev->arg1);
            if (m != NULL)
                hub_member_drop(m);
            rc = 0;
        }
        if (rc == 0) {
            hub_json_string(quoted, sizeof quoted, ev->arg1);
            snprintf(reply, sizeof reply, "[null,%s]", quoted);
        } else {
            hub_json_string(quoted, sizeof quoted, err);
            snprintf(reply, sizeof reply, "[%s]", quoted);
        }
        hub_ack_client(s, ev->ack_id, reply);
        if (rc == 0 && hub_fwd_cb != NULL) {
            /* Joined (or left) already: the application is told. */
            hub_fwd_init(
                &f, subscribe ? HUB_FWD_SUBSCRIBE : HUB_FWD_UNSUBSCRIBE, hs);
            f.channel = ev->arg1;
            hub_fwd_cb(hub_fwd_arg, &f);
        }
        return;
    }
    if (hub_relay) {
        long n = hub_relay_event(hs, ev);
        if (hs->dead)
            return; /* a delivery ended the sender's own session */
        if (hub_fwd_cb == NULL) {
            snprintf(reply, sizeof reply, "[%ld]", n);
            hub_ack_client(s, ev->ack_id, reply);
            return;
        }
    }
    if (hub_fwd_cb != NULL) {
        hub_fwd_init(&f, HUB_FWD_EVENT, hs);
        f.data = ev->data;
        f.data_len = ev->data_len;
        f.attach = ev->attach;
        f.nattach = ev->nattach;
        f.ack_id = ev->ack_id;
        if ((err = hub_fwd_cb(hub_fwd_arg, &f)) != NULL)
            hub_ack_error(s, ev->ack_id, err);
        return;
    }
    /* Nobody to hand the event to: drop it, but never leave an ack hanging. */
    hub_ack_client(s, ev->ack_id, "[]");
}

/* ---- queries ---- */

static void hub_visit_one(struct hub_sock *hs, hub_visit cb, void *arg)
{
    const char *port = sock_meta(hs->s, "REMOTE_PORT");
    const char *names[64], **list = names;
    struct hub_member *m, *u;
    struct hub_info info;
    size_t i = 0;

    if (hs->nchannels > 64 &&
        (list = malloc(hs->nchannels * sizeof *list)) == NULL)
        return;
    LIST_FOREACH(m, &hs->channels, in_sock)
    if (!m->ch->user)
        list[i++] = m->ch->name;
    info.sid = hs->s->id;
    info.eio_sid = sock_eio_sid(hs->s);
    info.nsp = hs->nsp->name;
    info.transport = sock_transport(hs->s);
    info.protocol = sock_eio_version(hs->s);
    info.remote_addr = sock_meta(hs->s, "REMOTE_ADDR");
    info.remote_port = port ? atoi(port) : 0;
    info.connected_at = (double)sock_connected_at_ms(hs->s) / 1000.0;
    info.channels = list;
    info.nchannels = i;
    info.meta = sock_meta(hs->s, NULL);
    info.auth = hs->auth;
    info.auth_len = hs->auth_len;
    u = hub_user_of(hs);
    info.user_room = u != NULL ? u->ch->name : NULL;
    info.user = u != NULL ? users_of_room(info.user_room) : NULL;
    cb(arg, &info);
    if (list != names)
        free(list);
}

size_t hub_sessions(const char *nsp, const char *channel, hub_visit cb,
                    void *arg)
{
    struct idmap_node *node;
    struct hub_nsp *n;
    struct hub_channel *ch;
    struct hub_member *m;
    struct hub_sock *hs;
    size_t b, count = 0;

    for (b = 0; b <= hub_nsps.mask; b++) {
        for (node = hub_nsps.buckets[b]; node != NULL; node = node->next) {
            n = (struct hub_nsp *)node;
            if (nsp != NULL && strcmp(nsp, n->name) != 0)
                continue;
            if (channel != NULL) {
                ch = (struct hub_channel *)idmap_get(&n->channels, channel);
                if (ch != NULL)
                    LIST_FOREACH(m, &ch->members, in_channel)
                    {
                        hub_visit_one(m->hs, cb, arg);
                        count++;
                    }
                continue;
            }
            TAILQ_FOREACH(hs, &n->socks, in_nsp)
            {
                hub_visit_one(hs, cb, arg);
                count++;
            }
        }
    }
    return count;
}

int hub_session(const char *sid, hub_visit cb, void *arg)
{
    struct hub_sock *hs = hub_find(sid);

    if (hs == NULL)
        return -1;
    hub_visit_one(hs, cb, arg);
    return 0;
}

void hub_channels(const char *nsp,
                  void (*cb)(void *arg, const char *nsp, const char *name,
                             unsigned members),
                  void *arg)
{
    struct idmap_node *node, *cnode;
    struct hub_nsp *n;
    struct hub_channel *ch;
    size_t b, c;

    for (b = 0; b <= hub_nsps.mask; b++) {
        for (node = hub_nsps.buckets[b]; node != NULL; node = node->next) {
            n = (struct hub_nsp *)node;
            if (nsp != NULL && strcmp(nsp, n->name) != 0)
                continue;
            for (c = 0; c <= n->channels.mask; c++)
                for (cnode = n->channels.buckets[c]; cnode != NULL;
                     cnode = cnode->next) {
                    ch = (struct hub_channel *)cnode;
                    if (users_of_room(ch->name) == NULL)
                        cb(arg, n->name, ch->name, ch->count);
                }
        }
    }
}

void hub_namespaces(void (*cb)(void *arg, const char *nsp, unsigned sockets),
                    void *arg)
{
    struct idmap_node *node;
    size_t b;

    for (b = 0; b <= hub_nsps.mask; b++)
        for (node = hub_nsps.buckets[b]; node != NULL; node = node->next)
            cb(arg, ((struct hub_nsp *)node)->name,
               ((struct hub_nsp *)node)->nsocks);
}

int hub_disconnect(const char *sid)
{
    struct hub_sock *hs = hub_find(sid);

    if (hs == NULL)
        return -1;
    sock_disconnect(hs->s, "server namespace disconnect");
    return 0;
}

int hub_close(const char *sid)
{
    struct hub_sock *hs = hub_find(sid);

    if (hs == NULL)
        return -1;
    sock_close(hs->s, "server disconnect");
    return 0;
}

/* Visits `hs` unless dead or stamped already; 1 when visited. */
static size_t hub_visit_once(struct hub_sock *hs, uint32_t stamp,
                             void (*cb)(void *arg, const char *sid), void *arg)
{
    if (hs->dead || hs->stamp == stamp)
        return 0;
    hs->stamp = stamp;
    cb(arg, hs->s->id);
    return 1;
}

size_t hub_audience(const struct hub_target *t,
                    void (*cb)(void *arg, const char *sid), void *arg)
{
    struct hub_nsp *n = hub_target_nsp(t);
    uint32_t stamp = ++hub_next_stamp;
    struct hub_channel *ch;
    struct hub_member *m;
    struct hub_sock *hs;
    size_t i, count = 0;

    if (n == NULL)
        return 0;
    for (i = 0; i < t->nexcept; i++)
        hub_stamp_room(n, t->except[i], stamp);
    for (i = 0; i < t->nrooms; i++) {
        if (!(t->flags & HUB_F_SIDS) &&
            (ch = (struct hub_channel *)idmap_get(&n->channels, t->rooms[i])) !=
                NULL)
            LIST_FOREACH(m, &ch->members, in_channel)
        if (m->hs != NULL)
            count += hub_visit_once(m->hs, stamp, cb, arg);
        if ((hs = hub_find_in(n, t->rooms[i])) != NULL)
            count += hub_visit_once(hs, stamp, cb, arg);
    }
    if (t->nrooms == 0)
        TAILQ_FOREACH(hs, &n->socks, in_nsp)
    count += hub_visit_once(hs, stamp, cb, arg);
    return count;
}

void hub_shutdown(void)
{
    idmap_free(&hub_socks);
    idmap_free(&hub_nsps);
    hub_set_own(NULL);
}

size_t hub_sizeof_socket(void) { return sizeof(struct hub_sock); }
