/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* buf: a growable byte buffer that encoders append to. */
#ifndef SOCKETIOD_BUF_H
#define SOCKETIOD_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
};

#define BUF_INIT                                                               \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

/* Makes room for at least `extra` more bytes. Returns 0, or -1 when out of
 * memory (the buffer is unchanged). */
int buf_reserve(struct buf *b, size_t extra);

/* Append bytes / one byte / a NUL-terminated string / printf output.
 * Return 0, or -1 when out of memory (nothing is appended). */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_putc(struct buf *b, char c);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A malloc'd copy of `len` bytes with a NUL after them, where strndup()
 * would stop at a NUL among them and leave a shorter copy than `len` says.
 * Returns NULL when out of memory. */
char *buf_dup(const void *data, size_t len);

/* Forgets the contents but keeps the memory. */
void buf_reset(struct buf *b);

/* Releases the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

#endif
