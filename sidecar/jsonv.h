/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* jsonv: pure strict JSON (RFC 8259) validator, allocation-free. */
#ifndef SOCKETIOD_JSONV_H
#define SOCKETIOD_JSONV_H

#include <stddef.h>

/* cJSON takes text that browsers' JSON.parse refuses: raw control
 * characters in strings, "01", "1.", "-.5", "+1", bytes after the value,
 * and it does not look at UTF-8. One such packet relayed to a channel
 * makes every socket.io-client in it drop its connection with a parse
 * error. What the daemon passes on is therefore checked here first: the
 * grammar of RFC 8259, strings in valid UTF-8 (no overlong forms, no
 * surrogates encoded as UTF-8, nothing past U+10FFFF; "\ud800" escapes are
 * JSON and JSON.parse takes them), nesting at most JSONV_MAX_DEPTH (cJSON's
 * own limit). */
#define JSONV_MAX_DEPTH 1000

/* Bytes of the one JSON value at the start of s[0..len), blanks before it
 * included, blanks after it not; -1 when what is there is not a strict
 * JSON value (or it is cut short). Whatever follows the value is not
 * looked at. */
long jsonv_value(const char *s, size_t len);

/* 1 when s[0..len) is exactly one strict JSON value, blanks (space, tab,
 * CR, LF) around it allowed; else 0. */
int jsonv_valid(const char *s, size_t len);

#endif
