/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* redis: the daemon's two Redis connections (commands, pub/sub) on the
 * event loop, through hiredis: reconnect with backoff, resubscribe,
 * per-request timeouts, the outbox's replay. */
#include "redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "buf.h"
#include "log.h"
#include "timerq.h"

struct redis_stats redis_stats;
struct outbox redis_outbox;

/* At most 1 s between attempts (ioredis waits up to 2 s, node-redis
 * 0.5 s): after a Redis restart the fleet is back within a second. */
#define REDIS_BACKOFF_MIN_MS 100
#define REDIS_BACKOFF_MAX_MS 1000

/* ---- the URL ---- */

static int redis_hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Copies s[0..len) to out (cap bytes with the NUL), decoding %XX. */
static int redis_unescape(char *out, size_t cap, const char *s, size_t len)
{
    size_t i, o = 0;
    int h, l;

    for (i = 0; i < len; i++) {
        if (o + 1 >= cap)
            return -1;
        if (s[i] == '%') {
            if (i + 2 >= len)
                return -1;
            if ((h = redis_hex(s[i + 1])) < 0 || (l = redis_hex(s[i + 2])) < 0)
                return -1;
            out[o++] = (char)(h << 4 | l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return memchr(out, '\0', o) == NULL ? 0 : -1;
}

/* A decimal number in [min, max] spanning exactly s[0..len). */
static int redis_number(const char *s, size_t len, long min, long max, int *out)
{
    long v = 0;
    size_t i;

    if (len == 0 || len > 9)
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int redis_url_parse(const char *url, struct redis_url *u, const char **cause)
{
    const char *rest, *at, *colon, *slash, *end, *host, *q;
    size_t hlen;
    int unix_sock;

    memset(u, 0, sizeof *u);
    u->port = 6379;
    if (strncmp(url, "redis://", 8) == 0) {
        rest = url + 8;
        unix_sock = 0;
    } else if (strncmp(url, "unix://", 7) == 0) {
        rest = url + 7;
        unix_sock = 1;
    } else {
        *cause = "the URL must start with redis:// or unix://";
        return -1;
    }
    end = rest + strlen(rest);
    at = strrchr(rest, '@');
    if (at != NULL) {
        colon = memchr(rest, ':', (size_t)(at - rest));
        if (redis_unescape(u->user, sizeof u->user, rest,
                           (size_t)((colon ? colon : at) - rest)) != 0 ||
            (colon != NULL && redis_unescape(u->pass, sizeof u->pass, colon + 1,
                                             (size_t)(at - colon - 1)) != 0)) {
            *cause = "bad user or password (too long, or a bad %-escape)";
            return -1;
        }
        rest = at + 1;
    }
    if (unix_sock) {
        q = strchr(rest, '?');
        if (rest[0] != '/' ||
            (size_t)((q ? q : end) - rest) >= sizeof u->path) {
            *cause = "unix:// needs an absolute socket path (under 108 bytes)";
            return -1;
        }
        memcpy(u->path, rest, (size_t)((q ? q : end) - rest));
        if (q != NULL &&
            (strncmp(q, "?db=", 4) != 0 ||
             redis_number(q + 4, strlen(q + 4), 0, 1000000, &u->db) != 0)) {
            *cause = "the only query is ?db=N";
            return -1;
        }
        return 0;
    }
    slash = strchr(rest, '/');
    if (slash != NULL && slash[1] != '\0' &&
        redis_number(slash + 1, strlen(slash + 1), 0, 1000000, &u->db) != 0) {
        *cause = "the path is /DB, a number";
        return -1;
    }
    host = rest;
    hlen = (size_t)((slash ? slash : end) - rest);
    colon = NULL;
    if (hlen > 0 && host[0] == '[') {
        const char *rb = memchr(host, ']', hlen);
        if (rb == NULL) {
            *cause = "an IPv6 host needs its ']'";
            return -1;
        }
        if (rb + 1 < host + hlen)
            colon = rb + 1;
        host++;
        hlen = (size_t)(rb - host);
        if (colon != NULL && *colon != ':') {
            *cause = "bad text after the IPv6 host";
            return -1;
        }
    } else {
        colon = memchr(host, ':', hlen);
        if (colon != NULL)
            hlen = (size_t)(colon - host);
    }
    if (colon != NULL &&
        redis_number(colon + 1, (size_t)((slash ? slash : end) - colon - 1), 1,
                     65535, &u->port) != 0) {
        *cause = "the port is 1 to 65535";
        return -1;
    }
    if (hlen == 0 || hlen >= sizeof u->host || memchr(host, '@', hlen)) {
        *cause = "no host (or too long)";
        return -1;
    }
    memcpy(u->host, host, hlen);
    return 0;
}

/* ---- connections ---- */

struct redis_conn {
    const char *name; /* "commands" or "subscriber", for the logs */
    int sub;
    redisAsyncContext *ac;
    int up;
    unsigned backoff_ms;
    uint64_t started_ms; /* of the connection attempt in progress */
    uint64_t up_ms;      /* when it was last up */
    struct event *retry;
};

static struct event_base *redis_base;
static struct redis_url redis_where;
static char redis_label[300]; /* host:port or the path: no credentials */
static unsigned redis_timeout_ms;
static redis_message_cb redis_cb;
static void *redis_cb_arg;
static struct redis_conn redis_cmd = {"commands", 0, NULL, 0, 0, 0, 0, NULL};
static struct redis_conn redis_subc = {"subscriber", 1, NULL, 0, 0, 0, 0, NULL};
static char **redis_patterns; /* "P<pattern>" or "S<channel>" */
static size_t redis_npatterns;
static int redis_stopping;
/* Send times (ms) of the requests awaiting replies on the command
 * connection, oldest first: Redis answers in order. */
static uint64_t *redis_sent;
static size_t redis_sent_head, redis_sent_n, redis_sent_cap;
static struct event *redis_watch;
static struct event *redis_replay;
static int redis_outbox_warned; /* "the outbox is full": once an outage */

static void redis_connect(struct redis_conn *c);
static void redis_replay_arm(void);

static void redis_update_connected(void)
{
    redis_stats.connected = redis_cmd.up && redis_subc.up;
}

static void redis_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    redis_connect(arg);
}

static void redis_schedule(struct redis_conn *c)
{
    struct timeval tv;

    if (redis_stopping)
        return;
    c->backoff_ms = c->backoff_ms == 0 ? REDIS_BACKOFF_MIN_MS
                    : c->backoff_ms * 2 > REDIS_BACKOFF_MAX_MS
                        ? REDIS_BACKOFF_MAX_MS
                        : c->backoff_ms * 2;
    tv.tv_sec = c->backoff_ms / 1000;
    tv.tv_usec = (c->backoff_ms % 1000) * 1000;
    evtimer_add(c->retry, &tv);
}

/* The connection is usable: connected and, with a password,
 * authenticated. */
static void redis_up(struct redis_conn *c)
{
    c->up = 1;
    c->up_ms = timerq_now_ms(redis_base);
    redis_stats.connects++;
    redis_update_connected();
    log_info("redis %s: %s connection up", redis_label, c->name);
    if (!c->sub && redis_outbox.count > 0)
        redis_replay_arm();
}

/* AUTH's, SELECT's and PING's answers (priv: the connection, when the
 * answer makes it up). */
static void redis_auth_cb(redisAsyncContext *ac, void *r, void *priv)
{
    redisReply *reply = r;

    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        /* The reply may name the user, never the password. */
        log_warn("redis %s: AUTH or SELECT refused: %.*s", redis_label,
                 (int)(reply->len > 200 ? 200 : reply->len), reply->str);
        redisAsyncDisconnect(ac);
        return;
    }
    if (reply != NULL && priv != NULL)
        redis_up(ac->data);
}

static int redis_subscribed_len(const char *channel, size_t len);

static int redis_more; /* see redis_more_read() */

int redis_more_read(void) { return redis_more; }

static void redis_message(redisAsyncContext *ac, void *r, void *priv)
{
    redisReply *reply = r, **e;

    (void)priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
        return;
    redis_more = ac->c.reader->pos < ac->c.reader->len;
    e = reply->element;
    /* ["pmessage", pattern, channel, data] or ["message", channel, data] */
    if (reply->elements == 4 && e[0]->type == REDIS_REPLY_STRING &&
        strcmp(e[0]->str, "pmessage") == 0 &&
        e[2]->type == REDIS_REPLY_STRING && e[3]->type == REDIS_REPLY_STRING) {
        /* A channel subscribed exactly and matched by a pattern too comes
         * twice: handled once, as the exact "message". */
        if (redis_subscribed_len(e[2]->str, e[2]->len))
            return;
        redis_stats.received++;
        redis_cb(redis_cb_arg, e[2]->str, e[2]->len, e[3]->str, e[3]->len);
    } else if (reply->elements == 3 && e[0]->type == REDIS_REPLY_STRING &&
               strcmp(e[0]->str, "message") == 0 &&
               e[1]->type == REDIS_REPLY_STRING &&
               e[2]->type == REDIS_REPLY_STRING) {
        redis_stats.received++;
        redis_cb(redis_cb_arg, e[1]->str, e[1]->len, e[2]->str, e[2]->len);
    }
}

static void redis_psub_send(struct redis_conn *c, const char *sub)
{
    const char *argv[2] = {sub[0] == 'P' ? "PSUBSCRIBE" : "SUBSCRIBE", sub + 1};
    size_t lens[2] = {strlen(argv[0]), strlen(sub + 1)};

    redisAsyncCommandArgv(c->ac, redis_message, NULL, 2, argv, lens);
}

static void redis_connect_cb(const redisAsyncContext *ac, int status)
{
    struct redis_conn *c = ac->data;

    if (status != REDIS_OK) {
        log_warn("redis %s: %s connection failed: %s", redis_label, c->name,
                 ac->errstr);
        c->ac = NULL; /* hiredis frees it */
        redis_schedule(c);
        return;
    }
    if (!redis_where.pass[0] && c->sub)
        redis_up(c);
}

static void redis_disconnect_cb(const redisAsyncContext *ac, int status)
{
    struct redis_conn *c = ac->data;

    (void)status;
    /* The backoff starts again from its shortest only after a connection
     * that lasted: one that Redis closes at once (an ACL refusing the
     * channels: hiredis drops a subscriber on an error reply) retries
     * once a second, not ten times. */
    if (c->up && timerq_now_ms(redis_base) - c->up_ms >= REDIS_BACKOFF_MAX_MS)
        c->backoff_ms = 0;
    if (c->up) {
        redis_stats.disconnects++;
        log_warn("redis %s: %s connection lost%s%s", redis_label, c->name,
                 ac->err ? ": " : "", ac->err ? ac->errstr : "");
    }
    c->up = 0;
    c->ac = NULL; /* hiredis frees it after this call */
    redis_update_connected();
    redis_schedule(c);
}

static void redis_connect(struct redis_conn *c)
{
    const char *argv[3];
    size_t lens[3], i;
    char db[16];
    int n = 0;

    c->ac = redis_where.path[0]
                ? redisAsyncConnectUnix(redis_where.path)
                : redisAsyncConnect(redis_where.host, redis_where.port);
    if (c->ac == NULL || c->ac->err) {
        log_warn("redis %s: %s connection failed: %s", redis_label, c->name,
                 c->ac ? c->ac->errstr : "out of memory");
        if (c->ac != NULL)
            redisAsyncFree(c->ac);
        c->ac = NULL;
        redis_schedule(c);
        return;
    }
    c->ac->data = c;
    c->started_ms = timerq_now_ms(redis_base);
    redisLibeventAttach(c->ac, redis_base);
    redisAsyncSetConnectCallback(c->ac, redis_connect_cb);
    redisAsyncSetDisconnectCallback(c->ac, redis_disconnect_cb);
    /* Queued now, written once connected, before anything else. */
    if (redis_where.pass[0]) {
        argv[n++] = "AUTH";
        if (redis_where.user[0])
            argv[n++] = redis_where.user;
        argv[n++] = redis_where.pass;
        for (i = 0; i < (size_t)n; i++)
            lens[i] = strlen(argv[i]);
        redisAsyncCommandArgv(c->ac, redis_auth_cb, c->sub ? c : NULL, n, argv,
                              lens);
    }
    if (!c->sub && redis_where.db != 0) {
        snprintf(db, sizeof db, "%d", redis_where.db);
        argv[0] = "SELECT";
        argv[1] = db;
        lens[0] = 6;
        lens[1] = strlen(db);
        redisAsyncCommandArgv(c->ac, redis_auth_cb, NULL, 2, argv, lens);
    }
    /* The command connection is up once Redis answers: a Redis that
     * accepts but hangs (stopped, swapping) must not take the outbox's
     * replay, nor answer "published": true. */
    if (!c->sub) {
        argv[0] = "PING";
        lens[0] = 4;
        redisAsyncCommandArgv(c->ac, redis_auth_cb, c, 1, argv, lens);
    }
    if (c->sub)
        for (i = 0; i < redis_npatterns; i++)
            redis_psub_send(c, redis_patterns[i]);
}

/* ---- requests and their deadline ---- */

static void redis_sent_pop(void)
{
    if (redis_sent_n > 0) {
        redis_sent_head = (redis_sent_head + 1) % redis_sent_cap;
        redis_sent_n--;
    }
}

static int redis_sent_push(uint64_t now)
{
    uint64_t *grown;
    size_t i, cap;

    if (redis_sent_n == redis_sent_cap) {
        cap = redis_sent_cap ? redis_sent_cap * 2 : 64;
        if ((grown = malloc(cap * sizeof *grown)) == NULL)
            return -1;
        for (i = 0; i < redis_sent_n; i++)
            grown[i] = redis_sent[(redis_sent_head + i) % redis_sent_cap];
        free(redis_sent);
        redis_sent = grown;
        redis_sent_cap = cap;
        redis_sent_head = 0;
    }
    redis_sent[(redis_sent_head + redis_sent_n) % redis_sent_cap] = now;
    redis_sent_n++;
    return 0;
}

/* A PUBLISH answered with an error (an ACL's NOPERM): counted, logged
 * the first time and every 1000th (one line per emit would flood). */
static void redis_publish_error(const redisReply *reply)
{
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
        redis_stats.refused++ % 1000 == 0)
        log_warn("redis %s: PUBLISH refused (%llu so far): %.*s", redis_label,
                 (unsigned long long)redis_stats.refused,
                 (int)(reply->len > 200 ? 200 : reply->len), reply->str);
}

static void redis_publish_cb(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    (void)priv;
    /* Answered, or dropped with the connection: no longer waited for. */
    redis_sent_pop();
    redis_publish_error(r);
}

/* hiredis 0.14 has no connect timeout: an attempt that takes longer than
 * a request may is abandoned here (outside any hiredis callback, where
 * freeing the context is safe) and retried. */
static void redis_connect_deadline(struct redis_conn *c, uint64_t now)
{
    if (c->ac == NULL || c->up || now - c->started_ms < redis_timeout_ms)
        return;
    log_warn("redis %s: %s connection: no answer in %u ms", redis_label,
             c->name, redis_timeout_ms);
    redisAsyncFree(c->ac);
    c->ac = NULL;
    redis_schedule(c);
}

static void redis_watch_cb(evutil_socket_t fd, short what, void *arg)
{
    uint64_t now = timerq_now_ms(redis_base);

    (void)fd;
    (void)what;
    (void)arg;
    redis_connect_deadline(&redis_cmd, now);
    redis_connect_deadline(&redis_subc, now);
    if (redis_sent_n == 0 ||
        now - redis_sent[redis_sent_head] < redis_timeout_ms)
        return;
    redis_stats.timeouts++;
    log_warn("redis %s: no answer in %u ms, reconnecting", redis_label,
             redis_timeout_ms);
    /* Pending callbacks run (with no reply) and empty redis_sent. */
    if (redis_cmd.ac != NULL)
        redisAsyncDisconnect(redis_cmd.ac);
    if (redis_subc.ac != NULL)
        redisAsyncDisconnect(redis_subc.ac);
}

/* Sends a PUBLISH on a live command connection, its answer to `cb`: 0,
 * or -1 (uncounted). */
static int redis_send(const char *channel, const void *data, size_t len,
                      redisCallbackFn *cb, void *priv)
{
    const char *argv[3] = {"PUBLISH", channel, data};
    size_t lens[3] = {7, strlen(channel), len};
    int done;

    if (!redis_cmd.up || redis_cmd.ac == NULL ||
        redis_sent_push(timerq_now_ms(redis_base)) != 0)
        return -1;
    if (redisAsyncCommandArgv(redis_cmd.ac, cb, priv, 3, argv, lens) !=
        REDIS_OK) {
        redis_sent_n--; /* the newest, just pushed */
        return -1;
    }
    /* Written now, not when the loop comes back to hiredis's write event:
     * the hub publishes before its local fan-out, so the other nodes start
     * theirs while this one writes (the Redis hop of the benchmark). The
     * plain write never calls back into us; a failure is left for the
     * write event, which disconnects on the loop as usual. */
    redisBufferWrite(&redis_cmd.ac->c, &done);
    redis_stats.published++;
    return 0;
}

int redis_publish(const char *channel, const void *data, size_t len)
{
    if (redis_send(channel, data, len, redis_publish_cb, NULL) != 0) {
        redis_stats.publish_failed++;
        return -1;
    }
    return 0;
}

/* ---- the outbox ---- */

static void redis_replay_arm(void)
{
    struct timeval tv = {REDIS_REPLAY_DELAY_MS / 1000,
                         REDIS_REPLAY_DELAY_MS % 1000 * 1000};

    if (redis_replay != NULL && !evtimer_pending(redis_replay, NULL))
        evtimer_add(redis_replay, &tv);
}

/* A replayed PUBLISH answered (priv: its sequence number): it leaves the
 * outbox; dropped with the connection, it and the ones after it go again
 * after the reconnect (at least once: Redis may have run it). */
static void redis_replayed_cb(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    redis_sent_pop();
    if (r == NULL) {
        outbox_rewind(&redis_outbox);
        return;
    }
    redis_publish_error(r);
    outbox_done(&redis_outbox, (uint64_t)(uintptr_t)priv);
    if (redis_outbox.count == 0) {
        redis_outbox_warned = 0;
        log_info("redis %s: the outbox is replayed (%llu in all, %llu "
                 "dropped)",
                 redis_label, (unsigned long long)redis_outbox.replayed,
                 (unsigned long long)redis_outbox.dropped);
    }
}

/* Hands everything not sent yet to the command connection, in order:
 * hiredis writes it before anything published after this call. */
static void redis_replay_send(void)
{
    const char *ch;
    const void *data;
    size_t clen, len;
    uint64_t seq;

    while (outbox_next(&redis_outbox, &ch, &clen, &data, &len, &seq) == 0)
        if (redis_send(ch, data, len, redis_replayed_cb,
                       (void *)(uintptr_t)seq) != 0) {
            /* Out of memory on a live connection: the ones handed out
             * would be answered around this one; start over instead. */
            outbox_rewind(&redis_outbox);
            if (redis_cmd.up && redis_cmd.ac != NULL)
                redisAsyncDisconnect(redis_cmd.ac);
            return;
        }
}

static void redis_replay_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (!redis_cmd.up || redis_outbox.count == 0)
        return;
    log_info("redis %s: replaying %zu kept broadcasts", redis_label,
             redis_outbox.count);
    redis_replay_send();
}

void redis_outbox_setup(size_t max_bytes)
{
    outbox_init(&redis_outbox, max_bytes);
}

int redis_publish_kept(const char *channel, const void *data, size_t len)
{
    size_t was = redis_outbox.count;
    uint64_t dropped = redis_outbox.dropped;

    if (was == 0 && redis_send(channel, data, len, redis_publish_cb, NULL) == 0)
        return 0;
    if (outbox_put(&redis_outbox, channel, strlen(channel), data, len) != 0)
        return -1;
    if (was == 0 && !redis_cmd.up)
        log_warn("redis %s: unreachable, keeping broadcasts (up to %zu bytes) "
                 "to publish on reconnect",
                 redis_label, redis_outbox.max_bytes);
    if (redis_outbox.dropped != dropped && !redis_outbox_warned) {
        redis_outbox_warned = 1;
        log_warn("redis %s: the outbox is full (%zu bytes): dropping the "
                 "oldest kept broadcasts",
                 redis_label, redis_outbox.max_bytes);
    }
    /* Up with the replay under way: behind it at once; up with the replay
     * still waiting for the other nodes: it goes with the replay. */
    if (redis_cmd.up && !evtimer_pending(redis_replay, NULL))
        redis_replay_send();
    return 1;
}

struct redis_numsub_req {
    void (*cb)(void *arg, long n);
    void *arg;
};

static void redis_numsub_cb(redisAsyncContext *ac, void *r, void *priv)
{
    struct redis_numsub_req *q = priv;
    redisReply *rep = r;
    long n = -1;

    (void)ac;
    redis_sent_pop();
    /* [channel, count] */
    if (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[1]->type == REDIS_REPLY_INTEGER &&
        rep->element[1]->integer >= 0)
        n = (long)rep->element[1]->integer;
    q->cb(q->arg, n);
    free(q);
}

int redis_numsub(const char *channel, void (*cb)(void *arg, long n), void *arg)
{
    const char *argv[3] = {"PUBSUB", "NUMSUB", channel};
    size_t lens[3] = {6, 6, strlen(channel)};
    struct redis_numsub_req *q;

    if (!redis_cmd.up || redis_cmd.ac == NULL ||
        (q = malloc(sizeof *q)) == NULL)
        return -1;
    if (redis_sent_push(timerq_now_ms(redis_base)) != 0) {
        free(q);
        return -1;
    }
    q->cb = cb;
    q->arg = arg;
    if (redisAsyncCommandArgv(redis_cmd.ac, redis_numsub_cb, q, 3, argv,
                              lens) != REDIS_OK) {
        redis_sent_n--;
        free(q);
        return -1;
    }
    return 0;
}

static int redis_subscribed_len(const char *channel, size_t len)
{
    size_t i;

    for (i = 0; i < redis_npatterns; i++)
        if (redis_patterns[i][0] == 'S' &&
            strlen(redis_patterns[i] + 1) == len &&
            memcmp(redis_patterns[i] + 1, channel, len) == 0)
            return 1;
    return 0;
}

int redis_subscribed(const char *channel)
{
    return redis_subscribed_len(channel, strlen(channel));
}

static int redis_sub_add(char kind, const char *name)
{
    char **grown, *copy = malloc(strlen(name) + 2);

    if (copy != NULL) {
        copy[0] = kind;
        strcpy(copy + 1, name);
    }

    grown = copy ? realloc(redis_patterns,
                           (redis_npatterns + 1) * sizeof *redis_patterns)
                 : NULL;
    if (grown == NULL) {
        free(copy);
        return -1;
    }
    redis_patterns = grown;
    redis_patterns[redis_npatterns++] = copy;
    if (redis_subc.ac != NULL)
        redis_psub_send(&redis_subc, copy);
    return 0;
}

int redis_psubscribe(const char *pattern)
{
    return redis_sub_add('P', pattern);
}

int redis_subscribe(const char *channel) { return redis_sub_add('S', channel); }

int redis_setup(struct event_base *base, const struct redis_url *u,
                unsigned timeout_ms, redis_message_cb cb, void *arg,
                const char **cause)
{
    struct timeval tv;

    redis_base = base;
    redis_where = *u;
    redis_timeout_ms = timeout_ms;
    redis_cb = cb;
    redis_cb_arg = arg;
    if (u->path[0])
        snprintf(redis_label, sizeof redis_label, "unix:%s", u->path);
    else
        snprintf(redis_label, sizeof redis_label,
                 strchr(u->host, ':') ? "[%s]:%d" : "%s:%d", u->host, u->port);
    redis_cmd.retry = evtimer_new(base, redis_retry_cb, &redis_cmd);
    redis_subc.retry = evtimer_new(base, redis_retry_cb, &redis_subc);
    redis_watch = event_new(base, -1, EV_PERSIST, redis_watch_cb, NULL);
    redis_replay = evtimer_new(base, redis_replay_cb, NULL);
    if (redis_cmd.retry == NULL || redis_subc.retry == NULL ||
        redis_watch == NULL || redis_replay == NULL) {
        *cause = "out of memory";
        return -1;
    }
    /* Checked four times per timeout: a stall is seen within 1.25x. */
    tv.tv_sec = timeout_ms / 4000;
    tv.tv_usec = (timeout_ms / 4 % 1000) * 1000;
    evtimer_add(redis_watch, &tv);
    redis_connect(&redis_cmd);
    redis_connect(&redis_subc);
    return 0;
}

void redis_shutdown(void)
{
    size_t i;

    if (redis_base == NULL)
        return;
    redis_stopping = 1;
    if (redis_cmd.ac != NULL)
        redisAsyncFree(redis_cmd.ac);
    if (redis_subc.ac != NULL)
        redisAsyncFree(redis_subc.ac);
    redis_cmd.ac = redis_subc.ac = NULL;
    event_free(redis_cmd.retry);
    event_free(redis_subc.retry);
    event_free(redis_watch);
    event_free(redis_replay);
    redis_replay = NULL;
    if (redis_outbox.count > 0)
        log_warn("redis %s: %zu kept broadcasts dropped at shutdown",
                 redis_label, redis_outbox.count);
    outbox_clear(&redis_outbox);
    for (i = 0; i < redis_npatterns; i++)
        free(redis_patterns[i]);
    free(redis_patterns);
    free(redis_sent);
    redis_base = NULL;
}
