/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* outbox: the broadcasts kept while Redis is unreachable, oldest first,
 * within a bound of bytes; the oldest make room for the newest. A message
 * leaves it once Redis has answered its PUBLISH, so that a connection lost
 * during the replay loses nothing. */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

/* One allocation each: the channel (with its NUL) then the data. */
struct outbox_item {
    struct outbox_item *next;
    uint64_t seq;
    size_t clen, len;
    char bytes[];
};

static size_t outbox_cost(size_t clen, size_t len)
{
    return OUTBOX_OVERHEAD + clen + len;
}

void outbox_init(struct outbox *o, size_t max_bytes)
{
    memset(o, 0, sizeof *o);
    o->max_bytes = max_bytes;
}

/* Unlinks and frees the oldest message. */
static void outbox_remove(struct outbox *o)
{
    struct outbox_item *it = o->head;

    o->head = it->next;
    if (o->head == NULL)
        o->tail = NULL;
    if (o->unsent == it)
        o->unsent = it->next;
    o->count--;
    o->bytes -= outbox_cost(it->clen, it->len);
    free(it);
}

int outbox_put(struct outbox *o, const char *channel, size_t clen,
               const void *data, size_t len)
{
    struct outbox_item *it;

    if (o->max_bytes == 0)
        return -1;
    /* Checked by parts: a hostile len cannot wrap the sum. */
    if (clen > o->max_bytes || len > o->max_bytes ||
        outbox_cost(clen, len) > o->max_bytes ||
        (it = malloc(sizeof *it + clen + 1 + len)) == NULL)
        return -1;
    while (o->head != NULL &&
           o->bytes + outbox_cost(clen, len) > o->max_bytes) {
        outbox_remove(o);
        o->dropped++;
    }
    it->next = NULL;
    it->seq = ++o->seq;
    it->clen = clen;
    it->len = len;
    memcpy(it->bytes, channel, clen);
    it->bytes[clen] = '\0';
    if (len > 0)
        memcpy(it->bytes + clen + 1, data, len);
    if (o->tail != NULL)
        o->tail->next = it;
    else
        o->head = it;
    o->tail = it;
    if (o->unsent == NULL)
        o->unsent = it;
    o->count++;
    o->bytes += outbox_cost(clen, len);
    o->kept++;
    return 0;
}

int outbox_next(struct outbox *o, const char **channel, size_t *clen,
                const void **data, size_t *len, uint64_t *seq)
{
    struct outbox_item *it = o->unsent;

    if (it == NULL)
        return -1;
    o->unsent = it->next;
    *channel = it->bytes;
    *clen = it->clen;
    *data = it->bytes + it->clen + 1;
    *len = it->len;
    *seq = it->seq;
    return 0;
}

void outbox_done(struct outbox *o, uint64_t seq)
{
    /* Only handed-out ones: sequence numbers grow from head to tail, and
     * everything before `unsent` was handed out. */
    while (o->head != NULL && o->head != o->unsent && o->head->seq <= seq) {
        outbox_remove(o);
        o->replayed++;
    }
}

void outbox_rewind(struct outbox *o) { o->unsent = o->head; }

void outbox_clear(struct outbox *o)
{
    while (o->head != NULL) {
        outbox_remove(o);
        o->dropped++;
    }
}
