/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpc: the control protocol: newline-delimited JSON on a Unix socket. */
#include "rpc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "adapter.h"
#include "bus.h"
#include "conn.h"
#include "engine.h"
#include "fcgiserv.h"
#include "fleet.h"
#include "front.h"
#include "hub.h"
#include "listener.h"
#include "log.h"
#include "msglog.h"
#include "pfor.h"
#include "route.h"
#include "rpcmsg.h"
#include "scgiserv.h"
#include "sio.h"
#include "svcstats.h"
#include "upstream.h"
#include "users.h"

struct rpc_stats rpc_stats;

static const double rpc_latency_bounds[] = {
    0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1,
};
struct hist_family rpc_latency = {rpc_latency_bounds,
                                  sizeof rpc_latency_bounds /
                                      sizeof rpc_latency_bounds[0],
                                  0,
                                  {{0}},
                                  {{{0}, 0, 0}}};

/* A client of the control socket. It outlives its socket while acked emits
 * still owe it answers. */
struct rpc_client {
    struct bufferevent *bev;
    unsigned refs;
    int eof;
    int paused; /* over rpc_max_unread: its requests wait unread */
    LIST_ENTRY(rpc_client) link;
};

/* An acked emit whose answer is written when the hub reports back. */
struct rpc_pending {
    struct rpc_client *cl;
    cJSON *id;
    int single; /* addressed to one socket */
    long recipients;
    struct msglog_mark before; /* the log's position before the emit */
    /* The answer waits for `waits` parts: this node's acks, the other
     * nodes' (with `fleet`), and the call that set it up (the hub may
     * answer from inside hub_emit()). */
    int waits, fleet, incomplete;
    cJSON *result;     /* this node's acks: {"acks", "timeouts"}; single:
                          the client's args */
    int local_timeout; /* single: the client here did not answer */
    long remote;       /* clients the other nodes sent to */
    cJSON *remote_acks;
};

/* With the message log on, an emit's answer waits until the rows the emit
 * queued are written, so that "ok" means "in the log" (docs/rpc.md). Rows
 * are written in order, so the held answers form one FIFO. */
struct rpc_held {
    TAILQ_ENTRY(rpc_held) link;
    struct rpc_client *cl;
    cJSON *msg;      /* the whole answer; "logged" is added when sent */
    cJSON *result;   /* inside msg */
    uint64_t lo, hi; /* its rows are numbered (lo, hi] */
    int dropped;     /* the queue was full for one of them */
};

static struct evconnlistener *rpc_listener;
static char *rpc_path;
static size_t rpc_max_line;
/* Backpressure: a client that pipelines requests and does not read the
 * answers would grow its output buffer without bound; past this many
 * unread bytes its further requests stay in the socket until the answers
 * drain to half of it. Other clients are served meanwhile. */
static size_t rpc_max_unread;
static struct rpc_access rpc_access = {(gid_t)-1, {0}, 0, {0}, 0};

void rpc_set_access(const struct rpc_access *a) { rpc_access = *a; }

/* 1 when the peer of `fd` may use the control socket. */
static int rpc_peer_allowed(int fd, uid_t *uid, gid_t *gid)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    unsigned i;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
        len != sizeof cr)
        return 0;
    *uid = cr.uid;
    *gid = cr.gid;
    /* Root, the daemon's own user, and the group the socket file belongs
     * to (the web server's, as the systemd unit sets it up) always may. */
    if (cr.uid == 0 || cr.uid == geteuid() || cr.gid == getegid() ||
        (rpc_access.group != (gid_t)-1 && cr.gid == rpc_access.group))
        return 1;
    for (i = 0; i < rpc_access.nuids; i++)
        if (rpc_access.uids[i] == cr.uid)
            return 1;
    for (i = 0; i < rpc_access.ngids; i++)
        if (rpc_access.gids[i] == cr.gid)
            return 1;
    return 0;
}
static const struct rpcmsg *rpc_cur; /* the request being dispatched */
static LIST_HEAD(, rpc_client) rpc_clients = LIST_HEAD_INITIALIZER(rpc_clients);
static TAILQ_HEAD(, rpc_held) rpc_held = TAILQ_HEAD_INITIALIZER(rpc_held);
static int rpc_notify_on; /* msglog_notify() done */

static void rpc_client_release(struct rpc_client *cl)
{
    if (--cl->refs > 0)
        return;
    LIST_REMOVE(cl, link);
    if (cl->bev != NULL)
        bufferevent_free(cl->bev);
    free(cl);
}

static void rpc_client_close(struct rpc_client *cl)
{
    if (cl->bev != NULL) {
        bufferevent_free(cl->bev);
        cl->bev = NULL;
    }
    rpc_client_release(cl);
}

/* The answers of the client whose requests are being read (rpc_reader),
 * written at the end of its read callback: see rpc_answers_flush. */
static struct rpc_client *rpc_reader;
static struct evbuffer *rpc_answers;

static void rpc_write(struct rpc_client *cl, cJSON *msg)
{
    char *text = cJSON_PrintUnformatted(msg);

    if (text != NULL && cl->bev != NULL) {
        if (cl == rpc_reader) {
            evbuffer_add(rpc_answers, text, strlen(text));
            evbuffer_add(rpc_answers, "\n", 1);
        } else {
            bufferevent_write(cl->bev, text, strlen(text));
            bufferevent_write(cl->bev, "\n", 1);
        }
    }
    cJSON_free(text);
}

/* Writes the answers of one read callback to the socket at once when
 * nothing is queued before them: a request costs no write event (two
 * epoll_ctl) and no second loop turn, and pipelined requests read
 * together are answered by one write. What the socket does not take
 * goes through the bufferevent, as every later answer does. */
static void rpc_answers_flush(struct rpc_client *cl)
{
    struct evbuffer *out;

    rpc_reader = NULL;
    if (cl->bev == NULL) {
        evbuffer_drain(rpc_answers, evbuffer_get_length(rpc_answers));
        return;
    }
    out = bufferevent_get_output(cl->bev);
    if (!cl->paused && evbuffer_get_length(out) == 0)
        while (evbuffer_get_length(rpc_answers) > 0 &&
               evbuffer_write(rpc_answers, bufferevent_getfd(cl->bev)) > 0)
            ;
    if (evbuffer_get_length(rpc_answers) > 0)
        bufferevent_write_buffer(cl->bev, rpc_answers);
}

static void rpc_reply(struct rpc_client *cl, const cJSON *id, cJSON *result)
{
    cJSON *msg = cJSON_CreateObject();

    cJSON_AddItemToObject(msg, "id",
                          id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(msg, "result", result);
    rpc_write(cl, msg);
    cJSON_Delete(msg);
}

static void rpc_held_send(struct rpc_held *h)
{
    cJSON_AddBoolToObject(h->result, "logged",
                          !h->dropped && msglog_committed(h->lo, h->hi));
    rpc_write(h->cl, h->msg);
}

static void rpc_held_free(struct rpc_held *h)
{
    TAILQ_REMOVE(&rpc_held, h, link);
    cJSON_Delete(h->msg);
    rpc_client_release(h->cl);
    free(h);
}

/* The message log wrote more rows: sends the answers they complete. */
static void rpc_logged_cb(void *arg)
{
    struct rpc_held *h;

    (void)arg;
    do {
        while ((h = TAILQ_FIRST(&rpc_held)) != NULL &&
               h->hi <= msglog_written()) {
            rpc_held_send(h);
            rpc_held_free(h);
        }
    } while (h != NULL && msglog_want(h->hi));
}

/* Answers an emit whose log position before it was `before`: at once when
 * logging is off, else once its rows are written, with "logged". */
static void rpc_reply_logged(struct rpc_client *cl, const cJSON *id,
                             cJSON *result, const struct msglog_mark *before)
{
    struct msglog_mark after;
    struct rpc_held *h;
    const char *cause;
    int first;

    if (!msglog_enabled) {
        rpc_reply(cl, id, result);
        return;
    }
    msglog_mark(&after);
    h = calloc(1, sizeof *h);
    if (h == NULL || (h->msg = cJSON_CreateObject()) == NULL) {
        free(h);
        cJSON_AddBoolToObject(result, "logged", 0);
        rpc_reply(cl, id, result);
        return;
    }
    cJSON_AddItemToObject(h->msg, "id",
                          id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(h->msg, "result", result);
    h->result = result;
    h->cl = cl;
    cl->refs++;
    h->lo = before->queued;
    h->hi = after.queued;
    h->dropped = after.dropped != before->dropped;
    first = TAILQ_EMPTY(&rpc_held);
    TAILQ_INSERT_TAIL(&rpc_held, h, link);
    if (!rpc_notify_on && cl->bev != NULL) {
        if (msglog_notify(bufferevent_get_base(cl->bev), rpc_logged_cb, NULL,
                          &cause) == 0) {
            rpc_notify_on = 1;
        } else {
            log_warn("rpc: answering emits before they are logged: %s", cause);
            h->dropped = 1; /* "logged": false, honestly unknown */
            rpc_held_send(h);
            rpc_held_free(h);
            return;
        }
    }
    if (first && msglog_want(h->hi))
        rpc_logged_cb(NULL);
}

static void rpc_error(struct rpc_client *cl, const cJSON *id, int code,
                      const char *message)
{
    cJSON *msg = cJSON_CreateObject(), *err = cJSON_CreateObject();

    rpc_stats.errors++;
    cJSON_AddItemToObject(msg, "id",
                          id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    cJSON_AddNumberToObject(err, "code", code);
    cJSON_AddStringToObject(err, "message", message);
    cJSON_AddItemToObject(msg, "error", err);
    rpc_write(cl, msg);
    cJSON_Delete(msg);
}

/* ---- acked emits ---- */

/* A client's ack arguments: its own text unless binary must be inserted. */
static cJSON *rpc_ack_args(const struct hub_ack_result *res)
{
    cJSON *args;

    if (res->nattach == 0)
        return cJSON_CreateRaw(res->data);
    args = cJSON_ParseWithLength(res->data, res->len);
    binjson_insert(args, res->attach, res->nattach);
    return args;
}

/* This node's acks of an emit to several sockets: {"acks", "timeouts"}. */
static cJSON *rpc_ack_local(const struct hub_ack_result *res, size_t n)
{
    cJSON *result = cJSON_CreateObject(), *acks, *timeouts, *args;
    size_t i;

    acks = cJSON_AddObjectToObject(result, "acks");
    timeouts = cJSON_AddArrayToObject(result, "timeouts");
    for (i = 0; i < n; i++) {
        if (res[i].data == NULL) {
            cJSON_AddItemToArray(timeouts, cJSON_CreateString(res[i].sid));
            continue;
        }
        args = rpc_ack_args(&res[i]);
        cJSON_AddItemToObject(acks, res[i].sid,
                              args ? args : cJSON_CreateArray());
    }
    return result;
}

static void rpc_pending_free(struct rpc_pending *p)
{
    cJSON_Delete(p->result);
    cJSON_Delete(p->remote_acks);
    cJSON_Delete(p->id);
    rpc_client_release(p->cl);
    free(p);
}

/* The single-client answer: its args, -32002 when it was there but
 * silent, -32001 when nobody had it. */
static void rpc_ack_single(struct rpc_pending *p)
{
    cJSON *args = p->result, *result;

    p->result = NULL;
    if (args == NULL && p->remote_acks != NULL &&
        cJSON_GetArraySize(p->remote_acks) > 0)
        args = cJSON_Duplicate(cJSON_GetArrayItem(p->remote_acks, 0), 1);
    if (args != NULL) {
        result = cJSON_CreateObject();
        cJSON_AddNumberToObject(result, "recipients", 1);
        cJSON_AddItemToObject(result, "args", args);
        rpc_reply_logged(p->cl, p->id, result, &p->before);
    } else if (p->local_timeout || p->remote > 0) {
        rpc_error(p->cl, p->id, RPC_ACK_TIMEOUT,
                  "the client did not acknowledge in time");
    } else {
        rpc_error(p->cl, p->id, RPC_NO_SESSION,
                  p->incomplete ? "no such session (not every node answered)"
                                : "no such session");
    }
}

/* One part of an acked emit is in; the last one answers. */
static void rpc_ack_finish(struct rpc_pending *p)
{
    cJSON *result;
    int nacks;

    if (--p->waits > 0)
        return;
    if (p->cl->bev != NULL && p->single) {
        rpc_ack_single(p);
    } else if (p->cl->bev != NULL) {
        result = cJSON_CreateObject();
        cJSON_AddNumberToObject(
            result, "recipients",
            (double)((p->recipients > 0 ? p->recipients : 0) + p->remote));
        if (p->result == NULL)
            p->result = rpc_ack_local(NULL, 0);
        cJSON_AddItemToObject(result, "acks",
                              cJSON_DetachItemFromObject(p->result, "acks"));
        cJSON_AddItemToObject(
            result, "timeouts",
            cJSON_DetachItemFromObject(p->result, "timeouts"));
        if (p->fleet) {
            nacks = p->remote_acks ? cJSON_GetArraySize(p->remote_acks) : 0;
            cJSON_AddItemToObject(result, "remote_acks",
                                  p->remote_acks ? p->remote_acks
                                                 : cJSON_CreateArray());
            p->remote_acks = NULL;
            cJSON_AddNumberToObject(
                result, "remote_timeouts",
                (double)(p->remote > nacks ? p->remote - nacks : 0));
            if (p->incomplete)
                cJSON_AddBoolToObject(result, "incomplete", 1);
        }
        rpc_reply_logged(p->cl, p->id, result, &p->before);
    }
    rpc_pending_free(p);
}

/* The other nodes' part of an acked emit (fleet_broadcast). */
static void rpc_ack_fleet_done(void *arg, const char *json, size_t len,
                               long count, int incomplete)
{
    struct rpc_pending *p = arg;

    p->remote = count;
    p->incomplete |= incomplete;
    p->remote_acks = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsArray(p->remote_acks)) {
        cJSON_Delete(p->remote_acks);
        p->remote_acks = NULL;
    }
    rpc_ack_finish(p);
}

/* This node's part (hub_emit's callback; maybe from inside hub_emit). */
static void rpc_ack_done(void *arg, const struct hub_ack_result *res, size_t n)
{
    struct rpc_pending *p = arg;
    cJSON *args;

    if (!p->single) {
        p->result = rpc_ack_local(res, n);
    } else if (n > 0 && res[0].data != NULL) {
        args = rpc_ack_args(&res[0]);
        p->result = args ? args : cJSON_CreateArray();
    } else {
        p->local_timeout = 1;
    }
    rpc_ack_finish(p);
}

/* ---- the fleet ---- */

/* 1 when a call means the whole fleet: with --redis, unless "local". */
static int rpc_fleet_wanted(const cJSON *params)
{
    return fleet_enabled() &&
           !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "local"));
}

enum rpc_fleet_kind {
    RPC_FLEET_SESSIONS,
    RPC_FLEET_SESSION,
    RPC_FLEET_CHANNELS,
    RPC_FLEET_JOIN,
    RPC_FLEET_LEAVE,
    RPC_FLEET_DISCONNECT,
    RPC_FLEET_PRESENCE,
    RPC_FLEET_STATS,
};

static void rpc_presence_finish(cJSON *result);

/* A control request waiting for the other nodes. */
struct rpc_fleet {
    struct rpc_client *cl;
    cJSON *id;
    int kind;      /* enum rpc_fleet_kind */
    cJSON *result; /* this node's part, the others' merged into it */
    char *sid;
};

static struct rpc_fleet *rpc_fleet_new(struct rpc_client *cl, const cJSON *id,
                                       int kind, cJSON *result, const char *sid)
{
    struct rpc_fleet *f = calloc(1, sizeof *f);

    if (f == NULL || (sid != NULL && (f->sid = strdup(sid)) == NULL)) {
        free(f);
        return NULL;
    }
    f->cl = cl;
    cl->refs++;
    f->id = id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull();
    f->kind = kind;
    f->result = result;
    return f;
}

static void rpc_fleet_free(struct rpc_fleet *f)
{
    cJSON_Delete(f->id);
    cJSON_Delete(f->result);
    rpc_client_release(f->cl);
    free(f->sid);
    free(f);
}

/* Adds the remote sessions' channels to the channel list `chans`. */
static void rpc_fleet_channels(cJSON *chans, const cJSON *sessions)
{
    const cJSON *s, *c, *nsp;
    cJSON *o, *e;

    cJSON_ArrayForEach(s, sessions)
    {
        nsp = cJSON_GetObjectItemCaseSensitive(s, "namespace");
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s, "channels"))
        {
            o = NULL;
            cJSON_ArrayForEach(e, chans)
            {
                if (strcmp(cJSON_GetObjectItem(e, "namespace")->valuestring,
                           nsp->valuestring) == 0 &&
                    strcmp(cJSON_GetObjectItem(e, "name")->valuestring,
                           c->valuestring) == 0) {
                    o = e;
                    break;
                }
            }
            if (o == NULL) {
                o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "namespace", nsp->valuestring);
                cJSON_AddStringToObject(o, "name", c->valuestring);
                cJSON_AddNumberToObject(o, "members", 0);
                cJSON_AddItemToArray(chans, o);
            }
            e = cJSON_GetObjectItem(o, "members");
            cJSON_SetNumberValue((cJSON *)e, e->valuedouble + 1);
        }
    }
}

static void rpc_fleet_done(void *arg, const char *json, size_t len, long count,
                           int incomplete)
{
    struct rpc_fleet *f = arg;
    cJSON *remote = cJSON_ParseWithLength(json, len), *item, *r = f->result;

    if (f->cl->bev == NULL)
        goto done;
    switch (f->kind) {
    case RPC_FLEET_SESSIONS:
        while (cJSON_GetArraySize(remote) > 0)
            cJSON_AddItemToArray(cJSON_GetObjectItem(r, "sessions"),
                                 cJSON_DetachItemFromArray(remote, 0));
        break;
    case RPC_FLEET_CHANNELS:
        rpc_fleet_channels(cJSON_GetObjectItem(r, "channels"), remote);
        break;
    case RPC_FLEET_PRESENCE:
        cJSON_ArrayForEach(item, remote)
        {
            const cJSON *u = cJSON_GetObjectItemCaseSensitive(item, "user");
            cJSON_AddItemToArray(cJSON_GetObjectItem(r, "_users"),
                                 cJSON_IsString(u)
                                     ? cJSON_CreateString(u->valuestring)
                                     : cJSON_CreateNull());
        }
        rpc_presence_finish(r);
        break;
    case RPC_FLEET_SESSION:
        if ((item = cJSON_DetachItemFromArray(remote, 0)) == NULL) {
            rpc_error(f->cl, f->id, RPC_NO_SESSION,
                      incomplete ? "no such session (not every node answered)"
                                 : "no such session");
            goto done;
        }
        cJSON_AddItemToObject(r, "session", item);
        break;
    default: /* one socket's node answered, or nobody did */
        if (count == 0) {
            rpc_error(f->cl, f->id, RPC_NO_SESSION,
                      incomplete ? "no such session (no node answered in time)"
                                 : "no such session");
            goto done;
        }
        cJSON_AddStringToObject(r, "sid", f->sid);
        cJSON_AddBoolToObject(r, "remote", 1);
        incomplete = 0;
    }
    if (incomplete)
        cJSON_AddBoolToObject(r, "incomplete", 1);
    rpc_reply(f->cl, f->id, r);
    f->result = NULL;
done:
    cJSON_Delete(remote);
    rpc_fleet_free(f);
}

/* Collects distinct namespaces (hub_sessions' callback). */
static void rpc_fleet_add_nsp(void *arg, const struct hub_info *in)
{
    cJSON *list = arg, *e;

    if (cJSON_GetArraySize(list) >= 64)
        return;
    cJSON_ArrayForEach(e,
                       list) if (strcmp(e->valuestring, in->nsp) == 0) return;
    cJSON_AddItemToArray(list, cJSON_CreateString(in->nsp));
}

/* Asks the other nodes for their sockets (in `room` when not NULL) of the
 * namespace in params, else of "/" and every namespace of this node, and
 * answers later with `result` (this node's part) merged as `kind` says;
 * or answers now, "incomplete", when they cannot be asked. */
static void rpc_fleet_fetch(struct rpc_client *cl, const cJSON *id,
                            const cJSON *params, int kind, cJSON *result,
                            const char *room)
{
    const char *ns = rpcmsg_str(params, "namespace"), *nsps[64];
    cJSON *list = cJSON_CreateArray(), *e;
    struct rpc_fleet *f;
    size_t n = 0;

    cJSON_AddItemToArray(list, cJSON_CreateString(ns ? ns : "/"));
    if (ns == NULL)
        hub_sessions(NULL, NULL, rpc_fleet_add_nsp, list);
    cJSON_ArrayForEach(e, list) nsps[n++] = e->valuestring;
    f = rpc_fleet_new(cl, id, kind, result, NULL);
    if (f != NULL && fleet_fetch(nsps, n, room ? &room : NULL, room ? 1 : 0,
                                 rpc_fleet_done, f) == 0) {
        cJSON_Delete(list);
        return;
    }
    if (f != NULL) {
        f->result = NULL;
        rpc_fleet_free(f);
    }
    cJSON_Delete(list);
    if (kind == RPC_FLEET_SESSION) {
        cJSON_Delete(result);
        rpc_error(cl, id, RPC_NO_SESSION,
                  "no such session here (the other nodes cannot be asked)");
        return;
    }
    if (kind == RPC_FLEET_PRESENCE)
        rpc_presence_finish(result);
    cJSON_AddBoolToObject(result, "incomplete", 1);
    rpc_reply(cl, id, result);
}

/* Asks the node of socket `sid` to join, leave or disconnect it; answers
 * later, or now with -32001 when the others cannot be asked. */
static void rpc_fleet_remote(struct rpc_client *cl, const cJSON *id,
                             const cJSON *params, int kind, const char *sid,
                             const char *channel)
{
    const char *ns = rpcmsg_str(params, "namespace");
    int type = kind == RPC_FLEET_JOIN    ? ADAPTER_REQ_REMOTE_JOIN
               : kind == RPC_FLEET_LEAVE ? ADAPTER_REQ_REMOTE_LEAVE
                                         : ADAPTER_REQ_REMOTE_DISCONNECT;
    struct rpc_fleet *f =
        rpc_fleet_new(cl, id, kind, cJSON_CreateObject(), sid);

    if (f != NULL && fleet_remote(type, ns ? ns : "/", sid, channel,
                                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                                      params, "close")),
                                  rpc_fleet_done, f) == 0)
        return;
    if (f != NULL)
        rpc_fleet_free(f);
    rpc_error(cl, id, RPC_NO_SESSION,
              "no such session here (the other nodes cannot be asked)");
}

/* ---- methods ---- */

/* params.user (a string, checked as users_valid() does) turned into
 * params.channel, its room: an emit to a user or the sessions of one are
 * those of that room, on every node. Returns 0, or -1 when refused
 * (answered). */
static int rpc_user_param(struct rpc_client *cl, const cJSON *id, cJSON *params)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(params, "user");
    const char *why = "user must be a string", *raw;
    char room[USERS_ROOM_MAX];
    size_t raw_len;

    if (u == NULL)
        return 0;
    if (cJSON_GetObjectItemCaseSensitive(params, "channel") != NULL ||
        cJSON_GetObjectItemCaseSensitive(params, "to") != NULL) {
        rpc_error(cl, id, RPC_INVALID_PARAMS,
                  "give user, channel or to, not two of them");
        return -1;
    }
    if (!cJSON_IsString(u)) {
        users_stats.refused++;
        rpc_error(cl, id, RPC_INVALID_PARAMS, why);
        return -1;
    }
    /* cJSON cuts a string at "\u0000": the request's own text decides. */
    if (rpcmsg_raw_param(rpc_cur, "user", &raw, &raw_len) &&
        sio_json_string_name(raw, raw_len) != 1) {
        users_stats.refused++;
        rpc_error(cl, id, RPC_INVALID_PARAMS, USERS_E_BYTES);
        return -1;
    }
    if (!users_valid(u->valuestring, strlen(u->valuestring), &why)) {
        rpc_error(cl, id, RPC_INVALID_PARAMS, why);
        return -1;
    }
    users_room(room, u->valuestring);
    cJSON_AddStringToObject(params, "channel", room);
    return 0;
}

/* 1 when params.<key> is a string that cJSON cut at a "\u0000": the text
 * as written is no valid name while what cJSON made of it is. An emit to
 * "room\u0000x" must not reach "room". A list is refused when its text
 * holds a "\u0000" anywhere. */
static int rpc_param_cut(const cJSON *params, const char *key)
{
    const char *v = rpcmsg_str(params, key), *raw;
    size_t raw_len;

    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(params, key)))
        return rpcmsg_raw_param(rpc_cur, key, &raw, &raw_len) &&
               memmem(raw, raw_len, "\\u0000", 6) != NULL;
    return v != NULL && rpcmsg_raw_param(rpc_cur, key, &raw, &raw_len) &&
           sio_json_string_name(raw, raw_len) == 0 &&
           sio_name_valid(v, strlen(v));
}

static void rpc_emit_common(struct rpc_client *cl, const cJSON *id,
                            const cJSON *params, const char *event, cJSON *args,
                            const char *raw, size_t raw_len, int wrap)
{
    struct hub_target t;
    struct binjson_attach a = {.n = 0};
    const char *why = NULL;
    const cJSON *ack = cJSON_GetObjectItemCaseSensitive(params, "ack");
    const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(params, "timeout");
    unsigned timeout_ms = 5000;
    struct rpc_pending *p = NULL;
    struct msglog_mark before;
    cJSON *result;
    char *json;
    int published = -1; /* with --redis: 1, 2 (kept) or 0 */
    long n;

    if (rpcmsg_target(params, &t, &why) != 0) {
        rpc_error(cl, id, RPC_INVALID_PARAMS, why);
        return;
    }
    t.published = &published;
    if (rpc_param_cut(params, "namespace") ||
        rpc_param_cut(params, "channel") || rpc_param_cut(params, "to") ||
        rpc_param_cut(params, "except") || rpc_param_cut(params, "event")) {
        hub_stats.names_refused++;
        rpc_error(cl, id, RPC_INVALID_PARAMS, "a name holds a NUL (\\u0000)");
        rpcmsg_target_free(&t);
        return;
    }
    if (tmo != NULL) {
        if (!cJSON_IsNumber(tmo) || tmo->valuedouble < 1 ||
            tmo->valuedouble > 3600000) {
            rpc_error(cl, id, RPC_INVALID_PARAMS,
                      "timeout must be 1 to 3600000 ms");
            rpcmsg_target_free(&t);
            return;
        }
        timeout_ms = (unsigned)tmo->valuedouble;
    }
    json = rpcmsg_event(event, args, raw, raw_len, wrap, &a, &why);
    if (json == NULL && why != NULL) {
        rpc_error(cl, id, RPC_INVALID_PARAMS, why);
        binjson_attach_free(&a);
        rpcmsg_target_free(&t);
        return;
    }
    if (cJSON_IsTrue(ack)) {
        p = calloc(1, sizeof *p);
        if (p == NULL) {
            rpc_error(cl, id, RPC_INVALID_REQUEST, "out of memory");
            goto done;
        }
        p->cl = cl;
        cl->refs++;
        p->id = id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull();
        p->single =
            cJSON_IsString(cJSON_GetObjectItemCaseSensitive(params, "to"));
        p->recipients = -1;
        /* One socket that is here: nothing to ask the others. */
        p->fleet =
            rpc_fleet_wanted(params) &&
            !(p->single && t.nrooms == 1 && hub_socket_nsp(t.rooms[0]) != NULL);
        p->waits = 2; /* the hub's part, and this call's */
    }
    if (msglog_enabled) {
        msglog_mark(&before);
        if (p != NULL)
            p->before = before;
    }
    n = json ? hub_emit(&t, json, strlen(json), a.f, a.n, timeout_ms,
                        p ? rpc_ack_done : NULL, p)
             : -1;
    if (n < 0 && json != NULL && (t.flags & HUB_F_SIDS) &&
        rpc_fleet_wanted(params)) {
        /* No such socket here: maybe on another node. */
        if (p == NULL) {
            /* Published as a broadcast to the room of each sid. */
            t.flags &= ~HUB_F_SIDS;
            n = hub_emit(&t, json, strlen(json), a.f, a.n, 0, NULL, NULL);
        } else if (p->fleet) {
            n = 0;
            p->waits--; /* the hub took nothing */
        }
    }
    if (n < 0) {
        if (p != NULL) {
            /* hub_emit failed before taking the request. */
            cJSON_Delete(p->id);
            rpc_client_release(cl);
            free(p);
        }
        if (t.flags & HUB_F_SIDS)
            rpc_error(cl, id, RPC_NO_SESSION, "no such session");
        else
            rpc_error(cl, id, RPC_INVALID_REQUEST, "out of memory");
        goto done;
    }
    if (p != NULL) {
        p->recipients = n;
        if (p->fleet) {
            if (fleet_broadcast(t.nsp ? t.nsp : "/", t.rooms, t.nrooms,
                                t.except, t.nexcept, json, strlen(json), a.f,
                                a.n, timeout_ms, rpc_ack_fleet_done, p) == 0)
                p->waits++;
            else
                p->incomplete = 1;
        }
        rpc_ack_finish(p); /* this call's part */
        goto done;
    }
    result = cJSON_CreateObject();
    cJSON_AddNumberToObject(result, "recipients", (double)n);
    if (published >= 0)
        cJSON_AddBoolToObject(result, "published", published == 1);
    if (published == 0 || published == 2)
        cJSON_AddBoolToObject(result, "queued", published == 2);
    rpc_reply_logged(cl, id, result, &before);
done:
    cJSON_free(json);
    binjson_attach_free(&a);
    rpcmsg_target_free(&t);
}

static void rpc_m_emit(struct rpc_client *cl, const cJSON *id, cJSON *params)
{
    const char *event = rpcmsg_str(params, "event");

    if (rpc_user_param(cl, id, params) != 0)
        return;
    cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "args");
    const char *raw = NULL;
    size_t raw_len = 0;

    if (event == NULL || (args != NULL && !cJSON_IsArray(args))) {
        rpc_error(cl, id, RPC_INVALID_PARAMS,
                  "emit needs event (a string) and args (an array)");
        return;
    }
    if (args != NULL && !rpcmsg_raw_param(rpc_cur, "args", &raw, &raw_len))
        raw = NULL;
    if (args == NULL) {
        raw = "[]";
        raw_len = 2;
    }
    rpc_emit_common(cl, id, params, event, args, raw, raw_len, 0);
}

static void rpc_m_send(struct rpc_client *cl, const cJSON *id, cJSON *params)
{
    cJSON *msg = cJSON_GetObjectItemCaseSensitive(params, "message");
    cJSON *args;

    if (msg == NULL) {
        rpc_error(cl, id, RPC_INVALID_PARAMS, "send needs message");
        return;
    }
    if (rpc_user_param(cl, id, params) != 0)
        return;
    {
        const char *raw = NULL;
        size_t raw_len = 0;

        if (!rpcmsg_raw_param(rpc_cur, "message", &raw, &raw_len))
            raw = NULL;
        args = cJSON_CreateArray();
        cJSON_AddItemToArray(args, cJSON_Duplicate(msg, 1));
        rpc_emit_common(cl, id, params, "message", args, raw, raw_len, 1);
        cJSON_Delete(args);
    }
}

static void rpc_add_info(void *arg, const struct hub_info *in)
{
    cJSON *list = arg, *o = cJSON_CreateObject(), *chans;
    size_t i;

    cJSON_AddStringToObject(o, "sid", in->sid);
    cJSON_AddStringToObject(o, "eio_sid", in->eio_sid);
    cJSON_AddStringToObject(o, "namespace", in->nsp);
    if (bus_enabled())
        cJSON_AddStringToObject(o, "node", bus_uid);
    chans = cJSON_AddArrayToObject(o, "channels");
    for (i = 0; i < in->nchannels; i++)
        cJSON_AddItemToArray(chans, cJSON_CreateString(in->channels[i]));
    cJSON_AddStringToObject(o, "remote_addr",
                            in->remote_addr ? in->remote_addr : "");
    cJSON_AddNumberToObject(o, "remote_port", in->remote_port);
    cJSON_AddStringToObject(o, "transport", in->transport);
    cJSON_AddNumberToObject(o, "protocol", in->protocol);
    cJSON_AddNumberToObject(o, "connected_at", in->connected_at);
    cJSON_AddItemToObject(o, "user",
                          in->user ? cJSON_CreateString(in->user)
                                   : cJSON_CreateNull());
    if (cJSON_IsArray(list))
        cJSON_AddItemToArray(list, o);
    else
        cJSON_AddItemToObject(list, "session", o);
}

static void rpc_m_sessions(struct rpc_client *cl, const cJSON *id,
                           cJSON *params)
{
    cJSON *result, *list;
    const char *channel;

    if (rpc_user_param(cl, id, params) != 0)
        return;
    result = cJSON_CreateObject();
    list = cJSON_AddArrayToObject(result, "sessions");
    channel = rpcmsg_str(params, "channel");

    hub_sessions(rpcmsg_str(params, "namespace"), channel, rpc_add_info, list);
    if (rpc_fleet_wanted(params))
        rpc_fleet_fetch(cl, id, params, RPC_FLEET_SESSIONS, result, channel);
    else
        rpc_reply(cl, id, result);
}

static void rpc_m_session(struct rpc_client *cl, const cJSON *id, cJSON *params)
{
    const char *sid = rpcmsg_str(params, "sid");
    cJSON *result;

    if (sid == NULL) {
        rpc_error(cl, id, RPC_INVALID_PARAMS, "session needs sid");
        return;
    }
    result = cJSON_CreateObject();
    if (hub_session(sid, rpc_add_info, result) != 0) {
        if (rpc_fleet_wanted(params)) {
            rpc_fleet_fetch(cl, id, params, RPC_FLEET_SESSION, result, sid);
            return;
        }
        cJSON_Delete(result);
        rpc_error(cl, id, RPC_NO_SESSION, "no such session");
        return;
    }
    rpc_reply(cl, id, result);
}

/* ---- presence ---- */

/* The most users one presence answer lists ("limit"), and its default. */
#define RPC_PRESENCE_MAX 100000
#define RPC_PRESENCE_DEFAULT 1000

/* Collects each socket's user, or null (hub_sessions' callback). */
static void rpc_add_user(void *arg, const struct hub_info *in)
{
    cJSON_AddItemToArray(arg, in->user ? cJSON_CreateString(in->user)
                                       : cJSON_CreateNull());
}

static void rpc_presence_put(void *arg, const char *user, unsigned n)
{
    cJSON_AddNumberToObject(arg, user, n);
}

/* Turns result._users (each socket's user or null) into the answer:
 * "users" {user: sockets}, "sockets", "anonymous", and "truncated" when
 * more users than "limit" were there. */
static void rpc_presence_finish(cJSON *result)
{
    cJSON *list = cJSON_DetachItemFromObject(result, "_users");
    cJSON *lim = cJSON_DetachItemFromObject(result, "_limit"), *e;
    struct users_tally t;
    size_t sockets = 0;

    if (users_tally_init(&t, (size_t)cJSON_GetNumberValue(lim)) == 0) {
        cJSON_ArrayForEach(e, list)
        {
            users_tally_add(&t, cJSON_IsString(e) ? e->valuestring : NULL);
            sockets++;
        }
        users_tally_each(&t, rpc_presence_put,
                         cJSON_AddObjectToObject(result, "users"));
        cJSON_AddNumberToObject(result, "sockets", (double)sockets);
        cJSON_AddNumberToObject(result, "anonymous", (double)t.anonymous);
        cJSON_AddBoolToObject(result, "truncated", t.dropped > 0);
        users_tally_free(&t);
    }
    cJSON_Delete(list);
    cJSON_Delete(lim);
}

static void rpc_m_presence(struct rpc_client *cl, const cJSON *id,
                           cJSON *params)
{
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(params, "limit");
    const char *channel = rpcmsg_str(params, "channel");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(params, "channel");
    const char *nsp = rpcmsg_str(params, "namespace");
    cJSON *result;

    if ((ch != NULL && !cJSON_IsNull(ch) && channel == NULL) ||
        (lim != NULL && (!cJSON_IsNumber(lim) || lim->valuedouble < 1 ||
                         lim->valuedouble > RPC_PRESENCE_MAX))) {
        rpc_error(cl, id, RPC_INVALID_PARAMS,
                  "presence takes channel (a string) and limit (1 to 100000)");
        return;
    }
    if (rpc_param_cut(params, "channel") ||
        rpc_param_cut(params, "namespace")) {
        hub_stats.names_refused++;
        rpc_error(cl, id, RPC_INVALID_PARAMS, "a name holds a NUL (\\u0000)");
        return;
    }
    if (nsp == NULL) /* one namespace, here and on the other nodes */
        cJSON_AddStringToObject(params, "namespace", nsp = "/");
    result = cJSON_CreateObject();
    cJSON_AddStringToObject(result, "namespace", nsp);
    cJSON_AddItemToObject(result, "channel",
                          channel ? cJSON_CreateString(channel)
                                  : cJSON_CreateNull());
    cJSON_AddNumberToObject(result, "_limit",
                            lim ? lim->valuedouble : RPC_PRESENCE_DEFAULT);
    hub_sessions(nsp, channel, rpc_add_user,
                 cJSON_AddArrayToObject(result, "_users"));
    if (rpc_fleet_wanted(params)) {
        rpc_fleet_fetch(cl, id, params, RPC_FLEET_PRESENCE, result, channel);
        return;
    }
    rpc_presence_finish(result);
    rpc_reply(cl, id, result);
}

static void rpc_add_channel(void *arg, const char *nsp, const char *name,
                            unsigned members)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "namespace", nsp);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "members", members);
    cJSON_AddItemToArray(arg, o);
}

static void rpc_m_channels(struct rpc_client *cl, const cJSON *id,
                           cJSON *params)
{
    cJSON *result = cJSON_CreateObject();

    hub_channels(rpcmsg_str(params, "namespace"), rpc_add_channel,
                 cJSON_AddArrayToObject(result, "channels"));
    if (rpc_fleet_wanted(params))
        rpc_fleet_fetch(cl, id, params, RPC_FLEET_CHANNELS, result, NULL);
    else
        rpc_reply(cl, id, result);
}

static void rpc_add_channel_name(void *arg, const struct hub_info *in)
{
    cJSON *list = arg;
    size_t i;

    for (i = 0; i < in->nchannels; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(in->channels[i]));
}

static void rpc_m_join_leave(struct rpc_client *cl, const cJSON *id,
                             cJSON *params, int join)
{
    const char *sid = rpcmsg_str(params, "sid");
    const char *channel = rpcmsg_str(params, "channel");
    const char *err = NULL, *raw;
    size_t raw_len;
    cJSON *result;

    if (sid == NULL || channel == NULL) {
        rpc_error(cl, id, RPC_INVALID_PARAMS, "needs sid and channel");
        return;
    }
    /* cJSON cut the name at a "\u0000": judge the text as written. */
    if (rpcmsg_raw_param(rpc_cur, "channel", &raw, &raw_len) &&
        sio_json_string_name(raw, raw_len) == 0) {
        hub_stats.names_refused++;
        rpc_error(cl, id, RPC_INVALID_PARAMS, HUB_E_BAD_CHANNEL);
        return;
    }
    if ((join ? hub_join(sid, channel, &err) : hub_leave(sid, channel, &err))) {
        if (strcmp(err, "no such session") == 0 && rpc_fleet_wanted(params)) {
            rpc_fleet_remote(cl, id, params,
                             join ? RPC_FLEET_JOIN : RPC_FLEET_LEAVE, sid,
                             channel);
            return;
        }
        rpc_error(cl, id,
                  strcmp(err, "no such session") == 0 ? RPC_NO_SESSION
                                                      : RPC_INVALID_PARAMS,
                  err);
        return;
    }
    result = cJSON_CreateObject();
    cJSON_AddStringToObject(result, "sid", sid);
    hub_session(sid, rpc_add_channel_name,
                cJSON_AddArrayToObject(result, "channels"));
    rpc_reply(cl, id, result);
}

static void rpc_m_disconnect(struct rpc_client *cl, const cJSON *id,
                             cJSON *params)
{
    const char *sid = rpcmsg_str(params, "sid");
    cJSON *result;

    if (sid == NULL) {
        rpc_error(cl, id, RPC_INVALID_PARAMS, "disconnect needs sid");
        return;
    }
    if (hub_disconnect(sid) != 0) {
        if (rpc_fleet_wanted(params)) {
            rpc_fleet_remote(cl, id, params, RPC_FLEET_DISCONNECT, sid, NULL);
            return;
        }
        rpc_error(cl, id, RPC_NO_SESSION, "no such session");
        return;
    }
    result = cJSON_CreateObject();
    cJSON_AddStringToObject(result, "sid", sid);
    rpc_reply(cl, id, result);
}

/* Set by stats_setup() before the first request is read. */
static void (*rpc_stats_each)(enum rpc_stats_group group,
                              void (*fn)(void *, const char *, double),
                              void *arg);

void rpc_set_stats(void (*each)(enum rpc_stats_group group,
                                void (*fn)(void *, const char *, double),
                                void *arg))
{
    rpc_stats_each = each;
}

static void rpc_stats_add(void *arg, const char *name, double v)
{
    cJSON_AddNumberToObject(arg, name, v);
}

static void rpc_redis_add(void *arg, const char *name, double v)
{
    if (strcmp(name, "connected") == 0)
        cJSON_AddBoolToObject(arg, name, v != 0);
    else
        cJSON_AddNumberToObject(arg, name, v);
}

/* stats.cluster's "nodes" is null before the first fleet call. */
static void rpc_cluster_add(void *arg, const char *name, double v)
{
    if (strcmp(name, "nodes") == 0 && v < 0)
        cJSON_AddNullToObject(arg, name);
    else
        cJSON_AddNumberToObject(arg, name, v);
}

/* stats.redis and stats.cluster (docs/rpc.md), with --redis. */
static void rpc_add_group(cJSON *r, const char *key, enum rpc_stats_group group,
                          void (*add)(void *, const char *, double))
{
    cJSON *o = cJSON_AddObjectToObject(r, key);

    cJSON_AddStringToObject(o, "uid", bus_uid);
    rpc_stats_each(group, add, o);
}

/* This worker's stats object. The numbers come from stats.c's table, the
 * one /metrics renders too. */
static cJSON *rpc_stats_object(void)
{
    cJSON *r = cJSON_CreateObject();

    rpc_stats_each(RPC_STATS_TOP, rpc_stats_add, r);
    cJSON_AddItemToObject(r, "route",
                          route_tag()[0] ? cJSON_CreateString(route_tag())
                                         : cJSON_CreateNull());
    cJSON_AddItemToObject(r, "message_log",
                          msglog_path() ? cJSON_CreateString(msglog_path())
                                        : cJSON_CreateNull());
    if (bus_enabled())
        rpc_add_group(r, "redis", RPC_STATS_REDIS, rpc_redis_add);
    if (fleet_enabled())
        rpc_add_group(r, "cluster", RPC_STATS_CLUSTER, rpc_cluster_add);
    return r;
}

int rpc_stats_text(struct buf *out)
{
    cJSON *r = rpc_stats_object();
    char *text = cJSON_PrintUnformatted(r);
    int rc = text != NULL ? buf_puts(out, text) : -1;

    free(text);
    cJSON_Delete(r);
    return rc;
}

/* The whole service's stats (svcstats_ask()) for the call `arg`. */
static void rpc_stats_done(void *arg, const char *json, size_t len)
{
    struct rpc_fleet *f = arg;
    cJSON *r;

    if (f->cl->bev != NULL) {
        if ((r = cJSON_ParseWithLength(json, len)) == NULL) {
            r = rpc_stats_object();
            cJSON_AddBoolToObject(r, "incomplete", 1);
        }
        rpc_reply(f->cl, f->id, r);
    }
    rpc_fleet_free(f);
}

/* Under --workers the whole service answers (svcstats.c), unless "local". */
static void rpc_m_stats(struct rpc_client *cl, const cJSON *id, cJSON *params)
{
    struct rpc_fleet *f;
    cJSON *r;

    if (svcstats_enabled() &&
        !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "local"))) {
        f = rpc_fleet_new(cl, id, RPC_FLEET_STATS, NULL, NULL);
        if (f != NULL && svcstats_ask(rpc_stats_done, f) == 0)
            return;
        if (f != NULL)
            rpc_fleet_free(f);
        r = rpc_stats_object();
        cJSON_AddBoolToObject(r, "incomplete", 1);
        rpc_reply(cl, id, r);
        return;
    }
    rpc_reply(cl, id, rpc_stats_object());
}

static const struct {
    const char *name;
    void (*fn)(struct rpc_client *, const cJSON *, cJSON *);
} rpc_methods[] = {
    {"emit", rpc_m_emit},         {"send", rpc_m_send},
    {"sessions", rpc_m_sessions}, {"session", rpc_m_session},
    {"channels", rpc_m_channels}, {"disconnect", rpc_m_disconnect},
    {"stats", rpc_m_stats},       {"presence", rpc_m_presence},
};

static void rpc_line(struct rpc_client *cl, const char *line, size_t len)
{
    struct rpcmsg m;
    const cJSON *id;
    cJSON *params;
    const char *method, *label = "invalid";
    size_t i;
    int code;
    double t0;

    rpc_stats.requests++;
    t0 = hist_now();
    code = rpcmsg_parse(line, len, &m);
    id = m.id;
    method = m.method;
    params = m.params;
    if (code != 0) {
        rpc_error(cl, id, code, m.why);
        goto done;
    }
    rpc_cur = &m;
    if (strcmp(method, "join") == 0 || strcmp(method, "leave") == 0) {
        label = method[0] == 'j' ? "join" : "leave";
        rpc_m_join_leave(cl, id, params, method[0] == 'j');
        goto done;
    }
    for (i = 0; i < sizeof rpc_methods / sizeof rpc_methods[0]; i++) {
        if (strcmp(method, rpc_methods[i].name) == 0) {
            label = rpc_methods[i].name;
            rpc_methods[i].fn(cl, id, params);
            goto done;
        }
    }
    rpc_error(cl, id, RPC_METHOD_NOT_FOUND, "no such method");
done:
    rpc_cur = NULL;
    rpcmsg_free(&m);
    hist_observe(&rpc_latency, label, hist_since(t0));
}

/* ---- connections ---- */

static void rpc_read_cb(struct bufferevent *bev, void *arg)
{
    struct rpc_client *cl = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer_ptr eol;
    size_t len;
    char *line;

    cl->refs++; /* a method may drop the last other reference */
    rpc_reader = cl;
    while (cl->bev != NULL && !cl->eof) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) +
                evbuffer_get_length(rpc_answers) >
            rpc_max_unread) {
            cl->paused = 1;
            rpc_stats.paused++;
            log_debug("rpc: a client's unread answers passed %zu bytes, "
                      "pausing its requests",
                      rpc_max_unread);
            bufferevent_disable(bev, EV_READ);
            bufferevent_setwatermark(bev, EV_WRITE, rpc_max_unread / 2, 0);
            break;
        }
        eol = evbuffer_search_eol(in, NULL, &len, EVBUFFER_EOL_LF);
        if ((eol.pos < 0 && evbuffer_get_length(in) > rpc_max_line) ||
            (eol.pos >= 0 && (size_t)eol.pos > rpc_max_line)) {
            /* Where the next request starts is unknowable: answer, close. */
            rpc_error(cl, NULL, RPC_LINE_TOO_LONG, "request line too long");
            cl->eof = 1;
            evbuffer_drain(in, evbuffer_get_length(in));
            bufferevent_disable(bev, EV_READ);
            break;
        }
        if (eol.pos < 0)
            break;
        line = (char *)evbuffer_pullup(in, eol.pos + (ssize_t)len);
        if (eol.pos > 0)
            rpc_line(cl, line, (size_t)eol.pos);
        evbuffer_drain(in, (size_t)eol.pos + len);
    }
    rpc_answers_flush(cl);
    /* Closing after the last answer is rpc_write_cb's, unless nothing was
     * left for it to write. */
    if (cl->eof && cl->refs == 2 && cl->bev != NULL &&
        evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0)
        rpc_client_close(cl);
    rpc_client_release(cl);
}

static void rpc_write_cb(struct bufferevent *bev, void *arg)
{
    struct rpc_client *cl = arg;

    if (cl->paused) {
        /* Drained to the low watermark: the waiting requests go on. */
        cl->paused = 0;
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        bufferevent_enable(bev, EV_READ);
        rpc_read_cb(bev, cl);
        return;
    }
    if (cl->eof && cl->refs == 1)
        rpc_client_close(cl);
}

static void rpc_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct rpc_client *cl = arg;

    (void)bev;
    if (what & BEV_EVENT_EOF) {
        /* A half-closed client (socat after its input) still gets its
         * answers: close once they are written and none are owed. */
        cl->eof = 1;
        bufferevent_disable(bev, EV_READ);
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
            cl->refs == 1)
            rpc_client_close(cl);
        return;
    }
    if (what & BEV_EVENT_ERROR)
        rpc_client_close(cl);
}

static void rpc_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                          struct sockaddr *sa, int socklen, void *arg)
{
    struct rpc_client *cl;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;

    (void)sa;
    (void)socklen;
    (void)arg;
    if (!rpc_peer_allowed(fd, &uid, &gid)) {
        rpc_stats.refused++;
        log_warn("rpc: refused a client with uid %ld gid %ld (not on "
                 "--rpc-allow-uid/--rpc-allow-gid)",
                 (long)(int)uid, (long)(int)gid);
        evutil_closesocket(fd);
        return;
    }
    cl = calloc(1, sizeof *cl);
    if (cl == NULL) {
        evutil_closesocket(fd);
        return;
    }
    cl->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
                                     BEV_OPT_CLOSE_ON_FREE);
    if (cl->bev == NULL) {
        evutil_closesocket(fd);
        free(cl);
        return;
    }
    cl->refs = 1;
    LIST_INSERT_HEAD(&rpc_clients, cl, link);
    rpc_stats.connections++;
    bufferevent_setcb(cl->bev, rpc_read_cb, rpc_write_cb, rpc_event_cb, cl);
    bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
    log_debug("rpc: client connected");
}

#define RPC_SYSTEM_PATH "/run/socketiod/socketiod.sock"

const char *rpc_default_path(int client)
{
    static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    int n;

    if (geteuid() == 0)
        return RPC_SYSTEM_PATH;
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(path, sizeof path, "%s/socketiod/socketiod.sock", xdg);
    else
        n = snprintf(path, sizeof path, "/tmp/socketiod-%ld/socketiod.sock",
                     (long)geteuid());
    if (n < 0 || (size_t)n >= sizeof path)
        n = snprintf(path, sizeof path, "/tmp/socketiod-%ld/socketiod.sock",
                     (long)geteuid());
    if (client && stat(path, &st) != 0 && stat(RPC_SYSTEM_PATH, &st) == 0)
        return RPC_SYSTEM_PATH;
    return path;
}

/* Makes the socket's directory when missing, and refuses one where
 * another user could bind the name first or swap the file. */
static int rpc_check_dir(const char *path, const char **cause)
{
    static char why[sizeof(((struct sockaddr_un *)0)->sun_path) + 200];
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *slash = strrchr(path, '/');
    struct stat st;
    mode_t dmode = rpc_access.group != (gid_t)-1 ? 0750 : 0700;

    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        if ((size_t)(slash - path) >= sizeof dir) {
            *cause = "control socket path too long";
            return -1;
        }
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    if (mkdir(dir, dmode) == 0) {
        if ((rpc_access.group != (gid_t)-1 &&
             chown(dir, (uid_t)-1, rpc_access.group) != 0) ||
            chmod(dir, dmode) != 0) {
            snprintf(why, sizeof why, "directory %s: %s", dir, strerror(errno));
            *cause = why;
            return -1;
        }
        log_info("rpc: made the directory %s (mode %04o)", dir,
                 (unsigned)dmode);
    } else if (errno != EEXIST) {
        snprintf(why, sizeof why, "cannot make the directory %s: %s", dir,
                 strerror(errno));
        *cause = why;
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, sizeof why, "%s is not a directory", dir);
        *cause = why;
        return -1;
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        snprintf(why, sizeof why,
                 "directory %s belongs to uid %ld, not to this user: another "
                 "user could take the socket over; use a directory of your "
                 "own (docs/rpc.md)",
                 dir, (long)st.st_uid);
        *cause = why;
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, sizeof why,
                 "directory %s is writable by other users (mode %04o): one "
                 "of them could bind the socket's name first; use a "
                 "directory only this user may write, e.g. the default "
                 "(docs/rpc.md)",
                 dir, (unsigned)(st.st_mode & 07777));
        *cause = why;
        return -1;
    }
    return 0;
}

int rpc_bind(const char *path, mode_t mode, const char **cause)
{
    struct sockaddr_un sun;
    mode_t old_mask;
    int fd;

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path) {
        *cause = "control socket path too long";
        return -1;
    }
    strcpy(sun.sun_path, path);
    if (rpc_check_dir(path, cause) != 0 ||
        listener_claim_path(&sun, cause) != 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *cause = strerror(errno);
        return -1;
    }
    /* Bound as 0600 and only then given its group and mode, so the file
     * never exists with looser permissions than asked for. */
    old_mask = umask(0177);
    if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        *cause = strerror(errno);
        umask(old_mask);
        close(fd);
        return -1;
    }
    umask(old_mask);
    if (listen(fd, 128) != 0 ||
        (rpc_access.group != (gid_t)-1 &&
         chown(path, (uid_t)-1, rpc_access.group) != 0) ||
        chmod(path, mode) != 0) {
        *cause = strerror(errno);
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

int rpc_setup_fd(struct event_base *base, int fd, size_t max_line,
                 size_t max_unread, const char **cause)
{
    if (rpc_answers == NULL && (rpc_answers = evbuffer_new()) == NULL) {
        *cause = "out of memory";
        return -1;
    }
    /* Backlog 0: already listening. */
    rpc_listener = evconnlistener_new(
        base, rpc_accept_cb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
    if (rpc_listener == NULL) {
        *cause = "cannot watch the control socket";
        return -1;
    }
    rpc_max_line = max_line;
    rpc_max_unread = max_unread;
    return 0;
}

int rpc_setup(struct event_base *base, const char *path, mode_t mode,
              size_t max_line, size_t max_unread, const char **cause)
{
    int fd = rpc_bind(path, mode, cause);

    if (fd < 0)
        return -1;
    if (rpc_setup_fd(base, fd, max_line, max_unread, cause) != 0) {
        close(fd);
        unlink(path);
        return -1;
    }
    rpc_path = strdup(path);
    return 0;
}

void rpc_shutdown(void)
{
    struct rpc_client *cl, *next;

    if (rpc_listener != NULL) {
        evconnlistener_free(rpc_listener);
        rpc_listener = NULL;
    }
    if (rpc_answers != NULL) {
        evbuffer_free(rpc_answers);
        rpc_answers = NULL;
    }
    /* Their clients are closed now; what the log still writes is kept. */
    while (!TAILQ_EMPTY(&rpc_held))
        rpc_held_free(TAILQ_FIRST(&rpc_held));
    for (cl = LIST_FIRST(&rpc_clients); cl != NULL; cl = next) {
        next = LIST_NEXT(cl, link);
        if (cl->bev != NULL) {
            bufferevent_free(cl->bev);
            cl->bev = NULL;
        }
    }
    if (rpc_path != NULL) {
        unlink(rpc_path);
        free(rpc_path);
        rpc_path = NULL;
    }
}
