/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* bus: this node in a Socket.IO fleet through Redis, speaking
 * @socket.io/redis-adapter's classic protocol: emits published,
 * broadcasts of other nodes and emitters delivered here. */
#include "bus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "adapter.h"
#include "answer.h"
#include "buf.h"
#include "conn.h"
#include "fleet.h"
#include "hub.h"
#include "idmap.h"
#include "jsonv.h"
#include "log.h"
#include "pickle.h"
#include "presence.h"
#include "recfleet.h"
#include "recover.h"
#include "redis.h"
#include "route.h"
#include "sio.h"
#include "svcstats.h"

struct bus_stats bus_stats;
char bus_uid[7];

static int bus_on;
static const char *bus_key;
static size_t bus_max_message;
static struct adapter_scratch bus_scratch;
static struct buf bus_out, bus_chan;
static char *bus_req_prefix;  /* "<key>-request#" */
static char *bus_resp_prefix; /* "<key>-response#" */
static const char *bus_py_channel;

/* A namespace whose request and response channels this node subscribed
 * to (exactly: PUBSUB NUMSUB, Node's server count, counts this node). */
struct bus_nsp {
    struct idmap_node node;
    char name[];
};
static struct idmap bus_nsps;
/* Clients name namespaces: one line a second however many. */
static struct log_summary bus_nsps_over = LOG_SUMMARY_INIT(
    "namespaces over 1000 whose fleet requests are not answered here");

int bus_enabled(void) { return bus_on; }

/* An emit of this node, published to the others: 0 when published, 1
 * when kept in the outbox (replayed on reconnect), -1 when neither. A
 * volatile one is never kept: it may be lost, and late is as good as
 * lost for it. */
static int bus_publish(void *arg, const char *nsp, const struct hub_target *t,
                       const char *json, size_t len,
                       struct frame *const *attach, unsigned nattach)
{
    int rc = -1;

    (void)arg;
    buf_reset(&bus_out);
    buf_reset(&bus_chan);
    /* Exactly one room: its own channel, where Node nodes without a member
     * drop it unread. */
    if (adapter_encode(&bus_out, bus_uid, nsp, json, len, attach, nattach,
                       t->rooms, t->nrooms, t->except, t->nexcept,
                       t->flags & HUB_F_VOLATILE ? ADAPTER_F_VOLATILE : 0) ==
            0 &&
        adapter_channel(&bus_chan, bus_key, nsp,
                        t->nrooms == 1 ? t->rooms[0] : NULL) == 0)
        rc = t->flags & HUB_F_VOLATILE
                 ? redis_publish(bus_chan.data, bus_out.data, bus_out.len)
                 : redis_publish_kept(bus_chan.data, bus_out.data, bus_out.len);
    if (rc < 0)
        bus_stats.unpublished++;
    else if (rc == 0)
        bus_stats.published++;
    return rc;
}

/* 1 when JSON text holds a NUL escape (\u0000): cJSON's strings end
 * there, and a name "a\u0000b" would be taken for "a". */
static int bus_json_nul(const char *data, size_t len)
{
    const char *p = data, *end = data + len, *q;
    size_t slashes;

    while ((p = memmem(p, (size_t)(end - p), "\\u0000", 6)) != NULL) {
        for (q = p, slashes = 0; q > data && q[-1] == '\\'; q--)
            slashes++;
        if (slashes % 2 == 0) /* not itself an escaped backslash */
            return 1;
        p++;
    }
    return 0;
}

/* The names of a JSON array of strings into `v` (n of them, at most
 * cap); -1 when it is no such array or a name is invalid. */
static int bus_names(const cJSON *a, const char **v, size_t cap, size_t *n)
{
    const cJSON *e;

    *n = 0;
    if (a == NULL || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsArray(a))
        return -1;
    cJSON_ArrayForEach(e, a)
    {
        if (!cJSON_IsString(e) || *n == cap ||
            !sio_name_valid(e->valuestring, strlen(e->valuestring)))
            return -1;
        v[(*n)++] = e->valuestring;
    }
    return 0;
}

/* A request of another node or an emitter: answered (answer.c). */
static void bus_request(const char *nsp, const char *data, size_t len)
{
    switch (answer_request(nsp, data, len)) {
    case ANSWER_HANDLED:
        bus_stats.requests++;
        break;
    case ANSWER_OWN:
        bus_stats.own++;
        break;
    case ANSWER_IGNORED:
        bus_stats.requests_ignored++;
        break;
    default:
        bus_stats.malformed++;
    }
}

void bus_response(const char *nsp, const char *data, size_t len)
{
    bus_stats.responses++;
    fleet_response(nsp, data, len);
}

/* The namespace of a request or response channel: "<prefix><nsp>#" or
 * (our own response channel) "<prefix><nsp>#<uid>#" into nsp. Returns 0,
 * or -1 when the channel is none of these. */
static int bus_channel_nsp(const char *channel, size_t clen, const char *prefix,
                           char *nsp)
{
    size_t plen = strlen(prefix), ulen = strlen(bus_uid), n;

    if (clen <= plen + 1 || memcmp(channel, prefix, plen) != 0 ||
        channel[clen - 1] != '#')
        return -1;
    n = clen - plen - 1;
    if (n > ulen + 1 && channel[plen + n - ulen - 1] == '#' &&
        memcmp(channel + plen + n - ulen, bus_uid, ulen) == 0 &&
        idmap_getn(&bus_nsps, channel + plen, n - ulen - 1) != NULL)
        n -= ulen + 1;
    if (n > SOCK_MAX_NSP_NAME)
        return -1;
    memcpy(nsp, channel + plen, n);
    nsp[n] = '\0';
    return 0;
}

/* Subscribes to the request and response channels of namespace `nsp`,
 * once, for at most BUS_MAX_NAMESPACES namespaces (the hub's callback on
 * a new namespace; "/" at start). Never unsubscribed: see bus.h. */
static void bus_nsp_created(void *arg, const char *nsp)
{
    struct bus_nsp *n;
    struct buf ch = BUF_INIT;
    int rc;

    (void)arg;
    if (idmap_get(&bus_nsps, nsp) != NULL)
        return;
    if (bus_nsps.count >= BUS_MAX_NAMESPACES) {
        bus_stats.namespaces_unanswered++;
        log_countf(&bus_nsps_over, NULL, NULL, "%s", nsp);
        return;
    }
    if ((n = malloc(sizeof *n + strlen(nsp) + 1)) == NULL)
        return;
    strcpy(n->name, nsp);
    idmap_put(&bus_nsps, &n->node, n->name);
    rc = buf_printf(&ch, "%s%s#", bus_req_prefix, nsp) != 0 ||
         redis_subscribe(ch.data) != 0;
    buf_reset(&ch);
    rc = rc || buf_printf(&ch, "%s%s#", bus_resp_prefix, nsp) != 0 ||
         redis_subscribe(ch.data) != 0;
    buf_reset(&ch);
    rc = rc ||
         buf_printf(&ch, "%s%s#%s#", bus_resp_prefix, nsp, bus_uid) != 0 ||
         redis_subscribe(ch.data) != 0;
    buf_free(&ch);
    if (rc)
        log_warn("bus: namespace %s: out of memory subscribing", nsp);
}

/* Collects socket ids (hub_audience's callback). */
static void bus_collect(void *arg, const char *sid)
{
    struct buf *b = arg;

    buf_append(b, sid, strlen(sid) + 1);
}

/* A string member of `msg` that is a valid name, or NULL. */
static const char *bus_py_name(const cJSON *msg, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);

    return cJSON_IsString(v) &&
                   sio_name_valid(v->valuestring, strlen(v->valuestring))
               ? v->valuestring
               : NULL;
}

/* enter_room, leave_room, disconnect of one socket, and close_room:
 * applied when the socket is here, in that namespace (as python-socketio's
 * servers check is_connected), or to the room's sockets here. */
static void bus_python_control(const char *method, const cJSON *msg,
                               const char *ns)
{
    const char *sid = bus_py_name(msg, "sid"), *room = bus_py_name(msg, "room");
    const char *nsp, *s, *err;
    struct buf sids = BUF_INIT;
    struct hub_target t;

    if (strcmp(method, "close_room") == 0) {
        if (room == NULL)
            goto bad;
        memset(&t, 0, sizeof t);
        t.nsp = ns;
        t.rooms = &room;
        t.nrooms = 1;
        hub_audience(&t, bus_collect, &sids);
        for (s = sids.data; s != NULL && s < sids.data + sids.len;
             s += strlen(s) + 1)
            if (hub_leave(s, room, &err) != 0)
                log_info("bus: socket %s: %s: %s", s, room, err);
        buf_free(&sids);
        bus_stats.python++;
        return;
    }
    if (sid == NULL || (strcmp(method, "disconnect") != 0 && room == NULL))
        goto bad;
    bus_stats.python++;
    if ((nsp = hub_socket_nsp(sid)) == NULL || strcmp(nsp, ns) != 0)
        return; /* on another node */
    if (strcmp(method, "disconnect") == 0)
        hub_disconnect(sid);
    else if ((strcmp(method, "enter_room") == 0
                  ? hub_join(sid, room, &err)
                  : hub_leave(sid, room, &err)) != 0)
        log_info("bus: socket %s: %s: %s", sid, room, err);
    return;
bad:
    bus_stats.malformed++;
    log_info("bus: python-socketio %s dropped: bad names", method);
}

/* A message of python-socketio's RedisManager (write-only or a server),
 * read from JSON or from a pickle: {"method": "emit", "event", "data",
 * "namespace", "room", "skip_sid", "callback", "host_id"}, or
 * "enter_room"/"leave_room" (sid, room, namespace), "close_room" (room,
 * namespace), "disconnect" (sid, namespace). `args` is the emit's
 * argument list when the sender said it (a pickled tuple); NULL: `data`
 * is the one argument (none when null), as its receivers take JSON.
 * `room` and `skip_sid` are a name, a list or null; a callback is not
 * carried back (delivered without ack). */
static void bus_python_apply(const cJSON *msg, const cJSON *args,
                             struct frame *const *attach, unsigned nattach)
{
    const char *rooms[256], *except[256], *ns;
    const cJSON *method, *event, *data, *v;
    struct hub_target t;
    char *json = NULL;
    cJSON *arr = NULL;

    method = cJSON_GetObjectItemCaseSensitive(msg, "method");
    v = cJSON_GetObjectItemCaseSensitive(msg, "namespace");
    ns = cJSON_IsString(v) ? v->valuestring : "/";
    if (!cJSON_IsString(method)) {
        bus_stats.requests_ignored++;
        return;
    }
    if (strcmp(method->valuestring, "emit") != 0) {
        if (strcmp(method->valuestring, "enter_room") != 0 &&
            strcmp(method->valuestring, "leave_room") != 0 &&
            strcmp(method->valuestring, "close_room") != 0 &&
            strcmp(method->valuestring, "disconnect") != 0)
            bus_stats.requests_ignored++; /* callback: for a server */
        else if (ns[0] != '/' || !sio_name_valid(ns, strlen(ns)))
            goto bad;
        else
            bus_python_control(method->valuestring, msg, ns);
        return;
    }
    event = cJSON_GetObjectItemCaseSensitive(msg, "event");
    data = cJSON_GetObjectItemCaseSensitive(msg, "data");
    memset(&t, 0, sizeof t);
    t.nsp = ns;
    t.rooms = rooms;
    t.except = except;
    t.flags = HUB_F_LOCAL;
    t.origin = 1; /* a python-socketio node */
    v = cJSON_GetObjectItemCaseSensitive(msg, "room");
    if (cJSON_IsString(v) &&
        sio_name_valid(v->valuestring, strlen(v->valuestring)))
        rooms[t.nrooms++] = v->valuestring;
    else if (v != NULL && !cJSON_IsNull(v) &&
             (bus_names(v, rooms, 256, &t.nrooms) != 0 || t.nrooms == 0))
        goto bad;
    v = cJSON_GetObjectItemCaseSensitive(msg, "skip_sid");
    if (cJSON_IsString(v) &&
        sio_name_valid(v->valuestring, strlen(v->valuestring)))
        except[t.nexcept++] = v->valuestring;
    else if (v != NULL && !cJSON_IsNull(v) &&
             bus_names(v, except, 256, &t.nexcept) != 0)
        goto bad;
    if (ns[0] != '/' || !sio_name_valid(ns, strlen(ns)) ||
        !cJSON_IsString(event) ||
        !sio_name_valid(event->valuestring, strlen(event->valuestring)) ||
        (arr = cJSON_CreateArray()) == NULL)
        goto bad;
    cJSON_AddItemToArray(arr, cJSON_CreateString(event->valuestring));
    if (args != NULL) {
        cJSON_ArrayForEach(v, args)
        {
            cJSON_AddItemReferenceToArray(arr, (cJSON *)v);
        }
    } else if (data != NULL && !cJSON_IsNull(data)) {
        cJSON_AddItemReferenceToArray(arr, (cJSON *)data);
    }
    if ((json = cJSON_PrintUnformatted(arr)) == NULL)
        goto done;
    bus_stats.python++;
    hub_emit(&t, json, strlen(json), attach, nattach, 0, NULL, NULL);
    goto done;
bad:
    bus_stats.malformed++;
    log_info("bus: python-socketio emit dropped: bad names");
done:
    cJSON_free(json);
    cJSON_Delete(arr);
}

/* A pickle of python-socketio up to 5.13 (Debian 12's 5.7.2): read by
 * pickle.c's data-only reader, never unpickled by Python's rules (no
 * opcode that imports or calls is taken), then acted on as the JSON form.
 * Its `data` as 5.7.2's servers take it: a tuple is the argument list,
 * anything else the one argument (none when None); bytes anywhere in it
 * become attachments, byte for byte. */
static void bus_python_pickle(const char *data, size_t len)
{
    struct buf json = BUF_INIT, bins = BUF_INIT, scratch = BUF_INIT;
    struct frame *att[64], **attach = att;
    const struct pickle_bin *b;
    cJSON *msg = NULL, *args = NULL;
    const char *why = "not a dict";
    struct pickle *pk;
    size_t i, n = 0, nbins;
    unsigned root;
    long dv;
    int kind;

    if ((pk = pickle_load(data, len, &why)) == NULL ||
        pickle_kind(pk, (root = pickle_root(pk))) != PICKLE_DICT ||
        pickle_json(pk, root, bus_max_message, &json, &scratch, &why) != 0)
        goto refused;
    /* cJSON would end a string at a NUL, as in the JSON form */
    if (bus_json_nul(json.data, json.len)) {
        why = "a NUL in a string";
        goto refused;
    }
    if ((dv = pickle_get(pk, root, "data")) >= 0 &&
        (kind = pickle_kind(pk, (unsigned)dv)) != PICKLE_NONE) {
        buf_reset(&scratch);
        if ((kind != PICKLE_TUPLE && buf_putc(&scratch, '[') != 0) ||
            pickle_json(pk, (unsigned)dv, bus_max_message, &scratch, &bins,
                        &why) != 0 ||
            (kind != PICKLE_TUPLE && buf_putc(&scratch, ']') != 0))
            goto refused;
        if (bus_json_nul(scratch.data, scratch.len)) {
            why = "a NUL in a string";
            goto refused;
        }
        if ((args = cJSON_ParseWithLength(scratch.data, scratch.len)) == NULL)
            goto done; /* out of memory: what pickle_json writes is JSON */
    } else if ((args = cJSON_CreateArray()) == NULL) {
        goto done;
    }
    if ((msg = cJSON_ParseWithLength(json.data, json.len)) == NULL)
        goto done;
    nbins = bins.len / sizeof *b;
    b = (const struct pickle_bin *)(void *)bins.data;
    if (nbins > 64 && (attach = calloc(nbins, sizeof *attach)) == NULL)
        goto done;
    for (n = 0; n < nbins; n++)
        if ((attach[n] = frame_new(b[n].p, b[n].len)) == NULL)
            goto done;
    bus_python_apply(msg, args, attach, (unsigned)n);
    goto done;
refused:
    bus_stats.python_refused++;
    log_info("bus: python-socketio pickle refused: %s", why);
done:
    for (i = 0; i < n; i++)
        frame_unref(attach[i]);
    if (attach != att)
        free(attach);
    cJSON_Delete(msg);
    cJSON_Delete(args);
    pickle_free(pk);
    buf_free(&json);
    buf_free(&bins);
    buf_free(&scratch);
}

/* A message on python-socketio's channel: a pickle (protocol 2 and later
 * start with PROTO, 0x80) or JSON. */
static void bus_python(const char *data, size_t len)
{
    cJSON *msg;

    if (len > 0 && (unsigned char)data[0] == 0x80) {
        bus_python_pickle(data, len);
        return;
    }
    if (len == 0 || data[0] != '{' || !jsonv_valid(data, len) ||
        bus_json_nul(data, len) ||
        (msg = cJSON_ParseWithLength(data, len)) == NULL) {
        bus_stats.malformed++;
        log_info("bus: python-socketio message dropped: %s",
                 len > 0 && data[0] == '{' && jsonv_valid(data, len)
                     ? "a NUL (\\u0000) in it"
                     : "not JSON");
        return;
    }
    bus_python_apply(msg, NULL, NULL, 0);
    cJSON_Delete(msg);
}

void bus_message(void *arg, const char *channel, size_t clen, const char *data,
                 size_t len)
{
    char nsp[SOCK_MAX_NSP_NAME + 1];
    struct frame *att[64], **attach = att;
    struct adapter_msg m;
    struct hub_target t;
    const char *why, *uid, *pch;
    size_t uid_len, i, n = 0;

    (void)arg;
    if (len > bus_max_message) {
        bus_stats.oversized++;
        log_info("bus: %zu-byte message on %.*s over --redis-max-message", len,
                 (int)(clen > 200 ? 200 : clen), channel);
        return;
    }
    if (bus_py_channel != NULL && clen == strlen(bus_py_channel) &&
        memcmp(channel, bus_py_channel, clen) == 0) {
        bus_python(data, len);
        return;
    }
    if (recfleet_message(channel, clen, data, len))
        return;
    if ((pch = fleet_presence_channel()) != NULL && clen == strlen(pch) &&
        memcmp(channel, pch, clen) == 0) {
        presence_message(data, len);
        return;
    }
    if ((pch = svcstats_channel()) != NULL && clen == strlen(pch) &&
        memcmp(channel, pch, clen) == 0) {
        svcstats_message(data, len);
        return;
    }
    if (bus_channel_nsp(channel, clen, bus_req_prefix, nsp) == 0) {
        bus_request(nsp, data, len);
        return;
    }
    if (bus_channel_nsp(channel, clen, bus_resp_prefix, nsp) == 0) {
        bus_response(nsp, data, len);
        return;
    }
    if (adapter_uid(data, len, &uid, &uid_len) == 0 &&
        uid_len == strlen(bus_uid) && memcmp(uid, bus_uid, uid_len) == 0) {
        bus_stats.own++;
        return;
    }
    if (adapter_decode(data, len, &m, &bus_scratch, &why) != 0) {
        bus_stats.malformed++;
        log_info("bus: message on %.*s dropped: %s",
                 (int)(clen > 200 ? 200 : clen), channel, why);
        return;
    }
    if (m.nbins > 64 && (attach = calloc(m.nbins, sizeof *attach)) == NULL)
        return;
    for (n = 0; n < m.nbins; n++)
        if ((attach[n] = frame_new(m.bins[n].p, m.bins[n].len)) == NULL)
            goto done;
    memset(&t, 0, sizeof t);
    t.nsp = m.nsp;
    t.rooms = m.rooms;
    t.nrooms = m.nrooms;
    t.except = m.except;
    t.nexcept = m.nexcept;
    t.flags = HUB_F_LOCAL | (m.flags & ADAPTER_F_VOLATILE ? HUB_F_VOLATILE : 0);
    t.origin = adapter_uid(data, len, &uid, &uid_len) == 0
                   ? recover_origin(uid, uid_len)
                   : 1;
    bus_stats.received++;
    /* Broadcasts that came in one read (a node or an emitter ahead of
     * us): each receiver gets one write for all of them, not the first
     * written through and the rest in a second. */
    if (redis_more_read())
        conn_coalesce_turn();
    hub_emit(&t, m.json, m.json_len, attach, (unsigned)m.nbins, 0, NULL, NULL);
done:
    for (i = 0; i < n; i++)
        frame_unref(attach[i]);
    if (attach != att)
        free(attach);
}

int bus_setup(struct event_base *base, const struct bus_config *cfg,
              const char **cause)
{
    struct redis_url u;
    struct buf pat = BUF_INIT;
    int rc;

    if (redis_url_parse(cfg->url, &u, cause) != 0)
        return -1;
    if (route_random_name(bus_uid, sizeof bus_uid - 1) != 0) {
        *cause = "no random bytes for the node's uid";
        return -1;
    }
    bus_key = cfg->key;
    bus_max_message = cfg->max_message;
    redis_outbox_setup(cfg->outbox);
    if (redis_setup(base, &u, cfg->timeout_ms, bus_message, NULL, cause) != 0)
        return -1;
    /* Every namespace at once: "<key>#*" (the request and response
     * channels are "<key>-request#..." and stay out of it). */
    rc = adapter_pattern(&pat, bus_key) != 0 || redis_psubscribe(pat.data);
    buf_reset(&pat);
    if (rc == 0) {
        buf_reset(&pat);
        rc = buf_printf(&pat, "%s-request#", bus_key) != 0 ||
             (bus_req_prefix = buf_dup(pat.data, pat.len)) == NULL;
        buf_reset(&pat);
        rc = rc || buf_printf(&pat, "%s-response#", bus_key) != 0 ||
             (bus_resp_prefix = buf_dup(pat.data, pat.len)) == NULL ||
             idmap_init(&bus_nsps) != 0;
    }
    /* The answers to this node's requests (fleet.c) in a namespace it has
     * no socket of (so no exact subscription, below): "<key>-response#*".
     * A channel both subscribed and matched is read once (redis.c). */
    if (rc == 0) {
        buf_reset(&pat);
        rc = buf_printf(&pat, "%s-response", bus_key) != 0;
        if (rc == 0) {
            char *resp_key = buf_dup(pat.data, pat.len);
            buf_reset(&pat);
            rc = resp_key == NULL || adapter_pattern(&pat, resp_key) != 0 ||
                 redis_psubscribe(pat.data) != 0;
            free(resp_key);
        }
    }
    buf_free(&pat);
    bus_py_channel = cfg->python_channel;
    if (rc == 0 && bus_py_channel != NULL)
        rc = redis_subscribe(bus_py_channel);
    if (rc != 0) {
        *cause = "out of memory";
        return -1;
    }
    answer_setup(bus_key, bus_uid, bus_max_message, cfg->path);
    /* "/" now, every other namespace as the hub creates it. */
    bus_nsp_created(NULL, "/");
    hub_set_nsp_created(bus_nsp_created, NULL);
    hub_set_publish(bus_publish, NULL);
    bus_on = 1;
    return 0;
}

static void bus_nsps_free(void)
{
    struct idmap_node *node;
    size_t b;

    for (b = 0; bus_nsps.buckets != NULL && b <= bus_nsps.mask; b++)
        while ((node = bus_nsps.buckets[b]) != NULL) {
            idmap_del(&bus_nsps, node);
            free(node);
        }
    idmap_free(&bus_nsps);
}

void bus_shutdown(void)
{
    if (!bus_on)
        return;
    hub_set_publish(NULL, NULL);
    hub_set_nsp_created(NULL, NULL);
    redis_shutdown();
    answer_shutdown();
    adapter_scratch_free(&bus_scratch);
    buf_free(&bus_out);
    buf_free(&bus_chan);
    free(bus_req_prefix);
    free(bus_resp_prefix);
    bus_req_prefix = bus_resp_prefix = NULL;
    bus_nsps_free();
    bus_on = 0;
}
