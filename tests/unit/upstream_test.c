/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upstream_test: --upstream URLs and the request signature. */
#include <string.h>

#include "t.h"
#include "upstream.h"

static void test_urls(void)
{
    struct upstream_url u;
    const char *cause;

    CHECK(upstream_parse_url("http://127.0.0.1:8000/socketio/events", &u,
                             &cause) == 0);
    CHECK(u.proto == UPSTREAM_HTTP && !u.is_unix);
    CHECK(strcmp(u.host, "127.0.0.1") == 0 && strcmp(u.port, "8000") == 0);
    CHECK(strcmp(u.path, "/socketio/events") == 0);
    CHECK(upstream_parse_url("fcgi://[::1]:9000", &u, &cause) == 0);
    CHECK(u.proto == UPSTREAM_FCGI && strcmp(u.host, "::1") == 0 &&
          strcmp(u.port, "9000") == 0 && strcmp(u.path, "/") == 0);
    CHECK(upstream_parse_url("scgi+unix:/run/app.sock:/ev", &u, &cause) == 0);
    CHECK(u.proto == UPSTREAM_SCGI && u.is_unix);
    CHECK(strcmp(u.sock, "/run/app.sock") == 0 && strcmp(u.path, "/ev") == 0);
    CHECK(upstream_parse_url("http+unix:/tmp/a.sock", &u, &cause) == 0);
    CHECK(strcmp(u.sock, "/tmp/a.sock") == 0 && strcmp(u.path, "/") == 0);
    CHECK(upstream_parse_url("fcgi+unix:/x.sock:/p", &u, &cause) == 0);

    CHECK(upstream_parse_url("https://h:1/", &u, &cause) == -1);
    CHECK(upstream_parse_url("http://host/", &u, &cause) == -1);
    CHECK(upstream_parse_url("http://host:80x/", &u, &cause) == -1);
    CHECK(upstream_parse_url("http://:80/", &u, &cause) == -1);
    CHECK(upstream_parse_url("http+unix:rel.sock", &u, &cause) == -1);
    CHECK(upstream_parse_url("http://h:1/a b", &u, &cause) == -1);
}

static void test_sign(void)
{
    char sig[160];

    CHECK(upstream_sign("k3y", 3, 1700000000L, "{\"a\":1}", 7, sig,
                        sizeof sig) == 0);
    CHECK(strcmp(sig, "t=1700000000,v1=fd5a70e965043f7df6309c2c3b5ff5a8ffa9"
                      "9b1f5175e9a311459e73c4634d4a") == 0);
    CHECK(upstream_sign("k3y", 3, 1, "", 0, sig, 20) == -1);
}

int main(void)
{
    test_urls();
    test_sign();
    return T_DONE();
}
