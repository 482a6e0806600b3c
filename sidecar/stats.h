/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* stats: the one table of the daemon's counters and gauges, read by the
 * stats RPC and rendered for Prometheus at /metrics. */
#ifndef SOCKETIOD_STATS_H
#define SOCKETIOD_STATS_H

#include "buf.h"
#include "rpc.h"

/* Notes the start time and hands the table to the stats RPC. */
void stats_setup(void);

/* Calls fn(arg, name, value) for every row, in the stats RPC's order. */
void stats_each(void (*fn)(void *arg, const char *name, double v), void *arg);

/* The same for one object of the stats RPC: the top level, or "redis" and
 * "cluster" of --redis. */
void stats_each_group(enum rpc_stats_group group,
                      void (*fn)(void *arg, const char *name, double v),
                      void *arg);

/* Appends every row (with --redis also the "redis" and "cluster" ones,
 * as socketiod_redis_* and socketiod_cluster_*) and the histograms (upstream
 * and RPC latency, broadcast fan-out) in the Prometheus text format 0.0.4,
 * names prefixed `socketiod_`, counters ending in `_total`. Returns 0, or -1
 * when out of memory. */
int stats_metrics(struct buf *out);

#endif
