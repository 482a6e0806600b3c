/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* stats: the one table of the daemon's counters and gauges, read by the
 * stats RPC and rendered for Prometheus at /metrics. */
#ifndef SOCKETIOD_STATS_H
#define SOCKETIOD_STATS_H

#include "buf.h"

/* Notes the start time and hands the table to the stats RPC. */
void stats_setup(void);

/* Calls fn(arg, name, value) for every row, in the stats RPC's order. */
void stats_each(void (*fn)(void *arg, const char *name, double v), void *arg);

/* The same for the rows of --redis (the stats RPC's "redis" object). */
void stats_each_redis(void (*fn)(void *arg, const char *name, double v),
                      void *arg);

/* Appends every row (the --redis ones as socketiod_redis_*, with
 * --redis) and the histograms (upstream and RPC latency,
 * broadcast fan-out) in the Prometheus text format 0.0.4, names prefixed
 * `socketiod_`, counters ending in `_total`. Returns 0, or -1 when out of
 * memory. */
int stats_metrics(struct buf *out);

#endif
