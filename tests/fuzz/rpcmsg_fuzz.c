/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpcmsg_fuzz: libFuzzer target for control-socket request lines (rpcmsg.c). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "rpcmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RPCMSG_FUZZ_CHECK(c)                                                   \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

/* cJSON_Compare() with two infinities equal: "1e999" is valid JSON. */
static int rpcmsg_fuzz_same(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;

    if ((a->type & 0xff) != (b->type & 0xff))
        return 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble ||
               (isnan(a->valuedouble) && isnan(b->valuedouble));
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (!cJSON_IsArray(a) && !cJSON_IsObject(a))
        return 1;
    for (x = a->child, y = b->child; x != NULL && y != NULL;
         x = x->next, y = y->next)
        if ((cJSON_IsObject(a) && strcmp(x->string, y->string) != 0) ||
            !rpcmsg_fuzz_same(x, y))
            return 0;
    return x == NULL && y == NULL;
}

static size_t rpcmsg_fuzz_count(const char *s, const char *needle)
{
    size_t n = 0;

    while ((s = strstr(s, needle)) != NULL) {
        n++;
        s++;
    }
    return n;
}

static int rpcmsg_fuzz_digit(char c) { return c >= '0' && c <= '9'; }

/* Browsers' JSON.parse refuses raw control characters in strings, and
 * numbers such as "01", "1." or "-.5" that cJSON takes: a span passed
 * through holds none of them. */
static int rpcmsg_fuzz_strict(const char *s, size_t len)
{
    int in_string = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (in_string) {
            if (c < 0x20)
                return 0;
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if ((c < 0x20 && c != ' ' && c != '\t' && c != '\n' &&
                    c != '\r') ||
                   (c == '+' &&
                    (i == 0 || (s[i - 1] != 'e' && s[i - 1] != 'E'))) ||
                   (c == '.' &&
                    (i == 0 || !rpcmsg_fuzz_digit(s[i - 1]) || i + 1 == len ||
                     !rpcmsg_fuzz_digit(s[i + 1]))) ||
                   (c == '0' && i + 1 < len && rpcmsg_fuzz_digit(s[i + 1]) &&
                    (i == 0 ||
                     !(rpcmsg_fuzz_digit(s[i - 1]) || s[i - 1] == '.' ||
                       s[i - 1] == 'e' || s[i - 1] == 'E' || s[i - 1] == '+' ||
                       (s[i - 1] == '-' && i >= 2 &&
                        (s[i - 2] == 'e' || s[i - 2] == 'E')))))) {
            return 0;
        }
    }
    return 1;
}

/* A raw span must be the whole text of one value that cJSON reads as the
 * value it gave for params.<key>. */
static void rpcmsg_fuzz_raw(const struct rpcmsg *m, const char *key)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(m->params, key);
    const char *val;
    size_t vlen;
    cJSON *got;
    char *copy;

    if (!rpcmsg_raw_param(m, key, &val, &vlen))
        return;
    RPCMSG_FUZZ_CHECK(want != NULL);
    RPCMSG_FUZZ_CHECK(val >= m->line && vlen > 0 && vlen <= m->len &&
                      (size_t)(val - m->line) <= m->len - vlen);
    RPCMSG_FUZZ_CHECK(rpcmsg_fuzz_strict(val, vlen));
    copy = malloc(vlen + 1);
    RPCMSG_FUZZ_CHECK(copy != NULL);
    memcpy(copy, val, vlen);
    copy[vlen] = '\0';
    /* require_null_terminated: nothing may follow the value */
    got = cJSON_ParseWithOpts(copy, NULL, 1);
    RPCMSG_FUZZ_CHECK(got != NULL);
    RPCMSG_FUZZ_CHECK(rpcmsg_fuzz_same(got, want));
    cJSON_Delete(got);
    free(copy);
}

/* The event array as rpc.c builds it for emit (wrap 0) or send (wrap 1). */
static void rpcmsg_fuzz_event(const struct rpcmsg *m, int wrap)
{
    const char *event = wrap ? "message" : rpcmsg_str(m->params, "event");
    const cJSON *given =
        cJSON_GetObjectItemCaseSensitive(m->params, wrap ? "message" : "args");
    struct binjson_attach a = {.n = 0}, b = {.n = 0};
    const char *raw = NULL, *why = NULL;
    cJSON *args, *want, *got, *item;
    size_t raw_len = 0;
    unsigned i;
    char *json, *again;

    if (event == NULL || given == NULL || (!wrap && !cJSON_IsArray(given)))
        return;
    if (!rpcmsg_raw_param(m, wrap ? "message" : "args", &raw, &raw_len))
        raw = NULL;
    if (wrap) {
        args = cJSON_CreateArray();
        cJSON_AddItemToArray(args, cJSON_Duplicate(given, 1));
    } else {
        args = cJSON_Duplicate(given, 1);
    }
    want = cJSON_Duplicate(args, 1);
    cJSON_InsertItemInArray(want, 0, cJSON_CreateString(event));
    json = rpcmsg_event(event, args, raw, raw_len, wrap, &a, &why);
    if (json == NULL) {
        RPCMSG_FUZZ_CHECK(why != NULL); /* a bad binary value, never memory */
        goto done;
    }
    got = cJSON_Parse(json);
    RPCMSG_FUZZ_CHECK(cJSON_IsArray(got));
    item = cJSON_GetArrayItem(got, 0);
    RPCMSG_FUZZ_CHECK(cJSON_IsString(item) &&
                      strcmp(item->valuestring, event) == 0);
    if (a.n == 0) {
        /* as given: passed through, or re-encoded (JSON has no infinity:
         * cJSON prints null for "1e999") */
        again = cJSON_PrintUnformatted(want);
        RPCMSG_FUZZ_CHECK(again != NULL);
        RPCMSG_FUZZ_CHECK(rpcmsg_fuzz_same(got, want) ||
                          strcmp(again, json) == 0);
        cJSON_free(again);
    } else if (rpcmsg_fuzz_count(json, "\"_placeholder\":") == a.n) {
        /* placeholders back to markers and out again: the same packet.
         * (Objects the app wrote like placeholders are ambiguous in
         * Socket.IO itself; those inputs are left out.) */
        binjson_insert(got, a.f, a.n);
        RPCMSG_FUZZ_CHECK(binjson_extract(got, &b, &why) == 0);
        again = cJSON_PrintUnformatted(got);
        RPCMSG_FUZZ_CHECK(again != NULL && strcmp(again, json) == 0);
        RPCMSG_FUZZ_CHECK(a.n == b.n);
        for (i = 0; i < a.n; i++)
            RPCMSG_FUZZ_CHECK(a.f[i]->len == b.f[i]->len &&
                              memcmp(a.f[i]->data, b.f[i]->data, a.f[i]->len) ==
                                  0);
        cJSON_free(again);
    }
    cJSON_Delete(got);
done:
    cJSON_free(json);
    binjson_attach_free(&a);
    binjson_attach_free(&b);
    cJSON_Delete(args);
    cJSON_Delete(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size ? size : 1);
    struct hub_target t;
    struct rpcmsg m;
    const cJSON *member;
    const char *why;
    int code;

    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    code = rpcmsg_parse(line, size, &m);
    if (code != 0) {
        RPCMSG_FUZZ_CHECK(m.why != NULL);
        RPCMSG_FUZZ_CHECK((code == RPC_PARSE_ERROR) == (m.root == NULL));
        goto done;
    }
    RPCMSG_FUZZ_CHECK(m.method != NULL && cJSON_IsObject(m.params));
    cJSON_ArrayForEach(member, m.params) rpcmsg_fuzz_raw(&m, member->string);
    if (rpcmsg_target(m.params, &t, &why) == 0) {
        size_t i;

        RPCMSG_FUZZ_CHECK(t.nsp != NULL || (t.flags & HUB_F_SIDS));
        RPCMSG_FUZZ_CHECK(t.nsp == NULL || t.nsp[0] == '/');
        RPCMSG_FUZZ_CHECK(t.rooms != NULL && t.except == t.rooms + t.nrooms);
        for (i = 0; i < t.nrooms + t.nexcept; i++)
            RPCMSG_FUZZ_CHECK(t.rooms[i] != NULL);
        rpcmsg_target_free(&t);
    } else {
        RPCMSG_FUZZ_CHECK(why != NULL);
    }
    rpcmsg_fuzz_event(&m, 0);
    rpcmsg_fuzz_event(&m, 1);
done:
    rpcmsg_free(&m);
    free(line);
    return 0;
}
