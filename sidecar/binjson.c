/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* binjson: {"_binary": base64} <-> Socket.IO attachment placeholders. */
#include "binjson.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "b64.h"
#include "buf.h"

void binjson_attach_free(struct binjson_attach *a)
{
    while (a->n > 0)
        frame_unref(a->f[--a->n]);
}

int binjson_extract(cJSON *node, struct binjson_attach *a, const char **why)
{
    cJSON *child, *b64;
    uint8_t *bytes;
    long n;

    if (cJSON_IsObject(node) && cJSON_GetArraySize(node) == 1 &&
        cJSON_IsString(b64 =
                           cJSON_GetObjectItemCaseSensitive(node, "_binary"))) {
        size_t len = strlen(b64->valuestring);
        if (a->n == BINJSON_MAX) {
            *why = "at most 64 binary values";
            return -1;
        }
        bytes = malloc(B64_DECODED_MAX(len) + 1);
        if (bytes == NULL ||
            (n = b64_decode(bytes, b64->valuestring, len)) < 0) {
            free(bytes);
            *why = "_binary is not base64";
            return -1;
        }
        a->f[a->n] = frame_new(bytes, (size_t)n);
        free(bytes);
        if (a->f[a->n] == NULL) {
            *why = "out of memory";
            return -1;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(node, "_binary");
        cJSON_AddTrueToObject(node, "_placeholder");
        cJSON_AddNumberToObject(node, "num", a->n++);
        return 0;
    }
    cJSON_ArrayForEach(child,
                       node) if (binjson_extract(child, a, why) != 0) return -1;
    return 0;
}

void binjson_insert(cJSON *node, struct frame *const *attach, unsigned n)
{
    cJSON *child, *num, *ph;
    struct buf b = BUF_INIT;

    if (cJSON_IsObject(node) &&
        cJSON_IsTrue(
            ph = cJSON_GetObjectItemCaseSensitive(node, "_placeholder")) &&
        cJSON_IsNumber(num = cJSON_GetObjectItemCaseSensitive(node, "num")) &&
        num->valuedouble >= 0 && num->valuedouble < n) {
        struct frame *f = attach[(unsigned)num->valuedouble];
        if (b64_encode(&b, f->data, f->len) == 0) {
            cJSON_DeleteItemFromObjectCaseSensitive(node, "_placeholder");
            cJSON_DeleteItemFromObjectCaseSensitive(node, "num");
            cJSON_AddStringToObject(node, "_binary", b.data ? b.data : "");
        }
        buf_free(&b);
        return;
    }
    cJSON_ArrayForEach(child, node) binjson_insert(child, attach, n);
}
