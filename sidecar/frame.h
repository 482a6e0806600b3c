/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* frame: immutable refcounted bytes, encoded once and queued to many peers. */
#ifndef SOCKETIOD_FRAME_H
#define SOCKETIOD_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* A broadcast is encoded once per wire form and every receiver's output
 * queue holds a reference, so fan-out costs no copy per receiver. */
struct frame {
    uint32_t refs;
    uint32_t len;
    uint8_t binary; /* for Engine.IO packets: a binary message */
    char data[];
};

/* A new frame holding a copy of `len` bytes, one reference. NULL when out of
 * memory or len does not fit in 32 bits. */
struct frame *frame_new(const void *data, size_t len);

/* A new frame of `a` then `b` (e.g. a WS head and its payload). */
struct frame *frame_new2(const void *a, size_t alen, const void *b,
                         size_t blen);

static inline struct frame *frame_ref(struct frame *f)
{
    f->refs++;
    return f;
}

/* Drops a reference; frees at zero. NULL is ignored. */
void frame_unref(struct frame *f);

#endif
