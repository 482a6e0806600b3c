/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpcmsg_test: request lines, raw argument text, targets, binary values. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "buf.h"
#include "rpcmsg.h"
#include "t.h"

static int parse(const char *line, struct rpcmsg *m)
{
    return rpcmsg_parse(line, strlen(line), m);
}

static void test_parse(void)
{
    struct rpcmsg m;

    CHECK(parse("{\"id\":1,", &m) == RPC_PARSE_ERROR && m.id == NULL);
    rpcmsg_free(&m);
    CHECK(parse("[1,2]", &m) == RPC_INVALID_REQUEST);
    rpcmsg_free(&m);
    CHECK(parse("{\"id\":5,\"method\":7}", &m) == RPC_INVALID_REQUEST);
    CHECK(cJSON_IsNumber(m.id) && m.id->valueint == 5);
    rpcmsg_free(&m);
    CHECK(parse("{\"id\":\"x\",\"method\":\"stats\",\"params\":[]}", &m) ==
          RPC_INVALID_PARAMS);
    CHECK(cJSON_IsString(m.id) && m.why != NULL);
    rpcmsg_free(&m);
    CHECK(parse("{\"method\":\"stats\",\"params\":null}", &m) == 0);
    CHECK(m.id == NULL && strcmp(m.method, "stats") == 0);
    CHECK(cJSON_IsObject(m.params) && m.params->child == NULL);
    rpcmsg_free(&m);
    CHECK(parse("{\"method\":\"session\",\"params\":{\"sid\":\"ab\"}}", &m) ==
          0);
    CHECK(strcmp(rpcmsg_str(m.params, "sid"), "ab") == 0);
    CHECK(rpcmsg_str(m.params, "nope") == NULL);
    rpcmsg_free(&m);
}

/* The text rpcmsg_raw_param() finds for params.<key>, or NULL. */
static char *raw(const char *line, const char *key)
{
    struct rpcmsg m;
    const char *val;
    size_t vlen;
    char *out = NULL;

    if (parse(line, &m) == 0 && rpcmsg_raw_param(&m, key, &val, &vlen)) {
        out = malloc(vlen + 1);
        memcpy(out, val, vlen);
        out[vlen] = '\0';
    }
    rpcmsg_free(&m);
    return out;
}

static int raw_is(const char *line, const char *key, const char *want)
{
    char *got = raw(line, key);
    int ok = want == NULL ? got == NULL : got != NULL && strcmp(got, want) == 0;

    free(got);
    return ok;
}

/* Regression (issue 14): cJSON takes these lines and the emit passed
 * them on, re-encoded or as written; now the request is refused. */
static void test_strict(void)
{
    static const char *const bad[] = {
        "{\"method\":\"send\",\"params\":{\"message\":01}}",
        "{\"method\":\"send\",\"params\":{\"message\":\"\x1b[2J\"}}",
        "{\"method\":\"send\",\"params\":{\"message\":[1.]}}",
        "{\"method\":\"stats\"} x",
        "{\"method\":\"send\",\"params\":{\"message\":\"\xff\"}}",
    };
    struct rpcmsg m;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(parse(bad[i], &m) == RPC_PARSE_ERROR && m.root == NULL &&
              strstr(m.why, "strict") != NULL);
        rpcmsg_free(&m);
    }
    CHECK(parse(" {\"method\":\"stats\"}\r", &m) == 0);
    rpcmsg_free(&m);
}

static void test_raw_param(void)
{
    CHECK(raw_is("{\"method\":\"emit\",\"params\":{\"event\":\"e\","
                 "\"args\": [ \"a\\u0000b\" , {\"k\":[1,-2.5e+3]} ] }}",
                 "args", "[ \"a\\u0000b\" , {\"k\":[1,-2.5e+3]} ]"));
    CHECK(raw_is("{\"params\":{\"message\":\"hi\"},\"method\":\"send\"}",
                 "message", "\"hi\""));
    CHECK(raw_is("{\"method\":\"send\",\"params\":{\"x\":{\"message\":1},"
                 "\"message\":true}}",
                 "message", "true"));
    /* The first of two members, as cJSON resolves them. */
    CHECK(raw_is("{\"method\":\"send\",\"params\":{\"message\":1,"
                 "\"message\":2}}",
                 "message", "1"));
    CHECK(raw_is("{\"method\":\"send\"}", "message", NULL));
    CHECK(raw_is("{\"method\":\"send\",\"params\":{}}", "message", NULL));
    /* Regression: a key written with escapes is the member cJSON uses;
     * the scanner took the later plain one, and a string there lost its
     * quotes in the event (["e",x]: not JSON). */
    CHECK(raw_is("{\"method\":\"emit\",\"params\":{\"event\":\"e\","
                 "\"ar\\u0067s\":[1],\"args\":\"x\"}}",
                 "args", NULL));
    CHECK(raw_is("{\"method\":\"emit\",\"par\\u0061ms\":{\"args\":[1]},"
                 "\"params\":{\"args\":[2]}}",
                 "args", NULL));
    /* Regression: cJSON takes these, browsers' JSON.parse does not; they
     * were passed through as written. */
    CHECK(raw_is("{\"method\":\"send\",\"params\":{\"message\":+1}}", "message",
                 NULL));
    CHECK(raw_is("{\"method\":\"send\",\"params\":{\"message\":[-.5,1.]}}",
                 "message", NULL));
    CHECK(raw_is("{\"method\":\"send\",\"params\":{\"message\":\"a\tb\"}}",
                 "message", NULL));
    CHECK(raw_is("{\"method\":\"send\",\"params\":{\"message\":[01]}}",
                 "message", NULL));
    CHECK(raw_is("{\"method\":\"send\",\"params\":{\"message\":\"a\\tb\"}}",
                 "message", "\"a\\tb\""));
    CHECK(raw_is("{\"method\":\"send\",\"params\":{\"message\":"
                 "[0,-0.0,1E5,{},[],null,false]}}",
                 "message", "[0,-0.0,1E5,{},[],null,false]"));
}

static int target(const char *params, struct hub_target *t, const char **why)
{
    static cJSON *last; /* the names point into it: kept to the next call */
    cJSON *p = cJSON_Parse(params);
    int r;

    rpcmsg_target_free(t);
    r = rpcmsg_target(p, t, why);
    cJSON_Delete(last);
    last = p;
    return r;
}

static void test_target(void)
{
    struct hub_target t = {0};
    const char *why = NULL;

    CHECK(target("{}", &t, &why) == 0 && strcmp(t.nsp, "/") == 0 &&
          t.nrooms == 0 && t.nexcept == 0 && t.flags == 0);
    CHECK(target("{\"to\":\"s1\"}", &t, &why) == 0 && t.nsp == NULL &&
          t.nrooms == 1 && strcmp(t.rooms[0], "s1") == 0 &&
          t.flags == HUB_F_SIDS);
    CHECK(target("{\"channel\":\"c\",\"to\":\"s1\"}", &t, &why) == -1 &&
          why != NULL);
    CHECK(target("{\"namespace\":\"chat\"}", &t, &why) == -1);
    CHECK(target("{\"channel\":5}", &t, &why) == -1);
    CHECK(target("{\"namespace\":null,\"except\":\"x\"}", &t, &why) == 0 &&
          strcmp(t.nsp, "/") == 0 && t.nexcept == 1 &&
          strcmp(t.except[0], "x") == 0);
    /* Lists: every name kept, in order; empty lists and non-strings refused. */
    CHECK(target("{\"channel\":[\"a\",\"b\"],\"except\":[\"x\",\"y\",\"z\"],"
                 "\"volatile\":true,\"local\":false}",
                 &t, &why) == 0 &&
          t.nrooms == 2 && strcmp(t.rooms[1], "b") == 0 && t.nexcept == 3 &&
          strcmp(t.except[2], "z") == 0 && t.flags == HUB_F_VOLATILE);
    CHECK(target("{\"to\":[\"s1\",\"s2\"],\"local\":true}", &t, &why) == 0 &&
          t.nrooms == 2 && t.flags == (HUB_F_SIDS | HUB_F_LOCAL));
    CHECK(target("{\"channel\":[]}", &t, &why) == -1);
    CHECK(target("{\"to\":[\"s1\",2]}", &t, &why) == -1);
    CHECK(target("{\"except\":[null]}", &t, &why) == -1);
    CHECK(target("{\"volatile\":1}", &t, &why) == -1);
    rpcmsg_target_free(&t);
}

/* rpcmsg_event() for a line's params the way rpc.c calls it. */
static char *event(const char *line, int wrap, struct binjson_attach *a,
                   const char **why)
{
    const char *key = wrap ? "message" : "args", *text = NULL;
    struct rpcmsg m;
    cJSON *args;
    size_t len = 0;
    char *json;

    parse(line, &m);
    if (!rpcmsg_raw_param(&m, key, &text, &len))
        text = NULL;
    if (wrap) {
        args = cJSON_CreateArray();
        cJSON_AddItemToArray(
            args, cJSON_Duplicate(
                      cJSON_GetObjectItemCaseSensitive(m.params, key), 1));
    } else {
        args =
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m.params, key), 1);
    }
    json =
        rpcmsg_event(wrap ? "message" : "ev\"", args, text, len, wrap, a, why);
    cJSON_Delete(args);
    rpcmsg_free(&m);
    return json;
}

static void test_event(void)
{
    struct binjson_attach a = {.n = 0};
    struct buf line = BUF_INIT;
    const char *why = NULL;
    char *json;
    cJSON *v;
    int i;

    json = event("{\"method\":\"emit\",\"params\":{\"args\":[ 1 , \"a\\u0000\" "
                 "]}}",
                 0, &a, &why);
    CHECK(json != NULL && strcmp(json, "[\"ev\\\"\",1 , \"a\\u0000\"]") == 0);
    free(json);
    json =
        event("{\"method\":\"emit\",\"params\":{\"args\":[ ]}}", 0, &a, &why);
    CHECK(json != NULL && strcmp(json, "[\"ev\\\"\"]") == 0);
    free(json);
    json = event("{\"method\":\"send\",\"params\":{\"message\":{\"a\":[1]}}}",
                 1, &a, &why);
    CHECK(json != NULL && strcmp(json, "[\"message\",{\"a\":[1]}]") == 0);
    free(json);
    /* Re-encoded when the text cannot be passed through. */
    json = event("{\"method\":\"send\",\"params\":{\"x\\u0041\":2,"
                 "\"message\":1}}",
                 1, &a, &why);
    CHECK(json != NULL && strcmp(json, "[\"message\",1]") == 0);
    free(json);
    json = event("{\"method\":\"emit\",\"params\":{\"args\":[\"x\","
                 "{\"_binary\":\"aGVsbG8=\"},[{\"_binary\":\"\"}]]}}",
                 0, &a, &why);
    CHECK(json != NULL &&
          strcmp(json, "[\"ev\\\"\",\"x\",{\"_placeholder\":true,\"num\":0},"
                       "[{\"_placeholder\":true,\"num\":1}]]") == 0);
    CHECK(a.n == 2 && a.f[0]->len == 5 &&
          memcmp(a.f[0]->data, "hello", 5) == 0 && a.f[1]->len == 0);
    v = cJSON_Parse(json);
    binjson_insert(v, a.f, a.n);
    free(json);
    json = cJSON_PrintUnformatted(v);
    CHECK(strcmp(json, "[\"ev\\\"\",\"x\",{\"_binary\":\"aGVsbG8=\"},"
                       "[{\"_binary\":\"\"}]]") == 0);
    cJSON_free(json);
    cJSON_Delete(v);
    binjson_attach_free(&a);
    CHECK(a.n == 0);
    json = event("{\"method\":\"send\",\"params\":{\"message\":"
                 "{\"_binary\":\"a*\"}}}",
                 1, &a, &why);
    CHECK(json == NULL && why != NULL && a.n == 0);
    buf_puts(&line, "{\"method\":\"emit\",\"params\":{\"args\":[");
    for (i = 0; i <= BINJSON_MAX; i++)
        buf_puts(&line, i ? ",{\"_binary\":\"AA==\"}" : "{\"_binary\":\"\"}");
    buf_puts(&line, "]}}");
    why = NULL;
    json = event(line.data, 0, &a, &why);
    CHECK(json == NULL && why != NULL && a.n == BINJSON_MAX);
    binjson_attach_free(&a);
    buf_free(&line);
}

int main(void)
{
    test_parse();
    test_strict();
    test_raw_param();
    test_target();
    test_event();
    return T_DONE();
}
