/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include "redis.h"
#include "t.h"

static void test_url(void)
{
    struct redis_url u;
    const char *cause = NULL;

    CHECK(redis_url_parse("redis://127.0.0.1", &u, &cause) == 0 &&
          strcmp(u.host, "127.0.0.1") == 0 && u.port == 6379 && u.db == 0 &&
          u.user[0] == '\0' && u.pass[0] == '\0' && u.path[0] == '\0');
    CHECK(redis_url_parse("redis://ann:p%40ss:w@r.example:6390/3", &u,
                          &cause) == 0 &&
          strcmp(u.user, "ann") == 0 && strcmp(u.pass, "p@ss:w") == 0 &&
          strcmp(u.host, "r.example") == 0 && u.port == 6390 && u.db == 3);
    CHECK(redis_url_parse("redis://:secret@h:1/", &u, &cause) == 0 &&
          u.user[0] == '\0' && strcmp(u.pass, "secret") == 0 && u.port == 1);
    CHECK(redis_url_parse("redis://[::1]:7000/2", &u, &cause) == 0 &&
          strcmp(u.host, "::1") == 0 && u.port == 7000 && u.db == 2);
    CHECK(redis_url_parse("unix:///run/redis/redis.sock?db=5", &u, &cause) ==
              0 &&
          strcmp(u.path, "/run/redis/redis.sock") == 0 && u.db == 5);
    CHECK(redis_url_parse("unix://u:pw@/tmp/r.sock", &u, &cause) == 0 &&
          strcmp(u.user, "u") == 0 && strcmp(u.pass, "pw") == 0 &&
          strcmp(u.path, "/tmp/r.sock") == 0);
    /* Refused, and the cause never holds the password. */
    CHECK(redis_url_parse("http://h", &u, &cause) == -1);
    CHECK(redis_url_parse("redis://h:0", &u, &cause) == -1);
    CHECK(redis_url_parse("redis://u:secret@h:65536", &u, &cause) == -1 &&
          strstr(cause, "secret") == NULL);
    CHECK(redis_url_parse("redis://h/x", &u, &cause) == -1);
    CHECK(redis_url_parse("redis://", &u, &cause) == -1);
    CHECK(redis_url_parse("redis://u:%zz@h", &u, &cause) == -1);
    CHECK(redis_url_parse("redis://u:%00@h", &u, &cause) == -1);
    CHECK(redis_url_parse("redis://[::1", &u, &cause) == -1);
    CHECK(redis_url_parse("unix://relative.sock", &u, &cause) == -1);
    CHECK(redis_url_parse("unix:///r.sock?x=1", &u, &cause) == -1);
}

int main(void)
{
    test_url();
    return T_DONE();
}
