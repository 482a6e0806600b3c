/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* route_test: tags accepted and refused, ids of 20 characters with and
 * without a tag, their randomness, the tag read back from any id, and the
 * random names of letters and digits. */
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "t.h"

static int b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* 20 characters: the random ones base64url, then ".tag" when one is set. */
static void check_id(const char *tag)
{
    char id[21], other[21];
    size_t t = strlen(tag), n = t ? 19 - t : 20, i, tl = 0;
    const char *got;
    int ok = 1;

    route_new_id(id);
    route_new_id(other);
    CHECK(strlen(id) == 20);
    CHECK(strcmp(id, other) != 0);
    CHECK(n >= 16);
    for (i = 0; i < n; i++)
        ok = ok && b64url(id[i]);
    CHECK(ok);
    got = route_of(id, 20, &tl);
    if (t == 0) {
        CHECK(got == NULL);
    } else {
        CHECK(id[n] == '.');
        CHECK(got != NULL && tl == t && memcmp(got, tag, t) == 0);
    }
}

int main(void)
{
    const char *cause = NULL;
    size_t tl = 0;
    const char *p;
    int i;

    CHECK(strcmp(route_tag(), "") == 0);
    check_id("");
    CHECK(route_set("w1", &cause) == 0);
    CHECK(strcmp(route_tag(), "w1") == 0);
    for (i = 0; i < 100; i++)
        check_id("w1");
    CHECK(route_set("a", &cause) == 0);
    check_id("a");
    CHECK(route_set("Z9z", &cause) == 0);
    check_id("Z9z");

    /* Refused, and the tag is left as it was. */
    CHECK(route_set("abcd", &cause) == -1 && cause != NULL);
    CHECK(route_set("a.b", &cause) == -1);
    CHECK(route_set("a-", &cause) == -1);
    CHECK(route_set("\xc3\xa9", &cause) == -1);
    CHECK(route_set(" ", &cause) == -1);
    CHECK(strcmp(route_tag(), "Z9z") == 0);

    CHECK(route_set(NULL, &cause) == 0);
    CHECK(strcmp(route_tag(), "") == 0);
    check_id("");
    CHECK(route_set("", &cause) == 0);
    check_id("");

    /* Random names: letters and digits, as long as asked, NUL-ended. */
    {
        char a[33], b[33];
        size_t k;
        int alnum = 1;

        memset(a, '#', sizeof a);
        CHECK(route_random_name(a, 16) == 0 && a[16] == '\0');
        CHECK(route_random_name(b, 16) == 0 && strcmp(a, b) != 0);
        for (k = 0; k < 16; k++)
            alnum = alnum && b64url(a[k]) && a[k] != '-' && a[k] != '_';
        CHECK(alnum);
        CHECK(route_random_name(a, 6) == 0 && strlen(a) == 6);
        CHECK(route_random_name(a, 32) == 0 && strlen(a) == 32);
        CHECK(route_random_name(a, 0) == 0 && a[0] == '\0');
        CHECK(route_random_name(a, 33) == -1);
    }

    /* route_of on what clients send: anything. */
    CHECK(route_of("", 0, &tl) == NULL);
    CHECK(route_of(".", 1, &tl) == NULL);
    CHECK(route_of("abc.", 4, &tl) == NULL);
    CHECK(route_of("abcdef", 6, &tl) == NULL);
    p = route_of("a.b.c2", 6, &tl);
    CHECK(p != NULL && tl == 2 && memcmp(p, "c2", 2) == 0);
    p = route_of(".x", 2, &tl);
    CHECK(p != NULL && tl == 1 && *p == 'x');
    /* Only `len` bytes are read: the tag ends there. */
    p = route_of("abc.w1.w2", 6, &tl);
    CHECK(p != NULL && tl == 2 && memcmp(p, "w1", 2) == 0);
    return T_DONE();
}
