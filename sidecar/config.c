/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* config: the daemon's settings, from the command line and a config file. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "options.h"

#define CONFIG_MAX_OPTIONS 128

/* getopt_long's values beyond any char: the commands, then the table's
 * rows by index. */
enum {
    CONFIG_OPT_PRINT = 1000,
    CONFIG_OPT_CONFIG,
    CONFIG_OPT_HELP,
    CONFIG_OPT_ROW = 2000
};

/* Error messages with a file and line: one at a time, start-up and SIGHUP
 * only. */
static char config_why[1024];

static char *config_trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s &&
           (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Reads `key = value` lines; a bare `key` is a boolean's yes (or -v). */
static int config_file(struct config *cfg, const char *path, const char **cause)
{
    FILE *f = fopen(path, "r");
    char line[4096], *key, *val, *eq;
    const struct options_entry *o;
    const char *why;
    int lineno = 0, rc = 0;

    if (f == NULL) {
        snprintf(config_why, sizeof config_why, "--config %s: %s", path,
                 strerror(errno));
        *cause = config_why;
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(config_why, sizeof config_why,
                     "%s:%d: line longer than %zu bytes", path, lineno,
                     sizeof line - 2);
            rc = -1;
            break;
        }
        key = config_trim(line);
        if (*key == '\0' || *key == '#')
            continue;
        eq = strchr(key, '=');
        val = eq ? config_trim(eq + 1) : NULL;
        if (eq)
            *eq = '\0';
        key = config_trim(key);
        if ((o = options_find(key)) == NULL) {
            snprintf(config_why, sizeof config_why, "%s:%d: bad setting '%s'",
                     path, lineno, key);
            rc = -1;
        } else if (options_set(cfg, o, val, &why) != 0) {
            snprintf(config_why, sizeof config_why, "%s:%d: %s", path, lineno,
                     why);
            rc = -1;
        }
    }
    fclose(f);
    if (rc != 0)
        *cause = config_why;
    return rc;
}

/* getopt_long's view of the table: bare booleans and counts take an
 * optional "=VALUE", everything else a required value. */
static void config_getopt(struct option *lo, char *shorts, size_t cap)
{
    const struct options_entry *o;
    size_t n = 0, s = 0;

    for (o = options_table; o->name != NULL && n < CONFIG_MAX_OPTIONS - 5;
         o++, n++) {
        lo[n].name = o->name;
        lo[n].has_arg = o->type == OPTIONS_BOOL || o->type == OPTIONS_COUNT
                            ? optional_argument
                            : required_argument;
        lo[n].flag = NULL;
        lo[n].val = CONFIG_OPT_ROW + (int)n;
        if (o->shortname && s + 3 < cap) {
            shorts[s++] = (char)o->shortname;
            if (lo[n].has_arg == required_argument)
                shorts[s++] = ':';
        }
    }
    lo[n++] =
        (struct option){"config", required_argument, NULL, CONFIG_OPT_CONFIG};
    lo[n++] = (struct option){"print-options", required_argument, NULL,
                              CONFIG_OPT_PRINT};
    lo[n++] = (struct option){"help", no_argument, NULL, CONFIG_OPT_HELP};
    lo[n++] = (struct option){"version", no_argument, NULL, 'V'};
    lo[n] = (struct option){NULL, 0, NULL, 0};
    snprintf(shorts + s, cap - s, "c:hV");
}

int config_load(struct config *cfg, int argc, char **argv, const char **cause)
{
    struct option lo[CONFIG_MAX_OPTIONS];
    char shorts[64];
    const struct options_entry *o;
    int opt, idx;

    memset(cfg, 0, sizeof *cfg);
    if (options_defaults(cfg, cause) != 0)
        return -1;
    config_getopt(lo, shorts, sizeof shorts);
    optind = 0; /* glibc: start over, as SIGHUP reads argv again */
    while ((opt = getopt_long(argc, argv, shorts, lo, &idx)) != -1) {
        if (opt == 'h' || opt == CONFIG_OPT_HELP) {
            options_usage(stdout);
            return 1;
        }
        if (opt == 'V') {
            puts("socketiod " PACKAGE_VERSION);
            return 1;
        }
        if (opt == CONFIG_OPT_PRINT) {
            if (options_print(stdout, optarg) != 0) {
                *cause = "--print-options: md, man or conf";
                return -1;
            }
            return 1;
        }
        if (opt == '?') {
            *cause = "bad option (socketiod --help lists them)";
            return -1;
        }
        if (opt == 'c' || opt == CONFIG_OPT_CONFIG) {
            if (config_file(cfg, optarg, cause) != 0)
                return -1;
            continue;
        }
        o = opt >= CONFIG_OPT_ROW ? &options_table[opt - CONFIG_OPT_ROW]
                                  : options_find_short(opt);
        if (o == NULL || options_set(cfg, o, optarg, cause) != 0)
            return -1;
    }
    if (optind < argc) {
        snprintf(config_why, sizeof config_why, "unexpected argument '%s'",
                 argv[optind]);
        *cause = config_why;
        return -1;
    }
    if (cfg->nlisten == 0 && cfg->nfcgi == 0 && cfg->nscgi == 0) {
        if (options_set(cfg, options_find("listen"), "127.0.0.1:9000", cause) !=
            0)
            return -1;
        cfg->listen_default = 1;
    }
    return 0;
}

void config_free(struct config *cfg) { options_free(cfg); }

/* A value as the logs may show it: a URL's password (or its whole
 * user part when there is no ':' in it) replaced by "***". */
static void config_redact(char *v, size_t cap)
{
    char *user = strstr(v, "://"), *at, *colon;
    char rest[4096];

    if (user == NULL || (at = strrchr(user += 3, '@')) == NULL)
        return;
    colon = memchr(user, ':', (size_t)(at - user));
    snprintf(rest, sizeof rest, "%s", at);
    snprintf(colon ? colon + 1 : user,
             cap - (size_t)((colon ? colon + 1 : user) - v), "***%s", rest);
}

int config_update(struct config *cur, const struct config *next)
{
    const struct options_entry *o;
    char was[4096], now[4096], wl[4096], nl[4096];
    const char *cause;
    int applied = 0;

    for (o = options_table; o->name != NULL; o++) {
        options_get(cur, o, was, sizeof was);
        options_get(next, o, now, sizeof now);
        if (strcmp(was, now) == 0)
            continue;
        /* Logged without credentials (a --redis URL's password). */
        snprintf(wl, sizeof wl, "%s", was);
        snprintf(nl, sizeof nl, "%s", now);
        config_redact(wl, sizeof wl);
        config_redact(nl, sizeof nl);
        if (strstr(o->name, "password") != NULL) {
            snprintf(wl, sizeof wl, "(hidden)");
            snprintf(nl, sizeof nl, "(hidden)");
        }
        if (!o->reload) {
            log_warn("SIGHUP: %s changed from '%s' to '%s': that needs a "
                     "restart; still '%s'",
                     o->name, wl, nl, wl);
            continue;
        }
        if (o->type == OPTIONS_ADDRESS ||
            options_set(cur, o, now, &cause) != 0) {
            log_warn("SIGHUP: %s: cannot apply '%s'", o->name, nl);
            continue;
        }
        log_warn("SIGHUP: %s is now '%s' (was '%s')", o->name, nl, wl);
        applied++;
    }
    return applied;
}

int config_origin_allowed(const struct config *cfg, const char *origin,
                          size_t len)
{
    const char *p = cfg->origins, *e;

    if (p == NULL)
        return 0;
    if (strcmp(p, "*") == 0)
        return 1;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if ((size_t)(e - p) == len && strncasecmp(p, origin, len) == 0)
            return 1;
        p = e;
    }
    return 0;
}
