/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* sock: Socket.IO over one Engine.IO session: namespace sockets, CONNECT,
 * events, acks both ways, binary attachments; protocol v5 and v4. */
#include "sock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "idmap.h"
#include "jsonv.h"
#include "log.h"
#include "route.h"
#include "sio.h"

/* A session keeps its sockets in a list; from this many on, also in a map
 * by namespace, so that a flood of CONNECTs costs O(1) each while idle
 * sessions with one namespace pay nothing for it. */
#define SOCK_MAP_FROM 8

struct sock_ack {
    struct sock_ack *next;
    int64_t id;
    sock_ack_cb cb;
    void *arg;
};

/* A BINARY_EVENT or BINARY_ACK whose attachments are still arriving. */
struct sock_partial {
    struct timerq_node timer; /* first: the timer finds the partial */
    struct sock_client *cl;
    int type;
    char *nsp; /* as sent: may hold any byte, so nsp_len says where it ends */
    size_t nsp_len;
    int64_t id;
    char *json;
    size_t json_len;
    size_t bytes; /* of the attachments so far */
    unsigned want, have;
    struct frame *attach[];
};

/* One socket in its session's map by namespace. */
struct sock_by_nsp {
    struct idmap_node node;
    struct sock *s;
};

struct sock_stats sock_stats;

static const struct sock_handler *sock_h;
static struct timerq sock_connect_q;
static struct timerq sock_partial_q;
static struct sock_limits sock_lim = {100, 1000000, 60000};

static void sock_partial_due(struct timerq_node *n, void *arg);

static void sock_connect_due(struct timerq_node *n, void *arg)
{
    struct sock_client *cl =
        (struct sock_client *)((char *)n -
                               offsetof(struct sock_client, connect_timer));

    (void)arg;
    log_info_at(NULL, cl->es->sid, "no CONNECT in time, closing");
    engine_close(cl->es, "connect timeout");
}

void sock_setup(struct event_base *base, unsigned connect_timeout_ms,
                const struct sock_handler *h)
{
    sock_h = h;
    timerq_init(&sock_connect_q, base, connect_timeout_ms, sock_connect_due,
                NULL);
    timerq_init(&sock_partial_q, base, sock_lim.attach_timeout_ms,
                sock_partial_due, NULL);
}

void sock_set_limits(const struct sock_limits *lim)
{
    sock_lim = *lim;
    sock_partial_q.delay_ms = lim->attach_timeout_ms;
}

/* Socket.IO v4 (Engine.IO 3) connects "/" by itself and names sockets after
 * the session; v5 gives each namespace socket an id of its own. */
static int sock_protocol(const struct sock_client *cl)
{
    return cl->es->version == 3 ? 4 : 5;
}

static void sock_free_partial(struct sock_client *cl)
{
    struct sock_partial *p = cl->partial;
    unsigned i;

    if (p == NULL)
        return;
    timerq_remove(&p->timer);
    for (i = 0; i < p->have; i++)
        frame_unref(p->attach[i]);
    free(p->nsp);
    free(p->json);
    free(p);
    cl->partial = NULL;
}

/* ---- outgoing ---- */

int sock_packet_init(struct sock_packet *p, int type, const char *nsp,
                     int64_t id, const char *json, size_t len,
                     struct frame *const *attach, unsigned nattach)
{
    unsigned i;

    memset(p, 0, sizeof *p);
    if (nattach > 0)
        type = type == SIO_ACK ? SIO_BINARY_ACK : SIO_BINARY_EVENT;
    if (sio_encode_head(&p->text, type, nattach, nsp, strlen(nsp), id) != 0 ||
        buf_append(&p->text, json, len) != 0)
        goto fail;
    p->msgs = calloc(1 + nattach, sizeof *p->msgs);
    if (p->msgs == NULL)
        goto fail;
    p->n = 1 + nattach;
    engine_msg_init(&p->msgs[0], 0, p->text.data, p->text.len);
    for (i = 0; i < nattach; i++)
        engine_msg_init(&p->msgs[1 + i], 1, attach[i]->data, attach[i]->len);
    return 0;
fail:
    buf_free(&p->text);
    return -1;
}

void sock_packet_release(struct sock_packet *p)
{
    unsigned i;

    for (i = 0; i < p->n; i++)
        engine_msg_release(&p->msgs[i]);
    free(p->msgs);
    buf_free(&p->text);
    memset(p, 0, sizeof *p);
}

int sock_send(struct sock *s, struct sock_packet *p)
{
    unsigned i;

    for (i = 0; i < p->n; i++)
        if (engine_send(s->client->es, &p->msgs[i]) != 0)
            return -1;
    return 0;
}

/* Sends a control packet (CONNECT, DISCONNECT, CONNECT_ERROR) to a client. */
static void sock_send_control(struct sock_client *cl, int type, const char *nsp,
                              const char *json)
{
    struct sock_packet p;

    if (sock_packet_init(&p, type, nsp, SIO_NO_ID, json ? json : "",
                         json ? strlen(json) : 0, NULL, 0) != 0)
        return;
    engine_send(cl->es, &p.msgs[0]);
    sock_packet_release(&p);
}

int sock_expect_ack(struct sock *s, int64_t id, sock_ack_cb cb, void *arg)
{
    struct sock_ack *a = malloc(sizeof *a);

    if (a == NULL)
        return -1;
    a->id = id;
    a->cb = cb;
    a->arg = arg;
    a->next = s->acks;
    s->acks = a;
    return 0;
}

void sock_cancel_ack(struct sock *s, int64_t id, void *arg)
{
    struct sock_ack **pp, *a;

    for (pp = &s->acks; (a = *pp) != NULL; pp = &a->next) {
        if (a->id == id && a->arg == arg) {
            *pp = a->next;
            free(a);
            return;
        }
    }
}

const char *sock_transport(const struct sock *s)
{
    return s->client->es->transport == ENGINE_WEBSOCKET ? "websocket"
                                                        : "polling";
}

void sock_close(struct sock *s, const char *reason)
{
    engine_close(s->client->es, reason);
}

const char *sock_eio_sid(const struct sock *s) { return s->client->es->sid; }

int sock_eio_version(const struct sock *s) { return s->client->es->version; }

uint64_t sock_connected_at_ms(const struct sock *s)
{
    return s->client->es->connected_at_ms;
}

const char *sock_meta(const struct sock *s, const char *key)
{
    return key ? engine_meta(s->client->es, key) : s->client->es->meta;
}

int sock_writable(const struct sock *s)
{
    return engine_writable(s->client->es);
}

/* ---- socket lifecycle ---- */

static struct sock *sock_find(struct sock_client *cl, const char *nsp,
                              size_t len)
{
    struct sock_by_nsp *b;
    struct sock *s;

    if (cl->by_nsp != NULL) {
        b = (struct sock_by_nsp *)idmap_getn(cl->by_nsp, nsp, len);
        return b ? b->s : NULL;
    }
    LIST_FOREACH(s, &cl->socks, link)
    if (strlen(s->nsp) == len && memcmp(s->nsp, nsp, len) == 0)
        return s;
    return NULL;
}

static void sock_map_free(struct sock_client *cl)
{
    struct idmap_node *n, *next;
    size_t i;

    if (cl->by_nsp == NULL)
        return;
    for (i = 0; i <= cl->by_nsp->mask; i++)
        for (n = cl->by_nsp->buckets[i]; n != NULL; n = next) {
            next = n->next;
            free(n);
        }
    idmap_free(cl->by_nsp);
    free(cl->by_nsp);
    cl->by_nsp = NULL;
}

static int sock_map_put(struct sock_client *cl, struct sock *s)
{
    struct sock_by_nsp *b = malloc(sizeof *b);

    if (b == NULL)
        return -1;
    b->s = s;
    idmap_put(cl->by_nsp, &b->node, s->nsp);
    return 0;
}

/* Links a new socket into its session: the list, and the map once the
 * session has SOCK_MAP_FROM sockets. Returns 0, or -1 out of memory
 * (the socket is not linked then). */
static int sock_link(struct sock_client *cl, struct sock *s)
{
    struct sock *o;

    if (cl->by_nsp == NULL && cl->nsocks + 1 >= SOCK_MAP_FROM) {
        if ((cl->by_nsp = malloc(sizeof *cl->by_nsp)) == NULL ||
            idmap_init(cl->by_nsp) != 0) {
            free(cl->by_nsp);
            cl->by_nsp = NULL;
            return -1;
        }
        LIST_FOREACH(o, &cl->socks, link)
        if (sock_map_put(cl, o) != 0) {
            sock_map_free(cl);
            return -1;
        }
    }
    if (cl->by_nsp != NULL && sock_map_put(cl, s) != 0)
        return -1;
    LIST_INSERT_HEAD(&cl->socks, s, link);
    cl->nsocks++;
    return 0;
}

static void sock_unlink(struct sock *s)
{
    struct sock_client *cl = s->client;
    struct idmap_node *n;

    LIST_REMOVE(s, link);
    cl->nsocks--;
    if (cl->by_nsp != NULL && (n = idmap_get(cl->by_nsp, s->nsp)) != NULL) {
        idmap_del(cl->by_nsp, n);
        free(n);
    }
}

static void sock_release(struct turn_node *n)
{
    struct sock *s = TURN_OF(n, struct sock, dead);

    free(s->id);
    free(s->nsp);
    free(s);
}

/* The memory goes at the end of the turn: the hub may be in a fan-out
 * whose delivery ended this socket's session. */
static void sock_free(struct sock *s, const char *reason)
{
    struct sock_ack *a;

    if (s->closing)
        return; /* again from inside its own `disconnect` */
    s->closing = 1;
    sock_unlink(s);
    sock_h->disconnect(s, reason);
    while ((a = s->acks) != NULL) {
        s->acks = a->next;
        a->cb(a->arg, s, NULL, 0, NULL, 0);
        free(a);
    }
    turn_defer(&s->dead, sock_release);
}

void sock_disconnect(struct sock *s, const char *reason)
{
    if (s->closing)
        return;
    sock_send_control(s->client, SIO_DISCONNECT, s->nsp, NULL);
    sock_free(s, reason);
}

static char *sock_new_id(struct sock_client *cl, const char *nsp)
{
    char *id;

    if (sock_protocol(cl) == 4) {
        if (strcmp(nsp, "/") == 0)
            return strdup(cl->es->sid);
        id = malloc(strlen(nsp) + 1 + sizeof cl->es->sid);
        if (id != NULL)
            sprintf(id, "%s#%s", nsp, cl->es->sid);
        return id;
    }
    if ((id = malloc(21)) != NULL)
        route_new_id(id);
    return id;
}

const char sock_connect_pending[] = "(pending)";

int sock_set_id(struct sock *s, const char *id)
{
    char *copy = strdup(id);

    if (copy == NULL)
        return -1;
    free(s->id);
    s->id = copy;
    return 0;
}

/* CONNECT_ERROR: v5 {"message": ..., "data": ...}, v4 the message string. */
static void sock_refuse(struct sock_client *cl, const char *nsp,
                        const char *refusal, const char *data)
{
    cJSON *err, *d;
    char *reply;

    if (sock_protocol(cl) == 5) {
        err = cJSON_CreateObject();
        cJSON_AddStringToObject(err, "message", refusal);
        if (data != NULL && (d = cJSON_Parse(data)) != NULL)
            cJSON_AddItemToObject(err, "data", d);
    } else {
        err = cJSON_CreateString(refusal);
    }
    reply = err ? cJSON_PrintUnformatted(err) : NULL;
    if (reply != NULL)
        sock_send_control(cl, SIO_CONNECT_ERROR, nsp, reply);
    cJSON_free(reply);
    cJSON_Delete(err);
}

static void sock_accepted(struct sock *s)
{
    struct sock_client *cl = s->client;

    log_debug("session %s: socket %s joined %s", cl->es->sid, s->id, s->nsp);
    if (sock_protocol(cl) == 5) {
        char json[96], pid[32];
        if (sock_h->pid != NULL && sock_h->pid(s, pid) != NULL)
            snprintf(json, sizeof json, "{\"sid\":\"%s\",\"pid\":\"%s\"}",
                     s->id, pid);
        else
            snprintf(json, sizeof json, "{\"sid\":\"%s\"}", s->id);
        sock_send_control(cl, SIO_CONNECT, s->nsp, json);
    } else {
        sock_send_control(cl, SIO_CONNECT, s->nsp, NULL);
    }
}

void sock_connect_done(struct sock *s, const char *refusal, const char *data)
{
    if (!s->pending)
        return;
    s->pending = 0;
    if (refusal == NULL) {
        sock_accepted(s);
        return;
    }
    sock_refuse(s->client, s->nsp, refusal, data);
    sock_free(s, "connect refused");
}

/* Refuses a CONNECT to a namespace we will not hold, as Node socket.io
 * refuses an unknown one. A valid name is echoed as sent, so the client
 * finds its socket; an invalid one with every byte that is not printable
 * ASCII replaced, so that the reply stays valid UTF-8 text and no control
 * byte (the polling payload's separator 0x1e) reaches the wire. */
static void sock_refuse_name(struct sock_client *cl, const char *nsp,
                             size_t len, const char *why)
{
    int valid = sio_name_valid(nsp, len);
    char *echo = malloc(len + 1);
    size_t i;

    if (echo == NULL)
        return;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)nsp[i];
        echo[i] = !valid && (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    echo[len] = '\0';
    sock_refuse(cl, echo, why, NULL);
    free(echo);
}

static void sock_connect(struct sock_client *cl, const char *nsp,
                         size_t nsp_len, const char *auth, size_t auth_len)
{
    struct sock *s;
    const char *refusal;

    timerq_remove(&cl->connect_timer);
    if (nsp_len > SOCK_MAX_NSP_NAME || !sio_name_valid(nsp, nsp_len)) {
        sock_stats.names_refused++;
        log_info_at(NULL, cl->es->sid,
                    "CONNECT to an invalid namespace refused");
        sock_refuse_name(cl, nsp, nsp_len, "Invalid namespace");
        return;
    }
    if (sock_find(cl, nsp, nsp_len) != NULL)
        return; /* already connected: a retry, not an error */
    if (cl->nsocks >= sock_lim.max_namespaces) {
        sock_stats.namespaces_refused++;
        log_debug("session %s: CONNECT over %u namespaces refused", cl->es->sid,
                  sock_lim.max_namespaces);
        sock_refuse_name(cl, nsp, nsp_len, "too many namespaces");
        return;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->nsp = malloc(nsp_len + 1)) == NULL) {
        free(s);
        engine_close(cl->es, "out of memory");
        return;
    }
    memcpy(s->nsp, nsp, nsp_len);
    s->nsp[nsp_len] = '\0';
    s->client = cl;
    if ((s->id = sock_new_id(cl, s->nsp)) == NULL || sock_link(cl, s) != 0) {
        free(s->id);
        free(s->nsp);
        free(s);
        engine_close(cl->es, "out of memory");
        return;
    }
    refusal = sock_h->connect(s, auth, auth_len);
    if (refusal == sock_connect_pending) {
        s->pending = 1;
        return;
    }
    if (refusal != NULL) {
        sock_unlink(s);
        sock_refuse(cl, s->nsp, refusal, NULL);
        free(s->id);
        free(s->nsp);
        free(s);
        return;
    }
    sock_accepted(s);
}

void sock_engine_open(struct engine_session *es)
{
    struct sock_client *cl = calloc(1, sizeof *cl);

    if (cl == NULL) {
        engine_close(es, "out of memory");
        return;
    }
    cl->es = es;
    LIST_INIT(&cl->socks);
    es->data = cl;
    if (sock_protocol(cl) == 4)
        sock_connect(cl, "/", 1, NULL, 0);
    else
        timerq_add(&sock_connect_q, &cl->connect_timer);
}

static void sock_client_release(struct turn_node *n)
{
    free(TURN_OF(n, struct sock_client, dead));
}

void sock_engine_close(struct engine_session *es, const char *reason)
{
    struct sock_client *cl = es->data;
    struct sock *s;

    if (cl == NULL)
        return;
    es->data = NULL;
    timerq_remove(&cl->connect_timer);
    while ((s = LIST_FIRST(&cl->socks)) != NULL)
        sock_free(s, reason);
    sock_map_free(cl);
    sock_free_partial(cl);
    turn_defer(&cl->dead, sock_client_release);
}

/* ---- incoming ---- */

/* The attachments of a packet did not all come in time: the session goes,
 * as when they are too big (each session holds one partial at most). */
static void sock_partial_due(struct timerq_node *n, void *arg)
{
    struct sock_partial *p = (struct sock_partial *)n;

    (void)arg;
    sock_stats.attachment_timeouts++;
    log_info_at(NULL, p->cl->es->sid,
                "attachments not complete in %u ms, closing",
                sock_lim.attach_timeout_ms);
    engine_close(p->cl->es, "attachments timeout");
}

/* A protocol violation: the whole session goes (Node socket.io does too). */
static void sock_fail(struct sock_client *cl, const char *why)
{
    sock_stats.protocol_errors++;
    log_info_at(NULL, cl->es->sid, "%s, closing", why);
    engine_close(cl->es, "parse error");
}

static void sock_deliver_ack(struct sock *s, int64_t id, const char *json,
                             size_t len, struct frame **attach, unsigned n)
{
    struct sock_ack **pp, *a;

    for (pp = &s->acks; (a = *pp) != NULL; pp = &a->next) {
        if (a->id == id) {
            *pp = a->next;
            a->cb(a->arg, s, json, len, attach, n);
            free(a);
            return;
        }
    }
    log_debug("socket %s: ack %lld nobody waits for", s->id, (long long)id);
}

/* [{"error": code}] to an acked event that is not handed up. */
static void sock_ack_error(struct sock *s, int64_t id, const char *code)
{
    struct sock_packet p;
    char json[128];

    if (id == SIO_NO_ID)
        return;
    snprintf(json, sizeof json, "[{\"error\":\"%s\"}]", code);
    if (sock_packet_init(&p, SIO_ACK, s->nsp, id, json, strlen(json), NULL,
                         0) != 0)
        return;
    sock_send(s, &p);
    sock_packet_release(&p);
}

/* Validates and hands up a whole packet (attachments collected). */
static void sock_dispatch(struct sock_client *cl, int type, const char *nsp,
                          size_t nsp_len, int64_t id, const char *json,
                          size_t len, struct frame **attach, unsigned n)
{
    struct sock *s = sock_find(cl, nsp, nsp_len);
    struct sock_event ev;
    cJSON *root, *name, *arg1;

    if (s == NULL || s->pending) {
        log_debug("session %s: packet for unjoined namespace %.*s ignored",
                  cl->es->sid, (int)nsp_len, nsp);
        return;
    }
    /* cJSON alone would take text that every JSON.parse it reaches
     * refuses (a relay to a channel: all of its receivers disconnect) */
    if (!jsonv_valid(json, len)) {
        sock_stats.invalid_json++;
        sock_fail(cl, "event data is not strict JSON");
        return;
    }
    root = cJSON_ParseWithLength(json, len);
    if (root == NULL || !cJSON_IsArray(root)) {
        cJSON_Delete(root);
        sock_fail(cl, "event data is not a JSON array");
        return;
    }
    if (type == SIO_ACK || type == SIO_BINARY_ACK) {
        cJSON_Delete(root);
        sock_deliver_ack(s, id, json, len, attach, n);
        return;
    }
    name = cJSON_GetArrayItem(root, 0);
    if (!cJSON_IsString(name)) {
        cJSON_Delete(root);
        sock_fail(cl, "event without a name");
        return;
    }
    /* On the text: the parser cut the name at a "\u0000". */
    if (sio_json_name(json, len, 0) != 1) {
        cJSON_Delete(root);
        sock_stats.names_refused++;
        log_info_at(NULL, s->id, "event with an invalid name refused");
        sock_ack_error(s, id, SOCK_E_BAD_NAME);
        return;
    }
    /* Only the name and the first argument are kept: the handler may
     * parse the data again (upstream), and two trees of a large event at
     * once cost twice (1 MB of small JSON values is ~40 MB of nodes). */
    name = cJSON_DetachItemFromArray(root, 0);
    arg1 = cJSON_DetachItemFromArray(root, 0);
    cJSON_Delete(root);
    if (!cJSON_IsString(arg1)) {
        cJSON_Delete(arg1);
        arg1 = NULL;
    }
    ev.name = name->valuestring;
    ev.arg1 = arg1 ? arg1->valuestring : NULL;
    ev.arg1_valid = ev.arg1 != NULL && sio_json_name(json, len, 1) == 1;
    ev.data = json;
    ev.data_len = len;
    ev.ack_id = id;
    ev.attach = attach;
    ev.nattach = n;
    sock_h->event(s, &ev);
    cJSON_Delete(name);
    cJSON_Delete(arg1);
}

static void sock_binary(struct sock_client *cl, const char *data, size_t len)
{
    struct sock_partial *p = cl->partial;
    struct frame *f;

    if (p == NULL) {
        sock_fail(cl, "binary message without a packet");
        return;
    }
    if (len > sock_lim.max_attachments - p->bytes) {
        sock_stats.attachments_refused++;
        log_info_at(NULL, cl->es->sid,
                    "attachments of one packet over %zu bytes, closing",
                    sock_lim.max_attachments);
        engine_close(cl->es, "attachments too large");
        return;
    }
    p->bytes += len;
    f = frame_new(data, len);
    if (f == NULL) {
        engine_close(cl->es, "out of memory");
        return;
    }
    p->attach[p->have++] = f;
    if (p->have < p->want)
        return;
    cl->partial = NULL;
    timerq_remove(&p->timer);
    sock_dispatch(cl, p->type, p->nsp, p->nsp_len, p->id, p->json, p->json_len,
                  p->attach, p->have);
    /* The session may be gone now, but the partial is ours to free. */
    cl->partial = p;
    sock_free_partial(cl);
}

static void sock_text(struct sock_client *cl, const char *data, size_t len)
{
    struct sio_packet p;
    struct sock *s;
    struct sock_partial *part;

    if (cl->partial != NULL) {
        sock_fail(cl, "text packet while attachments were due");
        return;
    }
    if (sio_decode(data, len, &p) != 0) {
        sock_fail(cl, "malformed packet");
        return;
    }
    log_trace("session %s: packet type %d nsp %.*s", cl->es->sid, p.type,
              (int)p.nsp_len, p.nsp);
    switch (p.type) {
    case SIO_CONNECT:
        if (p.data_len > 0 && p.data[0] != '{') {
            sock_fail(cl, "CONNECT payload is not an object");
            return;
        }
        if (p.data_len > 0 && !jsonv_valid(p.data, p.data_len)) {
            sock_stats.invalid_json++;
            sock_fail(cl, "CONNECT payload is not strict JSON");
            return;
        }
        sock_connect(cl, p.nsp, p.nsp_len, p.data, p.data_len);
        return;
    case SIO_DISCONNECT:
        if ((s = sock_find(cl, p.nsp, p.nsp_len)) != NULL)
            sock_free(s, "client namespace disconnect");
        return;
    case SIO_EVENT:
    case SIO_ACK:
        if (p.type == SIO_ACK && p.id == SIO_NO_ID) {
            sock_fail(cl, "ACK without an id");
            return;
        }
        sock_dispatch(cl, p.type, p.nsp, p.nsp_len, p.id, p.data, p.data_len,
                      NULL, 0);
        return;
    case SIO_BINARY_EVENT:
    case SIO_BINARY_ACK:
        part = calloc(1, sizeof *part + p.attachments * sizeof(struct frame *));
        if (part == NULL || (part->nsp = malloc(p.nsp_len + 1)) == NULL ||
            (part->json = malloc(p.data_len + 1)) == NULL) {
            if (part != NULL)
                free(part->nsp);
            free(part);
            engine_close(cl->es, "out of memory");
            return;
        }
        memcpy(part->nsp, p.nsp, p.nsp_len);
        part->nsp[p.nsp_len] = '\0';
        part->nsp_len = p.nsp_len;
        if (p.data_len > 0) /* "51-/nsp": no data, and p.data NULL */
            memcpy(part->json, p.data, p.data_len);
        part->json_len = p.data_len;
        part->cl = cl;
        part->type = p.type;
        part->id = p.id;
        part->want = p.attachments;
        cl->partial = part;
        if (p.attachments == 0) /* sio_decode refuses this; be safe */
            sock_free_partial(cl);
        else if (sock_lim.attach_timeout_ms > 0)
            timerq_add(&sock_partial_q, &part->timer);
        return;
    default:
        sock_fail(cl, "unexpected packet type");
    }
}

void sock_engine_message(struct engine_session *es, int binary,
                         const char *data, size_t len)
{
    struct sock_client *cl = es->data;

    if (cl == NULL)
        return;
    if (binary)
        sock_binary(cl, data, len);
    else
        sock_text(cl, data, len);
}
