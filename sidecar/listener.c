/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* listener: the public TCP and Unix listening sockets. */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/listener.h>

#include "conn.h"
#include "log.h"

#define LISTENER_MAX 8

struct listener {
    struct evconnlistener *l;
    struct event resume;
    int tcp;
    listener_accept_fn accept;
};

static struct listener listener_all[LISTENER_MAX];
static int listener_n;

static void listener_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                               struct sockaddr *sa, int len, void *arg)
{
    struct listener *ls = arg;
    int one = 1;

    (void)l;
    if (ls->tcp)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ls->accept(fd, sa, (socklen_t)len);
}

static void listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct listener *ls = arg;

    (void)fd;
    (void)what;
    evconnlistener_enable(ls->l);
}

static void listener_error_cb(struct evconnlistener *l, void *arg)
{
    struct listener *ls = arg;
    struct timeval second = {1, 0};
    int err = EVUTIL_SOCKET_ERROR();

    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        /* Out of descriptors: spinning on accept would burn the loop. */
        log_warn("accept: %s; pausing accepts for a second", strerror(err));
        evconnlistener_disable(l);
        event_add(&ls->resume, &second);
        return;
    }
    log_info("accept: %s", strerror(err));
}

int listener_claim_path(const struct sockaddr_un *sun, const char **cause)
{
    struct stat st;
    int fd, live;

    if (lstat(sun->sun_path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return 0;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    live =
        fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
    if (fd >= 0)
        close(fd);
    if (live) {
        *cause = "in use by another running daemon";
        return -1;
    }
    unlink(sun->sun_path);
    return 0;
}

static int listener_open(const char *addr, int reuseport, int *tcp,
                         const char **cause)
{
    static char why[256];
    struct addrinfo hints, *res = NULL;
    struct sockaddr_un sun;
    char host[256], *port;
    int fd = -1, one = 1, rc;

    if (strncmp(addr, "unix:", 5) == 0) {
        *tcp = 0;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        if (strlen(addr + 5) >= sizeof sun.sun_path) {
            *cause = "unix socket path too long";
            return -1;
        }
        strcpy(sun.sun_path, addr + 5);
        if (listener_claim_path(&sun, cause) != 0)
            return -1;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
            goto fail;
        chmod(sun.sun_path, 0666);
        goto listen;
    }
    *tcp = 1;
    if (strlen(addr) >= sizeof host) {
        *cause = "address too long";
        return -1;
    }
    if (addr[0] == '[') {
        strcpy(host, addr + 1);
        port = strstr(host, "]:");
        if (port == NULL) {
            *cause = "want [V6]:PORT";
            return -1;
        }
        *port = '\0';
        port += 2;
    } else {
        strcpy(host, addr);
        port = strrchr(host, ':');
        if (port == NULL) {
            *cause = "want HOST:PORT";
            return -1;
        }
        *port++ = '\0';
    }
    /* getaddrinfo() takes "99999" and binds it modulo 65536. */
    if (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
        strlen(port) > 5 || atol(port) > 65535) {
        *cause = "the port is not a number from 0 to 65535";
        return -1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, sizeof why, "%s", gai_strerror(rc));
        *cause = why;
        return -1;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0);
    if (fd < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        goto fail;
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0)
        goto fail;
listen:
    if (listen(fd, 4096) != 0)
        goto fail;
    if (res != NULL)
        freeaddrinfo(res);
    return fd;
fail:
    snprintf(why, sizeof why, "%s", strerror(errno));
    *cause = why;
    if (fd >= 0)
        close(fd);
    if (res != NULL)
        freeaddrinfo(res);
    return -1;
}

static void listener_conn_new(int fd, const struct sockaddr *sa, socklen_t len)
{
    conn_new(fd, sa, len);
}

int listener_bind(const char *addr, int reuseport, const char **cause)
{
    int tcp;

    return listener_open(addr, reuseport, &tcp, cause);
}

int listener_add(struct event_base *base, const char *addr, const char **cause)
{
    return listener_add_to(base, addr, listener_conn_new, cause);
}

static int listener_watch(struct event_base *base, int fd, int tcp,
                          listener_accept_fn accept, const char **cause);

int listener_add_to(struct event_base *base, const char *addr,
                    listener_accept_fn accept, const char **cause)
{
    int fd, tcp;

    if (listener_n == LISTENER_MAX) {
        *cause = "too many listeners";
        return -1;
    }
    if ((fd = listener_open(addr, 0, &tcp, cause)) < 0)
        return -1;
    return listener_watch(base, fd, tcp, accept, cause);
}

int listener_add_fd(struct event_base *base, int fd, listener_accept_fn accept,
                    const char **cause)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    if (listener_n == LISTENER_MAX) {
        *cause = "too many listeners";
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        *cause = strerror(errno);
        return -1;
    }
    evutil_make_socket_nonblocking(fd);
    evutil_make_socket_closeonexec(fd);
    return listener_watch(base, fd,
                          ss.ss_family == AF_INET || ss.ss_family == AF_INET6,
                          accept != NULL ? accept : listener_conn_new, cause);
}

static int listener_watch(struct event_base *base, int fd, int tcp,
                          listener_accept_fn accept, const char **cause)
{
    struct listener *ls;

    ls = &listener_all[listener_n];
    ls->tcp = tcp;
    ls->accept = accept;
    /* Backlog 0: "already listening". -1 would make libevent listen()
     * again with 128, undoing the 4096 above (SYN drops under a burst). */
    ls->l = evconnlistener_new(base, listener_accept_cb, ls,
                               LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0,
                               fd);
    if (ls->l == NULL) {
        close(fd);
        *cause = "cannot watch the listening socket";
        return -1;
    }
    evconnlistener_set_error_cb(ls->l, listener_error_cb);
    evtimer_assign(&ls->resume, base, listener_resume_cb, ls);
    listener_n++;
    return 0;
}

void listener_fd_name(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    snprintf(buf, cap, "?");
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return;
    if (ss.ss_family == AF_UNIX) {
        snprintf(buf, cap, "unix:%s", ((struct sockaddr_un *)&ss)->sun_path);
        return;
    }
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(buf, cap, "%s:%u", host, port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(buf, cap, "[%s]:%u", host, port);
    }
}

void listener_last_name(char *buf, size_t cap)
{
    listener_fd_name(
        listener_n == 0 ? -1
                        : evconnlistener_get_fd(listener_all[listener_n - 1].l),
        buf, cap);
}

void listener_shutdown(void)
{
    while (listener_n > 0) {
        struct listener *ls = &listener_all[--listener_n];
        event_del(&ls->resume);
        evconnlistener_free(ls->l);
    }
}
