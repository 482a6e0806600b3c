/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* stats_test: the table's rows in the stats RPC's form and in the
 * Prometheus text format, histograms cumulative, label values escaped. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "engine.h"
#include "hub.h"
#include "stats.h"
#include "t.h"

static int rows, seen_accepted, seen_bad;

static void row(void *arg, const char *name, double v)
{
    (void)arg;
    rows++;
    if (strcmp(name, "connections_accepted") == 0)
        seen_accepted = v == 5;
    if (strcmp(name, "bad_requests") == 0)
        seen_bad = v == 3; /* conn's and engine's, summed */
}

static int has(const struct buf *b, const char *s)
{
    return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

int main(void)
{
    struct buf b = BUF_INIT;

    conn_stats.accepted = 5;
    conn_stats.bad_requests = 2;
    engine_stats.bad_requests = 1;
    conn_stats.open = 7;
    stats_each(row, NULL);
    CHECK(rows > 60 && seen_accepted && seen_bad);

    hist_observe(&hub_fanout, "/", 3);
    hist_observe(&hub_fanout, "/", 30);
    hist_observe(&hub_fanout, "/a\"b\\c\nd", 0);
    CHECK(buf_reserve(&b, 1) == 0);
    CHECK(stats_metrics(&b) == 0);
    CHECK(has(&b, "# HELP socketiod_connections_accepted_total "));
    CHECK(has(&b, "# TYPE socketiod_connections_accepted_total counter\n"
                  "socketiod_connections_accepted_total 5\n"));
    CHECK(has(&b, "# TYPE socketiod_connections gauge\n"
                  "socketiod_connections 7\n"));
    CHECK(has(&b, "socketiod_bad_requests_total 3\n"));
    CHECK(has(&b, "# TYPE socketiod_uptime_seconds gauge\n"));
    CHECK(has(&b, "# TYPE socketiod_broadcast_fanout histogram\n"));
    /* Cumulative buckets: 3 and 30 are in le=100 both, 3 alone in le=10. */
    CHECK(has(&b, "socketiod_broadcast_fanout_bucket{namespace=\"/\","
                  "le=\"1\"} 0\n"));
    CHECK(has(&b, "socketiod_broadcast_fanout_bucket{namespace=\"/\","
                  "le=\"10\"} 1\n"));
    CHECK(has(&b, "socketiod_broadcast_fanout_bucket{namespace=\"/\","
                  "le=\"100\"} 2\n"));
    CHECK(has(&b, "socketiod_broadcast_fanout_bucket{namespace=\"/\","
                  "le=\"+Inf\"} 2\n"));
    CHECK(has(&b, "socketiod_broadcast_fanout_sum{namespace=\"/\"} 33\n"));
    CHECK(has(&b, "socketiod_broadcast_fanout_count{namespace=\"/\"} 2\n"));
    /* A client's namespace name cannot break the line. */
    CHECK(has(&b, "socketiod_broadcast_fanout_count{namespace="
                  "\"/a\\\"b\\\\c\\nd\"} 1\n"));
    /* Every line is a comment or a sample, none empty. */
    CHECK(!has(&b, "\n\n") && b.data[b.len - 1] == '\n');
    buf_free(&b);
    return T_DONE();
}
