/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* route: this node's route tag and the ids that carry it. */
#ifndef SOCKETIOD_ROUTE_H
#define SOCKETIOD_ROUTE_H

#include <stddef.h>

/* Longest tag: a 20-character id keeps 16 random characters (96 bits). */
#define ROUTE_MAX_TAG 3

/* Sets the tag every new id carries: 1 to ROUTE_MAX_TAG characters of
 * [A-Za-z0-9]; NULL or "" for none. Returns 0, or -1 with *cause (the tag
 * is unchanged). */
int route_set(const char *tag, const char **cause);

/* The tag set, "" when none. */
const char *route_tag(void);

/* A new Engine.IO sid or socket id: 20 characters of random base64url, or,
 * with a tag, `<random>.<tag>` (still 20 characters, at least 16 of them
 * random), and a NUL. Aborts when the random generator fails (no id is
 * better than a guessable one). */
void route_new_id(char id[21]);

/* Writes `n` (at most 32) random letters and digits and a NUL into out:
 * the names other nodes see (node uid, request ids, a service's id), which
 * need to be unique, not secret. Returns 0, or -1 when the random
 * generator fails. */
int route_random_name(char *out, size_t n);

/* The tag of `id` (`len` bytes): what follows its last '.', with its length
 * in *tag_len; NULL when the id has no '.' or nothing after it. Any id a
 * client sends comes here: nothing is assumed about its characters. */
const char *route_of(const char *id, size_t len, size_t *tag_len);

#endif
