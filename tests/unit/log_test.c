/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* log_test: RFC 3339 stamps, the JSON format and its escaping, and floods
 * summarised to a line a second (log.c). */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "t.h"

static char out[1 << 16];

/* Runs `fn` with stderr going to a file; returns what was written. */
static const char *captured(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    int saved = dup(2);
    size_t n;

    fflush(stderr);
    dup2(fileno(tmp), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    n = fread(out, 1, sizeof out - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return out;
}

static void text_lines(void)
{
    log_set_format("text");
    log_warn("plain %d", 1);
    log_at(LOG_WARN, "10.0.0.1", "abc", "with fields");
    log_info("not at the default level");
}

static void json_lines(void)
{
    log_set_format("json");
    log_at(LOG_WARN, "::1", "s\"id",
           "quote \" back \\ nl \n bad \xff ok \xc3\xa9");
    log_set_format("text");
}

static struct log_summary flood = LOG_SUMMARY_INIT("things refused");
static struct log_summary detailed = LOG_SUMMARY_INIT("requests failed");

static void detailed_lines(void)
{
    int i;

    /* The first line carries the detail; the next ones wait (no timer
     * here: log_flush writes their sum). */
    for (i = 0; i < 10; i++)
        log_countf(&detailed, NULL, "sid1", "event %d: %s", i, "timeout");
    log_flush();
}

static void flood_lines(void)
{
    struct event_base *base = event_base_new();
    struct timeval tv = {1, 200000};
    int i;

    log_start(base);
    for (i = 0; i < 5000; i++)
        log_count(&flood, "192.0.2.1", NULL);
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    for (i = 0; i < 3; i++)
        log_count(&flood, "192.0.2.2", NULL);
    log_flush();
    event_base_free(base);
}

static int lines(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

int main(void)
{
    const char *s;

    log_init(LOG_WARN);
    CHECK(log_set_format("xml") == -1);

    s = captured(text_lines);
    CHECK(lines(s) == 2);
    /* 2026-12-03T13:15:02.123Z warn socketiod: plain 1 */
    CHECK(strlen(s) > 25 && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
          s[13] == ':' && s[19] == '.' && s[23] == 'Z' && s[24] == ' ');
    CHECK(strstr(s, "Z warn socketiod: plain 1\n") != NULL);
    CHECK(strstr(s, " warn socketiod: peer=10.0.0.1 sid=abc with fields\n") !=
          NULL);

    s = captured(json_lines);
    CHECK(lines(s) == 1);
    CHECK(strncmp(s, "{\"time\":\"", 9) == 0 && s[32] == 'Z');
    CHECK(strstr(s, "\"level\":\"warn\",\"msg\":\"quote \\\" back \\\\ nl "
                    "\\u000a bad \\ufffd ok \xc3\xa9\",\"peer\":\"::1\","
                    "\"sid\":\"s\\\"id\"}\n") != NULL);

    s = captured(flood_lines);
    /* The first at once, the other 4999 in one line a second later, the
     * last three in a line at exit. */
    CHECK(lines(s) == 3);
    CHECK(strstr(s, "things refused\n") != NULL);
    CHECK(strstr(s, "things refused: 4999 in the last 1.0 s") != NULL);
    CHECK(strstr(s, "peer=192.0.2.2 things refused: 3 in the last") != NULL);
    if (t_failed)
        fputs(s, stderr);

    s = captured(detailed_lines);
    CHECK(lines(s) == 2);
    CHECK(strstr(s, " warn socketiod: sid=sid1 requests failed: event 0: "
                    "timeout\n") != NULL);
    CHECK(strstr(s, "sid=sid1 requests failed: 9 in the last") != NULL);
    return T_DONE();
}
