/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* msglog_test: rows through the queue and the writer thread into SQLite. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "msglog.h"
#include "t.h"

static const char t_meta[] = "REMOTE_ADDR=10.0.0.7\0REMOTE_PORT=4242\0"
                             "HTTP_COOKIE=secret=1\0"
                             "HTTP_AUTHORIZATION=Basic eDp5\0";

/* Runs `sql` (one row, one text column) on the database at `path`. */
static char *t_query(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        out = strdup(sqlite3_column_text(st, 0)
                         ? (const char *)sqlite3_column_text(st, 0)
                         : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out ? out : strdup("(none)");
}

#define CHECK_QUERY(path, sql, want)                                           \
    do {                                                                       \
        char *got_ = t_query(path, sql);                                       \
        CHECK(strcmp(got_, want) == 0);                                        \
        if (strcmp(got_, want) != 0)                                           \
            fprintf(stderr, "  %s\n  got  %s\n  want %s\n", sql, got_, want);  \
        free(got_);                                                            \
    } while (0)

static int t_notices;

static void t_written(void *arg)
{
    (void)arg;
    t_notices++;
}

/* Marks number the queued rows; a notice comes on the loop once the writer
 * has written up to the wanted one, and the rows are then committed. */
static void t_marks(const char *path)
{
    struct msglog_config c;
    struct msglog_mark m0, m1, m2;
    struct event_base *base = event_base_new();
    struct timeval tick = {0, 5000};
    const char *cause = NULL;
    int i;

    memset(&c, 0, sizeof c);
    c.path = path;
    c.format = "%(MESSAGE)s";
    CHECK(msglog_setup(&c, &cause) == 0);
    CHECK(msglog_notify(base, t_written, NULL, &cause) == 0);
    msglog_mark(&m0);
    CHECK(m0.queued == 0); /* numbering restarts with a set-up */
    for (i = 0; i < 3; i++)
        msglog_out(MSGLOG_EMIT, 0, NULL, NULL, "/", NULL, NULL, NULL, 0, -1,
                   "[\"m\"]", 5, NULL, 0);
    msglog_mark(&m1);
    CHECK(m1.queued == 3 && m1.dropped == m0.dropped);
    if (msglog_want(m1.queued) == 0)
        for (i = 0; i < 400 && t_notices == 0; i++) {
            event_base_loopexit(base, &tick);
            event_base_dispatch(base);
        }
    CHECK(msglog_written() >= 3);
    CHECK(msglog_committed(m0.queued, m1.queued));
    CHECK(msglog_committed(2, 2)); /* an empty range */
    /* Already written: answered at once, no notice owed. */
    t_notices = 0;
    CHECK(msglog_want(m1.queued) == 1);
    msglog_mark(&m2);
    CHECK(m2.queued == m1.queued);
    msglog_shutdown();
    event_base_free(base);
}

int main(void)
{
    char dir[] = "/tmp/msglog-test-XXXXXX", path[256], cmd[300];
    struct msglog_config c;
    struct msglog_stats st;
    struct frame *att[2];
    const char *cause = NULL;
    int i, before;

    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof path, "%s/log.sqlite3", dir);

    /* off: nothing is opened, calls are no-ops */
    memset(&c, 0, sizeof c);
    c.path = path;
    c.format = "None";
    CHECK(msglog_setup(&c, &cause) == 0);
    CHECK(!msglog_enabled && msglog_path() == NULL);
    msglog_in(0, "s", t_meta, "/", -1, "[\"x\"]", 5, NULL, 0);
    msglog_shutdown();
    CHECK(access(path, F_OK) != 0);

    /* a directory that does not exist: a start-up error with a cause */
    c.format = "%(MESSAGE)s";
    c.path = "/nonexistent-dir/x/log.sqlite3";
    CHECK(msglog_setup(&c, &cause) == -1 && cause != NULL);
    CHECK(!msglog_enabled);

    /* on */
    c.path = path;
    /* credentials render empty unless asked for */
    c.format = "%(REMOTE_ADDR)s|%(DIRECTION)s|%(EVENT)s|%(HTTP_COOKIE)s"
               "%(HTTP_AUTHORIZATION)s|%(MESSAGE)s|%(TYPE)s";
    c.queue = 100;
    CHECK(msglog_setup(&c, &cause) == 0);
    CHECK(msglog_enabled && msglog_path() != NULL &&
          strstr(msglog_path(), "log.sqlite3") != NULL);
    msglog_in(0, "sidA", t_meta, "/chat", 3, "[\"hi \\\"you\\\"\",1]", 16, NULL,
              0);
    att[0] = frame_new("abc", 3);
    att[1] = frame_new("", 0);
    msglog_out(MSGLOG_EMIT, 0, NULL, NULL, "/", "room", NULL, "sidA", 5, -1,
               "[\"message\",{\"_placeholder\":true,\"num\":0}]", 41, att, 2);
    frame_unref(att[0]);
    frame_unref(att[1]);
    msglog_in(1, "sidA", t_meta, "/", 9, "[\"ok\"]", 6, NULL, 0);
    /* per-receiver announcements are ignored unless configured */
    msglog_receiver("sidB", NULL);
    msglog_out(MSGLOG_RELAY, 0, NULL, NULL, "/", NULL, NULL, "sidA", 1, -1,
               "[\"r\"]", 5, NULL, 0);
    msglog_shutdown(); /* flushes */
    CHECK_QUERY(path, "SELECT count(*) FROM messages", "4");
    CHECK_QUERY(path, "SELECT line FROM messages WHERE id = 1",
                "10.0.0.7|in|hi \"you\"||[\"hi \\\"you\\\"\",1]|hi \"you\"");
    CHECK_QUERY(path,
                "SELECT direction||kind||via||sid||namespace||ack_id||"
                "remote_addr FROM messages WHERE id = 1",
                "ineventclientsidA/chat310.0.0.7");
    CHECK_QUERY(path,
                "SELECT kind||via||channel||except_sid||recipients||"
                "attachments||ifnull(sid,'-')||ifnull(ack_id,'-') FROM "
                "messages WHERE id = 2",
                "messageemitroomsidA5[3,0]--");
    CHECK_QUERY(path,
                "SELECT kind||ifnull(event,'-')||ack_id||payload FROM "
                "messages WHERE id = 3",
                "ack-9[\"ok\"]");
    CHECK_QUERY(path, "SELECT via||(sid IS NULL) FROM messages WHERE id = 4",
                "relay1");
    CHECK_QUERY(path, "PRAGMA journal_mode", "wal");

    /* a restart appends; per receiver; cookies; retention by rows */
    c.per_receiver = 1;
    c.cookies = 1;
    c.max_rows = 3;
    CHECK(msglog_setup(&c, &cause) == 0); /* retention runs at start */
    CHECK_QUERY(path, "SELECT group_concat(id) FROM messages", "2,3,4");
    msglog_receiver("r1", t_meta);
    msglog_receiver("r2", NULL);
    msglog_out(MSGLOG_EMIT, 0, NULL, NULL, "/", NULL, NULL, NULL, 2, -1,
               "[\"b\"]", 5, NULL, 0);
    msglog_shutdown();
    CHECK_QUERY(path, "SELECT group_concat(sid) FROM messages WHERE id > 4",
                "r1,r2");
    CHECK_QUERY(path, "SELECT line FROM messages WHERE id = 5",
                "10.0.0.7|out|b|secret=1Basic eDp5|[\"b\"]|b");

    /* a full queue drops and counts; nothing is lost silently */
    c.per_receiver = 0;
    c.max_rows = 0;
    c.queue = 1;
    {
        char *n = t_query(path, "SELECT count(*) FROM messages");
        before = atoi(n);
        free(n);
    }
    CHECK(msglog_setup(&c, &cause) == 0);
    for (i = 0; i < 5000; i++)
        msglog_out(MSGLOG_EMIT, 0, NULL, NULL, "/", NULL, NULL, NULL, 0, -1,
                   "[\"f\"]", 5, NULL, 0);
    msglog_shutdown();
    msglog_get_stats(&st);
    CHECK(st.dropped > 0);
    CHECK(st.errors == 0);
    {
        char *n = t_query(path, "SELECT count(*) FROM messages");
        CHECK((uint64_t)(atoll(n) - before) == 5000 - st.dropped);
        free(n);
    }
    t_marks(path);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return T_DONE();
}
