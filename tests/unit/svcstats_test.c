/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* svcstats_test: hostile messages on the stats channel dropped and
 * counted, this worker's own ignored, late answers counted, and a call
 * made while Redis is down answered on the next turn with this worker
 * alone, every other worker missing. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "svcstats.h"
#include "t.h"

static int local_text(struct buf *out)
{
    return buf_puts(out, "{\"uptime\":5,\"worker\":1,\"sessions\":2,"
                         "\"route\":\"w1\",\"redis\":{\"connected\":true}}");
}

static cJSON *got;
static int calls;

static void done(void *arg, const char *json, size_t len)
{
    (void)arg;
    calls++;
    got = cJSON_ParseWithLength(json, len);
}

static void send_msg(const char *s) { svcstats_message(s, strlen(s)); }

static void check_dropped(void)
{
    static const char *junk[] = {
        "not json",
        "[]",
        "{\"svc\":\"SVC\"}",
        "{\"svc\":\"OTHER\",\"rid\":\"r1\",\"w\":2}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":4}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2.5}",
        "{\"svc\":\"SVC\",\"rid\":\"\",\"w\":2}",
        "{\"svc\":\"SVC\",\"rid\":\"r\\\"1\",\"w\":2}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"stats\":{}}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":\"1\",\"stats\":{}}",
        /* answers to this worker with bad stats */
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":1,\"pid\":9,"
        "\"stats\":{\"worker\":2,\"sessions\":1e300}}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":1,\"pid\":9,"
        "\"stats\":{\"worker\":2,\"a\":{\"b\":{\"c\":1}}}}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":1,\"pid\":9,"
        "\"stats\":{\"worker\":3}}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":1,\"pid\":0,"
        "\"stats\":{\"worker\":2}}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":1,\"pid\":9,"
        "\"stats\":[1]}",
        "{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":1,\"pid\":9,"
        "\"stats\":{\"worker\":2,\"x\":[1]}}",
    };
    size_t i;
    char *big;

    for (i = 0; i < sizeof junk / sizeof junk[0]; i++)
        send_msg(junk[i]);
    CHECK(svcstats_stats.malformed == sizeof junk / sizeof junk[0]);
    /* cJSON takes it, JSON.parse does not: dropped too */
    send_msg("{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":02}");
    CHECK(svcstats_stats.malformed == sizeof junk / sizeof junk[0] + 1);
    big = malloc(SVCSTATS_MAX_MESSAGE + 2);
    memset(big, ' ', SVCSTATS_MAX_MESSAGE + 1);
    big[0] = '{';
    big[SVCSTATS_MAX_MESSAGE] = '}';
    big[SVCSTATS_MAX_MESSAGE + 1] = '\0';
    send_msg(big);
    free(big);
    CHECK(svcstats_stats.malformed == sizeof junk / sizeof junk[0] + 2);
    /* this worker's own question and answer come back: not counted */
    send_msg("{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":1}");
    send_msg("{\"svc\":\"OTHER\",\"rid\":\"r1\",\"w\":1,\"to\":2}");
    CHECK(svcstats_stats.malformed == sizeof junk / sizeof junk[0] + 2);
    /* another worker's answer to a third: not ours, not counted */
    send_msg("{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":3,\"pid\":9,"
             "\"stats\":{\"worker\":2}}");
    CHECK(svcstats_stats.unknown == 0);
    /* a good answer to no question of ours: late */
    send_msg("{\"svc\":\"SVC\",\"rid\":\"r1\",\"w\":2,\"to\":1,\"pid\":9,"
             "\"stats\":{\"worker\":2,\"sessions\":3,\"redis\":{\"x\":1}}}");
    CHECK(svcstats_stats.unknown == 1);
    CHECK(svcstats_stats.answers == 0);
}

static void check_alone(struct event_base *base)
{
    const cJSON *ws, *miss;

    /* Redis is down: nobody asked, answered on the next turn */
    CHECK(svcstats_ask(done, NULL) == 0);
    CHECK(calls == 0);
    CHECK(svcstats_stats.refused == 1 && svcstats_stats.requests == 0);
    CHECK(svcstats_stats.pending == 0);
    event_base_loop(base, EVLOOP_ONCE);
    CHECK(calls == 1 && got != NULL);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(got, "incomplete")));
    miss = cJSON_GetObjectItem(got, "missing");
    CHECK(cJSON_GetArraySize(miss) == 2 &&
          cJSON_GetArrayItem(miss, 0)->valueint == 2 &&
          cJSON_GetArrayItem(miss, 1)->valueint == 3);
    CHECK(cJSON_GetObjectItem(got, "sessions")->valueint == 2);
    CHECK(cJSON_GetObjectItem(got, "pid") == NULL);
    ws = cJSON_GetObjectItem(got, "workers");
    CHECK(cJSON_GetArraySize(ws) == 1);
    CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(ws, 0), "worker")->valueint ==
          1);
    CHECK(
        cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetArrayItem(ws, 0), "pid")));
    cJSON_Delete(got);
    got = NULL;
    /* shutdown answers what is pending */
    CHECK(svcstats_ask(done, NULL) == 0);
    svcstats_shutdown();
    CHECK(calls == 2 && got != NULL);
    cJSON_Delete(got);
    CHECK(!svcstats_enabled() && svcstats_channel() == NULL);
}

int main(void)
{
    struct event_base *base = event_base_new();

    CHECK(svcstats_ask(done, NULL) == -1); /* not set up */
    CHECK(svcstats_setup(base, "k", "SVC", 1, 3, 50, local_text) == 0);
    CHECK(svcstats_enabled());
    CHECK(strcmp(svcstats_channel(), "k-stats#SVC#") == 0);
    check_dropped();
    check_alone(base);
    event_base_free(base);
    return T_DONE();
}
