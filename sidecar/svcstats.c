/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* svcstats: the stats RPC of a --workers service: the other workers of the
 * same service asked through Redis, their answers checked and summed. */
#include "svcstats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <cJSON.h>
#include <event2/event.h>

#include "jsonv.h"
#include "log.h"
#include "redis.h"
#include "route.h"

/* The messages, JSON on "<key>-stats#<service>#" (only this service's
 * workers subscribe to it; no Node socket.io node reads it):
 *   {"svc","rid","w"}                          worker w asks
 *   {"svc","rid","w","to","pid","stats":{...}}  worker w answers worker to
 * svc: the service id; rid: 1 to SVCSTATS_ID printable bytes. */
#define SVCSTATS_ID 32

struct svcstats_stats svcstats_stats;

struct svcstats_req {
    TAILQ_ENTRY(svcstats_req) link;
    char id[SVCSTATS_ID + 1];
    svcstats_done done;
    void *arg;
    struct event *timer;
    int asked;   /* published: counts in `pending` */
    int left;    /* answers still awaited */
    cJSON **got; /* by worker number: the checked stats objects */
};

static TAILQ_HEAD(, svcstats_req)
    svcstats_pending = TAILQ_HEAD_INITIALIZER(svcstats_pending);
static struct event_base *svcstats_base;
static char *svcstats_chan;
static const char *svcstats_service;
static int svcstats_self, svcstats_count;
static unsigned svcstats_timeout_ms;
static svcstats_local svcstats_local_fn;
static int svcstats_on;

int svcstats_setup(struct event_base *base, const char *key,
                   const char *service, int self, int count,
                   unsigned timeout_ms, svcstats_local local)
{
    struct buf ch = BUF_INIT;

    if (buf_printf(&ch, "%s-stats#%s#", key, service) != 0 ||
        (svcstats_chan = buf_dup(ch.data, ch.len)) == NULL ||
        redis_subscribe(svcstats_chan) != 0) {
        buf_free(&ch);
        free(svcstats_chan);
        svcstats_chan = NULL;
        return -1;
    }
    buf_free(&ch);
    svcstats_base = base;
    svcstats_service = service;
    svcstats_self = self;
    svcstats_count = count;
    svcstats_timeout_ms = timeout_ms;
    svcstats_local_fn = local;
    svcstats_on = 1;
    return 0;
}

int svcstats_enabled(void) { return svcstats_on; }

const char *svcstats_channel(void)
{
    return svcstats_on ? svcstats_chan : NULL;
}

/* ---- the answer: sums and the list ---- */

/* Fields that are not sums: the oldest worker's age, the longest save,
 * the fleet as the worker that saw most of it. */
static int svcstats_is_max(const char *name)
{
    return strcmp(name, "uptime") == 0 ||
           strcmp(name, "recovery_save_ms") == 0 || strcmp(name, "nodes") == 0;
}

/* Adds the figures of `w` (one worker's stats object) into `t`: numbers
 * summed (svcstats_is_max(): the largest), "connected" true only when
 * every worker's is, "worker", strings and nulls left as `t` has them
 * (the answering worker's). Objects one level down ("redis", "cluster")
 * the same way. */
static void svcstats_sum(cJSON *t, const cJSON *w, int depth)
{
    const cJSON *m;
    cJSON *tm;

    cJSON_ArrayForEach(m, w)
    {
        if (strcmp(m->string, "worker") == 0 || strcmp(m->string, "pid") == 0)
            continue;
        tm = cJSON_GetObjectItemCaseSensitive(t, m->string);
        if (cJSON_IsNumber(m)) {
            if (tm == NULL)
                cJSON_AddNumberToObject(t, m->string, m->valuedouble);
            else if (cJSON_IsNull(tm) && svcstats_is_max(m->string))
                cJSON_ReplaceItemInObjectCaseSensitive(
                    t, m->string, cJSON_CreateNumber(m->valuedouble));
            else if (cJSON_IsNumber(tm))
                cJSON_SetNumberValue(tm,
                                     svcstats_is_max(m->string)
                                         ? fmax(tm->valuedouble, m->valuedouble)
                                         : tm->valuedouble + m->valuedouble);
        } else if (cJSON_IsBool(m) && cJSON_IsBool(tm)) {
            if (cJSON_IsFalse(m) && cJSON_IsTrue(tm))
                cJSON_ReplaceItemInObjectCaseSensitive(t, m->string,
                                                       cJSON_CreateFalse());
        } else if (cJSON_IsObject(m) && depth == 0) {
            if (tm == NULL)
                tm = cJSON_AddObjectToObject(t, m->string);
            if (cJSON_IsObject(tm))
                svcstats_sum(tm, m, depth + 1);
        }
    }
}

/* The whole answer: this worker's object as the base of the sums, the
 * others added, "workers" in worker order, "incomplete" and "missing"
 * when some did not answer. NULL when out of memory. */
static cJSON *svcstats_result(struct svcstats_req *r)
{
    struct buf own = BUF_INIT;
    cJSON *t = NULL, *list, *missing, *me;
    int w;

    if (svcstats_local_fn(&own) != 0 ||
        (me = cJSON_ParseWithLength(own.data, own.len)) == NULL) {
        buf_free(&own);
        return NULL;
    }
    buf_free(&own);
    cJSON_AddNumberToObject(me, "pid", (double)getpid());
    if ((t = cJSON_Duplicate(me, 1)) == NULL) {
        cJSON_Delete(me);
        return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(t, "pid");
    list = cJSON_CreateArray();
    missing = cJSON_CreateArray();
    for (w = 1; w <= svcstats_count; w++) {
        if (w == svcstats_self) {
            cJSON_AddItemToArray(list, me);
            me = NULL;
        } else if (r->got[w] != NULL) {
            svcstats_sum(t, r->got[w], 0);
            cJSON_AddItemToArray(list, r->got[w]);
            r->got[w] = NULL;
        } else {
            cJSON_AddItemToArray(missing, cJSON_CreateNumber(w));
        }
    }
    cJSON_AddItemToObject(t, "workers", list);
    if (cJSON_GetArraySize(missing) > 0) {
        cJSON_AddBoolToObject(t, "incomplete", 1);
        cJSON_AddItemToObject(t, "missing", missing);
    } else {
        cJSON_Delete(missing);
    }
    return t;
}

/* ---- questions ---- */

static void svcstats_free(struct svcstats_req *r)
{
    int w;

    if (r->timer != NULL)
        event_free(r->timer);
    if (r->got != NULL)
        for (w = 0; w <= svcstats_count; w++)
            cJSON_Delete(r->got[w]);
    free(r->got);
    free(r);
}

/* Ends a question: answers it with what came, and frees it. */
static void svcstats_end(struct svcstats_req *r)
{
    cJSON *res;
    char *text = NULL;

    TAILQ_REMOVE(&svcstats_pending, r, link);
    if (r->asked) {
        svcstats_stats.pending--;
        if (r->left > 0)
            svcstats_stats.incomplete++;
    }
    res = svcstats_result(r);
    if (res != NULL)
        text = cJSON_PrintUnformatted(res);
    cJSON_Delete(res);
    if (text != NULL)
        r->done(r->arg, text, strlen(text));
    else
        r->done(r->arg, "{\"incomplete\":true}", 19);
    free(text);
    svcstats_free(r);
}

static void svcstats_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    svcstats_end(arg);
}

int svcstats_ask(svcstats_done done, void *arg)
{
    struct svcstats_req *r;
    struct buf msg = BUF_INIT;
    struct timeval tv = {0, 0};

    if (!svcstats_on || (r = calloc(1, sizeof *r)) == NULL)
        return -1;
    r->done = done;
    r->arg = arg;
    r->left = svcstats_count - 1;
    if ((r->got = calloc((size_t)svcstats_count + 1, sizeof *r->got)) == NULL ||
        route_random_name(r->id, 16) != 0 ||
        (r->timer = evtimer_new(svcstats_base, svcstats_timer_cb, r)) == NULL) {
        svcstats_free(r);
        return -1;
    }
    /* Not asked: answered on the next turn with this worker alone. */
    if (!redis_stats.connected ||
        svcstats_stats.pending >= SVCSTATS_MAX_PENDING ||
        buf_printf(&msg, "{\"svc\":\"%s\",\"rid\":\"%s\",\"w\":%d}",
                   svcstats_service, r->id, svcstats_self) != 0 ||
        redis_publish(svcstats_chan, msg.data, msg.len) != 0) {
        svcstats_stats.refused++;
    } else {
        r->asked = 1;
        svcstats_stats.requests++;
        svcstats_stats.pending++;
        tv.tv_sec = svcstats_timeout_ms / 1000;
        tv.tv_usec = (svcstats_timeout_ms % 1000) * 1000;
    }
    buf_free(&msg);
    evtimer_add(r->timer, &tv);
    TAILQ_INSERT_TAIL(&svcstats_pending, r, link);
    return 0;
}

/* ---- the channel ---- */

/* 1 when `v` is a string of 1 to SVCSTATS_ID printable ASCII bytes. */
static int svcstats_id_ok(const cJSON *v)
{
    size_t i, n;

    if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
        n > SVCSTATS_ID)
        return 0;
    for (i = 0; i < n; i++)
        if (v->valuestring[i] <= ' ' || v->valuestring[i] > '~' ||
            v->valuestring[i] == '"' || v->valuestring[i] == '\\')
            return 0;
    return 1;
}

/* A worker number of this service but this one: 1..count, else 0. */
static int svcstats_worker(const cJSON *v)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < 1 || v->valuedouble > svcstats_count ||
        (int)v->valuedouble == svcstats_self)
        return 0;
    return (int)v->valuedouble;
}

/* 1 when `o` is a stats object as a worker writes it: at most
 * SVCSTATS_MAX_FIELDS members of short names, each a finite number, a
 * boolean, null, a short string or (at the top) such an object. */
static int svcstats_object_ok(const cJSON *o, int depth)
{
    const cJSON *m;
    int n = 0;

    if (!cJSON_IsObject(o))
        return 0;
    cJSON_ArrayForEach(m, o)
    {
        if (++n > SVCSTATS_MAX_FIELDS || m->string == NULL ||
            strlen(m->string) > 64)
            return 0;
        if (cJSON_IsNumber(m)) {
            if (!isfinite(m->valuedouble) || fabs(m->valuedouble) > 1e18)
                return 0;
        } else if (cJSON_IsString(m)) {
            if (strlen(m->valuestring) > SVCSTATS_MAX_STRING)
                return 0;
        } else if (cJSON_IsObject(m)) {
            if (depth > 0 || !svcstats_object_ok(m, depth + 1))
                return 0;
        } else if (!cJSON_IsBool(m) && !cJSON_IsNull(m)) {
            return 0;
        }
    }
    return 1;
}

/* Answers question `rid` of worker `to` with this worker's stats. */
static void svcstats_answer(const char *rid, int to)
{
    struct buf out = BUF_INIT;

    if (buf_printf(&out,
                   "{\"svc\":\"%s\",\"rid\":\"%s\",\"w\":%d,\"to\":%d,"
                   "\"pid\":%ld,\"stats\":",
                   svcstats_service, rid, svcstats_self, to,
                   (long)getpid()) == 0 &&
        svcstats_local_fn(&out) == 0 && buf_putc(&out, '}') == 0 &&
        redis_publish(svcstats_chan, out.data, out.len) == 0)
        svcstats_stats.answered++;
    buf_free(&out);
}

/* An answer from worker `w` to this worker's question `rid`; `stats` is
 * taken (freed or kept). */
static void svcstats_take(const char *rid, int w, const cJSON *pid,
                          cJSON *stats)
{
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(stats, "worker");
    struct svcstats_req *r;

    if (!cJSON_IsNumber(pid) || pid->valuedouble < 1 ||
        pid->valuedouble > 4194304 ||
        pid->valuedouble != floor(pid->valuedouble) ||
        !svcstats_object_ok(stats, 0) || !cJSON_IsNumber(sw) ||
        sw->valuedouble != w ||
        cJSON_GetObjectItemCaseSensitive(stats, "pid") != NULL) {
        svcstats_stats.malformed++;
        log_debug("svcstats: answer of worker %d dropped: bad stats", w);
        cJSON_Delete(stats);
        return;
    }
    TAILQ_FOREACH(r, &svcstats_pending, link)
    if (r->asked && strcmp(r->id, rid) == 0)
        break;
    if (r == NULL || r->got[w] != NULL) {
        /* Late, or a second answer of the same worker. */
        svcstats_stats.unknown++;
        cJSON_Delete(stats);
        return;
    }
    svcstats_stats.answers++;
    cJSON_AddNumberToObject(stats, "pid", pid->valuedouble);
    r->got[w] = stats;
    if (--r->left == 0)
        svcstats_end(r);
}

void svcstats_message(const char *data, size_t len)
{
    const cJSON *svc, *rid, *to;
    cJSON *m, *stats;
    int w;

    if (!svcstats_on)
        return;
    if (len > SVCSTATS_MAX_MESSAGE || !jsonv_valid(data, len) ||
        (m = cJSON_ParseWithLength(data, len)) == NULL) {
        svcstats_stats.malformed++;
        log_debug("svcstats: message dropped: not JSON or over %u bytes",
                  SVCSTATS_MAX_MESSAGE);
        return;
    }
    svc = cJSON_GetObjectItemCaseSensitive(m, "svc");
    rid = cJSON_GetObjectItemCaseSensitive(m, "rid");
    to = cJSON_GetObjectItemCaseSensitive(m, "to");
    stats = cJSON_GetObjectItemCaseSensitive(m, "stats");
    /* This worker's own messages come back too. */
    if (cJSON_IsObject(m) && cJSON_IsNumber(cJSON_GetObjectItem(m, "w")) &&
        cJSON_GetObjectItem(m, "w")->valuedouble == svcstats_self)
        goto done;
    if (!cJSON_IsString(svc) || strcmp(svc->valuestring, svcstats_service) ||
        !svcstats_id_ok(rid) ||
        (w = svcstats_worker(cJSON_GetObjectItem(m, "w"))) == 0 ||
        (to != NULL && !cJSON_IsNumber(to))) {
        svcstats_stats.malformed++;
        log_debug("svcstats: message dropped: not a question or answer of "
                  "this service");
        goto done;
    }
    if (to == NULL && stats == NULL)
        svcstats_answer(rid->valuestring, w);
    else if (to == NULL)
        svcstats_stats.malformed++;
    else if (to->valuedouble == svcstats_self)
        svcstats_take(rid->valuestring, w,
                      cJSON_GetObjectItemCaseSensitive(m, "pid"),
                      cJSON_DetachItemFromObjectCaseSensitive(m, "stats"));
done:
    cJSON_Delete(m);
}

void svcstats_shutdown(void)
{
    struct svcstats_req *r;

    while ((r = TAILQ_FIRST(&svcstats_pending)) != NULL)
        svcstats_end(r);
    free(svcstats_chan);
    svcstats_chan = NULL;
    svcstats_on = 0;
}
