/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* answer: this node's answers to the requests of the other nodes of a
 * fleet (the classic adapter's request channel): fetchSockets, allRooms,
 * serverSideEmit, broadcasts with acks, socketsJoin/Leave and
 * disconnectSockets, in both their forms. */
#ifndef SOCKETIOD_ANSWER_H
#define SOCKETIOD_ANSWER_H

#include <stddef.h>
#include <stdint.h>

/* The largest answer published: a quarter of Redis's default hard limit
 * on a subscriber's output buffer ("client-output-buffer-limit pubsub
 * 32mb"), past which Redis would drop every node's subscriber connection
 * at once; lists are cut to fit (counted in `truncated`). */
#define ANSWER_MAX_BYTES (8u << 20)
/* Broadcasts with acks of other nodes waiting for their clients at once
 * (each holds a slot per receiver until its timeout, up to an hour); more
 * are not delivered (counted in `dropped`). */
#define ANSWER_MAX_BROADCASTS 256
/* A broadcast's flags.timeout is taken within 1 ms to 1 hour (the RPC's
 * range); absent: 5000. */
#define ANSWER_MAX_TIMEOUT_MS 3600000

struct answer_stats {
    uint64_t answers;   /* answer messages published (a broadcast's client
                           count and each client's ack one each) */
    uint64_t dropped;   /* answers or broadcasts given up: Redis
                           unreachable, out of memory, over
                           ANSWER_MAX_BROADCASTS */
    uint64_t truncated; /* list answers cut at ANSWER_MAX_BYTES */
    uint64_t server_side_emits; /* serverSideEmit received (no handler
                                   here: acked with null) */
};

extern struct answer_stats answer_stats;

/* What answer_request() did with a request. */
enum answer_result {
    ANSWER_HANDLED,   /* answered or applied (or none of ours to act on) */
    ANSWER_OWN,       /* this node's own request (uid), ignored */
    ANSWER_IGNORED,   /* a type that is no request (8, 9) */
    ANSWER_MALFORMED, /* dropped, logged at -v */
};

/* `key`: --redis-key; `uid`: this node's; `max_bytes`: cap on an answer
 * (the smaller of this and ANSWER_MAX_BYTES); `path`: --path, for
 * fetchSockets' handshake url. The strings must outlive the module. */
void answer_setup(const char *key, const char *uid, size_t max_bytes,
                  const char *path);

/* Handles one message of "<key>-request#<nsp>#": applies it to this
 * node's sockets of `nsp` and publishes the answer on
 * "<key>-response#<nsp>#". Returns an enum answer_result. */
int answer_request(const char *nsp, const char *data, size_t len);

void answer_shutdown(void);

#endif
