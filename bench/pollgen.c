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
 * Built by bench/run.sh with cc -O2; no dependencies. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

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

#define PG_HSUB 32
#define PG_HBUCKETS (64 + 40 * PG_HSUB)
struct pg_hist {
    uint64_t b[PG_HBUCKETS];
    uint64_t n, max;
};

static struct pg_client *pg_clients;
static int pg_n, pg_inflight_max = 200, pg_port, pg_keepalive;
static int pg_next, pg_inflight, pg_ready, pg_failed, pg_dropped;
static int pg_ready_sent;
static int pg_epfd;
static struct sockaddr_in pg_dst;
static struct in_addr *pg_srcs;
static int pg_nsrcs, pg_src_next;
static const char *pg_path = "/socket.io/", *pg_host = "127.0.0.1";
static uint64_t pg_start_us, pg_last_ready_us, pg_deadline_us;
static uint64_t pg_ticks, pg_other, pg_last_rx_us, pg_expect;
static uint64_t pg_gets, pg_posts, pg_conns, pg_errors, pg_retries;
static struct pg_hist pg_lat;

static uint64_t pg_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int pg_hist_index(uint64_t v)
{
    if (v < 64)
        return (int)v;
    int e = 63 - __builtin_clzll(v);
    int idx = 64 + (e - 6) * PG_HSUB + (int)((v >> (e - 5)) & (PG_HSUB - 1));
    return idx < PG_HBUCKETS ? idx : PG_HBUCKETS - 1;
}

static uint64_t pg_hist_pct(const struct pg_hist *h, double p)
{
    if (h->n == 0)
        return 0;
    uint64_t want = (uint64_t)(p / 100.0 * (double)h->n + 0.5), acc = 0;
    if (want < 1)
        want = 1;
    for (int i = 0; i < PG_HBUCKETS; i++) {
        acc += h->b[i];
        if (acc >= want) {
            if (i < 64)
                return (uint64_t)i;
            int e = (i - 64) / PG_HSUB + 6, sub = (i - 64) % PG_HSUB;
            uint64_t v = ((uint64_t)(PG_HSUB + sub) << (e - 5)) +
                         ((uint64_t)1 << (e - 5)) / 2;
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

static void pg_reset(void)
{
    memset(&pg_lat, 0, sizeof pg_lat);
    pg_ticks = pg_other = pg_last_rx_us = pg_expect = 0;
    pg_gets = pg_posts = pg_conns = pg_errors = pg_retries = 0;
    for (int i = 0; i < pg_n; i++)
        pg_clients[i].ticks = 0;
}

static void pg_print_ready(void)
{
    uint64_t end =
        pg_last_ready_us > pg_start_us ? pg_last_ready_us : pg_now_us();
    printf("{\"ev\":\"ready\",\"want\":%d,\"ready\":%d,\"failed\":%d,"
           "\"connect_us\":%llu,\"sid0\":\"%s\"}\n",
           pg_n, pg_ready, pg_failed, (unsigned long long)(end - pg_start_us),
           pg_n > 0 ? pg_clients[0].sid : "");
    fflush(stdout);
    pg_ready_sent = 1;
}

static void pg_start_more(void);

static void pg_settled(void)
{
    pg_inflight--;
    pg_start_more();
    if (!pg_ready_sent && pg_next == pg_n && pg_inflight == 0)
        pg_print_ready();
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
    if (c->state == PG_READY) {
        pg_ready--;
        pg_dropped++;
    } else {
        pg_failed++;
    }
    int was = c->state;
    c->state = PG_DEAD;
    if (was == PG_OPENING || was == PG_JOINING)
        pg_settled();
}

/* Opens a new connection for the channel's request. */
static int pg_connect(struct pg_client *c, int w)
{
    struct pg_chan *ch = &c->ch[w];
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (pg_nsrcs > 0) {
        struct sockaddr_in src = {.sin_family = AF_INET,
                                  .sin_addr =
                                      pg_srcs[pg_src_next++ % pg_nsrcs]};
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0)
            goto fail;
    }
    if (connect(fd, (struct sockaddr *)&pg_dst, sizeof pg_dst) < 0 &&
        errno != EINPROGRESS)
        goto fail;
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
            pg_path, c->sid, pg_host, pg_port, conn);
    else
        ch->reqlen =
            (uint32_t)snprintf(ch->req, sizeof ch->req,
                               "GET %s?EIO=4&transport=polling HTTP/1.1\r\n"
                               "Host: %s:%d\r\nConnection: %s\r\n\r\n",
                               pg_path, pg_host, pg_port, conn);
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
                           pg_path, c->sid, pg_host, pg_port,
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

static void pg_tick(struct pg_client *c, const char *p, size_t n, uint64_t now)
{
    char tmp[64];
    if (n >= sizeof tmp) {
        pg_other++;
        return;
    }
    memcpy(tmp, p, n);
    tmp[n] = 0;
    char *q = tmp, *end;
    while (*q == ' ' || *q == ',')
        q++;
    strtoll(q, &end, 10);
    if (end == q) {
        pg_other++;
        return;
    }
    q = end;
    while (*q == ' ' || *q == ',')
        q++;
    unsigned long long t = strtoull(q, &end, 10);
    if (end == q) {
        pg_other++;
        return;
    }
    c->ticks++;
    pg_ticks++;
    pg_last_rx_us = now;
    uint64_t v = now > t ? now - t : 0;
    pg_lat.b[pg_hist_index(v)]++;
    pg_lat.n++;
    if (v > pg_lat.max)
        pg_lat.max = v;
}

/* One packet of a GET's payload. Returns -1 to end the client. */
static int pg_packet(struct pg_client *c, const char *p, size_t n, uint64_t now)
{
    static const char tick[] = "42[\"tick\"";
    if (n >= sizeof tick - 1 && memcmp(p, tick, sizeof tick - 1) == 0) {
        pg_tick(c, p + sizeof tick - 1, n - (sizeof tick - 1), now);
        return 0;
    }
    if (n == 1 && p[0] == '2')
        return pg_post(c, "3", 1);
    if (n == 1 && p[0] == '6')
        return 0;
    if (c->state == PG_JOINING && n >= 2 && p[0] == '4' && p[1] == '0') {
        c->state = PG_READY;
        pg_ready++;
        pg_last_ready_us = now;
        pg_settled();
        return 0;
    }
    if (n > 0 && p[0] == '1')
        return -1;
    pg_other++;
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
        const char *s = memmem(b, n, "\"sid\":\"", 7);
        if (n == 0 || b[0] != '0' || !s)
            return -1;
        s += 7;
        size_t k = 0;
        while (s + k < b + n && s[k] != '"' && k < sizeof c->sid - 1)
            k++;
        memcpy(c->sid, s, k);
        c->sid[k] = 0;
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
        pg_other++;
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
    pg_inflight++;
    if (pg_get(c) < 0)
        pg_kill(c);
}

static void pg_start_more(void)
{
    while (pg_inflight < pg_inflight_max && pg_next < pg_n)
        pg_start(pg_next++);
}

static void pg_stats(void)
{
    uint32_t mn = UINT32_MAX, mx = 0;
    for (int i = 0; i < pg_n; i++) {
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
           (unsigned long long)pg_now_us(), pg_ready, pg_failed, pg_dropped,
           (unsigned long long)pg_ticks, (unsigned long long)pg_other,
           (unsigned long long)pg_last_rx_us, mn, mx,
           (unsigned long long)pg_gets, (unsigned long long)pg_posts,
           (unsigned long long)pg_conns, (unsigned long long)pg_errors,
           (unsigned long long)pg_retries,
           (unsigned long long)pg_hist_pct(&pg_lat, 50),
           (unsigned long long)pg_hist_pct(&pg_lat, 99));
    fflush(stdout);
}

static int pg_command(char *line)
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
    } else if (!strncmp(line, "expect ", 7)) {
        pg_expect = strtoull(line + 7, NULL, 10);
    } else if (!strcmp(line, "quit")) {
        return 1;
    } else if (line[0]) {
        printf("{\"ev\":\"error\",\"what\":\"unknown command\"}\n");
        fflush(stdout);
    }
    return 0;
}

static int pg_stdin(void)
{
    static char buf[4096];
    static size_t have;
    ssize_t r = read(0, buf + have, sizeof buf - 1 - have);
    if (r <= 0)
        return 1;
    have += (size_t)r;
    char *s = buf, *nl;
    while ((nl = memchr(s, '\n', have - (size_t)(s - buf)))) {
        *nl = 0;
        if (pg_command(s))
            return 1;
        s = nl + 1;
    }
    have -= (size_t)(s - buf);
    memmove(buf, s, have);
    if (have == sizeof buf - 1)
        have = 0;
    return 0;
}

static int pg_parse_srcs(const char *list)
{
    char *dup = strdup(list), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        pg_srcs = realloc(pg_srcs, sizeof *pg_srcs * (size_t)(pg_nsrcs + 1));
        if (inet_pton(AF_INET, t, &pg_srcs[pg_nsrcs]) != 1) {
            free(dup);
            return -1;
        }
        pg_nsrcs++;
    }
    free(dup);
    return 0;
}

int main(int argc, char **argv)
{
    long connect_s = 120;
    int opt;
    while ((opt = getopt(argc, argv, "h:p:n:s:c:P:t:k")) != -1) {
        switch (opt) {
        case 'h':
            pg_host = optarg;
            break;
        case 'p':
            pg_port = atoi(optarg);
            break;
        case 'n':
            pg_n = atoi(optarg);
            break;
        case 's':
            if (pg_parse_srcs(optarg) < 0) {
                fprintf(stderr, "pollgen: bad source address list %s\n",
                        optarg);
                return 2;
            }
            break;
        case 'c':
            pg_inflight_max = atoi(optarg);
            break;
        case 'P':
            pg_path = optarg;
            break;
        case 't':
            connect_s = atol(optarg);
            break;
        case 'k':
            pg_keepalive = 1;
            break;
        default:
            fprintf(stderr, "usage: pollgen -p PORT -n N [-k] [-h HOST] "
                            "[-s SRC,...] [-c INFLIGHT] [-P PATH] "
                            "[-t CONNECT_SECONDS]\n");
            return 2;
        }
    }
    if (pg_port <= 0 || pg_n <= 0 || pg_inflight_max <= 0) {
        fprintf(stderr, "pollgen: -p PORT and -n N are required\n");
        return 2;
    }
    pg_dst.sin_family = AF_INET;
    pg_dst.sin_port = htons((uint16_t)pg_port);
    if (inet_pton(AF_INET, pg_host, &pg_dst.sin_addr) != 1) {
        fprintf(stderr, "pollgen: bad host %s\n", pg_host);
        return 2;
    }
    pg_clients = calloc((size_t)pg_n, sizeof *pg_clients);
    pg_epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!pg_clients || pg_epfd < 0) {
        perror("pollgen");
        return 1;
    }
    for (int i = 0; i < pg_n; i++)
        pg_clients[i].ch[0].fd = pg_clients[i].ch[1].fd = -1;
    struct epoll_event in = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(pg_epfd, EPOLL_CTL_ADD, 0, &in);
    pg_reset();
    pg_start_us = pg_now_us();
    pg_deadline_us = pg_start_us + (uint64_t)connect_s * 1000000u;
    pg_start_more();
    if (pg_inflight == 0 && !pg_ready_sent)
        pg_print_ready();

    static struct epoll_event evs[1024];
    for (;;) {
        int k = epoll_wait(pg_epfd, evs, 1024, 100);
        if (k < 0 && errno != EINTR) {
            perror("pollgen: epoll_wait");
            return 1;
        }
        uint64_t now = pg_now_us();
        for (int i = 0; i < k; i++) {
            uint32_t tok = evs[i].data.u32;
            if (tok == UINT32_MAX) {
                if (pg_stdin())
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
        if (pg_expect && pg_ticks >= pg_expect) {
            printf("{\"ev\":\"reached\",\"ticks\":%llu,\"last_rx_us\":%llu}\n",
                   (unsigned long long)pg_ticks,
                   (unsigned long long)pg_last_rx_us);
            fflush(stdout);
            pg_expect = 0;
        }
        if (!pg_ready_sent && now > pg_deadline_us) {
            pg_failed += pg_n - pg_next;
            pg_next = pg_n;
            for (int i = 0; i < pg_n; i++)
                if (pg_clients[i].state == PG_OPENING ||
                    pg_clients[i].state == PG_JOINING)
                    pg_kill(&pg_clients[i]);
            if (!pg_ready_sent)
                pg_print_ready();
        }
    }
}
