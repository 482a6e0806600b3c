/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* pfor: a parallel for over a few helper threads, for a fan-out's syscalls. */
#include "pfor.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Work is handed out in chunks from one shared cursor, so a thread that
 * gets slow sockets (or less CPU) simply takes fewer chunks. 32 calls
 * (~0.2 ms of loopback writes) keep the cursor's cache line quiet. */
#define PFOR_CHUNK 32

static pthread_t *pfor_tids;
static unsigned pfor_want; /* asked for; started by the first large job */
static unsigned pfor_n;    /* running */

static pthread_mutex_t pfor_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pfor_go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pfor_done = PTHREAD_COND_INITIALIZER;
static unsigned long pfor_gen; /* bumped per job, under pfor_mu */
static unsigned pfor_pending;  /* helpers not yet through this job */
static int pfor_stop;

static void (*pfor_fn)(void *, size_t);
static void *pfor_arg;
static size_t pfor_len;
static atomic_size_t pfor_next;

static void pfor_work(void)
{
    size_t i, end;

    for (;;) {
        i = atomic_fetch_add_explicit(&pfor_next, PFOR_CHUNK,
                                      memory_order_relaxed);
        if (i >= pfor_len)
            return;
        end = i + PFOR_CHUNK < pfor_len ? i + PFOR_CHUNK : pfor_len;
        for (; i < end; i++)
            pfor_fn(pfor_arg, i);
    }
}

static void *pfor_main(void *unused)
{
    unsigned long seen = 0;

    (void)unused;
    pthread_mutex_lock(&pfor_mu);
    for (;;) {
        while (pfor_gen == seen && !pfor_stop)
            pthread_cond_wait(&pfor_go, &pfor_mu);
        if (pfor_stop)
            break;
        seen = pfor_gen;
        pthread_mutex_unlock(&pfor_mu);
        pfor_work();
        pthread_mutex_lock(&pfor_mu);
        if (--pfor_pending == 0)
            pthread_cond_signal(&pfor_done);
    }
    pthread_mutex_unlock(&pfor_mu);
    return NULL;
}

int pfor_setup(unsigned threads)
{
    if (threads == 0)
        return 0;
    pfor_tids = calloc(threads, sizeof *pfor_tids);
    if (pfor_tids == NULL)
        return -1;
    pfor_want = threads;
    return 0;
}

/* Starts the helpers. Not before a job needs them: while the process has
 * one thread, the kernel looks its file descriptors up without taking a
 * reference (fdget's fast path), which a loopback write's cost shows
 * (about 3 % of a small fan-out's CPU); most daemons never fan out wide
 * enough to spread. A helper that cannot be started leaves the work to
 * the others, and to the caller. */
static void pfor_start(void)
{
    sigset_t all, old;

    /* Signals belong to the loop thread (libevent's signal events). */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (pfor_n < pfor_want &&
           pthread_create(&pfor_tids[pfor_n], NULL, pfor_main, NULL) == 0)
        pfor_n++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pfor_want = pfor_n;
}

unsigned pfor_threads(void) { return pfor_want; }

void pfor_run(size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
    size_t i;

    if (pfor_n < pfor_want && n > PFOR_CHUNK)
        pfor_start();
    if (pfor_n == 0 || n <= PFOR_CHUNK) {
        for (i = 0; i < n; i++)
            fn(arg, i);
        return;
    }
    pthread_mutex_lock(&pfor_mu);
    pfor_fn = fn;
    pfor_arg = arg;
    pfor_len = n;
    atomic_store_explicit(&pfor_next, 0, memory_order_relaxed);
    pfor_pending = pfor_n;
    pfor_gen++;
    pthread_cond_broadcast(&pfor_go);
    pthread_mutex_unlock(&pfor_mu);
    pfor_work();
    /* Every helper checks in, even one that woke after the work ran out:
     * only then may the next job reuse the cursor. */
    pthread_mutex_lock(&pfor_mu);
    while (pfor_pending > 0)
        pthread_cond_wait(&pfor_done, &pfor_mu);
    pthread_mutex_unlock(&pfor_mu);
}

void pfor_shutdown(void)
{
    unsigned i;

    pthread_mutex_lock(&pfor_mu);
    pfor_stop = 1;
    pthread_cond_broadcast(&pfor_go);
    pthread_mutex_unlock(&pfor_mu);
    for (i = 0; i < pfor_n; i++)
        pthread_join(pfor_tids[i], NULL);
    free(pfor_tids);
    pfor_tids = NULL;
    pfor_n = pfor_want = 0;
    pfor_stop = 0;
}
