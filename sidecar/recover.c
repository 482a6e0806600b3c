/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recover: connection state recovery (socket.io's connectionStateRecovery):
 * offsets, the ring of stored packets, the sessions kept after a
 * recoverable disconnect. */
#include "recover.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

struct recover_stats recover_stats;
int recover_enabled;

static struct recover_config recover_cfg;
static unsigned char recover_key_bytes[RECOVER_KEY_LEN];
static uint64_t recover_epoch, recover_seq, recover_ord;
static TAILQ_HEAD(recover_packet_q, recover_packet)
    recover_ring = TAILQ_HEAD_INITIALIZER(recover_ring);
static TAILQ_HEAD(, recover_session)
    recover_waiting = TAILQ_HEAD_INITIALIZER(recover_waiting);
static struct idmap recover_by_pid, recover_by_sid;

/* The pid of a socket here whose session began on another node (the pid
 * is its first node's, and the client checks it never changes): by sid,
 * while the socket is here. */
struct recover_foreign {
    struct idmap_node node;
    char pid[RECOVER_PID_LEN + 1];
    /* The offset of another node's the client may hold (none: epoch 0),
     * and this ring's seq it stands for: a kept session takes them. */
    uint64_t alias_epoch, alias_seq, alias_here;
    char sid[];
};
static struct idmap recover_foreign_pids;

int recover_setup(const struct recover_config *cfg, uint64_t now_ms,
                  const char **cause)
{
    if (RAND_bytes(recover_key_bytes, sizeof recover_key_bytes) != 1) {
        *cause = "no random bytes for the recovery key";
        return -1;
    }
    if (idmap_init(&recover_by_pid) != 0 || idmap_init(&recover_by_sid) != 0 ||
        idmap_init(&recover_foreign_pids) != 0) {
        *cause = "out of memory";
        return -1;
    }
    recover_cfg = *cfg;
    recover_epoch = now_ms;
    recover_seq = 0;
    recover_enabled = 1;
    return 0;
}

static void recover_packet_free(struct recover_packet *p)
{
    unsigned i;

    TAILQ_REMOVE(&recover_ring, p, link);
    recover_stats.packets--;
    recover_stats.ring_bytes -= p->bytes;
    for (i = 0; i < p->nattach; i++)
        frame_unref(p->attach[i]);
    free(p);
}

static void recover_packet_discard(struct recover_packet *p);

/* Frees what a session record holds, listed or not. */
static void recover_session_release(struct recover_session *rs)
{
    struct recover_packet *p;
    size_t i;

    while ((p = TAILQ_FIRST(&rs->adopted)) != NULL) {
        TAILQ_REMOVE(&rs->adopted, p, link);
        recover_packet_discard(p);
    }

    for (i = 0; i < rs->nchannels; i++)
        free(rs->channels[i]);
    free(rs->channels);
    free(rs->context);
    free(rs->sid);
    free(rs->nsp);
    free(rs);
}

static void recover_session_free(struct recover_session *rs)
{
    if (!rs->taken) {
        idmap_del(&recover_by_pid, &rs->by_pid);
        TAILQ_REMOVE(&recover_waiting, rs, link);
    }
    idmap_del(&recover_by_sid, &rs->by_sid);
    recover_stats.sessions--;
    recover_session_release(rs);
}

void recover_shutdown(void)
{
    struct idmap_node *n, *next;
    size_t b;

    if (!recover_enabled)
        return;
    while (!TAILQ_EMPTY(&recover_ring))
        recover_packet_free(TAILQ_FIRST(&recover_ring));
    for (b = 0; b <= recover_by_sid.mask; b++)
        for (n = recover_by_sid.buckets[b]; n != NULL; n = next) {
            next = n->next;
            recover_session_free(
                (struct recover_session *)((char *)n -
                                           offsetof(struct recover_session,
                                                    by_sid)));
        }
    for (b = 0; b <= recover_foreign_pids.mask; b++)
        for (n = recover_foreign_pids.buckets[b]; n != NULL; n = next) {
            next = n->next;
            free(n);
        }
    idmap_free(&recover_by_pid);
    idmap_free(&recover_by_sid);
    idmap_free(&recover_foreign_pids);
    recover_enabled = 0;
}

/* RECOVER_PID_LEN characters of the HMAC of `a`, then (when not empty)
 * a newline and `b`, under the key. */
static void recover_mac(const char *a, const char *b, char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t al = strlen(a), bl = strlen(b), len = al;
    char local[160], *in = local;
    unsigned int n = 0;
    int i;

    if (bl > 0) {
        len = al + 1 + bl;
        if (len > sizeof local && (in = malloc(len)) == NULL) {
            memset(out, '-', RECOVER_PID_LEN); /* matches no pid made */
            out[RECOVER_PID_LEN] = '\0';
            return;
        }
        memcpy(in, a, al);
        in[al] = '\n';
        memcpy(in + al + 1, b, bl);
    } else {
        in = (char *)a;
    }
    HMAC(EVP_sha256(), recover_key_bytes, (int)sizeof recover_key_bytes,
         (const unsigned char *)in, len, mac, &n);
    if (in != local && in != a)
        free(in);
    for (i = 0; i < RECOVER_PID_LEN; i++)
        out[i] = abc[mac[i] & 63];
    out[RECOVER_PID_LEN] = '\0';
}

/* The pid of `sid` under this node's key. */
static void recover_own_pid(const char *sid, char *out)
{
    recover_mac(sid, "", out);
}

void recover_pid(const char *sid, char *out)
{
    struct recover_foreign *f;

    if (recover_enabled && recover_foreign_pids.count > 0 &&
        (f = (struct recover_foreign *)idmap_get(&recover_foreign_pids, sid)) !=
            NULL) {
        memcpy(out, f->pid, sizeof f->pid);
        return;
    }
    recover_own_pid(sid, out);
}

void recover_forget(const char *sid)
{
    struct idmap_node *n;

    if (recover_enabled && recover_foreign_pids.count > 0 &&
        (n = idmap_get(&recover_foreign_pids, sid)) != NULL) {
        idmap_del(&recover_foreign_pids, n);
        free(n);
    }
}

int recover_reason_ok(const char *reason)
{
    static const char *const ok[] = {
        "transport error", "transport close",      "forced close",
        "ping timeout",    "server shutting down", "forced server close",
    };
    size_t i;

    for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(reason, ok[i]) == 0)
            return 1;
    return 0;
}

/* 1 to 20 digits that fit in 64 bits; returns the bytes taken, or 0. */
static size_t recover_u64(const char *s, size_t len, uint64_t *v)
{
    size_t i;

    *v = 0;
    for (i = 0; i < len && i < 21 && s[i] >= '0' && s[i] <= '9'; i++) {
        if (*v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return 0;
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return i > 20 ? 0 : i;
}

int recover_offset_parse(const char *s, size_t len, uint64_t *epoch,
                         uint64_t *seq)
{
    size_t a, b;

    a = recover_u64(s, len, epoch);
    if (a == 0 || a >= len || s[a] != '-')
        return -1;
    b = recover_u64(s + a + 1, len - a - 1, seq);
    return b == 0 || a + 1 + b != len ? -1 : 0;
}

long recover_append_offset(const char *json, size_t len, uint64_t epoch,
                           uint64_t seq, char *out, size_t cap)
{
    size_t end = len, body;
    int empty, n;

    while (end > 0 && strchr(" \t\r\n", json[end - 1]) != NULL)
        end--;
    if (end < 2 || json[0] != '[' || json[end - 1] != ']')
        return -1;
    body = end - 1;
    while (body > 1 && strchr(" \t\r\n", json[body - 1]) != NULL)
        body--;
    empty = body == 1;
    if (cap < body + RECOVER_MAX_OFFSET + 4)
        return -1;
    memcpy(out, json, body);
    n = snprintf(out + body, cap - body, "%s\"%" PRIu64 "-%" PRIu64 "\"]",
                 empty ? "" : ",", epoch, seq);
    if (n < 0 || (size_t)n >= cap - body)
        return -1;
    return (long)(body + (size_t)n);
}

/* Empties the ring: what was in it is a gap no offset recovers over. */
static void recover_ring_clear(void)
{
    while (!TAILQ_EMPTY(&recover_ring)) {
        recover_stats.ring_drops++;
        recover_packet_free(TAILQ_FIRST(&recover_ring));
    }
}

/* A packet of audience `a` with room for its JSON and the offset (at
 * *json_at, `*room` bytes); NULL when out of memory. */
static struct recover_packet *
recover_packet_new(const struct recover_audience *a, size_t len,
                   struct frame *const *attach, unsigned nattach,
                   char **json_at, size_t *room)
{
    size_t nrooms = a->nrooms + a->nexcept, size, i, strs = 0, extra = 0;
    struct recover_packet *p;
    char *at;

    strs += strlen(a->nsp) + 1;
    for (i = 0; i < a->nrooms; i++)
        strs += strlen(a->rooms[i]) + 1;
    for (i = 0; i < a->nexcept; i++)
        strs += strlen(a->except[i]) + 1;
    size = sizeof *p + nrooms * sizeof(char *) +
           nattach * sizeof(struct frame *) + strs + len + RECOVER_MAX_OFFSET +
           4;
    if ((p = malloc(size)) == NULL)
        return NULL;
    p->rooms = (const char **)(p + 1);
    p->attach = (struct frame **)(p->rooms + nrooms);
    at = (char *)(p->attach + nattach);
    p->nsp = at;
    at = stpcpy(at, a->nsp) + 1;
    for (i = 0; i < nrooms; i++) {
        p->rooms[i] = at;
        at =
            stpcpy(at, i < a->nrooms ? a->rooms[i] : a->except[i - a->nrooms]) +
            1;
    }
    p->sids_only = a->sids_only;
    p->origin = 0;
    p->nrooms = a->nrooms;
    p->nexcept = a->nexcept;
    p->nattach = nattach;
    for (i = 0; i < nattach; i++) {
        p->attach[i] = frame_ref(attach[i]);
        extra += attach[i]->len;
    }
    p->bytes = size + extra;
    *json_at = at;
    *room = size - (size_t)(at - (char *)p);
    return p;
}

static void recover_packet_discard(struct recover_packet *p)
{
    unsigned i;

    for (i = 0; i < p->nattach; i++)
        frame_unref(p->attach[i]);
    free(p);
}

/* Links `p` at the newest end; the oldest go while over the byte cap. */
static void recover_ring_push(struct recover_packet *p)
{
    struct recover_packet *head;

    TAILQ_INSERT_TAIL(&recover_ring, p, link);
    recover_stats.packets++;
    recover_stats.ring_bytes += p->bytes;
    while (recover_stats.ring_bytes > recover_cfg.max_bytes &&
           (head = TAILQ_FIRST(&recover_ring)) != p) {
        recover_stats.ring_drops++;
        recover_packet_free(head);
    }
}

const char *recover_store(const struct recover_audience *a, const char *json,
                          size_t len, struct frame *const *attach,
                          unsigned nattach, uint64_t now_ms, size_t *out_len)
{
    struct recover_packet *p;
    size_t room;
    char *at;
    long n;

    if ((p = recover_packet_new(a, len, attach, nattach, &at, &room)) == NULL) {
        recover_ring_clear();
        return NULL;
    }
    n = recover_append_offset(json, len, recover_epoch, recover_seq + 1, at,
                              room);
    if (n < 0) {
        recover_packet_discard(p);
        recover_ring_clear();
        return NULL;
    }
    p->json = at;
    p->len = (size_t)n;
    p->origin = a->origin;
    p->epoch = recover_epoch;
    p->seq = ++recover_seq;
    p->ord = ++recover_ord;
    p->at_ms = now_ms;
    recover_ring_push(p);
    *out_len = p->len;
    return p->json;
}

static struct recover_session *recover_sid_find(const char *sid)
{
    struct idmap_node *n = idmap_get(&recover_by_sid, sid);

    return n ? (struct recover_session *)((char *)n -
                                          offsetof(struct recover_session,
                                                   by_sid))
             : NULL;
}

int recover_keep(const char *sid, const char *nsp, const char *const *channels,
                 size_t nchannels, const char *context, size_t context_len,
                 uint64_t now_ms)
{
    struct recover_session *rs, *old;
    struct recover_foreign *f;
    size_t i;

    if ((old = recover_sid_find(sid)) != NULL)
        recover_session_free(old);
    if ((rs = calloc(1, sizeof *rs)) == NULL)
        return -1;
    TAILQ_INIT(&rs->adopted);
    if ((rs->sid = strdup(sid)) == NULL || (rs->nsp = strdup(nsp)) == NULL ||
        (nchannels > 0 &&
         (rs->channels = calloc(nchannels, sizeof *rs->channels)) == NULL) ||
        (context != NULL && (rs->context = malloc(context_len + 1)) == NULL))
        goto fail;
    for (i = 0; i < nchannels; i++) {
        if ((rs->channels[i] = strdup(channels[i])) == NULL)
            goto fail;
        rs->nchannels++;
    }
    if (context != NULL) {
        memcpy(rs->context, context, context_len);
        rs->context[context_len] = '\0';
        rs->context_len = context_len;
    }
    recover_pid(sid, rs->pid);
    if (recover_foreign_pids.count > 0 &&
        (f = (struct recover_foreign *)idmap_get(&recover_foreign_pids, sid)) !=
            NULL &&
        f->alias_epoch != 0 && f->alias_epoch != recover_epoch) {
        rs->alias_epoch = f->alias_epoch;
        rs->alias_seq = f->alias_seq;
        rs->alias_here = f->alias_here;
    }
    rs->disconnected_ms = now_ms;
    while (recover_stats.sessions >= recover_cfg.max_sessions &&
           !TAILQ_EMPTY(&recover_waiting)) {
        recover_stats.sessions_dropped++;
        recover_session_free(TAILQ_FIRST(&recover_waiting));
    }
    if (recover_stats.sessions >= recover_cfg.max_sessions)
        goto fail; /* every one is being taken */
    idmap_put(&recover_by_pid, &rs->by_pid, rs->pid);
    idmap_put(&recover_by_sid, &rs->by_sid, rs->sid);
    TAILQ_INSERT_TAIL(&recover_waiting, rs, link);
    recover_stats.sessions++;
    recover_stats.stored++;
    return 0;
fail:
    recover_session_release(rs);
    return -1;
}

/* The packet at offset (epoch, seq), searched from the newest. */
static struct recover_packet *recover_find(uint64_t epoch, uint64_t seq)
{
    struct recover_packet *p;

    TAILQ_FOREACH_REVERSE(p, &recover_ring, recover_packet_q, link)
    {
        if (p->epoch == epoch && p->seq == seq)
            return p;
        if (p->epoch == epoch && p->seq < seq)
            return NULL; /* seqs rise within an epoch */
    }
    return NULL;
}

int recover_auth(const char *auth, size_t len, char *pid, char *offset)
{
    cJSON *doc, *p, *o;
    int rc = 1;

    if (auth == NULL || len == 0)
        return 1;
    doc = cJSON_ParseWithLength(auth, len);
    p = cJSON_GetObjectItemCaseSensitive(doc, "pid");
    o = cJSON_GetObjectItemCaseSensitive(doc, "offset");
    if (cJSON_IsString(p) && cJSON_IsString(o)) {
        rc = -1;
        if (strlen(p->valuestring) == RECOVER_PID_LEN &&
            strlen(o->valuestring) <= RECOVER_MAX_OFFSET) {
            strcpy(pid, p->valuestring);
            strcpy(offset, o->valuestring);
            rc = 0;
        }
    }
    cJSON_Delete(doc);
    return rc;
}

static int recover_ring_since(uint64_t seq);

struct recover_session *recover_take_pid(const char *pid, const char *offset,
                                         const char *nsp, uint64_t now_ms,
                                         int *unknown)
{
    struct recover_session *rs = NULL;
    struct idmap_node *n;
    uint64_t epoch, seq;

    *unknown = 0;
    if (!recover_enabled)
        return NULL;
    if (recover_offset_parse(offset, strlen(offset), &epoch, &seq) != 0) {
        recover_stats.refused++;
        return NULL;
    }
    if (strlen(pid) != RECOVER_PID_LEN ||
        (n = idmap_get(&recover_by_pid, pid)) == NULL) {
        *unknown = 1;
        return NULL;
    }
    rs = (struct recover_session *)((char *)n -
                                    offsetof(struct recover_session, by_pid));
    if (rs->disconnected_ms + recover_cfg.window_ms < now_ms) {
        recover_stats.expired++;
        recover_session_free(rs);
        rs = NULL;
    } else if (strcmp(rs->nsp, nsp) != 0) {
        rs = NULL;
    } else if (rs->adopted_from_fleet) {
        /* Its events are its own list and this ring since it came: the
         * client's offset is still the one it came with. */
        if (epoch != rs->epoch || seq != rs->seq ||
            !recover_ring_since(rs->adopt_seq))
            rs = NULL;
    } else if (rs->alias_epoch != 0 && epoch == rs->alias_epoch &&
               seq == rs->alias_seq) {
        if (!recover_ring_since(rs->alias_here))
            rs = NULL;
    } else if (recover_find(epoch, seq) == NULL) {
        rs = NULL;
    }
    if (rs == NULL) {
        recover_stats.refused++;
        return NULL;
    }
    idmap_del(&recover_by_pid, &rs->by_pid);
    TAILQ_REMOVE(&recover_waiting, rs, link);
    rs->taken = 1;
    rs->epoch = epoch;
    rs->seq = seq;
    rs->aliased = 0;
    if (!rs->adopted_from_fleet && rs->alias_epoch != 0 &&
        epoch == rs->alias_epoch && seq == rs->alias_seq) {
        rs->aliased = 1;
        rs->epoch = recover_epoch;
        rs->seq = rs->alias_here;
    }
    return rs;
}

/* Whether the ring holds every packet of this epoch after seq `seq`. */
static int recover_ring_since(uint64_t seq)
{
    struct recover_packet *p;

    if (recover_seq == seq)
        return 1;
    TAILQ_FOREACH(p, &recover_ring, link)
    if (p->epoch == recover_epoch)
        return p->seq <= seq + 1;
    return 0;
}

struct recover_session *recover_take(const char *auth, size_t len,
                                     const char *nsp, uint64_t now_ms,
                                     int *refused)
{
    char pid[RECOVER_PID_LEN + 1], off[RECOVER_MAX_OFFSET + 1];
    struct recover_session *rs;
    int r, unknown;

    *refused = 0;
    if (!recover_enabled || (r = recover_auth(auth, len, pid, off)) > 0)
        return NULL;
    if (r < 0) {
        *refused = 1;
        recover_stats.refused++;
        return NULL;
    }
    rs = recover_take_pid(pid, off, nsp, now_ms, &unknown);
    if (unknown)
        recover_stats.refused++;
    *refused = rs == NULL;
    return rs;
}

/* Whether room `room` is one of the session's (its id, or a channel). */
static int recover_in(const struct recover_session *rs, const char *room,
                      int sids_only)
{
    size_t i;

    if (strcmp(room, rs->sid) == 0)
        return 1;
    for (i = 0; !sids_only && i < rs->nchannels; i++)
        if (strcmp(room, rs->channels[i]) == 0)
            return 1;
    return 0;
}

static int recover_reaches(const struct recover_session *rs,
                           const struct recover_packet *p)
{
    size_t i;
    int in = p->nrooms == 0;

    if (strcmp(p->nsp, rs->nsp) != 0)
        return 0;
    for (i = 0; !in && i < p->nrooms; i++)
        in = recover_in(rs, p->rooms[i], p->sids_only);
    for (i = 0; in && i < p->nexcept; i++)
        if (recover_in(rs, p->rooms[p->nrooms + i], 0))
            return 0;
    return in;
}

long recover_replay(const struct recover_session *rs,
                    void (*cb)(void *arg, const struct recover_packet *p),
                    void *arg)
{
    struct recover_packet *p;
    long count = 0;

    if (rs->adopted_from_fleet || rs->aliased) {
        TAILQ_FOREACH(p, &rs->adopted, link)
        {
            cb(arg, p);
            count++;
        }
        /* Then what this ring got since the list (or the alias) ends. */
        TAILQ_FOREACH(p, &recover_ring, link)
        if (p->epoch == recover_epoch &&
            p->seq > (rs->aliased ? rs->seq : rs->adopt_seq) &&
            recover_reaches(rs, p)) {
            cb(arg, p);
            count++;
        }
        return count;
    }
    if ((p = recover_find(rs->epoch, rs->seq)) == NULL)
        return -1;
    while ((p = TAILQ_NEXT(p, link)) != NULL)
        if (recover_reaches(rs, p)) {
            cb(arg, p);
            count++;
        }
    return count;
}

void recover_done(struct recover_session *rs, int ok)
{
    char own[RECOVER_PID_LEN + 1];
    struct recover_packet *last;
    struct recover_foreign *f;
    size_t n;

    /* A pid of another node's stays the socket's while it is here, and
     * so does an offset of another node's the client may still hold: the
     * last replayed from the list, else the one it came with. */
    recover_own_pid(rs->sid, own);
    if (ok &&
        (strcmp(own, rs->pid) != 0 || rs->adopted_from_fleet || rs->aliased)) {
        recover_forget(rs->sid);
        n = strlen(rs->sid) + 1;
        if ((f = calloc(1, sizeof *f + n)) != NULL) {
            memcpy(f->pid, rs->pid, sizeof f->pid);
            memcpy(f->sid, rs->sid, n);
            if (rs->adopted_from_fleet || rs->aliased) {
                last = TAILQ_LAST(&rs->adopted, recover_packet_list);
                f->alias_epoch = last          ? last->epoch
                                 : rs->aliased ? rs->alias_epoch
                                               : rs->epoch;
                f->alias_seq = last          ? last->seq
                               : rs->aliased ? rs->alias_seq
                                             : rs->seq;
                f->alias_here = recover_seq;
            }
            idmap_put(&recover_foreign_pids, &f->node, f->sid);
        }
    }
    if (ok)
        recover_stats.recovered++;
    else
        recover_stats.refused++;
    if (ok && rs->adopted_from_fleet)
        recover_stats.remote_recovered++;
    recover_session_free(rs);
}

void recover_give(struct recover_session *rs)
{
    recover_stats.remote_given++;
    recover_session_free(rs);
}

struct recover_session *recover_adopt(const char *pid, const char *offset,
                                      const char *sid, const char *nsp,
                                      const char *const *channels,
                                      size_t nchannels, const char *context,
                                      size_t context_len, uint64_t now_ms)
{
    struct recover_session *rs;
    size_t i;

    if (!recover_enabled || recover_sid_find(sid) != NULL ||
        (rs = calloc(1, sizeof *rs)) == NULL)
        return NULL;
    TAILQ_INIT(&rs->adopted);
    if ((rs->sid = strdup(sid)) == NULL || (rs->nsp = strdup(nsp)) == NULL ||
        (nchannels > 0 &&
         (rs->channels = calloc(nchannels, sizeof *rs->channels)) == NULL) ||
        (context != NULL && (rs->context = malloc(context_len + 1)) == NULL)) {
        recover_session_release(rs);
        return NULL;
    }
    for (i = 0; i < nchannels; i++) {
        if ((rs->channels[i] = strdup(channels[i])) == NULL) {
            recover_session_release(rs);
            return NULL;
        }
        rs->nchannels++;
    }
    if (context != NULL) {
        memcpy(rs->context, context, context_len);
        rs->context[context_len] = '\0';
        rs->context_len = context_len;
    }
    if (strlen(pid) != RECOVER_PID_LEN ||
        recover_offset_parse(offset, strlen(offset), &rs->epoch, &rs->seq) !=
            0) {
        recover_session_release(rs);
        return NULL;
    }
    memcpy(rs->pid, pid, RECOVER_PID_LEN + 1);
    rs->disconnected_ms = now_ms;
    rs->taken = 1;
    rs->adopted_from_fleet = 1;
    rs->adopt_seq = recover_seq;
    idmap_put(&recover_by_sid, &rs->by_sid, rs->sid);
    recover_stats.sessions++;
    return rs;
}

/* The offset "<epoch>-<seq>" a packet's array ends with, when it does. */
static void recover_offset_last(const char *json, size_t len, uint64_t *epoch,
                                uint64_t *seq)
{
    size_t end = len, start;

    while (end > 0 && json[end - 1] != ']')
        end--;
    if (end < 3 || json[end - 2] != '"')
        return;
    start = end - 2;
    while (start > 0 && json[start - 1] != '"')
        start--;
    if (start == 0 ||
        recover_offset_parse(json + start, end - 2 - start, epoch, seq) != 0)
        *epoch = *seq = 0;
}

int recover_adopt_packet(struct recover_session *rs, const char *json,
                         size_t len, struct frame *const *attach,
                         unsigned nattach)
{
    struct recover_audience a = {.nsp = rs->nsp};
    struct recover_packet *p;
    size_t room;
    char *at;

    if ((p = recover_packet_new(&a, len, attach, nattach, &at, &room)) == NULL)
        return -1;
    memcpy(at, json, len);
    p->json = at;
    p->len = len;
    p->ord = p->epoch = p->seq = p->at_ms = 0;
    recover_offset_last(json, len, &p->epoch, &p->seq);
    TAILQ_INSERT_TAIL(&rs->adopted, p, link);
    return 0;
}

void recover_untake(struct recover_session *rs)
{
    struct recover_session *o;

    /* Kept here: a reconnect with the offset it came with gets its list
     * and what this ring got since. */
    if (rs->adopted_from_fleet)
        recover_stats.remote_kept++;
    rs->taken = 0;
    idmap_put(&recover_by_pid, &rs->by_pid, rs->pid);
    /* By disconnect time, so that the oldest still expire first. */
    TAILQ_FOREACH(o, &recover_waiting, link)
    if (o->disconnected_ms > rs->disconnected_ms)
        break;
    if (o != NULL)
        TAILQ_INSERT_BEFORE(o, rs, link);
    else
        TAILQ_INSERT_TAIL(&recover_waiting, rs, link);
}

struct recover_session *recover_taken(const char *sid)
{
    struct recover_session *rs;

    if (!recover_enabled)
        return NULL;
    rs = recover_sid_find(sid);
    return rs != NULL && rs->taken ? rs : NULL;
}

const char *recover_session_nsp(const char *sid)
{
    struct recover_session *rs;

    if (!recover_enabled)
        return NULL;
    rs = recover_sid_find(sid);
    return rs ? rs->nsp : NULL;
}

void recover_tick(uint64_t now_ms)
{
    struct recover_packet *p;
    struct recover_session *rs;

    if (!recover_enabled)
        return;
    while ((p = TAILQ_FIRST(&recover_ring)) != NULL &&
           p->at_ms + recover_cfg.window_ms < now_ms)
        recover_packet_free(p);
    while ((rs = TAILQ_FIRST(&recover_waiting)) != NULL &&
           rs->disconnected_ms + recover_cfg.window_ms < now_ms) {
        recover_stats.expired++;
        recover_session_free(rs);
    }
}

/* ---- across a restart ---- */

const unsigned char *recover_key(void) { return recover_key_bytes; }

uint64_t recover_epoch_now(void) { return recover_epoch; }

uint64_t recover_window_ms(void) { return recover_cfg.window_ms; }

size_t recover_max_bytes(void) { return recover_cfg.max_bytes; }

uint64_t recover_seq_now(void) { return recover_seq; }

uint64_t recover_origin(const char *uid, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    size_t i;

    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)uid[i]) * 1099511628211ull;
    return h ? h : 1;
}

long recover_adopt_since(struct recover_session *rs, uint64_t local,
                         uint64_t remote, uint64_t holder)
{
    struct recover_packet *p;
    long count = 0;

    rs->adopt_seq = recover_seq;
    TAILQ_FOREACH(p, &recover_ring, link)
    if (p->epoch == recover_epoch &&
        p->seq > (p->origin != 0 ? remote : local) &&
        (holder == 0 || p->origin != holder) && recover_reaches(rs, p)) {
        if (recover_adopt_packet(rs, p->json, p->len, p->attach, p->nattach) !=
            0)
            return -1;
        count++;
    }
    return count;
}

void recover_restore_key(const unsigned char *key, uint64_t last_epoch)
{
    memcpy(recover_key_bytes, key, RECOVER_KEY_LEN);
    if (recover_epoch <= last_epoch)
        recover_epoch = last_epoch + 1;
}

int recover_load_packet(const struct recover_audience *a, uint64_t ord,
                        uint64_t epoch, uint64_t seq, uint64_t at_ms,
                        const char *json, size_t len,
                        struct frame *const *attach, unsigned nattach)
{
    struct recover_packet *p,
        *last = TAILQ_LAST(&recover_ring, recover_packet_q);
    char tail[RECOVER_MAX_OFFSET + 8];
    size_t room;
    char *at;
    int n;

    /* In order, of an epoch before this run's, ending with its offset. */
    if ((last != NULL && (ord <= last->ord || epoch < last->epoch ||
                          (epoch == last->epoch && seq <= last->seq))) ||
        epoch >= recover_epoch || seq == 0)
        return -1;
    n = snprintf(tail, sizeof tail, "\"%" PRIu64 "-%" PRIu64 "\"]", epoch, seq);
    if (n < 0 || (size_t)n >= sizeof tail || len < (size_t)n + 2 ||
        json[0] != '[' || memcmp(json + len - (size_t)n, tail, (size_t)n) != 0)
        return -1;
    if ((p = recover_packet_new(a, len, attach, nattach, &at, &room)) == NULL)
        return -1;
    memcpy(at, json, len);
    at[len] = '\0';
    p->json = at;
    p->len = len;
    p->epoch = epoch;
    p->seq = seq;
    p->ord = ord;
    p->at_ms = at_ms;
    if (recover_ord < ord)
        recover_ord = ord;
    recover_ring_push(p);
    return 0;
}

void recover_pid_record(const char *sid, const char *pid, char *out)
{
    char own[RECOVER_PID_LEN + 1];

    recover_own_pid(sid, own);
    memcpy(out, pid, RECOVER_PID_LEN + 1);
    if (strcmp(own, pid) == 0)
        return;
    out[RECOVER_PID_LEN] = '.';
    recover_mac(sid, pid, out + RECOVER_PID_LEN + 1);
}

int recover_load_session(const char *pid, const char *sid, const char *nsp,
                         const char *const *channels, size_t nchannels,
                         const char *context, size_t context_len,
                         uint64_t disconnected_ms)
{
    char want[RECOVER_PID_RECORD_MAX + 1], foreign[RECOVER_PID_LEN + 1];
    struct recover_session *rs;

    if (strlen(pid) == RECOVER_PID_RECORD_MAX) {
        memcpy(foreign, pid, RECOVER_PID_LEN);
        foreign[RECOVER_PID_LEN] = '\0';
    } else if (strlen(pid) == RECOVER_PID_LEN) {
        memcpy(foreign, pid, RECOVER_PID_LEN + 1);
    } else {
        return -1;
    }
    recover_pid_record(sid, foreign, want);
    if (strcmp(pid, want) != 0)
        return -1;
    if (recover_keep(sid, nsp, channels, nchannels, context, context_len,
                     disconnected_ms) != 0)
        return -1;
    /* A pid another node made: the session is found by it. */
    if (strlen(pid) == RECOVER_PID_RECORD_MAX &&
        (rs = recover_sid_find(sid)) != NULL) {
        idmap_del(&recover_by_pid, &rs->by_pid);
        memcpy(rs->pid, foreign, sizeof rs->pid);
        idmap_put(&recover_by_pid, &rs->by_pid, rs->pid);
    }
    recover_stats.stored--; /* kept by the run before */
    return 0;
}

uint64_t recover_first_ord(void)
{
    struct recover_packet *p = TAILQ_FIRST(&recover_ring);

    return p ? p->ord : recover_ord + 1;
}

void recover_each_packet(uint64_t ord,
                         void (*cb)(void *arg, const struct recover_packet *p),
                         void *arg)
{
    struct recover_packet *p;

    TAILQ_FOREACH_REVERSE(p, &recover_ring, recover_packet_q, link)
    {
        if (p->ord < ord)
            break;
    }
    for (p = p ? TAILQ_NEXT(p, link) : TAILQ_FIRST(&recover_ring); p != NULL;
         p = TAILQ_NEXT(p, link))
        cb(arg, p);
}

void recover_each_session(void (*cb)(void *arg,
                                     const struct recover_session *rs),
                          void *arg)
{
    struct recover_session *rs;

    TAILQ_FOREACH(rs, &recover_waiting, link)
    cb(arg, rs);
}
