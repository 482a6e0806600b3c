/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* conn_fuzz: whole-connection driver: the input is what a client sends on
 * one TCP connection; it goes through a socketpair into the real runtime
 * (conn -> engine -> sock -> hub, relay on) and everything is torn down
 * after each input, so leaks and use-after-free across layers show up.
 *
 * Input: the bytes, cut into separate writes at each "\xff\xfe\xfd" marker
 * (so requests, upgrades and frames arrive in pieces). After the last write
 * the client half-closes; then every session is ended as on SIGTERM. */
#include <assert.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
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

static struct event_base *conn_fuzz_base;

static void conn_fuzz_request(struct conn *c, const struct http_request *req,
                              const char *body, size_t len)
{
    if (engine_owns(req))
        engine_request(conn_req(c), c, req, body, len);
    else
        conn_respond(c, 404, "text/plain", NULL, "no\n", 3);
}

static const struct conn_handler conn_fuzz_conn_h = {
    conn_fuzz_request,
    engine_ws_message,
    engine_conn_closed,
    NULL,
};

static const struct engine_handler conn_fuzz_engine_h = {
    sock_engine_open,
    sock_engine_message,
    sock_engine_close,
};

static const struct sock_handler conn_fuzz_sock_h = {
    hub_sock_connect,
    hub_sock_event,
    hub_sock_disconnect,
};

static int conn_fuzz_origin(const char *origin, size_t len)
{
    (void)origin;
    return len != 4; /* "null" (and any 4-byte origin) is refused */
}

static void conn_fuzz_setup(void)
{
    struct conn_limits lim;
    struct engine_config ecfg;
    struct hub_limits hlim;

    log_init(-1);
    signal(SIGPIPE, SIG_IGN); /* the daemon does the same */
    conn_fuzz_base = event_base_new();
    assert(conn_fuzz_base != NULL);
    assert(turn_setup(conn_fuzz_base) == 0);
    memset(&lim, 0, sizeof lim);
    lim.max_head = 4096;
    lim.max_body = 8192;
    lim.max_output = 65536;
    conn_setup(conn_fuzz_base, &conn_fuzz_conn_h, &lim);
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.path = "/socket.io/";
    ecfg.ping_interval_ms = 600000;
    ecfg.ping_timeout_ms = 600000;
    ecfg.max_payload = 8192;
    ecfg.max_pending = 65536;
    ecfg.allow_polling = 1;
    ecfg.allow_websocket = 1;
    ecfg.origin_allowed = conn_fuzz_origin;
    engine_setup(conn_fuzz_base, &ecfg, &conn_fuzz_engine_h);
    sock_setup(conn_fuzz_base, 600000, &conn_fuzz_sock_h);
    hub_setup(conn_fuzz_base, 1);
    memset(&hlim, 0, sizeof hlim);
    hlim.max_channels = 8;
    hlim.event_rate = 0;
    hub_set_limits(&hlim);
}

/* Runs the loop until nothing is left to do, reading what the daemon sent. */
static void conn_fuzz_turns(int peer)
{
    char sink[65536];
    int i;

    for (i = 0; i < 8; i++) {
        event_base_loop(conn_fuzz_base, EVLOOP_NONBLOCK);
        while (peer >= 0 && read(peer, sink, sizeof sink) > 0)
            ;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t cut[3] = {0xff, 0xfe, 0xfd};
    struct sockaddr_in sin;
    int sv[2];
    size_t pos = 0;

    if (conn_fuzz_base == NULL)
        conn_fuzz_setup();
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        return 0;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    sin.sin_port = htons(40000);
    if (conn_new(sv[0], (struct sockaddr *)&sin, sizeof sin) == NULL) {
        close(sv[1]);
        return 0;
    }
    while (pos < size) {
        const uint8_t *m = memmem(data + pos, size - pos, cut, sizeof cut);
        size_t n = m ? (size_t)(m - (data + pos)) : size - pos;
        if (n > 0 && write(sv[1], data + pos, n) < 0)
            break;
        conn_fuzz_turns(sv[1]);
        pos += n + (m ? sizeof cut : 0);
    }
    shutdown(sv[1], SHUT_WR);
    conn_fuzz_turns(sv[1]);
    engine_shutdown(); /* what is left (polling sessions), as on SIGTERM */
    conn_fuzz_turns(sv[1]);
    close(sv[1]);
    conn_fuzz_turns(-1);
    assert(engine_count() == 0);
    return 0;
}
