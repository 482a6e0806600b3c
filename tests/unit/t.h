/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* t: the few macros the C unit tests share; each test is its own program. */
#ifndef SOCKETIOD_T_H
#define SOCKETIOD_T_H

#include <stdio.h>
#include <string.h>

static int t_passed, t_failed;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond) {                                                            \
            t_passed++;                                                        \
        } else {                                                               \
            t_failed++;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
        }                                                                      \
    } while (0)

/* Compares `len` bytes at `got` with the string literal or buffer `want`. */
#define CHECK_MEM(got, len, want, want_len)                                    \
    CHECK((size_t)(len) == (size_t)(want_len) &&                               \
          memcmp((got), (want), (want_len)) == 0)

#define CHECK_STR(got, len, lit) CHECK_MEM(got, len, lit, sizeof(lit) - 1)

/* The closing line the runners count: "N passed, N failed". */
#define T_DONE()                                                               \
    (printf("%d passed, %d failed\n", t_passed, t_failed), t_failed ? 1 : 0)

#endif
