/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* idmap: intrusive hash map from NUL-terminated string keys to nodes. */
#ifndef SOCKETIOD_IDMAP_H
#define SOCKETIOD_IDMAP_H

#include <stddef.h>

/* Embedded in the owner; `key` points into the owner and must outlive the
 * node's membership. */
struct idmap_node {
    struct idmap_node *next;
    const char *key;
    size_t hash;
};

struct idmap {
    struct idmap_node **buckets;
    size_t mask;
    size_t count;
};

/* An empty map. Returns 0, or -1 out of memory. */
int idmap_init(struct idmap *m);

/* Inserts `node` under `key` (the caller ensures the key is not present).
 * Returns 0, or -1 out of memory (only when growing fails; the node is still
 * inserted then, in the smaller table). */
int idmap_put(struct idmap *m, struct idmap_node *node, const char *key);

/* The node with `key`, or NULL. */
struct idmap_node *idmap_get(const struct idmap *m, const char *key);

/* The node whose key is the `len` bytes at `key` (not NUL-terminated; a
 * NUL among them matches no key), or NULL. */
struct idmap_node *idmap_getn(const struct idmap *m, const char *key,
                              size_t len);

/* Unlinks `node`, which must be in the map. */
void idmap_del(struct idmap *m, struct idmap_node *node);

/* Frees the table (not the nodes). */
void idmap_free(struct idmap *m);

#endif
