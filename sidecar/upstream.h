/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upstream: forwards client events to the application over HTTP, FastCGI
 * or SCGI (the requests are upreq.c's): a connection pool, per-socket
 * order, a concurrency limit, timeouts, retries, and applying the answers. */
#ifndef SOCKETIOD_UPSTREAM_H
#define SOCKETIOD_UPSTREAM_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "hist.h"
#include "hub.h"
#include "journal.h"

/* Error codes a client sees when the application cannot answer
 * (docs/upstream.md): the CONNECT_ERROR message, the subscribe refusal,
 * or {"error": code} as an acked event's one ack argument. */
#define UPSTREAM_E_UNAVAILABLE "upstream_unavailable"
#define UPSTREAM_E_TIMEOUT "upstream_timeout"
#define UPSTREAM_E_BAD_RESPONSE "upstream_bad_response"
#define UPSTREAM_E_OVERLOADED "upstream_overloaded"
#define UPSTREAM_E_SERVER "server_error"

struct upstream_config {
    const char *url;
    const char *secret; /* NULL: requests are not signed */
    size_t secret_len;
    unsigned concurrency;   /* requests in flight at once, over all sockets */
    unsigned queue;         /* events waiting per socket, the one in flight
                               included */
    unsigned timeout_ms;    /* each of: connect and send, the response */
    unsigned retries;       /* times an event answered 503 is sent again */
    size_t max_context;     /* longest context JSON kept per socket */
    size_t max_queue_bytes; /* request bodies waiting per socket, the one
                               in flight included; an event alone always
                               goes */
};

struct upstream_stats {
    uint64_t requests;    /* dispatched */
    uint64_t responses;   /* answered with a usable response */
    uint64_t errors;      /* every failed request (the four below) */
    uint64_t unavailable; /* could not connect, or closed early */
    uint64_t timeouts;
    uint64_t bad_responses;
    uint64_t overflows;   /* refused: the socket's queue was full (events
                             or bytes) */
    uint64_t bad_actions; /* actions or contexts skipped as invalid */
    uint64_t retries;     /* events sent again after a 503 */
    uint64_t connections; /* opened to the application */
    uint64_t reused;      /* requests sent on a kept-alive connection */
    uint64_t in_flight;
    uint64_t queued; /* waiting, not yet dispatched */
};

extern struct upstream_stats upstream_stats;

/* Each try of a request, sent to answered or failed, by transport (http,
 * fcgi, scgi): `socketiod_upstream_request_duration_seconds`. */
extern struct hist_family upstream_latency;

/* Starts forwarding with `cfg` (copied; the URL is resolved now, which may
 * block: start-up only). Returns 0, or -1 with *cause. */
int upstream_setup(struct event_base *base, const struct upstream_config *cfg,
                   const char **cause);

/* SIGHUP: applies the tuning of `cfg` (concurrency, queue, queue bytes,
 * timeout, retries, max context); the URL and the secret stay. Requests in
 * flight finish with the timeout they started with. Call after a successful
 * upstream_setup(). */
void upstream_set_tuning(const struct upstream_config *cfg);

/* The hub_forward_cb to give hub_set_forward(). */
const char *upstream_forward(void *arg, const struct hub_fwd *f);

/* The journal_deliver_cb to give journal_setup(): sends a late disconnect
 * (its answer's actions are counted, not run) and settles it with
 * journal_settle(). */
int upstream_late(void *arg, const struct journal_event *ev);

/* The application's address (for a readiness probe), NULL when nothing is
 * forwarded. */
const struct sockaddr *upstream_sockaddr(socklen_t *len);

/* Drops every connection and waiting event (at exit); disconnects still
 * owed to the app go to the journal. */
void upstream_shutdown(void);

#endif
