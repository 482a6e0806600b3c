/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* journal: disconnects owed to an application that was down, kept (in
 * memory, and in SQLite across a restart) and handed back, oldest first,
 * at a bounded rate, once the application answers again. */
#include "journal.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <cJSON.h>
#include <event2/event_struct.h>

#include "jsonv.h"
#include "log.h"

/* The key a late event carries, inserted before its "context". */
#define JOURNAL_CTX_KEY "\"context\":"
#define JOURNAL_LATE "\"late\":true,"

struct journal_stats journal_stats;

/* An outage that outlasts the bound drops many: a line a second. */
static struct log_summary journal_full = LOG_SUMMARY_INIT(
    "owed disconnects dropped: the journal is full (--journal-max, "
    "--journal-bytes)");

struct journal_entry {
    TAILQ_ENTRY(journal_entry) link;
    char *sid;
    char *doc; /* the request body as it was first sent */
    size_t len;
    size_t ctx_off; /* where its context starts; "context": just before */
    char *cookie, *remote, *host;
    size_t bytes;   /* counted against --journal-bytes */
    unsigned fails; /* 5xx answers while the app answered others */
};

static TAILQ_HEAD(,
                  journal_entry) journal_q = TAILQ_HEAD_INITIALIZER(journal_q);
static struct journal_config journal_cfg;
static struct event_base *journal_base;
static journal_deliver_cb journal_deliver;
static void *journal_arg;
static struct event journal_timer;
static int journal_on;
static int journal_down;    /* the last request to the app failed */
static int journal_busy;    /* the first entry is with the deliverer */
static int journal_stopped; /* SIGTERM: no new delivery */
static int journal_seen_up; /* a request was answered since the last try */
static struct timeval journal_last; /* when the last delivery started */
static char *journal_head;          /* the late body being delivered */
static sqlite3 *journal_db;
static int journal_file_rows;      /* rows taken back that the file still has */
static unsigned journal_from_file; /* of them, still in the queue */

/* ---- the queue ---- */

static void journal_entry_free(struct journal_entry *e)
{
    free(e->sid);
    free(e->doc);
    free(e->cookie);
    free(e->remote);
    free(e->host);
    free(e);
}

static size_t journal_slen(const char *s) { return s != NULL ? strlen(s) : 0; }

/* Appends an entry (the strings are copied); -1 past a bound or without
 * memory, counted as dropped. */
static int journal_add(const char *sid, const char *doc, size_t len,
                       size_t ctx_off, const char *cookie, const char *remote,
                       const char *host)
{
    struct journal_entry *e;
    size_t bytes = len + strlen(sid) + journal_slen(cookie) +
                   journal_slen(remote) + journal_slen(host);

    if (journal_stats.pending >= journal_cfg.max ||
        bytes > journal_cfg.max_bytes ||
        journal_stats.pending_bytes > journal_cfg.max_bytes - bytes) {
        journal_stats.dropped++;
        log_countf(&journal_full, NULL, sid, "%llu kept, %llu bytes",
                   (unsigned long long)journal_stats.pending,
                   (unsigned long long)journal_stats.pending_bytes);
        return -1;
    }
    e = calloc(1, sizeof *e);
    if (e == NULL || (e->sid = strdup(sid)) == NULL ||
        (e->doc = malloc(len)) == NULL ||
        (cookie && (e->cookie = strdup(cookie)) == NULL) ||
        (remote && (e->remote = strdup(remote)) == NULL) ||
        (host && (e->host = strdup(host)) == NULL)) {
        if (e != NULL)
            journal_entry_free(e);
        journal_stats.dropped++;
        log_warn_at(NULL, sid,
                    "journal: out of memory: the disconnect is "
                    "dropped");
        return -1;
    }
    memcpy(e->doc, doc, len);
    e->len = len;
    e->ctx_off = ctx_off;
    e->bytes = bytes;
    TAILQ_INSERT_TAIL(&journal_q, e, link);
    journal_stats.pending++;
    journal_stats.pending_bytes += bytes;
    return 0;
}

static void journal_remove_first(void)
{
    struct journal_entry *e = TAILQ_FIRST(&journal_q);

    TAILQ_REMOVE(&journal_q, e, link);
    journal_stats.pending--;
    journal_stats.pending_bytes -= e->bytes;
    journal_entry_free(e);
}

/* ---- delivering ---- */

/* Arms the timer for the next delivery: at the rate while the app
 * answers, after the probe interval while it is down. */
static void journal_schedule(void)
{
    struct timeval now, due, wait = {0, 0};
    long us;

    if (!journal_on || journal_stopped || journal_busy ||
        TAILQ_EMPTY(&journal_q))
        return;
    if (journal_down) {
        wait.tv_sec = journal_cfg.probe_ms / 1000;
        wait.tv_usec = (long)(journal_cfg.probe_ms % 1000) * 1000;
    } else {
        us = 1000000L / (long)(journal_cfg.rate ? journal_cfg.rate : 1);
        due.tv_sec = journal_last.tv_sec + us / 1000000;
        due.tv_usec = journal_last.tv_usec + us % 1000000;
        if (due.tv_usec >= 1000000) {
            due.tv_sec++;
            due.tv_usec -= 1000000;
        }
        event_base_gettimeofday_cached(journal_base, &now);
        if (evutil_timercmp(&due, &now, >))
            evutil_timersub(&due, &now, &wait);
    }
    evtimer_del(&journal_timer);
    evtimer_add(&journal_timer, &wait);
}

/* Hands the oldest entry to the deliverer, marked late. */
static void journal_fire(evutil_socket_t fd, short what, void *arg)
{
    struct journal_entry *e = TAILQ_FIRST(&journal_q);
    struct journal_event ev;
    size_t pre;

    (void)fd;
    (void)what;
    (void)arg;
    if (e == NULL || journal_busy || journal_stopped)
        return;
    /* The stored body ends its head in "context":; the late one says
     * "late":true just before it. */
    pre = e->ctx_off - (sizeof JOURNAL_CTX_KEY - 1);
    free(journal_head);
    journal_head = malloc(e->ctx_off + sizeof JOURNAL_LATE);
    if (journal_head == NULL) {
        journal_down = 1;
        journal_schedule();
        return;
    }
    memcpy(journal_head, e->doc, pre);
    memcpy(journal_head + pre, JOURNAL_LATE, sizeof JOURNAL_LATE - 1);
    memcpy(journal_head + pre + sizeof JOURNAL_LATE - 1, JOURNAL_CTX_KEY,
           sizeof JOURNAL_CTX_KEY - 1);
    memset(&ev, 0, sizeof ev);
    ev.sid = e->sid;
    ev.head = journal_head;
    ev.head_len = e->ctx_off + sizeof JOURNAL_LATE - 1;
    ev.ctx = e->doc + e->ctx_off;
    ev.ctx_len = e->len - 1 - e->ctx_off;
    if (ev.ctx_len == 4 && memcmp(ev.ctx, "null", 4) == 0)
        ev.ctx = NULL;
    ev.cookie = e->cookie;
    ev.remote = e->remote;
    ev.host = e->host;
    event_base_gettimeofday_cached(journal_base, &journal_last);
    journal_busy = 1;
    journal_seen_up = 0;
    if (journal_deliver(journal_arg, &ev) != 0) {
        journal_busy = 0;
        journal_down = 1;
        journal_schedule();
    }
}

/* The rows the file gave at start-up are all delivered: forget them there
 * too, so that a kill -9 later does not bring them back. This runs once per
 * restart; a short busy wait keeps the loop going if another writer holds
 * the file (then the rows go at the next clean exit). */
static void journal_forget_file_rows(void)
{
    if (journal_db == NULL || !journal_file_rows)
        return;
    sqlite3_busy_timeout(journal_db, 100);
    if (sqlite3_exec(journal_db, "DELETE FROM journal_events", NULL, NULL,
                     NULL) == SQLITE_OK)
        journal_file_rows = 0;
    else
        log_warn("journal: %s: %s", journal_cfg.state_file,
                 sqlite3_errmsg(journal_db));
    sqlite3_busy_timeout(journal_db, 5000);
}

void journal_settle(enum journal_outcome outcome)
{
    if (!journal_busy)
        return;
    journal_busy = 0;
    switch (outcome) {
    case JOURNAL_DELIVERED:
        journal_stats.delivered++;
        journal_down = 0;
        break;
    case JOURNAL_REFUSED:
        journal_stats.refused++;
        journal_down = 0;
        log_warn_at(NULL, TAILQ_FIRST(&journal_q)->sid,
                    "journal: the application refused a late disconnect; "
                    "it is dropped");
        break;
    case JOURNAL_FAILED:
        if (journal_seen_up &&
            ++TAILQ_FIRST(&journal_q)->fails >= JOURNAL_MAX_FAILS) {
            journal_stats.refused++;
            log_warn_at(NULL, TAILQ_FIRST(&journal_q)->sid,
                        "journal: a late disconnect failed %d times while "
                        "the application answered others; it is dropped",
                        JOURNAL_MAX_FAILS);
            break;
        }
        /* fall through */
    case JOURNAL_DOWN:
        journal_down = 1;
        journal_schedule();
        return;
    }
    journal_remove_first();
    if (journal_from_file > 0 && --journal_from_file == 0)
        journal_forget_file_rows();
    if (TAILQ_EMPTY(&journal_q))
        log_info("journal: every owed disconnect is delivered");
    journal_schedule();
}

int journal_put(const char *sid, const char *doc, size_t len, size_t ctx_off,
                const char *cookie, const char *remote, const char *host)
{
    if (!journal_on)
        return -1;
    if (len < 2 || ctx_off < sizeof JOURNAL_CTX_KEY - 1 || ctx_off >= len ||
        memcmp(doc + ctx_off - (sizeof JOURNAL_CTX_KEY - 1), JOURNAL_CTX_KEY,
               sizeof JOURNAL_CTX_KEY - 1) != 0 ||
        doc[len - 1] != '}')
        return -1;
    if (journal_add(sid, doc, len, ctx_off, cookie, remote, host) != 0)
        return -1;
    journal_stats.journaled++;
    if (!journal_down)
        log_warn("journal: the application is down; disconnects are kept "
                 "for it (probing every %u ms)",
                 journal_cfg.probe_ms);
    journal_down = 1;
    journal_schedule();
    return 0;
}

void journal_app_up(void)
{
    journal_seen_up = 1;
    if (!journal_down || !journal_on)
        return;
    journal_down = 0;
    if (!TAILQ_EMPTY(&journal_q))
        log_info("journal: the application answers again; delivering %llu "
                 "late disconnects at %u a second",
                 (unsigned long long)journal_stats.pending, journal_cfg.rate);
    if (!journal_busy) {
        evtimer_del(&journal_timer);
        journal_schedule();
    }
}

void journal_ignored(unsigned nactions)
{
    journal_stats.ignored_actions += nactions;
}

void journal_stop(void)
{
    journal_stopped = 1;
    if (journal_on)
        evtimer_del(&journal_timer);
}

/* ---- the state file ---- */

/* A string from the file: printable, bounded, or NULL. */
static int journal_meta_ok(const char *s, int n, const char *extra)
{
    int i;

    if (n < 0 || n > JOURNAL_MAX_META || memchr(s, '\0', (size_t)n) != NULL)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return 0;
        if (extra != NULL && !(c >= '0' && c <= '9') &&
            !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
            strchr(extra, c) == NULL)
            return 0;
    }
    return 1;
}

static const char *journal_col(sqlite3_stmt *st, int col, const char *extra,
                               int *ok)
{
    const char *s;

    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    s = (const char *)sqlite3_column_text(st, col);
    if (s == NULL || !journal_meta_ok(s, sqlite3_column_bytes(st, col), extra))
        *ok = 0;
    return s;
}

/* The members of a body read back: what the daemon builds, with their
 * types (the adapters take them as they come), each once. Members of a
 * later version are let through, at most JOURNAL_MAX_MEMBERS in all. */
#define JOURNAL_MAX_MEMBERS 64

static int journal_members_ok(const cJSON *doc)
{
    static const struct {
        const char *name;
        int (*is)(const cJSON *const);
    } want[] = {
        {"type", cJSON_IsString},      {"sid", cJSON_IsString},
        {"eio_sid", cJSON_IsString},   {"namespace", cJSON_IsString},
        {"transport", cJSON_IsString}, {"protocol", cJSON_IsNumber},
        {"time", cJSON_IsNumber},      {"handshake", cJSON_IsObject},
        {"reason", cJSON_IsString},
    };
    const cJSON *m, *o, *h;
    size_t i, count = 0;

    for (m = doc->child; m != NULL; m = m->next) {
        if (++count > JOURNAL_MAX_MEMBERS || m->string == NULL)
            return 0;
        for (o = doc->child; o != m; o = o->next)
            if (strcmp(o->string, m->string) == 0)
                return 0;
    }
    for (i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!want[i].is(cJSON_GetObjectItemCaseSensitive(doc, want[i].name)))
            return 0;
    h = cJSON_GetObjectItemCaseSensitive(doc, "handshake");
    for (m = h->child; m != NULL; m = m->next)
        if (!cJSON_IsString(m))
            return 0;
    return 1;
}

int journal_row_check(const char *body, size_t n, size_t max,
                      struct journal_row *row)
{
    cJSON *doc = NULL, *ctx = NULL, *sid, *v;
    char *head = NULL, *ctxs = NULL;
    size_t hl, cl, i;
    int rc = -1;

    memset(row, 0, sizeof *row);
    /* Strict JSON first: cJSON would take bytes browsers refuse (raw
     * control characters, bad UTF-8) and pass them on. */
    if (body == NULL || n == 0 || n > max || !jsonv_valid(body, n))
        return -1;
    doc = cJSON_ParseWithLength(body, n);
    if (!cJSON_IsObject(doc) || !journal_members_ok(doc) ||
        !cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc, "type")) ||
        strcmp(v->valuestring, "disconnect") != 0 ||
        !cJSON_IsString(sid = cJSON_GetObjectItemCaseSensitive(doc, "sid")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "namespace")) ||
        !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "time")) ||
        cJSON_GetObjectItemCaseSensitive(doc, "late") != NULL ||
        (ctx = cJSON_DetachItemFromObjectCaseSensitive(doc, "context")) == NULL)
        goto done;
    hl = strlen(sid->valuestring);
    if (hl == 0 || hl > JOURNAL_MAX_SID ||
        !journal_meta_ok(sid->valuestring, (int)hl, "-_."))
        goto done;
    if ((row->sid = strdup(sid->valuestring)) == NULL)
        goto done;
    head = cJSON_PrintUnformatted(doc);
    ctxs = cJSON_PrintUnformatted(ctx);
    if (head == NULL || ctxs == NULL)
        goto done;
    hl = strlen(head);
    cl = strlen(ctxs);
    /* head is "{...}" with at least a type: drop its brace, add
     * ,"context":<ctx>} */
    row->doc = malloc(hl + sizeof JOURNAL_CTX_KEY + cl + 2);
    if (row->doc == NULL || hl < 3)
        goto done;
    memcpy(row->doc, head, hl - 1);
    i = hl - 1;
    row->doc[i++] = ',';
    memcpy(row->doc + i, JOURNAL_CTX_KEY, sizeof JOURNAL_CTX_KEY - 1);
    i += sizeof JOURNAL_CTX_KEY - 1;
    row->ctx_off = i;
    memcpy(row->doc + i, ctxs, cl);
    row->doc[i + cl] = '}';
    row->doc[i + cl + 1] = '\0';
    row->len = i + cl + 1;
    rc = 0;
done:
    if (rc != 0)
        journal_row_free(row);
    cJSON_free(head);
    cJSON_free(ctxs);
    cJSON_Delete(ctx);
    cJSON_Delete(doc);
    return rc;
}

void journal_row_free(struct journal_row *row)
{
    free(row->sid);
    free(row->doc);
    memset(row, 0, sizeof *row);
}

/* Takes back one row of the file (doc, cookie, remote, host). Returns 0,
 * -1 when malformed (counted), -2 past the bound (counted there). */
static int journal_take_row(sqlite3_stmt *st)
{
    const char *body = (const char *)sqlite3_column_blob(st, 0);
    int n = sqlite3_column_bytes(st, 0), ok = 1, rc;
    const char *cookie = journal_col(st, 1, NULL, &ok);
    const char *remote = journal_col(st, 2, ".:", &ok);
    const char *host = journal_col(st, 3, ".-_:[]", &ok);
    struct journal_row row;

    if (!ok || n <= 0 ||
        journal_row_check(body, (size_t)n, journal_cfg.max_bytes, &row) != 0) {
        journal_stats.bad_rows++;
        return -1;
    }
    rc = journal_add(row.sid, row.doc, row.len, row.ctx_off, cookie, remote,
                     host);
    journal_row_free(&row);
    if (rc != 0)
        return -2;
    journal_stats.loaded++;
    return 0;
}

static int journal_open(const char **cause)
{
    sqlite3_stmt *st = NULL;
    int rc, rows = 0;

    if (sqlite3_open_v2(journal_cfg.state_file, &journal_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(journal_db, 5000);
    if (sqlite3_exec(journal_db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(journal_db,
                     "CREATE TABLE IF NOT EXISTS journal_events ("
                     "seq INTEGER PRIMARY KEY, doc BLOB NOT NULL, "
                     "cookie TEXT, remote TEXT, host TEXT)",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(journal_db,
                           "SELECT doc, cookie, remote, host FROM "
                           "journal_events ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    /* Past the bound the rows are only counted: a huge file costs a scan,
     * never memory. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows++;
        if (journal_stats.pending + journal_stats.bad_rows >= journal_cfg.max) {
            journal_stats.dropped++;
            continue;
        }
        journal_take_row(st);
    }
    if (rc != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    journal_file_rows = rows > 0;
    journal_from_file = (unsigned)journal_stats.pending;
    if (journal_from_file == 0)
        journal_forget_file_rows();
    if (rows > 0)
        log_notice("journal: %s: %llu owed disconnects taken back (%llu "
                   "rows refused, %llu past the bound)",
                   journal_cfg.state_file,
                   (unsigned long long)journal_stats.loaded,
                   (unsigned long long)journal_stats.bad_rows,
                   (unsigned long long)journal_stats.dropped);
    return 0;
fail:
    *cause = journal_db ? sqlite3_errmsg(journal_db) : "out of memory";
    sqlite3_finalize(st);
    return -1;
}

/* Replaces the file's rows with the queue, in one transaction. */
static void journal_save(void)
{
    struct journal_entry *e;
    sqlite3_stmt *st = NULL;
    int ok;

    ok = sqlite3_exec(journal_db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
             SQLITE_OK &&
         sqlite3_exec(journal_db, "DELETE FROM journal_events", NULL, NULL,
                      NULL) == SQLITE_OK &&
         sqlite3_prepare_v2(journal_db,
                            "INSERT INTO journal_events (doc, cookie, remote, "
                            "host) VALUES (?1, ?2, ?3, ?4)",
                            -1, &st, NULL) == SQLITE_OK;
    TAILQ_FOREACH(e, &journal_q, link)
    {
        if (!ok)
            break;
        sqlite3_bind_blob(st, 1, e->doc, (int)e->len, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, e->cookie, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, e->remote, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, e->host, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (ok &&
        sqlite3_exec(journal_db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
        if (journal_stats.pending > 0)
            log_notice("journal: %llu owed disconnects kept in %s",
                       (unsigned long long)journal_stats.pending,
                       journal_cfg.state_file);
        return;
    }
    log_warn("journal: %s: %s: %llu owed disconnects lost",
             journal_cfg.state_file, sqlite3_errmsg(journal_db),
             (unsigned long long)journal_stats.pending);
    sqlite3_exec(journal_db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- set-up ---- */

int journal_setup(struct event_base *base, const struct journal_config *cfg,
                  journal_deliver_cb deliver, void *arg, const char **cause)
{
    journal_base = base;
    journal_cfg = *cfg;
    if (journal_cfg.rate == 0)
        journal_cfg.rate = 1;
    journal_deliver = deliver;
    journal_arg = arg;
    evtimer_assign(&journal_timer, base, journal_fire, NULL);
    if (journal_cfg.state_file != NULL && journal_open(cause) != 0) {
        sqlite3_close(journal_db);
        journal_db = NULL;
        return -1;
    }
    journal_on = 1;
    journal_schedule(); /* what the file gave goes at once: the probe */
    return 0;
}

void journal_shutdown(void)
{
    if (!journal_on)
        return;
    journal_on = 0;
    evtimer_del(&journal_timer);
    if (journal_db != NULL) {
        journal_save();
        sqlite3_close(journal_db);
        journal_db = NULL;
    }
    while (!TAILQ_EMPTY(&journal_q))
        journal_remove_first();
    free(journal_head);
    journal_head = NULL;
    journal_busy = 0;
    journal_down = 0;
    journal_stopped = 0;
    journal_seen_up = 0;
    journal_file_rows = 0;
    journal_from_file = 0;
}
