/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* pfor_test: every index runs exactly once, on the caller and the helpers,
 * over many back-to-back jobs, and what the calls wrote is seen after. */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "pfor.h"
#include "t.h"

struct job {
    unsigned char *hits; /* per index: how many calls it got */
    pthread_t *who;      /* per index: the thread that made the call */
};

static void t_mark(void *arg, size_t i)
{
    struct job *j = arg;

    j->hits[i]++;
    j->who[i] = pthread_self();
}

/* Runs one job of n and returns how many indices were called once; sets
 * *others to the number of calls made off the caller's thread. */
static size_t t_run(size_t n, size_t *others)
{
    struct job j;
    size_t i, once = 0;
    pthread_t me = pthread_self();

    j.hits = calloc(n ? n : 1, 1);
    j.who = calloc(n ? n : 1, sizeof *j.who);
    if (j.hits == NULL || j.who == NULL)
        abort();
    pfor_run(n, t_mark, &j);
    *others = 0;
    for (i = 0; i < n; i++) {
        once += j.hits[i] == 1;
        if (j.hits[i] && !pthread_equal(j.who[i], me))
            (*others)++;
    }
    free(j.hits);
    free(j.who);
    return once;
}

/* The threads of this process. */
static int t_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        abort();
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

int main(void)
{
    size_t others, total_others = 0;
    int k, all_once = 1;

    /* Without helpers, everything runs on the caller. */
    CHECK(pfor_threads() == 0);
    CHECK(t_run(1000, &others) == 1000 && others == 0);
    CHECK(t_run(0, &others) == 0);

    CHECK(pfor_setup(3) == 0);
    CHECK(pfor_threads() == 3);
    /* A job no bigger than one chunk is not worth waking anyone, nor
     * starting them: the process keeps its one thread. */
    CHECK(t_run(5, &others) == 5 && others == 0);
    CHECK(t_tasks() == 1);
    CHECK(t_run(1000, &others) == 1000);
    CHECK(t_tasks() == 4);
    /* Large jobs back to back: each index once, every time, and the
     * helpers take part (a sleeping helper could miss one job, not all). */
    for (k = 0; k < 2000; k++) {
        size_t n = 33 + (size_t)k * 37 % 20000;
        if (t_run(n, &others) != n)
            all_once = 0;
        total_others += others;
    }
    CHECK(all_once);
    /* With one CPU the caller may finish each job before a helper is ever
     * scheduled, which is correct; only with two or more must they help. */
    CHECK(total_others > 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2);
    pfor_shutdown();
    CHECK(pfor_threads() == 0);

    /* Started again after a shutdown. */
    CHECK(pfor_setup(1) == 0);
    CHECK(t_run(100000, &others) == 100000);
    pfor_shutdown();
    return T_DONE();
}
