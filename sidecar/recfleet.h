/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recfleet: connection state recovery across the fleet: a reconnect whose
 * session this node does not hold asks the other socketiod nodes (other
 * workers, other machines on the same Redis), and the one holding it hands
 * it over with the events it kept for it. */
#ifndef SOCKETIOD_RECFLEET_H
#define SOCKETIOD_RECFLEET_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Reconnects waiting for the fleet's answer at once; past it a reconnect
 * whose session is not here gets a new one at once, counted in
 * `remote_refused` (a flood of CONNECTs with made-up pids costs the fleet
 * at most this many questions in flight per node). */
#define RECFLEET_MAX_PENDING 256

/* The longest answer (a session and the events it missed, base64'd) one
 * node sends another, or --redis-max-message when smaller: as the control
 * RPC's answers (answer.h), a quarter of Redis's pubsub output hard limit.
 * A session whose answer would pass it stays with its node (`oversized`),
 * which recovers it if the client comes back there. */
#define RECFLEET_MAX_ANSWER (8u << 20)

struct recfleet_stats {
    uint64_t asked;     /* questions published to the other nodes */
    uint64_t none;      /* questions no node held the session of */
    uint64_t refused;   /* not asked: RECFLEET_MAX_PENDING, Redis down */
    uint64_t bad;       /* questions or answers dropped: not valid */
    uint64_t answered;  /* other nodes' questions answered */
    uint64_t oversized; /* sessions not handed over: the answer would pass
                           RECFLEET_MAX_ANSWER (kept here) */
    uint64_t late;      /* sessions that came after their question ended:
                           lost */
    uint64_t timeouts;  /* questions ended by the deadline */
    uint64_t window;    /* events added from this node's ring: emitted
                           while the question was out, after the holder
                           could see them */
    uint64_t pending;   /* now */
};

extern struct recfleet_stats recfleet_stats;

/* Starts asking and answering: `key` is --redis-key, `uid` this node's
 * (both kept), `timeout_ms` the longest a reconnect waits for the other
 * nodes, `max_message` --redis-max-message (an answer is kept under it).
 * Call after bus_setup() with recovery on. Returns 0, or -1 (out of
 * memory, Redis refused the subscription): recovery stays per node. */
int recfleet_setup(struct event_base *base, const char *key, const char *uid,
                   unsigned timeout_ms, size_t max_message);

/* A message of channel `channel` (bus.c hands on every one; untrusted):
 * returns 1 when it is one of recfleet's (handled), else 0. */
int recfleet_message(const char *channel, size_t clen, const char *data,
                     size_t len);

/* Ends every question (their sockets get new sessions) and stops. */
void recfleet_shutdown(void);

#endif
