/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* hist: fixed-bucket histograms, alone or in a family keyed by one label. */
#include "hist.h"

#include <string.h>
#include <time.h>

void hist_observe(struct hist_family *f, const char *label, double v)
{
    struct hist *h = &f->h[HIST_MAX_LABELS];
    size_t len = strlen(label);
    unsigned i, b;

    for (i = 0; i < f->nlabels; i++)
        if (strcmp(f->labels[i], label) == 0)
            break;
    if (i == f->nlabels && i < HIST_MAX_LABELS && len < HIST_MAX_LABEL) {
        memcpy(f->labels[i], label, len + 1);
        f->nlabels++;
    }
    if (i < f->nlabels)
        h = &f->h[i];
    for (b = 0; b < f->nbounds && v > f->bounds[b]; b++)
        ;
    h->counts[b]++;
    h->count++;
    h->sum += v;
}

const char *hist_label(const struct hist_family *f, unsigned i)
{
    return i < f->nlabels ? f->labels[i] : HIST_OTHER;
}

double hist_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double hist_since(double t0) { return hist_now() - t0; }
