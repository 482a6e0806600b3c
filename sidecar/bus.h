/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* bus: this node in a Socket.IO fleet through Redis, speaking
 * @socket.io/redis-adapter's classic protocol: emits published,
 * broadcasts of other nodes and emitters delivered here. */
#ifndef SOCKETIOD_BUS_H
#define SOCKETIOD_BUS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

struct bus_config {
    const char *url; /* --redis */
    const char *key; /* --redis-key, the channels' prefix */
    unsigned timeout_ms;
    size_t max_message;
    const char *python_channel; /* python-socketio's; NULL: not read */
    size_t outbox;    /* --redis-outbox: bytes kept while Redis is away */
    const char *path; /* --path, for fetchSockets' handshake url */
};

/* Namespaces whose request and response channels this node subscribes to
 * ("/" at start, then each the hub creates): Node nodes count this node
 * in those (PUBSUB NUMSUB) and wait for its answers, which answer.c
 * gives. Namespaces are named by clients, so they are capped; past the
 * cap a namespace's requests are not seen here (Node does not count this
 * node there, so nobody waits). A namespace stays subscribed once its
 * last socket is gone, as Node's do: an unsubscribe followed by a quick
 * resubscribe loses the channel's callback in hiredis 0.14 (its
 * unsubscribe reply drops the entry the new subscribe made), and the
 * answers of an empty namespace are empty lists. */
#define BUS_MAX_NAMESPACES 1000

struct bus_stats {
    uint64_t published;        /* broadcasts handed to Redis */
    uint64_t unpublished;      /* emits neither published nor kept in the
                                  outbox: no room, volatile while Redis is
                                  unreachable, or data that would not encode */
    uint64_t received;         /* broadcasts of other nodes delivered here */
    uint64_t own;              /* our own, echoed back: ignored */
    uint64_t malformed;        /* dropped: not a classic broadcast */
    uint64_t oversized;        /* dropped: over --redis-max-message */
    uint64_t requests;         /* requests of other nodes answered or applied */
    uint64_t requests_ignored; /* request types that ask nothing; python
                                  callbacks */
    uint64_t python;           /* python-socketio messages acted on here (emit,
                                  enter_room, leave_room, close_room, disconnect) */
    uint64_t python_refused;   /* python-socketio pickles refused: an opcode
                                  outside the data-only subset (one that
                                  imports or calls), malformed, over a cap */
    uint64_t responses;        /* messages on the response channels */
    uint64_t namespaces_unanswered; /* namespaces over BUS_MAX_NAMESPACES */
};

extern struct bus_stats bus_stats;

/* This node's uid in the fleet (6 characters, as Node's adapter). */
extern char bus_uid[7];

/* Connects to Redis (in the background), subscribes to every namespace's
 * broadcasts and publishes the hub's emits from now on. Returns 0, or -1
 * with *cause (a bad URL; never the password). */
int bus_setup(struct event_base *base, const struct bus_config *cfg,
              const char **cause);

/* 1 once bus_setup() ran. */
int bus_enabled(void);

/* Decodes one message of channel `channel` and delivers it to this node's
 * sockets (what a subscription calls; exposed for tests and fuzzing). */
void bus_message(void *arg, const char *channel, size_t clen, const char *data,
                 size_t len);

/* A message on "<key>-response#<nsp>#" or this node's own
 * "<key>-response#<nsp>#<uid>#": answers to requests (of this node, or of
 * others on the shared channel), handed to fleet_response(). */
void bus_response(const char *nsp, const char *data, size_t len);

void bus_shutdown(void);

#endif
