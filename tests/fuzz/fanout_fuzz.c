/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fanout_fuzz: stateful driver of the whole runtime (conn -> engine -> sock
 * -> hub, relay on): up to four client connections at once, namespaces,
 * channels, server emits (RPC-like) and broadcasts from the forwarder
 * (upstream-like), interleaved with closes and output-cap overflows, so a
 * fan-out that ends a receiver in its middle runs under ASan.
 *
 * Input: a program of one-byte ops; the low nibble is the op, bits 4-5 a
 * connection slot, bits 6-7 a small argument; some ops take bytes after
 * them (a length, then data). Clients never read unless told to (their
 * socket buffers are shrunk and the output cap is small), so broadcasts
 * overflow them. After the program every connection is closed and every
 * session ended as on SIGTERM. */
#include <assert.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "engine.h"
#include "hub.h"
#include "log.h"
#include "sock.h"
#include "turn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FANOUT_SLOTS 4
#define FANOUT_SIDS 32
/* Big events are a little under the output cap, so two overflow a deaf
 * client; both stay small because the runtime scans every byte of an event
 * (JSON checks) and, instrumented, that scan is most of an execution. */
#define FANOUT_CAP 2048
#define FANOUT_BIG 1500

enum fanout_op {
    FANOUT_OPEN,       /* arg bit 0: Engine.IO v3 instead of v4 */
    FANOUT_PACKET,     /* a canned Socket.IO packet (next byte picks it) */
    FANOUT_TEXT,       /* a WebSocket text frame: length byte, data */
    FANOUT_BINARY,     /* a WebSocket binary frame: length byte, data */
    FANOUT_RAW,        /* raw bytes: length byte, data */
    FANOUT_READ,       /* the client reads what is waiting */
    FANOUT_CLOSE,      /* the client goes away */
    FANOUT_EMIT,       /* hub_emit; next byte: target and form */
    FANOUT_JOIN,       /* next byte: socket index; arg: channel */
    FANOUT_LEAVE,      /* next byte: socket index; arg: channel */
    FANOUT_DISCONNECT, /* next byte: socket index */
    FANOUT_FORWARD,    /* forwarder on (arg 1..3: its reactions) or off */
    FANOUT_CONNECTED,  /* answers a pending CONNECT; arg 0 refuses */
    FANOUT_TURN,       /* one more loop turn */
};

static struct event_base *fanout_base;
static int fanout_peer[FANOUT_SLOTS];
static char *fanout_sids[FANOUT_SIDS]; /* sockets, as hub_sessions lists */
static size_t fanout_nsids;
static char *fanout_pending[FANOUT_SIDS]; /* CONNECTs the forwarder holds */
static size_t fanout_npending;
static int fanout_reactions; /* bit 0: broadcast events, 1: chain closes */
static int fanout_depth;

static const char *const fanout_channels[4] = {"c", "d", "e", "room"};
static const char *const fanout_nsps[4] = {"/", "/a", "/", "/b"};

/* Packets a client sends; "%B" is replaced by FANOUT_BIG bytes. */
static const char *const fanout_packets[] = {
    "40",
    "40/a,",
    "40/b,{\"t\":1}",
    "40/\0x,", /* once cut to "/": a second socket of "/" */
    "41",
    "41/a,",
    "42[\"subscribe\",\"c\"]",
    "42[\"subscribe\",\"d\"]",
    "42/a,[\"subscribe\",\"c\"]",
    "421[\"subscribe\",\"e\"]",
    "42[\"unsubscribe\",\"c\"]",
    "42[\"ev\",1]",
    "42/a,[\"ev\",\"x\"]",
    "423[\"ev\",{}]",
    "42[\"b\",\"%B\"]",
    "42/a,[\"b\",\"%B\"]",
    "42[\"big\",\"%B\"]",
    "431[\"ok\"]",
    "451-[\"ev\",{\"_placeholder\":true,\"num\":0}]",
    "451-{}",
    "2",
    "3",
    "1",
};

#define FANOUT_NPACKETS (sizeof fanout_packets / sizeof fanout_packets[0])

static void fanout_request(struct conn *c, const struct http_request *req,
                           const char *body, size_t len)
{
    if (engine_owns(req))
        engine_request(conn_req(c), c, req, body, len);
    else
        conn_respond(c, 404, "text/plain", NULL, "no\n", 3);
}

static const struct conn_handler fanout_conn_h = {
    fanout_request,
    engine_ws_message,
    engine_conn_closed,
    NULL,
};

static const struct engine_handler fanout_engine_h = {
    sock_engine_open,
    sock_engine_message,
    sock_engine_close,
};

static const struct sock_handler fanout_sock_h = {
    hub_sock_connect,
    hub_sock_event,
    hub_sock_disconnect,
};

static void fanout_collect(void *arg, const struct hub_info *info)
{
    (void)arg;
    if (fanout_nsids < FANOUT_SIDS)
        fanout_sids[fanout_nsids++] = strdup(info->sid);
}

static void fanout_forget(char **list, size_t *n)
{
    while (*n > 0)
        free(list[--*n]);
}

/* The sockets that are connected now. */
static void fanout_list(void)
{
    fanout_forget(fanout_sids, &fanout_nsids);
    hub_sessions(NULL, NULL, fanout_collect, NULL);
}

/* The application's side, answering synchronously where the real one
 * (upstream) would answer later: the worst case for the hub. */
static const char *fanout_forward(void *arg, const struct hub_fwd *f)
{
    struct hub_target t;
    size_t i;

    (void)arg;
    memset(&t, 0, sizeof t);
    t.nsp = f->nsp;
    switch (f->type) {
    case HUB_FWD_CONNECT:
        if (fanout_npending < FANOUT_SIDS) {
            fanout_pending[fanout_npending++] = strdup(f->sid);
            return NULL;
        }
        return "busy";
    case HUB_FWD_EVENT:
        if ((fanout_reactions & 1) && f->data_len > 2 && f->data[2] == 'b') {
            const char *room = "c";
            t.rooms = &room;
            t.nrooms = 1;
            hub_emit(&t, f->data, f->data_len, f->attach, f->nattach, 0, NULL,
                     NULL);
            t.nrooms = 0;
            t.except = &f->sid;
            t.nexcept = 1;
            hub_emit(&t, f->data, f->data_len, f->attach, f->nattach, 0, NULL,
                     NULL);
        }
        return f->ack_id % 2 ? "no" : NULL;
    case HUB_FWD_DISCONNECT:
        /* A close that ends other sockets: one of the same namespace. */
        if ((fanout_reactions & 2) && fanout_depth < 4) {
            fanout_depth++;
            fanout_list();
            for (i = 0; i < fanout_nsids; i++)
                if (strcmp(fanout_sids[i], f->sid) != 0 &&
                    hub_disconnect(fanout_sids[i]) == 0)
                    break;
            fanout_depth--;
        }
        return NULL;
    default:
        return NULL;
    }
}

static void fanout_ack_done(void *arg, const struct hub_ack_result *results,
                            size_t n)
{
    (void)arg;
    (void)results;
    (void)n;
}

static void fanout_setup(void)
{
    struct conn_limits lim;
    struct engine_config ecfg;
    struct hub_limits hlim;
    int i;

    log_init(-1);
    signal(SIGPIPE, SIG_IGN);
    fanout_base = event_base_new();
    assert(fanout_base != NULL);
    assert(turn_setup(fanout_base) == 0);
    memset(&lim, 0, sizeof lim);
    lim.max_head = 4096;
    lim.max_body = 8192;
    lim.max_output = FANOUT_CAP;
    conn_setup(fanout_base, &fanout_conn_h, &lim);
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.path = "/socket.io/";
    ecfg.ping_interval_ms = 600000;
    ecfg.ping_timeout_ms = 600000;
    ecfg.max_payload = 8192;
    ecfg.max_pending = FANOUT_CAP;
    ecfg.allow_polling = 1;
    ecfg.allow_websocket = 1;
    engine_setup(fanout_base, &ecfg, &fanout_engine_h);
    sock_setup(fanout_base, 600000, &fanout_sock_h);
    hub_setup(fanout_base, 1);
    memset(&hlim, 0, sizeof hlim);
    hlim.max_channels = 8;
    hub_set_limits(&hlim);
    for (i = 0; i < FANOUT_SLOTS; i++)
        fanout_peer[i] = -1;
}

static void fanout_turn(void) { event_base_loop(fanout_base, EVLOOP_NONBLOCK); }

static void fanout_write(int k, const void *p, size_t n)
{
    if (fanout_peer[k] >= 0 && n > 0 && write(fanout_peer[k], p, n) < 0) {
        close(fanout_peer[k]);
        fanout_peer[k] = -1;
    }
}

/* A masked client frame (mask 0: the payload goes as it is). */
static void fanout_frame(int k, int opcode, const char *p, size_t n)
{
    uint8_t head[8];
    size_t h = 0;

    head[h++] = (uint8_t)(0x80 | opcode);
    if (n < 126) {
        head[h++] = (uint8_t)(0x80 | n);
    } else {
        head[h++] = 0x80 | 126;
        head[h++] = (uint8_t)(n >> 8);
        head[h++] = (uint8_t)n;
    }
    memset(head + h, 0, 4);
    h += 4;
    fanout_write(k, head, h);
    fanout_write(k, p, n);
}

static void fanout_open(int k, int v3)
{
    static const char fmt[] =
        "GET /socket.io/?EIO=%d&transport=websocket HTTP/1.1\r\nHost: x\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    struct sockaddr_in sin;
    char req[300];
    int sv[2], one = 1, n;

    if (fanout_peer[k] >= 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        return;
    /* The smallest buffers: a client that does not read fills them fast. */
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    sin.sin_port = htons((uint16_t)(40000 + k));
    if (conn_new(sv[0], (struct sockaddr *)&sin, sizeof sin) == NULL) {
        close(sv[1]);
        return;
    }
    fanout_peer[k] = sv[1];
    n = snprintf(req, sizeof req, fmt, v3 ? 3 : 4);
    fanout_write(k, req, (size_t)n);
}

static void fanout_packet(int k, unsigned pick)
{
    const char *p = fanout_packets[pick % FANOUT_NPACKETS];
    char out[FANOUT_BIG];
    const char *big;
    size_t len;

    /* "40/\0x," holds a NUL: its length is counted past it. */
    len = strlen(p);
    if (len == 3 && memcmp(p, "40/", 3) == 0)
        len = 6;
    if ((big = strstr(p, "%B")) != NULL) {
        size_t pre = (size_t)(big - p), post = strlen(big + 2);
        size_t fill = sizeof out - pre - post - 1;
        memcpy(out, p, pre);
        memset(out + pre, 'x', fill);
        memcpy(out + pre + fill, big + 2, post);
        p = out;
        len = pre + fill + post;
    }
    fanout_frame(k, 1, p, len);
}

static void fanout_read(int k)
{
    char sink[65536];

    while (fanout_peer[k] >= 0 && read(fanout_peer[k], sink, sizeof sink) > 0)
        ;
}

static void fanout_close(int k)
{
    if (fanout_peer[k] >= 0) {
        close(fanout_peer[k]);
        fanout_peer[k] = -1;
    }
}

/* A copy of the id of a connected socket (the list may be rebuilt by the
 * forwarder while the id is in use), or NULL when there is none. */
static const char *fanout_sid(uint8_t pick, char *out, size_t cap)
{
    fanout_list();
    if (fanout_nsids == 0)
        return NULL;
    snprintf(out, cap, "%s", fanout_sids[pick % fanout_nsids]);
    return out;
}

/* Target bits: 0-1 namespace, 2-3 whom (all, channel, one socket, all but
 * one), 4 acked, 5 big, 6 an attachment, 7 more: rooms are a channel and a
 * socket id, less another channel (volatile). */
static void fanout_emit(uint8_t how, uint8_t pick)
{
    static const char small[] = "[\"srv\",1]";
    static char big[FANOUT_BIG];
    static const char att_json[] = "[\"f\",{\"_placeholder\":true,\"num\":0}]";
    struct frame *att = NULL;
    struct hub_target t;
    char sid[256];
    const char *rooms[2], *except[1], *json = small;
    size_t len = sizeof small - 1;
    int whom = (how >> 2) & 3;

    if (big[0] == '\0') {
        memset(big, 'x', sizeof big - 1);
        memcpy(big, "[\"srv\",\"", 8);
        memcpy(big + sizeof big - 3, "\"]", 2);
        big[sizeof big - 1] = '\0';
    }
    memset(&t, 0, sizeof t);
    t.nsp = fanout_nsps[how & 3];
    t.rooms = rooms;
    t.except = except;
    if (whom == 1) {
        rooms[t.nrooms++] = fanout_channels[pick & 3];
    } else if (whom >= 2 && fanout_sid(pick, sid, sizeof sid) == NULL) {
        return;
    }
    if (whom == 2) {
        rooms[t.nrooms++] = sid;
        t.flags = HUB_F_SIDS;
    } else if (whom == 3) {
        except[t.nexcept++] = sid;
    }
    if ((how & 128) && whom != 2) {
        rooms[t.nrooms++] = fanout_channels[(pick >> 2) & 3];
        if (t.nexcept == 0)
            except[t.nexcept++] = fanout_channels[(pick >> 4) & 3];
        t.flags |= HUB_F_VOLATILE;
    }
    if (how & 32) {
        json = big;
        len = sizeof big - 1;
    }
    if (how & 64) {
        json = att_json;
        len = sizeof att_json - 1;
        att = frame_new("\x01\x02", 2);
    }
    hub_emit(&t, json, len, att ? &att : NULL, att ? 1 : 0, 1000,
             (how & 16) ? fanout_ack_done : NULL, NULL);
    frame_unref(att);
}

/* The length-prefixed data after an op; *pos moves past it. */
static const char *fanout_data(const uint8_t *data, size_t size, size_t *pos,
                               size_t *len)
{
    const char *p;

    if (*pos >= size) {
        *len = 0;
        return NULL;
    }
    *len = data[(*pos)++];
    if (*len > size - *pos)
        *len = size - *pos;
    p = (const char *)data + *pos;
    *pos += *len;
    return p;
}

static uint8_t fanout_byte(const uint8_t *data, size_t size, size_t *pos)
{
    return *pos < size ? data[(*pos)++] : 0;
}

static void fanout_step(const uint8_t *data, size_t size, size_t *pos)
{
    uint8_t b = data[(*pos)++];
    int k = (b >> 4) & 3, arg = b >> 6;
    const char *p, *sid;
    const char *err;
    char buf[256];
    size_t len;

    switch (b & 15) {
    case FANOUT_OPEN:
        fanout_open(k, arg & 1);
        break;
    case FANOUT_PACKET:
        fanout_packet(k, fanout_byte(data, size, pos));
        break;
    case FANOUT_TEXT:
    case FANOUT_BINARY:
        p = fanout_data(data, size, pos, &len);
        fanout_frame(k, (b & 15) == FANOUT_TEXT ? 1 : 2, p, len);
        break;
    case FANOUT_RAW:
        p = fanout_data(data, size, pos, &len);
        fanout_write(k, p, len);
        break;
    case FANOUT_READ:
        fanout_read(k);
        break;
    case FANOUT_CLOSE:
        fanout_close(k);
        break;
    case FANOUT_EMIT:
        fanout_emit(fanout_byte(data, size, pos), (uint8_t)k);
        break;
    case FANOUT_JOIN:
    case FANOUT_LEAVE:
        sid = fanout_sid(fanout_byte(data, size, pos), buf, sizeof buf);
        if (sid == NULL)
            break;
        if ((b & 15) == FANOUT_JOIN)
            hub_join(sid, fanout_channels[arg], &err);
        else
            hub_leave(sid, fanout_channels[arg], &err);
        break;
    case FANOUT_DISCONNECT:
        sid = fanout_sid(fanout_byte(data, size, pos), buf, sizeof buf);
        if (sid != NULL)
            hub_disconnect(sid);
        break;
    case FANOUT_FORWARD:
        fanout_reactions = arg;
        hub_set_forward(arg ? fanout_forward : NULL, NULL, k & 1);
        break;
    case FANOUT_CONNECTED:
        if (fanout_npending > 0) {
            size_t i = (size_t)k % fanout_npending;
            char *psid = fanout_pending[i];
            fanout_pending[i] = fanout_pending[--fanout_npending];
            hub_connect_done(psid, arg ? NULL : "refused", NULL);
            free(psid);
        }
        break;
    default:
        break;
    }
    fanout_turn();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    int k, i;

    if (fanout_base == NULL)
        fanout_setup();
    while (pos < size)
        fanout_step(data, size, &pos);
    for (i = 0; i < 4; i++)
        fanout_turn();
    hub_set_forward(NULL, NULL, 0);
    fanout_reactions = 0;
    for (k = 0; k < FANOUT_SLOTS; k++)
        fanout_close(k);
    for (i = 0; i < 4; i++)
        fanout_turn();
    engine_shutdown(); /* what is left, as on SIGTERM */
    /* A turn runs one priority only: the frees come once the rest is done. */
    for (i = 0; i < 64 && (i < 4 || turn_pending() > 0); i++)
        fanout_turn();
    fanout_forget(fanout_sids, &fanout_nsids);
    fanout_forget(fanout_pending, &fanout_npending);
    assert(engine_count() == 0);
    assert(turn_pending() == 0);
    return 0;
}
