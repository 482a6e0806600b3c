/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* users_test: unit tests of app user ids, their rooms, presence prefixes
 * and tallies (sidecar/users.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "users.h"

static void test_valid(void)
{
    const char *why = NULL;
    char big[USERS_MAX_NAME + 2];
    uint64_t before = users_stats.refused;

    CHECK(users_valid("42", 2, &why) == 1);
    CHECK(users_valid("J\xc3\xa9r\xc3\xb4me", 8, &why) == 1);
    memset(big, 'a', sizeof big);
    CHECK(users_valid(big, USERS_MAX_NAME, &why) == 1);
    CHECK(users_valid(big, USERS_MAX_NAME + 1, &why) == 0);
    CHECK(strcmp(why, USERS_E_LENGTH) == 0);
    CHECK(users_valid("", 0, &why) == 0);
    CHECK(users_valid("a\0b", 3, &why) == 0);
    CHECK(strcmp(why, USERS_E_BYTES) == 0);
    CHECK(users_valid("a\nb", 3, &why) == 0);
    CHECK(users_valid("\xff\xfe", 2, &why) == 0);
    CHECK(users_valid("\xed\xa0\x80", 3, &why) == 0); /* a surrogate */
    CHECK(users_valid("\xc3", 1, &why) == 0);         /* cut short */
    CHECK(users_stats.refused == before + 7);
}

static void test_rooms(void)
{
    char room[USERS_ROOM_MAX], big[USERS_MAX_NAME + 1];

    users_room(room, "42");
    CHECK(strcmp(room, "socketiod:user:42") == 0);
    CHECK(strcmp(users_of_room(room), "42") == 0);
    CHECK(users_of_room("user:42") == NULL);
    CHECK(users_of_room("socketiod:use") == NULL);
    memset(big, 'b', USERS_MAX_NAME);
    big[USERS_MAX_NAME] = '\0';
    users_room(room, big);
    CHECK(strlen(room) == USERS_ROOM_PREFIX_LEN + USERS_MAX_NAME);
}

static void test_presence(void)
{
    const char *why = NULL;

    CHECK(users_presence("chat:1") == 0);
    CHECK(users_set_presence("chat:,doc/", &why) == 0);
    CHECK(users_presence("chat:1") == 1);
    CHECK(users_presence("doc/7") == 1);
    CHECK(users_presence("cha") == 0);
    CHECK(users_presence("news") == 0);
    CHECK(users_presence("socketiod:user:1") == 0);
    CHECK(users_set_presence("*", &why) == 0);
    CHECK(users_presence("news") == 1);
    CHECK(users_presence("socketiod:user:1") == 0); /* never its own rooms */
    CHECK(users_set_presence("a,,b", &why) == -1);
    CHECK(users_presence("a") == 0); /* a refused list leaves none */
    CHECK(users_set_presence("a\x01", &why) == -1);
    CHECK(users_set_presence("", &why) == 0);
    CHECK(users_presence("news") == 0);
    CHECK(users_set_presence(NULL, &why) == 0);
    users_shutdown();
}

struct seen {
    unsigned total, users;
    unsigned ann;
};

static void count(void *arg, const char *user, unsigned n)
{
    struct seen *s = arg;

    s->total += n;
    s->users++;
    if (strcmp(user, "ann") == 0)
        s->ann = n;
}

static void test_tally(void)
{
    struct users_tally t;
    struct seen s = {0, 0, 0};
    char names[3000][8];
    size_t i;

    CHECK(users_tally_init(&t, 1000) == 0);
    for (i = 0; i < 1000; i++)
        users_tally_add(&t, "ann"); /* 1,000 tabs: one entry */
    users_tally_add(&t, "bob");
    users_tally_add(&t, NULL);
    users_tally_each(&t, count, &s);
    CHECK(s.users == 2 && s.ann == 1000 && s.total == 1001);
    CHECK(t.anonymous == 1 && t.dropped == 0 && t.count == 2);
    users_tally_free(&t);

    /* Past the cap: counted, not kept. */
    CHECK(users_tally_init(&t, 100) == 0);
    for (i = 0; i < 3000; i++) {
        snprintf(names[i], sizeof names[i], "u%zu", i);
        users_tally_add(&t, names[i]);
    }
    CHECK(t.count == 100 && t.dropped == 2900);
    users_tally_add(&t, names[0]); /* a kept one still counts */
    memset(&s, 0, sizeof s);
    users_tally_each(&t, count, &s);
    CHECK(s.users == 100 && s.total == 101);
    users_tally_free(&t);
}

int main(void)
{
    test_valid();
    test_rooms();
    test_presence();
    test_tally();
    return T_DONE();
}
