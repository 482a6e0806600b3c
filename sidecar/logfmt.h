/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* logfmt: renders SOCKETIO_MESSAGE_LOG_FORMAT lines, Python %-style. */
#ifndef SOCKETIOD_LOGFMT_H
#define SOCKETIOD_LOGFMT_H

#include <stddef.h>

#include "buf.h"

/* Longest key, width and precision honoured in "%(KEY)-W.Ps"; a longer key
 * is copied literally, a larger width or precision is clamped. */
#define LOGFMT_MAX_KEY 256
#define LOGFMT_MAX_WIDTH 4096

/* Looks up `key` (`klen` bytes, not NUL-terminated). Returns the value and
 * sets *vlen, or returns NULL for an unknown key (rendered empty). */
typedef const char *(*logfmt_lookup)(void *arg, const char *key, size_t klen,
                                     size_t *vlen);

/* Appends `fmt` (`len` bytes) to `out`, interpolated as Python's
 * `fmt % mapping` would with string values:
 *   %(KEY)s            the value of KEY (unknown keys: empty)
 *   %(KEY)-20.5s       flags "-+ #0", width and precision as for %s
 *                      (counted in UTF-8 characters); any conversion
 *                      letter (s r a d i u f F e E g G x X o c) renders
 *                      the value as text
 *   %%                 one '%'
 * Anything else, including a '%' that starts no valid directive, is copied
 * as it is. Never reads past `len`; any byte string is a valid format.
 * Returns 0, or -1 when out of memory (`out` may hold part of the line). */
int logfmt_render(struct buf *out, const char *fmt, size_t len,
                  logfmt_lookup lookup, void *arg);

/* 1 when `fmt` turns logging off: NULL, empty, or "None" (any case, with
 * surrounding blanks), as Django's SOCKETIO_MESSAGE_LOG_FORMAT = None. */
int logfmt_disabled(const char *fmt);

/* The value of `key` in a CGI-style META block "K=v\0K=v\0\0" (as the
 * engine keeps it), or NULL; sets *vlen. `meta` may be NULL. */
const char *logfmt_meta(const char *meta, const char *key, size_t klen,
                        size_t *vlen);

/* Length of a META block including its final extra NUL; 0 for NULL. */
size_t logfmt_meta_len(const char *meta);

#endif
