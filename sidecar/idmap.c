/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* idmap: intrusive hash map from NUL-terminated string keys to nodes. */
#include "idmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

/* Channel names come from clients, so the hash is keyed with a random seed
 * to keep crafted names from piling into one bucket. */
static uint64_t idmap_seed;

static size_t idmap_hash(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL ^ idmap_seed;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 29;
    return (size_t)h;
}

int idmap_init(struct idmap *m)
{
    if (idmap_seed == 0 &&
        RAND_bytes((unsigned char *)&idmap_seed, sizeof idmap_seed) != 1)
        idmap_seed = (uint64_t)(uintptr_t)m ^ 0x9e3779b97f4a7c15ULL;
    m->buckets = calloc(16, sizeof *m->buckets);
    if (m->buckets == NULL)
        return -1;
    m->mask = 15;
    m->count = 0;
    return 0;
}

static int idmap_grow(struct idmap *m)
{
    size_t n = (m->mask + 1) * 2, i;
    struct idmap_node **nb = calloc(n, sizeof *nb), *node, *next;

    if (nb == NULL)
        return -1;
    for (i = 0; i <= m->mask; i++) {
        for (node = m->buckets[i]; node != NULL; node = next) {
            next = node->next;
            node->next = nb[node->hash & (n - 1)];
            nb[node->hash & (n - 1)] = node;
        }
    }
    free(m->buckets);
    m->buckets = nb;
    m->mask = n - 1;
    return 0;
}

int idmap_put(struct idmap *m, struct idmap_node *node, const char *key)
{
    size_t b;

    node->key = key;
    node->hash = idmap_hash(key, strlen(key));
    b = node->hash & m->mask;
    node->next = m->buckets[b];
    m->buckets[b] = node;
    m->count++;
    if (m->count > m->mask + 1)
        return idmap_grow(m);
    return 0;
}

struct idmap_node *idmap_get(const struct idmap *m, const char *key)
{
    return idmap_getn(m, key, strlen(key));
}

struct idmap_node *idmap_getn(const struct idmap *m, const char *key,
                              size_t len)
{
    size_t h = idmap_hash(key, len);
    struct idmap_node *node;

    /* strnlen first: memcmp must not run past a shorter key's end. */
    for (node = m->buckets[h & m->mask]; node != NULL; node = node->next)
        if (node->hash == h && strnlen(node->key, len + 1) == len &&
            memcmp(node->key, key, len) == 0)
            return node;
    return NULL;
}

void idmap_del(struct idmap *m, struct idmap_node *node)
{
    struct idmap_node **pp = &m->buckets[node->hash & m->mask];

    while (*pp != NULL && *pp != node)
        pp = &(*pp)->next;
    if (*pp == node) {
        *pp = node->next;
        m->count--;
    }
    node->next = NULL;
}

void idmap_free(struct idmap *m)
{
    free(m->buckets);
    m->buckets = NULL;
    m->mask = 0;
    m->count = 0;
}
