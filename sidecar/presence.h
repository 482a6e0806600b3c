/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* presence: presence:join / presence:leave decided across the fleet: a
 * user's first or last socket here asks the other socketiod nodes whether
 * the user is in the channel there, and the event goes out only when not. */
#ifndef SOCKETIOD_PRESENCE_H
#define SOCKETIOD_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

/* Events waiting for the fleet's answer, or queued behind an earlier one
 * of the same user and channel, at once; past it an event is decided
 * here alone (as without a fleet), counted in `overflow`. */
#define PRESENCE_MAX_PENDING 4096

struct presence_stats {
    uint64_t asked;      /* questions to the other nodes */
    uint64_t suppressed; /* events not emitted: the user is in the
                            channel on another node */
    uint64_t unanswered; /* emitted without every node's answer: one did
                            not answer in time, or no question could go
                            (Redis unreachable, too many pending) */
    uint64_t overflow;   /* decided here alone: PRESENCE_MAX_PENDING */
    uint64_t coalesced;  /* a join and a leave (or a leave and a join)
                            that cancelled out while waiting, neither sent */
    uint64_t answered;   /* other nodes' questions answered */
    uint64_t malformed;  /* questions or answers dropped: not decodable */
    uint64_t pending;    /* now */
};

extern struct presence_stats presence_stats;

/* Takes the hub's presence events (hub_set_presence()) and answers the
 * other nodes' questions from now on; `uid` is this node's (kept). Call
 * after fleet_setup(). Returns 0, or -1 when out of memory (the hub then
 * decides alone, as without a fleet). */
int presence_setup(const char *uid);

/* A message of fleet_presence_channel() (bus.c hands it on; untrusted):
 * another node's question, answered with this node's sockets of the user
 * in the channel (none while an event of that user and channel of its own
 * still waits here), or an answer, handed to fleet_presence_answer(). */
void presence_message(const char *data, size_t len);

/* Stops taking events; the waiting ones are dropped as fleet_shutdown()
 * ends their questions. Call before fleet_shutdown(). */
void presence_shutdown(void);

#endif
