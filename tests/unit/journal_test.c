/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* journal_test: owed disconnects kept, bounded, handed back late in order
 * at the rate, and kept in SQLite across a restart (its rows untrusted). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "journal.h"
#include "t.h"

static struct event_base *t_base;
static char t_got[16][512]; /* the late bodies handed over, in order */
static int t_ngot;
static enum journal_outcome t_answer = JOURNAL_DELIVERED;
static int t_stop_after; /* break the loop after this many */
static int t_others_up;  /* the app answers other requests meanwhile */

static void t_settle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (t_others_up)
        journal_app_up();
    journal_settle(t_answer);
    if (t_ngot >= t_stop_after)
        event_base_loopbreak(t_base);
}

static int t_deliver(void *arg, const struct journal_event *ev)
{
    struct timeval now = {0, 0};

    (void)arg;
    if (t_ngot < 16)
        snprintf(t_got[t_ngot], sizeof t_got[0], "%s|%.*s%.*s}|%s", ev->sid,
                 (int)ev->head_len, ev->head, (int)ev->ctx_len,
                 ev->ctx ? ev->ctx : "null", ev->cookie ? ev->cookie : "-");
    t_ngot++;
    event_base_once(t_base, -1, EV_TIMEOUT, t_settle, NULL, &now);
    return 0;
}

static void t_put(const char *sid, const char *ctx)
{
    char doc[256];
    int n = snprintf(doc, sizeof doc,
                     "{\"type\":\"disconnect\",\"sid\":\"%s\",\"eio_sid\":"
                     "\"e\",\"namespace\":\"/\",\"transport\":\"polling\","
                     "\"protocol\":4,\"time\":1.5,\"handshake\":{},"
                     "\"reason\":\"transport close\",\"context\":",
                     sid);
    size_t off = (size_t)n;

    n += snprintf(doc + n, sizeof doc - (size_t)n, "%s}", ctx);
    CHECK(journal_put(sid, doc, (size_t)n, off, "a=1", "127.0.0.1", "h:1") ==
          0);
}

static const char t_small[] =
    "{\"type\":\"disconnect\",\"sid\":\"x\",\"time\":1,\"context\":null}";

static void t_run(int n, int limit_ms)
{
    struct timeval tv = {limit_ms / 1000, (limit_ms % 1000) * 1000};

    t_stop_after = n;
    event_base_loopexit(t_base, &tv);
    event_base_dispatch(t_base);
}

static double t_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void t_reset(void)
{
    journal_shutdown();
    memset(&journal_stats, 0, sizeof journal_stats);
    memset(t_got, 0, sizeof t_got);
    t_ngot = 0;
    t_answer = JOURNAL_DELIVERED;
    t_others_up = 0;
}

/* Down, then back: in order, late, at the rate; the probe while down. */
static void test_order_rate_probe(void)
{
    struct journal_config cfg = {100, 1 << 20, 20, 100, NULL};
    const char *cause;
    double t0;

    CHECK(journal_setup(t_base, &cfg, t_deliver, NULL, &cause) == 0);
    t_put("s1", "{\"v\":1}");
    t_put("s2", "null");
    t_put("s3", "[1]");
    CHECK(journal_stats.journaled == 3 && journal_stats.pending == 3);
    /* Down: the first is tried after the probe interval, and fails. */
    t_answer = JOURNAL_DOWN;
    t0 = t_now();
    t_run(1, 2000);
    CHECK(t_ngot == 1 && t_now() - t0 >= 0.09);
    CHECK(journal_stats.pending == 3 && journal_stats.delivered == 0);
    /* The app answers: all three, in order, no faster than 20 a second. */
    t_answer = JOURNAL_DELIVERED;
    t_ngot = 0;
    t0 = t_now();
    journal_app_up();
    t_run(3, 5000);
    CHECK(t_ngot == 3);
    CHECK(t_now() - t0 >= 0.09); /* three starts, 50 ms apart */
    CHECK(strcmp(t_got[0], "s1|{\"type\":\"disconnect\",\"sid\":\"s1\","
                           "\"eio_sid\":\"e\",\"namespace\":\"/\","
                           "\"transport\":\"polling\",\"protocol\":4,"
                           "\"time\":1.5,\"handshake\":{},\"reason\":"
                           "\"transport close\",\"late\":true,\"context\":"
                           "{\"v\":1}}|a=1") == 0);
    CHECK(strstr(t_got[1], "s2|") == t_got[1] &&
          strstr(t_got[1], "\"late\":true,\"context\":null}") != NULL);
    CHECK(strstr(t_got[2], "s3|") == t_got[2]);
    CHECK(journal_stats.delivered == 3 && journal_stats.pending == 0 &&
          journal_stats.pending_bytes == 0);
    t_reset();
}

/* Past the count or the bytes a new one is dropped and counted; a refusal
 * forgets the event. */
static void test_bounds(void)
{
    struct journal_config cfg = {2, 1 << 20, 1000, 100, NULL};
    const char *cause;

    CHECK(journal_setup(t_base, &cfg, t_deliver, NULL, &cause) == 0);
    t_put("a", "null");
    t_put("b", "null");
    CHECK(journal_put("c", "{\"context\":null}", 16, 11, NULL, NULL, NULL) ==
          -1);
    CHECK(journal_stats.dropped == 1 && journal_stats.pending == 2);
    /* Not a body the daemon built: refused without counting. */
    CHECK(journal_put("d", "{\"x\":1}", 7, 5, NULL, NULL, NULL) == -1);
    CHECK(journal_stats.journaled == 2);
    t_answer = JOURNAL_REFUSED;
    journal_app_up();
    t_run(2, 3000);
    CHECK(journal_stats.refused == 2 && journal_stats.pending == 0);
    t_reset();

    cfg.max = 100;
    cfg.max_bytes = 1024;
    CHECK(journal_setup(t_base, &cfg, t_deliver, NULL, &cause) == 0);
    while (journal_stats.dropped == 0 && journal_stats.journaled < 100) {
        char sid[16];
        snprintf(sid, sizeof sid, "s%llu",
                 (unsigned long long)journal_stats.journaled);
        journal_put(sid, t_small, strlen(t_small), strlen(t_small) - 5, NULL,
                    NULL, NULL);
    }
    CHECK(journal_stats.dropped == 1 && journal_stats.pending_bytes <= 1024 &&
          journal_stats.pending_bytes > 1024 - 60);
    journal_stop(); /* nothing is handed over after a stop */
    journal_app_up();
    t_run(1, 200);
    CHECK(t_ngot == 0);
    t_reset();
}

/* A 5xx holds the event while the app is down (a proxy's 502), but one
 * the app keeps failing on while it answers others is dropped after
 * JOURNAL_MAX_FAILS, so it cannot hold the rest back forever. */
static void test_poison(void)
{
    struct journal_config cfg = {100, 1 << 20, 1000, 100, NULL};
    const char *cause;

    CHECK(journal_setup(t_base, &cfg, t_deliver, NULL, &cause) == 0);
    t_put("p1", "null");
    t_put("p2", "null");
    t_answer = JOURNAL_FAILED;
    t_run(JOURNAL_MAX_FAILS + 1, 5000);
    CHECK(t_ngot == JOURNAL_MAX_FAILS + 1);
    CHECK(journal_stats.pending == 2 && journal_stats.refused == 0);
    t_others_up = 1;
    t_ngot = 0;
    t_run(JOURNAL_MAX_FAILS, 5000);
    CHECK(journal_stats.pending == 1 && journal_stats.refused == 1);
    t_answer = JOURNAL_DELIVERED;
    t_ngot = 0;
    t_run(1, 5000);
    CHECK(strstr(t_got[0], "p2|") == t_got[0]);
    CHECK(journal_stats.pending == 0 && journal_stats.delivered == 1);
    t_reset();
}

static int t_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db) == SQLITE_OK &&
             sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return rc;
}

static int t_count(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;

    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM journal_events", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Kept at exit, taken back at start; malformed rows refused and counted;
 * the rows leave the file once delivered. */
/* A row the daemon would write for `sid`, with `more` members. */
#define T_ROW(sid, more)                                                       \
    "'{\"type\":\"disconnect\",\"sid\":\"" sid "\",\"eio_sid\":\"e\","         \
    "\"namespace\":\"/\",\"transport\":\"polling\",\"protocol\":4,"            \
    "\"time\":1,\"handshake\":{\"A\":\"b\"},\"reason\":\"r\"" more             \
    ",\"context\":null}'"
#define T_INSERT "INSERT INTO journal_events (doc) VALUES "

static const char *const t_bad_rows[] = {
    T_INSERT "('[1]')",
    T_INSERT "(replace(" T_ROW("x", "") ", 'disconnect', 'connect'))",
    T_INSERT "(" T_ROW("x", ",\"late\":true") ")",
    T_INSERT "(x'00ff')",
    T_INSERT "(replace(" T_ROW("x", "") ", 'r\"', 'r' || x'c8' || '\"'))",
    T_INSERT "(" T_ROW("01234567890123456789012345678901234567890123456789"
                       "012345678901234",
                       "") ")",
    T_INSERT "(" T_ROW("x", ",\"type\":\"connect\"") ")",
    T_INSERT "(replace(" T_ROW("x", "") ", '\"b\"', '7'))",
    T_INSERT "(replace(" T_ROW("x", "") ", '\"eio_sid\"', '\"eio\"'))",
    "INSERT INTO journal_events (doc, cookie) VALUES (" T_ROW(
        "y", "") ", 'a=1' || char(13) || char(10) || 'X: y')",
    "INSERT INTO journal_events (doc, host) VALUES (" T_ROW("y", "") ", 'a b')",
    T_INSERT "('{ \"type\" : \"disconnect\", \"sid\":\"k3\",\"namespace\":"
             "\"/x\",\"time\":2.25,\"context\":{ \"a\" : [ 1 ] },\"eio_sid\":"
             "\"e\",\"transport\":\"websocket\",\"protocol\":3,"
             "\"handshake\":{},\"reason\":\"r\"}')",
    /* the bad ones' model is good, with a worker's tagged sid */
    T_INSERT "(" T_ROW("k4-_abcdefghijkl.w1", "") ")",
};

static void test_state_file(void)
{
    char path[] = "/tmp/journal_test_XXXXXX";
    int fd = mkstemp(path);
    struct journal_config cfg = {100, 1 << 20, 1000, 100, path};
    const char *cause;
    size_t i;

    CHECK(fd >= 0);
    close(fd);
    CHECK(journal_setup(t_base, &cfg, t_deliver, NULL, &cause) == 0);
    t_put("k1", "{\"u\":\"ann\"}");
    t_put("k2", "null");
    journal_stop();
    t_reset(); /* the exit: written */
    CHECK(t_count(path) == 2);
    /* What another hand put there: not an object, not a disconnect, a
     * late one, not bytes of JSON, bad UTF-8, a sid too long, a second
     * "type", a handshake value that is not a string, a member missing, a
     * header-breaking cookie, a bad host; then two good rows. */
    for (i = 0; i < sizeof t_bad_rows / sizeof t_bad_rows[0]; i++)
        CHECK(t_exec(path, t_bad_rows[i]));
    CHECK(journal_setup(t_base, &cfg, t_deliver, NULL, &cause) == 0);
    CHECK(journal_stats.loaded == 4 && journal_stats.bad_rows == 11);
    CHECK(journal_stats.pending == 4);
    t_run(4, 3000);
    CHECK(t_ngot == 4);
    CHECK(strstr(t_got[3], "k4-_abcdefghijkl.w1|") == t_got[3]);
    CHECK(strstr(t_got[0], "k1|") == t_got[0] &&
          strstr(t_got[0], "\"late\":true,\"context\":{\"u\":\"ann\"}}|a=1"));
    CHECK(strstr(t_got[1], "k2|") == t_got[1]);
    /* Printed again by the daemon: its own compact JSON, context last. */
    CHECK(strcmp(
              t_got[2],
              "k3|{\"type\":\"disconnect\",\"sid\":\"k3\","
              "\"namespace\":\"/x\",\"time\":2.25,\"eio_sid\":\"e\","
              "\"transport\":\"websocket\",\"protocol\":3,\"handshake\":"
              "{},\"reason\":\"r\",\"late\":true,\"context\":{\"a\":[1]}}|-") ==
          0);
    CHECK(t_count(path) == 0); /* delivered: gone from the file too */
    t_reset();
    CHECK(t_count(path) == 0);
    unlink(path);
}

int main(void)
{
    t_base = event_base_new();
    test_order_rate_probe();
    test_bounds();
    test_poison();
    test_state_file();
    event_base_free(t_base);
    return T_DONE();
}
