/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* outbox: the broadcasts kept while Redis is unreachable, oldest first,
 * within a bound of bytes; the oldest make room for the newest. */
#ifndef SOCKETIOD_OUTBOX_H
#define SOCKETIOD_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct outbox_item;

/* Zeroed, then outbox_init(). Every field is read-only outside. */
struct outbox {
    size_t max_bytes; /* 0: keeps nothing */
    struct outbox_item *head, *tail;
    size_t count;      /* messages kept now */
    size_t bytes;      /* their channels, data and bookkeeping */
    uint64_t kept;     /* messages ever kept */
    uint64_t replayed; /* taken out by outbox_shift(): sent */
    uint64_t dropped;  /* kept, then lost: pushed out by newer ones, or
                          cleared (kept = replayed + dropped + count) */
};

/* What one message costs against max_bytes besides its channel and data
 * (the bookkeeping, so that tiny messages are bounded too). */
#define OUTBOX_OVERHEAD 48

void outbox_init(struct outbox *o, size_t max_bytes);

/* Keeps a copy of (channel, data) after every message kept before it,
 * dropping the oldest ones (counted) until it fits. Returns 0 when kept,
 * -1 when not (max_bytes 0, the message alone over it, out of memory:
 * nothing is counted or dropped then; the caller counts it). */
int outbox_put(struct outbox *o, const char *channel, size_t clen,
               const void *data, size_t len);

/* The oldest message, valid until the next call that changes `o`; -1 when
 * empty. The channel is NUL-terminated. */
int outbox_peek(const struct outbox *o, const char **channel, size_t *clen,
                const void **data, size_t *len);

/* Removes the oldest message once it has been sent (counted in replayed). */
void outbox_shift(struct outbox *o);

/* Removes every message, counted in dropped. */
void outbox_clear(struct outbox *o);

#endif
