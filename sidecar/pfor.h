/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* pfor: a parallel for over a few helper threads, for a fan-out's syscalls. */
#ifndef SOCKETIOD_PFOR_H
#define SOCKETIOD_PFOR_H

#include <stddef.h>

/* Allows `threads` helper threads (0: none; pfor_run then runs everything
 * on the caller), started by the first pfor_run with work for them: until
 * then the process keeps one thread. Returns 0, or -1 with errno. */
int pfor_setup(unsigned threads);

/* How many helper threads a large job is spread over (started or not
 * yet; fewer once some could not be started). */
unsigned pfor_threads(void);

/* Calls fn(arg, i) for every i in [0, n), on the caller and the helpers,
 * and returns when every call has returned. The calls must not touch
 * anything another call touches; whatever the caller wrote before is
 * visible to them, and whatever they wrote is visible after. Not
 * reentrant: one loop thread calls it. */
void pfor_run(size_t n, void (*fn)(void *arg, size_t i), void *arg);

/* Stops and joins the helpers. */
void pfor_shutdown(void);

#endif
