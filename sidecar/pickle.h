/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* pickle: a pure reader of the data-only part of Python's pickle format
 * (what pickle.dumps writes for dicts, lists, tuples, str, bytes, int,
 * float, bool and None), for python-socketio's Redis messages. Nothing
 * in a pickle is ever executed: every opcode that would import, call or
 * build an object is refused. */
#ifndef SOCKETIOD_PICKLE_H
#define SOCKETIOD_PICKLE_H

#include <stddef.h>

#include "buf.h"

/* Nesting of containers taken when writing a value as JSON (a container
 * that holds itself, which the memo allows, ends there too). */
#define PICKLE_MAX_DEPTH 100
/* Values (containers, strings, numbers) and container items one pickle
 * may create, and the highest memo index: beyond, it is refused. */
#define PICKLE_MAX_VALUES 1000000
#define PICKLE_MAX_MEMO 1000000

enum pickle_kind {
    PICKLE_NONE,
    PICKLE_BOOL,
    PICKLE_INT,   /* within 64 bits signed */
    PICKLE_FLOAT, /* a double */
    PICKLE_STR,   /* UTF-8 (checked) */
    PICKLE_BYTES, /* bytes or bytearray */
    PICKLE_LIST,
    PICKLE_TUPLE,
    PICKLE_DICT, /* string keys only, each once */
};

/* A decoded pickle: a tree (a graph, as the memo lets one value appear in
 * several places) of values named by numbers. Strings and bytes point
 * into the caller's buffer, which must outlive it. */
struct pickle;

/* Decodes the pickle p[0..len): protocol 2 to 5 opcodes of data only.
 * Returns the decoded pickle (free it with pickle_free), or NULL with
 * *why: an opcode outside the subset (by its name: GLOBAL, REDUCE, ...),
 * cut short, a memo index unset or over PICKLE_MAX_MEMO, more than
 * PICKLE_MAX_VALUES values, an integer over 64 bits, a string that is
 * not UTF-8, a dict key that is not a string or appears twice, bytes
 * after STOP, or out of memory. */
struct pickle *pickle_load(const char *p, size_t len, const char **why);

void pickle_free(struct pickle *pk);

/* The value STOP returned. */
unsigned pickle_root(const struct pickle *pk);

/* A value's enum pickle_kind. */
int pickle_kind(const struct pickle *pk, unsigned v);

/* The value under the string key `key` of dict `v`, or -1 when v is not a
 * dict or has no such key. */
long pickle_get(const struct pickle *pk, unsigned v, const char *key);

/* Appends value v as JSON text to `out`, as python's json.dumps writes it
 * except: tuples are arrays, floats that are not finite are null (as
 * JSON.stringify writes them), and each bytes value becomes the Socket.IO
 * placeholder {"_placeholder":true,"num":N}, N counting from the number
 * of struct pickle_bin already in `bins`, its bytes appended to `bins`.
 * Returns 0, or -1 with *why when nested over PICKLE_MAX_DEPTH, when
 * `out` would grow by more than `max` bytes, or out of memory (then out
 * and bins hold partial output). */
struct pickle_bin {
    const char *p;
    size_t len;
};
int pickle_json(const struct pickle *pk, unsigned v, size_t max,
                struct buf *out, struct buf *bins, const char **why);

#endif
