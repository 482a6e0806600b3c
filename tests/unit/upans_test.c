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
        CHECK(a.nactions == 0 && a.actions == NULL);
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
    CHECK(is(a.ack, "[\"ok\",1]") && a.ack_len == 8 && a.ack_nattach == 0);
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
    CHECK(a.ack_nattach == 2 && a.ack_attach[0]->len == 3 &&
          memcmp(a.ack_attach[0]->data, "\0\1\2", 3) == 0 &&
          a.ack_attach[1]->len == 0);
    upans_free(&a);
    /* a bad binary value spoils the ack, not the answer */
    CHECK(decode("{\"ack\":[{\"_binary\":\"@@\"}],\"context\":1}", &a, &why) ==
          0);
    CHECK(a.ack == NULL && is(a.ack_why, "_binary is not base64"));
    CHECK(a.ack_nattach == 0 && a.has_context);
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
    x = a.actions;
    CHECK(x[0].kind == UPANS_JOIN && is(x[0].channel, "room:42") &&
          x[0].sid == NULL);
    CHECK(x[1].kind == UPANS_LEAVE && is(x[1].channel, "lobby") &&
          is(x[1].sid, "S1"));
    CHECK(x[2].kind == UPANS_DISCONNECT && x[2].sid == NULL);
    CHECK(x[3].kind == UPANS_DISCONNECT && x[3].sid == NULL);
    CHECK(x[4].kind == UPANS_EMIT && is(x[4].channel, "lobby") &&
          x[4].sid == NULL && !x[4].broadcast && x[4].except_self &&
          x[4].nsp == NULL);
    CHECK(is(x[4].json, "[\"chat\",\"ann\",\"hi\"]") &&
          x[4].len == strlen(x[4].json) && x[4].nattach == 0);
    CHECK(x[5].kind == UPANS_EMIT && is(x[5].sid, "aB3") &&
          x[5].channel == NULL && !x[5].except_self);
    CHECK(is(x[5].json, "[\"file\",{\"_placeholder\":true,\"num\":0}]") &&
          x[5].nattach == 1 && x[5].attach[0]->len == 8 &&
          memcmp(x[5].attach[0]->data, "\x89PNG\r\n\x1a\n", 8) == 0);
    CHECK(x[6].kind == UPANS_EMIT && x[6].broadcast && is(x[6].nsp, "/admin") &&
          is(x[6].json, "[\"notice\"]"));
    /* broadcast must be true itself; otherwise the socket itself */
    CHECK(x[7].kind == UPANS_EMIT && !x[7].broadcast && x[7].sid == NULL &&
          x[7].channel == NULL && is(x[7].json, "[\"me\"]"));
    upans_free(&a);
}

static void test_bad_actions(void)
{
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
    for (i = 0; i < 13 && i < a.nactions; i++) {
        CHECK(a.actions[i].kind == UPANS_BAD);
        CHECK(is(a.actions[i].why, whys[i]));
        CHECK(a.actions[i].json == NULL && a.actions[i].nattach == 0);
    }
    /* the others still run */
    CHECK(a.nactions == 14 && a.actions[13].kind == UPANS_JOIN &&
          is(a.actions[13].channel, "ok"));
    upans_free(&a);
    /* an unknown name is cut to 40 characters in the reason */
    CHECK(decode("{\"actions\":[{\"action\":\"0123456789012345678901234567890"
                 "123456789EXTRA\"}]}",
                 &a, &why) == 0);
    CHECK(a.nactions == 1 &&
          is(a.actions[0].why, "unknown action "
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
            CHECK(a.ack != NULL && a.ack_nattach == 64);
        else
            CHECK(a.ack == NULL && is(a.ack_why, "at most 64 binary values") &&
                  a.ack_nattach == 0);
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
    test_binary_limit();
    return T_DONE();
}
