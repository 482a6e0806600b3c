/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* outbox: the broadcasts kept while Redis is unreachable, oldest first,
 * within a bound of bytes; the oldest make room for the newest. A message
 * leaves it once Redis has answered its PUBLISH, so that a connection lost
 * during the replay loses nothing. */
#ifndef SOCKETIOD_OUTBOX_H
#define SOCKETIOD_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct outbox_item;

/* Zeroed, then outbox_init(). Every field is read-only outside. */
struct outbox {
    size_t max_bytes; /* 0: keeps nothing */
    struct outbox_item *head, *tail;
    struct outbox_item *unsent; /* the first not handed out by
                                   outbox_next(); NULL: none */
    uint64_t seq;               /* of the newest message kept */
    size_t count;               /* messages kept now (sent ones included
                                   until outbox_done()) */
    size_t bytes;               /* their channels, data and bookkeeping */
    uint64_t kept;              /* messages ever kept */
    uint64_t replayed;          /* sent and answered (outbox_done) */
    uint64_t dropped;           /* kept, then lost: pushed out by newer ones, or
                                   cleared (kept = replayed + dropped + count) */
};

/* What one message costs against max_bytes besides its channel and data
 * (the bookkeeping, so that tiny messages are bounded too). */
#define OUTBOX_OVERHEAD 48

void outbox_init(struct outbox *o, size_t max_bytes);

/* Keeps a copy of (channel, data) after every message kept before it,
 * dropping the oldest ones (counted; sent or not) until it fits. Returns 0
 * when kept, -1 when not (max_bytes 0, the message alone over it, out of
 * memory: nothing is counted or dropped then; the caller counts it). */
int outbox_put(struct outbox *o, const char *channel, size_t clen,
               const void *data, size_t len);

/* The oldest message not handed out yet, now handed out: its channel
 * (NUL-terminated), data and sequence number, valid until it leaves the
 * outbox. -1 when every message was handed out. */
int outbox_next(struct outbox *o, const char **channel, size_t *clen,
                const void **data, size_t *len, uint64_t *seq);

/* Redis answered the message `seq`: it and every older one leave the
 * outbox (counted in replayed). One dropped meanwhile is not there:
 * nothing happens for it. */
void outbox_done(struct outbox *o, uint64_t seq);

/* The messages handed out and not answered were not sent after all (the
 * connection was lost): outbox_next() hands them out again, oldest first. */
void outbox_rewind(struct outbox *o);

/* Removes every message, counted in dropped. */
void outbox_clear(struct outbox *o);

#endif
