/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* binjson: binary values in the JSON apps see ({"_binary": base64}, for the
 * control RPC and the upstream) <-> Socket.IO's attachment placeholders. */
#ifndef SOCKETIOD_BINJSON_H
#define SOCKETIOD_BINJSON_H

#include "frame.h"
#include "sio.h"

struct cJSON;

#define BINJSON_MAX SIO_MAX_ATTACHMENTS

/* Binary values a message carries, in placeholder order. */
struct binjson_attach {
    struct frame *f[BINJSON_MAX];
    unsigned n;
};

void binjson_attach_free(struct binjson_attach *a);

/* Replaces every {"_binary": base64} in `node` with Socket.IO's
 * {"_placeholder": true, "num": n}, appending the bytes to `a`. Returns 0,
 * or -1 with *why (not base64, more than BINJSON_MAX, no memory). */
int binjson_extract(struct cJSON *node, struct binjson_attach *a,
                    const char **why);

/* The reverse: placeholders numbered below `n` become {"_binary": ...}. */
void binjson_insert(struct cJSON *node, struct frame *const *attach,
                    unsigned n);

#endif
