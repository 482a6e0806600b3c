/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* conn_test: the output path over a real socket pair: write-through, frames
 * of one callback coalesced into one writev, the cap, closing while dirty,
 * the drain deadline, a large fan-out written across the send threads; the
 * `head` hook and adopting a handed-off connection. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "pfor.h"
#include "t.h"
#include "turn.h"

static struct event_base *base;
static int closed_calls;

/* Requests seen, the last body, and whether to answer them. */
static int t_requests, t_answer;
static char t_body[64];
static size_t t_body_len;

static void t_request(struct conn *c, const struct http_request *req,
                      const char *body, size_t len)
{
    (void)req;
    t_requests++;
    t_body_len = len < sizeof t_body ? len : sizeof t_body;
    memcpy(t_body, body, t_body_len);
    if (t_answer)
        conn_respond(c, 200, "text/plain", NULL, "ok", 2);
}

/* `head` calls, and when t_take is set, a hand-off: the connection's fd
 * kept (as a record in flight would) with the bytes read so far. */
static int t_heads, t_take, t_taken_fd = -1;
static char t_taken[256];
static size_t t_taken_len;

static int t_head(struct conn *c, const struct http_request *req,
                  const char *data, size_t len)
{
    (void)req;
    t_heads++;
    if (!t_take)
        return 0;
    t_taken_fd = dup(c->fd);
    t_taken_len = len < sizeof t_taken ? len : sizeof t_taken;
    memcpy(t_taken, data, t_taken_len);
    conn_close(c);
    return 1;
}

static void t_message(struct conn *c, int binary, char *data, size_t len)
{
    (void)c, (void)binary, (void)data, (void)len;
}

/* When set, a connection's `closed` sends a frame to it, as an owner
 * telling others of a departure would: one big enough to be written at
 * once (past CONN_COALESCE_MAX). */
static struct conn *closed_tell;
static char closed_news[70000];

static void t_closed(struct conn *c)
{
    (void)c;
    closed_calls++;
    if (closed_tell != NULL)
        conn_send_bytes(closed_tell, closed_news, sizeof closed_news);
}

static const struct conn_handler t_handler = {t_request, t_message, t_closed,
                                              t_head};

/* A connection on one end of a socket pair; *peer is the other end. */
static struct conn *t_pair(int *peer)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int sv[2];
    struct conn *c;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    c = conn_new(sv[0], (struct sockaddr *)&sa, sizeof sa);
    c->data = c; /* an owner, so `closed` runs */
    *peer = sv[1];
    return c;
}

/* What the peer can read now, without waiting. */
static size_t t_drain(int fd, char *out, size_t cap)
{
    ssize_t n;
    size_t got = 0;

    while (got < cap && (n = read(fd, out + got, cap - got)) > 0)
        got += (size_t)n;
    return got;
}

/* One turn of the loop: what conn_flusher and the I/O events do. */
static void t_turn(void) { event_base_loop(base, EVLOOP_NONBLOCK); }

static int t_send(struct conn *c, const char *s)
{
    return conn_send_bytes(c, s, strlen(s));
}

static void test_write_through_then_coalesce(void)
{
    char got[256];
    int peer;
    struct conn *c = t_pair(&peer);
    uint64_t w0 = conn_stats.writes, k0 = conn_stats.coalesced;

    t_turn(); /* a fresh turn */
    CHECK(t_send(c, "one") == 0);
    /* The first frame of a turn is on the wire before any loop turn. */
    CHECK_STR(got, t_drain(peer, got, sizeof got), "one");
    CHECK(t_send(c, "two") == 0);
    CHECK(t_send(c, "three") == 0);
    /* Later frames of the same callback wait for its end... */
    CHECK(t_drain(peer, got, sizeof got) == 0);
    CHECK(c->out_n == 2 && c->dirty);
    t_turn();
    /* ...and then leave in one writev. */
    CHECK_STR(got, t_drain(peer, got, sizeof got), "twothree");
    CHECK(conn_stats.writes - w0 == 2);
    CHECK(conn_stats.coalesced - k0 == 1);
    CHECK(c->out_n == 0 && !c->dirty && c->out == NULL);
    /* A new turn writes through again, and EV_WRITE was never needed. */
    CHECK(!(c->armed & EV_WRITE));
    CHECK(t_send(c, "four") == 0);
    CHECK_STR(got, t_drain(peer, got, sizeof got), "four");
    conn_close(c);
    t_turn();
    close(peer);
}

/* Told that more frames follow in this callback, the first one waits
 * too: one write for all, and the next turn writes through again. */
static void test_coalesce_turn(void)
{
    char got[256];
    int peer;
    struct conn *c = t_pair(&peer);
    uint64_t w0;

    t_turn();
    w0 = conn_stats.writes;
    conn_coalesce_turn();
    CHECK(t_send(c, "one") == 0);
    CHECK(t_send(c, "two") == 0);
    CHECK(t_drain(peer, got, sizeof got) == 0);
    CHECK(c->out_n == 2 && c->dirty);
    t_turn();
    CHECK_STR(got, t_drain(peer, got, sizeof got), "onetwo");
    CHECK(conn_stats.writes - w0 == 1);
    CHECK(t_send(c, "three") == 0);
    CHECK_STR(got, t_drain(peer, got, sizeof got), "three");
    /* Said with nothing sent, it ends with its callback all the same. */
    conn_coalesce_turn();
    t_turn();
    CHECK(t_send(c, "four") == 0);
    CHECK_STR(got, t_drain(peer, got, sizeof got), "four");
    conn_close(c);
    t_turn();
    close(peer);
}

static void test_many_connections_one_write_each(void)
{
    enum { N = 8, K = 5 };
    struct conn *c[N];
    int peer[N], i, k;
    char got[256], want[256] = "";
    uint64_t w0;

    for (i = 0; i < N; i++)
        c[i] = t_pair(&peer[i]);
    t_turn();
    w0 = conn_stats.writes;
    for (k = 0; k < K; k++) /* K broadcasts in one callback */
        for (i = 0; i < N; i++)
            CHECK(t_send(c[i], k % 2 ? "b" : "a") == 0);
    t_turn();
    for (k = 0; k < K; k++)
        strcat(want, k % 2 ? "b" : "a");
    CHECK(conn_stats.writes - w0 == 2 * N);
    for (i = 0; i < N; i++) {
        CHECK_MEM(got, t_drain(peer[i], got, sizeof got), want, strlen(want));
        conn_close(c[i]);
        close(peer[i]);
    }
    t_turn();
}

/* A burst bigger than the coalescing bound is written before the callback
 * ends, so it never counts against the cap while the socket has room. */
static void test_long_burst_goes_out_early(void)
{
    static char chunk[16384], got[1 << 18];
    int peer, i, sz = 1 << 20;
    struct conn *c = t_pair(&peer);
    size_t n;

    setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    memset(chunk, 'x', sizeof chunk);
    t_turn();
    for (i = 0; i < 8; i++)
        CHECK(conn_send_bytes(c, chunk, sizeof chunk) == 0);
    n = t_drain(peer, got, sizeof got);
    CHECK(n >= 65536);
    t_turn();
    n += t_drain(peer, got, sizeof got);
    CHECK(n == 8 * sizeof chunk);
    conn_close(c);
    t_turn();
    close(peer);
}

/* A peer that does not read: the queue meets the cap and the connection is
 * closed, telling its owner, as before coalescing. */
static void test_slow_reader_hits_the_cap(void)
{
    static char chunk[4096];
    int peer, i, rc = 0, sz = 4096;
    struct conn *c = t_pair(&peer);
    uint64_t over = conn_stats.output_overflows;

    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    closed_calls = 0;
    for (i = 0; i < 4096 && rc == 0; i++) {
        rc = conn_send_bytes(c, chunk, sizeof chunk);
        if (i % 7 == 0)
            t_turn(); /* several turns, some frames coalesced */
    }
    CHECK(rc == -1);
    CHECK(conn_stats.output_overflows == over + 1);
    CHECK(closed_calls == 1);
    CHECK(c->state == CONN_CLOSED && !c->dirty);
    t_turn();
    close(peer);
}

/* Closing a connection that waits on the dirty list drops its queue; the
 * flush at the end of the callback must not touch it. */
static void test_close_while_dirty(void)
{
    char got[64];
    int peer, other_peer;
    struct conn *c = t_pair(&peer), *other = t_pair(&other_peer);

    t_turn();
    CHECK(t_send(c, "a") == 0);
    CHECK(t_send(other, "x") == 0);
    CHECK(t_send(c, "b") == 0);
    CHECK(t_send(other, "y") == 0);
    CHECK(c->dirty && other->dirty);
    conn_close(c);
    t_turn();
    CHECK_STR(got, t_drain(peer, got, sizeof got), "a");
    CHECK(read(peer, got, sizeof got) == 0); /* then EOF */
    CHECK_STR(got, t_drain(other_peer, got, sizeof got), "xy");
    conn_close(other);
    t_turn();
    close(peer);
    close(other_peer);
}

/* With a send thread, a broadcast to more connections than are written
 * through at once is queued and written across the threads at the end of
 * the callback: every peer gets every frame once and in order, a failed
 * peer is closed and its owner told, and what that owner sends in its
 * `closed` to a connection of the same flush, written at once, comes after
 * the flushed frames, which are not written twice. */
static void test_spread_fanout(void)
{
    enum { N = 300, K = 3, DEAD = 200, TOLD = 250 };
    struct conn *c[N];
    int peer[N], i, k;
    static char got[sizeof closed_news + 64], want[sizeof got];
    uint64_t w0, s0;

    memset(closed_news, 'z', sizeof closed_news);
    for (i = 0; i < N; i++)
        c[i] = t_pair(&peer[i]);
    t_turn();
    close(peer[DEAD]); /* its writes fail with EPIPE */
    closed_calls = 0;
    closed_tell = c[TOLD];
    w0 = conn_stats.writes;
    s0 = conn_stats.spread;
    for (k = 0; k < K; k++)
        for (i = 0; i < N; i++)
            conn_send_bytes(c[i], &"abc"[k], 1);
    CHECK(c[N - 1]->out_n == K); /* not written through */
    t_turn();
    CHECK(conn_stats.spread - s0 >= N - 64);
    CHECK(conn_stats.writes - w0 <= (uint64_t)N + 64 + 2);
    CHECK(closed_calls == 1); /* c[DEAD] is closed, and freed by now */
    memcpy(want, "abc", 3);
    memcpy(want + 3, closed_news, sizeof closed_news);
    for (i = 0; i < N; i++) {
        if (i == DEAD)
            continue;
        CHECK_MEM(got, t_drain(peer[i], got, sizeof got), want,
                  i == TOLD ? 3 + sizeof closed_news : 3);
        CHECK(c[i]->out_n == 0 && !c[i]->dirty);
        conn_close(c[i]);
        close(peer[i]);
    }
    closed_tell = NULL;
    t_turn();
}

/* A closing connection whose peer takes nothing more is closed when the
 * drain timeout passes, not kept with its queue for as long as the peer
 * likes. */
static void test_drain_deadline(void)
{
    static char body[600000];
    int peer, sz = 4096;
    struct conn *c = t_pair(&peer);
    uint64_t timeouts = conn_stats.drain_timeouts, open = conn_stats.open;
    struct timeval tv = {0, 20000};
    int i;

    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    c->keep_alive = 0;
    conn_respond(c, 200, "text/plain", NULL, body, sizeof body);
    CHECK(c->state == CONN_DRAINING);
    for (i = 0; i < 100 && conn_stats.drain_timeouts == timeouts; i++) {
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    CHECK(conn_stats.drain_timeouts == timeouts + 1);
    CHECK(conn_stats.open == open - 1);
    close(peer);
}

static struct conn *t_plain(int *peer)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        abort();
    *peer = sv[1];
    return conn_new(sv[0], (struct sockaddr *)&sa, sizeof sa);
}

static void t_write(int fd, const char *s)
{
    CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

/* `head` runs once per request, before its body, and again for the next
 * request of a keep-alive connection. */
static void test_head_once_per_request(void)
{
    char got[256];
    int peer;
    struct conn *c = t_plain(&peer);

    t_heads = t_requests = 0;
    t_answer = 1;
    t_write(peer, "POST /a HTTP/1.1\r\nContent-Length: 6\r\n\r\nab");
    t_turn();
    CHECK(t_heads == 1 && t_requests == 0);
    t_write(peer, "cd");
    t_turn();
    CHECK(t_heads == 1 && t_requests == 0);
    t_write(peer, "ef");
    t_turn();
    CHECK(t_heads == 1 && t_requests == 1);
    CHECK_STR(t_body, t_body_len, "abcdef");
    CHECK(t_drain(peer, got, sizeof got) > 0);
    t_write(peer, "GET /b HTTP/1.1\r\n\r\n");
    t_turn();
    CHECK(t_heads == 2 && t_requests == 2);
    t_answer = 0;
    conn_close(c);
    t_turn();
    close(peer);
}

/* A connection taken at its head: no body read, no shutdown, its count
 * released; adopted with the bytes it carried, it is served as if read. */
static void test_take_and_adopt(void)
{
    const char req[] = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel";
    char got[256];
    int peer;
    struct conn *c = t_plain(&peer);
    uint64_t open = conn_stats.open;
    ssize_t n;

    t_heads = t_requests = 0;
    t_take = 1;
    t_write(peer, req);
    t_turn();
    t_take = 0;
    CHECK(t_heads == 1 && t_requests == 0);
    CHECK(conn_stats.open == open - 1);
    CHECK_STR(t_taken, t_taken_len, req);
    /* The peer sees neither an end nor a reset. */
    n = read(peer, got, sizeof got);
    CHECK(n < 0 && errno == EAGAIN);
    t_turn();
    c = conn_adopt(t_taken_fd, t_taken, t_taken_len);
    CHECK(c != NULL && conn_stats.open == open);
    CHECK(t_heads == 2 && t_requests == 0);
    t_write(peer, "lo");
    t_turn();
    CHECK(t_requests == 1);
    CHECK_STR(t_body, t_body_len, "hello");
    conn_close(c);
    t_turn();
    close(peer);
}

/* Adoption obeys the limits of an accepted socket and takes only a
 * connected socket; what it refuses is closed. */
static void test_adopt_refusals(void)
{
    struct conn_limits lim = {.max_head = 8192,
                              .max_body = 1 << 20,
                              .max_output = 1 << 20,
                              .drain_timeout_ms = 100,
                              .spread_min = 64};
    int sv[2], pfd[2], peer;
    uint64_t refused = conn_stats.refused;
    struct conn *c = t_plain(&peer);
    char got[8];

    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    lim.max_conns = (uint32_t)conn_stats.open;
    conn_set_limits(&lim);
    CHECK(conn_adopt(sv[0], "GET / HTTP/1.1\r\n", 16) == NULL);
    CHECK(conn_stats.refused == refused + 1);
    CHECK(read(sv[1], got, sizeof got) == 0); /* closed */
    close(sv[1]);
    lim.max_conns = 0;
    conn_set_limits(&lim);
    CHECK(pipe(pfd) == 0);
    CHECK(conn_adopt(pfd[0], "", 0) == NULL);
    CHECK(fcntl(pfd[0], F_GETFD) < 0);
    close(pfd[1]);
    conn_close(c);
    t_turn();
    close(peer);
}

int main(void)
{
    struct conn_limits lim = {.max_head = 8192,
                              .max_body = 1 << 20,
                              .max_output = 1 << 20,
                              .drain_timeout_ms = 100,
                              .spread_min = 64};

    base = event_base_new();
    if (base == NULL || turn_setup(base) != 0)
        return 1;
    conn_setup(base, &t_handler, &lim);
    test_write_through_then_coalesce();
    test_coalesce_turn();
    test_many_connections_one_write_each();
    test_long_burst_goes_out_early();
    test_slow_reader_hits_the_cap();
    test_close_while_dirty();
    test_drain_deadline();
    test_head_once_per_request();
    test_take_and_adopt();
    test_adopt_refusals();
    CHECK(pfor_setup(1) == 0);
    test_spread_fanout();
    pfor_shutdown();
    event_base_free(base);
    return T_DONE();
}
