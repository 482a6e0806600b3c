/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recstore: connection state recovery across a restart: the kept sessions,
 * the sockets connected, the ring of events and the pid key, in the state
 * file (SQLite, tables recovery_*), read back at start, written by a thread
 * every interval and once more at exit. */
#include "recstore.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <sqlite3.h>

#include "hub.h"
#include "jsonv.h"
#include "log.h"
#include "recover.h"
#include "sio.h"

/* What is read back is bounded: a longer name, list or text is refused. */
#define RECSTORE_MAX_NAME 1024
#define RECSTORE_MAX_ROOMS 100000
#define RECSTORE_MAX_TEXT (64u << 20)

/* The other tables of the file belong to others (the upstream journal):
 * only these are touched. */
static const char recstore_schema[] =
    "CREATE TABLE IF NOT EXISTS recovery_meta(k TEXT PRIMARY KEY, v BLOB);"
    "CREATE TABLE IF NOT EXISTS recovery_sessions(pid TEXT PRIMARY KEY, "
    "sid TEXT, nsp TEXT, channels TEXT, context TEXT, at_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS recovery_packets(ord INTEGER PRIMARY KEY, "
    "epoch INTEGER, seq INTEGER, at_ms INTEGER, nsp TEXT, sids_only "
    "INTEGER, rooms TEXT, except_rooms TEXT, json TEXT, nattach INTEGER);"
    "CREATE TABLE IF NOT EXISTS recovery_attachments(ord INTEGER, idx "
    "INTEGER, data BLOB, PRIMARY KEY(ord, idx));";

/* A copy of one packet, of one session: the writer never reads what the
 * loop may free. */
struct recstore_pkt {
    uint64_t ord, epoch, seq, at_ms;
    int sids_only;
    char *nsp, *rooms, *except, *json;
    size_t len;
    unsigned nattach;
    char **adata;
    size_t *alen;
};

struct recstore_sess {
    char pid[RECOVER_PID_RECORD_MAX + 1];
    char *sid, *nsp, *channels, *context;
    size_t context_len;
    uint64_t at_ms;
};

struct recstore_job {
    int full;            /* rewrite every packet */
    uint64_t del_before; /* packets older than the ring's oldest go */
    struct recstore_pkt *pkts;
    size_t npkts, cap_pkts;
    struct recstore_sess *sess;
    size_t nsess, cap_sess;
    uint64_t now_ms;
    int failed; /* out of memory while copying: not written */
};

struct recstore_stats recstore_stats;

static sqlite3 *recstore_db;
static uint64_t recstore_interval, recstore_last_tick;
static uint64_t recstore_saved_ord; /* the newest ord in the file */
static int recstore_full = 1;
static pthread_t recstore_thread;
static pthread_mutex_t recstore_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t recstore_cond = PTHREAD_COND_INITIALIZER;
static struct recstore_job *recstore_pending; /* handed to the writer */
static int recstore_busy, recstore_stop, recstore_write_failed;

static uint64_t recstore_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- reading back (start-up, before the loop) ---- */

static int recstore_name_ok(const char *s, size_t len)
{
    return s != NULL && len > 0 && len <= RECSTORE_MAX_NAME &&
           strlen(s) == len && sio_name_valid(s, len);
}

/* A JSON array text of at most RECSTORE_MAX_ROOMS valid names into a
 * malloc'd array of pointers into the returned tree. Returns the tree (or
 * NULL when invalid) and the array in *list (NULL when empty). */
static cJSON *recstore_names(const char *text, size_t len, const char ***list,
                             size_t *n)
{
    cJSON *doc, *it;
    const char **l = NULL;
    size_t i = 0, count;

    *list = NULL;
    *n = 0;
    if (text == NULL || len > RECSTORE_MAX_TEXT || !jsonv_valid(text, len) ||
        (doc = cJSON_ParseWithLength(text, len)) == NULL)
        return NULL;
    count = (size_t)cJSON_GetArraySize(doc);
    if (!cJSON_IsArray(doc) || count > RECSTORE_MAX_ROOMS ||
        (count > 0 && (l = calloc(count, sizeof *l)) == NULL))
        goto fail;
    cJSON_ArrayForEach(it, doc)
    {
        if (!cJSON_IsString(it) ||
            !recstore_name_ok(it->valuestring, strlen(it->valuestring)) ||
            i >= count)
            goto fail;
        l[i++] = it->valuestring;
    }
    *list = l;
    *n = i;
    return doc;
fail:
    free(l);
    cJSON_Delete(doc);
    return NULL;
}

static const char *recstore_text(sqlite3_stmt *st, int col, size_t *len)
{
    const char *s = (const char *)sqlite3_column_text(st, col);

    *len = s ? (size_t)sqlite3_column_bytes(st, col) : 0;
    return s;
}

/* The attachments of packet `ord` as new frames; -1 when they are not
 * exactly `n` (0..SIO_MAX_ATTACHMENTS) in order. */
static int recstore_attachments(sqlite3_stmt *st, uint64_t ord, unsigned n,
                                struct frame **out)
{
    unsigned got = 0;
    int rc;

    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)ord);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *d = sqlite3_column_blob(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        if (got >= n || sqlite3_column_int64(st, 0) != (sqlite3_int64)got ||
            (out[got] = frame_new(d ? d : "", (size_t)len)) == NULL)
            goto fail;
        got++;
    }
    if (rc == SQLITE_DONE && got == n)
        return 0;
fail:
    while (got > 0)
        frame_unref(out[--got]);
    return -1;
}

static int recstore_load_packet(sqlite3_stmt *st, sqlite3_stmt *att)
{
    struct frame *attach[SIO_MAX_ATTACHMENTS];
    struct recover_audience a;
    cJSON *rooms = NULL, *except = NULL;
    const char **rl = NULL, **el = NULL;
    const char *nsp, *json, *rt, *et;
    size_t nlen, jlen, rlen, elen, nr, ne;
    sqlite3_int64 ord = sqlite3_column_int64(st, 0),
                  epoch = sqlite3_column_int64(st, 1),
                  seq = sqlite3_column_int64(st, 2),
                  at = sqlite3_column_int64(st, 3),
                  nattach = sqlite3_column_int64(st, 9);
    int rc = -1;

    nsp = recstore_text(st, 4, &nlen);
    rt = recstore_text(st, 6, &rlen);
    et = recstore_text(st, 7, &elen);
    json = recstore_text(st, 8, &jlen);
    if (ord <= 0 || epoch < 0 || seq <= 0 || at < 0 || nattach < 0 ||
        nattach > SIO_MAX_ATTACHMENTS || !recstore_name_ok(nsp, nlen) ||
        json == NULL || jlen > RECSTORE_MAX_TEXT || !jsonv_valid(json, jlen) ||
        (rooms = recstore_names(rt, rlen, &rl, &nr)) == NULL ||
        (except = recstore_names(et, elen, &el, &ne)) == NULL)
        goto done;
    if (recstore_attachments(att, (uint64_t)ord, (unsigned)nattach, attach) !=
        0)
        goto done;
    a.nsp = nsp;
    a.rooms = rl;
    a.nrooms = nr;
    a.except = el;
    a.nexcept = ne;
    a.sids_only = sqlite3_column_int(st, 5) != 0;
    rc = recover_load_packet(&a, (uint64_t)ord, (uint64_t)epoch, (uint64_t)seq,
                             (uint64_t)at, json, jlen, attach,
                             (unsigned)nattach);
    while (nattach > 0)
        frame_unref(attach[--nattach]);
done:
    free(rl);
    free(el);
    cJSON_Delete(rooms);
    cJSON_Delete(except);
    return rc;
}

static int recstore_load_session(sqlite3_stmt *st)
{
    const char *pid, *sid, *nsp, *ch, *ctx, **cl = NULL;
    size_t plen, slen, nlen, clen, xlen, nc;
    sqlite3_int64 at = sqlite3_column_int64(st, 5);
    cJSON *chans = NULL;
    int rc = -1;

    pid = recstore_text(st, 0, &plen);
    sid = recstore_text(st, 1, &slen);
    nsp = recstore_text(st, 2, &nlen);
    ch = recstore_text(st, 3, &clen);
    ctx = recstore_text(st, 4, &xlen);
    if (pid == NULL ||
        (plen != RECOVER_PID_LEN && plen != RECOVER_PID_RECORD_MAX) ||
        strlen(pid) != plen || !recstore_name_ok(sid, slen) || slen > 64 ||
        !recstore_name_ok(nsp, nlen) || at < 0 ||
        (ctx != NULL && (xlen > RECSTORE_MAX_TEXT || strlen(ctx) != xlen ||
                         !jsonv_valid(ctx, xlen))) ||
        (chans = recstore_names(ch, clen, &cl, &nc)) == NULL)
        goto done;
    rc = recover_load_session(pid, sid, nsp, cl, nc, ctx, xlen, (uint64_t)at);
done:
    free(cl);
    cJSON_Delete(chans);
    return rc;
}

/* Reads back the key, then the unexpired packets in order, then the
 * unexpired sessions. */
static int recstore_load(uint64_t now_ms, uint64_t window_ms,
                         const char **cause)
{
    sqlite3_stmt *st = NULL, *att = NULL;
    sqlite3_int64 since =
        (sqlite3_int64)(now_ms > window_ms ? now_ms - window_ms : 0);
    sqlite3_int64 last_epoch = 0;
    const void *key = NULL;
    int rc;

    if (sqlite3_prepare_v2(recstore_db,
                           "SELECT (SELECT v FROM recovery_meta WHERE "
                           "k='key'), max(coalesce((SELECT max(epoch) FROM "
                           "recovery_packets), 0), coalesce((SELECT v FROM "
                           "recovery_meta WHERE k='epoch'), 0))",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    key = sqlite3_column_blob(st, 0);
    if (sqlite3_column_type(st, 1) == SQLITE_INTEGER)
        last_epoch = sqlite3_column_int64(st, 1);
    if (key == NULL || sqlite3_column_bytes(st, 0) != RECOVER_KEY_LEN ||
        last_epoch < 0) {
        /* Nothing kept, or nothing to trust: a fresh start. */
        if (key != NULL)
            recstore_stats.load_rejected++;
        sqlite3_finalize(st);
        return 0;
    }
    recover_restore_key(key, (uint64_t)last_epoch);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(recstore_db,
                           "SELECT ord, epoch, seq, at_ms, nsp, sids_only, "
                           "rooms, except_rooms, json, nattach FROM "
                           "recovery_packets WHERE at_ms >= ? ORDER BY ord",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(recstore_db,
                           "SELECT idx, data FROM recovery_attachments "
                           "WHERE ord = ? ORDER BY idx",
                           -1, &att, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, since);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (recstore_load_packet(st, att) == 0)
            recstore_stats.loaded_packets++;
        else
            recstore_stats.load_rejected++;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(att);
    att = NULL;
    if (rc != SQLITE_DONE ||
        sqlite3_prepare_v2(recstore_db,
                           "SELECT pid, sid, nsp, channels, context, at_ms "
                           "FROM recovery_sessions WHERE at_ms >= ? "
                           "ORDER BY at_ms",
                           -1, &st, NULL) != SQLITE_OK) {
        st = NULL;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, since);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (recstore_load_session(st) == 0)
            recstore_stats.loaded_sessions++;
        else
            recstore_stats.load_rejected++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        st = NULL;
        goto fail;
    }
    return 0;
fail:
    (void)cause;
    sqlite3_finalize(st);
    sqlite3_finalize(att);
    return -1;
}

/* ---- snapshots (copied on the loop, written by the thread) ---- */

static void recstore_job_free(struct recstore_job *j)
{
    size_t i;
    unsigned k;

    if (j == NULL)
        return;
    for (i = 0; i < j->npkts; i++) {
        struct recstore_pkt *p = &j->pkts[i];
        for (k = 0; k < p->nattach; k++)
            free(p->adata[k]);
        free(p->adata);
        free(p->alen);
        free(p->nsp);
        free(p->rooms);
        free(p->except);
        free(p->json);
    }
    for (i = 0; i < j->nsess; i++) {
        free(j->sess[i].sid);
        free(j->sess[i].nsp);
        free(j->sess[i].channels);
        free(j->sess[i].context);
    }
    free(j->pkts);
    free(j->sess);
    free(j);
}

/* A JSON array text of `n` names. */
static char *recstore_list(const char *const *names, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    char *text;
    size_t i;

    for (i = 0; a != NULL && i < n; i++)
        if (!cJSON_AddItemToArray(a, cJSON_CreateString(names[i]))) {
            cJSON_Delete(a);
            return NULL;
        }
    text = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return text;
}

static char *recstore_dup(const char *s, size_t len)
{
    char *c = malloc(len + 1);

    if (c != NULL) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

static void recstore_copy_packet(void *arg, const struct recover_packet *rp)
{
    struct recstore_job *j = arg;
    struct recstore_pkt *p;
    unsigned k;

    if (j->failed)
        return;
    if (j->npkts == j->cap_pkts) {
        size_t cap = j->cap_pkts ? 2 * j->cap_pkts : 64;
        void *n = realloc(j->pkts, cap * sizeof *j->pkts);
        if (n == NULL) {
            j->failed = 1;
            return;
        }
        j->pkts = n;
        j->cap_pkts = cap;
    }
    p = &j->pkts[j->npkts++];
    memset(p, 0, sizeof *p);
    p->ord = rp->ord;
    p->epoch = rp->epoch;
    p->seq = rp->seq;
    p->at_ms = rp->at_ms;
    p->sids_only = rp->sids_only;
    p->len = rp->len;
    if ((p->nsp = strdup(rp->nsp)) == NULL ||
        (p->rooms = recstore_list(rp->rooms, rp->nrooms)) == NULL ||
        (p->except = recstore_list(rp->rooms + rp->nrooms, rp->nexcept)) ==
            NULL ||
        (p->json = recstore_dup(rp->json, rp->len)) == NULL ||
        (rp->nattach > 0 &&
         ((p->adata = calloc(rp->nattach, sizeof *p->adata)) == NULL ||
          (p->alen = calloc(rp->nattach, sizeof *p->alen)) == NULL))) {
        j->failed = 1;
        return;
    }
    for (k = 0; k < rp->nattach; k++) {
        if ((p->adata[k] = recstore_dup(rp->attach[k]->data,
                                        rp->attach[k]->len)) == NULL) {
            j->failed = 1;
            return;
        }
        p->alen[k] = rp->attach[k]->len;
        p->nattach = k + 1;
    }
}

static struct recstore_sess *recstore_sess_add(struct recstore_job *j)
{
    struct recstore_sess *s;

    if (j->nsess == j->cap_sess) {
        size_t cap = j->cap_sess ? 2 * j->cap_sess : 64;
        void *n = realloc(j->sess, cap * sizeof *j->sess);
        if (n == NULL) {
            j->failed = 1;
            return NULL;
        }
        j->sess = n;
        j->cap_sess = cap;
    }
    s = &j->sess[j->nsess++];
    memset(s, 0, sizeof *s);
    return s;
}

static void recstore_copy_session(void *arg, const struct recover_session *rs)
{
    struct recstore_job *j = arg;
    struct recstore_sess *s;

    if (j->failed || (s = recstore_sess_add(j)) == NULL)
        return;
    recover_pid_record(rs->sid, rs->pid, s->pid);
    s->at_ms = rs->disconnected_ms;
    if ((s->sid = strdup(rs->sid)) == NULL ||
        (s->nsp = strdup(rs->nsp)) == NULL ||
        (s->channels = recstore_list((const char *const *)rs->channels,
                                     rs->nchannels)) == NULL ||
        (rs->context != NULL &&
         (s->context = recstore_dup(rs->context, rs->context_len)) == NULL))
        j->failed = 1;
    s->context_len = rs->context_len;
}

/* A socket connected now: kept as if it left at the snapshot, so a kill -9
 * loses at most what came after. */
static void recstore_copy_socket(void *arg, const struct hub_info *info)
{
    struct recstore_job *j = arg;
    char pid[RECOVER_PID_LEN + 1];
    struct recstore_sess *s;
    const char *ctx;
    size_t len = 0;

    if (j->failed || info->protocol != 4 || (s = recstore_sess_add(j)) == NULL)
        return;
    recover_pid(info->sid, pid);
    recover_pid_record(info->sid, pid, s->pid);
    s->at_ms = j->now_ms;
    ctx = hub_context(info->sid, &len);
    if ((s->sid = strdup(info->sid)) == NULL ||
        (s->nsp = strdup(info->nsp)) == NULL ||
        (s->channels = recstore_list(info->channels, info->nchannels)) ==
            NULL ||
        (ctx != NULL && (s->context = recstore_dup(ctx, len)) == NULL))
        j->failed = 1;
    s->context_len = len;
}

static struct recstore_job *recstore_snapshot(uint64_t now_ms)
{
    struct recstore_job *j = calloc(1, sizeof *j);

    if (j == NULL)
        return NULL;
    j->now_ms = now_ms;
    j->full = recstore_full;
    j->del_before = recover_first_ord();
    recover_each_packet(j->full ? 0 : recstore_saved_ord + 1,
                        recstore_copy_packet, j);
    recover_each_session(recstore_copy_session, j);
    hub_sessions(NULL, NULL, recstore_copy_socket, j);
    if (j->failed) {
        recstore_job_free(j);
        return NULL;
    }
    return j;
}

static int recstore_exec(const char *sql)
{
    return sqlite3_exec(recstore_db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0
                                                                         : -1;
}

static int recstore_step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Writes a snapshot in one transaction. Returns 0 or -1. */
static int recstore_write(const struct recstore_job *j)
{
    sqlite3_stmt *del = NULL, *dela = NULL, *pk = NULL, *at = NULL, *se = NULL;
    size_t i;
    unsigned k;
    int rc = -1;

    if (recstore_exec("BEGIN IMMEDIATE") != 0)
        return -1;
    if (sqlite3_prepare_v2(recstore_db,
                           "DELETE FROM recovery_packets WHERE ord < ?", -1,
                           &del, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(recstore_db,
                           "DELETE FROM recovery_attachments WHERE ord < ?", -1,
                           &dela, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(recstore_db,
                           "INSERT OR REPLACE INTO recovery_packets VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &pk, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(recstore_db,
                           "INSERT OR REPLACE INTO recovery_attachments "
                           "VALUES (?, ?, ?)",
                           -1, &at, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(recstore_db,
                           "INSERT OR REPLACE INTO recovery_sessions VALUES "
                           "(?, ?, ?, ?, ?, ?)",
                           -1, &se, NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_int64(del, 1,
                       j->full ? INT64_MAX : (sqlite3_int64)j->del_before);
    sqlite3_bind_int64(dela, 1,
                       j->full ? INT64_MAX : (sqlite3_int64)j->del_before);
    if (recstore_step(del) != 0 || recstore_step(dela) != 0 ||
        recstore_exec("DELETE FROM recovery_sessions") != 0)
        goto done;
    for (i = 0; i < j->npkts; i++) {
        const struct recstore_pkt *p = &j->pkts[i];
        sqlite3_bind_int64(pk, 1, (sqlite3_int64)p->ord);
        sqlite3_bind_int64(pk, 2, (sqlite3_int64)p->epoch);
        sqlite3_bind_int64(pk, 3, (sqlite3_int64)p->seq);
        sqlite3_bind_int64(pk, 4, (sqlite3_int64)p->at_ms);
        sqlite3_bind_text(pk, 5, p->nsp, -1, SQLITE_STATIC);
        sqlite3_bind_int(pk, 6, p->sids_only);
        sqlite3_bind_text(pk, 7, p->rooms, -1, SQLITE_STATIC);
        sqlite3_bind_text(pk, 8, p->except, -1, SQLITE_STATIC);
        sqlite3_bind_text(pk, 9, p->json, (int)p->len, SQLITE_STATIC);
        sqlite3_bind_int(pk, 10, (int)p->nattach);
        if (recstore_step(pk) != 0)
            goto done;
        for (k = 0; k < p->nattach; k++) {
            sqlite3_bind_int64(at, 1, (sqlite3_int64)p->ord);
            sqlite3_bind_int(at, 2, (int)k);
            sqlite3_bind_blob(at, 3, p->adata[k], (int)p->alen[k],
                              SQLITE_STATIC);
            if (recstore_step(at) != 0)
                goto done;
        }
    }
    for (i = 0; i < j->nsess; i++) {
        const struct recstore_sess *s = &j->sess[i];
        sqlite3_bind_text(se, 1, s->pid, -1, SQLITE_STATIC);
        sqlite3_bind_text(se, 2, s->sid, -1, SQLITE_STATIC);
        sqlite3_bind_text(se, 3, s->nsp, -1, SQLITE_STATIC);
        sqlite3_bind_text(se, 4, s->channels, -1, SQLITE_STATIC);
        if (s->context != NULL)
            sqlite3_bind_text(se, 5, s->context, (int)s->context_len,
                              SQLITE_STATIC);
        else
            sqlite3_bind_null(se, 5);
        sqlite3_bind_int64(se, 6, (sqlite3_int64)s->at_ms);
        if (recstore_step(se) != 0)
            goto done;
    }
    rc = recstore_exec("COMMIT");
done:
    sqlite3_finalize(del);
    sqlite3_finalize(dela);
    sqlite3_finalize(pk);
    sqlite3_finalize(at);
    sqlite3_finalize(se);
    if (rc != 0)
        recstore_exec("ROLLBACK");
    return rc;
}

/* Writes `j` and counts it; the next snapshot rewrites everything after a
 * failure. */
static void recstore_run(struct recstore_job *j)
{
    uint64_t t0 = recstore_mono_ms();
    int rc = recstore_write(j);

    pthread_mutex_lock(&recstore_lock);
    recstore_stats.save_ms = recstore_mono_ms() - t0;
    if (rc == 0) {
        recstore_stats.saves++;
    } else {
        recstore_stats.save_errors++;
        recstore_write_failed = 1;
    }
    pthread_mutex_unlock(&recstore_lock);
}

static void *recstore_main(void *arg)
{
    struct recstore_job *j;

    (void)arg;
    pthread_mutex_lock(&recstore_lock);
    for (;;) {
        while (recstore_pending == NULL && !recstore_stop)
            pthread_cond_wait(&recstore_cond, &recstore_lock);
        if ((j = recstore_pending) == NULL)
            break;
        recstore_pending = NULL;
        pthread_mutex_unlock(&recstore_lock);
        recstore_run(j);
        recstore_job_free(j);
        pthread_mutex_lock(&recstore_lock);
        recstore_busy = 0;
    }
    pthread_mutex_unlock(&recstore_lock);
    return NULL;
}

/* Takes a snapshot and moves the marks on (the caller writes it). */
static struct recstore_job *recstore_take(uint64_t now_ms)
{
    struct recstore_job *j;

    if (recstore_write_failed) {
        recstore_write_failed = 0;
        recstore_full = 1;
    }
    if ((j = recstore_snapshot(now_ms)) == NULL) {
        recstore_stats.save_errors++;
        return NULL;
    }
    if (j->npkts > 0)
        recstore_saved_ord = j->pkts[j->npkts - 1].ord;
    recstore_full = 0;
    return j;
}

void recstore_tick(uint64_t now_ms)
{
    struct recstore_job *j;

    if (recstore_db == NULL || now_ms < recstore_last_tick + recstore_interval)
        return;
    recstore_last_tick = now_ms;
    pthread_mutex_lock(&recstore_lock);
    if (recstore_busy) {
        recstore_stats.saves_skipped++;
        pthread_mutex_unlock(&recstore_lock);
        return;
    }
    j = recstore_take(now_ms);
    if (j != NULL) {
        recstore_busy = 1;
        recstore_pending = j;
        pthread_cond_signal(&recstore_cond);
    }
    pthread_mutex_unlock(&recstore_lock);
}

int recstore_open(const char *path, uint64_t interval_ms, uint64_t now_ms,
                  const char **cause)
{
    static char why[256];
    sqlite3_stmt *st = NULL;
    int fd;

    *cause = NULL;
    /* The file holds the pid key: readable by its owner only when we
     * create it (SQLite gives its -wal and -shm files the same mode). */
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0)
        close(fd);
    if (sqlite3_open_v2(path, &recstore_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(recstore_db, 5000);
    if (recstore_exec("PRAGMA journal_mode=WAL") != 0 ||
        recstore_exec(recstore_schema) != 0 ||
        recstore_load(now_ms, recover_window_ms(), cause) != 0)
        goto fail;
    /* The key, and this run's epoch: the next run starts after it even
     * when none of its events was written. */
    if (sqlite3_prepare_v2(recstore_db,
                           "INSERT OR REPLACE INTO recovery_meta VALUES "
                           "('key', ?), ('epoch', ?)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_blob(st, 1, recover_key(), RECOVER_KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)recover_epoch_now());
    if (sqlite3_step(st) != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    recstore_interval = interval_ms;
    recstore_last_tick = now_ms;
    recstore_full = 1; /* rows refused or expired go at the first write */
    if (pthread_create(&recstore_thread, NULL, recstore_main, NULL) != 0) {
        *cause = "cannot start the writer thread";
        goto close;
    }
    log_info("recovery: %llu sessions and %llu events read back from %s "
             "(%llu refused)",
             (unsigned long long)recstore_stats.loaded_sessions,
             (unsigned long long)recstore_stats.loaded_packets, path,
             (unsigned long long)recstore_stats.load_rejected);
    return 0;
fail:
    /* The message goes with the connection: a copy. */
    snprintf(why, sizeof why, "%s",
             recstore_db ? sqlite3_errmsg(recstore_db) : "out of memory");
    *cause = why;
close:
    sqlite3_finalize(st);
    sqlite3_close(recstore_db);
    recstore_db = NULL;
    return -1;
}

void recstore_close(uint64_t now_ms)
{
    struct recstore_job *j;

    if (recstore_db == NULL)
        return;
    pthread_mutex_lock(&recstore_lock);
    recstore_stop = 1;
    pthread_cond_signal(&recstore_cond);
    pthread_mutex_unlock(&recstore_lock);
    pthread_join(recstore_thread, NULL);
    /* The writer is gone: the last snapshot is written here. */
    if ((j = recstore_take(now_ms)) != NULL) {
        recstore_run(j);
        recstore_job_free(j);
    }
    if (recstore_stats.save_errors > 0)
        log_warn("recovery: %llu snapshots of the state file failed",
                 (unsigned long long)recstore_stats.save_errors);
    sqlite3_close(recstore_db);
    recstore_db = NULL;
}
