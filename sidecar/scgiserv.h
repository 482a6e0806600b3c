/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* scgiserv: the SCGI responder front: one request per connection (a
 * netstring of headers, then the body), answered as a CGI response. */
#ifndef SOCKETIOD_SCGISERV_H
#define SOCKETIOD_SCGISERV_H

#include <stddef.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "req.h"
#include "timerq.h"

struct scgiserv_stats {
    uint64_t connections; /* accepted */
    uint64_t open;        /* connections open now */
    uint64_t requests;    /* dispatched to the handler */
    /* refused before the handler: a malformed netstring, headers or CGI
     * variables (400), a body over max_body (413) */
    uint64_t bad_requests;
    uint64_t aborted;  /* the web server closed a held request */
    uint64_t timeouts; /* requests not whole within request_timeout_ms */
};

extern struct scgiserv_stats scgiserv_stats;

/* Sets up the front: requests go to `h`; a body over `max_body` is
 * answered 413, a header netstring over `max_head` 431; a request not whole
 * within `request_timeout_ms` of the connection (0: no limit) 408. */
void scgiserv_setup(struct event_base *base, const struct req_handler *h,
                    size_t max_body, size_t max_head,
                    uint32_t request_timeout_ms);

/* Accept callback for an SCGI listening socket (TCP or Unix). */
void scgiserv_accept(int fd, const struct sockaddr *sa, socklen_t len);

#endif
