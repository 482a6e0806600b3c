/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* engine: Engine.IO sessions: handshake, polling and WebSocket transports,
 * upgrade, heartbeats of protocol v4 and v3. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "b64.h"
#include "buf.h"
#include "eio.h"
#include "log.h"
#include "route.h"
#include "ws.h"

struct engine_stats engine_stats;

static struct engine_config engine_cfg;
static const struct engine_handler *engine_h;
static struct idmap engine_sids;
static TAILQ_HEAD(engine_list, engine_session)
    engine_all = TAILQ_HEAD_INITIALIZER(engine_all);
static TAILQ_HEAD(, engine_session)
    engine_flushq = TAILQ_HEAD_INITIALIZER(engine_flushq);
static struct event engine_turn_ev; /* end of loop turn: polling flush */

/* v4: the server pings every interval and waits `timeout` for the pong.
 * v3: the client pings; it must be heard from within interval + timeout. */
static struct timerq engine_ping_q, engine_pong_q, engine_v3_q;
/* --poll-hold: a web server that gives a responder one request at a time
 * (mod_fcgid) must get each long-poll back soon, or the client's POSTs
 * wait behind it. */
static struct timerq engine_hold_q;
/* --first-poll-timeout: the official clients poll (or probe) at once after
 * a polling handshake; a session that does neither is closed long before
 * its ping timeout. */
static struct timerq engine_first_q;

/* Live sessions per client address (REMOTE_ADDR), kept only when
 * max_sessions_per_ip is set; an entry lives while it counts a session. */
struct engine_ip {
    struct idmap_node node;
    uint32_t count;
    char key[64];
};
static struct idmap engine_ips;

static const char engine_text_type[] = "text/plain; charset=UTF-8";

static void engine_end(struct engine_session *s, const char *reason,
                       int ws_code);

static void engine_turn(evutil_socket_t fd, short what, void *arg);

static void engine_ping_due(struct timerq_node *n, void *arg);
static void engine_pong_due(struct timerq_node *n, void *arg);
static void engine_hold_due(struct timerq_node *n, void *arg);
static void engine_first_due(struct timerq_node *n, void *arg);
static void engine_ip_release(struct engine_ip *ip);

static struct engine_session *engine_of(struct timerq_node *n)
{
    return (struct engine_session *)((char *)n -
                                     offsetof(struct engine_session, hb));
}

void engine_setup(struct event_base *base, const struct engine_config *cfg,
                  const struct engine_handler *h)
{
    engine_cfg = *cfg;
    engine_h = h;
    if (idmap_init(&engine_sids) != 0 ||
        (cfg->max_sessions_per_ip && idmap_init(&engine_ips) != 0))
        abort();
    event_assign(&engine_turn_ev, base, -1, 0, engine_turn, NULL);
    event_priority_set(&engine_turn_ev, TURN_END);
    timerq_init(&engine_ping_q, base, cfg->ping_interval_ms, engine_ping_due,
                NULL);
    timerq_init(&engine_pong_q, base, cfg->ping_timeout_ms, engine_pong_due,
                NULL);
    timerq_init(&engine_v3_q, base,
                cfg->ping_interval_ms + cfg->ping_timeout_ms, engine_pong_due,
                NULL);
    timerq_init(&engine_hold_q, base, cfg->poll_hold_ms, engine_hold_due, NULL);
    timerq_init(&engine_first_q, base, cfg->first_poll_ms, engine_first_due,
                NULL);
}

int engine_owns(const struct http_request *req)
{
    size_t plen = strlen(engine_cfg.path);

    return (req->path_len == plen &&
            memcmp(req->path, engine_cfg.path, plen) == 0) ||
           (req->path_len == plen - 1 &&
            memcmp(req->path, engine_cfg.path, plen - 1) == 0);
}

struct engine_session *engine_find(const char *sid)
{
    struct idmap_node *n = idmap_get(&engine_sids, sid);

    return n ? (struct engine_session *)n : NULL;
}

size_t engine_count(void) { return engine_sids.count; }

int engine_writable(const struct engine_session *s)
{
    if (s->transport == ENGINE_WEBSOCKET)
        return s->conn != NULL && s->conn->out_bytes < ENGINE_VOLATILE_BACKLOG;
    return s->poll != NULL;
}

const char *engine_meta(const struct engine_session *s, const char *key)
{
    const char *p = s->meta;
    size_t klen = strlen(key);

    while (p != NULL && *p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=')
            return p + klen + 1;
        p += strlen(p) + 1;
    }
    return NULL;
}

/* ---- messages and their wire forms ---- */

void engine_msg_init(struct engine_msg *m, int binary, const char *data,
                     size_t len)
{
    memset(m, 0, sizeof *m);
    m->binary = binary;
    m->data = data;
    m->len = len;
}

void engine_msg_release(struct engine_msg *m)
{
    frame_unref(m->poll);
    frame_unref(m->ws[1]);
    frame_unref(m->ws[0]);
    m->poll = m->ws[0] = m->ws[1] = NULL;
}

static struct frame *engine_ws_form(struct engine_msg *m, int version)
{
    uint8_t head[WS_MAX_HEAD + 1];
    size_t h;
    int v = version == 4;

    if (m->ws[v] != NULL)
        return m->ws[v];
    if (!m->binary) {
        if (m->ws[!v] != NULL)
            return m->ws[v] = frame_ref(m->ws[!v]);
        h = ws_write_head(head, 1, WS_OP_TEXT, m->len + 1);
        head[h++] = '4';
    } else if (version == 4) {
        h = ws_write_head(head, 1, WS_OP_BINARY, m->len);
    } else {
        h = ws_write_head(head, 1, WS_OP_BINARY, m->len + 1);
        head[h++] = 4;
    }
    m->ws[v] = frame_new2(head, h, m->data, m->len);
    return m->ws[v];
}

static struct frame *engine_poll_form(struct engine_msg *m)
{
    if (m->poll == NULL) {
        m->poll = m->binary ? frame_new(m->data, m->len)
                            : frame_new2("4", 1, m->data, m->len);
        if (m->poll != NULL)
            m->poll->binary = (uint8_t)m->binary;
    }
    return m->poll;
}

/* ---- polling ---- */

static void engine_schedule_flush(struct engine_session *s)
{
    if (s->flushing || s->poll == NULL || s->transport != ENGINE_POLLING)
        return;
    s->flushing = 1;
    TAILQ_INSERT_TAIL(&engine_flushq, s, flush_link);
    event_active(&engine_turn_ev, EV_TIMEOUT, 0);
}

static void engine_unflush(struct engine_session *s)
{
    if (s->flushing) {
        TAILQ_REMOVE(&engine_flushq, s, flush_link);
        s->flushing = 0;
    }
}

static int engine_queue(struct engine_session *s, struct frame *f)
{
    struct frame **p;

    if (s->pending_bytes + f->len > engine_cfg.max_pending) {
        log_info_at(NULL, s->sid,
                    "%zu bytes queued for a client that does not poll, "
                    "closing",
                    s->pending_bytes);
        return -1;
    }
    if (s->npending == s->pending_cap) {
        uint32_t cap = s->pending_cap ? s->pending_cap * 2 : 4;
        p = realloc(s->pending, cap * sizeof *p);
        if (p == NULL)
            return -1;
        s->pending = p;
        s->pending_cap = cap;
    }
    s->pending[s->npending++] = frame_ref(f);
    s->pending_bytes += f->len;
    engine_schedule_flush(s);
    return 0;
}

static int engine_queue_text(struct engine_session *s, const char *pkt)
{
    struct frame *f = frame_new(pkt, strlen(pkt));
    int rc = f ? engine_queue(s, f) : -1;

    frame_unref(f);
    return rc;
}

static void engine_drop_pending(struct engine_session *s)
{
    uint32_t i;

    for (i = 0; i < s->npending; i++)
        frame_unref(s->pending[i]);
    free(s->pending);
    s->pending = NULL;
    s->npending = s->pending_cap = 0;
    s->pending_bytes = 0;
}

/* The first item of a comma-separated header value, blanks trimmed. */
static void engine_first_item(const char **v, size_t *len)
{
    const char *s = *v, *e = *v + *len, *c;

    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    c = memchr(s, ',', (size_t)(e - s));
    if (c != NULL)
        e = c;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *v = s;
    *len = (size_t)(e - s);
}

/* 1 when the request may be served for its Origin: none (not a browser),
 * one in --origins (or "*"), or the daemon's own site: the Host the
 * browser asked for, or behind a --trusted-proxies peer the first
 * X-Forwarded-Host. A page of another site would otherwise open sockets
 * with the user's cookies, which the upstream app trusts. */
static int engine_origin_ok(struct req *r, const struct http_request *req)
{
    const struct http_header *o = http_find_header(req, "Origin");
    const struct http_header *h = http_find_header(req, "Host");
    const struct http_header *x;
    const char *host;
    size_t hlen;
    char peer[64];
    int port;

    if (o == NULL || engine_cfg.origin_allowed(o->value, o->value_len))
        return 1;
    x = http_find_header(req, "X-Forwarded-Host");
    if (x != NULL && engine_cfg.proxy_trusted != NULL) {
        r->ops->peer(r, peer, sizeof peer, &port);
        if (engine_cfg.proxy_trusted(peer))
            h = x;
    }
    if (h == NULL)
        return 0;
    host = h->value;
    hlen = h->value_len;
    engine_first_item(&host, &hlen);
    return req_same_origin(o->value, o->value_len, host, hlen);
}

/* CORS headers when the request has an Origin we accept. */
static void engine_cors(struct buf *h, struct req *r,
                        const struct http_request *req)
{
    const struct http_header *o = http_find_header(req, "Origin");

    if (o == NULL || !engine_origin_ok(r, req))
        return;
    buf_printf(h,
               "Access-Control-Allow-Origin: %.*s\r\n"
               "Access-Control-Allow-Credentials: true\r\nVary: Origin\r\n",
               (int)o->value_len, o->value);
}

/* A held poll is answered after its request is gone: CORS comes from the
 * handshake's Origin, which engine_request() let in. */
static void engine_session_cors(const struct engine_session *s, struct buf *h)
{
    const char *o = engine_meta(s, "HTTP_ORIGIN");

    if (o == NULL)
        return;
    buf_printf(h,
               "Access-Control-Allow-Origin: %s\r\n"
               "Access-Control-Allow-Credentials: true\r\nVary: Origin\r\n",
               o);
}

/* Drops the first n pending packets (sent). */
static void engine_shift_pending(struct engine_session *s, uint32_t n)
{
    uint32_t i;

    if (n == s->npending) {
        engine_drop_pending(s);
        return;
    }
    for (i = 0; i < n; i++) {
        s->pending_bytes -= s->pending[i]->len;
        frame_unref(s->pending[i]);
    }
    memmove(s->pending, s->pending + n, (s->npending - n) * sizeof *s->pending);
    s->npending -= n;
}

/* Answers the held GET with what is pending, up to --poll-max-packets
 * packets: the python-engineio client (Debian's 4.3) drops the connection
 * on a payload of more than 16, losing them all; the rest goes with the
 * next poll, which the client sends at once. */
static void engine_poll_respond(struct engine_session *s)
{
    struct buf body = BUF_INIT, h = BUF_INIT;
    struct eio_packet p;
    struct req *r = s->poll;
    int binary_body = 0;
    uint32_t i, n = s->npending;

    if (r == NULL)
        return;
    if (engine_cfg.poll_max_packets > 0 && n > engine_cfg.poll_max_packets)
        n = engine_cfg.poll_max_packets;
    if (s->version == 3 && !s->b64)
        for (i = 0; i < n; i++)
            binary_body |= s->pending[i]->binary;
    for (i = 0; i < n; i++) {
        struct frame *f = s->pending[i];
        p.binary = f->binary;
        p.base64 = 0;
        p.type = f->binary ? EIO_MESSAGE : f->data[0] - '0';
        p.data = f->binary ? f->data : f->data + 1;
        p.len = f->binary ? f->len : f->len - 1;
        if (eio_payload_append(&body, s->version, binary_body, i == 0, &p)) {
            buf_free(&body);
            engine_end(s, "out of memory", WS_CLOSE_GOING_AWAY);
            return;
        }
    }
    engine_shift_pending(s, n);
    s->poll = NULL;
    timerq_remove(&s->hold);
    engine_session_cors(s, &h);
    req_respond(r, 200,
                binary_body ? "application/octet-stream" : engine_text_type,
                h.data, body.data, body.len);
    buf_free(&h);
    buf_free(&body);
}

/* Answers the held GET with a NOOP: the client paused polling for an
 * upgrade, or sent CLOSE itself (Node's polling transport does the same;
 * a CLOSE would make the client report a server-side close). */
static void engine_poll_noop(struct engine_session *s)
{
    struct req *poll = s->poll;
    struct buf h = BUF_INIT;

    if (poll == NULL)
        return;
    engine_unflush(s);
    s->poll = NULL;
    timerq_remove(&s->hold);
    engine_session_cors(s, &h);
    req_respond(poll, 200, engine_text_type, h.data,
                s->version == 3 ? "1:6" : "6", s->version == 3 ? 3 : 1);
    buf_free(&h);
}

/* ---- lifecycle ---- */

static void engine_turn(evutil_socket_t fd, short what, void *arg)
{
    struct engine_session *s;

    (void)fd;
    (void)what;
    (void)arg;
    while ((s = TAILQ_FIRST(&engine_flushq)) != NULL) {
        engine_unflush(s);
        if (s->state == ENGINE_OPEN && s->npending > 0)
            engine_poll_respond(s);
    }
}

/* A closed session stays readable until the end of the turn: the layers
 * above may still be in a fan-out that reached it. */
static void engine_free(struct turn_node *n)
{
    struct engine_session *s = TURN_OF(n, struct engine_session, dead);

    free(s->meta);
    free(s);
}

static void engine_end(struct engine_session *s, const char *reason,
                       int ws_code)
{
    struct conn *c = s->conn, *probe = s->probe;
    struct req *poll = s->poll;

    if (s->state != ENGINE_OPEN)
        return;
    log_debug("session %s: closed (%s)", s->sid, reason);
    s->state = ENGINE_CLOSED;
    engine_stats.closed++;
    if (s->transport == ENGINE_POLLING)
        engine_stats.polling--;
    else
        engine_stats.websocket--;
    idmap_del(&engine_sids, &s->node);
    engine_ip_release(s->ip);
    s->ip = NULL;
    timerq_remove(&s->hb);
    timerq_remove(&s->hold);
    engine_unflush(s);
    engine_drop_pending(s);
    s->conn = s->probe = NULL;
    s->poll = NULL;
    if (probe != NULL) {
        probe->data = NULL;
        conn_ws_close(probe, ws_code, NULL);
    }
    if (c != NULL) {
        c->data = NULL;
        conn_ws_close(c, ws_code, NULL);
    }
    if (poll != NULL) {
        /* A held poll learns of the close from a CLOSE packet. */
        struct buf h = BUF_INIT;
        engine_session_cors(s, &h);
        req_respond(poll, 200, engine_text_type, h.data,
                    s->version == 3 ? "1:1" : "1", s->version == 3 ? 3 : 1);
        buf_free(&h);
    }
    TAILQ_REMOVE(&engine_all, s, link);
    turn_defer(&s->dead, engine_free);
    if (engine_h->close != NULL)
        engine_h->close(s, reason);
}

void engine_close(struct engine_session *s, const char *reason)
{
    if (s->state == ENGINE_OPEN && s->transport == ENGINE_WEBSOCKET &&
        s->conn != NULL) {
        struct buf b = BUF_INIT;
        if (ws_encode_frame(&b, WS_OP_TEXT, "1", 1) == 0)
            conn_send_bytes(s->conn, b.data, b.len);
        buf_free(&b);
    }
    engine_end(s, reason, WS_CLOSE_NORMAL);
}

void engine_shutdown(void)
{
    struct engine_session *s;

    while ((s = TAILQ_FIRST(&engine_all)) != NULL)
        engine_end(s, "server shutting down", WS_CLOSE_GOING_AWAY);
    timerq_deinit(&engine_ping_q);
    timerq_deinit(&engine_pong_q);
    timerq_deinit(&engine_v3_q);
    timerq_deinit(&engine_hold_q);
    timerq_deinit(&engine_first_q);
}

static void engine_heartbeat_start(struct engine_session *s)
{
    timerq_add(s->version == 4 ? &engine_ping_q : &engine_v3_q, &s->hb);
}

/* A request carrying the session's sid: its first one ends the wait for
 * it, and the heartbeat starts. */
static void engine_heard(struct engine_session *s)
{
    if (s->hb.q == &engine_first_q)
        engine_heartbeat_start(s);
}

static void engine_first_due(struct timerq_node *n, void *arg)
{
    (void)arg;
    engine_stats.first_poll_timeouts++;
    engine_end(engine_of(n), "no first poll", WS_CLOSE_GOING_AWAY);
}

static int engine_send_text(struct engine_session *s, const char *pkt)
{
    struct buf b = BUF_INIT;
    int rc;

    if (s->transport == ENGINE_POLLING)
        return engine_queue_text(s, pkt);
    if (ws_encode_frame(&b, WS_OP_TEXT, pkt, strlen(pkt)) != 0) {
        buf_free(&b);
        return -1;
    }
    rc = conn_send_bytes(s->conn, b.data, b.len);
    buf_free(&b);
    return rc;
}

static void engine_ping_due(struct timerq_node *n, void *arg)
{
    struct engine_session *s = engine_of(n);

    (void)arg;
    if (engine_send_text(s, "2") != 0) {
        engine_end(s, "transport error", WS_CLOSE_GOING_AWAY);
        return;
    }
    timerq_add(&engine_pong_q, &s->hb);
}

static void engine_hold_due(struct timerq_node *n, void *arg)
{
    struct engine_session *s =
        (struct engine_session *)((char *)n -
                                  offsetof(struct engine_session, hold));

    (void)arg;
    if (s->state == ENGINE_OPEN && s->poll != NULL && s->npending == 0)
        engine_queue_text(s, "6");
}

static void engine_pong_due(struct timerq_node *n, void *arg)
{
    (void)arg;
    engine_stats.ping_timeouts++;
    engine_end(engine_of(n), "ping timeout", WS_CLOSE_GOING_AWAY);
}

int engine_send(struct engine_session *s, struct engine_msg *m)
{
    struct frame *f;

    if (s->state != ENGINE_OPEN)
        return -1;
    if (s->transport == ENGINE_WEBSOCKET) {
        f = engine_ws_form(m, s->version);
        if (f != NULL && conn_send(s->conn, f) == 0)
            return 0;
        /* conn_send failing has already told us through `closed`. */
        if (f == NULL)
            engine_end(s, "out of memory", WS_CLOSE_GOING_AWAY);
        return -1;
    }
    f = engine_poll_form(m);
    if (f == NULL || engine_queue(s, f) != 0) {
        engine_end(s, "output over the cap", WS_CLOSE_GOING_AWAY);
        return -1;
    }
    return 0;
}

/* ---- incoming packets ---- */

static void engine_packet(struct engine_session *s, const struct eio_packet *p)
{
    uint8_t *bin = NULL;
    long blen;

    switch (p->type) {
    case EIO_PING:
        if (s->version == 3) {
            char pong[80] = "3";
            if (p->len < sizeof pong - 1)
                memcpy(pong + 1, p->data, p->len), pong[p->len + 1] = '\0';
            engine_heartbeat_start(s);
            engine_send_text(s, pong);
        }
        return;
    case EIO_PONG:
        if (s->version == 4 && s->hb.q == &engine_pong_q)
            timerq_add(&engine_ping_q, &s->hb);
        return;
    case EIO_MESSAGE:
        if (!p->base64) {
            engine_h->message(s, p->binary, p->data, p->len);
            return;
        }
        bin = malloc(B64_DECODED_MAX(p->len) + 1);
        if (bin == NULL) {
            engine_end(s, "out of memory", WS_CLOSE_GOING_AWAY);
            return;
        }
        blen = b64_decode(bin, p->data, p->len);
        if (blen < 0)
            engine_end(s, "parse error", WS_CLOSE_PROTOCOL);
        else
            engine_h->message(s, 1, (const char *)bin, (size_t)blen);
        free(bin);
        return;
    case EIO_CLOSE:
        engine_poll_noop(s);
        engine_end(s, "transport close", WS_CLOSE_NORMAL);
        return;
    case EIO_NOOP:
    case EIO_UPGRADE:
        return;
    default:
        engine_end(s, "parse error", WS_CLOSE_PROTOCOL);
    }
}

/* ---- HTTP side ---- */

static const char *const engine_front_names[] = {"conn", "fcgi req",
                                                 "scgi req"};

static void engine_error(struct req *r, const struct http_request *req,
                         int status, enum eio_error code)
{
    struct buf h = BUF_INIT;
    const char *body = eio_error_json(code);

    engine_stats.bad_requests++;
    engine_cors(&h, r, req);
    log_debug("%s %u: engine.io error %d", engine_front_names[r->front], r->id,
              (int)code);
    req_respond(r, status, "application/json", h.data, body, strlen(body));
    buf_free(&h);
}

/* Counts one more session from `addr`. Returns 0 with *out set (NULL when
 * not counted), or -1 when the address is at its limit or out of memory. */
static int engine_ip_take(const char *addr, struct engine_ip **out)
{
    struct idmap_node *n;
    struct engine_ip *ip;

    *out = NULL;
    if (engine_cfg.max_sessions_per_ip == 0)
        return 0;
    if ((n = idmap_get(&engine_ips, addr)) != NULL) {
        ip = (struct engine_ip *)n;
        if (ip->count >= engine_cfg.max_sessions_per_ip)
            return -1;
    } else {
        if ((ip = calloc(1, sizeof *ip)) == NULL)
            return -1;
        snprintf(ip->key, sizeof ip->key, "%s", addr);
        idmap_put(&engine_ips, &ip->node, ip->key);
    }
    ip->count++;
    *out = ip;
    return 0;
}

static void engine_ip_release(struct engine_ip *ip)
{
    if (ip != NULL && --ip->count == 0) {
        idmap_del(&engine_ips, &ip->node);
        free(ip);
    }
}

/* The handshake values the layers above read (docs/upstream.md's
 * `handshake`, the message log's META keys, the held poll's CORS), in the
 * order they are kept when --max-handshake-meta cannot hold them all:
 * credentials first, then what CORS and client addresses need. "" stands
 * for QUERY_STRING. */
static const char *const engine_meta_keep[] = {
    "Cookie",     "Authorization", "Origin",          "X-Forwarded-For", "",
    "User-Agent", "Host",          "Accept-Language", "Referer",
};
#define ENGINE_NMETA (sizeof engine_meta_keep / sizeof engine_meta_keep[0])

/* Appends "KEY=value\0" with the header name in CGI form (HTTP_USER_AGENT). */
static void engine_meta_put(struct buf *m, const char *name, const char *v,
                            size_t vlen)
{
    size_t j;

    if (*name == '\0') {
        buf_puts(m, "QUERY_STRING=");
    } else {
        buf_puts(m, "HTTP_");
        for (j = 0; name[j]; j++)
            buf_putc(m, name[j] == '-' ? '_'
                        : (name[j] >= 'a' && name[j] <= 'z')
                            ? (char)(name[j] - 32)
                            : name[j]);
        buf_putc(m, '=');
    }
    buf_append(m, v, vlen);
    buf_putc(m, '\0');
}

/* The client's address and port (0 when the address came from
 * X-Forwarded-For: the proxy's port says nothing of the client's). */
static void engine_client_addr(struct req *r, const struct http_request *req,
                               char addr[64], int *port)
{
    const struct http_header *h = http_find_header(req, "X-Forwarded-For");
    char peer[64];

    r->ops->peer(r, peer, sizeof peer, port);
    if (req_client_addr(peer, h ? h->value : NULL, h ? h->value_len : 0,
                        engine_cfg.proxy_trusted, addr, 64))
        *port = 0;
}

/* Keeps the handshake's CGI-style META for the layers above, at most
 * max_meta bytes: a value that does not fit is left out whole (a cut
 * cookie or address would mislead the app). */
static char *engine_meta_from(struct req *r, const struct http_request *req,
                              const char *addr, int port)
{
    struct buf m = BUF_INIT;
    const char *val[ENGINE_NMETA];
    size_t len[ENGINE_NMETA], used, i;
    const struct http_header *h;

    buf_printf(&m, "REMOTE_ADDR=%s", addr);
    buf_putc(&m, '\0');
    buf_printf(&m, "REMOTE_PORT=%d", port);
    buf_putc(&m, '\0');
    if (r->https) {
        buf_puts(&m, "HTTPS=on");
        buf_putc(&m, '\0');
    }
    used = m.len + 1; /* the final NUL */
    for (i = 0; i < ENGINE_NMETA; i++) {
        if (*engine_meta_keep[i] == '\0') {
            val[i] = req->query ? req->query : "";
            len[i] = req->query_len;
        } else if ((h = http_find_header(req, engine_meta_keep[i])) != NULL) {
            val[i] = h->value;
            len[i] = h->value_len;
        } else {
            val[i] = NULL;
            continue;
        }
        /* "HTTP_" + name + "=" + value + NUL */
        if (engine_cfg.max_meta &&
            used + strlen(engine_meta_keep[i]) + 7 + len[i] >
                engine_cfg.max_meta) {
            engine_stats.meta_dropped++;
            log_debug("%s %u: handshake %s (%zu bytes) over "
                      "--max-handshake-meta, not kept",
                      engine_front_names[r->front], r->id,
                      *engine_meta_keep[i] ? engine_meta_keep[i]
                                           : "QUERY_STRING",
                      len[i]);
            val[i] = NULL;
            continue;
        }
        used += strlen(engine_meta_keep[i]) + 7 + len[i];
    }
    for (i = 0; i < ENGINE_NMETA; i++)
        if (val[i] != NULL)
            engine_meta_put(&m, engine_meta_keep[i], val[i], len[i]);
    if (buf_putc(&m, '\0') != 0) {
        buf_free(&m);
        return NULL;
    }
    return m.data;
}

/* A new session counted in `ip` (engine_ip_take), or NULL when out of
 * memory. */
static struct engine_session *
engine_new(struct req *r, const struct http_request *req, int version,
           int transport, const char *addr, int port, struct engine_ip *ip)
{
    struct engine_session *s = calloc(1, sizeof *s);
    struct timeval tv;

    if (s == NULL || (s->meta = engine_meta_from(r, req, addr, port)) == NULL) {
        free(s);
        return NULL;
    }
    s->ip = ip;
    route_new_id(s->sid);
    s->version = (uint8_t)version;
    s->transport = (uint8_t)transport;
    gettimeofday(&tv, NULL);
    s->connected_at_ms = (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    idmap_put(&engine_sids, &s->node, s->sid);
    TAILQ_INSERT_TAIL(&engine_all, s, link);
    engine_stats.handshakes++;
    if (transport == ENGINE_POLLING)
        engine_stats.polling++;
    else
        engine_stats.websocket++;
    log_debug("session %s: open (EIO %d, %s) from %s %u", s->sid, version,
              transport == ENGINE_POLLING ? "polling" : "websocket",
              engine_front_names[r->front], r->id);
    return s;
}

static int engine_open_packet(struct engine_session *s, struct buf *out)
{
    return eio_encode_open(out, s->version, s->sid,
                           engine_cfg.allow_websocket &&
                               s->transport == ENGINE_POLLING,
                           engine_cfg.ping_interval_ms,
                           engine_cfg.ping_timeout_ms, engine_cfg.max_payload);
}

/* Refuses a handshake over --max-sessions(-per-ip): 503, with the JSON
 * body of Node's engine.io refusals (allowRequest's FORBIDDEN code with
 * its own message); a client tries again later. */
static struct log_summary engine_refused_all =
    LOG_SUMMARY_INIT("handshakes refused over --max-sessions");
static struct log_summary engine_refused_ip =
    LOG_SUMMARY_INIT("handshakes refused over --max-sessions-per-ip");

static void engine_refuse(struct req *r, const struct http_request *req,
                          const char *addr, int per_ip)
{
    static const char body[] = "{\"code\":4,\"message\":\"Too many sessions\"}";
    struct buf h = BUF_INIT;

    engine_stats.sessions_refused++;
    log_count(per_ip ? &engine_refused_ip : &engine_refused_all, addr, NULL);
    engine_cors(&h, r, req);
    req_respond(r, 503, "application/json", h.data, body, sizeof body - 1);
    buf_free(&h);
}

/* Validates the WebSocket handshake headers and answers 101. */
static int engine_ws_upgrade(struct conn *c, const struct http_request *req)
{
    const struct http_header *up = http_find_header(req, "Upgrade");
    const struct http_header *co = http_find_header(req, "Connection");
    const struct http_header *ver =
        http_find_header(req, "Sec-WebSocket-Version");
    const struct http_header *key = http_find_header(req, "Sec-WebSocket-Key");
    char accept[29];

    if (up == NULL || !http_header_has_token(up, "websocket") || co == NULL ||
        !http_header_has_token(co, "upgrade") || ver == NULL ||
        ver->value_len != 2 || memcmp(ver->value, "13", 2) != 0 ||
        key == NULL || ws_accept_key(key->value, key->value_len, accept) != 0 ||
        req->method_len != 3 || memcmp(req->method, "GET", 3) != 0)
        return -1;
    return conn_ws_accept(c, accept, NULL);
}

static void engine_handshake(struct req *r, struct conn *c,
                             const struct http_request *req, int version,
                             int transport)
{
    struct engine_session *s;
    struct engine_ip *ip;
    struct buf b = BUF_INIT, h = BUF_INIT;
    struct eio_packet p;
    const char *v;
    size_t vlen;
    char addr[64];
    int port;

    if (req->method_len != 3 || memcmp(req->method, "GET", 3) != 0) {
        engine_error(r, req, 400, EIO_ERR_BAD_HANDSHAKE_METHOD);
        return;
    }
    engine_client_addr(r, req, addr, &port);
    if (engine_cfg.max_sessions &&
        engine_sids.count >= engine_cfg.max_sessions) {
        engine_refuse(r, req, addr, 0);
        return;
    }
    if (engine_ip_take(addr, &ip) != 0) {
        engine_refuse(r, req, addr, 1);
        return;
    }
    if (transport == ENGINE_WEBSOCKET &&
        (c == NULL || engine_ws_upgrade(c, req) != 0)) {
        engine_ip_release(ip);
        engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
        return;
    }
    s = engine_new(r, req, version, transport, addr, port, ip);
    if (s == NULL) {
        engine_ip_release(ip);
        if (transport == ENGINE_WEBSOCKET)
            conn_close(c);
        else
            req_respond(r, 503, engine_text_type, NULL, "busy\n", 5);
        return;
    }
    if (version == 3 && req->query != NULL &&
        http_query_get(req->query, req->query_len, "b64", &v, &vlen) &&
        !(vlen == 1 && v[0] == '0'))
        s->b64 = 1;
    engine_open_packet(s, &b);
    if (transport == ENGINE_WEBSOCKET) {
        s->conn = c;
        c->data = s;
        buf_free(&h);
        if (ws_encode_frame(&h, WS_OP_TEXT, b.data, b.len) == 0)
            conn_send_bytes(c, h.data, h.len);
        buf_free(&h);
        buf_free(&b);
        engine_heartbeat_start(s);
        engine_h->open(s);
        return;
    }
    /* Polling: the OPEN packet alone; what `open` queues (v3's automatic
     * CONNECT) waits for the first poll, which the client sends at once. */
    p.type = EIO_OPEN;
    p.binary = p.base64 = 0;
    p.data = b.data + 1;
    p.len = b.len - 1;
    buf_reset(&h);
    engine_cors(&h, r, req);
    {
        struct buf body = BUF_INIT;
        if (eio_payload_append(&body, version, 0, 1, &p) == 0)
            req_respond(r, 200, engine_text_type, h.data, body.data, body.len);
        else
            req_respond(r, 503, engine_text_type, NULL, "busy\n", 5);
        buf_free(&body);
    }
    buf_free(&h);
    buf_free(&b);
    if (engine_cfg.first_poll_ms > 0)
        timerq_add(&engine_first_q, &s->hb);
    else
        engine_heartbeat_start(s);
    engine_h->open(s);
}

static void engine_poll_get(struct req *r, struct conn *c,
                            const struct http_request *req,
                            struct engine_session *s)
{
    if (s->poll != NULL) {
        /* Two long-polls at once: the client is confused or hostile. */
        engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
        engine_end(s, "overlapping poll", WS_CLOSE_PROTOCOL);
        return;
    }
    s->poll = r;
    r->data = s;
    if (c != NULL)
        c->data = s; /* so the conn tells us when it goes */
    if (engine_cfg.poll_hold_ms > 0)
        timerq_add(&engine_hold_q, &s->hold);
    if (s->npending == 0 && s->probe != NULL && s->probed)
        engine_queue_text(s, "6");
    if (s->npending > 0)
        engine_poll_respond(s);
}

static void engine_poll_post(struct req *r, const struct http_request *req,
                             struct engine_session *s, const char *body,
                             size_t len)
{
    const struct http_header *ct = http_find_header(req, "Content-Type");
    int binary_body =
        s->version == 3 && ct != NULL && ct->value_len >= 24 &&
        strncasecmp(ct->value, "application/octet-stream", 24) == 0;
    struct eio_packet p;
    struct buf h = BUF_INIT;
    size_t off = 0;
    uint32_t utf8 = 0;
    int n;

    if (len == 0) {
        engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
        engine_end(s, "parse error", WS_CLOSE_PROTOCOL);
        return;
    }
    if (len > engine_cfg.max_payload) {
        engine_error(r, req, 413, EIO_ERR_BAD_REQUEST);
        engine_end(s, "payload too large", WS_CLOSE_TOO_BIG);
        return;
    }
    /* A text payload is checked as a WebSocket text message is: invalid
     * UTF-8 would reach the app and the RPC's JSON answers. */
    if (!binary_body && ws_utf8_feed(&utf8, (const uint8_t *)body, len) != 0) {
        engine_stats.bad_utf8++;
        engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
        engine_end(s, "invalid UTF-8", WS_CLOSE_BAD_DATA);
        return;
    }
    /* Parse the whole payload first, so a malformed one delivers nothing. */
    while (off < len) {
        n = eio_payload_next(s->version, binary_body, body + off, len - off,
                             &p);
        if (n <= 0) {
            engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
            engine_end(s, "parse error", WS_CLOSE_PROTOCOL);
            return;
        }
        off += (size_t)n;
    }
    engine_cors(&h, r, req);
    req_respond(r, 200, "text/html", h.data, "ok", 2);
    buf_free(&h);
    for (off = 0; off < len && s->state == ENGINE_OPEN; off += (size_t)n) {
        n = eio_payload_next(s->version, binary_body, body + off, len - off,
                             &p);
        engine_packet(s, &p);
    }
}

static void engine_preflight(struct req *r, const struct http_request *req)
{
    struct buf h = BUF_INIT;
    const struct http_header *rh =
        http_find_header(req, "Access-Control-Request-Headers");

    engine_cors(&h, r, req);
    buf_puts(&h, "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n");
    if (rh != NULL)
        buf_printf(&h, "Access-Control-Allow-Headers: %.*s\r\n",
                   (int)rh->value_len, rh->value);
    req_respond(r, 204, NULL, h.data, "", 0);
    buf_free(&h);
}

/* Names only the Engine.IO parameters: the rest of a query is the app's,
 * and Socket.IO 2.x clients put auth tokens there, which a log must not
 * keep. */
static void engine_log_request(const struct req *r,
                               const struct http_request *req)
{
    static const char *const keys[] = {"EIO", "transport", "sid"};
    const char *val[3];
    size_t len[3];
    size_t i;

    if (log_level < LOG_DEBUG)
        return;
    for (i = 0; i < 3; i++)
        if (!http_query_get(req->query, req->query_len, keys[i], &val[i],
                            &len[i])) {
            val[i] = "-";
            len[i] = 1;
        }
    log_debug("%s %u: %.*s %.*s EIO=%.*s transport=%.*s sid=%.*s",
              engine_front_names[r->front], r->id, (int)req->method_len,
              req->method, (int)req->path_len, req->path, (int)len[0], val[0],
              (int)len[1], val[1], (int)len[2], val[2]);
}

void engine_request(struct req *r, struct conn *c,
                    const struct http_request *req, const char *body,
                    size_t len)
{
    const char *v;
    size_t vlen;
    int version, transport;
    char sid[64];
    struct engine_session *s;
    const struct http_header *origin = http_find_header(req, "Origin");
    const char *q = req->query ? req->query : "";
    int is_get = req->method_len == 3 && memcmp(req->method, "GET", 3) == 0;
    int is_post = req->method_len == 4 && memcmp(req->method, "POST", 4) == 0;

    engine_log_request(r, req);
    if (origin != NULL && !engine_origin_ok(r, req)) {
        engine_stats.origins_refused++;
        engine_error(r, req, 403, EIO_ERR_FORBIDDEN);
        return;
    }
    if (req->method_len == 7 && memcmp(req->method, "OPTIONS", 7) == 0) {
        engine_preflight(r, req);
        return;
    }
    if (!http_query_get(q, req->query_len, "EIO", &v, &vlen) || vlen != 1 ||
        (v[0] != '3' && v[0] != '4')) {
        engine_error(r, req, 400, EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION);
        return;
    }
    version = v[0] - '0';
    if (!http_query_get(q, req->query_len, "transport", &v, &vlen)) {
        engine_error(r, req, 400, EIO_ERR_UNKNOWN_TRANSPORT);
        return;
    }
    if (vlen == 7 && memcmp(v, "polling", 7) == 0 && engine_cfg.allow_polling)
        transport = ENGINE_POLLING;
    else if (vlen == 9 && memcmp(v, "websocket", 9) == 0 &&
             engine_cfg.allow_websocket)
        transport = ENGINE_WEBSOCKET;
    else {
        engine_error(r, req, 400, EIO_ERR_UNKNOWN_TRANSPORT);
        return;
    }
    if (version == 3 && http_query_get(q, req->query_len, "j", &v, &vlen)) {
        engine_error(r, req, 400, EIO_ERR_UNKNOWN_TRANSPORT); /* no JSONP */
        return;
    }
    if (!http_query_get(q, req->query_len, "sid", &v, &vlen)) {
        engine_handshake(r, c, req, version, transport);
        return;
    }
    if (vlen >= sizeof sid) {
        engine_error(r, req, 400, EIO_ERR_UNKNOWN_SID);
        return;
    }
    memcpy(sid, v, vlen);
    sid[vlen] = '\0';
    s = engine_find(sid);
    if (s == NULL) {
        engine_error(r, req, 400, EIO_ERR_UNKNOWN_SID);
        return;
    }
    if (s->version != version) {
        engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
        return;
    }
    engine_heard(s);
    if (transport == ENGINE_WEBSOCKET) {
        if (c == NULL || engine_ws_upgrade(c, req) != 0) {
            engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
            return;
        }
        if (s->transport != ENGINE_POLLING || s->probe != NULL) {
            /* Already upgraded or being probed: Node's engine.io completes
             * the handshake, then closes that WebSocket (no status), which
             * clients take as a failed probe rather than an error. */
            engine_stats.extra_upgrades++;
            log_debug("session %s: a second websocket, closing it", s->sid);
            conn_ws_close(c, 1005, NULL);
            return;
        }
        s->probe = c;
        c->data = s;
        return;
    }
    if (s->transport != ENGINE_POLLING) {
        engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
        return;
    }
    if (is_get)
        engine_poll_get(r, c, req, s);
    else if (is_post)
        engine_poll_post(r, req, s, body, len);
    else
        engine_error(r, req, 400, EIO_ERR_BAD_REQUEST);
}

/* ---- WebSocket side ---- */

static void engine_probe_message(struct engine_session *s, struct conn *c,
                                 const char *data, size_t len)
{
    struct buf b = BUF_INIT;
    uint32_t i;

    if (len == 6 && memcmp(data, "2probe", 6) == 0) {
        if (ws_encode_frame(&b, WS_OP_TEXT, "3probe", 6) == 0)
            conn_send_bytes(c, b.data, b.len);
        buf_free(&b);
        /* The client pauses polling before it sends UPGRADE, and pausing
         * waits for its poll to return: answer polls with NOOP from now. */
        s->probed = 1;
        if (s->poll != NULL && s->npending == 0)
            engine_queue_text(s, "6");
        return;
    }
    if (len == 1 && data[0] == '5') {
        engine_poll_noop(s);
        s->transport = ENGINE_WEBSOCKET;
        s->conn = c;
        s->probe = NULL;
        s->probed = 0;
        engine_stats.upgrades++;
        engine_stats.polling--;
        engine_stats.websocket++;
        log_debug("session %s: upgraded to websocket", s->sid);
        /* What waited for a poll now goes over the WebSocket, in order. */
        for (i = 0; i < s->npending && s->state == ENGINE_OPEN; i++) {
            struct frame *f = s->pending[i];
            struct engine_msg m;
            if (!f->binary) {
                if (ws_encode_frame(&b, WS_OP_TEXT, f->data, f->len) == 0)
                    conn_send_bytes(c, b.data, b.len);
                buf_reset(&b);
                continue;
            }
            engine_msg_init(&m, 1, f->data, f->len);
            engine_send(s, &m);
            engine_msg_release(&m);
        }
        buf_free(&b);
        engine_drop_pending(s);
        return;
    }
    /* Anything else during a probe is a broken client. */
    s->probe = NULL;
    s->probed = 0;
    c->data = NULL;
    conn_ws_close(c, WS_CLOSE_PROTOCOL, NULL);
}

void engine_ws_message(struct conn *c, int binary, char *data, size_t len)
{
    struct engine_session *s = c->data;
    struct eio_packet p;
    int rc;

    if (s == NULL || s->state != ENGINE_OPEN)
        return;
    if (len > engine_cfg.max_payload) {
        engine_end(s, "payload too large", WS_CLOSE_TOO_BIG);
        return;
    }
    if (c == s->probe) {
        if (binary)
            engine_probe_message(s, c, "", 0);
        else
            engine_probe_message(s, c, data, len);
        return;
    }
    /* Clients with forceBase64 send binary as base64 text frames. */
    rc = binary ? eio_decode_binary_frame(s->version, data, len, &p)
                : eio_decode_text(s->version, data, len, 1, &p);
    if (rc != 0) {
        engine_end(s, "parse error", WS_CLOSE_PROTOCOL);
        return;
    }
    engine_packet(s, &p);
}

void engine_conn_closed(struct conn *c)
{
    struct engine_session *s = c->data;

    c->data = NULL;
    if (s == NULL || s->state != ENGINE_OPEN)
        return;
    if (c == s->probe) {
        s->probe = NULL;
        s->probed = 0;
    } else if (s->poll == &c->req) {
        engine_unflush(
            s); /* the client gave up this poll; it will poll again */
        s->poll = NULL;
        timerq_remove(&s->hold);
        c->req.data = NULL;
    } else if (c == s->conn) {
        s->conn = NULL;
        engine_end(s, "transport close", WS_CLOSE_NORMAL);
    }
}

void engine_req_closed(struct req *r)
{
    struct engine_session *s = r->data;

    r->data = NULL;
    if (s == NULL || s->state != ENGINE_OPEN || s->poll != r)
        return;
    engine_unflush(s); /* the client gave up this poll; it will poll again */
    s->poll = NULL;
    timerq_remove(&s->hold);
}
