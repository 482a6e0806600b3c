/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* handoff_test: records through socketpairs in one process: the fd and the
 * bytes arrive, bad records are counted and leak no descriptor. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "handoff.h"
#include "t.h"

static int adopted_fd = -1;
static char adopted[256];
static size_t adopted_len;
static int adopted_n;

static void adopt(int fd, const char *data, size_t len)
{
    adopted_fd = fd;
    adopted_len = len < sizeof adopted ? len : sizeof adopted;
    memcpy(adopted, data, adopted_len);
    adopted_n++;
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own */
}

/* Sends a raw record with `nfds` descriptors. */
static void send_raw(int peer, const void *rec, size_t len, const int *fds,
                     int nfds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    struct iovec iov = {(void *)rec, len};
    struct msghdr msg;
    struct cmsghdr *cm;

    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
    }
    CHECK(sendmsg(peer, &msg, 0) == (ssize_t)len);
}

static void test_parse(void)
{
    uint8_t rec[HANDOFF_HEAD + 5];
    size_t len = 99;

    handoff_encode_head(rec, 5);
    memcpy(rec + HANDOFF_HEAD, "hello", 5);
    CHECK(handoff_parse(rec, sizeof rec, &len) == 0 && len == 5);
    CHECK(handoff_parse(rec, HANDOFF_HEAD, &len) == -1); /* truncated */
    CHECK(handoff_parse(rec, HANDOFF_HEAD - 1, &len) == -1);
    CHECK(handoff_parse(rec, 0, &len) == -1);
    handoff_encode_head(rec, 0);
    CHECK(handoff_parse(rec, HANDOFF_HEAD, &len) == 0 && len == 0);
    CHECK(handoff_parse(rec, sizeof rec, &len) == -1); /* trailing bytes */
    rec[0] = 'X';
    CHECK(handoff_parse(rec, HANDOFF_HEAD, &len) == -1);
    handoff_encode_head(rec, 0);
    rec[4] = 2;
    CHECK(handoff_parse(rec, HANDOFF_HEAD, &len) == -1);
    handoff_encode_head(rec, 0);
    rec[6] = 1;
    CHECK(handoff_parse(rec, HANDOFF_HEAD, &len) == -1);
    handoff_encode_head(rec, HANDOFF_MAX_CARRY + 1);
    CHECK(handoff_parse(rec, HANDOFF_HEAD, &len) == -1);
    handoff_encode_head(rec, 0xffffffffu);
    CHECK(handoff_parse(rec, HANDOFF_HEAD, &len) == -1);
}

/* The connection and its bytes arrive; it outlives the sender's copy. */
static void test_round_trip(int inbox[2])
{
    int conn[2], before = open_fds();
    const char req[] = "GET /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1"
                       "\r\n\r\n";
    const char *cause = NULL;
    char got[8];

    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, conn) == 0);
    CHECK(handoff_send(inbox[0], conn[0], req, sizeof req - 1, &cause) == 0);
    close(conn[0]); /* the sender forgets it */
    adopted_n = 0;
    CHECK(handoff_receive(inbox[1], 8, adopt) == 1);
    CHECK(adopted_n == 1 && adopted_fd >= 0);
    CHECK_MEM(adopted, adopted_len, req, sizeof req - 1);
    CHECK(fcntl(adopted_fd, F_GETFD) & FD_CLOEXEC);
    CHECK(write(conn[1], "ping", 4) == 4);
    CHECK(read(adopted_fd, got, sizeof got) == 4 &&
          memcmp(got, "ping", 4) == 0);
    CHECK(write(adopted_fd, "pong", 4) == 4);
    CHECK(read(conn[1], got, sizeof got) == 4 && memcmp(got, "pong", 4) == 0);
    close(adopted_fd);
    CHECK(read(conn[1], got, sizeof got) == 0); /* now it ends */
    close(conn[1]);
    CHECK(open_fds() == before);
    /* Nothing more waits. */
    CHECK(handoff_receive(inbox[1], 8, adopt) == 0);
}

/* A blocking socket is made non-blocking; no bytes is a valid carry. */
static void test_blocking_empty(int inbox[2])
{
    int conn[2];
    const char *cause = NULL;

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, conn) == 0);
    CHECK(handoff_send(inbox[0], conn[0], "", 0, &cause) == 0);
    close(conn[0]);
    adopted_n = 0;
    CHECK(handoff_receive(inbox[1], 8, adopt) == 1 && adopted_n == 1);
    CHECK(adopted_len == 0);
    CHECK(fcntl(adopted_fd, F_GETFL) & O_NONBLOCK);
    close(adopted_fd);
    close(conn[1]);
}

/* Every bad record is counted, adopts nothing and leaks no descriptor. */
static void test_bad_records(int inbox[2])
{
    int conn[2], pipefd[2], fds[3], before;
    uint8_t rec[HANDOFF_HEAD + 4];
    uint64_t bad = handoff_stats.bad;
    char *big;

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, conn) == 0);
    CHECK(pipe(pipefd) == 0);
    before = open_fds();
    adopted_n = 0;

    handoff_encode_head(rec, 4);
    memcpy(rec + HANDOFF_HEAD, "abcd", 4);
    send_raw(inbox[0], rec, sizeof rec, NULL, 0);     /* no fd */
    send_raw(inbox[0], rec, sizeof rec - 1, conn, 1); /* truncated */
    send_raw(inbox[0], rec, 3, conn, 1);              /* shorter than a head */
    fds[0] = conn[0];
    fds[1] = conn[1];
    fds[2] = pipefd[0];
    send_raw(inbox[0], rec, sizeof rec, fds, 2);    /* two fds */
    send_raw(inbox[0], rec, sizeof rec, fds, 3);    /* three */
    send_raw(inbox[0], rec, sizeof rec, pipefd, 1); /* not a socket */
    send_raw(inbox[0], "", 0, conn, 1);             /* empty record */
    send_raw(inbox[0], "", 0, NULL, 0);             /* empty, no fd */
    CHECK(handoff_receive(inbox[1], 100, adopt) == 8);
    CHECK(adopted_n == 0);
    CHECK(handoff_stats.bad - bad == 8);
    CHECK(open_fds() == before);

    /* Larger than any record: truncated on arrival. */
    big = calloc(1, HANDOFF_HEAD + HANDOFF_MAX_CARRY + 16);
    handoff_encode_head((uint8_t *)big, HANDOFF_MAX_CARRY + 16);
    send_raw(inbox[0], big, HANDOFF_HEAD + HANDOFF_MAX_CARRY + 16, conn, 1);
    CHECK(handoff_receive(inbox[1], 100, adopt) == 1 && adopted_n == 0);
    CHECK(open_fds() == before);
    free(big);

    /* The batch limit leaves the rest for the next call. */
    send_raw(inbox[0], rec, sizeof rec, NULL, 0);
    send_raw(inbox[0], rec, sizeof rec, NULL, 0);
    CHECK(handoff_receive(inbox[1], 1, adopt) == 1);
    CHECK(handoff_receive(inbox[1], 1, adopt) == 1);
    CHECK(handoff_receive(inbox[1], 1, adopt) == 0);

    close(conn[0]);
    close(conn[1]);
    close(pipefd[0]);
    close(pipefd[1]);
}

static void adopt_and_close(int fd, const char *data, size_t len)
{
    (void)data;
    (void)len;
    close(fd);
    adopted_n++;
}

/* A send that cannot go returns -1 and leaves the fd to the caller. */
static void test_send_fails(int inbox[2])
{
    int conn[2], before, sent = 0;
    const char *cause = NULL;
    static char big[HANDOFF_MAX_CARRY + 1];

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, conn) == 0);
    before = open_fds();
    CHECK(handoff_send(inbox[0], conn[0], big, sizeof big, &cause) == -1);
    CHECK(cause != NULL);
    /* Fill the inbox until EAGAIN. */
    cause = NULL;
    while (sent < 100000 &&
           handoff_send(inbox[0], conn[0], big, 4096, &cause) == 0)
        sent++;
    CHECK(sent > 0 && cause != NULL);
    adopted_n = 0;
    CHECK(handoff_receive(inbox[1], sent + 10, adopt_and_close) == sent);
    CHECK(adopted_n == sent);
    CHECK(open_fds() == before);
    close(conn[0]);
    close(conn[1]);
}

/* The sending side gone: the inbox reports the end. */
static void test_hang_up(int inbox[2])
{
    const char *cause = NULL;
    int conn[2];

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, conn) == 0);
    close(inbox[0]);
    CHECK(handoff_receive(inbox[1], 8, adopt) == -1);
    CHECK(handoff_send(inbox[1], conn[0], "x", 1, &cause) == -1);
    close(inbox[1]);
    close(conn[0]);
    close(conn[1]);
}

int main(void)
{
    int inbox[2];

    test_parse();
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, inbox) != 0)
        return 1;
    test_round_trip(inbox);
    test_blocking_empty(inbox);
    test_bad_records(inbox);
    test_send_fails(inbox);
    test_hang_up(inbox);
    return T_DONE();
}
