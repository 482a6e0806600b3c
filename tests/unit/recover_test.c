/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recover_test: unit tests of connection state recovery (sidecar/recover.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recover.h"
#include "t.h"

static void test_offset_parse(void)
{
    uint64_t e, s;

    CHECK(recover_offset_parse("1733250000000-42", 16, &e, &s) == 0);
    CHECK(e == 1733250000000ULL && s == 42);
    CHECK(recover_offset_parse("0-1", 3, &e, &s) == 0);
    CHECK(recover_offset_parse("18446744073709551615-1", 22, &e, &s) == 0);
    CHECK(e == UINT64_MAX);
    CHECK(recover_offset_parse("18446744073709551616-1", 22, &e, &s) == -1);
    CHECK(recover_offset_parse("", 0, &e, &s) == -1);
    CHECK(recover_offset_parse("-1", 2, &e, &s) == -1);
    CHECK(recover_offset_parse("1-", 2, &e, &s) == -1);
    CHECK(recover_offset_parse("1-2-3", 5, &e, &s) == -1);
    CHECK(recover_offset_parse("1-2x", 4, &e, &s) == -1);
    CHECK(recover_offset_parse("1 -2", 4, &e, &s) == -1);
    CHECK(recover_offset_parse("lz9abc", 6, &e, &s) == -1); /* yeast */
    CHECK(recover_offset_parse("1-2", 2, &e, &s) == -1);    /* cut short */
}

static void test_append_offset(void)
{
    char out[128];
    long n;

    n = recover_append_offset("[\"a\",1]", 7, 5, 9, out, sizeof out);
    CHECK_STR(out, n, "[\"a\",1,\"5-9\"]");
    n = recover_append_offset("[\"a\" ] \n", 8, 5, 10, out, sizeof out);
    CHECK_STR(out, n, "[\"a\",\"5-10\"]");
    n = recover_append_offset("[ ]", 3, 1, 1, out, sizeof out);
    CHECK_STR(out, n, "[\"1-1\"]");
    CHECK(recover_append_offset("{\"a\":1}", 7, 1, 1, out, sizeof out) == -1);
    CHECK(recover_append_offset("[1", 2, 1, 1, out, sizeof out) == -1);
    CHECK(recover_append_offset("[\"a\"]", 5, 1, 1, out, 8) == -1);
}

static void test_reasons(void)
{
    CHECK(recover_reason_ok("transport close"));
    CHECK(recover_reason_ok("transport error"));
    CHECK(recover_reason_ok("ping timeout"));
    CHECK(recover_reason_ok("server shutting down"));
    CHECK(!recover_reason_ok("client namespace disconnect"));
    CHECK(!recover_reason_ok("server namespace disconnect"));
    CHECK(!recover_reason_ok("parse error"));
}

/* What a replay sends, joined by '|'. */
static char replayed[4096];

static void collect(void *arg, const struct recover_packet *p)
{
    (void)arg;
    strncat(replayed, p->json, p->len);
    strcat(replayed, "|");
}

static const char *store(const char *nsp, const char *const *rooms,
                         size_t nrooms, const char *const *except,
                         size_t nexcept, int sids, const char *json,
                         uint64_t now)
{
    struct recover_audience a = {nsp, rooms, nrooms, except, nexcept, sids};
    size_t len;

    return recover_store(&a, json, strlen(json), NULL, 0, now, &len);
}

static void auth_of(char *buf, size_t cap, const char *sid, const char *off)
{
    char pid[RECOVER_PID_LEN + 1];

    recover_pid(sid, pid);
    snprintf(buf, cap, "{\"token\":1,\"pid\":\"%s\",\"offset\":\"%s\"}", pid,
             off);
}

static void test_session_roundtrip(void)
{
    struct recover_config cfg = {10000, 1 << 20, 100};
    static const char *const chans[] = {"room"};
    static const char *const to_room[] = {"room"};
    static const char *const to_other[] = {"other"};
    static const char *const to_sid[] = {"SID1"};
    static const char *const ex_sid[] = {"SID1"};
    struct recover_session *rs;
    char auth[200], off[64], pid1[32], pid2[32];
    const char *j;
    int refused;

    CHECK(recover_setup(&cfg, 1000, &(const char *){NULL}) == 0);
    recover_pid("SID1", pid1);
    recover_pid("SID2", pid2);
    CHECK(strlen(pid1) == RECOVER_PID_LEN && strcmp(pid1, pid2) != 0);
    j = store("/", NULL, 0, NULL, 0, 0, "[\"e\",0]", 1000);
    CHECK(j != NULL && strcmp(j, "[\"e\",0,\"1000-1\"]") == 0);
    snprintf(off, sizeof off, "1000-1");
    CHECK(recover_keep("SID1", "/", chans, 1, "{\"u\":1}", 7, 1100) == 0);
    CHECK(recover_stats.sessions == 1);
    CHECK(strcmp(recover_session_nsp("SID1"), "/") == 0);
    store("/", NULL, 0, NULL, 0, 0, "[\"all\"]", 1200);       /* yes */
    store("/", to_room, 1, NULL, 0, 0, "[\"room\"]", 1200);   /* yes */
    store("/", to_other, 1, NULL, 0, 0, "[\"other\"]", 1200); /* no */
    store("/", to_sid, 1, NULL, 0, 1, "[\"sid\"]", 1200);     /* yes */
    store("/", NULL, 0, ex_sid, 1, 0, "[\"except\"]", 1200);  /* no */
    store("/chat", NULL, 0, NULL, 0, 0, "[\"chat\"]", 1200);  /* no */
    store("/", to_room, 1, to_other, 1, 0, "[\"r2\"]", 1200); /* yes */
    /* wrong namespace: refused, and the session is still there */
    auth_of(auth, sizeof auth, "SID1", off);
    rs = recover_take(auth, strlen(auth), "/chat", 1300, &refused);
    CHECK(rs == NULL && refused == 1);
    /* no pid: not an attempt */
    rs = recover_take("{\"token\":1}", 11, "/", 1300, &refused);
    CHECK(rs == NULL && refused == 0);
    rs = recover_take(auth, strlen(auth), "/", 1300, &refused);
    CHECK(rs != NULL && refused == 0);
    CHECK(rs != NULL && strcmp(rs->sid, "SID1") == 0 && rs->nchannels == 1 &&
          rs->context_len == 7);
    /* taken: a second reconnect with the same pid is refused */
    CHECK(recover_take(auth, strlen(auth), "/", 1300, &refused) == NULL);
    CHECK(recover_taken("SID1") == rs);
    /* its client went away before the end: a retry recovers */
    recover_untake(rs);
    CHECK(recover_taken("SID1") == NULL && recover_stats.sessions == 1);
    rs = recover_take(auth, strlen(auth), "/", 1300, &refused);
    CHECK(rs != NULL && recover_taken("SID1") == rs);
    replayed[0] = '\0';
    CHECK(recover_replay(rs, collect, NULL) == 4);
    CHECK(strcmp(replayed, "[\"all\",\"1000-2\"]|[\"room\",\"1000-3\"]|"
                           "[\"sid\",\"1000-5\"]|[\"r2\",\"1000-8\"]|") == 0);
    recover_done(rs, 1);
    CHECK(recover_stats.recovered == 1 && recover_stats.sessions == 0);
    CHECK(recover_session_nsp("SID1") == NULL);
    recover_shutdown();
}

static void test_expiry_and_gap(void)
{
    struct recover_config cfg = {1000, 400, 2};
    struct recover_session *rs;
    char auth[200];
    int refused, i;
    char ev[64];

    memset(&recover_stats, 0, sizeof recover_stats);
    CHECK(recover_setup(&cfg, 7, &(const char *){NULL}) == 0);
    store("/", NULL, 0, NULL, 0, 0, "[\"a\"]", 0);
    CHECK(recover_keep("S1", "/", NULL, 0, NULL, 0, 100) == 0);
    /* expired at take time */
    auth_of(auth, sizeof auth, "S1", "7-1");
    CHECK(recover_take(auth, strlen(auth), "/", 1101, &refused) == NULL);
    CHECK(refused == 1 && recover_stats.expired == 1 &&
          recover_stats.sessions == 0);
    /* expired by the tick */
    CHECK(recover_keep("S2", "/", NULL, 0, NULL, 0, 100) == 0);
    recover_tick(1000);
    CHECK(recover_stats.sessions == 1 && recover_stats.packets == 1);
    recover_tick(1101);
    CHECK(recover_stats.sessions == 0 && recover_stats.expired == 2);
    CHECK(recover_stats.packets == 0);
    /* a gap: the byte cap dropped the client's offset */
    store("/", NULL, 0, NULL, 0, 0, "[\"b\"]", 2000); /* 7-2 */
    CHECK(recover_keep("S3", "/", NULL, 0, NULL, 0, 2000) == 0);
    for (i = 0; i < 10; i++) {
        snprintf(ev, sizeof ev, "[\"fill\",%d]", i);
        store("/", NULL, 0, NULL, 0, 0, ev, 2000);
    }
    CHECK(recover_stats.ring_drops > 0);
    CHECK(recover_stats.ring_bytes <= 400);
    auth_of(auth, sizeof auth, "S3", "7-2");
    CHECK(recover_take(auth, strlen(auth), "/", 2001, &refused) == NULL);
    CHECK(refused == 1);
    /* an offset of another epoch (a daemon that lost its stream) */
    CHECK(recover_keep("S4", "/", NULL, 0, NULL, 0, 2000) == 0);
    auth_of(auth, sizeof auth, "S4", "6-12");
    CHECK(recover_take(auth, strlen(auth), "/", 2001, &refused) == NULL);
    /* the newest offset recovers with nothing missed */
    auth_of(auth, sizeof auth, "S4", "7-12");
    rs = recover_take(auth, strlen(auth), "/", 2001, &refused);
    CHECK(rs != NULL);
    replayed[0] = '\0';
    CHECK(rs != NULL && recover_replay(rs, collect, NULL) == 0);
    if (rs != NULL)
        recover_done(rs, 1);
    /* the session cap drops the oldest */
    CHECK(recover_keep("S5", "/", NULL, 0, NULL, 0, 2000) == 0);
    CHECK(recover_keep("S6", "/", NULL, 0, NULL, 0, 2000) == 0);
    CHECK(recover_keep("S7", "/", NULL, 0, NULL, 0, 2000) == 0);
    CHECK(recover_stats.sessions == 2 && recover_stats.sessions_dropped >= 1);
    CHECK(recover_session_nsp("S7") != NULL);
    /* hostile auth */
    CHECK(recover_take("{\"pid\":1,\"offset\":\"7-1\"}", 25, "/", 2001,
                       &refused) == NULL &&
          refused == 0);
    CHECK(recover_take("{\"pid\":\"x\",\"offset\":\"7-1\"}", 27, "/", 2001,
                       &refused) == NULL &&
          refused == 1);
    CHECK(recover_take("not json", 8, "/", 2001, &refused) == NULL);
    recover_shutdown();
}

/* A session of another node's adopted here (recovered across the fleet)
 * keeps that node's pid for its socket, in a kept session and through the
 * state file's record, and a forged record is refused. */
static void test_adopted_and_foreign_pids(void)
{
    struct recover_config cfg = {60000, 1 << 20, 10};
    const char *foreign = "ForeignPidForeignPid", *chans[] = {"lobby"};
    char pid[32], rec[64], bad[64];
    struct recover_session *rs;
    int unknown;

    CHECK(recover_setup(&cfg, 5000, &(const char *){NULL}) == 0);
    store("/", NULL, 0, NULL, 0, 0, "[\"x\"]", 5000);
    CHECK(recover_adopt(foreign, "x", "SIDF", "/", chans, 1, NULL, 0, 5000) ==
          NULL);
    rs = recover_adopt(foreign, "9-1", "SIDF", "/", chans, 1, NULL, 0, 5000);
    CHECK(rs != NULL && recover_taken("SIDF") == rs);
    CHECK(recover_adopt(foreign, "9-1", "SIDF", "/", NULL, 0, NULL, 0, 5000) ==
          NULL);
    CHECK(recover_adopt_packet(rs, "[\"a\",\"9-1\"]", 11, NULL, 0) == 0);
    replayed[0] = '\0';
    CHECK(recover_replay(rs, collect, NULL) == 1);
    CHECK(strcmp(replayed, "[\"a\",\"9-1\"]|") == 0);
    CHECK(recover_adopt_since(rs, 0, 0, 7) == 1); /* "x" was to all */
    CHECK(recover_adopt_since(rs, 1, 1, 7) == 0); /* from after it */
    CHECK(recover_replay(rs, collect, NULL) == 2);
    recover_done(rs, 1);
    CHECK(recover_stats.remote_recovered == 1);
    recover_pid("SIDF", pid);
    CHECK(strcmp(pid, foreign) == 0);
    recover_pid_record("SIDF", pid, rec);
    CHECK(strlen(rec) == RECOVER_PID_RECORD_MAX && rec[20] == '.');
    recover_forget("SIDF");
    recover_pid("SIDF", pid);
    CHECK(strcmp(pid, foreign) != 0);
    recover_pid_record("SIDF", pid, bad);
    CHECK(strcmp(bad, pid) == 0); /* this node's own: as it is */
    /* through the state file's form */
    snprintf(bad, sizeof bad, "%s", rec);
    bad[30] = bad[30] == 'A' ? 'B' : 'A';
    CHECK(recover_load_session(bad, "SIDF", "/", NULL, 0, NULL, 0, 5000) != 0);
    CHECK(recover_load_session(rec, "SIDF", "/", NULL, 0, NULL, 0, 5000) == 0);
    rs = recover_take_pid(foreign, "5000-1", "/", 5001, &unknown);
    CHECK(rs != NULL && !unknown && strcmp(rs->sid, "SIDF") == 0);
    recover_untake(rs);
    CHECK(recover_take_pid("NobodysPidNobodysPid", "5000-1", "/", 5001,
                           &unknown) == NULL &&
          unknown);
    /* an adopted session whose client left is kept: the same offset
     * recovers it with its list and what the ring got since */
    rs = recover_adopt("GggggggggggggggggggG", "9-3", "SIDG", "/", chans, 1,
                       NULL, 0, 5000);
    CHECK(rs != NULL &&
          recover_adopt_packet(rs, "[\"g\",\"9-4\"]", 11, NULL, 0) == 0);
    CHECK(recover_adopt_since(rs, recover_seq_now(), recover_seq_now(), 0) ==
          0);
    recover_untake(rs);
    CHECK(recover_stats.remote_kept == 1 && recover_taken("SIDG") == NULL);
    store("/", chans, 1, NULL, 0, 0, "[\"later\"]", 5002);
    CHECK(recover_take_pid("GggggggggggggggggggG", "9-2", "/", 5003,
                           &unknown) == NULL &&
          !unknown);
    rs = recover_take_pid("GggggggggggggggggggG", "9-3", "/", 5003, &unknown);
    CHECK(rs != NULL && strcmp(rs->sid, "SIDG") == 0);
    replayed[0] = '\0';
    CHECK(rs != NULL && recover_replay(rs, collect, NULL) == 2);
    CHECK(strncmp(replayed, "[\"g\",\"9-4\"]|[\"later\",", 21) == 0);
    if (rs != NULL)
        recover_done(rs, 1);
    recover_shutdown();
}

int main(void)
{
    test_offset_parse();
    test_append_offset();
    test_reasons();
    test_session_roundtrip();
    test_expiry_and_gap();
    test_adopted_and_foreign_pids();
    return T_DONE();
}
