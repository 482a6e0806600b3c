/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fleetmsg: pure codec of the requests this node sends other nodes on
 * "<key>-request#<nsp>#" and of their answers (docs/scale-out.md). */
#include "fleetmsg.h"

#include <math.h>
#include <string.h>

#include <cJSON.h>

#include "adapter.h"
#include "jsonv.h"
#include "mpk.h"
#include "sio.h"
#include "users.h"

int fleetmsg_str(struct buf *out, const char *s)
{
    cJSON *v = cJSON_CreateString(s);
    char *text = v ? cJSON_PrintUnformatted(v) : NULL;
    int rc = text ? buf_puts(out, text) : -1;

    cJSON_free(text);
    cJSON_Delete(v);
    return rc;
}

int fleetmsg_fetch(struct buf *out, const char *uid, const char *req_id,
                   const char *const *rooms, size_t nrooms)
{
    size_t i;

    if (buf_puts(out, "{\"uid\":") != 0 || fleetmsg_str(out, uid) != 0 ||
        buf_puts(out, ",\"requestId\":") != 0 ||
        fleetmsg_str(out, req_id) != 0 ||
        buf_printf(out, ",\"type\":%d,\"opts\":{\"rooms\":[",
                   ADAPTER_REQ_REMOTE_FETCH) != 0)
        return -1;
    for (i = 0; i < nrooms; i++)
        if ((i > 0 && buf_putc(out, ',') != 0) ||
            fleetmsg_str(out, rooms[i]) != 0)
            return -1;
    return buf_puts(out, "],\"except\":[]}}") != 0 || buf_putc(out, '\0') != 0
               ? -1
               : 0;
}

int fleetmsg_remote(struct buf *out, int type, const char *uid,
                    const char *req_id, const char *sid, const char *room,
                    int close)
{
    if (buf_puts(out, "{\"uid\":") != 0 || fleetmsg_str(out, uid) != 0 ||
        buf_puts(out, ",\"requestId\":") != 0 ||
        fleetmsg_str(out, req_id) != 0 ||
        buf_printf(out, ",\"type\":%d,\"sid\":", type) != 0 ||
        fleetmsg_str(out, sid) != 0)
        return -1;
    if (type == ADAPTER_REQ_REMOTE_DISCONNECT) {
        if (buf_printf(out, ",\"close\":%s", close ? "true" : "false") != 0)
            return -1;
    } else if (buf_puts(out, ",\"room\":") != 0 ||
               fleetmsg_str(out, room ? room : "") != 0) {
        return -1;
    }
    return buf_putc(out, '}') != 0 || buf_putc(out, '\0') != 0 ? -1 : 0;
}

static int fleetmsg_put_names(struct buf *out, const char *const *v, size_t n)
{
    size_t i;

    if (n > UINT32_MAX || mpk_put_array(out, (uint32_t)n) != 0)
        return -1;
    for (i = 0; i < n; i++)
        if (mpk_put_str(out, v[i], strlen(v[i])) != 0)
            return -1;
    return 0;
}

static int fleetmsg_put_key(struct buf *out, const char *k)
{
    return mpk_put_str(out, k, strlen(k));
}

int fleetmsg_broadcast(struct buf *out, const char *uid, const char *req_id,
                       const char *nsp, const char *json, size_t len,
                       struct frame *const *attach, unsigned nattach,
                       const char *const *rooms, size_t nrooms,
                       const char *const *except, size_t nexcept,
                       unsigned timeout_ms)
{
    return mpk_put_map(out, 5) != 0 || fleetmsg_put_key(out, "uid") != 0 ||
                   fleetmsg_put_key(out, uid) != 0 ||
                   fleetmsg_put_key(out, "requestId") != 0 ||
                   fleetmsg_put_key(out, req_id) != 0 ||
                   fleetmsg_put_key(out, "type") != 0 ||
                   mpk_put_int(out, ADAPTER_REQ_BROADCAST) != 0 ||
                   fleetmsg_put_key(out, "packet") != 0 ||
                   mpk_put_map(out, 3) != 0 ||
                   fleetmsg_put_key(out, "type") != 0 ||
                   mpk_put_int(out, 2) != 0 ||
                   fleetmsg_put_key(out, "data") != 0 ||
                   mpk_from_json(out, json, len, attach, nattach) != 0 ||
                   fleetmsg_put_key(out, "nsp") != 0 ||
                   fleetmsg_put_key(out, nsp) != 0 ||
                   fleetmsg_put_key(out, "opts") != 0 ||
                   mpk_put_map(out, 3) != 0 ||
                   fleetmsg_put_key(out, "rooms") != 0 ||
                   fleetmsg_put_names(out, rooms, nrooms) != 0 ||
                   fleetmsg_put_key(out, "except") != 0 ||
                   fleetmsg_put_names(out, except, nexcept) != 0 ||
                   fleetmsg_put_key(out, "flags") != 0 ||
                   mpk_put_map(out, 1) != 0 ||
                   fleetmsg_put_key(out, "timeout") != 0 ||
                   mpk_put_int(out, timeout_ms) != 0
               ? -1
               : 0;
}

/* Copies a request id: 1 to FLEETMSG_MAX_ID printable ASCII bytes. */
static int fleetmsg_id(struct fleetmsg_resp *r, const char *p, size_t len)
{
    size_t i;

    if (len == 0 || len > FLEETMSG_MAX_ID)
        return -1;
    for (i = 0; i < len; i++)
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
            return -1;
    memcpy(r->request_id, p, len);
    r->request_id[len] = '\0';
    return 0;
}

/* One socket of a fetch answer, as a session. */
static cJSON *fleetmsg_session(const cJSON *s, const char *nsp,
                               const char *node)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(s, "id");
    const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(s, "rooms");
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(s, "handshake");
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(hs, "address");
    const cJSON *issued = cJSON_GetObjectItemCaseSensitive(hs, "issued");
    const cJSON *e;
    const char *user = NULL;
    cJSON *o, *chans;

    if (!cJSON_IsString(id) ||
        !sio_name_valid(id->valuestring, strlen(id->valuestring)) ||
        (rooms != NULL && !cJSON_IsArray(rooms)) ||
        (o = cJSON_CreateObject()) == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "sid", id->valuestring);
    cJSON_AddStringToObject(o, "namespace", nsp);
    cJSON_AddItemToObject(o, "node",
                          node ? cJSON_CreateString(node) : cJSON_CreateNull());
    chans = cJSON_AddArrayToObject(o, "channels");
    cJSON_ArrayForEach(e, rooms)
    {
        if (!cJSON_IsString(e) ||
            !sio_name_valid(e->valuestring, strlen(e->valuestring))) {
            cJSON_Delete(o);
            return NULL;
        }
        /* A socketiod node tells a socket's app user by its room. */
        if (users_of_room(e->valuestring) != NULL &&
            strlen(users_of_room(e->valuestring)) <= USERS_MAX_NAME)
            user = users_of_room(e->valuestring);
        else if (strcmp(e->valuestring, id->valuestring) != 0)
            cJSON_AddItemToArray(chans, cJSON_CreateString(e->valuestring));
    }
    cJSON_AddStringToObject(o, "remote_addr",
                            cJSON_IsString(addr) ? addr->valuestring : "");
    cJSON_AddNumberToObject(o, "connected_at",
                            cJSON_IsNumber(issued) &&
                                    isfinite(issued->valuedouble)
                                ? issued->valuedouble / 1000
                                : 0);
    cJSON_AddItemToObject(o, "user",
                          user && *user ? cJSON_CreateString(user)
                                        : cJSON_CreateNull());
    return o;
}

static int fleetmsg_json(const char *data, size_t len, const char *nsp,
                         struct fleetmsg_resp *r, struct buf *out,
                         const char **why)
{
    const cJSON *id, *type, *count, *sockets, *uid, *s;
    const char *node = NULL;
    cJSON *root, *list = NULL, *o;
    char *text = NULL;
    int rc = -1;

    if (!jsonv_valid(data, len) ||
        (root = cJSON_ParseWithLength(data, len)) == NULL) {
        *why = "not JSON";
        return -1;
    }
    /* cJSON cuts a string at a "\u0000": a sid or room so written would
     * pass as another name. No answer this node reads needs one. */
    if (memmem(data, len, "\\u0000", 6) != NULL) {
        cJSON_Delete(root);
        *why = "a NUL (\\u0000) in a string";
        return -1;
    }
    id = cJSON_GetObjectItemCaseSensitive(root, "requestId");
    type = cJSON_GetObjectItemCaseSensitive(root, "type");
    count = cJSON_GetObjectItemCaseSensitive(root, "clientCount");
    sockets = cJSON_GetObjectItemCaseSensitive(root, "sockets");
    uid = cJSON_GetObjectItemCaseSensitive(root, "uid");
    *why = "a bad requestId";
    if (!cJSON_IsObject(root) || !cJSON_IsString(id) ||
        fleetmsg_id(r, id->valuestring, strlen(id->valuestring)) != 0)
        goto done;
    *why = "a bad type";
    if (type != NULL) {
        if (!cJSON_IsNumber(type) || type->valuedouble < 0 ||
            type->valuedouble > 99 ||
            type->valuedouble != (double)type->valueint)
            goto done;
        r->type = type->valueint;
    }
    if (r->type == ADAPTER_REQ_BROADCAST_CLIENT_COUNT) {
        *why = "a bad clientCount";
        if (!cJSON_IsNumber(count) || !(count->valuedouble >= 0) ||
            count->valuedouble > 1e9)
            goto done;
        r->client_count = (long)count->valuedouble;
    }
    if (cJSON_IsString(uid) && strlen(uid->valuestring) <= FLEETMSG_MAX_ID &&
        sio_name_valid(uid->valuestring, strlen(uid->valuestring)))
        node = uid->valuestring;
    *why = "a bad socket";
    if ((list = cJSON_CreateArray()) == NULL)
        goto done;
    if (sockets != NULL) {
        if (!cJSON_IsArray(sockets))
            goto done;
        r->has_sockets = 1;
        cJSON_ArrayForEach(s, sockets)
        {
            if ((o = fleetmsg_session(s, nsp, node)) == NULL)
                goto done;
            cJSON_AddItemToArray(list, o);
        }
    }
    *why = "out of memory";
    if ((text = cJSON_PrintUnformatted(list)) == NULL ||
        buf_puts(out, text) != 0)
        goto done;
    rc = 0;
done:
    cJSON_free(text);
    cJSON_Delete(list);
    cJSON_Delete(root);
    return rc;
}

/* A MessagePack answer: {"type": 9, "requestId", "packet": arg}. */
static int fleetmsg_mpk(const char *data, size_t len, struct fleetmsg_resp *r,
                        struct buf *out, const char **why)
{
    const char *p = data, *end = data + len, *packet = NULL;
    struct buf bins = BUF_INIT;
    struct mpk_item it, k, v;
    uint32_t i, n;
    int rc = -1;

    *why = "not a MessagePack map";
    if (mpk_read(&p, end, &it) != 0 || it.type != MPK_MAP)
        return -1;
    n = it.len;
    r->request_id[0] = '\0';
    for (i = 0; i < n; i++) {
        *why = "malformed MessagePack";
        if (mpk_read(&p, end, &k) != 0 || k.type != MPK_STR)
            return -1;
        if (k.len == 6 && memcmp(k.p, "packet", 6) == 0) {
            packet = p;
            if (mpk_skip(&p, end) != 0)
                return -1;
            continue;
        }
        if (k.len == 9 && memcmp(k.p, "requestId", 9) == 0) {
            if (mpk_read(&p, end, &v) != 0 || v.type != MPK_STR ||
                fleetmsg_id(r, v.p, v.len) != 0) {
                *why = "a bad requestId";
                return -1;
            }
            continue;
        }
        if (k.len == 4 && memcmp(k.p, "type", 4) == 0) {
            if (mpk_read(&p, end, &v) != 0 || v.type != MPK_INT || v.i < 0 ||
                v.i > 99) {
                *why = "a bad type";
                return -1;
            }
            r->type = (int)v.i;
            continue;
        }
        if (mpk_skip(&p, end) != 0)
            return -1;
    }
    if (r->request_id[0] == '\0') {
        *why = "a bad requestId";
        return -1;
    }
    if (buf_putc(out, '[') != 0)
        goto oom;
    if (packet != NULL && r->type == ADAPTER_REQ_BROADCAST_ACK) {
        p = packet;
        if (mpk_to_json(&p, end, out, &bins) != 0) {
            *why = "malformed MessagePack";
            goto done;
        }
    }
    if (buf_putc(out, ']') != 0)
        goto oom;
    rc = 0;
    goto done;
oom:
    *why = "out of memory";
done:
    buf_free(&bins);
    return rc;
}

int fleetmsg_response(const char *data, size_t len, const char *nsp,
                      struct fleetmsg_resp *r, struct buf *out,
                      const char **why)
{
    memset(r, 0, sizeof *r);
    r->type = -1;
    buf_reset(out);
    if (len > 0 && data[0] == '{')
        return fleetmsg_json(data, len, nsp, r, out, why);
    return fleetmsg_mpk(data, len, r, out, why);
}

int fleetmsg_presence_ask(struct buf *out, const char *uid, const char *req_id,
                          const char *nsp, const char *channel,
                          const char *user, int join)
{
    return buf_puts(out, "{\"uid\":") != 0 || fleetmsg_str(out, uid) != 0 ||
                   buf_puts(out, ",\"requestId\":") != 0 ||
                   fleetmsg_str(out, req_id) != 0 ||
                   buf_puts(out, ",\"nsp\":") != 0 ||
                   fleetmsg_str(out, nsp) != 0 ||
                   buf_puts(out, ",\"channel\":") != 0 ||
                   fleetmsg_str(out, channel) != 0 ||
                   buf_puts(out, ",\"user\":") != 0 ||
                   fleetmsg_str(out, user) != 0 ||
                   buf_printf(out, ",\"join\":%s}", join ? "true" : "false") !=
                       0
               ? -1
               : 0;
}

int fleetmsg_presence_answer(struct buf *out, const char *uid,
                             const char *req_id, unsigned sockets)
{
    return buf_puts(out, "{\"uid\":") != 0 || fleetmsg_str(out, uid) != 0 ||
                   buf_puts(out, ",\"requestId\":") != 0 ||
                   fleetmsg_str(out, req_id) != 0 ||
                   buf_printf(out, ",\"sockets\":%u}", sockets) != 0
               ? -1
               : 0;
}

/* A request id or uid of a presence message into out[FLEETMSG_MAX_ID +
 * 1]: 1 to FLEETMSG_MAX_ID printable ASCII bytes, as fleetmsg_id().
 * Returns 0 or -1. */
static int fleetmsg_pres_id(const cJSON *v, char *out)
{
    struct fleetmsg_resp r;

    if (!cJSON_IsString(v) ||
        fleetmsg_id(&r, v->valuestring, strlen(v->valuestring)) != 0)
        return -1;
    strcpy(out, r.request_id);
    return 0;
}

/* A name of a presence question: a string of 1 to `max` bytes that
 * sio_name_valid() takes. */
static const char *fleetmsg_pres_name(const cJSON *v, size_t max)
{
    size_t n;

    if (!cJSON_IsString(v))
        return NULL;
    n = strlen(v->valuestring);
    return n > 0 && n <= max && sio_name_valid(v->valuestring, n)
               ? v->valuestring
               : NULL;
}

int fleetmsg_presence_decode(const char *data, size_t len,
                             struct fleetmsg_presence *m, struct buf *scratch,
                             const char **why)
{
    const cJSON *id, *uid, *nsp, *ch, *user, *sockets, *join;
    const char *n = NULL, *c = NULL, *u = NULL, *w;
    cJSON *root;
    int rc = -1;

    memset(m, 0, sizeof *m);
    buf_reset(scratch);
    if (!jsonv_valid(data, len) || memmem(data, len, "\\u0000", 6) != NULL ||
        (root = cJSON_ParseWithLength(data, len)) == NULL) {
        *why = "not JSON, or a NUL (\\u0000) in it";
        return -1;
    }
    id = cJSON_GetObjectItemCaseSensitive(root, "requestId");
    uid = cJSON_GetObjectItemCaseSensitive(root, "uid");
    nsp = cJSON_GetObjectItemCaseSensitive(root, "nsp");
    ch = cJSON_GetObjectItemCaseSensitive(root, "channel");
    user = cJSON_GetObjectItemCaseSensitive(root, "user");
    sockets = cJSON_GetObjectItemCaseSensitive(root, "sockets");
    join = cJSON_GetObjectItemCaseSensitive(root, "join");
    *why = "a bad requestId or uid";
    if (!cJSON_IsObject(root) || fleetmsg_pres_id(id, m->request_id) != 0 ||
        fleetmsg_pres_id(uid, m->uid) != 0)
        goto done;
    if (ch != NULL) {
        m->question = 1;
        *why = "a bad namespace, channel or user";
        if ((n = fleetmsg_pres_name(nsp, FLEETMSG_MAX_NAME)) == NULL ||
            n[0] != '/' ||
            (c = fleetmsg_pres_name(ch, FLEETMSG_MAX_NAME)) == NULL ||
            !cJSON_IsString(user) ||
            !users_valid(user->valuestring, strlen(user->valuestring), &w) ||
            !cJSON_IsBool(join))
            goto done;
        m->join = cJSON_IsTrue(join);
        u = user->valuestring;
        *why = "out of memory";
        if (buf_append(scratch, n, strlen(n) + 1) != 0 ||
            buf_append(scratch, c, strlen(c) + 1) != 0 ||
            buf_append(scratch, u, strlen(u) + 1) != 0)
            goto done;
        m->nsp = scratch->data;
        m->channel = m->nsp + strlen(m->nsp) + 1;
        m->user = m->channel + strlen(m->channel) + 1;
    } else {
        *why = "a bad sockets count";
        if (!cJSON_IsNumber(sockets) || !(sockets->valuedouble >= 0) ||
            sockets->valuedouble > 1e9)
            goto done;
        m->sockets = (long)sockets->valuedouble;
    }
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}
