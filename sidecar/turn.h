/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* turn: the loop turn: named event priorities, and the one list of frees
 * deferred to the end of the turn. */
#ifndef SOCKETIOD_TURN_H
#define SOCKETIOD_TURN_H

#include <stddef.h>

#include <event2/event.h>

/* Event priorities (libevent runs the lowest number first, and a lower one
 * only when no higher one is active). */
enum turn_priority {
    TURN_FLUSH = 0, /* conn's coalesced writes, right after each callback */
    TURN_IO = 1,    /* sockets, timers, signals: libevent's default here */
    TURN_END = 2,   /* the end of the turn: polling flushes, deferred frees */
    TURN_NPRIORITIES = 3
};

/* Something to free at the end of the turn, embedded in the object (so a
 * close never allocates). `free` gets the node back; TURN_OF finds the
 * object around it. */
struct turn_node {
    struct turn_node *next;
    void (*free)(struct turn_node *n);
};

#define TURN_OF(node, type, member)                                            \
    ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* Sets `base` up with TURN_NPRIORITIES priorities; call it right after
 * event_base_new(), before any event is assigned. Returns 0 or -1. */
int turn_setup(struct event_base *base);

/* Frees `n` with `fn` at the end of this loop turn, after every callback
 * that might still hold the object has returned: a fan-out loop that closes
 * a receiver never touches freed memory. Each node at most once. Before
 * turn_setup() the node waits for turn_run(). */
void turn_defer(struct turn_node *n, void (*fn)(struct turn_node *n));

/* Runs the deferred frees now (what the end of the turn does; for shutdown
 * after the loop has stopped). Frees deferred meanwhile run too. */
void turn_run(void);

/* Number of nodes waiting (for tests). */
size_t turn_pending(void);

#endif
