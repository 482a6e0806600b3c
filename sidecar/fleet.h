/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fleet: the control RPC's questions to the other nodes of the fleet
 * (the requesting side of the classic adapter's requests): pending
 * requests by id, their deadline, and the answers gathered. */
#ifndef SOCKETIOD_FLEET_H
#define SOCKETIOD_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct event_base;

struct fleet_stats {
    uint64_t requests;   /* published to the other nodes */
    uint64_t incomplete; /* ended before every node answered */
    uint64_t answers;    /* answers to a pending request */
    uint64_t unknown;    /* answers to no pending request (other nodes') */
    uint64_t malformed;  /* answers dropped: not decodable */
    uint64_t refused;    /* not asked: Redis down, or too many pending */
    uint64_t pending;    /* now */
    int64_t nodes;       /* subscribers of the last request channel asked,
                            this node counted once; -1: never asked */
};

extern struct fleet_stats fleet_stats;

/* Requests pending at once; more are refused (answered locally).
 * Presence questions are bounded by presence.c instead, and do not count
 * here, so a wave of joins does not starve the control RPC. */
#define FLEET_MAX_PENDING 1024
/* Bytes of answers gathered for one question (sessions of every node, or
 * remote acks); more are dropped and the answer is incomplete. */
#define FLEET_MAX_BYTES (64u << 20)

/* Runs once per request, later than the call that made it, with `json`
 * a JSON array: the sessions of the other nodes (fleet_fetch), the
 * arguments of each remote ack, as [arg] (fleet_broadcast), [] when the
 * socket's node answered (fleet_remote). `count`: the nodes that answered
 * (fleet_fetch, fleet_remote), the clients the other nodes sent to
 * (fleet_broadcast). `incomplete`: not every node answered in time. */
typedef void (*fleet_done)(void *arg, const char *json, size_t len, long count,
                           int incomplete);

/* Starts answering to this node's questions: `key` is --redis-key, `uid`
 * this node's (both kept), `timeout_ms` how long a question waits for the
 * other nodes. Call after redis_setup() (bus_setup()). */
void fleet_setup(struct event_base *base, const char *key, const char *uid,
                 unsigned timeout_ms);

/* 1 once fleet_setup() ran. */
int fleet_enabled(void);

/* Asks every other node for its sockets of namespaces `nsps` (in any of
 * `rooms`; none: all). Returns 0 when asked (done runs later), -1 when
 * not (Redis unreachable, too many pending, out of memory). */
int fleet_fetch(const char *const *nsps, size_t nnsp, const char *const *rooms,
                size_t nrooms, fleet_done done, void *arg);

/* Asks the node of socket `sid` of `nsp` to have it join or leave `room`
 * (type ADAPTER_REQ_REMOTE_JOIN / _LEAVE) or disconnect (_DISCONNECT;
 * `close`: its whole connection). Only that node answers: count 1, or 0
 * when nobody did in time. Returns 0 or -1 as fleet_fetch(). */
int fleet_remote(int type, const char *nsp, const char *sid, const char *room,
                 int close, fleet_done done, void *arg);

/* Publishes the event `json` (placeholders for `attach`) to the audience
 * rooms/except of `nsp` on the other nodes, with acks awaited up to
 * `timeout_ms`. Returns 0 or -1 as fleet_fetch(). */
int fleet_broadcast(const char *nsp, const char *const *rooms, size_t nrooms,
                    const char *const *except, size_t nexcept, const char *json,
                    size_t len, struct frame *const *attach, unsigned nattach,
                    unsigned timeout_ms, fleet_done done, void *arg);

/* The channel of presence questions and their answers, "<key>-presence#"
 * (socketiod nodes only: PUBSUB NUMSUB counts them and no Node node);
 * NULL before fleet_setup(). */
const char *fleet_presence_channel(void);

/* Asks every other socketiod node how many sockets user `user` has in
 * channel `channel` of `nsp`, for a join (`join` 1) or a leave (0)
 * (fleetmsg_presence_ask()). `done` runs with
 * `count` the sockets of the first node that has some (the question ends
 * there), 0 when every node said none (or none was asked: no other
 * node); `incomplete` when a node did not answer in time. Not bounded by
 * FLEET_MAX_PENDING (the caller bounds them). Returns 0 or -1 as
 * fleet_fetch(). */
int fleet_presence(const char *nsp, const char *channel, const char *user,
                   int join, fleet_done done, void *arg);

/* An answer to presence question `request_id`: the answering node has
 * `sockets` of the user there (presence.c hands it on; untrusted). */
void fleet_presence_answer(const char *request_id, long sockets);

/* An answer from channel "<key>-response#<nsp>#[<uid>#]" (bus.c hands it
 * on; untrusted). */
void fleet_response(const char *nsp, const char *data, size_t len);

/* Ends every pending request (done runs, incomplete). */
void fleet_shutdown(void);

#endif
