/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpc-emit-bench: drives `emit` over the control RPC, as a fan-out trigger
 * for the shared harness's driver.js and as a round-trip / pipelining bench.
 *
 *   rpc-emit-bench trigger SOCK          COUNT, INTERVAL_MS, EVENT from the
 *                                        environment (driver.js --trigger cmd:)
 *   rpc-emit-bench rtt SOCK N [TARGET]   N emits one at a time: p50/p99 µs
 *   rpc-emit-bench pipe SOCK N [TARGET]  N emits written back to back: emits/s
 *
 * TARGET: `all` (default), `empty` (a channel nobody is in) or `sid` (the
 * first socket that `sessions` lists). trigger sends ("tick", seq, t_us)
 * with t_us = CLOCK_MONOTONIC in µs at the time the line is made, and with
 * INTERVAL_MS 0 writes all COUNT lines back to back (the daemon reads many
 * per callback: back-to-back broadcasts), or with SERIAL=1 one line at a
 * time, each after the previous reply (one broadcast per loop turn: the
 * write-through case). Not a test. Build:
 *   cc -O2 -Wall -o /tmp/rpc-emit-bench bench/rpc-emit-bench.c */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char rbuf[1 << 20];
static size_t rlen;

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static int dial(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (fd < 0)
        die("socket");
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die(path);
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Reads until `want` more reply lines have arrived; returns lines seen. */
static long read_lines(int fd, long want, char *first, size_t firstcap)
{
    long seen = 0;
    ssize_t n;
    char *nl, *p;

    while (seen < want) {
        if (rlen == sizeof rbuf)
            rlen = 0; /* a line longer than the buffer: we only count */
        n = read(fd, rbuf + rlen, sizeof rbuf - rlen);
        if (n <= 0)
            die("read");
        rlen += (size_t)n;
        p = rbuf;
        while ((nl = memchr(p, '\n', rlen - (size_t)(p - rbuf))) != NULL) {
            if (seen == 0 && first != NULL) {
                size_t l = (size_t)(nl - p);
                if (l >= firstcap)
                    l = firstcap - 1;
                memcpy(first, p, l);
                first[l] = '\0';
            }
            if (strstr(p, "\"error\"") != NULL && strstr(p, "\"error\"") < nl)
                fprintf(stderr, "error reply: %.*s\n", (int)(nl - p), p);
            seen++;
            p = nl + 1;
        }
        rlen -= (size_t)(p - rbuf);
        memmove(rbuf, p, rlen);
    }
    return seen;
}

/* The target as JSON members to put in params ("" for everyone). */
static void target_json(int fd, const char *target, char *out, size_t cap)
{
    static char reply[1 << 16];
    const char *sid;

    out[0] = '\0';
    if (target == NULL || strcmp(target, "all") == 0)
        return;
    if (strcmp(target, "empty") == 0) {
        snprintf(out, cap, ",\"channel\":\"nobody-here\"");
        return;
    }
    write_all(fd, "{\"id\":0,\"method\":\"sessions\",\"params\":{}}\n", 41);
    read_lines(fd, 1, reply, sizeof reply);
    sid = strstr(reply, "\"sid\":\"");
    if (sid == NULL) {
        fprintf(stderr, "no session to emit to: %s\n", reply);
        exit(1);
    }
    sid += 7;
    snprintf(out, cap, ",\"to\":\"%.*s\"", (int)strcspn(sid, "\""), sid);
}

static int line(char *out, size_t cap, long id, const char *event, long seq,
                const char *target)
{
    return snprintf(out, cap,
                    "{\"id\":%ld,\"method\":\"emit\",\"params\":{\"event\":"
                    "\"%s\",\"args\":[%ld,%llu]%s}}\n",
                    id, event, seq, (unsigned long long)now_us(), target);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void trigger(int fd)
{
    const char *e = getenv("EVENT");
    long count = getenv("COUNT") ? atol(getenv("COUNT")) : 1;
    long ivl = getenv("INTERVAL_MS") ? atol(getenv("INTERVAL_MS")) : 0;
    char *batch;
    size_t blen = 0;
    long i;

    if (e == NULL)
        e = "tick";
    if (ivl > 0 || getenv("SERIAL") != NULL) {
        char l[256];
        for (i = 0; i < count; i++) {
            int n = line(l, sizeof l, i + 1, e, i, "");
            write_all(fd, l, (size_t)n);
            read_lines(fd, 1, NULL, 0);
            if (ivl > 0)
                usleep((useconds_t)ivl * 1000);
        }
        return;
    }
    if ((batch = malloc((size_t)count * 256 + 1)) == NULL)
        die("malloc");
    for (i = 0; i < count; i++)
        blen += (size_t)line(batch + blen, 256, i + 1, e, i, "");
    write_all(fd, batch, blen);
    read_lines(fd, count, NULL, 0);
    free(batch);
}

static void rtt(int fd, long n, const char *target)
{
    uint64_t *t = malloc((size_t)n * sizeof *t), t0;
    char l[512];
    long i;

    if (t == NULL)
        die("malloc");
    for (i = 0; i < n; i++) {
        int len = line(l, sizeof l, i + 1, "rtt", i, target);
        t0 = now_us();
        write_all(fd, l, (size_t)len);
        read_lines(fd, 1, NULL, 0);
        t[i] = now_us() - t0;
    }
    qsort(t, (size_t)n, sizeof *t, cmp_u64);
    printf("rtt n=%ld p50=%llu us p90=%llu us p99=%llu us\n", n,
           (unsigned long long)t[n / 2], (unsigned long long)t[n * 9 / 10],
           (unsigned long long)t[n * 99 / 100]);
    free(t);
}

/* Writes in batches of up to `window` lines ahead of the replies. */
static void pipe_bench(int fd, long n, const char *target)
{
    const long window = 256;
    char *batch = malloc((size_t)window * 512);
    long sent = 0, got = 0, k;
    size_t blen;
    uint64_t t0 = now_us(), dt;

    if (batch == NULL)
        die("malloc");
    while (got < n) {
        blen = 0;
        for (k = 0; k < window && sent < n && sent - got < window; k++) {
            sent++;
            blen += (size_t)line(batch + blen, 512, sent, "pipe", sent,
                                 target);
        }
        if (blen)
            write_all(fd, batch, blen);
        got += read_lines(fd, 1, NULL, 0);
    }
    dt = now_us() - t0;
    printf("pipe n=%ld %.3f s %.0f emits/s\n", n, dt / 1e6, n * 1e6 / dt);
    free(batch);
}

int main(int argc, char **argv)
{
    char target[128];
    int fd;

    if (argc < 3) {
        fprintf(stderr, "usage: %s trigger|rtt|pipe SOCK [N [TARGET]]\n",
                argv[0]);
        return 2;
    }
    fd = dial(argv[2]);
    if (strcmp(argv[1], "trigger") == 0) {
        trigger(fd);
        return 0;
    }
    if (argc < 4)
        return 2;
    target_json(fd, argc > 4 ? argv[4] : NULL, target, sizeof target);
    if (strcmp(argv[1], "rtt") == 0)
        rtt(fd, atol(argv[3]), target);
    else
        pipe_bench(fd, atol(argv[3]), target);
    return 0;
}
