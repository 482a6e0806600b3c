/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* admin: the --admin HTTP listener: /metrics, /healthz, /readyz (and the
 * Admin UI's files). Its own socket and server, so the public port never
 * serves these paths. */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "buf.h"
#include "http.h"
#include "listener.h"
#include "log.h"
#include "stats.h"
#include "uifiles.h"
#include "upstream.h"

#define ADMIN_MAX_HEAD 8192
#define ADMIN_TIMEOUT_S 10
#define ADMIN_PROBE_S 2
/* /healthz fails when the loop's heartbeat is older than this. */
#define ADMIN_STALE_S 5

/* One scraper's connection: a request, an answer, closed. */
struct admin_client {
    struct bufferevent *bev;
    struct bufferevent *probe; /* /readyz's connect to the upstream */
    int head;                  /* HEAD: no body */
};

static struct event_base *admin_base;
static struct event *admin_beat;
static time_t admin_last_beat;
static int admin_ready;
static const char *admin_why = "not listening yet";
static const char *admin_ui_dir;

static void admin_free(struct admin_client *a)
{
    if (a->probe != NULL)
        bufferevent_free(a->probe);
    bufferevent_free(a->bev);
    free(a);
}

static void admin_written(struct bufferevent *bev, void *arg)
{
    (void)bev;
    admin_free(arg);
}

static void admin_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    admin_free(arg);
}

static void admin_respond(struct admin_client *a, int status, const char *type,
                          const char *body, size_t len)
{
    struct buf h = BUF_INIT;

    bufferevent_disable(a->bev, EV_READ);
    if (http_write_head(&h, status, type, len, 0,
                        "Cache-Control: no-store\r\n") != 0 ||
        bufferevent_write(a->bev, h.data, h.len) != 0 ||
        (!a->head && len > 0 && bufferevent_write(a->bev, body, len) != 0)) {
        buf_free(&h);
        admin_free(a);
        return;
    }
    buf_free(&h);
    bufferevent_setcb(a->bev, NULL, admin_written, admin_event_cb, a);
    bufferevent_enable(a->bev, EV_WRITE);
}

static void admin_text(struct admin_client *a, int status, const char *text)
{
    admin_respond(a, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void admin_redirect(struct admin_client *a, const char *to)
{
    struct buf h = BUF_INIT;

    bufferevent_disable(a->bev, EV_READ);
    buf_printf(&h,
               "HTTP/1.1 301 Moved Permanently\r\nLocation: %s\r\n"
               "Content-Length: 0\r\nConnection: close\r\n\r\n",
               to);
    if (h.data == NULL || bufferevent_write(a->bev, h.data, h.len) != 0) {
        buf_free(&h);
        admin_free(a);
        return;
    }
    buf_free(&h);
    bufferevent_setcb(a->bev, NULL, admin_written, admin_event_cb, a);
    bufferevent_enable(a->bev, EV_WRITE);
}

static void admin_probe_cb(struct bufferevent *bev, short what, void *arg)
{
    struct admin_client *a = arg;
    char msg[160];
    int err = EVUTIL_SOCKET_ERROR();

    (void)bev;
    bufferevent_free(a->probe);
    a->probe = NULL;
    if (what & BEV_EVENT_CONNECTED) {
        admin_text(a, 200, "ready\n");
        return;
    }
    snprintf(msg, sizeof msg, "upstream unreachable: %s\n",
             what & BEV_EVENT_TIMEOUT ? "no connection within 2 s"
                                      : strerror(err));
    admin_text(a, 503, msg);
}

/* Ready: listening, and when events go to an application, a connection to
 * it opens (then closed unused: the app sees a connection, no request). */
static void admin_readyz(struct admin_client *a)
{
    const struct sockaddr *sa;
    socklen_t len;
    struct timeval tv = {ADMIN_PROBE_S, 0};
    char msg[160];

    if (!admin_ready) {
        snprintf(msg, sizeof msg, "not ready: %s\n", admin_why);
        admin_text(a, 503, msg);
        return;
    }
    if ((sa = upstream_sockaddr(&len)) == NULL) {
        admin_text(a, 200, "ready\n");
        return;
    }
    a->probe = bufferevent_socket_new(admin_base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (a->probe == NULL) {
        admin_text(a, 503, "not ready: out of memory\n");
        return;
    }
    bufferevent_setcb(a->probe, NULL, NULL, admin_probe_cb, a);
    bufferevent_set_timeouts(a->probe, &tv, &tv);
    bufferevent_disable(a->bev, EV_READ);
    if (bufferevent_socket_connect(a->probe, (struct sockaddr *)sa, (int)len) !=
        0) {
        snprintf(msg, sizeof msg, "upstream unreachable: %s\n",
                 strerror(errno));
        bufferevent_free(a->probe);
        a->probe = NULL;
        admin_text(a, 503, msg);
    }
}

/* A file of the Admin UI: /admin-ui/NAME. */
static void admin_ui_file(struct admin_client *a,
                          const struct http_request *req)
{
    char rel[UIFILES_MAX_NAME + 1];
    const char *type;
    char *data;
    size_t len;
    long n;
    int status;

    if (req->path_len - 10 > UIFILES_MAX_NAME ||
        (n = http_url_decode(rel, req->path + 10, req->path_len - 10)) < 0) {
        admin_text(a, 404, "not found\n");
        return;
    }
    rel[n] = '\0';
    if (uifiles_read(admin_ui_dir, rel, (size_t)n, &data, &len, &type,
                     &status) != 0) {
        admin_text(a, status,
                   status == 413   ? "file too large\n"
                   : status == 500 ? "cannot read the file\n"
                                   : "not found\n");
        return;
    }
    admin_respond(a, 200, type, data, len);
    free(data);
}

static int admin_is(const struct http_request *req, const char *path)
{
    size_t n = strlen(path);

    return req->path_len == n && memcmp(req->path, path, n) == 0;
}

static void admin_route(struct admin_client *a, const struct http_request *req)
{
    struct buf body = BUF_INIT;
    time_t now = time(NULL);

    a->head = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
    if (!a->head &&
        !(req->method_len == 3 && memcmp(req->method, "GET", 3) == 0)) {
        admin_text(a, 405, "GET or HEAD\n");
    } else if (admin_is(req, "/metrics")) {
        if (stats_metrics(&body) != 0)
            admin_text(a, 500, "out of memory\n");
        else
            admin_respond(a, 200, "text/plain; version=0.0.4; charset=utf-8",
                          body.data, body.len);
        buf_free(&body);
    } else if (admin_is(req, "/healthz")) {
        /* Answering at all is the loop turning; the heartbeat tells a loop
         * that only just came back from a long stall. */
        if (now - admin_last_beat > ADMIN_STALE_S)
            admin_text(a, 503, "loop stalled\n");
        else
            admin_text(a, 200, "ok\n");
    } else if (admin_is(req, "/readyz")) {
        admin_readyz(a);
    } else if (admin_ui_dir != NULL && admin_is(req, "/admin-ui")) {
        admin_redirect(a, "/admin-ui/");
    } else if (admin_ui_dir != NULL && req->path_len >= 10 &&
               memcmp(req->path, "/admin-ui/", 10) == 0) {
        admin_ui_file(a, req);
    } else {
        admin_text(a, 404, "not found: /metrics, /healthz, /readyz\n");
    }
}

static void admin_read_cb(struct bufferevent *bev, void *arg)
{
    struct admin_client *a = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len = evbuffer_get_length(in);
    struct http_request req;
    int rc;

    if (a->probe != NULL)
        return;
    rc = http_parse_request((const char *)evbuffer_pullup(in, -1), len, &req);
    if (rc > 0)
        admin_route(a, &req);
    else if (rc == -1)
        admin_text(a, 400, "bad request\n");
    else if (len > ADMIN_MAX_HEAD)
        admin_text(a, 431, "request head too large\n");
}

static void admin_accept(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct admin_client *a = calloc(1, sizeof *a);
    struct timeval tv = {ADMIN_TIMEOUT_S, 0};

    (void)sa;
    (void)len;
    if (a == NULL || (a->bev = bufferevent_socket_new(
                          admin_base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
        free(a);
        close(fd);
        return;
    }
    bufferevent_setcb(a->bev, admin_read_cb, NULL, admin_event_cb, a);
    bufferevent_set_timeouts(a->bev, &tv, &tv);
    bufferevent_setwatermark(a->bev, EV_READ, 0, ADMIN_MAX_HEAD + 1);
    bufferevent_enable(a->bev, EV_READ);
}

static void admin_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    admin_last_beat = time(NULL);
}

int admin_setup(struct event_base *base, const char *addr, const char **cause)
{
    struct timeval tv = {1, 0};
    char unixaddr[512], bound[512];

    admin_base = base;
    if (addr[0] == '/') {
        snprintf(unixaddr, sizeof unixaddr, "unix:%s", addr);
        addr = unixaddr;
    }
    if (listener_add_to(base, addr, admin_accept, cause) != 0)
        return -1;
    listener_last_name(bound, sizeof bound); /* the port of port 0 */
    log_notice("admin (/metrics, /healthz, /readyz) on %s", bound);
    if (strncmp(addr, "unix:", 5) != 0 && strncmp(addr, "127.", 4) != 0 &&
        strncmp(addr, "[::1]:", 6) != 0 && strncmp(addr, "localhost:", 10) != 0)
        log_warn("admin: %s is not a loopback address; its answers are "
                 "unauthenticated (docs/observe.md)",
                 addr);
    admin_last_beat = time(NULL);
    admin_beat = event_new(base, -1, EV_PERSIST, admin_tick, NULL);
    if (admin_beat == NULL || event_add(admin_beat, &tv) != 0) {
        *cause = "out of memory";
        return -1;
    }
    return 0;
}

void admin_set_ready(int ready, const char *why)
{
    admin_ready = ready;
    admin_why = why ? why : "";
}

void admin_set_ui(const char *dir)
{
    char index[4096];

    admin_ui_dir = dir;
    snprintf(index, sizeof index, "%s/index.html", dir);
    if (access(index, R_OK) != 0)
        log_warn("admin: no %s: /admin-ui/ answers 404 (docs/admin-ui.md)",
                 index);
    else
        log_notice("admin: the Admin UI at /admin-ui/ (from %s)", dir);
}

void admin_shutdown(void)
{
    if (admin_beat != NULL) {
        event_free(admin_beat);
        admin_beat = NULL;
    }
}
