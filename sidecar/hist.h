/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* hist: fixed-bucket histograms, alone or in a family keyed by one label. */
#ifndef SOCKETIOD_HIST_H
#define SOCKETIOD_HIST_H

#include <stdint.h>

#define HIST_MAX_BOUNDS 16
/* Label values a family tells apart; later ones share HIST_OTHER's series,
 * so that a client inventing names cannot grow the metrics. */
#define HIST_MAX_LABELS 16
#define HIST_MAX_LABEL 64
#define HIST_OTHER "_other"

/* Cumulative use is the renderer's: counts[i] holds the observations in
 * (bounds[i-1], bounds[i]], counts[nbounds] those above the last bound. */
struct hist {
    uint64_t counts[HIST_MAX_BOUNDS + 1];
    uint64_t count;
    double sum;
};

struct hist_family {
    const double *bounds; /* ascending upper bounds, at most HIST_MAX_BOUNDS */
    unsigned nbounds;
    unsigned nlabels; /* label values in use, HIST_OTHER's not counted */
    char labels[HIST_MAX_LABELS][HIST_MAX_LABEL];
    struct hist h[HIST_MAX_LABELS + 1]; /* the last is HIST_OTHER's */
};

/* Adds `v` to the series of `label` (NUL-terminated), making one when fewer
 * than HIST_MAX_LABELS exist and the label is shorter than HIST_MAX_LABEL;
 * else to HIST_OTHER's. */
void hist_observe(struct hist_family *f, const char *label, double v);

/* The label of series `i` (0 .. nlabels, the last being HIST_OTHER). */
const char *hist_label(const struct hist_family *f, unsigned i);

/* Seconds since `t0` (CLOCK_MONOTONIC, from hist_now()). */
double hist_since(double t0);

/* CLOCK_MONOTONIC in seconds. */
double hist_now(void);

#endif
