/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* pollgen: N Engine.IO v4 long-polling clients on one epoll loop, counting
 * the ("tick", seq, t_us) broadcasts they receive; the workers phase's
 * polling population (bench/driver.py).
 *
 *   pollgen -p PORT -n N [-k] [-h 127.0.0.1] [-s SRC,SRC,...] [-c INFLIGHT]
 *           [-P /socket.io/] [-t CONNECT_SECONDS]
 *
 * Each client does what a browser's socket.io-client does over polling: GET
 * PATH?EIO=4&transport=polling (the open packet gives the sid), POST "40",
 * then one long-poll GET after another, answering each ping "2" with a POST
 * "3" and counting every 42["tick",SEQ,T_US]. A client has two channels, one
 * for its GETs and one for its POSTs (as a browser holds two connections).
 * Without -k every request goes on a new TCP connection ("Connection:
 * close"), so with SO_REUSEPORT workers each lands on any worker; with -k
 * each channel keeps its connection (keep-alive) and opens a new one only
 * when the server closed it. Sources are bound round-robin to the -s
 * addresses (IP_BIND_ADDRESS_NO_PORT); at most -c handshakes are in flight.
 * A non-200 answer (400 "Session ID unknown" included) ends the client: it
 * is counted as failed (before it was ready) or dropped (after).
 *
 * Commands on stdin, one per line; answers are JSON lines on stdout:
 *   stats          counters and latency percentiles since the last reset
 *   reset          zero them
 *   lazy US        accepted and ignored (a poll takes whatever is queued)
 *   expect TOTAL   print {"ev":"reached"} once TOTAL ticks arrived since reset
 *   quit
 * Once every client is ready (or failed, or the connect time ran out) it
 * prints {"ev":"ready",...} by itself.
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

enum pg_chan_state {
    PG_C_IDLE,       /* no request outstanding (fd may be a kept connection) */
    PG_C_CONNECTING, /* TCP connect in progress, request to send */
    PG_C_WAITING,    /* request sent, reading the answer */
};

struct pg_chan {
    int fd; /* -1: no connection */
    uint8_t state;
    uint8_t fresh; /* the connection was opened for this request */
    char *buf;     /* the answer so far */
    uint32_t have, cap;
    char req[320];
    uint32_t reqlen;
};

enum pg_state { PG_NEW, PG_OPENING, PG_JOINING, PG_READY, PG_DEAD };

struct pg_client {
    struct pg_chan ch[2]; /* 0: GETs, 1: POSTs */
    char sid[40];
    uint8_t state;
    char pend[64]; /* POST payload waiting for the POST channel */
    uint32_t npend;
    uint32_t ticks;
};

static struct pg_client *pg_clients;
static int pg_keepalive;
static int pg_epfd;
static unsigned pg_src_next; /* sources go round by connection, not client */
static uint64_t pg_gets, pg_posts, pg_conns, pg_errors, pg_retries;

static void pg_start(int i);
static struct gl_run pg_run = GL_RUN_INIT(pg_start);

static void pg_reset(void)
{
    gl_run_reset(&pg_run);
    pg_gets = pg_posts = pg_conns = pg_errors = pg_retries = 0;
    for (int i = 0; i < pg_run.n; i++)
        pg_clients[i].ticks = 0;
}

static uint32_t pg_token(struct pg_client *c, int w)
{
    return (uint32_t)((c - pg_clients) * 2 + w);
}

static void pg_chan_close(struct pg_chan *ch)
{
    if (ch->fd >= 0) {
        epoll_ctl(pg_epfd, EPOLL_CTL_DEL, ch->fd, NULL);
        close(ch->fd);
    }
    ch->fd = -1;
    ch->have = 0;
    ch->state = PG_C_IDLE;
}

static void pg_kill(struct pg_client *c)
{
    if (c->state == PG_DEAD)
        return;
    for (int w = 0; w < 2; w++) {
        pg_chan_close(&c->ch[w]);
        free(c->ch[w].buf);
        c->ch[w].buf = NULL;
        c->ch[w].cap = 0;
    }
    int was = c->state;
    c->state = PG_DEAD;
    gl_run_lost(&pg_run, was == PG_READY);
}

/* Opens a new connection for the channel's request. */
static int pg_connect(struct pg_client *c, int w)
{
    struct pg_chan *ch = &c->ch[w];
    int fd = gl_connect(&pg_run, pg_src_next++);
    if (fd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = pg_token(c, w)};
    if (epoll_ctl(pg_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        goto fail;
    ch->fd = fd;
    ch->state = PG_C_CONNECTING;
    ch->fresh = 1;
    ch->have = 0;
    pg_conns++;
    return 0;
fail:
    close(fd);
    return -1;
}

static int pg_send_req(struct pg_client *c, int w)
{
    struct pg_chan *ch = &c->ch[w];
    if (send(ch->fd, ch->req, ch->reqlen, MSG_NOSIGNAL) != (ssize_t)ch->reqlen)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = pg_token(c, w)};
    epoll_ctl(pg_epfd, EPOLL_CTL_MOD, ch->fd, &ev);
    ch->state = PG_C_WAITING;
    ch->have = 0;
    return 0;
}

/* Sends the channel's prepared request: on its kept connection when there
 * is one, else on a new one. */
static int pg_issue(struct pg_client *c, int w)
{
    struct pg_chan *ch = &c->ch[w];
    if (w == 0)
        pg_gets++;
    else
        pg_posts++;
    if (ch->fd >= 0) {
        ch->fresh = 0;
        if (pg_send_req(c, w) == 0)
            return 0;
        pg_chan_close(ch);
    }
    return pg_connect(c, w);
}

static int pg_get(struct pg_client *c)
{
    struct pg_chan *ch = &c->ch[0];
    const char *conn = pg_keepalive ? "keep-alive" : "close";
    if (c->sid[0])
        ch->reqlen = (uint32_t)snprintf(
            ch->req, sizeof ch->req,
            "GET %s?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
            "Host: %s:%d\r\nConnection: %s\r\n\r\n",
            pg_run.path, c->sid, pg_run.host, pg_run.port, conn);
    else
        ch->reqlen =
            (uint32_t)snprintf(ch->req, sizeof ch->req,
                               "GET %s?EIO=4&transport=polling HTTP/1.1\r\n"
                               "Host: %s:%d\r\nConnection: %s\r\n\r\n",
                               pg_run.path, pg_run.host, pg_run.port, conn);
    return pg_issue(c, 0);
}

static int pg_post_flush(struct pg_client *c)
{
    struct pg_chan *ch = &c->ch[1];
    if (c->npend == 0 || ch->state != PG_C_IDLE)
        return 0;
    ch->reqlen =
        (uint32_t)snprintf(ch->req, sizeof ch->req,
                           "POST %s?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
                           "Host: %s:%d\r\nConnection: %s\r\n"
                           "Content-Type: text/plain;charset=UTF-8\r\n"
                           "Content-Length: %u\r\n\r\n%.*s",
                           pg_run.path, c->sid, pg_run.host, pg_run.port,
                           pg_keepalive ? "keep-alive" : "close", c->npend,
                           (int)c->npend, c->pend);
    c->npend = 0;
    return pg_issue(c, 1);
}

static int pg_post(struct pg_client *c, const char *p, size_t n)
{
    if (c->npend + n + 1 > sizeof c->pend)
        return 0; /* pongs pile up only if the server stopped answering */
    if (c->npend)
        c->pend[c->npend++] = '\x1e';
    memcpy(c->pend + c->npend, p, n);
    c->npend += (uint32_t)n;
    return pg_post_flush(c);
}

/* One packet of a GET's payload. Returns -1 to end the client. */
static int pg_packet(struct pg_client *c, const char *p, size_t n, uint64_t now)
{
    long long seq;
    uint64_t t;
    if (gl_run_tick(&pg_run, &c->ticks, p, n, now, &seq, &t))
        return 0;
    if (n == 1 && p[0] == '2')
        return pg_post(c, "3", 1);
    if (n == 1 && p[0] == '6')
        return 0;
    if (c->state == PG_JOINING && n >= 2 && p[0] == '4' && p[1] == '0') {
        c->state = PG_READY;
        gl_run_ready(&pg_run, now);
        return 0;
    }
    if (n > 0 && p[0] == '1')
        return -1;
    pg_run.other++;
    return 0;
}

/* A whole answer on channel w: status and body. Returns -1 to end the
 * client. */
static int pg_answer(struct pg_client *c, int w, int status, const char *b,
                     size_t n, uint64_t now)
{
    if (status != 200) {
        pg_errors++;
        return -1;
    }
    if (w == 1)
        return pg_post_flush(c);
    if (c->state == PG_OPENING) {
        if (n == 0 || b[0] != '0' || gl_sid(b, n, c->sid, sizeof c->sid) < 0)
            return -1;
        c->state = PG_JOINING;
        if (pg_post(c, "40", 2) < 0)
            return -1;
        return pg_get(c);
    }
    size_t off = 0;
    while (off <= n) {
        const char *e = memchr(b + off, '\x1e', n - off);
        size_t len = e ? (size_t)(e - (b + off)) : n - off;
        if (len && pg_packet(c, b + off, len, now) < 0)
            return -1;
        if (c->state == PG_DEAD)
            return -1;
        off += len + 1;
        if (!e)
            break;
    }
    return pg_get(c);
}

static void pg_readable(struct pg_client *c, int w, uint64_t now)
{
    struct pg_chan *ch = &c->ch[w];
    if (ch->cap - ch->have < 65536) {
        uint32_t cap = ch->cap ? ch->cap * 2 : 65536;
        char *nb = realloc(ch->buf, cap);
        if (!nb)
            goto dead;
        ch->buf = nb;
        ch->cap = cap;
    }
    ssize_t r = read(ch->fd, ch->buf + ch->have, ch->cap - ch->have);
    if (r < 0 && errno == EAGAIN)
        return;
    if (r <= 0) {
        if (ch->state == PG_C_IDLE) { /* the server closed a kept one */
            pg_chan_close(ch);
            return;
        }
        if (ch->have == 0 && !ch->fresh) {
            /* closed while the request was on its way: again, anew */
            pg_retries++;
            pg_chan_close(ch);
            if (pg_connect(c, w) < 0)
                goto dead;
            return;
        }
        goto dead;
    }
    if (ch->state != PG_C_WAITING) {
        pg_run.other++;
        return;
    }
    ch->have += (uint32_t)r;
    char *e = memmem(ch->buf, ch->have, "\r\n\r\n", 4);
    if (!e)
        return;
    size_t hl = (size_t)(e + 4 - ch->buf);
    int status = ch->have > 12 ? atoi(ch->buf + 9) : 0;
    size_t cl = 0;
    int closing = !pg_keepalive;
    for (char *l = ch->buf; l < e;) {
        char *nl = memmem(l, (size_t)(e + 2 - l), "\r\n", 2);
        if (!nl)
            break;
        if (!strncasecmp(l, "Content-Length:", 15))
            cl = strtoul(l + 15, NULL, 10);
        else if (!strncasecmp(l, "Connection:", 11) &&
                 memmem(l, (size_t)(nl - l), "close", 5))
            closing = 1;
        l = nl + 2;
    }
    if (ch->have < hl + cl)
        return;
    if (closing)
        pg_chan_close(ch);
    else
        ch->state = PG_C_IDLE;
    ch->have = 0;
    if (pg_answer(c, w, status, ch->buf + hl, cl, now) < 0)
        goto dead;
    return;
dead:
    pg_kill(c);
}

static void pg_writable(struct pg_client *c, int w)
{
    struct pg_chan *ch = &c->ch[w];
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(ch->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err ||
        pg_send_req(c, w) < 0)
        pg_kill(c);
}

static void pg_start(int i)
{
    struct pg_client *c = &pg_clients[i];
    c->state = PG_OPENING;
    pg_run.inflight++;
    if (pg_get(c) < 0)
        pg_kill(c);
}

static void pg_stats(void)
{
    uint32_t mn = UINT32_MAX, mx = 0;
    for (int i = 0; i < pg_run.n; i++) {
        if (pg_clients[i].state != PG_READY)
            continue;
        if (pg_clients[i].ticks < mn)
            mn = pg_clients[i].ticks;
        if (pg_clients[i].ticks > mx)
            mx = pg_clients[i].ticks;
    }
    if (mn == UINT32_MAX)
        mn = 0;
    printf("{\"ev\":\"stats\",\"now_us\":%llu,\"ready\":%d,\"failed\":%d,"
           "\"dropped\":%d,\"ticks\":%llu,\"other\":%llu,\"last_rx_us\":%llu,"
           "\"per_conn_min\":%u,\"per_conn_max\":%u,\"gets\":%llu,"
           "\"posts\":%llu,\"conns\":%llu,\"errors\":%llu,\"retries\":%llu,"
           "\"lat_p50_us\":%llu,\"lat_p99_us\":%llu}\n",
           (unsigned long long)gl_now_us(), pg_run.ready, pg_run.failed,
           pg_run.dropped, (unsigned long long)pg_run.ticks,
           (unsigned long long)pg_run.other,
           (unsigned long long)pg_run.last_rx_us, mn, mx,
           (unsigned long long)pg_gets, (unsigned long long)pg_posts,
           (unsigned long long)pg_conns, (unsigned long long)pg_errors,
           (unsigned long long)pg_retries,
           (unsigned long long)gl_hist_pct(&pg_run.lat, 50),
           (unsigned long long)gl_hist_pct(&pg_run.lat, 99));
    fflush(stdout);
}

/* The commands that are pollgen's own (gl_stdin). */
static int pg_command(const char *line)
{
    if (!strcmp(line, "stats")) {
        pg_stats();
    } else if (!strcmp(line, "reset")) {
        pg_reset();
        printf("{\"ev\":\"reset\"}\n");
        fflush(stdout);
    } else if (!strncmp(line, "lazy ", 5)) {
        printf("{\"ev\":\"lazy\",\"us\":0}\n");
        fflush(stdout);
    } else {
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, GL_RUN_OPTS "k")) != -1) {
        int took = gl_run_opt(&pg_run, opt, optarg, "pollgen");
        if (took < 0)
            return 2;
        if (took)
            continue;
        if (opt != 'k') {
            fprintf(stderr, "usage: pollgen -p PORT -n N [-k] [-h HOST] "
                            "[-s SRC,...] [-c INFLIGHT] [-P PATH] "
                            "[-t CONNECT_SECONDS]\n");
            return 2;
        }
        pg_keepalive = 1;
    }
    if (gl_run_opts_done(&pg_run, "pollgen") < 0)
        return 2;
    pg_clients = calloc((size_t)pg_run.n, sizeof *pg_clients);
    pg_epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!pg_clients || pg_epfd < 0) {
        perror("pollgen");
        return 1;
    }
    pg_run.sid0 = pg_clients[0].sid;
    for (int i = 0; i < pg_run.n; i++)
        pg_clients[i].ch[0].fd = pg_clients[i].ch[1].fd = -1;
    struct epoll_event in = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(pg_epfd, EPOLL_CTL_ADD, 0, &in);
    pg_reset();
    gl_run_begin(&pg_run);

    static struct epoll_event evs[1024];
    for (;;) {
        int k = epoll_wait(pg_epfd, evs, 1024, 100);
        if (k < 0 && errno != EINTR) {
            perror("pollgen: epoll_wait");
            return 1;
        }
        uint64_t now = gl_now_us();
        for (int i = 0; i < k; i++) {
            uint32_t tok = evs[i].data.u32;
            if (tok == UINT32_MAX) {
                if (gl_stdin(&pg_run, pg_command))
                    return 0;
                continue;
            }
            struct pg_client *c = &pg_clients[tok / 2];
            int w = (int)(tok % 2);
            if (c->state == PG_DEAD || c->ch[w].fd < 0)
                continue;
            if (c->ch[w].state == PG_C_CONNECTING)
                pg_writable(c, w);
            else
                pg_readable(c, w, now);
        }
        gl_run_reached(&pg_run);
        if (gl_run_expired(&pg_run, now)) {
            for (int i = 0; i < pg_run.n; i++)
                if (pg_clients[i].state == PG_OPENING ||
                    pg_clients[i].state == PG_JOINING)
                    pg_kill(&pg_clients[i]);
            gl_run_print_ready(&pg_run);
        }
    }
}
