/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upans_test: the app's answers to upstream requests, decoded. */
#include <string.h>

#include "t.h"
#include "upans.h"

static int decode(const char *body, struct upans *a, const char **why)
{
    *why = NULL;
    return upans_decode(body, strlen(body), a, why);
}

static int is(const char *got, const char *want)
{
    return got != NULL && strcmp(got, want) == 0;
}

static void test_unusable(void)
{
    static const char *const bad[] = {
        "[]",
        "\"x\"",
        "{\"a\":1",
        "nul",
        "{\"allow\":1}",
        "{\"allow\":\"false\"}",
        "{\"ack\":{}}",
        "{\"ack\":\"x\"}",
        "{\"actions\":{\"action\":\"emit\"}}",
        "{\"actions\":0}",
        /* cJSON stops after the first value; the rest must be blank */
        "{} {}",
        "{\"ack\":[1]}x",
        "{\"ack\":[1]}\n<html>",
        "{}\t\x01",
        /* Regression (issue 14): cJSON takes these and the actions and
         * acks in them reached browsers whose JSON.parse refuses them */
        "{\"ack\":[01]}",
        "{\"ack\":[\"\x1b[2J\"]}",
        "{\"actions\":[{\"action\":\"emit\",\"event\":\"e\",\"args\":[1.]}]}",
        "{\"ack\":[\"\xc0\xaf\"]}",
    };
    struct upans a;
    const char *why;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(decode(bad[i], &a, &why) == -1 && why != NULL);
        upans_free(&a);
    }
    CHECK(upans_decode("{}\0{", 4, &a, &why) == -1);
    upans_free(&a);
}

static void test_empty(void)
{
    static const char *const empty[] = {"",
                                        "\r\n",
                                        "  \n",
                                        "{}",
                                        "{} \r\n",
                                        "{\"ack\":null,\"actions\":null}",
                                        "{\"other\":[1,2],\"allow\":true}"};
    struct upans a;
    const char *why;
    size_t i;

    for (i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        CHECK(decode(empty[i], &a, &why) == 0 && why == NULL);
        CHECK(!a.refused && a.message == NULL && a.data == NULL);
        CHECK(a.ack == NULL && a.ack_why == NULL && !a.has_context);
        CHECK(a.nactions == 0 && upans_next(&a) == NULL);
        upans_free(&a);
    }
}

static void test_refusal(void)
{
    struct upans a;
    const char *why;

    CHECK(decode("{\"allow\":false}", &a, &why) == 0);
    CHECK(a.refused && is(a.message, "refused") && a.data == NULL);
    upans_free(&a);
    CHECK(decode("{\"allow\":false,\"message\":\"no way\",\"data\":{\"code\":"
                 " 4 }}",
                 &a, &why) == 0);
    CHECK(a.refused && is(a.message, "no way") && is(a.data, "{\"code\":4}"));
    upans_free(&a);
    CHECK(decode("{\"allow\":false,\"message\":5,\"data\":null}", &a, &why) ==
          0);
    CHECK(a.refused && is(a.message, "refused") && is(a.data, "null"));
    upans_free(&a);
    /* message and data mean nothing without a refusal */
    CHECK(decode("{\"allow\":true,\"message\":\"m\",\"data\":1}", &a, &why) ==
          0);
    CHECK(!a.refused && a.message == NULL && a.data == NULL);
    upans_free(&a);
}

static void test_context(void)
{
    struct upans a;
    const char *why;

    CHECK(decode("{\"context\": {\"user\": \"ann\", \"n\": [1, 2]}}", &a,
                 &why) == 0);
    CHECK(a.has_context && is(a.context, "{\"user\":\"ann\",\"n\":[1,2]}"));
    CHECK(a.context_len == strlen(a.context));
    upans_free(&a);
    CHECK(decode("{\"context\":null}", &a, &why) == 0);
    CHECK(a.has_context && a.context == NULL && a.context_len == 0);
    upans_free(&a);
    CHECK(decode("{\"context\":\"s\"}", &a, &why) == 0);
    CHECK(a.has_context && is(a.context, "\"s\""));
    upans_free(&a);
}

static void test_ack(void)
{
    struct upans a;
    const char *why;

    CHECK(decode("{\"ack\":[\"ok\", 1]}", &a, &why) == 0);
    CHECK(is(a.ack, "[\"ok\",1]") && a.ack_len == 8 && a.ack_at.n == 0);
    CHECK(a.ack_why == NULL);
    upans_free(&a);
    CHECK(decode("{\"ack\":[]}", &a, &why) == 0);
    CHECK(is(a.ack, "[]") && a.ack_why == NULL);
    upans_free(&a);
    CHECK(
        decode("{\"ack\":[{\"_binary\":\"AAEC\"},{\"k\":{\"_binary\":\"\"}}]}",
               &a, &why) == 0);
    CHECK(is(a.ack, "[{\"_placeholder\":true,\"num\":0},"
                    "{\"k\":{\"_placeholder\":true,\"num\":1}}]"));
    CHECK(a.ack_at.n == 2 && a.ack_at.f[0]->len == 3 &&
          memcmp(a.ack_at.f[0]->data, "\0\1\2", 3) == 0 &&
          a.ack_at.f[1]->len == 0);
    upans_free(&a);
    /* a bad binary value spoils the ack, not the answer */
    CHECK(decode("{\"ack\":[{\"_binary\":\"@@\"}],\"context\":1}", &a, &why) ==
          0);
    CHECK(a.ack == NULL && is(a.ack_why, "_binary is not base64"));
    CHECK(a.ack_at.n == 0 && a.has_context);
    upans_free(&a);
}

static void test_actions(void)
{
    const char *body =
        "{\"actions\":["
        "{\"action\":\"join\",\"channel\":\"room:42\"},"
        "{\"action\":\"leave\",\"channel\":\"lobby\",\"sid\":\"S1\"},"
        "{\"action\":\"disconnect\"},"
        "{\"action\":\"disconnect\",\"sid\":null},"
        "{\"action\":\"emit\",\"event\":\"chat\",\"args\":[\"ann\",\"hi\"],"
        "\"channel\":\"lobby\",\"except_self\":true},"
        "{\"action\":\"emit\",\"event\":\"file\",\"args\":[{\"_binary\":"
        "\"iVBORw0KGgo=\"}],\"to\":\"aB3\"},"
        "{\"action\":\"emit\",\"event\":\"notice\",\"broadcast\":true,"
        "\"namespace\":\"/admin\"},"
        "{\"action\":\"emit\",\"event\":\"me\",\"broadcast\":1}"
        "]}";
    struct upans a;
    const struct upans_action *x;
    const char *why;

    CHECK(decode(body, &a, &why) == 0 && a.nactions == 8);
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_JOIN && is(x->channel, "room:42") &&
          x->sid == NULL);
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_LEAVE && is(x->channel, "lobby") &&
          is(x->sid, "S1"));
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_DISCONNECT && x->sid == NULL);
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_DISCONNECT && x->sid == NULL);
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_EMIT && is(x->channel, "lobby") &&
          x->sid == NULL && !x->broadcast && x->except_self && x->nsp == NULL);
    CHECK(x != NULL && is(x->json, "[\"chat\",\"ann\",\"hi\"]") &&
          x->len == strlen(x->json) && x->at.n == 0);
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_EMIT && is(x->sid, "aB3") &&
          x->channel == NULL && !x->except_self);
    CHECK(x != NULL &&
          is(x->json, "[\"file\",{\"_placeholder\":true,\"num\":0}]") &&
          x->at.n == 1 && x->at.f[0]->len == 8 &&
          memcmp(x->at.f[0]->data, "\x89PNG\r\n\x1a\n", 8) == 0);
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_EMIT && x->broadcast &&
          is(x->nsp, "/admin") && is(x->json, "[\"notice\"]"));
    /* broadcast must be true itself; otherwise the socket itself */
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_EMIT && !x->broadcast &&
          x->sid == NULL && x->channel == NULL && is(x->json, "[\"me\"]"));
    CHECK(upans_next(&a) == NULL && upans_next(&a) == NULL);
    upans_free(&a);
    /* stopping half-way leaks nothing (under ASan) */
    CHECK(decode(body, &a, &why) == 0);
    for (x = upans_next(&a); x != NULL && x->kind != UPANS_EMIT;)
        x = upans_next(&a);
    CHECK(x != NULL && x->json != NULL);
    upans_free(&a);
}

/* A "\u0000" would cut a channel name short without a word from cJSON. */
static void test_cut_channels(void)
{
    const struct upans_action *x;
    const char *body =
        "{\"ack\":[\"da\\u0000ta\"],\"actions\":["
        "{\"action\":\"join\",\"channel\":\"user:x\\u0000evil\"},"
        "{\"action\":\"join\",\"channel\":\"fine\"},"
        "{\"action\":\"leave\",\"channel\":\"a\\\\u0000\"},"
        "{\"action\":\"emit\",\"event\":\"e\",\"args\":[\"\\u0000\"]},"
        "{\"action\":\"leave\",\"channel\":\"\\u0000\"}"
        "]}";
    struct upans a;
    const char *why;

    CHECK(decode(body, &a, &why) == 0 && a.nactions == 5);
    CHECK(a.shadow != NULL);
    x = upans_next(&a);
    CHECK(x->kind == UPANS_BAD &&
          is(x->why, "join of a channel with a control character"));
    x = upans_next(&a);
    CHECK(x->kind == UPANS_JOIN && is(x->channel, "fine"));
    x = upans_next(&a); /* an escaped backslash, then "u0000" */
    CHECK(x->kind == UPANS_LEAVE && is(x->channel, "a\\u0000"));
    x = upans_next(&a);
    CHECK(x->kind == UPANS_EMIT);
    x = upans_next(&a);
    CHECK(x->kind == UPANS_BAD &&
          is(x->why, "leave of a channel with a control character"));
    CHECK(upans_next(&a) == NULL);
    upans_free(&a);
    /* Without the escape there is no shadow to pay for. */
    CHECK(decode("{\"actions\":[{\"action\":\"join\",\"channel\":\"c\"}]}", &a,
                 &why) == 0 &&
          a.shadow == NULL);
    upans_free(&a);
}

static void test_bad_actions(void)
{
    const struct upans_action *x;
    const char *body =
        "{\"actions\":["
        "1,"
        "{\"type\":\"join\"},"
        "{\"action\":\"join\"},"
        "{\"action\":\"leave\",\"channel\":[]},"
        "{\"action\":\"kick\"},"
        "{\"action\":\"emit\"},"
        "{\"action\":\"emit\",\"event\":\"e\",\"args\":\"x\"},"
        "{\"action\":\"emit\",\"event\":\"e\",\"to\":\"a\",\"channel\":\"b\"},"
        "{\"action\":\"emit\",\"event\":\"e\",\"namespace\":1},"
        "{\"action\":\"emit\",\"event\":\"e\",\"args\":[{\"_binary\":\"!\"}]},"
        "{\"action\":\"EMIT\",\"event\":\"e\"},"
        "{\"action\":\"disconnect\",\"sid\":12},"
        "{\"action\":\"join\",\"channel\":\"c\",\"sid\":[\"S\"]},"
        "{\"action\":\"join\",\"channel\":\"ok\"}"
        "]}";
    static const char *const whys[] = {
        "action without a type",
        "action without a type",
        "join without a channel",
        "leave without a channel",
        "unknown action 'kick'",
        "bad emit action skipped",
        "bad emit action skipped",
        "bad emit action skipped",
        "bad emit action skipped",
        "emit action skipped: _binary is not base64",
        "unknown action 'EMIT'",
        "disconnect with a sid that is not a string",
        "join with a sid that is not a string",
    };
    struct upans a;
    const char *why;
    size_t i;

    CHECK(decode(body, &a, &why) == 0 && a.nactions == 14);
    for (i = 0; i < 13; i++) {
        x = upans_next(&a);
        CHECK(x != NULL && x->kind == UPANS_BAD && is(x->why, whys[i]));
        CHECK(x != NULL && x->json == NULL && x->at.n == 0 && x->sid == NULL &&
              x->channel == NULL);
    }
    /* the others still run */
    x = upans_next(&a);
    CHECK(x != NULL && x->kind == UPANS_JOIN && is(x->channel, "ok"));
    CHECK(upans_next(&a) == NULL);
    upans_free(&a);
    /* an unknown name is cut to 40 characters in the reason */
    CHECK(decode("{\"actions\":[{\"action\":\"0123456789012345678901234567890"
                 "123456789EXTRA\"}]}",
                 &a, &why) == 0);
    x = upans_next(&a);
    CHECK(x != NULL &&
          is(x->why, "unknown action "
                     "'0123456789012345678901234567890123456789'"));
    upans_free(&a);
}

static void test_binary_limit(void)
{
    char body[4096];
    struct upans a;
    const char *why;
    size_t n;
    int i;

    for (n = 0; n < 2; n++) {
        size_t len = (size_t)snprintf(body, sizeof body, "%s", "{\"ack\":[");
        for (i = 0; i < 64 + (int)n; i++)
            len += (size_t)snprintf(body + len, sizeof body - len,
                                    "%s{\"_binary\":\"QQ==\"}", i ? "," : "");
        snprintf(body + len, sizeof body - len, "]}");
        CHECK(decode(body, &a, &why) == 0);
        if (n == 0)
            CHECK(a.ack != NULL && a.ack_at.n == 64);
        else
            CHECK(a.ack == NULL && is(a.ack_why, "at most 64 binary values") &&
                  a.ack_at.n == 0);
        upans_free(&a);
    }
}

int main(void)
{
    test_unusable();
    test_empty();
    test_refusal();
    test_context();
    test_ack();
    test_actions();
    test_bad_actions();
    test_cut_channels();
    test_binary_limit();
    return T_DONE();
}
