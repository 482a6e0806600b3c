/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* msglog: the SQLite message log, written by its own thread from a bounded
 * queue; the event loop only copies a row and never waits. */
#include "msglog.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <sqlite3.h>

#include "buf.h"
#include "log.h"
#include "logfmt.h"

/* One message, copied out of connection memory: the loop allocates it, the
 * writer frees it. All strings live in data[]. */
struct msglog_row {
    struct msglog_row *next;
    size_t size;
    uint64_t seq; /* its number (msglog_mark) */
    int64_t time_us;
    int64_t ack_id;
    long recipients;
    uint8_t out, ack, via;
    unsigned nattach;
    size_t json_len;
    const char *sid, *meta, *nsp, *channel, *to, *except, *json;
    uint32_t *attach_len;
    char data[];
};

/* Rows numbered lo to hi (inclusive) that a database error lost. */
struct msglog_span {
    uint64_t lo, hi;
};

/* Failed spans kept for msglog_committed(); past this many the oldest two
 * merge (the merged span may then cover written rows too: an answer errs
 * toward "not logged"). */
#define MSGLOG_MAX_SPANS 64

/* A receiver announced by msglog_receiver(), until the next msglog_out(). */
struct msglog_recv {
    char *sid;
    char *meta;
};

int msglog_enabled;
int msglog_per_receiver;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct msglog_row *head, *tail;
    unsigned long count, max;
    size_t bytes;
    unsigned long kick; /* a row that makes the queue this long wakes the
                           writer from its nap */
    int waiting;        /* the writer sleeps until the next row */
    int stop;
    uint64_t seq; /* the number of the last row queued */
    struct msglog_span failed[MSGLOG_MAX_SPANS]; /* oldest first */
    unsigned nfailed;
} msglog_q = {.lock = PTHREAD_MUTEX_INITIALIZER,
              .cond = PTHREAD_COND_INITIALIZER};

static struct msglog_config msglog_cfg;
static char *msglog_abspath;
static char *msglog_format;
static sqlite3 *msglog_db;
static sqlite3_stmt *msglog_insert;
static pthread_t msglog_thread;
static int msglog_running;
static uint64_t msglog_dropped;   /* the loop's */
static uint64_t msglog_truncated; /* the loop's */
static uint64_t msglog_logged;    /* the writer's; atomic reads */
static uint64_t msglog_errors;    /* the writer's; atomic reads */
static struct msglog_recv *msglog_recvs;
static size_t msglog_nrecv, msglog_recv_cap;
/* Written-rows notices: the writer stores msglog_done, then signals the
 * eventfd when the loop wants a row up to it (msglog_want). Both sides
 * store, then load the other's variable, sequentially consistent: at least
 * one of them sees the other's store, so no notice is lost. */
static uint64_t msglog_done;
static uint64_t msglog_wanted;
static int msglog_efd = -1;
static struct event *msglog_efd_ev;
static msglog_written_cb msglog_written_fn;
static void *msglog_written_arg;

static const char msglog_schema[] =
    "CREATE TABLE IF NOT EXISTS messages ("
    " id INTEGER PRIMARY KEY,"
    " time_us INTEGER NOT NULL,"
    " direction TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " via TEXT NOT NULL,"
    " sid TEXT,"
    " namespace TEXT NOT NULL,"
    " channel TEXT,"
    " event TEXT,"
    " ack_id INTEGER,"
    " payload TEXT,"
    " attachments TEXT,"
    " recipients INTEGER,"
    " to_sid TEXT,"
    " except_sid TEXT,"
    " remote_addr TEXT,"
    " line TEXT);"
    "CREATE INDEX IF NOT EXISTS messages_time ON messages(time_us);"
    "PRAGMA user_version = 1;";

static const char msglog_insert_sql[] =
    "INSERT INTO messages (time_us, direction, kind, via, sid, namespace,"
    " channel, event, ack_id, payload, attachments, recipients, to_sid,"
    " except_sid, remote_addr, line)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16)";

/* How long the writer waits for more rows after a batch before it asks
 * the loop to wake it for the next one. */
#define MSGLOG_NAP_MS 10

static const char *const msglog_via_names[] = {"client", "emit", "relay",
                                               "reply"};

/* ---- the loop's side ---- */

static int64_t msglog_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t msglog_slen(const char *s) { return s ? strlen(s) + 1 : 0; }

static const char *msglog_put_str(char **cur, const char *s, size_t n)
{
    char *p = *cur;

    if (s == NULL)
        return NULL;
    memcpy(p, s, n);
    *cur += n;
    return p;
}

/* Bytes of `json` a row keeps: all of it, or up to max_payload cut on a
 * UTF-8 character's start, with `mark` (" ...[truncated: N bytes]") to
 * follow. A cut payload is no longer JSON; `socketioctl log --json` shows
 * it as a string. */
static size_t msglog_kept(const char *json, size_t len, char *mark, size_t mlen)
{
    size_t keep = msglog_cfg.max_payload;

    if (keep == 0 || len <= keep)
        return len;
    while (keep > 0 && ((unsigned char)json[keep] & 0xC0) == 0x80)
        keep--;
    snprintf(mark, mlen, "...[truncated: %zu bytes]", len);
    return keep;
}

static struct msglog_row *
msglog_row_new(int out, int ack, int via, const char *sid, const char *meta,
               const char *nsp, const char *channel, const char *to,
               const char *except, long recipients, int64_t ack_id,
               const char *json, size_t len, struct frame *const *attach,
               unsigned nattach)
{
    char mark[48];
    size_t keep = msglog_kept(json, len, mark, sizeof mark),
           lmark = keep < len ? strlen(mark) : 0;
    size_t lsid = msglog_slen(sid), lmeta = logfmt_meta_len(meta),
           lnsp = msglog_slen(nsp), lch = msglog_slen(channel),
           lto = msglog_slen(to), lex = msglog_slen(except),
           size = sizeof(struct msglog_row) + nattach * sizeof(uint32_t) +
                  lsid + lmeta + lnsp + lch + lto + lex + keep + lmark + 1;
    struct msglog_row *r = malloc(size);
    char *cur;
    unsigned i;

    if (r == NULL)
        return NULL;
    r->next = NULL;
    r->size = size;
    r->time_us = msglog_now_us();
    r->ack_id = ack_id;
    r->recipients = recipients;
    r->out = (uint8_t)out;
    r->ack = (uint8_t)ack;
    r->via = (uint8_t)via;
    r->nattach = nattach;
    r->attach_len = (uint32_t *)r->data;
    for (i = 0; i < nattach; i++)
        r->attach_len[i] = attach[i]->len;
    cur = r->data + nattach * sizeof(uint32_t);
    r->sid = msglog_put_str(&cur, sid, lsid);
    r->meta = msglog_put_str(&cur, meta, lmeta);
    r->nsp = msglog_put_str(&cur, nsp, lnsp);
    r->channel = msglog_put_str(&cur, channel, lch);
    r->to = msglog_put_str(&cur, to, lto);
    r->except = msglog_put_str(&cur, except, lex);
    r->json = cur;
    r->json_len = keep + lmark;
    if (keep > 0)
        memcpy(cur, json, keep);
    memcpy(cur + keep, mark, lmark);
    cur[keep + lmark] = '\0';
    if (lmark > 0)
        msglog_truncated++;
    return r;
}

static void msglog_push(struct msglog_row *r)
{
    if (r == NULL) {
        msglog_dropped++;
        return;
    }
    pthread_mutex_lock(&msglog_q.lock);
    if (msglog_q.count >= msglog_q.max ||
        msglog_q.bytes + r->size > MSGLOG_QUEUE_BYTES) {
        pthread_mutex_unlock(&msglog_q.lock);
        msglog_dropped++;
        free(r);
        return;
    }
    if (msglog_q.tail != NULL)
        msglog_q.tail->next = r;
    else
        msglog_q.head = r;
    msglog_q.tail = r;
    r->seq = ++msglog_q.seq;
    msglog_q.count++;
    msglog_q.bytes += r->size;
    /* Wake the writer only from a deep sleep (the first row after a quiet
     * spell) or when the queue fills up during its nap: under load the
     * loop pays no wake-up, that is no syscall, per row. */
    if (msglog_q.waiting || msglog_q.count == msglog_q.kick)
        pthread_cond_signal(&msglog_q.cond);
    pthread_mutex_unlock(&msglog_q.lock);
}

void msglog_in(int ack, const char *sid, const char *meta, const char *nsp,
               int64_t ack_id, const char *json, size_t len,
               struct frame *const *attach, unsigned nattach)
{
    if (!msglog_enabled)
        return;
    msglog_push(msglog_row_new(0, ack, MSGLOG_CLIENT, sid, meta, nsp, NULL,
                               NULL, NULL, -1, ack_id, json, len, attach,
                               nattach));
}

static void msglog_recv_clear(void)
{
    size_t i;

    for (i = 0; i < msglog_nrecv; i++) {
        free(msglog_recvs[i].sid);
        free(msglog_recvs[i].meta);
    }
    msglog_nrecv = 0;
}

void msglog_receiver(const char *sid, const char *meta)
{
    struct msglog_recv *grown;
    size_t lmeta = logfmt_meta_len(meta);
    char *s, *m = NULL;

    if (!msglog_enabled || !msglog_per_receiver)
        return;
    if (msglog_nrecv == msglog_recv_cap) {
        size_t cap = msglog_recv_cap ? 2 * msglog_recv_cap : 64;
        grown = realloc(msglog_recvs, cap * sizeof *grown);
        if (grown == NULL) {
            msglog_dropped++;
            return;
        }
        msglog_recvs = grown;
        msglog_recv_cap = cap;
    }
    s = strdup(sid);
    if (s == NULL || (lmeta > 0 && (m = malloc(lmeta)) == NULL)) {
        free(s);
        msglog_dropped++;
        return;
    }
    if (m != NULL)
        memcpy(m, meta, lmeta);
    msglog_recvs[msglog_nrecv].sid = s;
    msglog_recvs[msglog_nrecv].meta = m;
    msglog_nrecv++;
}

void msglog_out(int via, int ack, const char *sid, const char *meta,
                const char *nsp, const char *channel, const char *to,
                const char *except, long recipients, int64_t ack_id,
                const char *json, size_t len, struct frame *const *attach,
                unsigned nattach)
{
    size_t i;

    if (!msglog_enabled)
        return;
    if (msglog_nrecv == 0) {
        msglog_push(msglog_row_new(1, ack, via, sid, meta, nsp, channel, to,
                                   except, recipients, ack_id, json, len,
                                   attach, nattach));
        return;
    }
    for (i = 0; i < msglog_nrecv; i++)
        msglog_push(msglog_row_new(1, ack, via, msglog_recvs[i].sid,
                                   msglog_recvs[i].meta, nsp, channel, to,
                                   except, recipients, ack_id, json, len,
                                   attach, nattach));
    msglog_recv_clear();
}

void msglog_get_stats(struct msglog_stats *st)
{
    st->logged = __atomic_load_n(&msglog_logged, __ATOMIC_RELAXED);
    st->errors = __atomic_load_n(&msglog_errors, __ATOMIC_RELAXED);
    st->dropped = msglog_dropped;
    st->truncated = msglog_truncated;
}

const char *msglog_path(void) { return msglog_abspath; }

void msglog_mark(struct msglog_mark *m)
{
    /* Only the loop's thread changes either, so no lock. */
    m->queued = msglog_q.seq;
    m->dropped = msglog_dropped;
}

uint64_t msglog_written(void)
{
    return __atomic_load_n(&msglog_done, __ATOMIC_SEQ_CST);
}

static void msglog_efd_cb(evutil_socket_t fd, short what, void *arg)
{
    uint64_t n;

    (void)what;
    (void)arg;
    if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
        log_warn("message log: eventfd: %s", strerror(errno));
    if (msglog_written_fn != NULL)
        msglog_written_fn(msglog_written_arg);
}

int msglog_notify(struct event_base *base, msglog_written_cb cb, void *arg,
                  const char **cause)
{
    msglog_written_fn = cb;
    msglog_written_arg = arg;
    if (msglog_efd >= 0)
        return 0;
    msglog_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (msglog_efd < 0) {
        *cause = strerror(errno);
        return -1;
    }
    msglog_efd_ev =
        event_new(base, msglog_efd, EV_READ | EV_PERSIST, msglog_efd_cb, NULL);
    if (msglog_efd_ev == NULL || event_add(msglog_efd_ev, NULL) != 0) {
        event_free(msglog_efd_ev);
        msglog_efd_ev = NULL;
        close(msglog_efd);
        msglog_efd = -1;
        *cause = "cannot watch the eventfd";
        return -1;
    }
    return 0;
}

int msglog_want(uint64_t seq)
{
    __atomic_store_n(&msglog_wanted, seq, __ATOMIC_SEQ_CST);
    if (msglog_written() >= seq)
        return 1;
    /* The writer may be napping after a batch: a waiting caller should not
     * wait for the nap to end. */
    pthread_mutex_lock(&msglog_q.lock);
    pthread_cond_signal(&msglog_q.cond);
    pthread_mutex_unlock(&msglog_q.lock);
    return 0;
}

int msglog_committed(uint64_t lo, uint64_t hi)
{
    unsigned i;
    int ok = 1;

    if (hi <= lo)
        return 1;
    pthread_mutex_lock(&msglog_q.lock);
    for (i = 0; i < msglog_q.nfailed && ok; i++)
        if (msglog_q.failed[i].lo <= hi && msglog_q.failed[i].hi > lo)
            ok = 0;
    pthread_mutex_unlock(&msglog_q.lock);
    return ok;
}

/* ---- the writer's side ---- */

struct msglog_render {
    const struct msglog_row *r;
    const char *time;
    const char *event;
    size_t event_len;
};

static int msglog_key(const char *key, size_t klen, const char *name)
{
    return strlen(name) == klen && memcmp(key, name, klen) == 0;
}

static const char *msglog_str(const char *s, size_t *vlen)
{
    if (s == NULL)
        return NULL;
    *vlen = strlen(s);
    return s;
}

static const char *msglog_lookup(void *arg, const char *key, size_t klen,
                                 size_t *vlen)
{
    const struct msglog_render *x = arg;
    const struct msglog_row *r = x->r;

    if (msglog_key(key, klen, "MESSAGE")) {
        *vlen = r->json_len;
        return r->json;
    }
    if (msglog_key(key, klen, "TIME"))
        return msglog_str(x->time, vlen);
    if (msglog_key(key, klen, "SID"))
        return msglog_str(r->sid, vlen);
    if (msglog_key(key, klen, "NAMESPACE"))
        return msglog_str(r->nsp, vlen);
    if (msglog_key(key, klen, "CHANNEL"))
        return msglog_str(r->channel, vlen);
    if (msglog_key(key, klen, "EVENT")) {
        *vlen = x->event_len;
        return x->event;
    }
    if (msglog_key(key, klen, "DIRECTION"))
        return msglog_str(r->out ? "out" : "in", vlen);
    /* django-socketio's name for what its line was about: "message",
     * "subscribe", "unsubscribe" there, the event name (or "ack") here. */
    if (msglog_key(key, klen, "TYPE")) {
        if (x->event == NULL)
            return msglog_str(r->ack ? "ack" : "event", vlen);
        *vlen = x->event_len;
        return x->event;
    }
    /* Credentials stay out of the log unless asked for. */
    if ((msglog_key(key, klen, "HTTP_COOKIE") ||
         msglog_key(key, klen, "HTTP_AUTHORIZATION")) &&
        !msglog_cfg.cookies)
        return NULL;
    return logfmt_meta(r->meta, key, klen, vlen);
}

/* The event name: the first element of the JSON array when it is a
 * string. Sets *owned when the result was unescaped into memory to free. */
static const char *msglog_event_name(const char *json, size_t len, size_t *elen,
                                     char **owned)
{
    size_t i = 0, start;
    int escaped = 0;
    cJSON *s;

    *owned = NULL;
    while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' ||
                       json[i] == '\r'))
        i++;
    if (i >= len || json[i++] != '[')
        return NULL;
    while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' ||
                       json[i] == '\r'))
        i++;
    if (i >= len || json[i] != '"')
        return NULL;
    start = ++i;
    for (; i < len && json[i] != '"'; i++) {
        if (json[i] == '\\') {
            escaped = 1;
            i++;
        }
    }
    if (i >= len)
        return NULL;
    if (!escaped) {
        *elen = i - start;
        return json + start;
    }
    s = cJSON_ParseWithLength(json + start - 1, i - start + 2);
    if (cJSON_IsString(s) && (*owned = strdup(s->valuestring)) != NULL)
        *elen = strlen(*owned);
    cJSON_Delete(s);
    return *owned;
}

static void msglog_bind_text(int col, const char *s, size_t n)
{
    if (s == NULL)
        sqlite3_bind_null(msglog_insert, col);
    else
        sqlite3_bind_text(msglog_insert, col, s, (int)n, SQLITE_STATIC);
}

static int msglog_write_row(const struct msglog_row *r, struct buf *line,
                            struct buf *att)
{
    struct msglog_render x;
    char tbuf[32], *owned = NULL;
    const char *kind, *addr;
    size_t alen = 0;
    struct tm tm;
    time_t secs = (time_t)(r->time_us / 1000000);
    unsigned i;
    int rc;

    localtime_r(&secs, &tm);
    strftime(tbuf, sizeof tbuf, "%Y-%m-%d %H:%M:%S", &tm);
    x.r = r;
    x.time = tbuf;
    x.event_len = 0;
    x.event =
        r->ack ? NULL
               : msglog_event_name(r->json, r->json_len, &x.event_len, &owned);
    kind = r->ack ? "ack"
           : (x.event != NULL && x.event_len == 7 &&
              memcmp(x.event, "message", 7) == 0)
               ? "message"
               : "event";
    buf_reset(line);
    if (logfmt_render(line, msglog_format, strlen(msglog_format), msglog_lookup,
                      &x) != 0)
        buf_reset(line);
    buf_reset(att);
    for (i = 0; i < r->nattach; i++)
        buf_printf(att, "%s%u", i ? "," : "[", r->attach_len[i]);
    if (r->nattach > 0)
        buf_putc(att, ']');
    addr = logfmt_meta(r->meta, "REMOTE_ADDR", 11, &alen);

    sqlite3_bind_int64(msglog_insert, 1, r->time_us);
    msglog_bind_text(2, r->out ? "out" : "in", r->out ? 3 : 2);
    msglog_bind_text(3, kind, strlen(kind));
    msglog_bind_text(4, msglog_via_names[r->via],
                     strlen(msglog_via_names[r->via]));
    msglog_bind_text(5, r->sid, msglog_slen(r->sid) - (r->sid != NULL));
    msglog_bind_text(6, r->nsp ? r->nsp : "/", r->nsp ? strlen(r->nsp) : 1);
    msglog_bind_text(7, r->channel, r->channel ? strlen(r->channel) : 0);
    msglog_bind_text(8, x.event, x.event_len);
    if (r->ack_id >= 0)
        sqlite3_bind_int64(msglog_insert, 9, r->ack_id);
    else
        sqlite3_bind_null(msglog_insert, 9);
    msglog_bind_text(10, r->json, r->json_len);
    msglog_bind_text(11, r->nattach ? att->data : NULL, att->len);
    if (r->out)
        sqlite3_bind_int64(msglog_insert, 12, r->recipients);
    else
        sqlite3_bind_null(msglog_insert, 12);
    msglog_bind_text(13, r->to, r->to ? strlen(r->to) : 0);
    msglog_bind_text(14, r->except, r->except ? strlen(r->except) : 0);
    msglog_bind_text(15, addr, alen);
    msglog_bind_text(16, line->data ? line->data : "", line->len);
    rc = sqlite3_step(msglog_insert);
    sqlite3_reset(msglog_insert);
    sqlite3_clear_bindings(msglog_insert);
    free(owned);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Errors since the last good write (the writer's thread). */
static unsigned long msglog_failing;

static void msglog_error(const char *what)
{
    int e = sqlite3_system_errno(msglog_db);

    /* The first error of a spell, then one in a thousand: a full disk must
     * not flood the log. SQLite keeps the system's reason only for some
     * errors (not for ENOSPC, which it reports as SQLITE_FULL). */
    if (msglog_failing++ % 1000 == 0)
        log_warn("message log %s: %s: %s%s%s%s", msglog_abspath, what,
                 sqlite3_errmsg(msglog_db), e ? " (" : "", e ? strerror(e) : "",
                 e ? ")" : "");
}

/* Records rows lo..hi as lost (the writer's thread). */
static void msglog_lost(uint64_t lo, uint64_t hi)
{
    struct msglog_span *f = msglog_q.failed;

    pthread_mutex_lock(&msglog_q.lock);
    if (msglog_q.nfailed > 0 && f[msglog_q.nfailed - 1].hi + 1 >= lo) {
        f[msglog_q.nfailed - 1].hi = hi;
    } else {
        if (msglog_q.nfailed == MSGLOG_MAX_SPANS) {
            f[1].lo = f[0].lo;
            memmove(f, f + 1, (MSGLOG_MAX_SPANS - 1) * sizeof *f);
            msglog_q.nfailed--;
        }
        f[msglog_q.nfailed].lo = lo;
        f[msglog_q.nfailed].hi = hi;
        msglog_q.nfailed++;
    }
    pthread_mutex_unlock(&msglog_q.lock);
}

/* Publishes that rows up to `seq` are written, and tells the loop when it
 * waits for one of them. */
static void msglog_publish(uint64_t seq)
{
    uint64_t want, one = 1;

    __atomic_store_n(&msglog_done, seq, __ATOMIC_SEQ_CST);
    want = __atomic_load_n(&msglog_wanted, __ATOMIC_SEQ_CST);
    if (want != 0 && want <= seq && msglog_efd >= 0 &&
        __atomic_compare_exchange_n(&msglog_wanted, &want, 0, 0,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
        write(msglog_efd, &one, sizeof one) < 0)
        log_warn("message log: eventfd: %s", strerror(errno));
}

static void msglog_write(struct msglog_row *list, struct buf *line,
                         struct buf *att)
{
    struct msglog_row *r;
    uint64_t ok = 0, bad = 0, first = list->seq, last = first;
    int begun;

    begun = sqlite3_exec(msglog_db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    if (!begun)
        msglog_error("BEGIN");
    while ((r = list) != NULL) {
        list = r->next;
        last = r->seq;
        if (begun && msglog_write_row(r, line, att) == 0) {
            ok++;
        } else {
            if (begun)
                msglog_error("INSERT");
            bad++;
            msglog_lost(r->seq, r->seq);
        }
        free(r);
    }
    if (begun &&
        sqlite3_exec(msglog_db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        msglog_error("COMMIT");
        sqlite3_exec(msglog_db, "ROLLBACK", NULL, NULL, NULL);
        bad += ok;
        ok = 0;
        msglog_lost(first, last);
    }
    __atomic_add_fetch(&msglog_logged, ok, __ATOMIC_RELAXED);
    __atomic_add_fetch(&msglog_errors, bad, __ATOMIC_RELAXED);
    if (ok > 0 && msglog_failing > 0) {
        log_warn("message log %s: writing again (%llu rows lost so far)",
                 msglog_abspath,
                 (unsigned long long)__atomic_load_n(&msglog_errors,
                                                     __ATOMIC_RELAXED));
        msglog_failing = 0;
    }
    msglog_publish(last);
}

/* Deletes rows past the age and count limits. */
static void msglog_retain(void)
{
    sqlite3_stmt *st;

    if (msglog_cfg.max_age > 0 &&
        sqlite3_prepare_v2(msglog_db, "DELETE FROM messages WHERE time_us < ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(
            st, 1, msglog_now_us() - (int64_t)msglog_cfg.max_age * 1000000);
        if (sqlite3_step(st) != SQLITE_DONE)
            msglog_error("retention by age");
        sqlite3_finalize(st);
    }
    if (msglog_cfg.max_rows > 0 &&
        sqlite3_prepare_v2(msglog_db,
                           "DELETE FROM messages WHERE id <= (SELECT id FROM "
                           "messages ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)msglog_cfg.max_rows);
        if (sqlite3_step(st) != SQLITE_DONE)
            msglog_error("retention by rows");
        sqlite3_finalize(st);
    }
}

static void *msglog_main(void *arg)
{
    struct buf line = BUF_INIT, att = BUF_INIT;
    struct msglog_row *list;
    struct timespec ts;
    time_t last = 0, now;
    int stop, rc, busy = 0;

    (void)arg;
    for (;;) {
        pthread_mutex_lock(&msglog_q.lock);
        if (busy && msglog_q.head == NULL && !msglog_q.stop) {
            /* A nap after a batch: rows gather without waking us. */
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += MSGLOG_NAP_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&msglog_q.cond, &msglog_q.lock, &ts);
        }
        while (msglog_q.head == NULL && !msglog_q.stop) {
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1; /* retention runs even when nothing is logged */
            msglog_q.waiting = 1;
            rc = pthread_cond_timedwait(&msglog_q.cond, &msglog_q.lock, &ts);
            msglog_q.waiting = 0;
            if (rc == ETIMEDOUT)
                break;
        }
        list = msglog_q.head;
        msglog_q.head = msglog_q.tail = NULL;
        msglog_q.count = 0;
        msglog_q.bytes = 0;
        stop = msglog_q.stop;
        pthread_mutex_unlock(&msglog_q.lock);
        busy = list != NULL;
        if (list != NULL)
            msglog_write(list, &line, &att);
        now = time(NULL);
        if ((msglog_cfg.max_age > 0 || msglog_cfg.max_rows > 0) &&
            now != last) {
            last = now;
            msglog_retain();
        }
        if (stop && list == NULL)
            break;
    }
    buf_free(&line);
    buf_free(&att);
    return NULL;
}

/* ---- set-up and shutdown ---- */

int msglog_setup(const struct msglog_config *cfg, const char **cause)
{
    sigset_t all, old;
    sqlite3_stmt *st = NULL;
    const char *mode = NULL;
    int ok;

    if (logfmt_disabled(cfg->format))
        return 0;
    msglog_cfg = *cfg;
    if (msglog_cfg.path == NULL || msglog_cfg.path[0] == '\0')
        msglog_cfg.path = MSGLOG_DEFAULT_PATH;
    msglog_q.max = cfg->queue ? cfg->queue : MSGLOG_DEFAULT_QUEUE;
    msglog_q.kick = msglog_q.max / 4 ? msglog_q.max / 4 : 1;
    msglog_q.stop = 0; /* a set-up after a shutdown (the unit tests) */
    msglog_format = strdup(cfg->format);
    if (msglog_format == NULL) {
        *cause = "out of memory";
        return -1;
    }
    if (sqlite3_open_v2(msglog_cfg.path, &msglog_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(msglog_db, 5000);
    /* WAL: readers (socketioctl log) never block the writer, and a crash
     * loses at most the transaction being written. */
    if (sqlite3_prepare_v2(msglog_db, "PRAGMA journal_mode=WAL", -1, &st,
                           NULL) != SQLITE_OK)
        goto fail;
    ok = sqlite3_step(st) == SQLITE_ROW &&
         (mode = (const char *)sqlite3_column_text(st, 0)) != NULL &&
         strcmp(mode, "wal") == 0;
    sqlite3_finalize(st);
    if (!ok) {
        *cause = "cannot switch the database to WAL mode";
        goto fail_cause;
    }
    if (sqlite3_exec(msglog_db, "PRAGMA synchronous=NORMAL", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(msglog_db, msglog_schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(msglog_db, msglog_insert_sql, -1, &msglog_insert,
                           NULL) != SQLITE_OK)
        goto fail;
    msglog_abspath = realpath(msglog_cfg.path, NULL);
    if (msglog_abspath == NULL)
        msglog_abspath = strdup(msglog_cfg.path);
    msglog_retain();
    /* Signals belong to the loop's thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    ok = pthread_create(&msglog_thread, NULL, msglog_main, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ok) {
        *cause = "cannot start the writer thread";
        goto fail_cause;
    }
    msglog_running = 1;
    msglog_per_receiver = cfg->per_receiver;
    msglog_enabled = 1;
    log_info("message log %s (queue %lu rows)", msglog_abspath, msglog_q.max);
    return 0;
fail:
    *cause = msglog_db ? sqlite3_errmsg(msglog_db) : "out of memory";
fail_cause:
    /* start-up only: the caller exits, the message must survive us */
    {
        static char why[256];
        snprintf(why, sizeof why, "%s: %s", msglog_cfg.path, *cause);
        *cause = why;
    }
    sqlite3_finalize(msglog_insert);
    msglog_insert = NULL;
    sqlite3_close(msglog_db);
    msglog_db = NULL;
    free(msglog_format);
    msglog_format = NULL;
    free(msglog_abspath);
    msglog_abspath = NULL;
    return -1;
}

void msglog_shutdown(void)
{
    msglog_enabled = 0;
    msglog_written_fn = NULL;
    msglog_recv_clear();
    free(msglog_recvs);
    msglog_recvs = NULL;
    msglog_recv_cap = 0;
    if (msglog_running) {
        pthread_mutex_lock(&msglog_q.lock);
        msglog_q.stop = 1;
        pthread_cond_signal(&msglog_q.cond);
        pthread_mutex_unlock(&msglog_q.lock);
        pthread_join(msglog_thread, NULL);
        msglog_running = 0;
        log_info("message log: %llu rows written, %llu dropped",
                 (unsigned long long)msglog_logged,
                 (unsigned long long)msglog_dropped);
    }
    if (msglog_efd_ev != NULL) {
        event_free(msglog_efd_ev);
        msglog_efd_ev = NULL;
    }
    if (msglog_efd >= 0) {
        close(msglog_efd);
        msglog_efd = -1;
    }
    /* Numbering starts again with a new set-up (the unit tests). */
    msglog_q.seq = 0;
    msglog_q.nfailed = 0;
    msglog_done = 0;
    msglog_wanted = 0;
    sqlite3_finalize(msglog_insert);
    msglog_insert = NULL;
    if (msglog_db != NULL && sqlite3_close(msglog_db) != SQLITE_OK)
        log_warn("message log: close: %s", sqlite3_errmsg(msglog_db));
    msglog_db = NULL;
    free(msglog_format);
    msglog_format = NULL;
    free(msglog_abspath);
    msglog_abspath = NULL;
}
