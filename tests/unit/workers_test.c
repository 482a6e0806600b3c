/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* workers_test: %i in addresses, and a process that is no worker. */
#include <string.h>

#include "t.h"
#include "workers.h"

int main(void)
{
    char out[32];

    CHECK(workers_expand("127.0.0.1:81%i", 3, out, sizeof out) == 0);
    CHECK(strcmp(out, "127.0.0.1:813") == 0);
    CHECK(workers_expand("unix:/run/s/fcgi.%i", 12, out, sizeof out) == 0);
    CHECK(strcmp(out, "unix:/run/s/fcgi.12") == 0);
    CHECK(workers_expand("/a%i/b%i", 2, out, sizeof out) == 0);
    CHECK(strcmp(out, "/a2/b2") == 0);
    CHECK(workers_expand("no-per-worker:1", 5, out, sizeof out) == 0);
    CHECK(strcmp(out, "no-per-worker:1") == 0);
    /* A '%' not followed by 'i' stays. */
    CHECK(workers_expand("50%x%", 1, out, sizeof out) == 0);
    CHECK(strcmp(out, "50%x%") == 0);
    /* Exactly full, and one over. */
    CHECK(workers_expand("abc%i", 9, out, 5) == 0);
    CHECK(strcmp(out, "abc9") == 0);
    CHECK(workers_expand("abc%i", 10, out, 5) == -1);
    CHECK(workers_expand("abcde", 1, out, 5) == -1);
    CHECK(workers_expand("", 1, out, 1) == 0 && out[0] == '\0');

    CHECK(workers_per_worker("127.0.0.1:81%i"));
    CHECK(!workers_per_worker("127.0.0.1:81"));
    CHECK(!workers_per_worker(NULL));

    /* Not running --workers: nothing is inherited, no peer exists. */
    CHECK(workers_self() == 0);
    CHECK(workers_count() == 0);
    CHECK(workers_by_tag("w1", 2) == 0);
    CHECK(workers_peer_fd(1) == -1);
    CHECK(workers_inbox_fd() == -1);
    CHECK(workers_listen_fd('l', 0) == -1);
    CHECK(workers_rpc_fd() == -1);
    workers_ready(); /* nothing to tell */
    return T_DONE();
}
