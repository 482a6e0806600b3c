/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* idmap_test: unit tests of the string-keyed hash map (sidecar/idmap.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "t.h"

struct item {
    struct idmap_node node;
    char key[16];
};

/* An exact-size heap copy, so that ASan sees a read past `len`. */
static char *exact(const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);

    if (copy == NULL)
        abort();
    memcpy(copy, s, len);
    return copy;
}

static struct idmap_node *getn(struct idmap *m, const char *s, size_t len)
{
    char *copy = exact(s, len);
    struct idmap_node *n = idmap_getn(m, copy, len);

    free(copy);
    return n;
}

static void test_put_get_del(void)
{
    static struct item items[1000];
    struct idmap m;
    size_t i;

    CHECK(idmap_init(&m) == 0);
    for (i = 0; i < 1000; i++) {
        snprintf(items[i].key, sizeof items[i].key, "/n%zu", i);
        CHECK(idmap_put(&m, &items[i].node, items[i].key) == 0);
    }
    CHECK(m.count == 1000 && m.mask + 1 >= 1000); /* grown */
    for (i = 0; i < 1000; i++) {
        CHECK(idmap_get(&m, items[i].key) == &items[i].node);
        CHECK(getn(&m, items[i].key, strlen(items[i].key)) == &items[i].node);
    }
    CHECK(idmap_get(&m, "/n1000") == NULL);
    for (i = 0; i < 1000; i += 2)
        idmap_del(&m, &items[i].node);
    CHECK(m.count == 500);
    CHECK(idmap_get(&m, "/n0") == NULL && idmap_get(&m, "/n1") != NULL);
    idmap_free(&m);
}

static void test_getn_lengths(void)
{
    static struct item a = {.key = "/"}, b = {.key = "/ab"};
    struct idmap m;

    CHECK(idmap_init(&m) == 0);
    idmap_put(&m, &a.node, a.key);
    idmap_put(&m, &b.node, b.key);
    /* Prefixes and extensions of a key are other keys. */
    CHECK(getn(&m, "/ab", 1) == &a.node);
    CHECK(getn(&m, "/ab", 2) == NULL);
    CHECK(getn(&m, "/abc", 3) == &b.node);
    CHECK(getn(&m, "/abc", 4) == NULL);
    CHECK(getn(&m, "", 0) == NULL);
    /* A NUL inside the bytes matches no key: "/\0x" is not "/". */
    CHECK(getn(&m, "/\0x", 3) == NULL);
    CHECK(getn(&m, "/\0", 2) == NULL);
    idmap_free(&m);
}

int main(void)
{
    test_put_get_del();
    test_getn_lengths();
    return T_DONE();
}
