/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* genlib: what the bench's load generators (loadgen, pollgen) share: the
 * clock (rpcemit's too), the latency histogram, the source addresses, the
 * tick's arguments, a population's ready/failed bookkeeping and the stdin
 * command loop. */
#ifndef BENCH_GENLIB_H
#define BENCH_GENLIB_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds: the t_us the emitters put in a tick. */
uint64_t gl_now_us(void);

/* Log-linear histogram of microseconds: exact below 64, then GL_HSUB buckets
 * per power of two (about 3 % wide). Zeroed memory is an empty one. */
#define GL_HSUB 32
#define GL_HBUCKETS (64 + 40 * GL_HSUB)
struct gl_hist {
    uint64_t b[GL_HBUCKETS];
    uint64_t n, max;
};

/* Counts v (values past the last bucket land in it; max stays exact). */
void gl_hist_add(struct gl_hist *h, uint64_t v);

/* The p-th percentile (0..100): the middle of its bucket, never above the
 * largest value added; 0 when h is empty. */
uint64_t gl_hist_pct(const struct gl_hist *h, double p);

/* Copies the value of the first "sid":"..." in p (n bytes) into out (at most
 * size - 1 bytes, terminated). Returns -1 when there is none. */
int gl_sid(const char *p, size_t n, char *out, size_t size);

/* A population of n clients of one server, started at most inflight_max at
 * a time, and what they received since the last reset. The options are set
 * by gl_run_opt over GL_RUN_INIT's defaults, start and sid0 by the program;
 * the rest starts zeroed and is genlib's. */
struct gl_run {
    const char *host, *path;   /* -h, -P */
    int port, n, inflight_max; /* -p, -n, -c */
    long connect_s;            /* -t: time for all to connect */
    struct in_addr *srcs;      /* -s: local addresses to bind to */
    int nsrcs;
    struct sockaddr_in dst; /* host:port (gl_run_opts_done) */
    /* Starts client i: on success it counts it in inflight; a client that
     * fails at once is counted by gl_run_lost (or by failed++ when it never
     * got in flight). */
    void (*start)(int i);
    const char *sid0; /* the ready line's sid0: a buffer filled later */
    int next;         /* next client to start */
    int inflight;     /* started, not yet ready or lost */
    int ready, failed, dropped, ready_sent;
    uint64_t start_us, last_ready_us, deadline_us;
    uint64_t ticks, other, first_rx_us, last_rx_us;
    uint64_t expect; /* 0: not armed */
    struct gl_hist lat;
};

#define GL_RUN_INIT(start_fn)                                                  \
    {                                                                          \
        .host = "127.0.0.1", .path = "/socket.io/", .inflight_max = 200,       \
        .connect_s = 120, .start = (start_fn)                                  \
    }

/* The getopt letters gl_run_opt takes: -h HOST -p PORT -n N -s SRC,SRC,...
 * -c INFLIGHT -P PATH -t CONNECT_SECONDS. */
#define GL_RUN_OPTS "h:p:n:s:c:P:t:"

/* Takes getopt's option opt (argument arg) into r. Returns 1 when it is one
 * of GL_RUN_OPTS, 0 when it is not (the program's own, or wrong), -1 on a
 * source address that does not parse (said on stderr after "prog: "). */
int gl_run_opt(struct gl_run *r, int opt, const char *arg, const char *prog);

/* After the options: checks that -p and -n were given and resolves dst.
 * Returns -1, said on stderr after "prog: ", when they are not usable. */
int gl_run_opts_done(struct gl_run *r, const char *prog);

/* A non-blocking TCP_NODELAY socket connecting to r->dst, bound to
 * r->srcs[pick % r->nsrcs] (IP_BIND_ADDRESS_NO_PORT: the port is chosen at
 * connect, so many addresses share the ephemeral range) when -s gave
 * addresses; which address a connection takes is the caller's choice
 * (pick). Returns the fd, its connect in progress, or -1. */
int gl_connect(const struct gl_run *r, unsigned pick);

/* Starts the first clients, with connect_s seconds for all to connect, and
 * prints the ready line at once if none is in flight. */
void gl_run_begin(struct gl_run *r);

/* Starts clients while fewer than inflight_max are in flight. */
void gl_run_start_more(struct gl_run *r);

/* Prints {"ev":"ready",...} unless it was printed already. */
void gl_run_print_ready(struct gl_run *r);

/* A client finished its handshake at now: it is ready, and no longer in
 * flight (the ready line goes out with the last one). */
void gl_run_ready(struct gl_run *r, uint64_t now);

/* A client ended: dropped if it was ready, else failed and no longer in
 * flight. */
void gl_run_lost(struct gl_run *r, int was_ready);

/* Whether the connect time ran out before every client settled; if so, the
 * clients not started yet count as failed and none will start. The caller
 * then ends those in flight and calls gl_run_print_ready. */
int gl_run_expired(struct gl_run *r, uint64_t now);

/* Whether p, one Engine.IO packet of n bytes a client received at now, is a
 * 42["tick",SEQ,T_US] event. Returns 0 when it is not; 1 when it is, counted
 * (in *client_ticks too) with its latency, *seq and *t_us set; -1 when its
 * arguments do not parse (counted in other). */
int gl_run_tick(struct gl_run *r, uint32_t *client_ticks, const char *p,
                size_t n, uint64_t now, long long *seq, uint64_t *t_us);

/* Zeroes the counters and the latency since the last reset and disarms
 * expect (the clients' own counters are the program's). */
void gl_run_reset(struct gl_run *r);

/* Prints {"ev":"reached",...} once the ticks armed by "expect" arrived. */
void gl_run_reached(struct gl_run *r);

/* Reads what stdin has and runs each whole line: own(line) first, which
 * returns 1 when it handled the line; else "expect TOTAL" and "quit" are
 * genlib's, an empty line is nothing, and anything else is answered
 * {"ev":"error",...}. Returns 1 on "quit" or the end of stdin. */
int gl_stdin(struct gl_run *r, int (*own)(const char *line));

#endif
