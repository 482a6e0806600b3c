/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* loadgen: N raw Engine.IO v4 WebSocket clients on one epoll loop, counting
 * the ("tick", seq, t_us) broadcasts they receive; the bench's load generator.
 *
 *   loadgen -p PORT -n N [-h 127.0.0.1] [-s SRC,SRC,...] [-c INFLIGHT]
 *           [-P /socket.io/] [-t CONNECT_SECONDS]
 *
 * Each client opens GET PATH?EIO=4&transport=websocket, answers the Engine.IO
 * open packet with "40", each ping "2" with "3", and counts every
 * 42["tick",SEQ,T_US] frame. T_US is CLOCK_MONOTONIC in microseconds taken
 * by whoever emitted the broadcast on this machine, so now - T_US is the
 * delivery latency. Sources are bound round-robin to the -s addresses with
 * IP_BIND_ADDRESS_NO_PORT, so 19k clients never run one address out of
 * ephemeral ports; at most -c handshakes are in flight (the servers' backlog).
 *
 * Commands on stdin, one per line; answers are JSON lines on stdout:
 *   stats          counters and latency percentiles since the last reset
 *   reset          zero them
 *   lazy US        sleep US after each round over the ready sockets, so
 *                  frames pile up in the socket buffers and one read takes
 *                  many (throughput phases: the client must cost less than
 *                  the server)
 *   expect TOTAL   print {"ev":"reached"} once TOTAL ticks arrived since reset
 *   comps          each broadcast seen since the reset (the newest 16,384):
 *                  [seq, t_us, last_us, receivers], so that a driver running
 *                  several load generators can tell when the last client of
 *                  all of them got it
 *   quit
 * Once every client has connected (or failed, or the connect time ran out)
 * it prints {"ev":"ready",...} by itself.
 *
 * Built by bench/run.sh with cc -O2 together with genlib.c; no
 * dependencies. */
#define _GNU_SOURCE
#include "genlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum lg_state {
    LG_IDLE,       /* not started yet */
    LG_CONNECTING, /* TCP connect in progress */
    LG_UPGRADING,  /* request sent, waiting for "101 Switching Protocols" */
    LG_OPENING,    /* waiting for the Engine.IO open packet "0{...}" */
    LG_JOINING,    /* sent "40", waiting for the namespace's "40{...}" */
    LG_READY,
    LG_DEAD,
};

struct lg_conn {
    int fd;
    uint8_t state;
    uint32_t nkeep; /* bytes of a partial frame carried to the next read */
    char *keep;
    uint32_t ticks; /* since the last reset */
};

/* One broadcast as seen by all clients: when it was emitted, how many
 * received it, when the last one did. Indexed by seq modulo the size, so
 * only the newest LG_BCAST_SLOTS can be reported incomplete; completions
 * are counted as they happen (lg_comp), whatever their number. */
#define LG_BCAST_SLOTS 16384
struct lg_bcast {
    int64_t seq;
    uint64_t t_us, last_us;
    uint32_t count;
};

static struct lg_conn *lg_conns;
static int lg_epfd;
static char lg_request[512];
static int lg_request_len;
static char lg_sid0[64];
static long lg_lazy_us;
static struct gl_hist lg_comp; /* completion times, since the last reset */
static struct lg_bcast lg_bcasts[LG_BCAST_SLOTS];
static uint32_t lg_rng = 0x9e3779b9u;
static char lg_rbuf[1 << 18];

static void lg_start(int i);
static struct gl_run lg_run = GL_RUN_INIT(lg_start);

static void lg_reset(void)
{
    gl_run_reset(&lg_run);
    memset(&lg_comp, 0, sizeof lg_comp);
    for (int i = 0; i < LG_BCAST_SLOTS; i++)
        lg_bcasts[i].seq = -1;
    for (int i = 0; i < lg_run.n; i++)
        lg_conns[i].ticks = 0;
}

/* Sends one masked text frame (clients must mask; the payloads are 1-2
 * bytes, so masking costs nothing). A short write on a socket whose send
 * buffer holds nothing else does not happen; if it does, the client is lost. */
static int lg_send_text(struct lg_conn *c, const char *s, size_t n)
{
    unsigned char f[2 + 4 + 16];
    if (n > 16)
        return -1;
    lg_rng ^= lg_rng << 13;
    lg_rng ^= lg_rng >> 17;
    lg_rng ^= lg_rng << 5;
    f[0] = 0x81;
    f[1] = (unsigned char)(0x80 | n);
    memcpy(f + 2, &lg_rng, 4);
    for (size_t i = 0; i < n; i++)
        f[6 + i] = (unsigned char)(s[i] ^ f[2 + (i & 3)]);
    return send(c->fd, f, 6 + n, MSG_NOSIGNAL) == (ssize_t)(6 + n) ? 0 : -1;
}

static void lg_kill(struct lg_conn *c)
{
    if (c->state == LG_DEAD)
        return;
    int was = c->state;
    epoll_ctl(lg_epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->keep);
    c->keep = NULL;
    c->nkeep = 0;
    c->state = LG_DEAD;
    gl_run_lost(&lg_run, was == LG_READY);
}

static void lg_start(int i)
{
    struct lg_conn *c = &lg_conns[i];
    c->fd = gl_connect(&lg_run, (unsigned)i);
    if (c->fd < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN,
                             .data.u32 = (uint32_t)i};
    if (epoll_ctl(lg_epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        goto fail_fd;
    c->state = LG_CONNECTING;
    lg_run.inflight++;
    return;
fail_fd:
    close(c->fd);
fail:
    c->state = LG_DEAD;
    lg_run.failed++;
}

/* A tick (seq, emitted at t) one more client received at now. */
static void lg_bcast(long long seq, uint64_t t, uint64_t now)
{
    struct lg_bcast *b = &lg_bcasts[(uint64_t)seq % LG_BCAST_SLOTS];
    if (b->seq != seq) {
        b->seq = seq;
        b->t_us = t;
        b->count = 0;
    }
    b->count++;
    b->last_us = now;
    if (b->count == (uint32_t)lg_run.ready)
        gl_hist_add(&lg_comp, now > b->t_us ? now - b->t_us : 0);
}

/* One Engine.IO packet from a text frame. Returns -1 to drop the client. */
static int lg_packet(struct lg_conn *c, const char *p, size_t n, uint64_t now)
{
    long long seq;
    uint64_t t;
    int tick = gl_run_tick(&lg_run, &c->ticks, p, n, now, &seq, &t);
    if (tick > 0)
        lg_bcast(seq, t, now);
    if (tick)
        return 0;
    if (n == 1 && p[0] == '2')
        return lg_send_text(c, "3", 1);
    if (c->state == LG_OPENING && n > 0 && p[0] == '0') {
        c->state = LG_JOINING;
        return lg_send_text(c, "40", 2);
    }
    if (c->state == LG_JOINING && n >= 2 && p[0] == '4' && p[1] == '0') {
        c->state = LG_READY;
        if (!lg_sid0[0])
            gl_sid(p, n, lg_sid0, sizeof lg_sid0);
        gl_run_ready(&lg_run, now);
        return 0;
    }
    if (n > 0 && p[0] == '1') /* Engine.IO close */
        return -1;
    lg_run.other++;
    return 0;
}

/* Consumes whole WebSocket frames from p; returns the bytes used, or -1. */
static long lg_frames(struct lg_conn *c, char *p, size_t n, uint64_t now)
{
    size_t off = 0;
    while (n - off >= 2) {
        unsigned char *h = (unsigned char *)p + off;
        size_t hl = 2, len = h[1] & 0x7f;
        if (len == 126) {
            if (n - off < 4)
                break;
            len = ((size_t)h[2] << 8) | h[3];
            hl = 4;
        } else if (len == 127) {
            if (n - off < 10)
                break;
            len = 0;
            for (int i = 2; i < 10; i++)
                len = (len << 8) | h[i];
            hl = 10;
        }
        if (h[1] & 0x80) /* servers never mask; refuse rather than unmask */
            return -1;
        if (len > sizeof lg_rbuf / 2)
            return -1;
        if (n - off < hl + len)
            break;
        int op = h[0] & 0x0f;
        char *pl = p + off + hl;
        if (!(h[0] & 0x80) ||
            op == 0) /* fragments: no server sends them to us */
            return -1;
        if (op == 1) {
            if (lg_packet(c, pl, len, now) < 0)
                return -1;
        } else if (op == 8) {
            return -1;
        } else if (op == 9) { /* ping: the answer needs no payload check */
            unsigned char pong[6] = {0x8a, 0x80, 0, 0, 0, 0};
            if (len == 0 &&
                send(c->fd, pong, sizeof pong, MSG_NOSIGNAL) != sizeof pong)
                return -1;
        }
        off += hl + len;
    }
    return (long)off;
}

static void lg_readable(struct lg_conn *c, uint64_t now)
{
    size_t have = c->nkeep;
    if (have)
        memcpy(lg_rbuf, c->keep, have);
    ssize_t r = read(c->fd, lg_rbuf + have, sizeof lg_rbuf - have);
    if (r <= 0) {
        if (r < 0 && errno == EAGAIN)
            return;
        lg_kill(c);
        return;
    }
    have += (size_t)r;
    char *p = lg_rbuf;
    if (c->state == LG_UPGRADING) {
        char *e = memmem(p, have, "\r\n\r\n", 4);
        if (!e) {
            if (have > 4096)
                goto dead;
            goto keep;
        }
        if (have < 12 || memcmp(p + 9, "101", 3) != 0)
            goto dead;
        size_t hl = (size_t)(e + 4 - p);
        p += hl;
        have -= hl;
        c->state = LG_OPENING;
    }
    long used = lg_frames(c, p, have, now);
    if (used < 0)
        goto dead;
    p += used;
    have -= (size_t)used;
keep:
    free(c->keep);
    c->keep = NULL;
    c->nkeep = 0;
    if (have) {
        if (!(c->keep = malloc(have)))
            goto dead;
        memcpy(c->keep, p, have);
        c->nkeep = (uint32_t)have;
    }
    return;
dead:
    lg_kill(c);
}

static void lg_writable(struct lg_conn *c)
{
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
        lg_kill(c);
        return;
    }
    if (send(c->fd, lg_request, (size_t)lg_request_len, MSG_NOSIGNAL) !=
        lg_request_len) {
        lg_kill(c);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN,
                             .data.u32 = (uint32_t)(c - lg_conns)};
    epoll_ctl(lg_epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->state = LG_UPGRADING;
}

static void lg_stats(void)
{
    uint64_t incomplete = 0;
    for (int i = 0; i < LG_BCAST_SLOTS; i++)
        if (lg_bcasts[i].seq >= 0 && (int)lg_bcasts[i].count < lg_run.ready)
            incomplete++;
    uint32_t mn = UINT32_MAX, mx = 0;
    for (int i = 0; i < lg_run.n; i++) {
        if (lg_conns[i].state != LG_READY)
            continue;
        if (lg_conns[i].ticks < mn)
            mn = lg_conns[i].ticks;
        if (lg_conns[i].ticks > mx)
            mx = lg_conns[i].ticks;
    }
    if (mn == UINT32_MAX)
        mn = 0;
    printf("{\"ev\":\"stats\",\"now_us\":%llu,\"ready\":%d,\"failed\":%d,"
           "\"dropped\":%d,"
           "\"ticks\":%llu,\"other\":%llu,\"first_rx_us\":%llu,\"last_rx_us\":%"
           "llu,"
           "\"per_conn_min\":%u,\"per_conn_max\":%u,"
           "\"lat_p50_us\":%llu,\"lat_p99_us\":%llu,\"lat_max_us\":%llu,"
           "\"bcasts_complete\":%llu,\"bcasts_incomplete\":%llu,"
           "\"comp_p50_us\":%llu,\"comp_p99_us\":%llu,\"comp_max_us\":%llu}\n",
           (unsigned long long)gl_now_us(), lg_run.ready, lg_run.failed,
           lg_run.dropped, (unsigned long long)lg_run.ticks,
           (unsigned long long)lg_run.other,
           (unsigned long long)lg_run.first_rx_us,
           (unsigned long long)lg_run.last_rx_us, mn, mx,
           (unsigned long long)gl_hist_pct(&lg_run.lat, 50),
           (unsigned long long)gl_hist_pct(&lg_run.lat, 99),
           (unsigned long long)lg_run.lat.max, (unsigned long long)lg_comp.n,
           (unsigned long long)incomplete,
           (unsigned long long)gl_hist_pct(&lg_comp, 50),
           (unsigned long long)gl_hist_pct(&lg_comp, 99),
           (unsigned long long)lg_comp.max);
    fflush(stdout);
}

static void lg_comps(void)
{
    printf("{\"ev\":\"comps\",\"ready\":%d,\"b\":[", lg_run.ready);
    const char *sep = "";
    for (int i = 0; i < LG_BCAST_SLOTS; i++) {
        const struct lg_bcast *b = &lg_bcasts[i];
        if (b->seq < 0)
            continue;
        printf("%s[%lld,%llu,%llu,%u]", sep, (long long)b->seq,
               (unsigned long long)b->t_us, (unsigned long long)b->last_us,
               b->count);
        sep = ",";
    }
    printf("]}\n");
    fflush(stdout);
}

/* The commands that are loadgen's own (gl_stdin). */
static int lg_command(const char *line)
{
    if (!strcmp(line, "stats")) {
        lg_stats();
    } else if (!strcmp(line, "comps")) {
        lg_comps();
    } else if (!strcmp(line, "reset")) {
        lg_reset();
        printf("{\"ev\":\"reset\"}\n");
        fflush(stdout);
    } else if (!strncmp(line, "lazy ", 5)) {
        lg_lazy_us = atol(line + 5);
        printf("{\"ev\":\"lazy\",\"us\":%ld}\n", lg_lazy_us);
        fflush(stdout);
    } else {
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, GL_RUN_OPTS)) != -1) {
        int took = gl_run_opt(&lg_run, opt, optarg, "loadgen");
        if (took < 0)
            return 2;
        if (!took) {
            fprintf(stderr, "usage: loadgen -p PORT -n N [-h HOST] [-s "
                            "SRC,...] [-c INFLIGHT] "
                            "[-P PATH] [-t CONNECT_SECONDS]\n");
            return 2;
        }
    }
    if (gl_run_opts_done(&lg_run, "loadgen") < 0)
        return 2;
    lg_request_len =
        snprintf(lg_request, sizeof lg_request,
                 "GET %s?EIO=4&transport=websocket HTTP/1.1\r\n"
                 "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: bG9hZGdlbiBzaW1wbGUhIQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n",
                 lg_run.path, lg_run.host, lg_run.port);
    lg_conns = calloc((size_t)lg_run.n, sizeof *lg_conns);
    lg_epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!lg_conns || lg_epfd < 0) {
        perror("loadgen");
        return 1;
    }
    struct epoll_event in = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(lg_epfd, EPOLL_CTL_ADD, 0, &in);
    lg_reset();

    lg_run.sid0 = lg_sid0;
    gl_run_begin(&lg_run);

    static struct epoll_event evs[1024];
    long since_sleep = 0; /* events handled since the last lazy sleep */
    for (;;) {
        int k = epoll_wait(lg_epfd, evs, 1024, 100);
        if (k < 0 && errno != EINTR) {
            perror("loadgen: epoll_wait");
            return 1;
        }
        uint64_t now = gl_now_us();
        for (int i = 0; i < k; i++) {
            uint32_t idx = evs[i].data.u32;
            if (idx == UINT32_MAX) {
                if (gl_stdin(&lg_run, lg_command))
                    return 0;
                continue;
            }
            struct lg_conn *c = &lg_conns[idx];
            if (c->state == LG_CONNECTING) {
                if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                    lg_writable(c);
            } else if (c->state != LG_DEAD) {
                lg_readable(c, now);
            }
        }
        gl_run_reached(&lg_run);
        if (gl_run_expired(&lg_run, now)) {
            /* whoever has not made it by now counts as failed */
            for (int i = 0; i < lg_run.n; i++)
                if (lg_conns[i].state != LG_READY &&
                    lg_conns[i].state != LG_DEAD &&
                    lg_conns[i].state != LG_IDLE)
                    lg_kill(&lg_conns[i]);
            gl_run_print_ready(&lg_run);
        }
        /* A full batch may leave ready sockets behind: they are read
         * before sleeping, or 19k clients would take 19 sleeps to go round. */
        since_sleep += k > 0 ? k : 0;
        if (lg_lazy_us > 0 && since_sleep > 0 &&
            (k < 1024 || since_sleep >= lg_run.n)) {
            usleep((useconds_t)lg_lazy_us);
            since_sleep = 0;
        }
    }
}
