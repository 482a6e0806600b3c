/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* turn_test: the deferred frees run once the turn's callbacks are done, in
 * the order deferred, including frees deferred by frees. */
#include <event2/event.h>
#include <event2/event_struct.h>

#include "t.h"
#include "turn.h"

struct obj {
    int id;
    struct turn_node dead;
};

static struct event_base *base;
static int order[16], norder;
static struct obj objs[8];

static void obj_free(struct turn_node *n)
{
    struct obj *o = TURN_OF(n, struct obj, dead);

    order[norder++] = o->id;
}

/* Object 0's free defers object 7's: it runs in the same end of turn. */
static void obj_free_chain(struct turn_node *n)
{
    obj_free(n);
    turn_defer(&objs[7].dead, obj_free);
}

static int io_ran;

/* A callback at TURN_IO that ends objects: they outlive the callback. */
static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    turn_defer(&objs[0].dead, obj_free_chain);
    turn_defer(&objs[1].dead, obj_free);
    turn_defer(&objs[2].dead, obj_free);
    CHECK(norder == 0);
    io_ran++;
}

static void test_end_of_turn(void)
{
    struct event io;
    int i;

    for (i = 0; i < 8; i++)
        objs[i].id = i;
    norder = 0;
    event_assign(&io, base, -1, 0, io_cb, NULL);
    event_priority_set(&io, TURN_IO);
    event_active(&io, EV_TIMEOUT, 0);
    for (i = 0; i < 4; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK(io_ran == 1);
    CHECK(norder == 4);
    CHECK(order[0] == 0 && order[1] == 1 && order[2] == 2 && order[3] == 7);
    CHECK(turn_pending() == 0);
}

static void test_run_now(void)
{
    norder = 0;
    turn_defer(&objs[3].dead, obj_free);
    turn_defer(&objs[4].dead, obj_free);
    CHECK(turn_pending() == 2);
    turn_run();
    CHECK(norder == 2 && order[0] == 3 && order[1] == 4);
    CHECK(turn_pending() == 0);
    turn_run(); /* nothing left: a no-op */
    CHECK(norder == 2);
}

int main(void)
{
    base = event_base_new();
    CHECK(base != NULL && turn_setup(base) == 0);
    test_end_of_turn();
    test_run_now();
    event_base_free(base);
    return T_DONE();
}
