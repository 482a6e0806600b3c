/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* handoff: a connection's fd and its unparsed bytes, sent to and received
 * from another worker as one SEQPACKET record. */
#include "handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

struct handoff_stats handoff_stats;

static const uint8_t handoff_magic[4] = {'S', 'I', 'O', 'h'};

/* One record at its largest, plus a byte so an oversized one shows as
 * MSG_TRUNC rather than fitting exactly. */
static uint8_t handoff_rbuf[HANDOFF_HEAD + HANDOFF_MAX_CARRY + 1];

/* Room for a few descriptors: a record is refused when it brings more than
 * one, and those that fit here are closed; the kernel drops any beyond
 * (MSG_CTRUNC) without installing them. */
#define HANDOFF_MAX_FDS 4

static struct event *handoff_ev;
static void (*handoff_adopt)(int fd, const char *data, size_t len);

void handoff_encode_head(uint8_t head[HANDOFF_HEAD], uint32_t len)
{
    memcpy(head, handoff_magic, 4);
    head[4] = HANDOFF_VERSION;
    head[5] = head[6] = head[7] = 0;
    head[8] = (uint8_t)(len >> 24);
    head[9] = (uint8_t)(len >> 16);
    head[10] = (uint8_t)(len >> 8);
    head[11] = (uint8_t)len;
}

int handoff_parse(const uint8_t *rec, size_t n, size_t *len)
{
    uint32_t l;

    if (n < HANDOFF_HEAD || memcmp(rec, handoff_magic, 4) != 0 ||
        rec[4] != HANDOFF_VERSION || rec[5] != 0 || rec[6] != 0 || rec[7] != 0)
        return -1;
    l = (uint32_t)rec[8] << 24 | (uint32_t)rec[9] << 16 |
        (uint32_t)rec[10] << 8 | rec[11];
    if (l > HANDOFF_MAX_CARRY || (size_t)l != n - HANDOFF_HEAD)
        return -1;
    *len = l;
    return 0;
}

int handoff_send(int peer, int fd, const char *data, size_t len,
                 const char **cause)
{
    uint8_t head[HANDOFF_HEAD];
    struct iovec iov[2];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg;
    struct cmsghdr *cm;

    if (len > HANDOFF_MAX_CARRY) {
        *cause = "more unparsed input than a record carries";
        return -1;
    }
    handoff_encode_head(head, (uint32_t)len);
    iov[0].iov_base = head;
    iov[0].iov_len = sizeof head;
    iov[1].iov_base = (void *)data;
    iov[1].iov_len = len;
    memset(&msg, 0, sizeof msg);
    memset(&ctl, 0, sizeof ctl);
    msg.msg_iov = iov;
    msg.msg_iovlen = len ? 2 : 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    /* MSG_NOSIGNAL: a receiving end closed by every holder is an error
     * here, not a SIGPIPE. */
    if (sendmsg(peer, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        *cause = strerror(errno);
        return -1;
    }
    return 0;
}

/* Closes every descriptor the control data of `msg` brought; returns how
 * many there were, the only one in *fd. */
static int handoff_fds(struct msghdr *msg, int *fd)
{
    struct cmsghdr *cm;
    int n = 0, one;
    size_t i, k;

    *fd = -1;
    for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len < CMSG_LEN(0))
            continue;
        k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < k; i++) {
            memcpy(&one, CMSG_DATA(cm) + i * sizeof(int), sizeof one);
            if (n++ == 0)
                *fd = one;
            else
                close(one);
        }
    }
    if (n > 1) {
        close(*fd);
        *fd = -1;
    }
    return n;
}

/* 1 when `fd` is a stream socket we can read without blocking (made so
 * when it was not: a record is not trusted to bring what it should). */
static int handoff_usable(int fd)
{
    int type = 0, fl;
    socklen_t tl = sizeof type;

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
        type != SOCK_STREAM)
        return 0;
    fl = fcntl(fd, F_GETFL);
    return fl >= 0 &&
           ((fl & O_NONBLOCK) || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
}

/* 1 when the sending side of `inbox` is gone (a read of 0 is then the end,
 * not an empty record). */
static int handoff_hung_up(int inbox)
{
    struct pollfd p = {inbox, POLLIN, 0};

    return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0;
}

int handoff_receive(int inbox, int max,
                    void (*adopt)(int fd, const char *data, size_t len))
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(HANDOFF_MAX_FDS * sizeof(int))];
    } ctl;
    struct iovec iov;
    struct msghdr msg;
    ssize_t n;
    size_t len;
    int fd, nfd, got = 0;

    while (got < max) {
        iov.iov_base = handoff_rbuf;
        iov.iov_len = sizeof handoff_rbuf;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        n = recvmsg(inbox, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* Out of kernel memory: the record stays for the next wake. */
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOMEM ||
                errno == ENOBUFS)
                break;
            log_warn("handoff: recvmsg: %s", strerror(errno));
            return got ? got : -1;
        }
        nfd = handoff_fds(&msg, &fd);
        if (n == 0 && nfd == 0 && handoff_hung_up(inbox))
            return got ? got : -1;
        got++;
        if (nfd != 1 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
            handoff_parse(handoff_rbuf, (size_t)n, &len) != 0 ||
            !handoff_usable(fd)) {
            if (fd >= 0)
                close(fd);
            handoff_stats.bad++;
            log_info("handoff: a bad record (%zd bytes, %d fds), dropped", n,
                     nfd);
            continue;
        }
        handoff_stats.received++;
        adopt(fd, (const char *)handoff_rbuf + HANDOFF_HEAD, len);
    }
    return got;
}

/* Records waiting are taken a batch at a time, so a burst of hand-offs
 * shares the loop with the connections already here. */
#define HANDOFF_BATCH 64

static void handoff_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (handoff_receive(fd, HANDOFF_BATCH, handoff_adopt) < 0) {
        log_warn("handoff: inbox closed, no more hand-offs arrive");
        handoff_stop();
    }
}

int handoff_listen(struct event_base *base, int inbox,
                   void (*adopt)(int fd, const char *data, size_t len),
                   const char **cause)
{
    handoff_adopt = adopt;
    handoff_ev =
        event_new(base, inbox, EV_READ | EV_PERSIST, handoff_read_cb, NULL);
    if (handoff_ev == NULL || event_add(handoff_ev, NULL) != 0) {
        *cause = "cannot watch the hand-off inbox";
        handoff_stop();
        return -1;
    }
    return 0;
}

void handoff_stop(void)
{
    if (handoff_ev != NULL) {
        event_free(handoff_ev);
        handoff_ev = NULL;
    }
}
