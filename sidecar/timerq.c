/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* timerq: deadline lists sharing one fixed delay, one libevent timer each. */
#include "timerq.h"

#include <time.h>

uint64_t timerq_now_ms(struct event_base *base)
{
    struct timespec ts;

    (void)base;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void timerq_arm(struct timerq *q)
{
    struct timerq_node *head = TAILQ_FIRST(&q->nodes);
    struct event_base *base = event_get_base(&q->ev);
    uint64_t now, wait;
    struct timeval tv;

    if (head == NULL) {
        event_del(&q->ev);
        return;
    }
    now = timerq_now_ms(base);
    wait = head->due_ms > now ? head->due_ms - now : 0;
    tv.tv_sec = (time_t)(wait / 1000);
    tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
    event_add(&q->ev, &tv);
}

static void timerq_fire(evutil_socket_t fd, short what, void *arg)
{
    struct timerq *q = arg;
    struct timerq_node *node;
    uint64_t now = timerq_now_ms(event_get_base(&q->ev));

    (void)fd;
    (void)what;
    while ((node = TAILQ_FIRST(&q->nodes)) != NULL && node->due_ms <= now) {
        TAILQ_REMOVE(&q->nodes, node, link);
        node->q = NULL;
        q->cb(node, q->arg);
    }
    timerq_arm(q);
}

void timerq_init(struct timerq *q, struct event_base *base, uint32_t delay_ms,
                 timerq_cb cb, void *arg)
{
    TAILQ_INIT(&q->nodes);
    q->delay_ms = delay_ms;
    q->cb = cb;
    q->arg = arg;
    event_assign(&q->ev, base, -1, 0, timerq_fire, q);
}

void timerq_remove(struct timerq_node *node)
{
    struct timerq *q = node->q;

    if (q == NULL)
        return;
    TAILQ_REMOVE(&q->nodes, node, link);
    node->q = NULL;
    /* The timer stays armed for a node that left: firing early is harmless
     * and re-arming on every removal would cost an epoll change each. */
}

void timerq_add(struct timerq *q, struct timerq_node *node)
{
    int was_empty;

    timerq_remove(node);
    was_empty = TAILQ_EMPTY(&q->nodes);
    node->due_ms = timerq_now_ms(event_get_base(&q->ev)) + q->delay_ms;
    node->q = q;
    TAILQ_INSERT_TAIL(&q->nodes, node, link);
    if (was_empty || !event_pending(&q->ev, EV_TIMEOUT, NULL))
        timerq_arm(q);
}

void timerq_deinit(struct timerq *q) { event_del(&q->ev); }
