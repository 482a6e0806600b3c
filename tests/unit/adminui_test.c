/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* adminui_test: bcrypt hashes checked and refused, then the dashboard's
 * namespace through the real runtime on socketpairs (conn -> engine ->
 * sock -> hub -> adminui): login refused and let in, the greeting, live
 * notices, actions on another socket, hostile payloads, the login rate. */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "adminui.h"
#include "conn.h"
#include "engine.h"
#include "hub.h"
#include "log.h"
#include "sock.h"
#include "t.h"
#include "turn.h"

/* bcryptjs.hashSync("changeit", 4), as admin-ui's README makes one. */
#define HASH "$2a$04$PSI0vaepU7nXhcu6k3oEDOOyHDm0rNTXCZj4JxzOIVO2H.g6Gj37i"

struct client {
    int fd;
    char sid[64];
    char *in;
    size_t len;
};

static struct event_base *base;
static struct client cl[8];

static void test_hashes(void)
{
    char h[61];

    CHECK(adminui_hash_valid(HASH));
    memcpy(h, HASH, sizeof h);
    h[2] = 'b';
    CHECK(adminui_hash_valid(h));
    CHECK(adminui_password_ok(h, "changeit", 8)); /* $2b$: the same here */
    h[2] = 'y';
    CHECK(adminui_password_ok(h, "changeit", 8));
    h[2] = 'x';
    CHECK(!adminui_hash_valid(h));
    CHECK(!adminui_hash_valid(NULL));
    CHECK(!adminui_hash_valid(""));
    CHECK(!adminui_hash_valid("$1$abc$def"));
    CHECK(!adminui_hash_valid(HASH "x"));
    memcpy(h, HASH, sizeof h);
    h[4] = '3'; /* cost 34 */
    CHECK(!adminui_hash_valid(h));
    memcpy(h, HASH, sizeof h);
    h[59] = '*';
    CHECK(!adminui_hash_valid(h));
    CHECK(adminui_password_ok(HASH, "changeit", 8));
    CHECK(!adminui_password_ok(HASH, "changeiT", 8));
    CHECK(!adminui_password_ok(HASH, "changei", 7));
    CHECK(!adminui_password_ok(HASH, "", 0));
    CHECK(!adminui_password_ok(HASH, "changeit\0x", 10)); /* a NUL inside */
    {
        static char longpw[ADMINUI_MAX_PASSWORD + 2];
        memset(longpw, 'a', sizeof longpw);
        CHECK(!adminui_password_ok(HASH, longpw, sizeof longpw));
    }
    CHECK(!adminui_password_ok("$2a$04$short", "changeit", 8));
}

#define PARSE(lit, act) adminui_action_parse(lit, sizeof(lit) - 1, act)

static void test_actions(void)
{
    struct adminui_action a;
    char big[2100];

    CHECK(PARSE("[\"emit\",\"/\",\"room\",\"ev\",1,{\"x\":[2]}]", &a) == 0);
    CHECK(a.verb == ADMINUI_EMIT && strcmp(a.nsp, "/") == 0 &&
          strcmp(a.filter, "room") == 0 && strcmp(a.event, "ev") == 0);
    CHECK(strcmp(a.args, "[\"ev\",1,{\"x\":[2]}]") == 0);
    adminui_action_free(&a);
    CHECK(PARSE("[\"emit\",\"/chat\",null,\"ev\"]", &a) == 0);
    CHECK(a.filter == NULL && strcmp(a.args, "[\"ev\"]") == 0);
    adminui_action_free(&a);
    CHECK(PARSE("[\"join\",\"/\",\"r\",\"sid1\"]", &a) == 0);
    CHECK(a.verb == ADMINUI_JOIN && strcmp(a.room, "r") == 0 &&
          strcmp(a.filter, "sid1") == 0);
    adminui_action_free(&a);
    CHECK(PARSE("[\"leave\",\"/\",\"r\"]", &a) == 0);
    CHECK(a.verb == ADMINUI_LEAVE && a.filter == NULL);
    adminui_action_free(&a);
    CHECK(PARSE("[\"_disconnect\",\"/\",true,\"sid1\"]", &a) == 0);
    CHECK(a.verb == ADMINUI_DISCONNECT && a.close == 1);
    adminui_action_free(&a);
    CHECK(PARSE("[\"_disconnect\",\"/\",false]", &a) == 0);
    CHECK(a.close == 0 && a.filter == NULL);
    adminui_action_free(&a);

    CHECK(PARSE("", &a) == -1);
    CHECK(PARSE("{}", &a) == -1);
    CHECK(PARSE("[\"join\"]", &a) == -1);
    CHECK(PARSE("[\"join\",\"nsp\",\"r\"]", &a) == -1);
    CHECK(PARSE("[\"join\",\"/\",\"\"]", &a) == -1);
    CHECK(PARSE("[\"join\",\"/\",\"a\\u0000b\"]", &a) == -1);
    CHECK(PARSE("[\"join\",\"/\",\"a\\nb\"]", &a) == -1);
    CHECK(PARSE("[\"join\",\"/\",\"\xff\"]", &a) == -1);
    CHECK(PARSE("[\"join\",\"/\",7]", &a) == -1);
    CHECK(PARSE("[\"join\",\"/\",\"r\",[\"f\"]]", &a) == -1);
    CHECK(PARSE("[\"emit\",\"/\",null,\"disconnect\"]", &a) == -1);
    CHECK(PARSE("[\"emit\",\"/\",null]", &a) == -1);
    CHECK(PARSE("[\"whatever\",\"/\"]", &a) == -1);
    memset(big, 'x', sizeof big);
    memcpy(big, "[\"join\",\"/\",\"", 13);
    memcpy(big + sizeof big - 3, "\"]", 2);
    big[sizeof big - 1] = '\0';
    CHECK(adminui_action_parse(big, strlen(big), &a) ==
          -1); /* a room of 2084 bytes */
}

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
    struct adminui_config acfg = {"/admin", "admin", HASH, 0, 1, 0};
    const char *cause = NULL;

    log_init(-1);
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    turn_setup(base);
    memset(&lim, 0, sizeof lim);
    lim.max_head = 4096;
    lim.max_body = 65536;
    lim.max_output = 1 << 20;
    conn_setup(base, &conn_h, &lim);
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.path = "/socket.io/";
    ecfg.ping_interval_ms = 600000;
    ecfg.ping_timeout_ms = 600000;
    ecfg.max_payload = 65536;
    ecfg.max_pending = 1 << 20;
    ecfg.allow_websocket = 1;
    engine_setup(base, &ecfg, &engine_h);
    sock_setup(base, 600000, &sock_h);
    hub_setup(base, 0);
    acfg.password_hash = "not a hash";
    CHECK(adminui_setup(base, &acfg, &cause) == -1 && cause != NULL &&
          strstr(cause, "bcrypt") != NULL);
    acfg.password_hash = HASH;
    acfg.username = NULL;
    CHECK(adminui_setup(base, &acfg, &cause) == -1);
    acfg.username = "admin";
    acfg.nsp = "admin";
    CHECK(adminui_setup(base, &acfg, &cause) == -1);
    acfg.nsp = "/";
    CHECK(adminui_setup(base, &acfg, &cause) == -1);
    acfg.nsp = "/admin";
    CHECK(adminui_setup(base, &acfg, &cause) == 0);
}

static void turns(void)
{
    char buf[65536];
    ssize_t n;
    size_t k;
    int i;

    /* A password check runs on a thread: wait for it (up to ~5 s). */
    for (i = 0; i < 8 || (adminui_stats.checking > 0 && i < 5000); i++) {
        if (i >= 8)
            usleep(1000);
        event_base_loop(base, EVLOOP_NONBLOCK);
        for (k = 0; k < sizeof cl / sizeof cl[0]; k++) {
            if (cl[k].fd <= 0)
                continue;
            while ((n = read(cl[k].fd, buf, sizeof buf)) > 0) {
                cl[k].in = realloc(cl[k].in, cl[k].len + (size_t)n + 1);
                memcpy(cl[k].in + cl[k].len, buf, (size_t)n);
                cl[k].len += (size_t)n;
                cl[k].in[cl[k].len] = '\0';
            }
        }
    }
}

/* A masked client text frame (mask 0), payload < 65536. */
static void send_text(int k, const char *p)
{
    unsigned char head[8];
    size_t h = 0, len = strlen(p);

    head[h++] = 0x81;
    if (len < 126) {
        head[h++] = (unsigned char)(0x80 | len);
    } else {
        head[h++] = 0x80 | 126;
        head[h++] = (unsigned char)(len >> 8);
        head[h++] = (unsigned char)len;
    }
    memset(head + h, 0, 4);
    h += 4;
    CHECK(write(cl[k].fd, head, h) == (ssize_t)h);
    CHECK(write(cl[k].fd, p, len) == (ssize_t)len);
    turns();
}

static int got(int k, const char *needle)
{
    /* Frame heads may hold NULs: the whole buffer is searched. */
    return cl[k].in != NULL &&
           memmem(cl[k].in, cl[k].len, needle, strlen(needle)) != NULL;
}

static void forget(int k)
{
    free(cl[k].in);
    cl[k].in = NULL;
    cl[k].len = 0;
}

/* Opens client k's WebSocket and sends CONNECT `connect` ("40", or
 * "40/admin,{...}"); keeps the sid of an accepted one. */
static void open_client(int k, const char *connect)
{
    static const char upgrade[] =
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    struct sockaddr_in sin;
    int sv[2];
    const char *p;

    memset(&cl[k], 0, sizeof cl[k]);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    CHECK(conn_new(sv[0], (struct sockaddr *)&sin, sizeof sin) != NULL);
    cl[k].fd = sv[1];
    CHECK(write(cl[k].fd, upgrade, sizeof upgrade - 1) ==
          (ssize_t)(sizeof upgrade - 1));
    turns();
    send_text(k, connect);
    /* The CONNECT answer's sid (not the Engine.IO OPEN's). */
    if (cl[k].in != NULL &&
        ((p = memmem(cl[k].in, cl[k].len, "40{\"sid\":\"", 10)) != NULL ||
         (p = memmem(cl[k].in, cl[k].len, ",{\"sid\":\"", 9)) != NULL))
        memcpy(cl[k].sid, p + (p[0] == '4' ? 10 : 9), 20);
}

static void test_login(void)
{
    uint64_t refused = adminui_stats.logins_refused;

    open_client(0, "40/admin,{\"username\":\"admin\",\"password\":\"nope\"}");
    CHECK(got(0, "44/admin,{\"message\":\"invalid credentials\"}"));
    CHECK(!got(0, "config"));
    open_client(1, "40/admin,\"admin\"");
    CHECK(!got(1, "40/admin,{\"sid\""));
    open_client(2, "40/admin,{\"username\":\"admin\",\"password\":"
                   "\"changeit\\u0000\"}");
    CHECK(got(2, "invalid credentials"));
    open_client(3, "40/admin,{\"sessionId\":\"0123456789abcdef\"}");
    CHECK(got(3, "invalid credentials"));
    CHECK(adminui_stats.logins_refused >= refused + 3);
    CHECK(adminui_stats.dashboards == 0);

    open_client(4, "40"); /* an ordinary client of "/" */
    CHECK(cl[4].sid[0] != '\0');
    open_client(5,
                "40/admin,{\"username\":\"admin\",\"password\":\"changeit\"}");
    CHECK(got(5, "40/admin,{\"sid\":"));
    CHECK(got(5, "42/admin,[\"session\",\""));
    CHECK(got(5, "\"supportedFeatures\":[\"EMIT\",\"JOIN\",\"LEAVE\","
                 "\"DISCONNECT\",\"MJOIN\",\"MLEAVE\",\"MDISCONNECT\","
                 "\"AGGREGATED_EVENTS\",\"ALL_EVENTS\"]"));
    CHECK(got(5, "[\"all_sockets\",[{"));
    CHECK(got(5, cl[4].sid));
    CHECK(adminui_stats.dashboards == 1);
}

static size_t joined;
static void count_joined(void *arg, const struct hub_info *info)
{
    (void)arg;
    joined += info->nchannels == 1 && strcmp(info->channels[0], "vip") == 0;
}

static void test_live_and_actions(void)
{
    char msg[256];
    uint64_t refused = adminui_stats.actions_refused;

    forget(5);
    open_client(6, "40");
    CHECK(got(5, "[\"socket_connected\",{\"id\":\""));
    CHECK(got(5, cl[6].sid));
    send_text(6, "42[\"chat\",\"hi\"]");
    CHECK(got(5, "[\"event_received\",\"/\""));
    CHECK(got(5, "[\"chat\",\"hi\"]"));

    snprintf(msg, sizeof msg, "42/admin,[\"join\",\"/\",\"vip\",\"%s\"]",
             cl[6].sid);
    send_text(5, msg);
    joined = 0;
    hub_sessions("/", "vip", count_joined, NULL);
    CHECK(joined == 1);
    CHECK(got(5, "[\"room_joined\",\"/\",\"vip\""));
    send_text(5, "42/admin,[\"emit\",\"/\",\"vip\",\"news\",1]");
    CHECK(got(6, "42[\"news\",1]"));
    CHECK(!got(4, "news"));

    /* hostile: each refused, nothing done */
    send_text(5, "42/admin,[\"join\"]");
    send_text(5, "42/admin,[\"join\",\"/\",\"a\\u0000b\"]");
    send_text(5, "42/admin,[\"join\",\"/\",\"a\\u0001b\"]");
    send_text(5, "42/admin,[\"leave\",7,\"vip\"]");
    send_text(5, "42/admin,[\"emit\",\"/\",null,\"connect\"]");
    send_text(5, "42/admin,[\"emit\",\"/\",[1],\"x\"]");
    send_text(5, "42/admin,[\"nothing\",\"/\"]");
    CHECK(adminui_stats.actions_refused == refused + 7);
    joined = 0;
    hub_sessions("/", "vip", count_joined, NULL);
    CHECK(joined == 1);

    snprintf(msg, sizeof msg, "42/admin,[\"_disconnect\",\"/\",false,\"%s\"]",
             cl[6].sid);
    send_text(5, msg);
    CHECK(got(6, "41"));
    CHECK(got(5, "[\"socket_disconnected\",\"/\""));
    CHECK(got(5, "server namespace disconnect"));
}

static void test_login_rate(void)
{
    int k, limited = 0;

    /* The bucket holds ADMINUI_LOGIN_BURST checks: more wrong passwords at
     * once are refused without a check. */
    for (k = 0; k < ADMINUI_LOGIN_BURST + 2; k++) {
        close(cl[0].fd);
        forget(0);
        open_client(0, "40/admin,{\"username\":\"admin\",\"password\":\"x\"}");
        limited += got(0, ADMINUI_E_TOO_MANY);
    }
    CHECK(limited >= 2);
    CHECK(adminui_stats.logins_limited >= 2);
}

int main(void)
{
    size_t k;

    test_hashes();
    test_actions();
    setup();
    test_login();
    test_live_and_actions();
    test_login_rate();
    for (k = 0; k < sizeof cl / sizeof cl[0]; k++) {
        if (cl[k].fd > 0)
            close(cl[k].fd);
        free(cl[k].in);
    }
    turns();
    turns();
    CHECK(engine_count() == 0);
    CHECK(adminui_stats.dashboards == 0);
    adminui_shutdown();
    hub_shutdown();
    turn_run();
    event_base_free(base);
    return T_DONE();
}
