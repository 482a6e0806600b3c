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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "admin.h"
#include "adminui.h"
#include "bus.h"
#include "config.h"
#include "conn.h"
#include "engine.h"
#include "fcgi.h"
#include "fcgiserv.h"
#include "fleet.h"
#include "front.h"
#include "handoff.h"
#include "http.h"
#include "hub.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "msglog.h"
#include "notify.h"
#include "pfor.h"
#include "presence.h"
#include "recfleet.h"
#include "recover.h"
#include "recstore.h"
#include "redis.h"
#include "req.h"
#include "route.h"
#include "rpc.h"
#include "scgiserv.h"
#include "sock.h"
#include "stats.h"
#include "svcstats.h"
#include "turn.h"
#include "upstream.h"
#include "users.h"
#include "workers.h"

#define MAIN_MAX_FILE (16 << 20)
#define MAIN_FD_RESERVE 64

static struct config main_cfg;
/* --state-file with a worker's %i replaced; NULL: none. */
static const char *main_state_file;
static char main_state_buf[4096];
/* argv as given, read again on SIGHUP with the config file it names. */
static int main_argc;
static char **main_argv;
static const char *main_static_dir; /* --static without a trailing '/' */
static int main_upstream_on;

/* Bytes of CGI variables a web server adds to a client's head. */
#define MAIN_CGI_SLACK 4096
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

static int main_proxy_trusted(const char *addr)
{
    return main_cfg.trusted_proxies != NULL &&
           req_addr_in_list(main_cfg.trusted_proxies, addr);
}

static void main_not_found(struct req *r)
{
    req_respond(r, 404, "text/plain; charset=UTF-8", NULL, "not found\n", 10);
}

/* Serves a file under --static; the demo pages live there. */
static void main_static(struct req *r, const struct http_request *req)
{
    char rel[1024], full[2048];
    char *data;
    size_t len;
    long n;

    if (req->path_len >= sizeof rel ||
        (n = http_url_decode(rel, req->path, req->path_len)) < 1) {
        main_not_found(r);
        return;
    }
    rel[n] = '\0';
    /* Only plain relative names: no parent steps, no hidden files. */
    if (strstr(rel, "/.") != NULL || strchr(rel, '\\') != NULL ||
        memchr(rel, '\0', (size_t)n) != NULL) {
        main_not_found(r);
        return;
    }
    snprintf(full, sizeof full, "%s%s%s", main_static_dir, rel,
             rel[n - 1] == '/' ? "index.html" : "");
    data = main_slurp(full, &len);
    if (data == NULL) {
        main_not_found(r);
        return;
    }
    req_respond(r, 200, main_mime(full), "Cache-Control: no-cache\r\n", data,
                len);
    free(data);
}

/* A request from any front; `c` is its plain HTTP connection or NULL. */
static void main_serve(struct req *r, struct conn *c,
                       const struct http_request *req, const char *body,
                       size_t len)
{
    size_t plen = strlen(main_cfg.path);
    int get = (req->method_len == 3 && memcmp(req->method, "GET", 3) == 0) ||
              (req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0);

    if (engine_owns(req)) {
        engine_request(r, c, req, body, len);
        return;
    }
    if (get && req->path_len == plen + 12 &&
        memcmp(req->path, main_cfg.path, plen) == 0 &&
        memcmp(req->path + plen, "socket.io.js", 12) == 0) {
        if (main_client_js == NULL) {
            req_respond(r, 404, "text/plain; charset=UTF-8", NULL,
                        "client bundle not installed (--client-js)\n", 42);
            return;
        }
        req_respond(r, 200, "application/javascript; charset=UTF-8",
                    "Cache-Control: public, max-age=3600\r\n", main_client_js,
                    main_client_js_len);
        return;
    }
    if (get && main_static_dir != NULL) {
        main_static(r, req);
        return;
    }
    main_not_found(r);
}

static void main_request(struct conn *c, const struct http_request *req,
                         const char *body, size_t len)
{
    main_serve(conn_req(c), c, req, body, len);
}

static struct log_summary main_handoff_failures =
    LOG_SUMMARY_INIT("hand-offs failed, answered as unknown sids");

/* With --workers, before a request's body: a sid carrying another
 * worker's tag sends the connection there (its fd and what was read of it)
 * and forgets it here. Each request of a keep-alive connection is decided
 * anew. A hand-off that cannot go is answered here: the sid is not ours,
 * so the engine says "Session ID unknown" and the client reconnects. */
static int main_head(struct conn *c, const struct http_request *req,
                     const char *data, size_t len)
{
    const char *sid, *tag, *cause = "output still queued";
    size_t sid_len, tag_len;
    int w, peer;

    if (workers_count() < 2 || !engine_owns(req) ||
        !http_query_get(req->query ? req->query : "", req->query_len, "sid",
                        &sid, &sid_len))
        return 0;
    /* Counted where it is answered, so that the workers' sum is every
     * such request once and the share handed on is sent / that sum. */
    tag = route_of(sid, sid_len, &tag_len);
    if (tag == NULL || (w = workers_by_tag(tag, tag_len)) == 0 ||
        w == workers_self()) {
        handoff_stats.sid_requests++;
        return 0;
    }
    peer = workers_peer_fd(w);
    if (peer < 0 || !conn_idle_output(c) ||
        handoff_send(peer, c->fd, data, len, &cause) != 0) {
        char addr[INET6_ADDRSTRLEN];
        int port;
        handoff_stats.failed++;
        handoff_stats.sid_requests++;
        conn_peer(c, addr, sizeof addr, &port);
        log_count(&main_handoff_failures, addr, NULL);
        log_debug("conn %u: hand-off to worker %d failed: %s", c->id, w,
                  peer < 0 ? "no peer" : cause);
        return 0;
    }
    handoff_stats.sent++;
    log_debug("conn %u: handed to worker %d", c->id, w);
    conn_close(c);
    return 1;
}

/* A connection another worker handed here. */
static void main_adopt(int fd, const char *data, size_t len)
{
    conn_adopt(fd, data, len);
}

static const struct req_handler main_req_handler = {
    main_serve,
    engine_req_closed,
};

/* 1 when fd 0 is a listening socket: we were spawned by a web server
 * (mod_fcgid, spawn-fcgi) as FastCGI's FCGI_LISTENSOCK_FILENO. */
static int main_inherited_fcgi(void)
{
    int on = 0;
    socklen_t len = sizeof on;

    return getsockopt(FCGI_LISTENSOCK_FILENO, SOL_SOCKET, SO_ACCEPTCONN, &on,
                      &len) == 0 &&
           on;
}

static const struct conn_handler main_conn_handler = {
    main_request,
    engine_ws_message,
    engine_conn_closed,
    main_head,
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
    hub_sock_pid,
};

/* The --upstream-* settings SIGHUP may change. */
static void main_upstream_tuning(struct upstream_config *ucfg)
{
    memset(ucfg, 0, sizeof *ucfg);
    ucfg->concurrency = main_cfg.upstream_concurrency;
    ucfg->queue = main_cfg.upstream_queue;
    ucfg->timeout_ms = main_cfg.upstream_timeout_ms;
    ucfg->retries = main_cfg.upstream_retries;
    ucfg->max_context = main_cfg.upstream_max_context;
    ucfg->max_queue_bytes = main_cfg.upstream_queue_bytes;
}

/* Starts forwarding to --upstream; the secret comes from a file or the
 * environment and is never logged. */
static void main_upstream(void)
{
    struct upstream_config ucfg;
    struct journal_config jcfg;
    const char *cause, *env = getenv("SOCKETIOD_UPSTREAM_SECRET");
    char *secret = NULL;
    size_t len = 0;

    if (main_cfg.upstream_secret != NULL) {
        secret = main_slurp(main_cfg.upstream_secret, &len);
        if (secret == NULL)
            fatal("--upstream-secret %s: %s", main_cfg.upstream_secret,
                  strerror(errno));
    } else if (env != NULL && *env) {
        len = strlen(env);
        if ((secret = strdup(env)) == NULL)
            fatal("out of memory");
    }
    while (secret != NULL && len > 0 &&
           (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
        len--;
    if (secret != NULL && len == 0)
        fatal("the upstream secret is empty");
    if (secret == NULL)
        log_warn("upstream: no --upstream-secret: requests are not signed");
    main_upstream_tuning(&ucfg);
    ucfg.url = main_cfg.upstream;
    ucfg.secret = secret;
    ucfg.secret_len = len;
    if (upstream_setup(main_base, &ucfg, &cause) != 0)
        fatal("--upstream %s: %s", main_cfg.upstream, cause);
    if (secret != NULL) {
        memset(secret, 0, len);
        free(secret);
    }
    jcfg.max = main_cfg.journal_max;
    jcfg.max_bytes = main_cfg.journal_bytes;
    jcfg.rate = main_cfg.journal_rate;
    jcfg.probe_ms = main_cfg.journal_probe_ms;
    jcfg.state_file = main_state_file;
    if (journal_setup(main_base, &jcfg, upstream_late, NULL, &cause) != 0)
        fatal("--state-file %s: %s", main_state_file, cause);
    main_upstream_on = 1;
    hub_set_forward(upstream_forward, NULL, main_cfg.private_channels);
    log_info("upstream: forwarding client events to %s", main_cfg.upstream);
}

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
    return rl.rlim_cur > 2 * MAIN_FD_RESERVE
               ? (unsigned)rl.rlim_cur - MAIN_FD_RESERVE
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
        if (main_id(main_cfg.rpc_group, strlen(main_cfg.rpc_group), 1, &g) != 0)
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

/* SIGTERM's drain: at least a moment for close frames and final polls to
 * be written, then until the application has answered every event still
 * owed to it (the disconnects of the sessions just closed among them) and
 * the fleet every presence question (the leaves of the users whose last
 * socket was here), for at most --upstream-drain ms. */
#define MAIN_DRAIN_MIN_MS 200
#define MAIN_DRAIN_TICK_MS 50

static struct event *main_drain_ev;
static struct event *main_trim_ev;

/* glibc keeps what a wave of ended sessions freed (a handshake flood
 * reaped by --first-poll-timeout, a mass disconnect): 25,000 handshakes
 * left 210 MB of free heap in RSS. Give it back after such a wave; a
 * steady churn of a few sessions costs nothing. */
#define MAIN_TRIM_MS 5000
#define MAIN_TRIM_SESSIONS 1000

/* Connection state recovery: the ring and the sessions age out. */
static struct event *main_recover_ev;

static uint64_t main_wall_ms(void)
{
    struct timeval tv;

    event_base_gettimeofday_cached(main_base, &tv);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void main_recover_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    recover_tick(main_wall_ms());
    recstore_tick(main_wall_ms());
}

static void main_recovery(void)
{
    struct recover_config rcfg;
    struct timeval tv = {1, 0};
    const char *cause;

    memset(&rcfg, 0, sizeof rcfg);
    rcfg.window_ms = (uint64_t)main_cfg.recovery * 1000;
    rcfg.max_bytes = main_cfg.recovery_max_bytes;
    rcfg.max_sessions = main_cfg.recovery_max_sessions;
    if (recover_setup(&rcfg, main_wall_ms(), &cause) != 0)
        fatal("--recovery: %s", cause);
    hub_set_recovery(main_cfg.recovery_authorize);
    if (main_state_file != NULL &&
        recstore_open(main_state_file, main_cfg.recovery_save_ms,
                      main_wall_ms(), &cause) != 0)
        fatal("--state-file %s: %s", main_state_file, cause);
    main_recover_ev =
        event_new(main_base, -1, EV_PERSIST, main_recover_tick, NULL);
    if (main_recover_ev == NULL || event_add(main_recover_ev, &tv) != 0)
        fatal("out of memory");
    log_info("recovery: sessions kept %u s", main_cfg.recovery);
}

static void main_trim_tick(evutil_socket_t fd, short what, void *arg)
{
    static uint64_t closed;

    (void)fd;
    (void)what;
    (void)arg;
#ifdef __GLIBC__
    if (engine_stats.closed - closed >= MAIN_TRIM_SESSIONS)
        malloc_trim(0);
#endif
    closed = engine_stats.closed;
}
static struct timeval main_drain_t0;

static void main_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct timeval now, d;
    unsigned long ms;
    uint64_t owed = upstream_stats.in_flight + upstream_stats.queued;

    (void)fd;
    (void)what;
    (void)arg;
    event_base_gettimeofday_cached(main_base, &now);
    evutil_timersub(&now, &main_drain_t0, &d);
    ms = (unsigned long)d.tv_sec * 1000 + (unsigned long)d.tv_usec / 1000;
    if (ms < MAIN_DRAIN_MIN_MS)
        return;
    if (owed == 0 && presence_stats.pending == 0) {
        event_base_loopbreak(main_base);
    } else if (ms >= MAIN_DRAIN_MIN_MS + main_cfg.upstream_drain_ms) {
        if (owed > 0)
            log_warn("shutdown: %llu upstream events still unanswered after "
                     "%u ms (--upstream-drain): dropped",
                     (unsigned long long)owed, main_cfg.upstream_drain_ms);
        if (presence_stats.pending > 0)
            log_warn("shutdown: %llu presence events still waiting for the "
                     "fleet after %u ms (--upstream-drain): dropped",
                     (unsigned long long)presence_stats.pending,
                     main_cfg.upstream_drain_ms);
        event_base_loopbreak(main_base);
    }
}

static void main_stop(evutil_socket_t sig, short what, void *arg)
{
    struct timeval tick = {0, MAIN_DRAIN_TICK_MS * 1000};

    (void)what;
    (void)arg;
    if (main_drain_ev != NULL) {
        /* A second signal: stop waiting for the application. */
        log_warn("signal %d: exiting without waiting any longer", (int)sig);
        event_base_loopbreak(main_base);
        return;
    }
    log_info("signal %d: shutting down", (int)sig);
    admin_set_ready(0, "shutting down");
    notify_stopping("draining connections and upstream events");
    event_del(main_trim_ev);
    listener_shutdown();
    rpc_shutdown();
    engine_shutdown();
    journal_stop();
    event_base_gettimeofday_cached(main_base, &main_drain_t0);
    main_drain_ev = event_new(main_base, -1, EV_PERSIST, main_drain_tick, NULL);
    if (main_drain_ev == NULL || event_add(main_drain_ev, &tick) != 0)
        event_base_loopbreak(main_base);
}

/* Threads that write a large fan-out beside the loop (conn.c): by default
 * one per CPU but the loop's, and at most 3 (only 1 was measured, on the
 * 2-CPU machine of docs/performance.md). With --workers N the N loops
 * write the same broadcast at the same time, so a worker counts only its
 * share of the CPUs: a send thread beside each of 2 workers on 2 CPUs only
 * competed with the other worker's loop. */
static void main_send_threads(void)
{
    long cpus;
    int n = main_cfg.send_threads;

    if (n < 0) {
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
        if (workers_count() > 1)
            cpus /= workers_count();
        n = cpus > 1 ? (int)(cpus - 1 < 3 ? cpus - 1 : 3) : 0;
    }
    if (pfor_setup((unsigned)n) != 0)
        log_warn("cannot start %d send threads: %s; the loop writes alone", n,
                 strerror(errno));
    else if (n > 0)
        log_info("%d send threads", n);
}

static void main_conn_limits(struct conn_limits *lim)
{
    memset(lim, 0, sizeof *lim);
    lim->max_head = main_cfg.max_header_size;
    lim->max_body = main_cfg.max_http_buffer_size;
    lim->max_output = main_cfg.max_output;
    lim->max_conns = main_max_connections();
    lim->max_conns_per_ip = main_cfg.max_connections_per_ip;
    lim->head_timeout_ms = main_cfg.handshake_timeout_ms;
    lim->drain_timeout_ms = main_cfg.drain_timeout_ms;
    lim->spread_min = main_cfg.send_threads_min;
}

/* The limits the hub and the sockets check per event and per packet:
 * set at start-up and again on SIGHUP. */
static void main_sock_limits(void)
{
    struct hub_limits hlim;
    struct sock_limits slim;

    memset(&slim, 0, sizeof slim);
    slim.max_namespaces = main_cfg.max_namespaces;
    slim.max_attachments = main_cfg.max_attachment_bytes
                               ? main_cfg.max_attachment_bytes
                               : main_cfg.max_http_buffer_size;
    slim.attach_timeout_ms = main_cfg.attachment_timeout_ms;
    sock_set_limits(&slim);
    memset(&hlim, 0, sizeof hlim);
    hlim.max_channels = main_cfg.max_channels;
    hlim.event_rate = main_cfg.max_event_rate;
    hlim.event_burst = main_cfg.event_burst;
    hlim.flood_action =
        main_cfg.flood_disconnect ? HUB_FLOOD_DISCONNECT : HUB_FLOOD_DROP;
    hub_set_limits(&hlim);
}

/* SIGHUP: reads the command line and the config file again and applies
 * what the options table marks reloadable (config_update() logs each
 * change, and each other one as needing a restart). A file that does not
 * parse changes nothing. Connections stay. socketiod logs only to stderr
 * (systemd's journal, or the file a supervisor redirected it to), so
 * there is no log file of its own to reopen. */
static void main_reload(evutil_socket_t sig, short what, void *arg)
{
    struct config next;
    struct conn_limits lim;
    struct upstream_config ucfg;
    const char *cause;

    (void)sig;
    (void)what;
    (void)arg;
    if (config_load(&next, main_argc, main_argv, &cause) != 0) {
        log_warn("SIGHUP: %s: the settings are unchanged", cause);
        config_free(&next);
        return;
    }
    if (config_update(&main_cfg, &next) > 0) {
        log_init(main_cfg.verbose);
        log_set_format(main_cfg.log_format ? "json" : "text");
        main_conn_limits(&lim);
        conn_set_limits(&lim);
        main_sock_limits();
        if (main_upstream_on) {
            main_upstream_tuning(&ucfg);
            upstream_set_tuning(&ucfg);
        }
    }
    config_free(&next);
    log_warn("SIGHUP: settings read again");
}

/* %i is a worker's number: without --workers there is none, and an
 * address with it would bind a name with "%i" in it, or not parse. */
static void main_no_per_worker(void)
{
    int i;

    for (i = 0; i < main_cfg.nlisten; i++)
        if (workers_per_worker(main_cfg.listen[i]))
            fatal("--listen %s: %%i is the worker's number, for --workers",
                  main_cfg.listen[i]);
    for (i = 0; i < main_cfg.nfcgi; i++)
        if (workers_per_worker(main_cfg.fcgi[i]))
            fatal("--fcgi %s: %%i is the worker's number, for --workers",
                  main_cfg.fcgi[i]);
    for (i = 0; i < main_cfg.nscgi; i++)
        if (workers_per_worker(main_cfg.scgi[i]))
            fatal("--scgi %s: %%i is the worker's number, for --workers",
                  main_cfg.scgi[i]);
    if (workers_per_worker(main_cfg.admin))
        fatal("--admin %s: %%i is the worker's number, for --workers",
              main_cfg.admin);
    if (workers_per_worker(main_cfg.state_file))
        fatal("--state-file %s: %%i is the worker's number, for --workers",
              main_cfg.state_file);
}

/* A worker is ready once it is in the fleet (both Redis connections up,
 * its channels subscribed first on the one), so that the supervisor's
 * READY=1 means every worker's clients get the fleet's broadcasts; a Redis
 * that does not answer within --redis-timeout delays it no longer. */
#define MAIN_READY_TICK_MS 20

static void main_worker_ready(evutil_socket_t fd, short what, void *arg)
{
    static struct event *tick;
    static unsigned waited;
    struct timeval tv = {0, MAIN_READY_TICK_MS * 1000};

    (void)fd;
    (void)what;
    (void)arg;
    if (main_cfg.redis != NULL && !redis_stats.connected &&
        waited < main_cfg.redis_timeout_ms) {
        if (tick == NULL &&
            (tick = evtimer_new(main_base, main_worker_ready, NULL)) == NULL)
            fatal("out of memory");
        waited += MAIN_READY_TICK_MS;
        evtimer_add(tick, &tv);
        return;
    }
    if (tick != NULL) {
        event_free(tick);
        tick = NULL;
    }
    workers_ready();
}

/* A single daemon's listeners: it binds them. Listeners first: a second
 * instance that cannot bind must leave the first one's control socket
 * alone. */
static void main_listeners(int inherited, int nlisten)
{
    const struct {
        const char *option, *name;
        const char *const *addrs;
        int n;
        listener_accept_fn accept;
    } fronts[] = {
        {"fcgi", "FastCGI", main_cfg.fcgi, main_cfg.nfcgi, fcgiserv_accept},
        {"scgi", "SCGI", main_cfg.scgi, main_cfg.nscgi, scgiserv_accept},
    };
    const char *cause;
    char bound[300];
    int f, i;

    if (inherited) {
        if (listener_add_fd(main_base, FCGI_LISTENSOCK_FILENO, fcgiserv_accept,
                            &cause) != 0)
            fatal("FastCGI socket on fd 0: %s", cause);
        log_notice("FastCGI on the inherited socket (fd 0)");
    }
    for (f = 0; f < 2; f++)
        for (i = 0; i < fronts[f].n; i++) {
            if (listener_add_to(main_base, fronts[f].addrs[i], fronts[f].accept,
                                &cause) != 0)
                fatal("--%s %s: %s", fronts[f].option, fronts[f].addrs[i],
                      cause);
            listener_last_name(bound, sizeof bound);
            log_notice("%s on %s", fronts[f].name, bound);
        }
    for (i = 0; i < nlisten; i++) {
        if (listener_add(main_base, main_cfg.listen[i], &cause) != 0)
            fatal("--listen %s: %s", main_cfg.listen[i], cause);
        listener_last_name(bound, sizeof bound);
        log_notice("listening on %s", bound);
    }
}

/* A worker's: the sockets the supervisor bound (and logged). */
static void main_worker_listeners(void)
{
    const char *cause;
    int i;

    for (i = 0; i < main_cfg.nfcgi; i++)
        if (listener_add_fd(main_base, workers_listen_fd('f', i),
                            fcgiserv_accept, &cause) != 0)
            fatal("--fcgi %s: %s", main_cfg.fcgi[i], cause);
    for (i = 0; i < main_cfg.nscgi; i++)
        if (listener_add_fd(main_base, workers_listen_fd('s', i),
                            scgiserv_accept, &cause) != 0)
            fatal("--scgi %s: %s", main_cfg.scgi[i], cause);
    for (i = 0; i < main_cfg.nlisten; i++)
        if (listener_add_fd(main_base, workers_listen_fd('l', i), NULL,
                            &cause) != 0)
            fatal("--listen %s: %s", main_cfg.listen[i], cause);
}

int main(int argc, char **argv)
{
    struct event *sigterm, *sigint, *sighup;
    struct conn_limits lim;
    struct fcgiserv_limits flim;
    struct engine_config ecfg;
    const char *cause, *rpc_path;
    int rc, inherited, nlisten;
    struct event_config *evcfg;

    main_argc = argc;
    main_argv = argv;
    rc = config_load(&main_cfg, argc, argv, &cause);
    if (rc != 0) {
        if (rc < 0)
            log_notice("%s", cause);
        config_free(&main_cfg);
        return rc > 0 ? 0 : 2;
    }
    log_init(main_cfg.verbose);
    log_set_format(main_cfg.log_format ? "json" : "text");
    signal(SIGPIPE, SIG_IGN);
    /* A file size limit (RLIMIT_FSIZE) reached by stderr redirected to a
     * file is a failed write (EFBIG), not the end of the daemon. (The
     * message log's writer thread blocks every signal anyway.) */
    signal(SIGXFSZ, SIG_IGN);
    main_rpc_access();
    if (main_cfg.workers > 0) {
        if (main_inherited_fcgi())
            fatal("--workers: not with a FastCGI socket inherited on fd 0 "
                  "(give --fcgi ADDR with %%i instead)");
        /* The supervisor returns here when its workers have stopped; each
         * worker goes on below as a daemon of its own on the sockets it
         * inherited. */
        if (workers_run(&main_cfg, &rc) == 0) {
            config_free(&main_cfg);
            return rc;
        }
    } else {
        main_no_per_worker();
        if (route_set(main_cfg.route, &cause) != 0)
            fatal("--route %s: %s", main_cfg.route, cause);
    }
    main_state_file = main_cfg.state_file;
    if (main_state_file != NULL) {
        if (workers_expand(main_state_file, workers_self(), main_state_buf,
                           sizeof main_state_buf) != 0)
            fatal("--state-file: too long");
        main_state_file = main_state_buf;
    }

    /* Heartbeat deadlines are the protocol's: with libevent's default
     * coarse clock and millisecond epoll timeouts a 500 ms ping timeout
     * fired up to 4 ms late, serving a poll that came after it. Precise
     * timers (CLOCK_MONOTONIC, timerfd with epoll) fire on time. */
    evcfg = event_config_new();
    if (evcfg == NULL ||
        event_config_set_flag(evcfg, EVENT_BASE_FLAG_PRECISE_TIMER) != 0)
        fatal("cannot configure the event loop");
    main_base = event_base_new_with_config(evcfg);
    event_config_free(evcfg);
    if (main_base == NULL || turn_setup(main_base) != 0)
        fatal("cannot create the event loop");
    log_start(main_base);
    stats_setup();
    /* Before any socket accepts: a SIGTERM that comes as soon as the
     * sockets answer (a supervisor, a test) must drain, not kill. It is
     * handled once the loop runs, when everything is set up. */
    sigterm = evsignal_new(main_base, SIGTERM, main_stop, NULL);
    sigint = evsignal_new(main_base, SIGINT, main_stop, NULL);
    sighup = evsignal_new(main_base, SIGHUP, main_reload, NULL);
    if (sigterm == NULL || sigint == NULL || sighup == NULL ||
        evsignal_add(sigterm, NULL) != 0 || evsignal_add(sigint, NULL) != 0 ||
        evsignal_add(sighup, NULL) != 0)
        fatal("cannot watch SIGTERM, SIGINT and SIGHUP");

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
        main_static_dir = d;
    }

    main_conn_limits(&lim);
    conn_setup(main_base, &main_conn_handler, &lim);
    if (workers_inbox_fd() >= 0 &&
        handoff_listen(main_base, workers_inbox_fd(), main_adopt, &cause) != 0)
        fatal("--workers: %s", cause);
    main_send_threads();

    memset(&ecfg, 0, sizeof ecfg);
    ecfg.path = main_cfg.path;
    ecfg.ping_interval_ms = main_cfg.ping_interval_ms;
    ecfg.ping_timeout_ms = main_cfg.ping_timeout_ms;
    ecfg.max_payload = main_cfg.max_http_buffer_size;
    ecfg.max_pending = main_cfg.max_output;
    ecfg.poll_hold_ms = main_cfg.poll_hold_ms;
    ecfg.poll_max_packets = main_cfg.poll_max_packets;
    ecfg.allow_polling = main_cfg.allow_polling;
    ecfg.allow_websocket = main_cfg.allow_websocket;
    ecfg.origin_allowed = main_origin_allowed;
    ecfg.proxy_trusted = main_proxy_trusted;
    /* A live session of an official client holds a connection; twice the
     * limit leaves room for sessions outliving theirs until the ping
     * timeout while their clients reconnect. */
    ecfg.max_sessions = main_cfg.max_sessions ? main_cfg.max_sessions
                        : lim.max_conns       ? 2 * (size_t)lim.max_conns
                                              : 0;
    ecfg.max_sessions_per_ip = main_cfg.max_sessions_per_ip;
    ecfg.first_poll_ms = main_cfg.first_poll_timeout_ms;
    ecfg.max_meta = main_cfg.max_handshake_meta;
    engine_setup(main_base, &ecfg, &main_engine_handler);
    sock_setup(main_base, main_cfg.connect_timeout_ms, &main_sock_handler);
    hub_setup(main_base, main_cfg.relay);
    if (users_set_presence(main_cfg.presence, &cause) != 0)
        fatal("--presence: %s", cause);
    if (main_cfg.admin_ui) {
        struct adminui_config ucfg = {
            main_cfg.admin_ui_namespace,     main_cfg.admin_ui_username,
            main_cfg.admin_ui_password_hash, main_cfg.admin_ui_no_auth,
            main_cfg.admin_ui_mode == 1,     main_cfg.admin_ui_readonly};
        if (adminui_setup(main_base, &ucfg, &cause) != 0)
            fatal("--admin-ui: %s", cause);
    }
    main_sock_limits();
    if (main_cfg.recovery > 0)
        main_recovery();
    if (main_cfg.upstream != NULL)
        main_upstream();
    if (main_cfg.redis != NULL) {
        struct bus_config bcfg = {main_cfg.redis,
                                  main_cfg.redis_key,
                                  main_cfg.redis_timeout_ms,
                                  main_cfg.redis_max_message,
                                  main_cfg.redis_python_channel,
                                  main_cfg.redis_outbox,
                                  main_cfg.path};
        if (bus_setup(main_base, &bcfg, &cause) != 0)
            fatal("--redis: %s",
                  cause); /* never the URL: it may hold a password */
        fleet_setup(main_base, main_cfg.redis_key, bus_uid,
                    main_cfg.redis_requests_timeout_ms);
        if (presence_setup(bus_uid) != 0)
            fatal("--redis: out of memory");
        if (workers_count() >= 2 &&
            svcstats_setup(main_base, main_cfg.redis_key, workers_service(),
                           workers_self(), workers_count(),
                           main_cfg.redis_requests_timeout_ms,
                           rpc_stats_text) != 0)
            fatal("--redis: out of memory");
        if (main_cfg.recovery > 0 &&
            recfleet_setup(main_base, main_cfg.redis_key, bus_uid,
                           main_cfg.redis_requests_timeout_ms,
                           main_cfg.redis_max_message) != 0)
            fatal("--redis: out of memory");
        log_info("redis: node %s in the fleet of key %s", bus_uid,
                 main_cfg.redis_key);
    }

    front_setup(main_base, (16 << 20) + main_cfg.max_http_buffer_size,
                main_cfg.max_output, main_cfg.drain_timeout_ms);
    memset(&flim, 0, sizeof flim);
    flim.max_body = main_cfg.max_http_buffer_size;
    /* The client's head as --max-header-size allows it on the HTTP front,
     * plus room for the web server's own CGI variables (SCRIPT_FILENAME,
     * DOCUMENT_ROOT, ...), so a request that passes there passes here. */
    flim.max_params = main_cfg.max_header_size + MAIN_CGI_SLACK;
    /* Never less than one whole request: a web server that sends one at a
     * time (nginx, Apache) is never refused. */
    flim.max_buffered = main_cfg.max_front_buffer;
    if (flim.max_buffered < flim.max_params + flim.max_body)
        flim.max_buffered = flim.max_params + flim.max_body;
    flim.request_timeout_ms = main_cfg.handshake_timeout_ms;
    flim.idle_timeout_ms = main_cfg.front_idle_timeout_ms;
    fcgiserv_setup(main_base, &main_req_handler, &flim);
    scgiserv_setup(main_base, &main_req_handler, main_cfg.max_http_buffer_size,
                   main_cfg.max_header_size + MAIN_CGI_SLACK,
                   main_cfg.handshake_timeout_ms);
    inherited = !workers_self() && main_inherited_fcgi();
    nlisten = main_cfg.nlisten;
    if (inherited && main_cfg.listen_default)
        nlisten = 0; /* spawned: the web server is the front */

    if (workers_self())
        main_worker_listeners();
    else
        main_listeners(inherited, nlisten);
    if (main_cfg.admin != NULL) {
        char admin[300];
        if (workers_expand(main_cfg.admin, workers_self(), admin,
                           sizeof admin) != 0 ||
            admin_setup(main_base, admin, &cause) != 0)
            fatal("--admin %s: %s", main_cfg.admin, cause);
    }
    if (main_cfg.admin_ui && main_cfg.admin != NULL)
        admin_set_ui(main_cfg.admin_ui_dir);
    rpc_path = main_cfg.rpc_path ? main_cfg.rpc_path : rpc_default_path(0);
    if (workers_self()) {
        if (rpc_setup_fd(main_base, workers_rpc_fd(), main_cfg.max_rpc_line,
                         main_cfg.max_rpc_unread, &cause) != 0)
            fatal("--rpc %s: %s", rpc_path, cause);
    } else {
        if (rpc_setup(main_base, rpc_path, main_cfg.rpc_mode,
                      main_cfg.max_rpc_line, main_cfg.max_rpc_unread,
                      &cause) != 0)
            fatal("--rpc %s: %s", rpc_path, cause);
        log_notice("control socket %s", rpc_path);
    }
    if (msglog_setup(&main_cfg.message_log, &cause) != 0)
        fatal("--message-log %s", cause);
    admin_set_ready(1, NULL);
    if (workers_self())
        main_worker_ready(-1, 0, NULL);
    else
        notify_ready(main_base, "listening");

    main_trim_ev = event_new(main_base, -1, EV_PERSIST, main_trim_tick, NULL);
    if (main_trim_ev == NULL)
        fatal("out of memory");
    {
        struct timeval tv = {MAIN_TRIM_MS / 1000, 0};
        event_add(main_trim_ev, &tv);
    }
    event_base_dispatch(main_base);

    handoff_stop();
    event_free(main_trim_ev);
    event_free(sigterm);
    event_free(sigint);
    event_free(sighup);
    if (main_drain_ev != NULL)
        event_free(main_drain_ev);
    recfleet_shutdown(); /* a socket still waiting goes on while the
                            upstream and the watchers are there */
    admin_shutdown();
    adminui_shutdown();
    notify_shutdown();
    upstream_shutdown();
    journal_shutdown(); /* after the upstream's last owed disconnects */
    presence_shutdown();
    svcstats_shutdown();
    fleet_shutdown();
    bus_shutdown();
    turn_run(); /* what the last turn closed */
    if (main_recover_ev != NULL)
        event_free(main_recover_ev);
    recstore_close(main_wall_ms()); /* what SIGTERM kept, for the next run */
    recover_shutdown();
    hub_shutdown();
    users_shutdown();
    msglog_shutdown(); /* writes what is still queued */
    pfor_shutdown();
    free(main_client_js);
    free((char *)main_static_dir);
    config_free(&main_cfg);
    log_flush();
    log_info("stopped");
    return 0;
}
