/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* timerq: deadline lists sharing one fixed delay, one libevent timer each. */
#ifndef SOCKETIOD_TIMERQ_H
#define SOCKETIOD_TIMERQ_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdint.h>
#include <sys/queue.h>

/* Every node of a queue waits the same delay, so appending keeps the list
 * sorted by deadline: adding and removing are O(1) and thousands of idle
 * sessions cost one armed timer instead of one each. */
struct timerq_node {
    TAILQ_ENTRY(timerq_node) link;
    uint64_t due_ms;
    struct timerq *q; /* NULL while not queued */
};

typedef void (*timerq_cb)(struct timerq_node *node, void *arg);

struct timerq {
    TAILQ_HEAD(, timerq_node) nodes;
    struct event ev;
    uint32_t delay_ms;
    timerq_cb cb;
    void *arg;
};

/* Prepares an empty queue whose nodes expire `delay_ms` after being added;
 * `cb` runs for each expired node after it has been unlinked. */
void timerq_init(struct timerq *q, struct event_base *base, uint32_t delay_ms,
                 timerq_cb cb, void *arg);

/* Queues `node` (unlinking it from any queue first) to expire after the
 * queue's delay. */
void timerq_add(struct timerq *q, struct timerq_node *node);

/* Unlinks `node` if it is queued. */
void timerq_remove(struct timerq_node *node);

/* Stops the timer; nodes stay linked (callers free their owners). */
void timerq_deinit(struct timerq *q);

/* Milliseconds of CLOCK_MONOTONIC (libevent's cached time where it has one). */
uint64_t timerq_now_ms(struct event_base *base);

#endif
