/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* conn: one client TCP connection: reads, write-through output, HTTP/WS states.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "idmap.h"
#include "log.h"
#include "pfor.h"
#include "ws.h"

struct conn_stats conn_stats;

static const char *const conn_state_names[] = {"http", "http-wait", "ws",
                                               "draining", "closed"};

static struct event_base *conn_base;
static const struct conn_handler *conn_h;
static struct conn_limits conn_lim;
static uint32_t conn_next_id;

/* Coalescing. A syscall costs about as much as a small loopback write here,
 * so when one callback fans out several broadcasts (an RPC read of many
 * emit lines, a relay burst) a connection's 2nd..Kth frames are queued and
 * the connection goes on the dirty list; conn_flusher, at the highest
 * priority, runs as soon as that callback returns and writes each dirty
 * connection's queue with one writev. A turn is the span between two runs
 * of conn_flusher: one connection writes through at most once per turn. */
static TAILQ_HEAD(, conn) conn_dirty = TAILQ_HEAD_INITIALIZER(conn_dirty);
static struct event conn_flusher;
static uint16_t conn_turn = 1;
static int conn_flusher_due;

/* Frames already queued for one turn past this are written at once rather
 * than held for the end of the callback, so a long burst never meets the
 * output cap while the socket could still take it. */
#define CONN_COALESCE_MAX 65536

/* Frames per writev. */
#define CONN_IOV_MAX 64

/* With send threads (pfor), a turn writes through to conn_lim.spread_min
 * connections at once; a larger fan-out queues the rest, and conn_flusher
 * writes them across the threads when the callback returns: the sends of
 * one broadcast to thousands then run on every core instead of one. A
 * dirty list this long is worth waking the threads for (a burst's). */
#define CONN_SPREAD_DIRTY 128
static uint32_t conn_turn_through; /* write-throughs this turn */
static int conn_coalescing;        /* conn_coalesce_turn() this turn */
static size_t conn_ndirty;

/* One connection's write in a spread flush. */
struct conn_job {
    struct conn *c;
    ssize_t w;    /* what sendmsg returned */
    int err;      /* its errno when w < 0 */
    int n;        /* frames offered */
    size_t total; /* bytes offered */
    int more;     /* the socket took all and more is queued */
};
static struct conn_job *conn_jobs;
static size_t conn_jobs_cap;

/* Connections waiting for (the rest of) a request: one deadline list, no
 * timer per connection. Used when conn_lim.head_timeout_ms is set. */
static struct timerq conn_head_q;

/* Closing connections whose peer does not take the rest of their output
 * (conn_lim.drain_timeout_ms): without it such a connection would keep its
 * descriptor and up to max_output bytes for as long as the peer likes. */
static struct timerq conn_drain_q;

/* Open connections per peer address, kept only when max_conns_per_ip is
 * set; an entry lives while it counts at least one connection. */
struct conn_ip {
    struct idmap_node node;
    uint32_t count;
    char key[INET6_ADDRSTRLEN];
};
static struct idmap conn_ips;

/* Reads land here first; only a partial request or frame is copied into the
 * connection's own buffer, so idle connections hold no input buffer. */
static char conn_rbuf[65536];

static void conn_event_cb(evutil_socket_t fd, short what, void *arg);
static void conn_process(struct conn *c);
static const struct req_ops conn_req_ops;
static void conn_fail(struct conn *c);
static void conn_flush_dirty(evutil_socket_t fd, short what, void *arg);
static int conn_keep_input(struct conn *c, const char *data, size_t len);

static void conn_set_state(struct conn *c, enum conn_state st)
{
    log_trace("conn %u: %s -> %s", c->id, conn_state_names[c->state],
              conn_state_names[st]);
    c->state = (uint8_t)st;
    /* The request clock runs only while a request is being read, the drain
     * clock only while closing: one node serves both. */
    if (st == CONN_HTTP && conn_lim.head_timeout_ms)
        timerq_add(&conn_head_q, &c->timer);
    else if (st == CONN_DRAINING && conn_lim.drain_timeout_ms)
        timerq_add(&conn_drain_q, &c->timer);
    else
        timerq_remove(&c->timer);
}

static void conn_arm(struct conn *c, short want)
{
    if (c->armed == want)
        return;
    /* Even when not armed: event_active() (conn_respond's wake for a
     * pipelined request) queues an event that is not added, and assigning
     * over a queued event corrupts the loop's active queue. */
    event_del(&c->ev);
    event_assign(&c->ev, conn_base, c->fd, want | EV_PERSIST, conn_event_cb, c);
    if (want)
        event_add(&c->ev, NULL);
    c->armed = (uint8_t)want;
    /* event_del() dropped such a wake with the rest: give it back. */
    if ((want & EV_READ) && c->in != NULL && c->state == CONN_HTTP)
        event_active(&c->ev, EV_READ, 0);
}

static void conn_free_buf(struct buf **b)
{
    if (*b != NULL) {
        buf_free(*b);
        free(*b);
        *b = NULL;
    }
}

/* A closed connection goes at the end of the loop turn (turn_defer), so a
 * fan-out or a callback chain never touches freed memory. */
static void conn_free(struct turn_node *n)
{
    struct conn *c = TURN_OF(n, struct conn, dead);

    conn_free_buf(&c->in);
    conn_free_buf(&c->msg);
    free(c);
}

/* The peer's address for a log line (conn_peer without the port). */
static const char *conn_peer_text(const struct conn *c,
                                  char peer[INET6_ADDRSTRLEN])
{
    int port;

    conn_peer(c, peer, INET6_ADDRSTRLEN, &port);
    return peer;
}

static void conn_head_expired(struct timerq_node *node, void *arg)
{
    struct conn *c =
        (struct conn *)((char *)node - offsetof(struct conn, timer));
    char peer[INET6_ADDRSTRLEN];

    (void)arg;
    if (c->state != CONN_HTTP)
        return;
    conn_stats.head_timeouts++;
    log_info_at(conn_peer_text(c, peer), NULL,
                "conn %u: no whole request within %u ms, closing", c->id,
                conn_lim.head_timeout_ms);
    conn_fail(c);
}

static void conn_drain_expired(struct timerq_node *node, void *arg)
{
    struct conn *c =
        (struct conn *)((char *)node - offsetof(struct conn, timer));
    char peer[INET6_ADDRSTRLEN];

    (void)arg;
    if (c->state != CONN_DRAINING)
        return;
    conn_stats.drain_timeouts++;
    log_info_at(conn_peer_text(c, peer), NULL,
                "conn %u: %zu bytes still unread by the peer after %u ms of "
                "closing, closing now",
                c->id, c->out_bytes, conn_lim.drain_timeout_ms);
    conn_close(c);
}

void conn_setup(struct event_base *base, const struct conn_handler *h,
                const struct conn_limits *lim)
{
    conn_base = base;
    conn_h = h;
    conn_lim = *lim;
    event_assign(&conn_flusher, base, -1, 0, conn_flush_dirty, NULL);
    event_priority_set(&conn_flusher, TURN_FLUSH);
    conn_set_limits(lim);
}

/* The queues and the address map exist from the first limit that needs
 * them on (at start-up or on SIGHUP). */
static int conn_head_q_ready, conn_drain_q_ready, conn_ips_ready;

void conn_set_limits(const struct conn_limits *lim)
{
    conn_lim.max_conns = lim->max_conns;
    conn_lim.head_timeout_ms = lim->head_timeout_ms;
    conn_lim.drain_timeout_ms = lim->drain_timeout_ms;
    if (conn_lim.head_timeout_ms && !conn_head_q_ready) {
        timerq_init(&conn_head_q, conn_base, conn_lim.head_timeout_ms,
                    conn_head_expired, NULL);
        conn_head_q_ready = 1;
    }
    conn_head_q.delay_ms = conn_lim.head_timeout_ms;
    if (conn_lim.drain_timeout_ms && !conn_drain_q_ready) {
        timerq_init(&conn_drain_q, conn_base, conn_lim.drain_timeout_ms,
                    conn_drain_expired, NULL);
        conn_drain_q_ready = 1;
    }
    conn_drain_q.delay_ms = conn_lim.drain_timeout_ms;
    if (lim->max_conns_per_ip && !conn_ips_ready)
        conn_ips_ready = idmap_init(&conn_ips) == 0;
    /* Without the map (out of memory) no per-address limit: idmap logs
     * nothing, and refusing everyone would be worse. */
    conn_lim.max_conns_per_ip = conn_ips_ready ? lim->max_conns_per_ip : 0;
}

/* The peer's address as a map key; 0, or -1 for a peer without one
 * (a Unix socket), which no per-address limit applies to. */
static int conn_ip_key(const struct sockaddr *sa, char key[INET6_ADDRSTRLEN])
{
    const void *a;

    if (sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    else
        return -1;
    return inet_ntop(sa->sa_family, a, key, INET6_ADDRSTRLEN) ? 0 : -1;
}

/* Counts one more connection from `sa`. Returns 0 with *out set (NULL when
 * not counted), or -1 when the address is at its limit or out of memory. */
static int conn_ip_take(const struct sockaddr *sa, struct conn_ip **out)
{
    char key[INET6_ADDRSTRLEN];
    struct idmap_node *n;
    struct conn_ip *ip;

    *out = NULL;
    if (conn_lim.max_conns_per_ip == 0 || conn_ip_key(sa, key) != 0)
        return 0;
    if ((n = idmap_get(&conn_ips, key)) != NULL) {
        ip = (struct conn_ip *)n;
        if (ip->count >= conn_lim.max_conns_per_ip)
            return -1;
    } else {
        if ((ip = calloc(1, sizeof *ip)) == NULL)
            return -1;
        memcpy(ip->key, key, sizeof key);
        idmap_put(&conn_ips, &ip->node, ip->key);
    }
    ip->count++;
    *out = ip;
    return 0;
}

static void conn_ip_release(struct conn_ip *ip)
{
    if (ip != NULL && --ip->count == 0) {
        idmap_del(&conn_ips, &ip->node);
        free(ip);
    }
}

/* Refusals and overflows a flood repeats: one log line a second each. */
static struct log_summary conn_refused_all =
    LOG_SUMMARY_INIT("connections refused over --max-connections");
static struct log_summary conn_refused_ip =
    LOG_SUMMARY_INIT("connections refused over --max-connections-per-ip");
static struct log_summary conn_overflows =
    LOG_SUMMARY_INIT("connections closed: queued output over --max-output");

/* An address as text ("local" for a Unix socket) and its port. */
static void conn_sa_text(const struct sockaddr *sa, char *addr, size_t addrlen,
                         int *port)
{
    addr[0] = '\0';
    *port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, addr, (socklen_t)addrlen);
        *port = ntohs(in4->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, (socklen_t)addrlen);
        *port = ntohs(in6->sin6_port);
    } else if (addrlen > 5) {
        strcpy(addr, "local");
    }
}

static void conn_log_refusal(struct log_summary *s, const struct sockaddr *sa)
{
    char peer[INET6_ADDRSTRLEN];
    int port;

    conn_sa_text(sa, peer, sizeof peer, &port);
    log_count(s, peer, NULL);
}

struct conn *conn_new(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct conn *c;
    struct conn_ip *ip;

    if (conn_lim.max_conns && conn_stats.open >= conn_lim.max_conns) {
        conn_stats.refused++;
        conn_log_refusal(&conn_refused_all, sa);
        close(fd);
        return NULL;
    }
    if (conn_ip_take(sa, &ip) != 0) {
        conn_stats.refused++;
        conn_log_refusal(&conn_refused_ip, sa);
        close(fd);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        conn_ip_release(ip);
        close(fd);
        return NULL;
    }
    c->ip = ip;
    c->fd = fd;
    c->id = ++conn_next_id;
    c->req.ops = &conn_req_ops;
    c->req.id = c->id;
    if (len > sizeof c->peer)
        len = sizeof c->peer;
    memcpy(&c->peer, sa, len);
    conn_stats.accepted++;
    conn_stats.open++;
    if (conn_lim.head_timeout_ms)
        timerq_add(&conn_head_q, &c->timer);
    event_assign(&c->ev, conn_base, fd, 0, conn_event_cb, c);
    conn_arm(c, EV_READ);
    log_debug("conn %u: accepted fd %d", c->id, fd);
    return c;
}

struct conn *conn_adopt(int fd, const char *data, size_t len)
{
    union conn_addr peer;
    socklen_t plen = sizeof peer;
    struct conn *c;

    memset(&peer, 0, sizeof peer);
    if (getpeername(fd, &peer.sa, &plen) != 0) {
        close(fd);
        return NULL;
    }
    if ((c = conn_new(fd, &peer.sa, plen)) == NULL)
        return NULL;
    if (len == 0)
        return c;
    if (conn_keep_input(c, data, len) != 0) {
        conn_close(c);
        return NULL;
    }
    conn_process(c);
    return c;
}

int conn_idle_output(const struct conn *c) { return c->out_n == 0; }

/* Takes c off the dirty list: it is being flushed or closed now. */
static void conn_undirty(struct conn *c)
{
    if (c->dirty) {
        TAILQ_REMOVE(&conn_dirty, c, link);
        c->dirty = 0;
        conn_ndirty--;
    }
}

static void conn_drop_output(struct conn *c)
{
    uint32_t i;

    for (i = 0; i < c->out_n; i++)
        frame_unref(c->out[(c->out_head + i) & (c->out_cap - 1)].f);
    free(c->out);
    c->out = NULL;
    c->out_head = c->out_n = c->out_cap = 0;
    c->out_bytes = 0;
}

void conn_close(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    log_debug("conn %u: closed", c->id);
    conn_set_state(c, CONN_CLOSED);
    event_del(&c->ev);
    c->armed = 0;
    close(c->fd);
    c->fd = -1;
    conn_undirty(c);
    conn_drop_output(c);
    conn_ip_release(c->ip);
    c->ip = NULL;
    /* The input buffer may hold the request a caller is still reading;
     * it goes with the connection at the end of the turn. */
    c->data = NULL;
    conn_stats.open--;
    turn_defer(&c->dead, conn_free);
}

/* The connection ended on its own: tell the owner, then close. */
static void conn_fail(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    if (c->data != NULL && conn_h->closed != NULL)
        conn_h->closed(c);
    conn_close(c);
}

static int conn_enqueue(struct conn *c, struct frame *f, uint32_t off)
{
    struct conn_out *q;
    uint32_t cap, i;

    if (c->out_bytes + (f->len - off) > conn_lim.max_output) {
        char peer[INET6_ADDRSTRLEN];

        conn_stats.output_overflows++;
        log_count(&conn_overflows, conn_peer_text(c, peer), NULL);
        return -1;
    }
    if (c->out_n == c->out_cap) {
        /* A power of two, so ring positions are a mask, not a division;
         * 8 holds a typical burst of one callback without regrowing. */
        cap = c->out_cap ? c->out_cap * 2 : 8;
        q = malloc(cap * sizeof *q);
        if (q == NULL)
            return -1;
        for (i = 0; i < c->out_n; i++)
            q[i] = c->out[(c->out_head + i) & (c->out_cap - 1)];
        free(c->out);
        c->out = q;
        c->out_cap = cap;
        c->out_head = 0;
    }
    q = &c->out[(c->out_head + c->out_n) & (c->out_cap - 1)];
    q->f = frame_ref(f);
    q->off = off;
    c->out_n++;
    c->out_bytes += f->len - off;
    return 0;
}

/* The head of c's queue as iovecs, at most 64 frames; *total gets their
 * bytes. */
static int conn_out_iov(const struct conn *c, struct iovec *iov, size_t *total)
{
    const struct conn_out *o;
    uint32_t i;
    int n;

    *total = 0;
    for (n = 0, i = 0; i < c->out_n && n < CONN_IOV_MAX; i++, n++) {
        o = &c->out[(c->out_head + i) & (c->out_cap - 1)];
        iov[n].iov_base = o->f->data + o->off;
        iov[n].iov_len = o->f->len - o->off;
        *total += iov[n].iov_len;
    }
    return n;
}

/* One sendmsg of iov[0..n): bytes written, or -1 with errno. send(), not
 * write(): a few percent less per call, and no SIGPIPE. */
static ssize_t conn_sendv(int fd, struct iovec *iov, int n)
{
    struct msghdr m;

    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = (size_t)n;
    return sendmsg(fd, &m, MSG_NOSIGNAL);
}

/* Drops the `w` bytes just written from the head of c's queue (of the
 * `total` offered in `n` frames). Returns 1 when the socket took all that
 * was offered, 0 when it is full. */
static int conn_out_advance(struct conn *c, size_t w, size_t total, int n)
{
    struct conn_out *o;
    int took_all = w == total;

    if (took_all && n > 0)
        conn_stats.coalesced += (uint64_t)n - 1;
    c->out_bytes -= w;
    while (w > 0) {
        o = &c->out[c->out_head];
        if (w < o->f->len - o->off) {
            o->off += (uint32_t)w;
            break;
        }
        w -= o->f->len - o->off;
        frame_unref(o->f);
        c->out_head = (c->out_head + 1) & (c->out_cap - 1);
        c->out_n--;
    }
    if (c->out_n == 0 && c->out != NULL) {
        free(c->out);
        c->out = NULL;
        c->out_cap = c->out_head = 0;
    }
    return took_all;
}

static int conn_write_failed(struct conn *c, int err)
{
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
        return 0;
    log_debug("conn %u: write: %s", c->id, strerror(err));
    return -1;
}

/* Writes as much of the queue as the socket takes, 64 frames a call.
 * Returns 0, or -1 on a fatal error. */
static int conn_flush(struct conn *c)
{
    struct iovec iov[CONN_IOV_MAX];
    size_t total;
    ssize_t w;
    int n;

    while (c->out_n > 0) {
        n = conn_out_iov(c, iov, &total);
        w = conn_sendv(c->fd, iov, n);
        conn_stats.writes++;
        if (w < 0)
            return conn_write_failed(c, errno);
        if (!conn_out_advance(c, (size_t)w, total, n))
            break;
    }
    return 0;
}

static int conn_read_paused(const struct conn *c);

/* EV_READ unless reading is paused (conn_read_paused). */
static short conn_want_read(const struct conn *c)
{
    return conn_read_paused(c) ? 0 : EV_READ;
}

static void conn_after_flush(struct conn *c)
{
    if (c->out_n > 0) {
        conn_arm(c, c->state == CONN_DRAINING
                        ? EV_WRITE
                        : (short)(conn_want_read(c) | EV_WRITE));
        return;
    }
    if (c->state == CONN_DRAINING) {
        conn_close(c);
        return;
    }
    conn_arm(c, conn_want_read(c));
}

static void conn_job_send(void *arg, size_t i)
{
    struct conn_job *j = (struct conn_job *)arg + i;
    struct iovec iov[CONN_IOV_MAX];

    j->n = conn_out_iov(j->c, iov, &j->total);
    j->w = conn_sendv(j->c->fd, iov, j->n);
    j->err = j->w < 0 ? errno : 0;
}

/* Writes the dirty list across the send threads. The sends touch only
 * their own connection's socket and (read-only) queue; the queues are then
 * all advanced before any callback runs, since a failing connection's
 * `closed` may send to another one, whose queue must already be past what
 * went out. Returns -1, having written nothing, when out of memory. */
static int conn_flush_spread(void)
{
    struct conn_job *j;
    struct conn *c;
    size_t n = 0, i;

    if (conn_ndirty > conn_jobs_cap) {
        j = realloc(conn_jobs, conn_ndirty * 2 * sizeof *j);
        if (j == NULL)
            return -1;
        conn_jobs = j;
        conn_jobs_cap = conn_ndirty * 2;
    }
    while ((c = TAILQ_FIRST(&conn_dirty)) != NULL) {
        conn_undirty(c);
        conn_jobs[n++].c = c;
    }
    pfor_run(n, conn_job_send, conn_jobs);
    conn_stats.writes += n;
    conn_stats.spread += n;
    for (i = 0; i < n; i++) {
        j = &conn_jobs[i];
        j->more = j->w >= 0 &&
                  conn_out_advance(j->c, (size_t)j->w, j->total, j->n) &&
                  j->c->out_n > 0;
    }
    for (i = 0; i < n; i++) {
        j = &conn_jobs[i];
        c = j->c;
        if (c->state == CONN_CLOSED)
            continue;
        if ((j->w < 0 && conn_write_failed(c, j->err) != 0) ||
            (j->more && conn_flush(c) != 0)) {
            conn_fail(c);
            continue;
        }
        conn_after_flush(c);
    }
    return 0;
}

/* Ends a turn: writes every dirty connection's queue with one writev. */
static void conn_flush_dirty(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c;

    (void)fd;
    (void)what;
    (void)arg;
    conn_turn++;
    conn_turn_through = 0;
    conn_coalescing = 0;
    conn_flusher_due = 0;
    if (conn_ndirty >= CONN_SPREAD_DIRTY && pfor_threads() > 0 &&
        conn_flush_spread() == 0)
        return;
    while ((c = TAILQ_FIRST(&conn_dirty)) != NULL) {
        conn_undirty(c);
        if (conn_flush(c) != 0) {
            conn_fail(c);
            continue;
        }
        conn_after_flush(c);
    }
}

static void conn_turn_used(void)
{
    if (!conn_flusher_due) {
        conn_flusher_due = 1;
        event_active(&conn_flusher, EV_TIMEOUT, 0);
    }
}

int conn_send(struct conn *c, struct frame *f)
{
    ssize_t w = 0;

    if (c->state == CONN_CLOSED || c->state == CONN_DRAINING)
        return -1;
    if (c->out_n == 0 && c->wrote_turn != conn_turn && !conn_coalescing &&
        (conn_turn_through < conn_lim.spread_min || pfor_threads() == 0)) {
        c->wrote_turn = conn_turn;
        conn_turn_through++;
        conn_turn_used();
        w = send(c->fd, f->data, f->len, MSG_NOSIGNAL);
        conn_stats.writes++;
        if (w == (ssize_t)f->len)
            return 0;
        if (w < 0) {
            if (conn_write_failed(c, errno) != 0) {
                conn_fail(c);
                return -1;
            }
            w = 0;
        }
        /* Short: the socket is full, so the rest waits for EV_WRITE. */
        if (conn_enqueue(c, f, (uint32_t)w) != 0) {
            conn_fail(c);
            return -1;
        }
        conn_arm(c, (short)(conn_want_read(c) | EV_WRITE));
        return 0;
    }
    if (conn_enqueue(c, f, 0) != 0) {
        conn_fail(c);
        return -1;
    }
    if (c->armed & EV_WRITE)
        return 0; /* flushed when writable */
    if (c->out_bytes > CONN_COALESCE_MAX) {
        conn_undirty(c);
        if (conn_flush(c) != 0) {
            conn_fail(c);
            return -1;
        }
        conn_after_flush(c);
        return 0;
    }
    if (!c->dirty) {
        c->dirty = 1;
        conn_ndirty++;
        TAILQ_INSERT_TAIL(&conn_dirty, c, link);
        conn_turn_used();
    }
    return 0;
}

void conn_coalesce_turn(void)
{
    conn_coalescing = 1;
    conn_turn_used(); /* the flush that ends it runs even with nothing sent */
}

int conn_send_bytes(struct conn *c, const void *data, size_t len)
{
    struct frame *f = frame_new(data, len);
    int rc;

    if (f == NULL) {
        conn_fail(c);
        return -1;
    }
    rc = conn_send(c, f);
    frame_unref(f);
    return rc;
}

/* Writes what is queued, then closes. */
static void conn_drain(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    conn_set_state(c, CONN_DRAINING);
    conn_undirty(c);
    if (conn_flush(c) != 0) {
        conn_close(c);
        return;
    }
    conn_after_flush(c);
}

void conn_respond(struct conn *c, int status, const char *content_type,
                  const char *extra, const void *body, size_t len)
{
    struct buf b = BUF_INIT;
    int keep = c->keep_alive && status < 400;

    if (c->state != CONN_HTTP_WAIT && c->state != CONN_HTTP)
        return;
    if (http_write_head(&b, status, content_type, len, keep, extra) != 0 ||
        (!c->req.head && buf_append(&b, body, len) != 0)) {
        buf_free(&b);
        conn_fail(c);
        return;
    }
    c->data = NULL;
    conn_set_state(c, CONN_HTTP);
    if (conn_send_bytes(c, b.data, b.len) == 0) {
        if (!keep)
            conn_drain(c);
        else if (c->in != NULL)
            event_active(&c->ev, EV_READ, 0); /* a pipelined request waits */
    }
    buf_free(&b);
}

int conn_ws_accept(struct conn *c, const char *accept, const char *extra)
{
    struct buf b = BUF_INIT;
    int rc;

    if (buf_printf(&b,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n%s\r\n",
                   accept, extra ? extra : "") != 0) {
        buf_free(&b);
        return -1;
    }
    conn_set_state(c, CONN_WS);
    rc = conn_send_bytes(c, b.data, b.len);
    buf_free(&b);
    return rc;
}

void conn_ws_close(struct conn *c, int code, const char *reason)
{
    struct buf b = BUF_INIT;

    if (c->state != CONN_WS) {
        conn_close(c);
        return;
    }
    c->data = NULL;
    if (ws_encode_close(&b, code, reason) == 0)
        conn_send_bytes(c, b.data, b.len);
    buf_free(&b);
    conn_drain(c);
}

/* A WebSocket protocol violation by the peer. */
static void conn_ws_fail(struct conn *c, int code, const char *why)
{
    char peer[INET6_ADDRSTRLEN];

    conn_stats.ws_protocol_errors++;
    log_info_at(conn_peer_text(c, peer), NULL,
                "conn %u: websocket: %s, closing with %d", c->id, why, code);
    if (c->data != NULL && conn_h->closed != NULL)
        conn_h->closed(c);
    c->data = NULL;
    conn_ws_close(c, code, why);
}

/* An HTTP request we cannot serve: answer and close. */
static void conn_http_fail(struct conn *c, int status, const char *why)
{
    char body[128];
    int n = snprintf(body, sizeof body, "%d %s: %s\n", status,
                     http_status_text(status), why);

    char peer[INET6_ADDRSTRLEN];

    conn_stats.bad_requests++;
    c->head_ok = 0;
    log_info_at(conn_peer_text(c, peer), NULL, "conn %u: %d %s", c->id, status,
                why);
    if (c->data != NULL && conn_h->closed != NULL)
        conn_h->closed(c);
    c->data = NULL;
    c->keep_alive = 0;
    conn_set_state(c, CONN_HTTP_WAIT);
    conn_respond(c, status, "text/plain; charset=UTF-8", NULL, body, (size_t)n);
}

/* Parses one request from data. Returns bytes consumed, 0 when more input is
 * needed, -1 when the connection was answered with an error. */
static long conn_http_one(struct conn *c, const char *data, size_t len)
{
    struct http_request req;
    const struct http_header *te;
    size_t body_len;
    int n = http_parse_request(data, len, &req);

    c->req.head = 0; /* until a whole head says HEAD */
    if (n == -2) {
        if (len > conn_lim.max_head) {
            conn_http_fail(c, 431, "request head too large");
            return -1;
        }
        return 0;
    }
    if (n < 0) {
        conn_http_fail(c, 400, "malformed request");
        return -1;
    }
    c->req.head = (uint8_t)req_is_head(&req);
    if ((size_t)n > conn_lim.max_head) {
        conn_http_fail(c, 431, "request head too large");
        return -1;
    }
    /* Once per request, before its body: whoever decides to hand the
     * connection on must do it before its body is read here. */
    if (!c->head_ok && conn_h->head != NULL) {
        if (conn_h->head(c, &req, data, len) != 0 || c->state != CONN_HTTP)
            return -1;
        c->head_ok = 1;
    }
    if ((te = http_find_header(&req, "Transfer-Encoding")) != NULL) {
        conn_http_fail(c, 501, "chunked request bodies are not supported");
        return -1;
    }
    if (http_content_length(&req, &body_len) != 0) {
        conn_http_fail(c, 400, "bad Content-Length");
        return -1;
    }
    if (body_len > conn_lim.max_body) {
        conn_http_fail(c, 413, "request body over maxHttpBufferSize");
        return -1;
    }
    if (len - (size_t)n < body_len)
        return 0;
    c->keep_alive = (uint8_t)http_keep_alive(&req);
    c->head_ok = 0;
    conn_set_state(c, CONN_HTTP_WAIT);
    conn_h->request(c, &req, data + n, body_len);
    return (long)((size_t)n + body_len);
}

static void conn_ws_deliver(struct conn *c, int opcode, char *data, size_t len)
{
    if (opcode == WS_OP_TEXT) {
        uint32_t st = 0;
        if (ws_utf8_feed(&st, (const uint8_t *)data, len) != 0) {
            conn_ws_fail(c, WS_CLOSE_BAD_DATA, "invalid UTF-8");
            return;
        }
    }
    if (c->data != NULL)
        conn_h->message(c, opcode == WS_OP_BINARY, data, len);
}

static void conn_ws_control(struct conn *c, int opcode, uint8_t *p, size_t len)
{
    struct buf b = BUF_INIT;
    int code;

    if (opcode == WS_OP_PING) {
        if (ws_encode_frame(&b, WS_OP_PONG, p, len) == 0)
            conn_send_bytes(c, b.data, b.len);
        buf_free(&b);
        return;
    }
    if (opcode != WS_OP_CLOSE)
        return; /* an unsolicited pong */
    switch (ws_parse_close(p, len, &code)) {
    case 0:
        break;
    case -2:
        conn_ws_fail(c, WS_CLOSE_BAD_DATA, "invalid UTF-8 in a close reason");
        return;
    default:
        conn_ws_fail(c, WS_CLOSE_PROTOCOL, "bad close frame");
        return;
    }
    log_debug("conn %u: websocket close %d from peer", c->id, code);
    if (c->data != NULL && conn_h->closed != NULL)
        conn_h->closed(c);
    c->data = NULL;
    conn_ws_close(c, code == 1005 ? WS_CLOSE_NORMAL : code, NULL);
}

/* Parses one frame. Returns bytes consumed, 0 when more input is needed,
 * -1 when the connection was failed. */
static long conn_ws_one(struct conn *c, char *data, size_t len)
{
    struct ws_frame f;
    int h = ws_parse_head((const uint8_t *)data, len, &f);
    uint8_t *p;
    size_t plen;

    if (h == -2)
        return 0;
    if (h < 0) {
        conn_ws_fail(c, WS_CLOSE_PROTOCOL, "bad frame");
        return -1;
    }
    if (f.payload_len > conn_lim.max_body ||
        (c->msg != NULL && c->msg->len + f.payload_len > conn_lim.max_body)) {
        conn_ws_fail(c, WS_CLOSE_TOO_BIG, "message over maxHttpBufferSize");
        return -1;
    }
    if (len - (size_t)h < f.payload_len)
        return 0;
    p = (uint8_t *)data + h;
    plen = (size_t)f.payload_len;
    ws_unmask(p, plen, f.mask, 0);

    if (f.opcode >= WS_OP_CLOSE) {
        conn_ws_control(c, f.opcode, p, plen);
    } else if (f.opcode == WS_OP_CONT) {
        if (c->msg == NULL) {
            conn_ws_fail(c, WS_CLOSE_PROTOCOL, "continuation without start");
            return -1;
        }
        if (buf_append(c->msg, p, plen) != 0) {
            conn_fail(c);
            return -1;
        }
        if (c->ws_opcode == WS_OP_TEXT &&
            ws_utf8_feed(&c->ws_utf8, p, plen) < 0) {
            conn_ws_fail(c, WS_CLOSE_BAD_DATA, "invalid UTF-8");
            return -1;
        }
        if (f.fin) {
            struct buf *m = c->msg;
            int op = c->ws_opcode;
            c->msg = NULL;
            c->ws_opcode = 0;
            if (op == WS_OP_TEXT && c->ws_utf8 != 0)
                conn_ws_fail(c, WS_CLOSE_BAD_DATA, "invalid UTF-8");
            else if (c->data != NULL)
                conn_h->message(c, op == WS_OP_BINARY, m->data, m->len);
            buf_free(m);
            free(m);
        }
    } else if (c->msg != NULL) {
        conn_ws_fail(c, WS_CLOSE_PROTOCOL,
                     "new message inside a fragmented one");
        return -1;
    } else if (!f.fin) {
        c->msg = calloc(1, sizeof *c->msg);
        if (c->msg == NULL || buf_append(c->msg, p, plen) != 0) {
            conn_fail(c);
            return -1;
        }
        c->ws_opcode = (uint8_t)f.opcode;
        c->ws_utf8 = 0;
        if (f.opcode == WS_OP_TEXT && ws_utf8_feed(&c->ws_utf8, p, plen) < 0) {
            conn_ws_fail(c, WS_CLOSE_BAD_DATA, "invalid UTF-8");
            return -1;
        }
    } else {
        conn_ws_deliver(c, f.opcode, (char *)p, plen);
    }
    return (long)((size_t)h + plen);
}

/* Consumes what it can of data; returns the bytes consumed. */
static size_t conn_consume(struct conn *c, char *data, size_t len)
{
    size_t done = 0;
    long n;

    while (done < len) {
        if (c->state == CONN_HTTP)
            n = conn_http_one(c, data + done, len - done);
        else if (c->state == CONN_WS)
            n = conn_ws_one(c, data + done, len - done);
        else
            break;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

/* Runs the parsers over c->in after new input was appended. */
static void conn_process(struct conn *c)
{
    size_t used;

    if (c->in == NULL)
        return;
    used = conn_consume(c, c->in->data, c->in->len);
    if (c->state == CONN_CLOSED || c->in == NULL)
        return;
    if (used == c->in->len) {
        conn_free_buf(&c->in);
    } else if (used > 0) {
        memmove(c->in->data, c->in->data + used, c->in->len - used);
        c->in->len -= used;
    }
}

/* The most one request or frame can hold unparsed: its head and its body
 * (a WebSocket frame head is at most 14 bytes). */
static size_t conn_msg_cap(void)
{
    return conn_lim.max_head + conn_lim.max_body + 64;
}

/* 1 while c must not read: a request is in flight and what the peer
 * pipelined behind it already fills a whole request. The rest stays in
 * the socket (TCP pushes back) until the answer goes out. */
static int conn_read_paused(const struct conn *c)
{
    return c->state == CONN_HTTP_WAIT && c->in != NULL &&
           c->in->len >= conn_msg_cap();
}

/* Keeps unparsed input. Between reads the parsers leave less than one
 * request or frame (they refuse a larger one from its head), and a paused
 * connection does not read, so one read on top of that is the most c->in
 * ever holds: the cap counts what is left unparsed plus one read, not
 * what a read happens to bring (three 990 KB messages back to back under
 * a 1 MB limit all pass). */
static int conn_keep_input(struct conn *c, const char *data, size_t len)
{
    if (c->in == NULL && (c->in = calloc(1, sizeof *c->in)) == NULL)
        return -1;
    if (c->in->len + len > conn_msg_cap() + sizeof conn_rbuf)
        return -1;
    return buf_append(c->in, data, len);
}

static void conn_read(struct conn *c)
{
    ssize_t n;
    size_t used;

    /* Parse what waits (a pipelined request, once the one before it was
     * answered) before reading more, so the buffer never holds more than
     * one unparsed request or frame when a read lands on it. */
    if (c->in != NULL && c->state != CONN_HTTP_WAIT) {
        conn_process(c);
        if (c->state == CONN_CLOSED || c->state == CONN_DRAINING)
            return;
    }
    if (conn_read_paused(c)) {
        conn_arm(c, (short)(c->armed & ~EV_READ));
        return;
    }
    if (!(c->armed & EV_READ))
        conn_arm(c, (short)(c->armed | EV_READ)); /* resumed */
    n = read(c->fd, conn_rbuf, sizeof conn_rbuf);
    if (n == 0) {
        log_debug("conn %u: peer closed", c->id);
        conn_fail(c);
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        log_debug("conn %u: read: %s", c->id, strerror(errno));
        conn_fail(c);
        return;
    }
    if (c->in == NULL && c->state != CONN_HTTP_WAIT) {
        used = conn_consume(c, conn_rbuf, (size_t)n);
        if (c->state == CONN_CLOSED || c->state == CONN_DRAINING ||
            used == (size_t)n)
            return;
        if (conn_keep_input(c, conn_rbuf + used, (size_t)n - used) != 0)
            conn_fail(c);
        return;
    }
    if (conn_keep_input(c, conn_rbuf, (size_t)n) != 0) {
        conn_fail(c);
        return;
    }
    if (c->state != CONN_HTTP_WAIT)
        conn_process(c);
}

static void conn_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    (void)fd;
    if (what & EV_WRITE) {
        if (conn_flush(c) != 0) {
            conn_fail(c);
            return;
        }
        conn_after_flush(c);
        if (c->state == CONN_CLOSED)
            return;
    }
    if ((what & EV_READ) && c->state != CONN_CLOSED) {
        if (c->state == CONN_DRAINING) {
            /* Discard input while draining so a peer cannot stall us. */
            if (read(c->fd, conn_rbuf, sizeof conn_rbuf) == 0)
                conn_close(c);
            return;
        }
        conn_read(c);
    }
}

void conn_peer(const struct conn *c, char *addr, size_t addrlen, int *port)
{
    conn_sa_text(&c->peer.sa, addr, addrlen, port);
}

/* ---- the request in flight as a struct req ---- */

static struct conn *conn_of_req(const struct req *r)
{
    return (struct conn *)((char *)r - offsetof(struct conn, req));
}

static void conn_req_respond(struct req *r, int status,
                             const char *content_type, const char *extra,
                             const void *body, size_t len)
{
    conn_respond(conn_of_req(r), status, content_type, extra, body, len);
}

static void conn_req_peer(const struct req *r, char *addr, size_t addrlen,
                          int *port)
{
    conn_peer(conn_of_req(r), addr, addrlen, port);
}

static const struct req_ops conn_req_ops = {conn_req_respond, conn_req_peer};

struct req *conn_req(struct conn *c) { return &c->req; }
