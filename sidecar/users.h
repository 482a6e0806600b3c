/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* users: app user ids: their validation, their reserved room, the channel
 * prefixes with presence events, and per-user tallies. */
#ifndef SOCKETIOD_USERS_H
#define SOCKETIOD_USERS_H

#include <stddef.h>
#include <stdint.h>

/* The longest user id the application may name, in bytes. */
#define USERS_MAX_NAME 256

/* The sockets of app user U are the members of the room USERS_ROOM_PREFIX
 * U of their namespace: the hub keeps one channel record per user (its
 * name stored once however many tabs), and an emit to a user is an emit
 * to that room, which the adapter protocol carries to every node of the
 * fleet as any room. No client, application or RPC join may name it. */
#define USERS_ROOM_PREFIX "socketiod:user:"
#define USERS_ROOM_PREFIX_LEN (sizeof USERS_ROOM_PREFIX - 1)
/* Room names: the prefix, a user id and the NUL. */
#define USERS_ROOM_MAX (USERS_ROOM_PREFIX_LEN + USERS_MAX_NAME + 1)

/* The refusal of a user id, with why (a static string). */
#define USERS_E_LENGTH "user ids are 1 to 256 bytes"
#define USERS_E_BYTES "user id with a control character or not UTF-8"

struct users_stats {
    uint64_t refused;         /* user ids refused (users_valid) */
    uint64_t presence_events; /* presence:join/leave emitted */
};

extern struct users_stats users_stats;

/* Checks the user id s[0..len) (len the bytes as received, so that a NUL
 * inside counts): 1 to USERS_MAX_NAME bytes, valid UTF-8, no control
 * character. Returns 1 when valid; 0 with *why, and counted, when not. */
int users_valid(const char *s, size_t len, const char **why);

/* Writes the room of user `user` (valid) into out[USERS_ROOM_MAX]. */
void users_room(char out[USERS_ROOM_MAX], const char *user);

/* The user id of room `room`, or NULL when it is no user's room. */
const char *users_of_room(const char *room);

/* Sets the channel prefixes whose joins and leaves make presence events:
 * `list` is comma-separated ("" or NULL: none; a lone "*": every
 * channel). Returns 0, or -1 with *why (an empty or over-long prefix). */
int users_set_presence(const char *list, const char **why);

/* 1 when joins and leaves of `channel` make presence events. */
int users_presence(const char *channel);

/* Distinct users and their socket counts, for the `presence` RPC: names
 * are borrowed (they must outlive the tally), at most `cap` users kept
 * (the others counted in `dropped`). */
struct users_tally_entry {
    const char *user;
    unsigned sockets;
};

struct users_tally {
    struct users_tally_entry *slots; /* open addressing, mask + 1 of them */
    size_t mask, count, cap;
    unsigned long anonymous; /* sockets without a user */
    unsigned long dropped;   /* sockets of users past `cap` */
};

/* Returns 0, or -1 when out of memory. */
int users_tally_init(struct users_tally *t, size_t cap);

/* Counts one socket of `user` (NULL: anonymous). */
void users_tally_add(struct users_tally *t, const char *user);

/* Visits each user with their count, in no particular order. */
void users_tally_each(const struct users_tally *t,
                      void (*cb)(void *arg, const char *user, unsigned n),
                      void *arg);

void users_tally_free(struct users_tally *t);

/* Frees the presence prefixes. */
void users_shutdown(void);

#endif
