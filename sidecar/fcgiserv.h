/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fcgiserv: the FastCGI responder front: records in, requests up to the
 * handler, answers as STDOUT + END_REQUEST; multiplexed requests,
 * FCGI_KEEP_CONN, FCGI_ABORT_REQUEST, FCGI_GET_VALUES. */
#ifndef SOCKETIOD_FCGISERV_H
#define SOCKETIOD_FCGISERV_H

#include <stddef.h>

#include <event2/event.h>
#include <sys/socket.h>

#include "req.h"
#include "timerq.h"

/* What FCGI_GET_VALUES answers; also the per-connection request limit. */
#define FCGISERV_MAX_CONNS 10000
#define FCGISERV_MAX_REQS 10000

struct fcgiserv_stats {
    uint64_t connections; /* accepted */
    uint64_t open;        /* connections open now */
    uint64_t requests;    /* dispatched to the handler */
    /* refused before the handler: bad CGI params (400), a body over
     * max_body (413), a role other than Responder */
    uint64_t bad_requests;
    uint64_t aborted;         /* FCGI_ABORT_REQUEST or the peer vanished */
    uint64_t protocol_errors; /* connections closed for malformed records */
    /* refused over a connection's limits: FCGISERV_MAX_REQS requests
     * (FCGI_OVERLOADED) or max_buffered bytes (503) */
    uint64_t refused;
    /* requests not whole within request_timeout_ms (408), and connections
     * closed after idle_timeout_ms without a request */
    uint64_t timeouts;
};

struct fcgiserv_limits {
    size_t max_body;             /* a request body over it: 413 */
    size_t max_params;           /* a request's params over it: 431 */
    size_t max_buffered;         /* params and bodies of the requests a
                                    connection is still sending, together:
                                    the request going over gets 503 */
    uint32_t request_timeout_ms; /* params and body must be in within this
                                    of FCGI_BEGIN_REQUEST, else 408; 0: none */
    uint32_t idle_timeout_ms;    /* a connection without a request for this
                                    long is closed; 0: never */
};

extern struct fcgiserv_stats fcgiserv_stats;

/* Sets up the front: requests go to `h`, within `lim` (copied). */
void fcgiserv_setup(struct event_base *base, const struct req_handler *h,
                    const struct fcgiserv_limits *lim);

/* Accept callback for a FastCGI listening socket (TCP, Unix, or the one
 * inherited on fd 0). */
void fcgiserv_accept(int fd, const struct sockaddr *sa, socklen_t len);

#endif
