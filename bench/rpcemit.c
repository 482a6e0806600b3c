/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpcemit: emits ("tick", seq, t_us) through socketiod's control RPC, paced,
 * pipelined or one at a time, and times the answers; the bench's trigger.
 *
 *   rpcemit -s SOCKET [-n COUNT] [-w WINDOW] [-i INTERVAL_MS] [-d SECONDS]
 *           [-c CHANNEL | -t SID] [-S FIRST_SEQ]
 *
 * One persistent connection (as an app's adapter keeps one). At most WINDOW
 * requests are unanswered at a time: -w 1 waits for each answer (and gives
 * the round-trip percentiles), a large window pipelines. -i spaces the emits
 * INTERVAL_MS apart (sparse broadcasts). -d stops sending after SECONDS, and
 * so does SIGTERM; either way the answers already owed are read first.
 * t_us is CLOCK_MONOTONIC in microseconds when the request line is made.
 * Prints one JSON line: sent, answered, errors, recipients (summed), secs
 * (first send to last answer), rate (answers/s), rtt_p50_us / rtt_p99_us.
 *
 * Built by bench/run.sh with cc -O2 together with genlib.c (the clock the
 * load generators measure against); no dependencies. A C trigger, so that
 * it is not what limits the rate it measures. */
#define _GNU_SOURCE
#include "genlib.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t re_stop;

static void re_on_term(int sig)
{
    (void)sig;
    re_stop = 1;
}

static int re_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int re_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *channel = NULL, *to = NULL;
    long long count = 1, first_seq = 0;
    long window = 256, interval_ms = 0;
    double dur_s = 0;
    int opt;
    while ((opt = getopt(argc, argv, "s:n:w:i:d:c:t:S:")) != -1) {
        switch (opt) {
        case 's':
            path = optarg;
            break;
        case 'n':
            count = atoll(optarg);
            break;
        case 'w':
            window = atol(optarg);
            break;
        case 'i':
            interval_ms = atol(optarg);
            break;
        case 'd':
            dur_s = atof(optarg);
            break;
        case 'c':
            channel = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'S':
            first_seq = atoll(optarg);
            break;
        default:
            path = NULL;
            optind = argc;
            break;
        }
    }
    if (!path || window < 1 || count < 0 || (channel && to)) {
        fprintf(
            stderr,
            "usage: rpcemit -s SOCKET [-n COUNT] [-w WINDOW] [-i INTERVAL_MS] "
            "[-d SECONDS] [-c CHANNEL | -t SID] [-S FIRST_SEQ]\n");
        return 2;
    }
    char target[160] = "";
    if (channel)
        snprintf(target, sizeof target, ",\"channel\":\"%s\"", channel);
    else if (to)
        snprintf(target, sizeof target, ",\"to\":\"%s\"", to);

    struct sigaction sa = {.sa_handler = re_on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        fprintf(stderr, "rpcemit: cannot connect to %s: %s\n", path,
                strerror(errno));
        return 1;
    }

    uint64_t *rtts =
        window == 1 && count > 0 ? calloc((size_t)count, sizeof *rtts) : NULL;
    static char out[1 << 16], in[1 << 16];
    size_t inlen = 0;
    long long sent = 0, answered = 0, errors = 0, recipients = 0;
    uint64_t t0 = gl_now_us(), t_last = t0, t_sent = 0;
    uint64_t deadline = dur_s > 0 ? t0 + (uint64_t)(dur_s * 1e6) : 0;
    uint64_t next_due = t0;
    for (;;) {
        uint64_t now = gl_now_us();
        if (deadline && now >= deadline)
            re_stop = 1;
        size_t olen = 0;
        while (!re_stop && sent < count && sent - answered < window &&
               now >= next_due && olen + 256 < sizeof out) {
            olen += (size_t)snprintf(
                out + olen, sizeof out - olen,
                "{\"id\":%lld,\"method\":\"emit\",\"params\":{\"event\":"
                "\"tick\",\"args\":[%lld,%llu]%s}}\n",
                sent, first_seq + sent, (unsigned long long)now, target);
            sent++;
            if (interval_ms > 0) {
                next_due += (uint64_t)interval_ms * 1000u;
                break;
            }
        }
        if (olen) {
            t_sent = now;
            if (re_write_all(fd, out, olen) < 0) {
                fprintf(stderr, "rpcemit: write: %s\n", strerror(errno));
                break;
            }
        }
        if (answered == sent && (sent == count || re_stop))
            break;
        int timeout = 100;
        if (answered == sent && interval_ms > 0) {
            now = gl_now_us();
            timeout = next_due > now ? (int)((next_due - now + 999) / 1000) : 0;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, timeout);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr <= 0)
            continue;
        ssize_t r = read(fd, in + inlen, sizeof in - inlen);
        if (r <= 0) {
            fprintf(stderr, "rpcemit: the daemon closed the connection\n");
            break;
        }
        uint64_t t_read = gl_now_us();
        inlen += (size_t)r;
        char *s = in, *nl;
        while ((nl = memchr(s, '\n', inlen - (size_t)(s - in)))) {
            *nl = 0;
            char *rc = strstr(s, "\"recipients\":");
            if (strstr(s, "\"error\"") || !rc)
                errors++;
            else
                recipients += atoll(rc + 13);
            if (rtts && answered < count)
                rtts[answered] = t_read - t_sent;
            answered++;
            t_last = t_read;
            s = nl + 1;
        }
        inlen -= (size_t)(s - in);
        memmove(in, s, inlen);
        if (inlen == sizeof in) {
            fprintf(stderr, "rpcemit: answer line too long\n");
            break;
        }
    }
    double secs = (double)(t_last - t0) / 1e6;
    uint64_t p50 = 0, p99 = 0;
    if (rtts && answered > 0) {
        qsort(rtts, (size_t)answered, sizeof *rtts, re_cmp);
        p50 = rtts[(answered - 1) / 2];
        p99 = rtts[(answered * 99 + 99) / 100 - 1];
    }
    printf(
        "{\"sent\":%lld,\"answered\":%lld,\"errors\":%lld,\"recipients\":%lld,"
        "\"secs\":%.6f,\"rate\":%.1f,\"rtt_p50_us\":%llu,\"rtt_p99_us\":%llu}"
        "\n",
        sent, answered, errors, recipients, secs,
        secs > 0 ? (double)answered / secs : 0.0, (unsigned long long)p50,
        (unsigned long long)p99);
    free(rtts);
    close(fd);
    return answered == sent && errors == 0 ? 0 : 1;
}
