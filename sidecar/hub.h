/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* hub: who is connected: sockets by id, namespaces, channels, and fan-out. */
#ifndef SOCKETIOD_HUB_H
#define SOCKETIOD_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "hist.h"
#include "sock.h"

#define HUB_MAX_CHANNEL_NAME 1024
#define HUB_MAX_CHANNELS_PER_SOCKET 1000 /* the default of max_channels */

/* The refusal of a channel name with a control character (NUL included)
 * or that is not UTF-8 (sio_name_valid). */
#define HUB_E_BAD_CHANNEL "invalid channel name"
/* The refusal of a join to an app user's room (users.h) by name. */
#define HUB_E_RESERVED "reserved channel name"

/* Abuse limits per socket (hub_set_limits). */
enum hub_flood_action {
    HUB_FLOOD_DROP,       /* excess events are dropped (and counted) */
    HUB_FLOOD_DISCONNECT, /* the socket is disconnected at the first excess */
};

struct hub_limits {
    unsigned max_channels; /* channels one socket may be in */
    unsigned event_rate;   /* client events per second; 0: no limit */
    unsigned event_burst;  /* bucket size (events at once); 0: = rate */
    enum hub_flood_action flood_action;
};

/* Who an emit reaches (its audience), as a Socket.IO adapter sees it: in
 * namespace `nsp`, every socket in any of `rooms` (none: everyone), less
 * every socket in any of `except`. A room is a channel or a socket id (a
 * room of one); each receiver gets the packet once. `nsp` NULL: the
 * namespace of the first room that is a connected socket id, else "/". */
struct hub_target {
    const char *nsp;
    const char *const *rooms;
    size_t nrooms;
    const char *const *except;
    size_t nexcept;
    unsigned flags;  /* HUB_F_* */
    uint64_t origin; /* the node it came from through Redis
                        (recover_origin() of its uid), 0: this one */
    int *published;  /* when not NULL and the emit was handed to the
                        publish callback (hub_set_publish): set to 1 when
                        published, 2 when kept to publish later, 0 when
                        neither */
};

/* `rooms` are socket ids only (the RPC's and the application's `to`):
 * hub_emit() returns -1 when none is a connected socket of the namespace. */
#define HUB_F_SIDS 1u
/* Skip receivers whose session cannot send at once (sock_writable). */
#define HUB_F_VOLATILE 2u
/* This node's sockets only: nothing is published to other nodes. */
#define HUB_F_LOCAL 4u

/* One client's answer to an acked emit: data NULL when it did not answer
 * in time or went away. */
struct hub_ack_result {
    char *sid;
    char *data; /* JSON array, placeholders for attachments */
    size_t len;
    struct frame **attach;
    unsigned nattach;
};

/* Runs once for an acked emit, when every receiver answered or the timeout
 * passed; `results` is freed after it returns. */
typedef void (*hub_ack_done)(void *arg, const struct hub_ack_result *results,
                             size_t n);

/* Runs for each receiver's answer to an acked emit as it arrives (before
 * hub_ack_done, which sees it again among the results); pointers valid
 * during the call only. */
typedef void (*hub_ack_each)(void *arg, const char *sid, const char *data,
                             size_t len, struct frame *const *attach,
                             unsigned nattach);

struct hub_info {
    const char *sid;
    const char *eio_sid;
    const char *nsp;
    const char *transport;
    int protocol; /* Engine.IO protocol version */
    const char *remote_addr;
    int remote_port;
    double connected_at; /* seconds since the epoch */
    const char *const *channels;
    size_t nchannels;
    const char *meta; /* the handshake's "KEY=value\0...\0\0" */
    const char *auth; /* the CONNECT payload (kept with a forwarder), or NULL */
    size_t auth_len;
    const char *user;      /* its app user (hub_set_user), or NULL */
    const char *user_room; /* that user's room (users.h), or NULL */
};

typedef void (*hub_visit)(void *arg, const struct hub_info *info);

struct hub_stats {
    uint64_t sockets;
    uint64_t namespaces;
    uint64_t channels;
    uint64_t events_in;
    uint64_t messages_out; /* packets delivered, counted per receiver */
    uint64_t emits;
    uint64_t events_rate_limited; /* dropped, or sockets disconnected */
    uint64_t names_refused;       /* channel names with bad bytes */
    uint64_t users;               /* distinct app users, by namespace */
};

extern struct hub_stats hub_stats;

/* Receivers of each broadcast (an emit to no single socket, a relay), by
 * namespace: the `socketiod_broadcast_fanout` histogram (stats.c). */
extern struct hist_family hub_fanout;

/* `relay`: re-emit client events to the sender's channels. */
void hub_setup(struct event_base *base, int relay);

/* Sets the per-socket limits (defaults: HUB_MAX_CHANNELS_PER_SOCKET
 * channels, no event rate limit). Call after hub_setup(). */
void hub_set_limits(const struct hub_limits *lim);

/* sock_handler callbacks. With recovery on (recover_setup()), `connect`
 * gives a reconnect whose auth names a kept session ("pid", "offset") its
 * old id, channels and context and sends it the events it missed, and
 * `disconnect` keeps the session of a socket that left for a recoverable
 * reason; `pid` writes the socket's pid (NULL when recovery is off). */
const char *hub_sock_connect(struct sock *s, const char *auth, size_t len);
void hub_sock_event(struct sock *s, const struct sock_event *ev);
void hub_sock_disconnect(struct sock *s, const char *reason);
const char *hub_sock_pid(struct sock *s, char *out);

struct recover_session;

/* Runs when a CONNECT names a pid no session here has (recovery on): the
 * fleet may hold it. `sid` is the waiting socket's id for now, `pid` and
 * `offset` the client's. Returns 0 when it asks (hub_recover_remote(sid,
 * ...) follows, never from inside this call), -1 when it cannot (the
 * socket gets a new session at once). Must not call into the hub. NULL:
 * none, the default. */
typedef int (*hub_recfleet_cb)(void *arg, const char *sid, const char *nsp,
                               const char *pid, const char *offset);
void hub_set_recfleet(hub_recfleet_cb cb, void *arg);

/* The fleet's answer for the socket waiting as `sid`: `rs` the session
 * another node held (recover_adopt()), taken over here whatever happens
 * (recovered, or refused when the socket left or its old id is in use
 * here), or NULL: a new session. The CONNECT goes on as it does after a
 * local recovery. */
void hub_recover_remote(const char *sid, struct recover_session *rs);

/* 1 when a socket of id `sid` is here (connected or waiting). */
int hub_sock_alive(const char *sid);

/* Recovery: `authorize` 1 makes a recovered CONNECT wait for the
 * forwarder's answer like a new one; 0 (the default, as socket.io's
 * skipMiddlewares) accepts it at once and forwards it as a notice. */
void hub_set_recovery(int authorize);

/* Sends the event whose JSON array (name first, placeholders for the
 * attachments) is `json` to the audience; the packet is encoded once.
 * Returns the number of receivers, or -1 when out of memory or (HUB_F_SIDS)
 * no room names a socket of the namespace. With `done` (acked emit), `done`
 * runs later with one result per receiver, after at most `timeout_ms`. */
long hub_emit(const struct hub_target *t, const char *json, size_t len,
              struct frame *const *attach, unsigned nattach,
              unsigned timeout_ms, hub_ack_done done, void *arg);

/* hub_emit() with `done` (not NULL), and `each` runs for every answer as it
 * arrives, e.g. to pass it on at once. */
long hub_emit_each(const struct hub_target *t, const char *json, size_t len,
                   struct frame *const *attach, unsigned nattach,
                   unsigned timeout_ms, hub_ack_each each, hub_ack_done done,
                   void *arg);

/* Subscribes / unsubscribes socket `sid`. Return 0, or -1 with *err. */
int hub_join(const char *sid, const char *channel, const char **err);
int hub_leave(const char *sid, const char *channel, const char **err);

/* Makes socket `sid` (connected) a socket of app user `user` (checked
 * with users_valid() by the caller; NULL: none), replacing the one it had;
 * the user's sockets are then the room users_room(user) of its namespace.
 * Joins made before count for presence only from the next one. Returns 0,
 * or -1 with *err (unknown socket, out of memory). Connection state
 * recovery gives a recovered socket its user back with its channels. */
int hub_set_user(const char *sid, const char *user, const char **err);

/* The app user of connected socket `sid`, NULL when none or unknown
 * (valid until the socket's user changes or it ends). */
const char *hub_user(const char *sid);

/* Server-side disconnect of socket `sid`. Returns 0, or -1 if unknown. */
int hub_disconnect(const char *sid);

/* Closes the whole connection of socket `sid` (all its namespaces).
 * Returns 0, or -1 if unknown. */
int hub_close(const char *sid);

/* Visits each connected socket of the audience once (its flags but
 * HUB_F_SIDS ignored); `cb` must not end sessions or change channels:
 * collect the ids, then act. Returns the number visited. */
size_t hub_audience(const struct hub_target *t,
                    void (*cb)(void *arg, const char *sid), void *arg);

/* Visits sockets (of `nsp` and in `channel` when not NULL); returns how
 * many were visited. */
size_t hub_sessions(const char *nsp, const char *channel, hub_visit cb,
                    void *arg);

/* Visits socket `sid`; returns 0, or -1 if unknown. */
int hub_session(const char *sid, hub_visit cb, void *arg);

/* Visits every channel (of `nsp` when not NULL), users' rooms left out. */
void hub_channels(const char *nsp,
                  void (*cb)(void *arg, const char *nsp, const char *name,
                             unsigned members),
                  void *arg);

/* Visits every namespace with its number of sockets (those whose CONNECT
 * awaits the application included). */
void hub_namespaces(void (*cb)(void *arg, const char *nsp, unsigned sockets),
                    void *arg);

/* ---- forwarding client events to the application (upstream) ---- */

enum hub_fwd_type {
    HUB_FWD_CONNECT,
    HUB_FWD_DISCONNECT,
    HUB_FWD_EVENT,
    HUB_FWD_SUBSCRIBE,
    HUB_FWD_UNSUBSCRIBE,
};

/* One client event handed to the forwarder; every pointer is valid during
 * the call only. */
struct hub_fwd {
    int type; /* enum hub_fwd_type */
    const char *sid;
    const char *eio_sid;
    const char *nsp;
    const char *transport;
    int protocol;     /* Engine.IO protocol: 4 or 3 */
    const char *meta; /* the handshake's "KEY=value\0...\0\0" */
    const char *auth; /* the CONNECT payload (JSON object), or NULL */
    size_t auth_len;
    const char *data; /* EVENT: JSON array, name first, placeholders */
    size_t data_len;
    struct frame *const *attach;
    unsigned nattach;
    int64_t ack_id;      /* SIO_NO_ID when nobody waits for an answer */
    const char *channel; /* SUBSCRIBE / UNSUBSCRIBE */
    const char *reason;  /* DISCONNECT */
    int wait;            /* SUBSCRIBE: hub_subscribe_done() decides */
    int recovered;       /* CONNECT: a reconnect that got its session back
                            (recover.h); its context is the restored one */
};

/* Takes a client event. Returns NULL when taken (a CONNECT and a waiting
 * SUBSCRIBE are then answered later with hub_connect_done() /
 * hub_subscribe_done(), never from inside this call), else an error code:
 * the CONNECT is refused with it, an acked EVENT gets [{"error": code}],
 * a waiting SUBSCRIBE is refused with it. */
typedef const char *(*hub_forward_cb)(void *arg, const struct hub_fwd *f);

/* Forwards every client event to `cb` from now on (NULL: none, the
 * default: connects and subscribes are accepted, events dropped).
 * `private_channels`: a subscribe waits for hub_subscribe_done(). */
void hub_set_forward(hub_forward_cb cb, void *arg, int private_channels);

/* Answers a pending CONNECT of socket `sid` (forwarded, or one the own
 * namespace's connect left pending): refusal NULL accepts it, else
 * CONNECT_ERROR with that message and `data` (JSON text or NULL).
 * Returns 0, or -1 when the socket went away meanwhile (nothing done). */
int hub_connect_done(const char *sid, const char *refusal, const char *data);

/* Answers a waiting SUBSCRIBE: joins `channel` when refusal is NULL; the
 * client's ack (when ack_id is not SIO_NO_ID) gets [null, channel] or
 * [message], and a refusal also sends the event
 * "subscribe_error" [channel, message]. */
void hub_subscribe_done(const char *sid, const char *channel, int64_t ack_id,
                        const char *refusal);

/* Sends ACK `id` with the JSON array `json` (placeholders for `attach`) to
 * socket `sid`. Returns 0, or -1 when the socket is gone or out of memory. */
int hub_ack(const char *sid, int64_t id, const char *json, size_t len,
            struct frame *const *attach, unsigned nattach);

/* The socket's context JSON kept for the forwarder (NULL when none or the
 * socket is unknown; valid until the next change). */
const char *hub_context(const char *sid, size_t *len);

/* Replaces the socket's context (json NULL clears it). Returns 0, or -1
 * when the socket is unknown or out of memory. */
int hub_set_context(const char *sid, const char *json, size_t len);

/* Runs for every emit without HUB_F_LOCAL and without ack, before the
 * local delivery, with the audience's namespace resolved (`nsp`), and for
 * every relayed event (rooms: the sender's channels, except: the sender):
 * the Redis bus publishes it to the other nodes. Every pointer is valid
 * during the call only. Returns 0 when published, 1 when kept to be
 * published later (Redis's outbox), -1 when neither (*t->published, when
 * set, says 1, 2 or 0). */
typedef int (*hub_publish_cb)(void *arg, const char *nsp,
                              const struct hub_target *t, const char *json,
                              size_t len, struct frame *const *attach,
                              unsigned nattach);
void hub_set_publish(hub_publish_cb cb, void *arg);

/* Runs when a user's first socket here joined a --presence channel
 * (join 1) or the last here left it (join 0), `sockets` the user's
 * sockets in it here (1 or 0), before the hub queues the event: returns
 * 1 when it takes the event (to emit it, or not, later through
 * hub_presence_emit(), e.g. once the other nodes of the fleet said
 * whether the user is in the channel there), 0 to let the hub emit it as
 * it does without one. Pointers are valid during the call only, and it
 * must not call into the hub. NULL: none, the default. */
typedef int (*hub_presence_cb)(void *arg, const char *nsp, const char *channel,
                               const char *user, int join, unsigned sockets);
void hub_set_presence(hub_presence_cb cb, void *arg);

/* Emits presence:join (join 1) or presence:leave (0) about `user` to
 * channel `channel` of `nsp` ({"channel","user","sockets"}), at the end
 * of the turn after the events queued before it, counted in
 * presence_events. */
void hub_presence_emit(const char *nsp, const char *channel, const char *user,
                       int join, unsigned sockets);

/* The sockets of user `user` (valid: users_valid()) in channel `channel`
 * of `nsp` on this node; 0 when any of them is unknown. */
unsigned hub_user_sockets(const char *nsp, const char *channel,
                          const char *user);

/* Runs `cb` with the name of each namespace the hub creates (on the first
 * socket to connect to it), after the record exists; `cb` must not call
 * back into the hub. NULL: none. */
void hub_set_nsp_created(void (*cb)(void *arg, const char *nsp), void *arg);

/* A namespace the daemon answers itself (the Admin UI's, adminui.c):
 * its sockets are the hub's like any (listed, emitted to), but their
 * CONNECT, events and disconnect go to these callbacks, never to the
 * forwarder, the relay or the other nodes. `connect` answers NULL to
 * accept (the CONNECT packet leaves after it returns), the refusal sent in
 * CONNECT_ERROR, or sock_connect_pending to answer later through
 * hub_connect_done() (the socket waits, out of every listing). `event` gets
 * every event, subscribe included. `disconnect` runs once for an accepted
 * socket that ends. Pointers are valid during the call only. */
struct hub_own {
    const char *nsp;
    const char *(*connect)(void *arg, struct sock *s, const char *auth,
                           size_t len);
    void (*event)(void *arg, struct sock *s, const struct sock_event *ev);
    void (*disconnect)(void *arg, struct sock *s, const char *reason);
    void *arg;
};

/* Serves `own->nsp` with `own` from now on (copied; NULL: none, the
 * default). Call before any client connects. */
void hub_set_own(const struct hub_own *own);

/* Told of what happens to sockets, for the Admin UI's live view: a socket
 * connected (its CONNECT accepted) or ended, joined or left a channel
 * (leaving every channel as it ends too), sent an event (`json`: its
 * array, name first; not the own namespace's), or was sent one as the
 * single socket an emit named. Every pointer is valid during the call
 * only, and no callback may call into the hub (queue, act later). */
struct hub_watch {
    void (*connected)(void *arg, const char *nsp, const char *sid);
    void (*disconnected)(void *arg, const char *nsp, const char *sid,
                         const char *reason);
    void (*joined)(void *arg, const char *nsp, const char *room,
                   const char *sid);
    void (*left)(void *arg, const char *nsp, const char *room, const char *sid);
    void (*event_in)(void *arg, const char *nsp, const char *sid,
                     const char *json, size_t len);
    void (*event_out)(void *arg, const char *nsp, const char *sid,
                      const char *json, size_t len);
    void *arg;
};

/* Installs `w` (copied; NULL: none, the default). */
void hub_set_watch(const struct hub_watch *w);

/* The namespace of connected socket `sid`, or NULL when unknown. */
const char *hub_socket_nsp(const char *sid);

/* sizeof the hub's per-socket record, for the sizes program. */
size_t hub_sizeof_socket(void);

/* Frees what is left once every session has ended. */
void hub_shutdown(void);

#endif
