/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* main: socketiod start-up, request routing, static files, signals. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "conn.h"
#include "engine.h"
#include "http.h"
#include "hub.h"
#include "listener.h"
#include "log.h"
#include "rpc.h"
#include "sock.h"

#define MAIN_MAX_FILE (16 << 20)
#define MAIN_FD_RESERVE 64

static struct config main_cfg;
static struct event_base *main_base;
static char *main_client_js;
static size_t main_client_js_len;

static int main_origin_allowed(const char *origin, size_t len)
{
    return config_origin_allowed(&main_cfg, origin, len);
}

/* Reads a whole small file; NULL with errno set on failure. */
static char *main_slurp(const char *path, size_t *len)
{
    struct stat st;
    char *data = NULL;
    ssize_t n;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > MAIN_MAX_FILE) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    data = malloc((size_t)st.st_size + 1);
    while (data != NULL && got < (size_t)st.st_size) {
        n = read(fd, data + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (data == NULL || got != (size_t)st.st_size) {
        free(data);
        errno = EIO;
        return NULL;
    }
    *len = got;
    return data;
}

static const char *main_mime(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=UTF-8"},
        {".js", "application/javascript; charset=UTF-8"},
        {".css", "text/css; charset=UTF-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=UTF-8"},
    };
    size_t i, n = strlen(path), e;

    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        e = strlen(types[i][0]);
        if (n >= e && strcmp(path + n - e, types[i][0]) == 0)
            return types[i][1];
    }
    return "application/octet-stream";
}

static void main_not_found(struct conn *c)
{
    conn_respond(c, 404, "text/plain; charset=UTF-8", NULL, "not found\n",
                 10);
}

/* Serves a file under --static; the demo pages live there. */
static void main_static(struct conn *c, const struct http_request *req)
{
    char rel[1024], full[2048];
    char *data;
    size_t len;
    long n;

    if (req->path_len >= sizeof rel ||
        (n = http_url_decode(rel, req->path, req->path_len)) < 1) {
        main_not_found(c);
        return;
    }
    rel[n] = '\0';
    /* Only plain relative names: no parent steps, no hidden files. */
    if (strstr(rel, "/.") != NULL || strchr(rel, '\\') != NULL ||
        memchr(rel, '\0', (size_t)n) != NULL) {
        main_not_found(c);
        return;
    }
    snprintf(full, sizeof full, "%s%s%s", main_cfg.static_dir, rel,
             rel[n - 1] == '/' ? "index.html" : "");
    data = main_slurp(full, &len);
    if (data == NULL) {
        main_not_found(c);
        return;
    }
    conn_respond(c, 200, main_mime(full), "Cache-Control: no-cache\r\n", data,
                 len);
    free(data);
}

static void main_request(struct conn *c, const struct http_request *req,
                         const char *body, size_t len)
{
    size_t plen = strlen(main_cfg.path);
    int get = (req->method_len == 3 && memcmp(req->method, "GET", 3) == 0) ||
              (req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0);

    if (engine_owns(req)) {
        engine_request(c, req, body, len);
        return;
    }
    if (get && req->path_len == plen + 12 &&
        memcmp(req->path, main_cfg.path, plen) == 0 &&
        memcmp(req->path + plen, "socket.io.js", 12) == 0) {
        if (main_client_js == NULL) {
            conn_respond(c, 404, "text/plain; charset=UTF-8", NULL,
                         "client bundle not installed (--client-js)\n", 42);
            return;
        }
        conn_respond(c, 200, "application/javascript; charset=UTF-8",
                     "Cache-Control: public, max-age=3600\r\n",
                     main_client_js, main_client_js_len);
        return;
    }
    if (get && main_cfg.static_dir != NULL) {
        main_static(c, req);
        return;
    }
    main_not_found(c);
}

static const struct conn_handler main_conn_handler = {
    main_request,
    engine_ws_message,
    engine_conn_closed,
};

static const struct engine_handler main_engine_handler = {
    sock_engine_open,
    sock_engine_message,
    sock_engine_close,
};

static const struct sock_handler main_sock_handler = {
    hub_sock_connect,
    hub_sock_event,
    hub_sock_disconnect,
};

/* --max-connections, or by default what the descriptor limit leaves after a
 * reserve for listeners, control clients and files: refusing a connection
 * cleanly beats running out of descriptors (then accepting pauses). */
static unsigned main_max_connections(void)
{
    struct rlimit rl;

    if (main_cfg.max_connections != 0)
        return main_cfg.max_connections;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > UINT32_MAX)
        return 0;
    return rl.rlim_cur > 2 * MAIN_FD_RESERVE ? (unsigned)rl.rlim_cur -
                                                   MAIN_FD_RESERVE
                                             : (unsigned)rl.rlim_cur / 2;
}

/* A user or group, by name or number. Returns 0, or -1 when unknown. */
static int main_id(const char *s, size_t len, int group, unsigned long *out)
{
    char name[256], *end;
    struct passwd *pw;
    struct group *gr;

    if (len == 0 || len >= sizeof name)
        return -1;
    memcpy(name, s, len);
    name[len] = '\0';
    *out = strtoul(name, &end, 10);
    if (*end == '\0' && name[0] != '-')
        return 0;
    if (group) {
        if ((gr = getgrnam(name)) == NULL)
            return -1;
        *out = gr->gr_gid;
    } else {
        if ((pw = getpwnam(name)) == NULL)
            return -1;
        *out = pw->pw_uid;
    }
    return 0;
}

/* Parses a comma-separated list of users or groups into out[]. */
static unsigned main_id_list(const char *list, int group, unsigned long *out,
                             const char *opt)
{
    const char *p = list, *e;
    unsigned n = 0;

    while (p != NULL && *p) {
        while (*p == ',' || *p == ' ')
            p++;
        e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if (e == p)
            break;
        if (n == RPC_MAX_ALLOW)
            fatal("--%s: at most %d entries", opt, RPC_MAX_ALLOW);
        if (main_id(p, (size_t)(e - p), group, &out[n]) != 0)
            fatal("--%s: unknown %s '%.*s'", opt, group ? "group" : "user",
                  (int)(e - p), p);
        n++;
        p = e;
    }
    return n;
}

static void main_rpc_access(void)
{
    struct rpc_access a;
    unsigned long ids[RPC_MAX_ALLOW], g;
    unsigned i;

    memset(&a, 0, sizeof a);
    a.group = (gid_t)-1;
    if (main_cfg.rpc_group != NULL) {
        if (main_id(main_cfg.rpc_group, strlen(main_cfg.rpc_group), 1, &g) !=
            0)
            fatal("--rpc-group: unknown group '%s'", main_cfg.rpc_group);
        a.group = (gid_t)g;
    }
    a.nuids = main_id_list(main_cfg.rpc_allow_uid, 0, ids, "rpc-allow-uid");
    for (i = 0; i < a.nuids; i++)
        a.uids[i] = (uid_t)ids[i];
    a.ngids = main_id_list(main_cfg.rpc_allow_gid, 1, ids, "rpc-allow-gid");
    for (i = 0; i < a.ngids; i++)
        a.gids[i] = (gid_t)ids[i];
    rpc_set_access(&a);
}

static void main_stop(evutil_socket_t sig, short what, void *arg)
{
    struct timeval grace = {0, 200000};

    (void)what;
    (void)arg;
    log_info("signal %d: shutting down", (int)sig);
    listener_shutdown();
    rpc_shutdown();
    engine_shutdown();
    /* A moment for close frames and final polls to be written. */
    event_base_loopexit(main_base, &grace);
}

int main(int argc, char **argv)
{
    struct event *sigterm, *sigint;
    struct conn_limits lim;
    struct hub_limits hlim;
    struct engine_config ecfg;
    const char *cause;
    int i, rc;

    rc = config_load(&main_cfg, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    log_init(main_cfg.verbose);
    signal(SIGPIPE, SIG_IGN);

    main_base = event_base_new();
    if (main_base == NULL || event_base_priority_init(main_base, 3) != 0)
        fatal("cannot create the event loop");

    main_client_js = main_slurp(main_cfg.client_js, &main_client_js_len);
    if (main_client_js == NULL)
        log_warn("client bundle %s: %s; %ssocket.io.js will answer 404",
                 main_cfg.client_js, strerror(errno), main_cfg.path);
    if (main_cfg.static_dir != NULL) {
        size_t n = strlen(main_cfg.static_dir);
        char *d = malloc(n + 1);
        if (d == NULL)
            fatal("out of memory");
        memcpy(d, main_cfg.static_dir, n + 1);
        while (n > 1 && d[n - 1] == '/')
            d[--n] = '\0';
        main_cfg.static_dir = d;
    }

    memset(&lim, 0, sizeof lim);
    lim.max_head = main_cfg.max_header_size;
    lim.max_body = main_cfg.max_http_buffer_size;
    lim.max_output = main_cfg.max_output;
    lim.max_conns = main_max_connections();
    lim.max_conns_per_ip = main_cfg.max_connections_per_ip;
    lim.head_timeout_ms = main_cfg.handshake_timeout_ms;
    conn_setup(main_base, &main_conn_handler, &lim);

    memset(&ecfg, 0, sizeof ecfg);
    ecfg.path = main_cfg.path;
    ecfg.ping_interval_ms = main_cfg.ping_interval_ms;
    ecfg.ping_timeout_ms = main_cfg.ping_timeout_ms;
    ecfg.max_payload = main_cfg.max_http_buffer_size;
    ecfg.max_pending = main_cfg.max_output;
    ecfg.allow_polling = main_cfg.allow_polling;
    ecfg.allow_websocket = main_cfg.allow_websocket;
    ecfg.origin_allowed = main_origin_allowed;
    engine_setup(main_base, &ecfg, &main_engine_handler);
    sock_setup(main_base, main_cfg.connect_timeout_ms, &main_sock_handler);
    hub_setup(main_base, main_cfg.relay);
    hlim.max_channels = main_cfg.max_channels;
    hlim.event_rate = main_cfg.max_event_rate;
    hlim.event_burst = main_cfg.event_burst;
    hlim.flood_action =
        main_cfg.flood_disconnect ? HUB_FLOOD_DISCONNECT : HUB_FLOOD_DROP;
    hub_set_limits(&hlim);

    main_rpc_access();
    if (rpc_setup(main_base, main_cfg.rpc_path, main_cfg.rpc_mode,
                  main_cfg.max_rpc_line, &cause) != 0)
        fatal("control socket %s: %s", main_cfg.rpc_path, cause);
    for (i = 0; i < main_cfg.nlisten; i++) {
        if (listener_add(main_base, main_cfg.listen[i], &cause) != 0)
            fatal("listen %s: %s", main_cfg.listen[i], cause);
        fprintf(stderr, "socketiod: listening on %s\n", main_cfg.listen[i]);
    }
    fprintf(stderr, "socketiod: control socket %s\n", main_cfg.rpc_path);

    sigterm = evsignal_new(main_base, SIGTERM, main_stop, NULL);
    sigint = evsignal_new(main_base, SIGINT, main_stop, NULL);
    evsignal_add(sigterm, NULL);
    evsignal_add(sigint, NULL);

    event_base_dispatch(main_base);

    event_free(sigterm);
    event_free(sigint);
    hub_shutdown();
    free(main_client_js);
    log_info("stopped");
    return 0;
}
