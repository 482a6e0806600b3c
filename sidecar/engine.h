/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* engine: Engine.IO sessions: handshake, polling and WebSocket transports,
 * upgrade, heartbeats of protocol v4 and v3. */
#ifndef SOCKETIOD_ENGINE_H
#define SOCKETIOD_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conn.h"
#include "frame.h"
#include "idmap.h"
#include "timerq.h"
#include "turn.h"

struct engine_ip;

enum engine_transport { ENGINE_POLLING = 0, ENGINE_WEBSOCKET = 1 };
enum engine_state { ENGINE_OPEN = 0, ENGINE_CLOSED = 1 };

struct engine_session {
    struct idmap_node node; /* by sid */
    union {
        TAILQ_ENTRY(engine_session) link; /* all sessions while open */
        struct turn_node dead; /* once closed, until the end of the turn */
    };
    TAILQ_ENTRY(engine_session) flush_link;
    char sid[21];
    uint8_t version;        /* Engine.IO protocol: 3 or 4 */
    uint8_t transport;      /* enum engine_transport */
    uint8_t state;          /* enum engine_state */
    uint8_t b64;            /* v3 polling client without binary support */
    uint8_t flushing;       /* on the flush list */
    uint8_t probed;         /* the probe WebSocket answered "3probe" */
    uint8_t float_stamp;    /* the handshake's t= is a decimal fraction:
                               python-engineio's time.time() */
    struct conn *conn;      /* the WebSocket */
    struct req *poll;       /* the long-poll GET being held (any front) */
    struct conn *probe;     /* a WebSocket being probed for upgrade */
    struct frame **pending; /* polling packets waiting for a GET */
    uint32_t npending, pending_cap;
    size_t pending_bytes;
    struct timerq_node hb;
    struct timerq_node hold; /* --poll-hold: answers a held poll with NOOP */
    struct engine_ip *ip;    /* its address's count (--max-sessions-per-ip) */
    char *meta; /* CGI-style "KEY=value\0...\0": REMOTE_ADDR, QUERY_STRING,
                   HTTP_* of the handshake */
    uint64_t connected_at_ms; /* wall clock */
    void *data;               /* the layer above's */
};

/* The layer above. `open` runs once a session exists (the OPEN packet is
 * queued first); `message` gets each message (binary: raw bytes);
 * `close` runs exactly once when the session ends, whoever ends it; the
 * session memory stays valid until the end of the loop turn. */
struct engine_handler {
    void (*open)(struct engine_session *s);
    void (*message)(struct engine_session *s, int binary, const char *data,
                    size_t len);
    void (*close)(struct engine_session *s, const char *reason);
};

struct engine_config {
    const char *path; /* ends with '/' */
    unsigned ping_interval_ms;
    unsigned ping_timeout_ms;
    size_t max_payload;
    size_t max_pending;    /* polling bytes queued for a client not polling */
    unsigned poll_hold_ms; /* answer a held poll with NOOP after; 0: never */
    unsigned poll_max_packets;    /* packets per long-poll answer; 0: all */
    size_t max_sessions;          /* refuse handshakes past it; 0: none */
    unsigned max_sessions_per_ip; /* per REMOTE_ADDR; 0: no limit */
    unsigned first_poll_ms; /* a polling session's first request; 0: none */
    size_t max_meta;        /* bytes of s->meta; 0: no cap */
    int allow_polling;
    int allow_websocket;
    /* 1 when a cross-site `origin` is allowed (--origins); the engine
     * itself allows requests without Origin and same-origin ones. */
    int (*origin_allowed)(const char *origin, size_t len);
    /* 1 when X-Forwarded-For from this peer address is believed; NULL for
     * never. */
    int (*proxy_trusted)(const char *addr);
};

/* One message to send to many sessions: each wire form is encoded the first
 * time a receiver needs it and shared by reference afterwards. */
struct engine_msg {
    int binary;
    const char *data;
    size_t len;
    struct frame *poll;  /* "4" + data, or the raw bytes when binary */
    struct frame *ws[2]; /* WebSocket frame for v3 [0] and v4 [1] */
};

struct engine_stats {
    uint64_t handshakes;
    uint64_t upgrades;
    uint64_t closed;
    uint64_t ping_timeouts;
    uint64_t bad_requests;
    uint64_t origins_refused;  /* 403 for a foreign Origin (of bad_requests) */
    uint64_t bad_utf8;         /* polling text payloads refused */
    uint64_t sessions_refused; /* over max_sessions(_per_ip) */
    uint64_t first_poll_timeouts; /* polling sessions that never polled */
    uint64_t meta_dropped;        /* handshake values over max_meta */
    uint64_t extra_upgrades;      /* WebSockets for an upgraded sid, closed */
    uint64_t polling;
    uint64_t websocket;
};

extern struct engine_stats engine_stats;

void engine_setup(struct event_base *base, const struct engine_config *cfg,
                  const struct engine_handler *h);

/* 1 when the request's path is the Engine.IO path. */
int engine_owns(const struct http_request *req);

/* A request under the path from any front (req_handler.request): `c` is
 * the plain HTTP connection it came on, NULL for FastCGI and SCGI (then a
 * WebSocket transport is refused and the client stays on polling). */
void engine_request(struct req *r, struct conn *c,
                    const struct http_request *req, const char *body,
                    size_t len);

/* req_handler.closed: a held long-poll went away unanswered. */
void engine_req_closed(struct req *r);

/* conn_handler callbacks for WebSockets and held polls on plain conns. */
void engine_ws_message(struct conn *c, int binary, char *data, size_t len);
void engine_conn_closed(struct conn *c);

void engine_msg_init(struct engine_msg *m, int binary, const char *data,
                     size_t len);
void engine_msg_release(struct engine_msg *m);

/* Sends a message to one session. Returns 0, or -1 when the session is
 * closed or out of memory/over its output cap (it is closed then). */
int engine_send(struct engine_session *s, struct engine_msg *m);

/* Ends a session from the server side: a CLOSE packet where the transport
 * can carry it, then the transport closes; `close` runs. */
void engine_close(struct engine_session *s, const char *reason);

/* The session with `sid`, or NULL. */
struct engine_session *engine_find(const char *sid);

/* A handshake value from s->meta ("REMOTE_ADDR", "HTTP_COOKIE", ...), or
 * NULL. */
const char *engine_meta(const struct engine_session *s, const char *key);

/* 1 when a packet sent now would leave at once, as Node's `volatile`
 * wants: a long-poll GET is held, or the WebSocket has under
 * ENGINE_VOLATILE_BACKLOG bytes queued. */
#define ENGINE_VOLATILE_BACKLOG 65536
int engine_writable(const struct engine_session *s);

/* Number of live sessions. */
size_t engine_count(void);

/* Closes every session (WebSockets with 1001 going away). */
void engine_shutdown(void);

#endif
