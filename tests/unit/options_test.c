/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* options_test: unit tests of the options table (sidecar/options.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "t.h"

static int set(struct config *cfg, const char *name, const char *val)
{
    const char *cause = NULL;
    int rc = options_set(cfg, options_find(name), val, &cause);

    /* Every refusal names its option. */
    if (rc != 0)
        CHECK(cause != NULL && strstr(cause, name) != NULL);
    return rc;
}

static void test_bool(void)
{
    static const char *const yes[] = {"yes", "true", "on", "1", "YES", "On"};
    static const char *const no[] = {"no", "false", "off", "0", "False"};
    static const char *const bad[] = {"", "maybe", "2", "yess", "n", " yes"};
    struct config cfg;
    size_t i;

    memset(&cfg, 0, sizeof cfg);
    for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        cfg.relay = 0;
        CHECK(set(&cfg, "relay", yes[i]) == 0 && cfg.relay == 1);
    }
    for (i = 0; i < sizeof no / sizeof no[0]; i++) {
        cfg.relay = 1;
        CHECK(set(&cfg, "relay", no[i]) == 0 && cfg.relay == 0);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.relay = 7;
        CHECK(set(&cfg, "relay", bad[i]) == -1 && cfg.relay == 7);
    }
    CHECK(set(&cfg, "relay", NULL) == 0 && cfg.relay == 1);
}

static void test_numbers(void)
{
    struct config cfg;

    memset(&cfg, 0, sizeof cfg);
    CHECK(set(&cfg, "max-event-rate", "5") == 0 && cfg.max_event_rate == 5);
    CHECK(set(&cfg, "max-event-rate", "-1") == -1);
    CHECK(set(&cfg, "max-event-rate", "1e3") == -1);
    CHECK(set(&cfg, "max-event-rate", "0x10") == -1);
    CHECK(set(&cfg, "max-event-rate", "") == -1);
    CHECK(set(&cfg, "max-event-rate", "99999999999999999999999") == -1);
    CHECK(set(&cfg, "max-event-rate", NULL) == -1);
    CHECK(cfg.max_event_rate == 5);
    CHECK(set(&cfg, "ping-interval", "0") == -1);
    CHECK(set(&cfg, "ping-interval", "2s") == 0 &&
          cfg.ping_interval_ms == 2000);
    CHECK(set(&cfg, "ping-interval", "1m") == 0 &&
          cfg.ping_interval_ms == 60000);
    CHECK(set(&cfg, "ping-interval", "2x") == -1);
    CHECK(set(&cfg, "max-output", "4M") == 0 && cfg.max_output == 4 << 20);
    CHECK(set(&cfg, "max-output", "2G") == -1);
    CHECK(set(&cfg, "max-output", "63") == -1);
    CHECK(set(&cfg, "message-log-max-rows", "1099511627776") == 0 &&
          cfg.message_log.max_rows == 1UL << 40);
    CHECK(set(&cfg, "event-rate-action", "disconnect") == 0 &&
          cfg.flood_disconnect == 1);
    CHECK(set(&cfg, "event-rate-action", "kick") == -1);
    CHECK(set(&cfg, "rpc-mode", "0600") == 0 && cfg.rpc_mode == 0600);
    CHECK(set(&cfg, "rpc-mode", "0800") == -1);
    CHECK(set(&cfg, "send-threads", "auto") == 0 && cfg.send_threads == -1);
    CHECK(set(&cfg, "send-threads", "65") == -1);
    CHECK(set(&cfg, "verbose", NULL) == 0 && set(&cfg, "verbose", NULL) == 0 &&
          cfg.verbose == 2);
    CHECK(set(&cfg, "verbose", "4") == -1);
    options_free(&cfg);
}

static void test_addresses(void)
{
    static const char *const good[] = {"127.0.0.1:0", "127.0.0.1:65535",
                                       "[::1]:80",    ":9000",
                                       "unix:/tmp/s", "localhost:1"};
    static const char *const bad[] = {
        "127.0.0.1:99999", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:-1",
        "127.0.0.1",       "[::1]80",         "unix:",      "1.2.3.4:80 # x"};
    struct config cfg;
    size_t i;

    memset(&cfg, 0, sizeof cfg);
    for (i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(set(&cfg, "fcgi", good[i]) == 0);
    CHECK(cfg.nfcgi == (int)(sizeof good / sizeof good[0]));
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(set(&cfg, "listen", bad[i]) == -1);
    CHECK(cfg.nlisten == 0);
    options_free(&cfg);
}

/* What options_get() prints, options_set() takes back to the same value:
 * SIGHUP compares and copies values this way. */
static void test_round_trip(void)
{
    const struct options_entry *o;
    struct config a, b;
    const char *cause;
    char va[4096], vb[4096];

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    CHECK(options_defaults(&a, &cause) == 0);
    CHECK(set(&a, "listen", "127.0.0.1:1") == 0);
    CHECK(set(&a, "origins", "http://a,http://b") == 0);
    CHECK(set(&a, "transports", "websocket") == 0);
    for (o = options_table; o->name != NULL; o++) {
        options_get(&a, o, va, sizeof va);
        if (o->type == OPTIONS_PATH && va[0] == '\0')
            continue; /* unset: not a value */
        if (o->type == OPTIONS_ADDRESS && va[0] == '\0')
            continue;
        CHECK(options_set(&b, o, va, &cause) == 0);
        options_get(&b, o, vb, sizeof vb);
        if (strcmp(va, vb) != 0)
            fprintf(stderr, "%s: '%s' came back as '%s'\n", o->name, va, vb);
        CHECK(strcmp(va, vb) == 0);
        /* and every row has what --help and the docs need */
        CHECK(o->help != NULL && (o->arg != NULL || o->type == OPTIONS_BOOL));
        CHECK(options_find(o->name) == o);
    }
    options_free(&a);
    options_free(&b);
}

static void test_print(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    CHECK(options_print(f, "md") == 0);
    CHECK(options_print(f, "man") == 0);
    CHECK(options_print(f, "conf") == 0);
    CHECK(options_print(f, "html") == -1);
    fclose(f);
    CHECK(strstr(buf, "| `max-event-rate` | integer 0-86400000 | `1000` | "
                      "yes |") != NULL);
    CHECK(strstr(buf, "\\fB\\-\\-listen\\fR \\fIADDR\\fR") != NULL);
    CHECK(strstr(buf, "\\fBrelay\\fR = \\fIBOOL\\fR") != NULL);
    free(buf);
}

int main(void)
{
    test_bool();
    test_numbers();
    test_addresses();
    test_round_trip();
    test_print();
    return T_DONE();
}
