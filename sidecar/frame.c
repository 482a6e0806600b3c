/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* frame: immutable refcounted bytes, encoded once and queued to many peers. */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

struct frame *frame_new2(const void *a, size_t alen, const void *b, size_t blen)
{
    struct frame *f;

    if (alen > UINT32_MAX || blen > UINT32_MAX - alen)
        return NULL;
    f = malloc(sizeof *f + alen + blen);
    if (f == NULL)
        return NULL;
    f->refs = 1;
    f->len = (uint32_t)(alen + blen);
    f->binary = 0;
    if (alen)
        memcpy(f->data, a, alen);
    if (blen)
        memcpy(f->data + alen, b, blen);
    return f;
}

struct frame *frame_new(const void *data, size_t len)
{
    return frame_new2(data, len, NULL, 0);
}

void frame_unref(struct frame *f)
{
    if (f != NULL && --f->refs == 0)
        free(f);
}
