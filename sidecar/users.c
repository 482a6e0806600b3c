/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* users: app user ids: their validation, their reserved room, the channel
 * prefixes with presence events, and per-user tallies. */
#include "users.h"

#include <stdlib.h>
#include <string.h>

#include "sio.h"

struct users_stats users_stats;

/* The --presence prefixes; users_all: "*", every channel. */
static char **users_prefixes;
static size_t users_nprefixes;
static int users_all;

int users_valid(const char *s, size_t len, const char **why)
{
    if (len == 0 || len > USERS_MAX_NAME) {
        users_stats.refused++;
        *why = USERS_E_LENGTH;
        return 0;
    }
    if (!sio_name_valid(s, len)) {
        users_stats.refused++;
        *why = USERS_E_BYTES;
        return 0;
    }
    return 1;
}

void users_room(char out[USERS_ROOM_MAX], const char *user)
{
    size_t n = strlen(user);

    if (n > USERS_MAX_NAME)
        n = USERS_MAX_NAME;
    memcpy(out, USERS_ROOM_PREFIX, USERS_ROOM_PREFIX_LEN);
    memcpy(out + USERS_ROOM_PREFIX_LEN, user, n);
    out[USERS_ROOM_PREFIX_LEN + n] = '\0';
}

const char *users_of_room(const char *room)
{
    return strncmp(room, USERS_ROOM_PREFIX, USERS_ROOM_PREFIX_LEN) == 0
               ? room + USERS_ROOM_PREFIX_LEN
               : NULL;
}

void users_shutdown(void)
{
    size_t i;

    for (i = 0; i < users_nprefixes; i++)
        free(users_prefixes[i]);
    free(users_prefixes);
    users_prefixes = NULL;
    users_nprefixes = 0;
    users_all = 0;
}

int users_set_presence(const char *list, const char **why)
{
    const char *p, *comma;
    size_t n;
    char **grown;

    users_shutdown();
    for (p = list; p != NULL && *p != '\0'; p = comma ? comma + 1 : NULL) {
        comma = strchr(p, ',');
        n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 1 && *p == '*') {
            users_all = 1;
            continue;
        }
        if (n == 0 || n > 1024 || !sio_name_valid(p, n)) {
            *why = "presence prefixes are 1 to 1024 bytes of UTF-8, "
                   "comma-separated";
            users_shutdown();
            return -1;
        }
        grown = realloc(users_prefixes,
                        (users_nprefixes + 1) * sizeof *users_prefixes);
        if (grown == NULL || (grown[users_nprefixes] = strndup(p, n)) == NULL) {
            if (grown != NULL)
                users_prefixes = grown;
            *why = "out of memory";
            users_shutdown();
            return -1;
        }
        users_prefixes = grown;
        users_nprefixes++;
    }
    return 0;
}

int users_presence(const char *channel)
{
    size_t i;

    if (users_of_room(channel) != NULL)
        return 0;
    if (users_all)
        return 1;
    for (i = 0; i < users_nprefixes; i++)
        if (strncmp(channel, users_prefixes[i], strlen(users_prefixes[i])) == 0)
            return 1;
    return 0;
}

/* ---- tallies ---- */

/* FNV-1a: the names are the app's, not the client's, and a tally lives
 * for one RPC call. */
static size_t users_hash(const char *s)
{
    size_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int users_tally_init(struct users_tally *t, size_t cap)
{
    size_t n = 16;

    memset(t, 0, sizeof *t);
    while (n < 2 * cap && n < (1u << 20))
        n *= 2;
    if ((t->slots = calloc(n, sizeof *t->slots)) == NULL)
        return -1;
    t->mask = n - 1;
    t->cap = cap < n / 2 ? cap : n / 2;
    return 0;
}

void users_tally_add(struct users_tally *t, const char *user)
{
    size_t i;

    if (user == NULL) {
        t->anonymous++;
        return;
    }
    for (i = users_hash(user) & t->mask; t->slots[i].user != NULL;
         i = (i + 1) & t->mask)
        if (strcmp(t->slots[i].user, user) == 0) {
            t->slots[i].sockets++;
            return;
        }
    if (t->count >= t->cap) {
        t->dropped++;
        return;
    }
    t->slots[i].user = user;
    t->slots[i].sockets = 1;
    t->count++;
}

void users_tally_each(const struct users_tally *t,
                      void (*cb)(void *arg, const char *user, unsigned n),
                      void *arg)
{
    size_t i;

    for (i = 0; i <= t->mask; i++)
        if (t->slots[i].user != NULL)
            cb(arg, t->slots[i].user, t->slots[i].sockets);
}

void users_tally_free(struct users_tally *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}
