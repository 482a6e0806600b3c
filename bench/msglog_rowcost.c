/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* msglog_rowcost: what one logged message costs the event loop's thread
 * (msglog_out: copy, time stamp, queue), with the writer thread running.
 * Built and run by bench/msglog-bench.sh against the build's library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msglog.h"

static double msglog_rowcost_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static const char json[] = "[\"tick\",12345,1795553126472525]";
    struct msglog_config c;
    struct msglog_stats st;
    struct timespec pause = {0, 200000};
    const char *cause;
    char path[] = "/tmp/msglog-rowcost-XXXXXX";
    int i, b, n = argc > 1 ? atoi(argv[1]) : 100000, fd = mkstemp(path);
    double busy = 0, t;

    if (fd < 0 || n < 500)
        return 2;
    close(fd);
    memset(&c, 0, sizeof c);
    c.format = "%(REMOTE_ADDR)s - - [%(TIME)s] \"Socket.IO message: "
               "%(MESSAGE)s\"";
    c.path = path;
    c.queue = MSGLOG_DEFAULT_QUEUE;
    if (msglog_setup(&c, &cause) != 0) {
        fprintf(stderr, "msglog_rowcost: %s\n", cause);
        return 1;
    }
    /* Bursts of 500, as pipelined RPC emits arrive, with pauses between. */
    for (b = 0; b < n / 500; b++) {
        t = msglog_rowcost_now();
        for (i = 0; i < 500; i++)
            msglog_out(MSGLOG_EMIT, 0, NULL, NULL, "/", "room", NULL, NULL, 10,
                       -1, json, sizeof json - 1, NULL, 0);
        busy += msglog_rowcost_now() - t;
        nanosleep(&pause, NULL);
    }
    t = msglog_rowcost_now();
    msglog_shutdown();
    msglog_get_stats(&st);
    printf("loop thread: %.0f ns per logged message (%d messages; %llu "
           "written, %llu dropped; writer drained the rest in %.2f s)\n",
           busy / (b * 500) * 1e9, b * 500, (unsigned long long)st.logged,
           (unsigned long long)st.dropped, msglog_rowcost_now() - t);
    unlink(path);
    return 0;
}
