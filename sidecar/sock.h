/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* sock: Socket.IO over one Engine.IO session: namespace sockets, CONNECT,
 * events, acks both ways, binary attachments; protocol v5 and v4. */
#ifndef SOCKETIOD_SOCK_H
#define SOCKETIOD_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "engine.h"
#include "frame.h"
#include "timerq.h"
#include "turn.h"

struct sock_ack;
struct sock_partial;
struct idmap;

/* Longest namespace name taken; a longer one is refused as invalid. */
#define SOCK_MAX_NSP_NAME 1024

/* Abuse limits per session (sock_set_limits). */
struct sock_limits {
    unsigned max_namespaces;    /* namespace sockets of one session */
    size_t max_attachments;     /* bytes of one packet's attachments */
    unsigned attach_timeout_ms; /* for the attachments of one packet */
};

/* Refusals, for the stats RPC. Sessions closed for a packet that breaks
 * the protocol (as Node socket.io closes them) count in protocol_errors,
 * and of those, for data that is not strict JSON (jsonv.h): never relayed,
 * forwarded or acknowledged, in invalid_json. */
struct sock_stats {
    uint64_t protocol_errors;
    uint64_t invalid_json;
    uint64_t names_refused;       /* namespace or event names: bad bytes */
    uint64_t namespaces_refused;  /* CONNECTs over max_namespaces */
    uint64_t attachments_refused; /* sessions closed: attachments too big */
    uint64_t attachment_timeouts; /* sessions closed: attachments too slow */
};

extern struct sock_stats sock_stats;

/* The Socket.IO state of one Engine.IO session. */
struct sock_client {
    struct engine_session *es;
    LIST_HEAD(, sock) socks;
    struct idmap *by_nsp; /* socks by namespace, once there are a few */
    unsigned nsocks;
    struct sock_partial *partial;     /* a binary packet awaiting attachments */
    struct timerq_node connect_timer; /* v5: until the first CONNECT */
    struct turn_node dead; /* ended, until the end of the loop turn */
};

/* One namespace joined by a client. A socket that ends stays readable until
 * the end of the loop turn (a fan-out may still hold it). */
struct sock {
    union {
        LIST_ENTRY(sock) link; /* client->socks while connected */
        struct turn_node dead; /* then until the end of the turn */
    };
    struct sock_client *client;
    char *id; /* what the client sees as socket.id */
    char *nsp;
    struct sock_ack *acks; /* acks we wait for from the client */
    void *data;            /* the hub's */
    uint8_t pending;       /* CONNECT awaits sock_connect_done() */
    uint8_t closing;       /* being freed: `disconnect` is running */
};

/* A client event. `data` is the packet's JSON array, event name first,
 * with {"_placeholder":true,"num":i} where attachment i goes. The name is
 * a valid one (sio_name_valid); events with others never get here. */
struct sock_event {
    const char *name;
    const char *arg1; /* the first argument when it is a string, else NULL */
    int arg1_valid;   /* arg1 is also a valid name (a channel may be) */
    const char *data;
    size_t data_len;
    int64_t ack_id; /* SIO_NO_ID when the client wants no ack */
    struct frame **attach;
    unsigned nattach;
};

/* The layer above (the hub). `connect` decides on a CONNECT: NULL accepts,
 * sock_connect_pending defers the answer to sock_connect_done() (packets
 * for the namespace are dropped meanwhile, as for one never joined), any
 * other text is sent in CONNECT_ERROR. `disconnect` runs once per socket,
 * whoever ends it, before the socket is freed. */
struct sock_handler {
    const char *(*connect)(struct sock *s, const char *auth, size_t len);
    void (*event)(struct sock *s, const struct sock_event *ev);
    void (*disconnect)(struct sock *s, const char *reason);
    /* Optional: the private id a v5 CONNECT answer carries ("pid", for
     * connection state recovery), written to `out` (32 bytes), or NULL. */
    const char *(*pid)(struct sock *s, char *out);
};

/* Gives socket `s` the id `id` (a recovered session's), from inside the
 * `connect` callback only. Returns 0, or -1 out of memory. */
int sock_set_id(struct sock *s, const char *id);

/* Called with the client's ack arguments (JSON array text and its
 * attachments), or with data NULL when the socket went away first. */
typedef void (*sock_ack_cb)(void *arg, struct sock *s, const char *data,
                            size_t len, struct frame **attach,
                            unsigned nattach);

/* A packet encoded once and sent to many sockets of one namespace:
 * msgs[0] is the packet, msgs[1..n-1] its attachments. */
struct sock_packet {
    struct buf text;
    struct engine_msg *msgs;
    unsigned n;
};

extern const char sock_connect_pending[];

/* Answers a pending CONNECT: refusal NULL sends CONNECT, else CONNECT_ERROR
 * with the message (and, for protocol v5, `data`: JSON text or NULL) and
 * the socket is freed (`disconnect` runs; the hub has dropped its record
 * first, so it is a no-op there). */
void sock_connect_done(struct sock *s, const char *refusal, const char *data);

void sock_setup(struct event_base *base, unsigned connect_timeout_ms,
                const struct sock_handler *h);

/* Sets the per-session limits (defaults: 100 namespaces, attachments of
 * 1000000 bytes within 60000 ms). Call after sock_setup(). */
void sock_set_limits(const struct sock_limits *lim);

/* The error code an acked event with an invalid name gets, as
 * [{"error": code}] (as when the application cannot answer). */
#define SOCK_E_BAD_NAME "invalid_name"

/* engine_handler callbacks. */
void sock_engine_open(struct engine_session *es);
void sock_engine_message(struct engine_session *es, int binary,
                         const char *data, size_t len);
void sock_engine_close(struct engine_session *es, const char *reason);

/* Builds an EVENT (or ACK when `type` is SIO_ACK) for namespace `nsp` from
 * a JSON array and raw attachments (the JSON holds their placeholders);
 * BINARY_* is chosen when there are attachments. Returns 0 or -1. */
int sock_packet_init(struct sock_packet *p, int type, const char *nsp,
                     int64_t id, const char *json, size_t len,
                     struct frame *const *attach, unsigned nattach);
void sock_packet_release(struct sock_packet *p);

/* Sends a packet to one socket. Returns 0, or -1 when its session ended. */
int sock_send(struct sock *s, struct sock_packet *p);

/* Waits for the client's ACK with `id` on socket `s`. Returns 0 or -1. */
int sock_expect_ack(struct sock *s, int64_t id, sock_ack_cb cb, void *arg);

/* Stops waiting for ack `id` registered with `arg` (cb does not run). */
void sock_cancel_ack(struct sock *s, int64_t id, void *arg);

/* Server-side DISCONNECT of one namespace socket; `disconnect` runs and the
 * socket is freed. A no-op on a socket whose `disconnect` is running. */
void sock_disconnect(struct sock *s, const char *reason);

/* Ends the socket's whole Engine.IO session (every namespace socket on
 * it; `disconnect` runs for each), as Node's disconnect(true). */
void sock_close(struct sock *s, const char *reason);

/* The transport name and protocol of the socket's session. */
const char *sock_transport(const struct sock *s);

/* What the layers above may know of the socket's Engine.IO session: its
 * sid, protocol (3 or 4), wall-clock start, a handshake value (key
 * "REMOTE_ADDR", ...; NULL when absent) or, with key NULL, the whole
 * "KEY=value\0...\0\0" block, and whether a packet sent now would leave
 * at once (engine_writable). */
const char *sock_eio_sid(const struct sock *s);
int sock_eio_version(const struct sock *s);
uint64_t sock_connected_at_ms(const struct sock *s);
const char *sock_meta(const struct sock *s, const char *key);
int sock_writable(const struct sock *s);

/* 1 when the client can recover its Socket.IO session after a cut
 * (socket.io-client 4.6+ can): not an Engine.IO 3 client, nor
 * python-engineio's (recognised by its handshake's timestamp, time.time()
 * with a fraction), whose handlers would take an offset appended to
 * every event as one more argument. Only these get a pid and offsets. */
int sock_recovers(const struct sock *s);

#endif
