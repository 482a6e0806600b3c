/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* turn: the loop turn: named event priorities, and the one list of frees
 * deferred to the end of the turn. */
#include "turn.h"

#include <event2/event_struct.h>

/* First in, first freed: a FIFO keeps the order in which objects died. */
static struct turn_node *turn_head, **turn_tail = &turn_head;
static size_t turn_n;
static struct event turn_ev;
static int turn_ready;

static void turn_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    turn_run();
}

int turn_setup(struct event_base *base)
{
    if (event_base_priority_init(base, TURN_NPRIORITIES) != 0)
        return -1;
    event_assign(&turn_ev, base, -1, 0, turn_end, NULL);
    event_priority_set(&turn_ev, TURN_END);
    turn_ready = 1;
    return 0;
}

void turn_defer(struct turn_node *n, void (*fn)(struct turn_node *n))
{
    n->next = NULL;
    n->free = fn;
    *turn_tail = n;
    turn_tail = &n->next;
    turn_n++;
    if (turn_ready)
        event_active(&turn_ev, EV_TIMEOUT, 0);
}

void turn_run(void)
{
    struct turn_node *n;

    /* A free may defer another (a session's sockets): taken one by one. */
    while ((n = turn_head) != NULL) {
        turn_head = n->next;
        if (turn_head == NULL)
            turn_tail = &turn_head;
        turn_n--;
        n->free(n);
    }
}

size_t turn_pending(void) { return turn_n; }
