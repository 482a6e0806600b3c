/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* route: this node's route tag and the ids that carry it. */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

static char route_current[ROUTE_MAX_TAG + 1];

int route_set(const char *tag, const char **cause)
{
    size_t i, n = tag != NULL ? strlen(tag) : 0;

    if (n > ROUTE_MAX_TAG) {
        *cause = "a route tag has at most 3 characters";
        return -1;
    }
    for (i = 0; i < n; i++)
        if (!((tag[i] >= 'A' && tag[i] <= 'Z') ||
              (tag[i] >= 'a' && tag[i] <= 'z') ||
              (tag[i] >= '0' && tag[i] <= '9'))) {
            *cause = "a route tag has only letters A-Z, a-z and digits";
            return -1;
        }
    memcpy(route_current, tag != NULL ? tag : "", n);
    route_current[n] = '\0';
    return 0;
}

const char *route_tag(void) { return route_current; }

void route_new_id(char id[21])
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[20];
    size_t t = strlen(route_current), n = t ? 20 - 1 - t : 20, i;

    if (RAND_bytes(r, (int)n) != 1)
        abort();
    for (i = 0; i < n; i++)
        id[i] = abc[r[i] & 63];
    if (t) {
        id[n] = '.';
        memcpy(id + n + 1, route_current, t);
    }
    id[20] = '\0';
}

int route_random_name(char *out, size_t n)
{
    static const char alnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[32];
    size_t i;

    if (n > sizeof r || RAND_bytes(r, (int)n) != 1)
        return -1;
    for (i = 0; i < n; i++)
        out[i] = alnum[r[i] % 62];
    out[n] = '\0';
    return 0;
}

const char *route_of(const char *id, size_t len, size_t *tag_len)
{
    size_t i = len;

    while (i > 0 && id[i - 1] != '.')
        i--;
    if (i == 0 || i == len)
        return NULL;
    *tag_len = len - i;
    return id + i;
}
