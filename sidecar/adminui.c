/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* adminui: the namespace of @socket.io/admin-ui's dashboard (0.5.x
 * protocol): its login, server stats, the live list of sockets and rooms,
 * and the dashboard's disconnect/join/leave/emit on this node's sockets. */
#include "adminui.h"

#include <crypt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "buf.h"
#include "engine.h"
#include "hub.h"
#include "log.h"
#include "sio.h"
#include "sock.h"

struct adminui_stats adminui_stats;

/* What a notice is: a ready event for every dashboard, a socket that
 * connected (listed when sent, so a socket gone by then is not), or the
 * greeting of one new dashboard. */
enum { ADMINUI_NOTE_JSON, ADMINUI_NOTE_SOCKET, ADMINUI_NOTE_GREET };

/* Notices wait for the next loop turn: the hub's watch callbacks may not
 * call into the hub, and a dashboard's CONNECT packet must leave before
 * its greeting. */
struct adminui_note {
    struct adminui_note *next;
    int kind;
    size_t len;
    char session[17]; /* GREET: a new login's session id, or "" */
    char data[];      /* JSON, or the socket id */
};

struct adminui_session {
    char id[17];
    time_t expires;
};

static struct adminui_config adminui_cfg;
static struct event *adminui_flush_ev, *adminui_stats_ev;
static struct adminui_note *adminui_head, **adminui_tail = &adminui_head;
static size_t adminui_queued;
static struct adminui_session adminui_sessions[ADMINUI_MAX_SESSIONS];
static double adminui_tokens = ADMINUI_LOGIN_BURST;
static struct timeval adminui_tokens_at;
static struct timeval adminui_started;
static char adminui_host[256];
/* Password checks in flight: bcrypt spends ~0.1 s of CPU by design, so
 * each runs on a thread of its own (at most ADMINUI_LOGIN_BURST at once,
 * the login bucket's size) and wakes the loop through an eventfd; the
 * loop alone touches this list and answers the waiting CONNECT. */
struct adminui_check {
    struct adminui_check *next;
    pthread_t thread;
    int done; /* set last by the thread (atomic, release) */
    int ok;
    size_t len;
    char sid[64];  /* a socket id: 20 characters */
    char addr[64]; /* its peer, for the log */
    char password[ADMINUI_MAX_PASSWORD + 1];
};
static struct adminui_check *adminui_checks;
static int adminui_check_fd = -1;
static struct event *adminui_check_ev;
/* Sockets last shown on polling (ADMINUI_MAX_FOLLOWED). */
static char *adminui_followed[ADMINUI_MAX_FOLLOWED];
static size_t adminui_nfollowed;
/* The counters at the last server_stats, for its aggregated events. */
static uint64_t adminui_last[4];

/* ---- passwords ---- */

int adminui_hash_valid(const char *hash)
{
    static const char b64[] =
        "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    int cost;
    size_t i;

    if (hash == NULL || strlen(hash) != 60 || hash[0] != '$' ||
        hash[1] != '2' || strchr("aby", hash[2]) == NULL || hash[2] == '\0' ||
        hash[3] != '$' || hash[4] < '0' || hash[4] > '9' || hash[5] < '0' ||
        hash[5] > '9' || hash[6] != '$')
        return 0;
    cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    if (cost < 4 || cost > 31)
        return 0;
    for (i = 7; i < 60; i++)
        if (strchr(b64, hash[i]) == NULL || hash[i] == '\0')
            return 0;
    return 1;
}

/* crypt(3) of `phrase` under `hash`'s salt into out (60 characters):
 * 0, or -1 when libxcrypt does not take the hash or is out of memory. */
static int adminui_bcrypt(const char *hash, const char *phrase, char out[61])
{
    struct crypt_data *cd = calloc(1, sizeof *cd);
    const char *r;
    int rc = -1;

    if (cd == NULL)
        return -1;
    r = crypt_rn(phrase, hash, cd, (int)sizeof *cd);
    if (r != NULL && strlen(r) == 60) {
        memcpy(out, r, 61);
        rc = 0;
    }
    explicit_bzero(cd, sizeof *cd);
    free(cd);
    return rc;
}

int adminui_password_ok(const char *hash, const char *password, size_t len)
{
    char phrase[ADMINUI_MAX_PASSWORD + 1], out[61];
    unsigned char diff = 0;
    size_t i;
    int rc;

    if (!adminui_hash_valid(hash) || len > ADMINUI_MAX_PASSWORD ||
        memchr(password, '\0', len) != NULL)
        return 0;
    memcpy(phrase, password, len);
    phrase[len] = '\0';
    rc = adminui_bcrypt(hash, phrase, out);
    explicit_bzero(phrase, sizeof phrase);
    if (rc != 0)
        return 0;
    for (i = 0; i < 60; i++)
        diff |= (unsigned char)(out[i] ^ hash[i]);
    explicit_bzero(out, sizeof out);
    return diff == 0;
}

/* Takes one password check from the shared bucket: 1 when allowed. */
static int adminui_login_take(void)
{
    struct timeval now;
    double dt;

    gettimeofday(&now, NULL);
    dt = (double)(now.tv_sec - adminui_tokens_at.tv_sec) +
         (double)(now.tv_usec - adminui_tokens_at.tv_usec) / 1e6;
    adminui_tokens_at = now;
    if (dt > 0)
        adminui_tokens += dt * ADMINUI_LOGIN_PER_MIN / 60.0;
    if (adminui_tokens > ADMINUI_LOGIN_BURST)
        adminui_tokens = ADMINUI_LOGIN_BURST;
    if (adminui_tokens < 1)
        return 0;
    adminui_tokens -= 1;
    return 1;
}

/* ---- login sessions (what lets the UI reconnect) ---- */

/* Compared in constant time: a session id is as good as the password. */
static int adminui_session_known(const char *id)
{
    time_t now = time(NULL);
    unsigned char diff;
    size_t i, k;
    int found = 0;

    if (strlen(id) != 16)
        return 0;
    for (i = 0; i < ADMINUI_MAX_SESSIONS; i++) {
        for (diff = 0, k = 0; k < 16; k++)
            diff |= (unsigned char)(adminui_sessions[i].id[k] ^ id[k]);
        found |= diff == 0 && adminui_sessions[i].expires > now;
    }
    return found;
}

/* A new session id in `out` (16 hex digits, as admin-ui's); "" when the
 * kernel gives no random bytes. The oldest session makes room. */
static void adminui_session_new(char out[17])
{
    unsigned char r[8];
    size_t i, old = 0;

    out[0] = '\0';
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return;
    for (i = 0; i < sizeof r; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    for (i = 1; i < ADMINUI_MAX_SESSIONS; i++)
        if (adminui_sessions[i].expires < adminui_sessions[old].expires)
            old = i;
    memcpy(adminui_sessions[old].id, out, 17);
    adminui_sessions[old].expires = time(NULL) + ADMINUI_SESSION_S;
}

/* ---- JSON text ---- */

/* Appends `s` as a JSON string literal. */
static void adminui_put_str(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

/* The wall clock as JavaScript's Date serialises in JSON. */
static void adminui_iso(char out[48])
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(tv.tv_usec / 1000));
}

/* ---- notices ---- */

static void adminui_queue(int kind, const char *data, size_t len,
                          const char *session)
{
    struct adminui_note *n;

    if (adminui_queued + len > ADMINUI_MAX_QUEUE ||
        (n = malloc(sizeof *n + len + 1)) == NULL) {
        adminui_stats.notices_dropped++;
        return;
    }
    n->next = NULL;
    n->kind = kind;
    n->len = len;
    snprintf(n->session, sizeof n->session, "%s", session ? session : "");
    memcpy(n->data, data, len);
    n->data[len] = '\0';
    if (adminui_head == NULL)
        event_active(adminui_flush_ev, EV_TIMEOUT, 0);
    *adminui_tail = n;
    adminui_tail = &n->next;
    adminui_queued += len;
}

/* Queues ["NAME", ...] built in `b` (owned) for every dashboard. */
static void adminui_queue_buf(struct buf *b)
{
    if (b->data != NULL)
        adminui_queue(ADMINUI_NOTE_JSON, b->data, b->len, NULL);
    buf_free(b);
}

static void adminui_send(const char *to, const char *json, size_t len)
{
    struct hub_target t;

    memset(&t, 0, sizeof t);
    t.nsp = adminui_cfg.nsp;
    t.flags = HUB_F_LOCAL;
    if (to != NULL) {
        t.rooms = &to;
        t.nrooms = 1;
        t.flags |= HUB_F_SIDS;
    }
    hub_emit(&t, json, len, NULL, 0, 0, NULL, NULL);
}

/* ---- a socket as the dashboard lists it (admin-ui's SerializedSocket) ---- */

static void adminui_meta_json(cJSON *hs, const char *meta)
{
    cJSON *headers = cJSON_AddObjectToObject(hs, "headers");
    cJSON *query = cJSON_AddObjectToObject(hs, "query");
    char name[64], *q, *kv, *save = NULL, *eq;
    const char *p, *v;
    size_t i, klen;

    for (p = meta; p != NULL && *p; p += strlen(p) + 1) {
        if ((v = strchr(p, '=')) == NULL)
            continue;
        v++;
        klen = (size_t)(v - 1 - p);
        /* A client's bytes: only text a WebSocket frame may carry. */
        if (*v != '\0' && !sio_name_valid(v, strlen(v)))
            continue;
        if (klen == 12 && memcmp(p, "QUERY_STRING", 12) == 0) {
            if ((q = strdup(v)) == NULL)
                continue;
            for (kv = strtok_r(q, "&", &save); kv != NULL;
                 kv = strtok_r(NULL, "&", &save)) {
                if ((eq = strchr(kv, '=')) != NULL)
                    *eq++ = '\0';
                if (*kv && cJSON_GetObjectItemCaseSensitive(query, kv) == NULL)
                    cJSON_AddStringToObject(query, kv, eq ? eq : "");
            }
            free(q);
            continue;
        }
        if (klen <= 5 || klen - 5 >= sizeof name || memcmp(p, "HTTP_", 5) != 0)
            continue;
        for (i = 0; i < klen - 5; i++)
            name[i] = p[5 + i] == '_' ? '-'
                      : (p[5 + i] >= 'A' && p[5 + i] <= 'Z')
                          ? (char)(p[5 + i] + 32)
                          : p[5 + i];
        name[i] = '\0';
        /* Credentials stay out of the dashboard. */
        if (strcmp(name, "cookie") == 0 || strcmp(name, "authorization") == 0)
            continue;
        cJSON_AddStringToObject(headers, name, v);
    }
}

/* Follows a socket shown on polling, for its socket_updated. */
static void adminui_follow(const struct hub_info *info)
{
    size_t i;

    if (strcmp(info->transport, "polling") != 0 ||
        adminui_nfollowed == ADMINUI_MAX_FOLLOWED)
        return;
    for (i = 0; i < adminui_nfollowed; i++)
        if (strcmp(adminui_followed[i], info->sid) == 0)
            return;
    if ((adminui_followed[adminui_nfollowed] = strdup(info->sid)) != NULL)
        adminui_nfollowed++;
}

static void adminui_transport(void *arg, const struct hub_info *info)
{
    struct buf *b = arg;

    if (strcmp(info->transport, "polling") == 0)
        return;
    buf_puts(b, "[\"socket_updated\",{\"id\":");
    adminui_put_str(b, info->sid);
    buf_puts(b, ",\"nsp\":");
    adminui_put_str(b, info->nsp);
    buf_puts(b, ",\"transport\":");
    adminui_put_str(b, info->transport);
    buf_puts(b, "}]");
}

/* Tells the dashboards of followed sockets that upgraded (as admin-ui's
 * socket_updated); forgets those and the gone ones. */
static void adminui_upgrades(void)
{
    struct buf b = BUF_INIT;
    size_t i = 0;

    while (i < adminui_nfollowed) {
        buf_reset(&b);
        if (adminui_stats.dashboards > 0 &&
            hub_session(adminui_followed[i], adminui_transport, &b) == 0 &&
            b.len == 0) {
            i++; /* still polling */
            continue;
        }
        if (b.len > 0)
            adminui_send(NULL, b.data, b.len);
        free(adminui_followed[i]);
        adminui_followed[i] = adminui_followed[--adminui_nfollowed];
    }
    buf_free(&b);
}

static cJSON *adminui_socket_json(const struct hub_info *info)
{
    cJSON *o = cJSON_CreateObject(), *data, *hs, *rooms;
    const char *secure = NULL;
    char client[13], when[64];
    time_t t = (time_t)info->connected_at;
    struct tm tm;
    size_t i;

    if (o == NULL)
        return NULL;
    adminui_follow(info);
    snprintf(client, sizeof client, "%s", info->eio_sid ? info->eio_sid : "");
    cJSON_AddStringToObject(o, "id", info->sid);
    cJSON_AddStringToObject(o, "clientId", client);
    cJSON_AddStringToObject(o, "transport", info->transport);
    cJSON_AddStringToObject(o, "nsp", info->nsp);
    /* socket.data in Node; the dashboard shows it: the app user here. */
    data = cJSON_AddObjectToObject(o, "data");
    if (data != NULL && info->user != NULL)
        cJSON_AddStringToObject(data, "user", info->user);
    hs = cJSON_AddObjectToObject(o, "handshake");
    if (hs != NULL) {
        cJSON_AddStringToObject(hs, "address",
                                info->remote_addr ? info->remote_addr : "");
        adminui_meta_json(hs, info->meta);
        cJSON_AddNumberToObject(hs, "issued",
                                (double)(uint64_t)(info->connected_at * 1000));
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%a %b %d %Y %H:%M:%S GMT+0000 (UTC)", &tm);
        cJSON_AddStringToObject(hs, "time", when);
        for (const char *p = info->meta; p != NULL && *p; p += strlen(p) + 1)
            if (strncmp(p, "HTTPS=", 6) == 0)
                secure = p;
        cJSON_AddBoolToObject(hs, "secure", secure != NULL);
        cJSON_AddStringToObject(hs, "url", "");
        cJSON_AddBoolToObject(hs, "xdomain", 0);
    }
    rooms = cJSON_AddArrayToObject(o, "rooms");
    if (rooms != NULL) {
        cJSON_AddItemToArray(rooms, cJSON_CreateString(info->sid));
        for (i = 0; i < info->nchannels; i++)
            cJSON_AddItemToArray(rooms, cJSON_CreateString(info->channels[i]));
    }
    return o;
}

static void adminui_list_one(void *arg, const struct hub_info *info)
{
    cJSON *list = arg, *o;

    if ((size_t)cJSON_GetArraySize(list) >= ADMINUI_MAX_LISTED)
        return;
    if ((o = adminui_socket_json(info)) != NULL)
        cJSON_AddItemToArray(list, o);
}

static void adminui_one(void *arg, const struct hub_info *info)
{
    *(cJSON **)arg = adminui_socket_json(info);
}

/* Sends ["NAME", x] to `to` (NULL: every dashboard); frees x. */
static void adminui_send_item(const char *to, const char *name, cJSON *x)
{
    cJSON *a = cJSON_CreateArray();
    char *text;

    if (a == NULL || x == NULL) {
        cJSON_Delete(a);
        cJSON_Delete(x);
        return;
    }
    cJSON_AddItemToArray(a, cJSON_CreateString(name));
    cJSON_AddItemToArray(a, x);
    if ((text = cJSON_PrintUnformatted(a)) != NULL) {
        adminui_send(to, text, strlen(text));
        free(text);
    }
    cJSON_Delete(a);
}

static void adminui_greet(const char *sid, const char *session)
{
    static const char *const features[] = {"EMIT",       "JOIN",  "LEAVE",
                                           "DISCONNECT", "MJOIN", "MLEAVE",
                                           "MDISCONNECT"};
    cJSON *cfg = cJSON_CreateObject(), *list;
    struct buf b = BUF_INIT;
    size_t i;

    if (*session) {
        buf_puts(&b, "[\"session\",");
        adminui_put_str(&b, session);
        buf_putc(&b, ']');
        if (b.data != NULL)
            adminui_send(sid, b.data, b.len);
        buf_free(&b);
    }
    if (cfg != NULL &&
        (list = cJSON_AddArrayToObject(cfg, "supportedFeatures")) != NULL) {
        for (i = 0;
             !adminui_cfg.readonly && i < sizeof features / sizeof *features;
             i++)
            cJSON_AddItemToArray(list, cJSON_CreateString(features[i]));
        cJSON_AddItemToArray(list, cJSON_CreateString("AGGREGATED_EVENTS"));
        if (adminui_cfg.development)
            cJSON_AddItemToArray(list, cJSON_CreateString("ALL_EVENTS"));
    }
    adminui_send_item(sid, "config", cfg);
    if (!adminui_cfg.development)
        return;
    list = cJSON_CreateArray();
    if (list != NULL)
        hub_sessions(NULL, NULL, adminui_list_one, list);
    adminui_send_item(sid, "all_sockets", list);
}

static void adminui_flush(evutil_socket_t fd, short what, void *arg)
{
    struct adminui_note *n;
    cJSON *o;
    char when[48];

    (void)fd;
    (void)what;
    (void)arg;
    /* Sending may queue more (a dashboard's session ends): they are taken
     * in this loop too, after these. */
    while ((n = adminui_head) != NULL) {
        if ((adminui_head = n->next) == NULL)
            adminui_tail = &adminui_head;
        adminui_queued -= n->len;
        if (n->kind == ADMINUI_NOTE_JSON) {
            adminui_send(NULL, n->data, n->len);
        } else if (n->kind == ADMINUI_NOTE_GREET) {
            adminui_greet(n->data, n->session);
        } else {
            o = NULL;
            if (hub_session(n->data, adminui_one, &o) == 0 && o != NULL) {
                cJSON *a = cJSON_CreateArray();
                char *text;
                adminui_iso(when);
                cJSON_AddItemToArray(a, cJSON_CreateString("socket_connected"));
                cJSON_AddItemToArray(a, o);
                cJSON_AddItemToArray(a, cJSON_CreateString(when));
                if ((text = cJSON_PrintUnformatted(a)) != NULL) {
                    adminui_send(NULL, text, strlen(text));
                    free(text);
                }
                cJSON_Delete(a);
            }
        }
        free(n);
    }
}

/* ---- the live view (hub_watch; development mode) ---- */

static int adminui_live(void)
{
    return adminui_cfg.development && adminui_stats.dashboards > 0;
}

static void adminui_w_connected(void *arg, const char *nsp, const char *sid)
{
    (void)arg;
    (void)nsp;
    if (adminui_live())
        adminui_queue(ADMINUI_NOTE_SOCKET, sid, strlen(sid), NULL);
}

static void adminui_w_disconnected(void *arg, const char *nsp, const char *sid,
                                   const char *reason)
{
    struct buf b = BUF_INIT;
    char when[48];

    (void)arg;
    if (!adminui_live())
        return;
    adminui_iso(when);
    buf_puts(&b, "[\"socket_disconnected\",");
    adminui_put_str(&b, nsp);
    buf_putc(&b, ',');
    adminui_put_str(&b, sid);
    buf_putc(&b, ',');
    adminui_put_str(&b, reason);
    buf_printf(&b, ",\"%s\"]", when);
    adminui_queue_buf(&b);
}

static void adminui_room(const char *what, const char *nsp, const char *room,
                         const char *sid)
{
    struct buf b = BUF_INIT;
    char when[48];

    if (!adminui_live())
        return;
    adminui_iso(when);
    buf_printf(&b, "[\"%s\",", what);
    adminui_put_str(&b, nsp);
    buf_putc(&b, ',');
    adminui_put_str(&b, room);
    buf_putc(&b, ',');
    adminui_put_str(&b, sid);
    buf_printf(&b, ",\"%s\"]", when);
    adminui_queue_buf(&b);
}

static void adminui_w_joined(void *arg, const char *nsp, const char *room,
                             const char *sid)
{
    (void)arg;
    adminui_room("room_joined", nsp, room, sid);
}

static void adminui_w_left(void *arg, const char *nsp, const char *room,
                           const char *sid)
{
    (void)arg;
    adminui_room("room_left", nsp, room, sid);
}

/* Appends the event's arguments (a JSON array text a parser accepted),
 * or for one over ADMINUI_MAX_SHOWN its name and its size. */
static void adminui_put_args(struct buf *b, const char *json, size_t len)
{
    size_t i;

    if (len <= ADMINUI_MAX_SHOWN) {
        buf_append(b, json, len);
        return;
    }
    buf_putc(b, '[');
    /* The name is the first item, a string (sock checked it). */
    for (i = 2; i < len && i < 4096 && json[i] != '"'; i++)
        if (json[i] == '\\')
            i++;
    if (len > 2 && json[1] == '"' && i < len && json[i] == '"') {
        buf_append(b, json + 1, i);
        buf_putc(b, ',');
    }
    buf_printf(b, "\"(%zu bytes, not shown)\"]", len);
}

static void adminui_event_note(const char *what, const char *nsp,
                               const char *sid, const char *json, size_t len)
{
    struct buf b = BUF_INIT;
    char when[48];

    if (!adminui_live())
        return;
    adminui_iso(when);
    buf_printf(&b, "[\"%s\",", what);
    adminui_put_str(&b, nsp);
    buf_putc(&b, ',');
    adminui_put_str(&b, sid);
    buf_putc(&b, ',');
    adminui_put_args(&b, json, len);
    buf_printf(&b, ",\"%s\"]", when);
    adminui_queue_buf(&b);
}

static void adminui_w_event_in(void *arg, const char *nsp, const char *sid,
                               const char *json, size_t len)
{
    (void)arg;
    adminui_event_note("event_received", nsp, sid, json, len);
}

static void adminui_w_event_out(void *arg, const char *nsp, const char *sid,
                                const char *json, size_t len)
{
    (void)arg;
    adminui_event_note("event_sent", nsp, sid, json, len);
}

/* ---- the dashboard's namespace (hub_own) ---- */

static void adminui_refused(const char *addr, const char *sid, const char *err)
{
    if (strcmp(err, ADMINUI_E_CREDENTIALS) == 0)
        adminui_stats.logins_refused++;
    log_info_at(addr, sid, "admin-ui: login to %s refused: %s", adminui_cfg.nsp,
                err);
}

/* A dashboard let in; `session`: its new login session id, or "". */
static void adminui_let_in(const char *addr, const char *sid,
                           const char *session)
{
    adminui_stats.logins++;
    adminui_stats.dashboards++;
    log_notice("admin-ui: dashboard %s logged in from %s", sid,
               addr != NULL ? addr : "?");
    adminui_queue(ADMINUI_NOTE_GREET, sid, strlen(sid), session);
}

static void *adminui_check_run(void *arg)
{
    struct adminui_check *c = arg;
    uint64_t one = 1;

    c->ok = adminui_password_ok(adminui_cfg.password_hash, c->password, c->len);
    explicit_bzero(c->password, sizeof c->password);
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    if (write(adminui_check_fd, &one, sizeof one) < 0) {
        /* the counter is full: the loop is awake already */
    }
    return NULL;
}

/* Starts checking `password` for socket `sid`: sock_connect_pending, or
 * the refusal when it cannot be checked now. */
static const char *adminui_check_start(const char *addr, const char *sid,
                                       const char *password)
{
    struct adminui_check *c;
    size_t len = strlen(password);

    if (len > ADMINUI_MAX_PASSWORD || strlen(sid) >= sizeof c->sid)
        return ADMINUI_E_CREDENTIALS;
    if (adminui_stats.checking >= ADMINUI_LOGIN_BURST) {
        adminui_stats.logins_limited++;
        return ADMINUI_E_TOO_MANY;
    }
    if ((c = calloc(1, sizeof *c)) == NULL)
        return "server out of memory";
    memcpy(c->sid, sid, strlen(sid) + 1);
    snprintf(c->addr, sizeof c->addr, "%s", addr != NULL ? addr : "?");
    memcpy(c->password, password, len);
    c->len = len;
    if (pthread_create(&c->thread, NULL, adminui_check_run, c) != 0) {
        explicit_bzero(c, sizeof *c);
        free(c);
        return "server out of memory";
    }
    c->next = adminui_checks;
    adminui_checks = c;
    adminui_stats.checking++;
    return sock_connect_pending;
}

/* Joins the finished checks and answers their sockets' CONNECT (a socket
 * gone meanwhile is not counted). `wait`: every check, finished or not. */
static void adminui_checks_end(int wait)
{
    struct adminui_check **p = &adminui_checks, *c;
    char session[17];

    while ((c = *p) != NULL) {
        if (!wait && !__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
            p = &c->next;
            continue;
        }
        *p = c->next;
        adminui_stats.checking--;
        pthread_join(c->thread, NULL);
        if (!wait && c->ok) {
            adminui_session_new(session);
            if (hub_connect_done(c->sid, NULL, NULL) == 0)
                adminui_let_in(c->addr, c->sid, session);
        } else if (!wait &&
                   hub_connect_done(c->sid, ADMINUI_E_CREDENTIALS, NULL) == 0) {
            adminui_refused(c->addr, c->sid, ADMINUI_E_CREDENTIALS);
        }
        free(c);
    }
}

static void adminui_checked(evutil_socket_t fd, short what, void *arg)
{
    uint64_t n;

    (void)what;
    (void)arg;
    if (read(fd, &n, sizeof n) < 0) {
        /* nothing counted: a spurious wake-up */
    }
    adminui_checks_end(0);
}

static const char *adminui_connect(void *arg, struct sock *s, const char *auth,
                                   size_t len)
{
    cJSON *a = NULL, *user, *pass = NULL, *sess;
    char session[17] = "";
    const char *err = ADMINUI_E_CREDENTIALS;

    (void)arg;
    if (adminui_cfg.no_auth) {
        err = NULL;
    } else if (auth != NULL && len > 0 &&
               memmem(auth, len, "\\u0000", 6) == NULL &&
               (a = cJSON_ParseWithLength(auth, len)) != NULL &&
               cJSON_IsObject(a)) {
        sess = cJSON_GetObjectItemCaseSensitive(a, "sessionId");
        user = cJSON_GetObjectItemCaseSensitive(a, "username");
        pass = cJSON_GetObjectItemCaseSensitive(a, "password");
        if (cJSON_IsString(sess) && adminui_session_known(sess->valuestring)) {
            err = NULL;
        } else if (cJSON_IsString(user) && cJSON_IsString(pass) &&
                   strcmp(user->valuestring, adminui_cfg.username) == 0) {
            if (!adminui_login_take()) {
                adminui_stats.logins_limited++;
                err = ADMINUI_E_TOO_MANY;
            } else {
                err = adminui_check_start(sock_meta(s, "REMOTE_ADDR"), s->id,
                                          pass->valuestring);
            }
        }
    }
    if (cJSON_IsString(pass))
        explicit_bzero(pass->valuestring, strlen(pass->valuestring));
    cJSON_Delete(a);
    if (err == sock_connect_pending)
        return err;
    if (err != NULL) {
        adminui_refused(sock_meta(s, "REMOTE_ADDR"), s->id, err);
        return err;
    }
    adminui_let_in(sock_meta(s, "REMOTE_ADDR"), s->id, session);
    return NULL;
}

static void adminui_disconnect(void *arg, struct sock *s, const char *reason)
{
    (void)arg;
    (void)reason;
    (void)s;
    adminui_stats.dashboards--;
}

/* A string item a name may be: at most `max` bytes, valid (sio_name_valid). */
static const char *adminui_name(cJSON *a, int i, size_t max)
{
    cJSON *x = cJSON_GetArrayItem(a, i);
    size_t n;

    if (!cJSON_IsString(x) || (n = strlen(x->valuestring)) == 0 || n > max ||
        !sio_name_valid(x->valuestring, n))
        return NULL;
    return x->valuestring;
}

/* The optional filter (a room or a socket id) at item `i`: 1 with *out
 * (NULL when absent or null), 0 when it is not a valid name. */
static int adminui_filter(cJSON *a, int i, const char **out)
{
    cJSON *x = cJSON_GetArrayItem(a, i);

    *out = NULL;
    if (x == NULL || cJSON_IsNull(x))
        return 1;
    return (*out = adminui_name(a, i, HUB_MAX_CHANNEL_NAME)) != NULL;
}

static int adminui_reserved(const char *ev)
{
    static const char *const names[] = {
        "connect",     "connect_error",  "disconnect", "disconnecting",
        "newListener", "removeListener", NULL};
    size_t i;

    for (i = 0; names[i] != NULL; i++)
        if (strcmp(ev, names[i]) == 0)
            return 1;
    return 0;
}

/* EMIT: [event, ...args] from item 3 on. */
static int adminui_emit_args(cJSON *a, struct adminui_action *act)
{
    cJSON *out = cJSON_CreateArray(), *x;
    int i, size = cJSON_GetArraySize(a);

    if (out == NULL)
        return -1;
    for (i = 3; i < size; i++)
        if ((x = cJSON_Duplicate(cJSON_GetArrayItem(a, i), 1)) == NULL ||
            !cJSON_AddItemToArray(out, x)) {
            cJSON_Delete(x);
            cJSON_Delete(out);
            return -1;
        }
    act->args = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    return act->args != NULL ? 0 : -1;
}

int adminui_action_parse(const char *json, size_t len,
                         struct adminui_action *act)
{
    const char *name;
    cJSON *a;

    memset(act, 0, sizeof *act);
    /* cJSON ends a string at "\u0000" without saying so. */
    if (memmem(json, len, "\\u0000", 6) != NULL ||
        (a = cJSON_ParseWithLength(json, len)) == NULL)
        return -1;
    act->doc = a;
    if (!cJSON_IsArray(a) || (name = adminui_name(a, 0, 16)) == NULL ||
        (act->nsp = adminui_name(a, 1, SOCK_MAX_NSP_NAME)) == NULL ||
        act->nsp[0] != '/')
        goto bad;
    if (strcmp(name, "emit") == 0) {
        act->verb = ADMINUI_EMIT;
        if (!adminui_filter(a, 2, &act->filter) ||
            (act->event = adminui_name(a, 3, HUB_MAX_CHANNEL_NAME)) == NULL ||
            adminui_reserved(act->event) || adminui_emit_args(a, act) != 0)
            goto bad;
    } else if (strcmp(name, "join") == 0 || strcmp(name, "leave") == 0) {
        act->verb = name[0] == 'j' ? ADMINUI_JOIN : ADMINUI_LEAVE;
        if ((act->room = adminui_name(a, 2, HUB_MAX_CHANNEL_NAME)) == NULL ||
            !adminui_filter(a, 3, &act->filter))
            goto bad;
    } else if (strcmp(name, "_disconnect") == 0) {
        act->verb = ADMINUI_DISCONNECT;
        act->close = cJSON_IsTrue(cJSON_GetArrayItem(a, 2));
        if (!adminui_filter(a, 3, &act->filter))
            goto bad;
    } else {
        goto bad;
    }
    return 0;
bad:
    adminui_action_free(act);
    return -1;
}

void adminui_action_free(struct adminui_action *act)
{
    cJSON_Delete(act->doc);
    free(act->args);
    memset(act, 0, sizeof *act);
}

static void adminui_collect(void *arg, const char *sid)
{
    struct buf *b = arg;

    buf_append(b, sid, strlen(sid) + 1);
}

static int adminui_act(const struct adminui_action *act,
                       const struct sock_event *ev)
{
    struct buf sids = BUF_INIT;
    struct hub_target t;
    const char *p, *err;

    memset(&t, 0, sizeof t);
    t.nsp = act->nsp;
    if (act->filter != NULL) {
        t.rooms = &act->filter;
        t.nrooms = 1;
    }
    if (act->verb == ADMINUI_EMIT)
        return hub_emit(&t, act->args, strlen(act->args), ev->attach,
                        ev->nattach, 0, NULL, NULL) < 0
                   ? -1
                   : 0;
    /* Collected first: a disconnect changes what hub_audience walks. */
    hub_audience(&t, adminui_collect, &sids);
    for (p = sids.data; p != NULL && p < sids.data + sids.len;
         p += strlen(p) + 1) {
        if (act->verb == ADMINUI_JOIN)
            hub_join(p, act->room, &err);
        else if (act->verb == ADMINUI_LEAVE)
            hub_leave(p, act->room, &err);
        else if (act->close)
            hub_close(p);
        else
            hub_disconnect(p);
    }
    buf_free(&sids);
    return 0;
}

static void adminui_event(void *arg, struct sock *s,
                          const struct sock_event *ev)
{
    struct adminui_action act;

    (void)arg;
    if (adminui_cfg.readonly ||
        adminui_action_parse(ev->data, ev->data_len, &act) != 0) {
        adminui_stats.actions_refused++;
        log_info_at(NULL, s->id, "admin-ui: %s refused", ev->name);
        return;
    }
    log_info_at(NULL, s->id, "admin-ui: %s in %s", ev->name, act.nsp);
    if (adminui_act(&act, ev) == 0)
        adminui_stats.actions++;
    else
        adminui_stats.actions_refused++;
    adminui_action_free(&act);
}

/* ---- server_stats ---- */

static void adminui_nsp_one(void *arg, const char *nsp, unsigned n)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return;
    cJSON_AddStringToObject(o, "name", nsp);
    cJSON_AddNumberToObject(o, "socketsCount", n);
    cJSON_AddItemToArray(arg, o);
}

/* The counters' growth since the last call, as admin-ui's aggregated
 * events (one bucket for the whole period). */
static void adminui_aggregated(cJSON *list)
{
    static const char *const types[] = {"rawConnection", "rawDisconnection",
                                        "packetsIn", "packetsOut"};
    uint64_t now[4] = {engine_stats.handshakes, engine_stats.closed,
                       hub_stats.events_in, hub_stats.messages_out};
    struct timeval tv;
    cJSON *o;
    size_t i;

    gettimeofday(&tv, NULL);
    for (i = 0; i < 4; i++) {
        if (list != NULL && now[i] > adminui_last[i] &&
            (o = cJSON_CreateObject()) != NULL) {
            cJSON_AddNumberToObject(o, "timestamp", (double)tv.tv_sec * 1000.0);
            cJSON_AddStringToObject(o, "type", types[i]);
            cJSON_AddNumberToObject(o, "count",
                                    (double)(now[i] - adminui_last[i]));
            cJSON_AddItemToArray(list, o);
        }
        adminui_last[i] = now[i];
    }
}

static void adminui_stats_tick(evutil_socket_t fd, short what, void *arg)
{
    struct timeval now;
    cJSON *o;

    (void)fd;
    (void)what;
    (void)arg;
    adminui_upgrades();
    if (adminui_stats.dashboards == 0) {
        adminui_aggregated(NULL);
        return;
    }
    if ((o = cJSON_CreateObject()) == NULL)
        return;
    gettimeofday(&now, NULL);
    cJSON_AddStringToObject(o, "serverId", adminui_host);
    cJSON_AddStringToObject(o, "hostname", adminui_host);
    cJSON_AddNumberToObject(o, "pid", (double)getpid());
    cJSON_AddNumberToObject(
        o, "uptime",
        (double)(now.tv_sec - adminui_started.tv_sec) +
            (double)(now.tv_usec - adminui_started.tv_usec) / 1e6);
    cJSON_AddNumberToObject(
        o, "clientsCount",
        (double)(engine_stats.polling + engine_stats.websocket));
    cJSON_AddNumberToObject(o, "pollingClientsCount",
                            (double)engine_stats.polling);
    adminui_aggregated(cJSON_AddArrayToObject(o, "aggregatedEvents"));
    hub_namespaces(adminui_nsp_one, cJSON_AddArrayToObject(o, "namespaces"));
    adminui_send_item(NULL, "server_stats", o);
}

/* ---- set-up ---- */

int adminui_setup(struct event_base *base, const struct adminui_config *cfg,
                  const char **cause)
{
    static const struct hub_watch watch = {adminui_w_connected,
                                           adminui_w_disconnected,
                                           adminui_w_joined,
                                           adminui_w_left,
                                           adminui_w_event_in,
                                           adminui_w_event_out,
                                           NULL};
    struct hub_own own = {cfg->nsp, adminui_connect, adminui_event,
                          adminui_disconnect, NULL};
    struct timeval tv = {ADMINUI_STATS_MS / 1000,
                         (ADMINUI_STATS_MS % 1000) * 1000};
    char probe[61];

    if (cfg->nsp == NULL || cfg->nsp[0] != '/' || cfg->nsp[1] == '\0' ||
        strlen(cfg->nsp) > SOCK_MAX_NSP_NAME ||
        !sio_name_valid(cfg->nsp, strlen(cfg->nsp))) {
        *cause = "the namespace must start with / and be another than /";
        return -1;
    }
    if (!cfg->no_auth) {
        if (cfg->username == NULL || cfg->username[0] == '\0') {
            *cause = "--admin-ui-username is needed (or --admin-ui-no-auth)";
            return -1;
        }
        if (!adminui_hash_valid(cfg->password_hash)) {
            *cause = "--admin-ui-password-hash must be a bcrypt hash "
                     "($2a$, $2b$ or $2y$, 60 characters)";
            return -1;
        }
        if (adminui_bcrypt(cfg->password_hash, "", probe) != 0) {
            *cause = "libxcrypt does not take --admin-ui-password-hash";
            return -1;
        }
        explicit_bzero(probe, sizeof probe);
        adminui_check_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (adminui_check_fd < 0 ||
            (adminui_check_ev =
                 event_new(base, adminui_check_fd, EV_READ | EV_PERSIST,
                           adminui_checked, NULL)) == NULL ||
            event_add(adminui_check_ev, NULL) != 0) {
            *cause = "cannot watch an eventfd for password checks";
            return -1;
        }
    }
    adminui_cfg = *cfg;
    adminui_flush_ev = event_new(base, -1, 0, adminui_flush, NULL);
    adminui_stats_ev =
        event_new(base, -1, EV_PERSIST, adminui_stats_tick, NULL);
    if (adminui_flush_ev == NULL || adminui_stats_ev == NULL ||
        event_add(adminui_stats_ev, &tv) != 0) {
        *cause = "out of memory";
        return -1;
    }
    if (gethostname(adminui_host, sizeof adminui_host - 1) != 0)
        snprintf(adminui_host, sizeof adminui_host, "socketiod");
    gettimeofday(&adminui_started, NULL);
    adminui_tokens_at = adminui_started;
    hub_set_own(&own);
    if (cfg->development) /* production shows no socket, room or event */
        hub_set_watch(&watch);
    if (cfg->no_auth)
        log_warn("admin-ui: namespace %s is open to anyone "
                 "(--admin-ui-no-auth): anyone who reaches the port may list "
                 "and disconnect every socket",
                 cfg->nsp);
    else
        log_notice("admin-ui: namespace %s, user %s, %s mode%s", cfg->nsp,
                   cfg->username,
                   cfg->development ? "development" : "production",
                   cfg->readonly ? ", read-only" : "");
    return 0;
}

void adminui_shutdown(void)
{
    struct adminui_note *n;

    hub_set_watch(NULL);
    while ((n = adminui_head) != NULL) {
        adminui_head = n->next;
        free(n);
    }
    adminui_tail = &adminui_head;
    adminui_queued = 0;
    while (adminui_nfollowed > 0)
        free(adminui_followed[--adminui_nfollowed]);
    if (adminui_flush_ev != NULL)
        event_free(adminui_flush_ev);
    if (adminui_stats_ev != NULL)
        event_free(adminui_stats_ev);
    adminui_flush_ev = adminui_stats_ev = NULL;
    adminui_checks_end(1);
    if (adminui_check_ev != NULL)
        event_free(adminui_check_ev);
    adminui_check_ev = NULL;
    if (adminui_check_fd >= 0)
        close(adminui_check_fd);
    adminui_check_fd = -1;
    memset(adminui_sessions, 0, sizeof adminui_sessions);
}
