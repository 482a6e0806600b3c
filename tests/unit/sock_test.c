/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* sock_test: Socket.IO packets through the real runtime on a socketpair
 * (conn -> engine -> sock -> hub), for cases conn_fuzz found. */
#include <netinet/in.h>
#include <signal.h>
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
#include "t.h"
#include "turn.h"

static struct event_base *base;

static void on_request(struct conn *c, const struct http_request *req,
                       const char *body, size_t len)
{
    if (engine_owns(req))
        engine_request(conn_req(c), c, req, body, len);
    else
        conn_respond(c, 404, "text/plain", NULL, "no\n", 3);
}

static const struct conn_handler conn_h = {on_request, engine_ws_message,
                                           engine_conn_closed, NULL};
static const struct engine_handler engine_h = {
    sock_engine_open, sock_engine_message, sock_engine_close};
static const struct sock_handler sock_h = {hub_sock_connect, hub_sock_event,
                                           hub_sock_disconnect};

static void setup(void)
{
    struct conn_limits lim;
    struct engine_config ecfg;

    log_init(-1);
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    turn_setup(base);
    memset(&lim, 0, sizeof lim);
    lim.max_head = 4096;
    lim.max_body = 8192;
    lim.max_output = 65536;
    conn_setup(base, &conn_h, &lim);
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.path = "/socket.io/";
    ecfg.ping_interval_ms = 600000;
    ecfg.ping_timeout_ms = 600000;
    ecfg.max_payload = 8192;
    ecfg.max_pending = 65536;
    ecfg.allow_websocket = 1;
    engine_setup(base, &ecfg, &engine_h);
    sock_setup(base, 600000, &sock_h);
    hub_setup(base, 1);
}

/* Runs the loop a few turns; what the daemon sent is appended to out. */
static void turns(int peer, char *out, size_t cap, size_t *got)
{
    ssize_t n;
    int i;

    for (i = 0; i < 8; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        while (peer >= 0 && *got < cap - 1 &&
               (n = read(peer, out + *got, cap - 1 - *got)) > 0)
            *got += (size_t)n;
    }
    out[*got] = '\0';
}

/* One masked client frame (mask 0: the payload as is), payload < 126. */
static void send_frame(int fd, int opcode, const char *payload, size_t len)
{
    unsigned char f[140] = {(unsigned char)(0x80 | opcode),
                            (unsigned char)(0x80 | len),
                            0,
                            0,
                            0,
                            0};

    memcpy(f + 6, payload, len);
    CHECK(write(fd, f, 6 + len) == (ssize_t)(6 + len));
}

/* conn_fuzz, 2026-11-24: "51-/nsp" (a binary event with its attachment
 * count but no data) made sock.c memcpy from NULL, which UBSan aborts on
 * (tests run the ASan/UBSan build too). The daemon must take it and the
 * attachment that follows, and stay up. */
static void test_binary_event_without_data(void)
{
    static const char upgrade[] =
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    struct sockaddr_in sin;
    char out[8192];
    size_t got = 0;
    int sv[2];

    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    CHECK(conn_new(sv[0], (struct sockaddr *)&sin, sizeof sin) != NULL);
    CHECK(write(sv[1], upgrade, sizeof upgrade - 1) ==
          (ssize_t)(sizeof upgrade - 1));
    turns(sv[1], out, sizeof out, &got);
    CHECK(strncmp(out, "HTTP/1.1 101 ", 13) == 0);
    CHECK(engine_count() == 1);
    send_frame(sv[1], 1, "451-", 4);
    turns(sv[1], out, sizeof out, &got);
    send_frame(sv[1], 2, "\x04\x01\x02\x03", 4);
    turns(sv[1], out, sizeof out, &got);
    send_frame(sv[1], 1, "451-/chat", 9);
    turns(sv[1], out, sizeof out, &got);
    CHECK(engine_count() == 1);
    close(sv[1]);
    turns(-1, out, sizeof out, &got);
    CHECK(engine_count() == 0);
}

/* fanout_fuzz, 2026-12-03: a binary event whose JSON is not an array
 * ("451-{}") closes the session when its attachment completes it; sock.c
 * then wrote the finished partial back into the freed client
 * (heap-use-after-free). The client now lives to the end of the turn. */
static void test_bad_binary_event_closes_cleanly(void)
{
    static const char upgrade[] =
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    struct sockaddr_in sin;
    char out[8192];
    size_t got = 0;
    int sv[2];

    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    CHECK(conn_new(sv[0], (struct sockaddr *)&sin, sizeof sin) != NULL);
    CHECK(write(sv[1], upgrade, sizeof upgrade - 1) ==
          (ssize_t)(sizeof upgrade - 1));
    turns(sv[1], out, sizeof out, &got);
    send_frame(sv[1], 1, "40", 2);
    turns(sv[1], out, sizeof out, &got);
    CHECK(engine_count() == 1);
    send_frame(sv[1], 1, "451-{}", 6);
    send_frame(sv[1], 2, "\x01", 1);
    turns(sv[1], out, sizeof out, &got);
    CHECK(engine_count() == 0); /* closed for the bad packet */
    close(sv[1]);
    turns(-1, out, sizeof out, &got);
    CHECK(turn_pending() == 0);
}

int main(void)
{
    setup();
    test_binary_event_without_data();
    test_bad_binary_event_closes_cleanly();
    return T_DONE();
}
