/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* conn: one client TCP connection: reads, write-through output, HTTP/WS states.
 */
#ifndef SOCKETIOD_CONN_H
#define SOCKETIOD_CONN_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "buf.h"
#include "frame.h"
#include "http.h"
#include "req.h"
#include "timerq.h"
#include "turn.h"

enum conn_state {
    CONN_HTTP,      /* reading the next request */
    CONN_HTTP_WAIT, /* a request is in flight: answered later (a long-poll) */
    CONN_WS,        /* exchanging WebSocket frames */
    CONN_DRAINING,  /* writing what is queued, then closing */
    CONN_CLOSED,    /* closed, freed at the end of this loop turn */
};

union conn_addr {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
};

struct conn_ip; /* conn.c's count of open connections per peer address */

/* A queued frame and how much of it is already written. */
struct conn_out {
    struct frame *f;
    uint32_t off;
};

struct conn {
    int fd;
    uint32_t id;
    uint8_t state;
    uint8_t armed;      /* EV_READ / EV_WRITE currently registered */
    uint8_t keep_alive; /* of the request in flight */
    uint8_t ws_opcode;  /* opcode of a fragmented message, 0 when none */
    uint32_t ws_utf8;   /* UTF-8 validator state across fragments */
    struct event ev;
    struct buf *in;       /* unparsed input; NULL when none is pending */
    struct buf *msg;      /* a fragmented WS message; NULL when none */
    struct conn_out *out; /* output queue; NULL when empty */
    uint32_t out_head, out_n, out_cap; /* a ring; out_cap a power of two */
    size_t out_bytes;
    union {
        TAILQ_ENTRY(conn) link; /* on the dirty list while open */
        struct turn_node dead;  /* once closed, until the end of the turn */
    };
    struct timerq_node timer; /* the request clock while a request is read
                                 (CONN_HTTP), the deadline while draining */
    struct conn_ip *ip;       /* per-address count; NULL when unlimited */
    void *data;               /* the owner's (an Engine.IO session) */
    struct req req; /* the request in flight, as the layers above see it */
    union conn_addr peer;
    uint8_t dirty;   /* on the list flushed at the end of the callback */
    uint8_t head_ok; /* `head` let the request being read go on */
    /* The turn of its last write-through, in 16 bits to fit the struct's
     * tail padding: a false match after a wrap only sends that one frame
     * at the end of the callback instead of at once. */
    uint16_t wrote_turn;
};

/* The layer above. `request` gets a parsed request and its body, valid only
 * during the call; it must answer with conn_respond() now or later, or
 * upgrade with conn_ws_accept(). `message` gets a whole WebSocket message.
 * `closed` runs when the connection ends by itself (peer gone, I/O error,
 * protocol error, output over the cap), never for conn_close().
 * `head` (may be NULL) runs once per request, as soon as its head is parsed
 * and before its body is read or checked against the limits; `data`/`len`
 * is all the unparsed input from the request's first byte on (the head,
 * any body bytes and pipelined requests that came with it), valid only
 * during the call. It returns 0 to go on, or 1 when it took the connection
 * away (handed it to another process and closed it with conn_close()). */
struct conn_handler {
    void (*request)(struct conn *c, const struct http_request *req,
                    const char *body, size_t len);
    void (*message)(struct conn *c, int binary, char *data, size_t len);
    void (*closed)(struct conn *c);
    int (*head)(struct conn *c, const struct http_request *req,
                const char *data, size_t len);
};

struct conn_limits {
    size_t max_head;           /* request line and headers */
    size_t max_body;           /* request body and WebSocket message */
    size_t max_output;         /* queued output per connection */
    uint32_t max_conns;        /* open connections in all; 0: no limit */
    uint32_t max_conns_per_ip; /* open connections per peer address; 0: none */
    uint32_t head_timeout_ms;  /* a whole request must arrive within this
                                  after accept or the previous response
                                  (slowloris); 0: no limit */
    uint32_t drain_timeout_ms; /* a closing connection whose queued output
                                  is not written within this is closed
                                  anyway; 0: no limit */
    uint32_t spread_min; /* with send threads, a callback writes through to
                            this many connections; the rest of a fan-out
                            goes across the threads */
};

struct conn_stats {
    uint64_t accepted;
    uint64_t open;
    uint64_t bad_requests;
    uint64_t output_overflows;
    uint64_t ws_protocol_errors;
    uint64_t refused;        /* closed at accept: over max_conns(_per_ip) */
    uint64_t head_timeouts;  /* closed: no whole request within the timeout */
    uint64_t drain_timeouts; /* closed: queued output not taken in time */
    uint64_t writes;         /* write() and writev() calls on connections */
    uint64_t coalesced;      /* frames that went out in a later writev */
    uint64_t spread;         /* writes made across the send threads */
};

extern struct conn_stats conn_stats;

/* Sets up the module on `base` (which needs 3 priorities). */
void conn_setup(struct event_base *base, const struct conn_handler *h,
                const struct conn_limits *lim);

/* SIGHUP: applies max_conns, max_conns_per_ip and the two timeouts of
 * `lim` (the rest stays as conn_setup() sized it). Connections open before
 * a per-address limit was on do not count against it; a shortened timeout
 * reaches connections already waiting within the old one. */
void conn_set_limits(const struct conn_limits *lim);

/* Takes over an accepted non-blocking socket. NULL when out of memory or
 * when the connection limits (in all, per peer address) are reached: the fd
 * is closed then, and a refusal is counted in conn_stats.refused. */
struct conn *conn_new(int fd, const struct sockaddr *sa, socklen_t len);

/* Takes over a connection another process accepted and read from (a
 * hand-off): as conn_new() (same limits, same refusals, the fd closed when
 * refused), then parses `len` bytes of `data` as if just read from it.
 * NULL when refused, when the fd is not a connected socket, or when the
 * bytes are more than a connection may hold unparsed; the fd is closed
 * then. */
struct conn *conn_adopt(int fd, const char *data, size_t len);

/* 1 when nothing is queued for `c`: it may be closed and handed on without
 * losing output. */
int conn_idle_output(const struct conn *c);

/* Queues a reference to `f`. The first frame a connection gets in a loop
 * callback is written at once when nothing is queued (write-through); later
 * ones (back-to-back broadcasts) are appended and the connection is flushed
 * with one writev when the callback returns, so K frames cost two writes,
 * not K. With send threads (pfor_setup), only the first `spread_min`
 * connections of a callback write through: the rest of a larger fan-out is
 * queued and written across the threads when the callback returns. After a
 * short write the rest waits for the socket to be writable. Returns 0, or -1
 * when the connection is closed or went over the output cap (it is closed then,
 * and `closed` runs). */
int conn_send(struct conn *c, struct frame *f);

/* Until the current callback returns, conn_send() writes nothing through:
 * every frame is queued, and each connection gets one write for all of
 * them at the end. For a caller that knows more frames for the same
 * connections follow in this callback (a read that brought several
 * broadcasts), so that K of them cost one write per connection, not two. */
void conn_coalesce_turn(void);

/* Copies `len` bytes and sends them. Same returns as conn_send(). */
int conn_send_bytes(struct conn *c, const void *data, size_t len);

/* Answers the request in flight. `extra` holds complete header lines or is
 * NULL. Keeps the connection for the next request when the request allowed
 * it and `status` < 400, else closes after writing. */
void conn_respond(struct conn *c, int status, const char *content_type,
                  const char *extra, const void *body, size_t len);

/* Answers the request in flight with 101 and switches to WebSocket frames.
 * `accept` is the Sec-WebSocket-Accept value. Returns 0 or -1. */
int conn_ws_accept(struct conn *c, const char *accept, const char *extra);

/* Sends a WebSocket close frame with `code`, then closes once written.
 * `closed` does not run. */
void conn_ws_close(struct conn *c, int code, const char *reason);

/* Closes at once (queued output is dropped). `closed` does not run. */
void conn_close(struct conn *c);

/* The request in flight as a front-neutral `struct req` (answered with
 * req_respond(), which is conn_respond()). */
struct req *conn_req(struct conn *c);

/* The peer's address as text and its port. */
void conn_peer(const struct conn *c, char *addr, size_t addrlen, int *port);

#endif
