/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* svcstats: the stats RPC of a --workers service: the other workers of the
 * same service asked through Redis, their answers checked and summed. */
#ifndef SOCKETIOD_SVCSTATS_H
#define SOCKETIOD_SVCSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct event_base;

/* Questions pending at once on one worker; past it a stats call answers
 * with this worker's figures alone, "incomplete" (docs/limits.md). */
#define SVCSTATS_MAX_PENDING 8
/* Bytes of one message on the stats channel; longer ones are dropped. */
#define SVCSTATS_MAX_MESSAGE (256u << 10)
/* Members of a stats object (and of each object in it), and bytes of one
 * of its strings or names: an answer past either is dropped. */
#define SVCSTATS_MAX_FIELDS 1024
#define SVCSTATS_MAX_STRING 4096

struct svcstats_stats {
    uint64_t requests;   /* questions sent to the other workers */
    uint64_t incomplete; /* of those, ended before every worker answered */
    uint64_t answers;    /* the other workers' answers taken */
    uint64_t answered;   /* the other workers' questions answered */
    uint64_t unknown;    /* answers to no pending question (late ones) */
    uint64_t malformed;  /* messages dropped: not a valid question or
                            answer, another service's, a duplicate */
    uint64_t refused;    /* calls answered alone: Redis down, or
                            SVCSTATS_MAX_PENDING questions pending */
    uint64_t pending;    /* now */
};

extern struct svcstats_stats svcstats_stats;

/* Writes this worker's stats object (the stats RPC's "local" answer) to
 * `out` as JSON, without a NUL. Returns 0, or -1 when out of memory. */
typedef int (*svcstats_local)(struct buf *out);

/* Runs once per svcstats_ask(), with `json` the whole answer: the sums,
 * "workers", and "incomplete" / "missing" when a worker did not answer
 * (docs/rpc.md#stats). */
typedef void (*svcstats_done)(void *arg, const char *json, size_t len);

/* Starts answering the questions of the workers of service `service` (a
 * random id made by the supervisor, kept) on channel
 * "<key>-stats#<service>#": this is worker `self` of `count` (>= 2), and
 * asks wait `timeout_ms`. Call after redis_setup() (bus_setup()).
 * Returns 0, or -1 when out of memory or Redis refuses the subscription. */
int svcstats_setup(struct event_base *base, const char *key,
                   const char *service, int self, int count,
                   unsigned timeout_ms, svcstats_local local);

/* 1 once svcstats_setup() succeeded. */
int svcstats_enabled(void);

/* The stats channel; NULL before svcstats_setup(). */
const char *svcstats_channel(void);

/* Asks the other workers for their stats; `done` runs once all answered
 * or the timeout passed, always later than this call, also when nobody
 * can be asked (Redis down, too many pending: this worker's figures
 * alone). Returns 0, or -1 when out of memory (done never runs). */
int svcstats_ask(svcstats_done done, void *arg);

/* A message of svcstats_channel() (bus.c hands it on; untrusted): another
 * worker's question, answered with this worker's stats, or an answer to
 * one of this worker's questions. */
void svcstats_message(const char *data, size_t len);

/* Ends every pending question (done runs, incomplete). */
void svcstats_shutdown(void);

#endif
