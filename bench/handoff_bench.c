/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* handoff_bench: CPU per hand-off (docs/scale-out.md): N loopback TCP
 * connections, each with a poll request read, sent as a hand-off record
 * (handoff_send + close) and taken in (handoff_receive + conn_adopt, which
 * parses the request), timed with getrusage on each side; beside it, what
 * the same request costs on a connection taken with conn_new().
 *
 *   cc -O2 -Isidecar -Ibuild bench/handoff_bench.c build/libsocketiod.a \
 *      $(pkg-config --libs libevent_core libcjson sqlite3 libcrypto hiredis) \
 *      -lcrypt -lsystemd -lpthread -lm -o /tmp/handoff_bench
 *   /tmp/handoff_bench [N=4000] [rounds=5]
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "handoff.h"
#include "turn.h"

static const char bench_req[] =
    "GET /socket.io/?EIO=4&transport=polling&t=PXk1Aa2&sid=AbCdEfGhIjKlMnOp.w2 "
    "HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: node\r\n"
    "Accept: */*\r\nConnection: close\r\n\r\n";
static int bench_requests;
static struct conn **bench_conns;
static int bench_nconns;

static void bench_request(struct conn *c, const struct http_request *req,
                          const char *body, size_t len)
{
    (void)req, (void)body, (void)len;
    bench_requests++;
    bench_conns[bench_nconns++] = c;
}

static void bench_message(struct conn *c, int binary, char *data, size_t len)
{
    (void)c, (void)binary, (void)data, (void)len;
}

static const struct conn_handler bench_h = {bench_request, bench_message, NULL,
                                            NULL};

static double bench_cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void bench_adopt(int fd, const char *data, size_t len)
{
    conn_adopt(fd, data, len);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof sa;
    struct conn_limits lim = {
        .max_head = 8192, .max_body = 1 << 20, .max_output = 1 << 20};
    struct event_base *base = event_base_new();
    int lfd, pair[2], *cli, *srv, r, i, sz = 4 << 20;
    double send_s = 0, recv_s = 0, plain_s = 0, t;
    const char *cause;

    if (base == NULL || turn_setup(base) != 0)
        return 1;
    conn_setup(base, &bench_h, &lim);
    cli = calloc((size_t)n, sizeof *cli);
    srv = calloc((size_t)n, sizeof *srv);
    bench_conns = calloc((size_t)n, sizeof *bench_conns);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(lfd, 65535) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) != 0)
        return 1;
    setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    setsockopt(pair[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < n; i++) {
            cli[i] = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(cli[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
                write(cli[i], bench_req, sizeof bench_req - 1) < 0)
                return 1;
            srv[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        }
        /* Sender: the record, then forgetting the connection; in batches
         * the inbox holds. */
        for (i = 0; i < n;) {
            int j, k = i + 256 < n ? i + 256 : n;
            t = bench_cpu();
            for (j = i; j < k; j++) {
                if (handoff_send(pair[0], srv[j], bench_req,
                                 sizeof bench_req - 1, &cause) != 0) {
                    fprintf(stderr, "send: %s\n", cause);
                    return 1;
                }
                close(srv[j]);
            }
            send_s += bench_cpu() - t;
            t = bench_cpu();
            handoff_receive(pair[1], k - i, bench_adopt);
            recv_s += bench_cpu() - t;
            i = k;
        }
        if (bench_nconns != n)
            return 1;
        for (i = 0; i < bench_nconns; i++)
            conn_close(bench_conns[i]);
        bench_nconns = 0;
        event_base_loop(base, EVLOOP_NONBLOCK);
        for (i = 0; i < n; i++)
            close(cli[i]);
        /* The same requests on connections taken as accepted. */
        for (i = 0; i < n; i++) {
            cli[i] = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(cli[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
                write(cli[i], bench_req, sizeof bench_req - 1) < 0)
                return 1;
            srv[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        }
        t = bench_cpu();
        for (i = 0; i < n; i++) {
            struct sockaddr_in p;
            socklen_t pl = sizeof p;
            getpeername(srv[i], (struct sockaddr *)&p, &pl);
            conn_new(srv[i], (struct sockaddr *)&p, pl);
        }
        while (bench_nconns < n)
            event_base_loop(base, EVLOOP_ONCE);
        plain_s += bench_cpu() - t;
        for (i = 0; i < bench_nconns; i++)
            conn_close(bench_conns[i]);
        bench_nconns = 0;
        event_base_loop(base, EVLOOP_NONBLOCK);
        for (i = 0; i < n; i++)
            close(cli[i]);
    }
    n *= rounds;
    printf("hand-offs %d (%zu-byte request): sender %.2f us, receiver "
           "%.2f us (recvmsg, checks, adopt, parse) per hand-off; the same "
           "request on an accepted connection (conn_new, read, parse) "
           "%.2f us\n",
           n, sizeof bench_req - 1, send_s * 1e6 / n, recv_s * 1e6 / n,
           plain_s * 1e6 / n);
    return bench_requests == 2 * n ? 0 : 1;
}
