/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* genlib: what the bench's load generators share (genlib.h). */
#define _GNU_SOURCE
#include "genlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

uint64_t gl_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int gl_hist_index(uint64_t v)
{
    if (v < 64)
        return (int)v;
    int e = 63 - __builtin_clzll(v); /* >= 6 */
    int idx = 64 + (e - 6) * GL_HSUB + (int)((v >> (e - 5)) & (GL_HSUB - 1));
    return idx < GL_HBUCKETS ? idx : GL_HBUCKETS - 1;
}

/* The middle of bucket idx. */
static uint64_t gl_hist_value(int idx)
{
    if (idx < 64)
        return (uint64_t)idx;
    int e = (idx - 64) / GL_HSUB + 6, sub = (idx - 64) % GL_HSUB;
    uint64_t lo = (uint64_t)(GL_HSUB + sub) << (e - 5);
    return lo + ((uint64_t)1 << (e - 5)) / 2;
}

void gl_hist_add(struct gl_hist *h, uint64_t v)
{
    h->b[gl_hist_index(v)]++;
    h->n++;
    if (v > h->max)
        h->max = v;
}

uint64_t gl_hist_pct(const struct gl_hist *h, double p)
{
    if (h->n == 0)
        return 0;
    uint64_t want = (uint64_t)(p / 100.0 * (double)h->n + 0.5), acc = 0;
    if (want < 1)
        want = 1;
    for (int i = 0; i < GL_HBUCKETS; i++) {
        acc += h->b[i];
        if (acc >= want) {
            uint64_t v = gl_hist_value(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

static int gl_run_parse_srcs(struct gl_run *r, const char *list)
{
    char *dup = strdup(list), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        r->srcs = realloc(r->srcs, sizeof *r->srcs * (size_t)(r->nsrcs + 1));
        if (inet_pton(AF_INET, t, &r->srcs[r->nsrcs]) != 1) {
            free(dup);
            return -1;
        }
        r->nsrcs++;
    }
    free(dup);
    return 0;
}

int gl_run_opt(struct gl_run *r, int opt, const char *arg, const char *prog)
{
    switch (opt) {
    case 'h':
        r->host = arg;
        return 1;
    case 'p':
        r->port = atoi(arg);
        return 1;
    case 'n':
        r->n = atoi(arg);
        return 1;
    case 's':
        if (gl_run_parse_srcs(r, arg) < 0) {
            fprintf(stderr, "%s: bad source address list %s\n", prog, arg);
            return -1;
        }
        return 1;
    case 'c':
        r->inflight_max = atoi(arg);
        return 1;
    case 'P':
        r->path = arg;
        return 1;
    case 't':
        r->connect_s = atol(arg);
        return 1;
    }
    return 0;
}

int gl_run_opts_done(struct gl_run *r, const char *prog)
{
    if (r->port <= 0 || r->n <= 0 || r->inflight_max <= 0) {
        fprintf(stderr, "%s: -p PORT and -n N are required\n", prog);
        return -1;
    }
    r->dst.sin_family = AF_INET;
    r->dst.sin_port = htons((uint16_t)r->port);
    if (inet_pton(AF_INET, r->host, &r->dst.sin_addr) != 1) {
        fprintf(stderr, "%s: bad host %s\n", prog, r->host);
        return -1;
    }
    return 0;
}

int gl_connect(const struct gl_run *r, unsigned pick)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (r->nsrcs > 0) {
        struct sockaddr_in src = {.sin_family = AF_INET,
                                  .sin_addr =
                                      r->srcs[pick % (unsigned)r->nsrcs]};
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0)
            goto fail;
    }
    if (connect(fd, (const struct sockaddr *)&r->dst, sizeof r->dst) < 0 &&
        errno != EINPROGRESS)
        goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

/* The arguments of a tick: p is what follows 42["tick" (n bytes, not
 * terminated). Returns -1 when either number is missing or the rest is
 * implausibly long. */
static int gl_tick_args(const char *p, size_t n, long long *seq, uint64_t *t_us)
{
    char tmp[64];
    if (n >= sizeof tmp)
        return -1;
    memcpy(tmp, p, n);
    tmp[n] = 0;
    char *q = tmp, *end;
    while (*q == ' ' || *q == ',')
        q++;
    *seq = strtoll(q, &end, 10);
    if (end == q)
        return -1;
    q = end;
    while (*q == ' ' || *q == ',')
        q++;
    *t_us = strtoull(q, &end, 10);
    return end == q ? -1 : 0;
}

int gl_sid(const char *p, size_t n, char *out, size_t size)
{
    const char *s = memmem(p, n, "\"sid\":\"", 7);
    if (!s)
        return -1;
    s += 7;
    size_t k = 0;
    while (s + k < p + n && s[k] != '"' && k < size - 1)
        k++;
    memcpy(out, s, k);
    out[k] = 0;
    return 0;
}

void gl_run_begin(struct gl_run *r)
{
    r->start_us = gl_now_us();
    r->deadline_us = r->start_us + (uint64_t)r->connect_s * 1000000u;
    gl_run_start_more(r);
    if (r->inflight == 0)
        gl_run_print_ready(r);
}

void gl_run_start_more(struct gl_run *r)
{
    while (r->inflight < r->inflight_max && r->next < r->n)
        r->start(r->next++);
}

void gl_run_print_ready(struct gl_run *r)
{
    if (r->ready_sent)
        return;
    uint64_t end =
        r->last_ready_us > r->start_us ? r->last_ready_us : gl_now_us();
    printf("{\"ev\":\"ready\",\"want\":%d,\"ready\":%d,\"failed\":%d,"
           "\"connect_us\":%llu,\"sid0\":\"%s\"}\n",
           r->n, r->ready, r->failed, (unsigned long long)(end - r->start_us),
           r->sid0 ? r->sid0 : "");
    fflush(stdout);
    r->ready_sent = 1;
}

/* A client stops being in flight: another may start, and after the last
 * the ready line goes out. */
static void gl_run_settled(struct gl_run *r)
{
    r->inflight--;
    gl_run_start_more(r);
    if (r->next == r->n && r->inflight == 0)
        gl_run_print_ready(r);
}

void gl_run_ready(struct gl_run *r, uint64_t now)
{
    r->ready++;
    r->last_ready_us = now;
    gl_run_settled(r);
}

void gl_run_lost(struct gl_run *r, int was_ready)
{
    if (was_ready) {
        r->ready--;
        r->dropped++;
    } else {
        r->failed++;
        gl_run_settled(r);
    }
}

int gl_run_expired(struct gl_run *r, uint64_t now)
{
    if (r->ready_sent || now <= r->deadline_us)
        return 0;
    r->failed += r->n - r->next;
    r->next = r->n;
    return 1;
}

int gl_run_tick(struct gl_run *r, uint32_t *client_ticks, const char *p,
                size_t n, uint64_t now, long long *seq, uint64_t *t_us)
{
    static const char tick[] = "42[\"tick\"";
    if (n < sizeof tick - 1 || memcmp(p, tick, sizeof tick - 1) != 0)
        return 0;
    if (gl_tick_args(p + sizeof tick - 1, n - (sizeof tick - 1), seq, t_us) <
        0) {
        r->other++;
        return -1;
    }
    (*client_ticks)++;
    r->ticks++;
    if (r->first_rx_us == 0)
        r->first_rx_us = now;
    r->last_rx_us = now;
    gl_hist_add(&r->lat, now > *t_us ? now - *t_us : 0);
    return 1;
}

void gl_run_reset(struct gl_run *r)
{
    memset(&r->lat, 0, sizeof r->lat);
    r->ticks = r->other = r->first_rx_us = r->last_rx_us = 0;
    r->expect = 0;
}

void gl_run_reached(struct gl_run *r)
{
    if (!r->expect || r->ticks < r->expect)
        return;
    printf("{\"ev\":\"reached\",\"ticks\":%llu,\"last_rx_us\":%llu}\n",
           (unsigned long long)r->ticks, (unsigned long long)r->last_rx_us);
    fflush(stdout);
    r->expect = 0;
}

/* Returns 1 on "quit". */
static int gl_command(struct gl_run *r, int (*own)(const char *line),
                      const char *line)
{
    if (own(line))
        return 0;
    if (!strncmp(line, "expect ", 7)) {
        r->expect = strtoull(line + 7, NULL, 10);
    } else if (!strcmp(line, "quit")) {
        return 1;
    } else if (line[0]) {
        printf("{\"ev\":\"error\",\"what\":\"unknown command\"}\n");
        fflush(stdout);
    }
    return 0;
}

int gl_stdin(struct gl_run *r, int (*own)(const char *line))
{
    static char buf[4096];
    static size_t have;
    ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
    if (n <= 0)
        return 1;
    have += (size_t)n;
    char *s = buf, *nl;
    while ((nl = memchr(s, '\n', have - (size_t)(s - buf)))) {
        *nl = 0;
        if (gl_command(r, own, s))
            return 1;
        s = nl + 1;
    }
    have -= (size_t)(s - buf);
    memmove(buf, s, have);
    if (have == sizeof buf - 1)
        have = 0; /* a line that long is no command */
    return 0;
}
