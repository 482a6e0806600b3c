/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* options: the table of every setting, its parsing, --help and the docs. */
#ifndef SOCKETIOD_OPTIONS_H
#define SOCKETIOD_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

struct config;

/* What a value is; each type has one strict parser (options.c) and one
 * printed form, the same on the command line and in a config file. */
enum options_type {
    OPTIONS_BOOL,     /* yes/no/true/false/on/off/1/0; bare: yes */
    OPTIONS_INT,      /* decimal, within [min, max] */
    OPTIONS_SIZE,     /* bytes, optional k/M/G suffix (1024s) */
    OPTIONS_DURATION, /* milliseconds, optional ms/s/m/h suffix */
    OPTIONS_ADDRESS,  /* HOST:PORT, [V6]:PORT or unix:PATH; port 0-65535 */
    OPTIONS_PATH,     /* a file or directory name, not empty */
    OPTIONS_STRING,   /* any text; empty: unset */
    OPTIONS_LIST,     /* comma-separated; empty: unset */
    OPTIONS_ENUM,     /* one of choices[]; the index is stored */
    OPTIONS_COUNT,    /* -v: each bare use adds one; a number sets it */
};

/* One row of the table: everything about one option. A value lands at
 * `off` (`size` bytes) in struct config, or is handed to `set` (and
 * printed by `get`) when it needs more than storing. */
struct options_entry {
    const char *name; /* long option and config file key */
    int shortname;    /* 0: none */
    enum options_type type;
    const char *arg;             /* the value's name in --help */
    unsigned long min, max;      /* INT, SIZE, DURATION, COUNT */
    const char *const *choices;  /* ENUM, NULL-terminated */
    const char *def;             /* default, parsed like a value; NULL:
                                    unset (help says what that means) */
    const char *env;             /* environment variable that replaces
                                    the default when set */
    int reload;                  /* SIGHUP may change it */
    int repeat;                  /* ADDRESS: each use adds one */
    size_t off, size, count_off; /* where it lands; count_off: repeat's
                                    counter (an int) */
    int (*set)(struct config *cfg, const char *val, const char **cause);
    void (*get)(const struct config *cfg, char *buf, size_t cap);
    const char *group; /* starts a group of rows in --help and the docs */
    const char *help;
};

extern const struct options_entry options_table[];

/* The row named `name` (long) or with short name `c`; NULL when none. */
const struct options_entry *options_find(const char *name);
const struct options_entry *options_find_short(int c);

/* Sets every option to its default (or its environment variable). Returns
 * 0, or -1 with *cause (out of memory, a bad variable). */
int options_defaults(struct config *cfg, const char **cause);

/* Parses `val` strictly as `o`'s type and stores it; `val` NULL is the bare
 * option (a BOOL's yes, a COUNT's +1; an error for the others). Strings are
 * copied. Returns 0, or -1 with *cause naming the option. */
int options_set(struct config *cfg, const struct options_entry *o,
                const char *val, const char **cause);

/* Writes `o`'s value in `cfg` as text options_set() takes back (repeated
 * values joined by ","; unset: ""). */
void options_get(const struct config *cfg, const struct options_entry *o,
                 char *buf, size_t cap);

/* Frees the strings options_set() copied into `cfg`. */
void options_free(struct config *cfg);

/* Prints the --help text. */
void options_usage(FILE *f);

/* Prints the option reference as "md" (docs/configuration.md), "man" (the
 * OPTIONS list of socketiod(8)) or "conf" (the settings of
 * socketiod.conf(5)). Returns 0, or -1 for an unknown format. */
int options_print(FILE *f, const char *format);

#endif
