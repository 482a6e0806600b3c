/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* hub_test: fan-outs through the real runtime on socketpairs (conn ->
 * engine -> sock -> hub, relay on) whose deliveries end receivers and other
 * sockets in the middle of the loop. */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "engine.h"
#include "hub.h"
#include "log.h"
#include "sock.h"
#include "t.h"
#include "turn.h"
#include "users.h"

#define NCLIENTS 4
#define BIG 6000

/* One client on a socketpair: `deaf` ones never read, so broadcasts go over
 * their output cap; the others keep what came in `in`. */
struct client {
    int fd;
    int deaf;
    char sid[64];
    char *in;
    size_t len;
};

static struct event_base *base;
static struct client cl[NCLIENTS];
/* The forwarder: when socket `chain_from` leaves, these leave too. */
static const char *chain_from;
static const char *chain[NCLIENTS];
static int chained;
static int acks_done;

static void on_request(struct conn *c, const struct http_request *req,
                       const char *body, size_t len)
{
    if (engine_owns(req))
        engine_request(conn_req(c), c, req, body, len);
    else
        conn_respond(c, 404, "text/plain", NULL, "no\n", 3);
}

static const struct conn_handler conn_h = {on_request, engine_ws_message,
                                           engine_conn_closed, NULL};
static const struct engine_handler engine_h = {
    sock_engine_open, sock_engine_message, sock_engine_close};
static const struct sock_handler sock_h = {hub_sock_connect, hub_sock_event,
                                           hub_sock_disconnect};

static void setup(void)
{
    struct conn_limits lim;
    struct engine_config ecfg;

    log_init(-1);
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    turn_setup(base);
    memset(&lim, 0, sizeof lim);
    lim.max_head = 4096;
    lim.max_body = 65536;
    lim.max_output = 16384;
    conn_setup(base, &conn_h, &lim);
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.path = "/socket.io/";
    ecfg.ping_interval_ms = 600000;
    ecfg.ping_timeout_ms = 600000;
    ecfg.max_payload = 65536;
    ecfg.max_pending = 65536;
    ecfg.allow_websocket = 1;
    engine_setup(base, &ecfg, &engine_h);
    sock_setup(base, 600000, &sock_h);
    hub_setup(base, 1);
}

/* Runs the loop a few turns; readers collect what the daemon sent. */
static void turns(void)
{
    char buf[65536];
    ssize_t n;
    int i, k;

    for (i = 0; i < 8; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        for (k = 0; k < NCLIENTS; k++) {
            if (cl[k].fd < 0 || cl[k].deaf)
                continue;
            while ((n = read(cl[k].fd, buf, sizeof buf)) > 0) {
                cl[k].in = realloc(cl[k].in, cl[k].len + (size_t)n + 1);
                memcpy(cl[k].in + cl[k].len, buf, (size_t)n);
                cl[k].len += (size_t)n;
                cl[k].in[cl[k].len] = '\0';
            }
        }
    }
}

/* A masked client text frame (mask 0), payload < 65536. */
static void send_text(struct client *c, const char *p, size_t len)
{
    unsigned char head[8];
    size_t h = 0;

    head[h++] = 0x81;
    if (len < 126) {
        head[h++] = (unsigned char)(0x80 | len);
    } else {
        head[h++] = 0x80 | 126;
        head[h++] = (unsigned char)(len >> 8);
        head[h++] = (unsigned char)len;
    }
    memset(head + h, 0, 4);
    h += 4;
    CHECK(write(c->fd, head, h) == (ssize_t)h);
    CHECK(write(c->fd, p, len) == (ssize_t)len);
}

/* How often `needle` occurs in what client k got (NUL-free binary data). */
static int count(int k, const char *needle)
{
    const char *p = cl[k].in;
    int n = 0;

    while (p != NULL && (p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

static void open_client(int k, int deaf)
{
    static const char upgrade[] =
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    struct sockaddr_in sin;
    struct client *c = &cl[k];
    int sv[2], one = 1;
    const char *p;

    memset(c, 0, sizeof *c);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    if (deaf) /* the smallest buffers: the cap comes soon */
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    CHECK(conn_new(sv[0], (struct sockaddr *)&sin, sizeof sin) != NULL);
    c->fd = sv[1];
    CHECK(write(c->fd, upgrade, sizeof upgrade - 1) ==
          (ssize_t)(sizeof upgrade - 1));
    turns();
    send_text(c, "40", 2);
    /* Read the CONNECT answer even of a deaf client, for its sid. */
    c->deaf = 0;
    turns();
    c->deaf = deaf;
    p = c->in ? strstr(c->in, "40{\"sid\":\"") : NULL;
    CHECK(p != NULL);
    if (p != NULL)
        memcpy(c->sid, p + 10, 20);
}

static void close_all(void)
{
    int k;

    hub_set_forward(NULL, NULL, 0);
    for (k = 0; k < NCLIENTS; k++) {
        if (cl[k].fd >= 0)
            close(cl[k].fd);
        cl[k].fd = -1;
        free(cl[k].in);
        cl[k].in = NULL;
    }
    turns();
    turns();
    CHECK(engine_count() == 0);
    CHECK(turn_pending() == 0);
}

/* The application reacts to socket `chain_from` leaving by disconnecting
 * the sockets in `chain`: a close that ends others in mid-fan-out. */
static const char *forward(void *arg, const struct hub_fwd *f)
{
    int i;

    (void)arg;
    if (f->type == HUB_FWD_DISCONNECT && chain_from != NULL &&
        strcmp(f->sid, chain_from) == 0) {
        chain_from = NULL;
        for (i = 0; chain[i] != NULL; i++)
            if (hub_disconnect(chain[i]) == 0)
                chained++;
    }
    return NULL;
}

static void join(int k, const char *channel)
{
    const char *err;

    CHECK(hub_join(cl[k].sid, channel, &err) == 0);
}

static size_t visit_count;
static void visit(void *arg, const struct hub_info *info)
{
    (void)arg;
    (void)info;
    visit_count++;
}

static size_t sockets_now(void)
{
    visit_count = 0;
    hub_sessions(NULL, NULL, visit, NULL);
    return visit_count;
}

static void ack_done(void *arg, const struct hub_ack_result *results, size_t n)
{
    (void)arg;
    (void)results;
    (void)n;
    acks_done++;
}

/* Clients: 0 deaf (A), 1 (B) and 2 (C) read. A's overflow in the middle of
 * a broadcast makes the application disconnect B, met after A: the loop
 * must skip B, reach C, and read nothing freed. `channel` NULL: everyone
 * in "/" (in connect order); else the channel (joined C, B, A: the members
 * are met A, B, C). `acked` asks every receiver for an answer. */
static void run_broadcast(const char *channel, int acked)
{
    struct hub_target t;
    static char json[BIG + 16];
    int i;

    open_client(0, 1);
    open_client(1, 0);
    open_client(2, 0);
    if (channel != NULL) {
        join(2, channel);
        join(1, channel);
        join(0, channel);
    }
    chain_from = cl[0].sid;
    chain[0] = cl[1].sid;
    chain[1] = NULL;
    chained = 0;
    acks_done = 0;
    hub_set_forward(forward, NULL, 0);
    memset(&t, 0, sizeof t);
    t.rooms = &channel;
    t.nrooms = channel != NULL;
    memset(json, 'x', sizeof json);
    memcpy(json, "[\"big\",\"", 8);
    memcpy(json + BIG - 2, "\"]", 3);
    for (i = 0; i < 20 && engine_count() == 3; i++) {
        CHECK(hub_emit(&t, json, BIG, NULL, 0, 1000, acked ? ack_done : NULL,
                       NULL) >= 1);
        turns();
    }
    CHECK(engine_count() == 2); /* A's session went over the cap */
    CHECK(chained == 1);        /* and B's socket was disconnected */
    CHECK(sockets_now() == 1);  /* C is left */
    /* C heard every broadcast, B those before it was disconnected. */
    CHECK(count(2, "[\"big\"") == i);
    CHECK(count(1, "[\"big\"") == i - 1);
    CHECK(hub_emit(&t, "[\"after\"]", 9, NULL, 0, 0, NULL, NULL) == 1);
    turns();
    CHECK(count(2, "[\"after\"]") == 1);
    close_all();
    if (acked) /* each once, when its last receiver went away */
        CHECK(acks_done == i);
}

static void test_namespace_broadcast(void) { run_broadcast(NULL, 0); }
static void test_channel_broadcast(void) { run_broadcast("room", 0); }
static void test_acked_channel_broadcast(void) { run_broadcast("room", 1); }

/* Relay: S (3) sends; A (0, deaf), B (1) and C (2) share its channel. A's
 * overflow makes the application disconnect B and S itself, the sender,
 * whose channel list the relay loop walks. */
static void test_relay_sender_disconnected(void)
{
    static char pkt[BIG + 16];
    int i;

    open_client(0, 1);
    open_client(1, 0);
    open_client(2, 0);
    open_client(3, 0);
    join(2, "room");
    join(1, "room");
    join(0, "room");
    join(3, "other"); /* the sender's list: room, then other */
    join(3, "room");
    join(2, "other");
    chain_from = cl[0].sid;
    chain[0] = cl[1].sid;
    chain[1] = cl[3].sid;
    chain[2] = NULL;
    chained = 0;
    hub_set_forward(forward, NULL, 0);
    memset(pkt, 'x', sizeof pkt);
    memcpy(pkt, "42[\"big\",\"", 10);
    memcpy(pkt + BIG - 2, "\"]", 3);
    for (i = 0; i < 20 && engine_count() == 4; i++) {
        send_text(&cl[3], pkt, BIG);
        turns();
    }
    CHECK(engine_count() == 3);
    CHECK(chained == 2);
    CHECK(sockets_now() == 1); /* C */
    /* C heard each relayed event once (it shares two channels with S). */
    CHECK(count(2, "[\"big\"") == i);
    close_all();
}

static void visit_sid(void *arg, const char *sid)
{
    (void)arg;
    CHECK(strlen(sid) == 20);
}

/* Emits "[\"<tag>\"]" to rooms `r` less `x` (NULL-ended lists) and
 * returns the receiver count. */
static long emit_to(const char *tag, const char *const *r, const char *const *x,
                    unsigned flags)
{
    char json[64];
    struct hub_target t;

    memset(&t, 0, sizeof t);
    t.rooms = r;
    while (r != NULL && r[t.nrooms] != NULL)
        t.nrooms++;
    t.except = x;
    while (x != NULL && x[t.nexcept] != NULL)
        t.nexcept++;
    t.flags = flags;
    snprintf(json, sizeof json, "[\"%s\"]", tag);
    return hub_emit(&t, json, strlen(json), NULL, 0, 0, NULL, NULL);
}

/* The audience: rooms are channels or socket ids, each receiver once,
 * except-rooms exclude channels' members and sockets; HUB_F_SIDS refuses
 * an audience with no connected socket. A in a, b; B in b; C in c; D in
 * none. */
static void test_audience(void)
{
    const char *ab[] = {"a", "b", NULL}, *b[] = {"b", NULL};
    const char *nobody[] = {"nobody", NULL};
    const char *rooms[4] = {NULL}, *except[3] = {NULL};
    int k;

    for (k = 0; k < 4; k++)
        open_client(k, 0);
    join(0, "a");
    join(0, "b");
    join(1, "b");
    join(2, "c");
    CHECK(emit_to("e1", ab, NULL, 0) == 2); /* A once, B */
    rooms[0] = "c";
    rooms[1] = cl[3].sid; /* a socket id is a room of one */
    rooms[2] = "b";
    CHECK(emit_to("e2", rooms, b, 0) == 2); /* C, D; not A, B */
    except[0] = "a";
    except[1] = cl[2].sid;
    CHECK(emit_to("e3", NULL, except, 0) == 2); /* B, D */
    CHECK(emit_to("e4", nobody, NULL, 0) == 0);
    CHECK(emit_to("e5", nobody, NULL, HUB_F_SIDS) == -1);
    rooms[0] = cl[1].sid;
    rooms[1] = "nobody";
    rooms[2] = NULL;
    CHECK(emit_to("e6", rooms, NULL, HUB_F_SIDS) == 1);
    rooms[0] = "b"; /* a channel, not a socket: no one with HUB_F_SIDS */
    CHECK(emit_to("e7", rooms, NULL, HUB_F_SIDS) == -1);
    turns();
    CHECK(count(0, "[\"e1\"]") == 1 && count(1, "[\"e1\"]") == 1);
    CHECK(count(2, "[\"e1\"]") == 0 && count(3, "[\"e1\"]") == 0);
    CHECK(count(0, "[\"e2\"]") == 0 && count(1, "[\"e2\"]") == 0);
    CHECK(count(2, "[\"e2\"]") == 1 && count(3, "[\"e2\"]") == 1);
    CHECK(count(0, "[\"e3\"]") == 0 && count(1, "[\"e3\"]") == 1);
    CHECK(count(2, "[\"e3\"]") == 0 && count(3, "[\"e3\"]") == 1);
    CHECK(count(1, "[\"e6\"]") == 1);
    /* hub_audience visits the same sockets an emit reaches, each once. */
    {
        struct hub_target t;
        const char *x[] = {"b"};

        memset(&t, 0, sizeof t);
        t.rooms = ab;
        t.nrooms = 2;
        CHECK(hub_audience(&t, visit_sid, NULL) == 2); /* A, B */
        t.except = x;
        t.nexcept = 1;
        CHECK(hub_audience(&t, visit_sid, NULL) == 0);
        t.nrooms = 0;
        CHECK(hub_audience(&t, visit_sid, NULL) == 2); /* C, D */
    }
    close_all();
}

static int each_n, nsps_created;
static char each_data[64];

static void on_each(void *arg, const char *sid, const char *data, size_t len,
                    struct frame *const *attach, unsigned nattach)
{
    (void)arg;
    (void)attach;
    (void)nattach;
    CHECK(strcmp(sid, cl[0].sid) == 0);
    each_n++;
    snprintf(each_data, sizeof each_data, "%.*s", (int)len, data);
}

static void on_nsp(void *arg, const char *nsp)
{
    (void)arg;
    nsps_created += strcmp(nsp, "/") == 0;
}

/* hub_emit_each passes each answer on as it comes; `done` runs once, when
 * the last receiver went away unanswered. The namespace callback runs
 * when "/" is made again for the first socket. */
static void test_each_ack(void)
{
    struct hub_target t;
    char pkt[64], *end;
    const char *p;
    long id;

    hub_set_nsp_created(on_nsp, NULL);
    open_client(0, 0);
    open_client(1, 0);
    CHECK(nsps_created == 1);
    memset(&t, 0, sizeof t);
    t.flags = HUB_F_LOCAL;
    acks_done = 0;
    CHECK(hub_emit_each(&t, "[\"q\"]", 5, NULL, 0, 60000, on_each, ack_done,
                        NULL) == 2);
    turns();
    p = cl[0].in ? strstr(cl[0].in, "42") : NULL;
    CHECK(p != NULL);
    if (p == NULL)
        return;
    id = strtol(p + 2, &end, 10);
    CHECK(*end == '[');
    snprintf(pkt, sizeof pkt, "43%ld[\"yes\",2]", id);
    send_text(&cl[0], pkt, strlen(pkt));
    turns();
    CHECK(each_n == 1 && strcmp(each_data, "[\"yes\",2]") == 0);
    CHECK(acks_done == 0); /* B has not answered */
    close(cl[1].fd);
    cl[1].fd = -1;
    turns();
    CHECK(acks_done == 1 && each_n == 1);
    close_all();
    hub_set_nsp_created(NULL, NULL);
}

static int channels_seen;

static void see_channel(void *arg, const char *nsp, const char *name,
                        unsigned members)
{
    (void)arg;
    (void)nsp;
    (void)members;
    CHECK(users_of_room(name) == NULL);
    channels_seen++;
}

/* App users: two sockets of ann, one of bob, a watcher of "p:x" (a
 * --presence channel): one join and one leave per user, not per socket;
 * the user's room reaches both of ann's and is nobody's channel. */
static void test_users(void)
{
    const char *err, *ann[] = {"socketiod:user:ann", NULL};
    int k;

    CHECK(users_set_presence("p:", &err) == 0);
    for (k = 0; k < 4; k++)
        open_client(k, 0);
    CHECK(hub_set_user(cl[0].sid, "ann", &err) == 0);
    CHECK(hub_set_user(cl[1].sid, "ann", &err) == 0);
    CHECK(hub_set_user(cl[2].sid, "bob", &err) == 0);
    CHECK(hub_set_user(cl[2].sid, "bob", &err) == 0); /* the same: no-op */
    CHECK(hub_set_user("nobody", "x", &err) == -1);
    CHECK(hub_stats.users == 2);
    CHECK(strcmp(hub_user(cl[1].sid), "ann") == 0 &&
          hub_user(cl[3].sid) == NULL);
    CHECK(hub_join(cl[3].sid, "socketiod:user:ann", &err) == -1 &&
          strcmp(err, HUB_E_RESERVED) == 0);
    join(3, "p:x");
    join(0, "p:x"); /* ann's first: presence:join */
    join(1, "p:x"); /* her second: nothing */
    join(2, "p:x"); /* bob's first */
    join(2, "other");
    turns();
    CHECK(count(3, "presence:join") == 2 && count(3, "\"user\":\"ann\"") == 1);
    CHECK(emit_to("u1", ann, NULL, 0) == 2);
    channels_seen = 0;
    hub_channels(NULL, see_channel, NULL);
    CHECK(channels_seen == 2); /* p:x and other */
    close(cl[0].fd);           /* one of ann's two goes: nothing */
    cl[0].fd = -1;
    turns();
    CHECK(count(3, "presence:leave") == 0);
    CHECK(hub_leave(cl[1].sid, "p:x", &err) == 0); /* her last */
    turns();
    CHECK(count(3, "presence:leave") == 1 &&
          count(3, "{\"channel\":\"p:x\",\"user\":\"ann\",\"sockets\":0}") ==
              1);
    CHECK(count(1, "[\"u1\"]") == 1 && count(2, "[\"u1\"]") == 0);
    CHECK(hub_set_user(cl[2].sid, NULL, &err) == 0 && hub_stats.users == 1);
    close_all();
    CHECK(hub_stats.users == 0);
    users_shutdown();
}

int main(void)
{
    setup();
    test_namespace_broadcast();
    test_channel_broadcast();
    test_acked_channel_broadcast();
    test_relay_sender_disconnected();
    test_audience();
    test_each_ack();
    test_users();
    return T_DONE();
}
