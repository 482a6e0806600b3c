/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upans_fuzz: libFuzzer target for the app's answers to upstream requests
 * (upans.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "binjson.h"
#include "upans.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UPANS_FUZZ_CHECK(c)                                                    \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static size_t upans_fuzz_count(const char *s, const char *needle)
{
    size_t n = 0;

    while ((s = strstr(s, needle)) != NULL) {
        n++;
        s++;
    }
    return n;
}

/* Text the codec produced: NUL-ended at `len` and one whole JSON value. */
static cJSON *upans_fuzz_json(const char *text, size_t len)
{
    cJSON *v;

    UPANS_FUZZ_CHECK(text != NULL && strlen(text) == len);
    v = cJSON_ParseWithOpts(text, NULL, 1);
    UPANS_FUZZ_CHECK(v != NULL);
    return v;
}

/* Placeholders -> {"_binary"} -> placeholders gives the same text and
 * bytes. (Objects the app wrote like placeholders are ambiguous in
 * Socket.IO itself; those inputs are left out.) */
static void upans_fuzz_binary(const char *json, struct frame *const *attach,
                              unsigned n)
{
    struct binjson_attach b = {.n = 0};
    const char *why;
    cJSON *v;
    char *again;
    unsigned i;

    UPANS_FUZZ_CHECK(n <= BINJSON_MAX && (n == 0 || attach != NULL));
    if (n == 0 || upans_fuzz_count(json, "\"_placeholder\":") != n)
        return;
    v = upans_fuzz_json(json, strlen(json));
    binjson_insert(v, attach, n);
    UPANS_FUZZ_CHECK(binjson_extract(v, &b, &why) == 0);
    again = cJSON_PrintUnformatted(v);
    UPANS_FUZZ_CHECK(again != NULL && strcmp(again, json) == 0);
    UPANS_FUZZ_CHECK(b.n == n);
    for (i = 0; i < n; i++)
        UPANS_FUZZ_CHECK(
            attach[i]->len == b.f[i]->len &&
            (attach[i]->len == 0 ||
             memcmp(attach[i]->data, b.f[i]->data, attach[i]->len) == 0));
    cJSON_free(again);
    binjson_attach_free(&b);
    cJSON_Delete(v);
}

/* An action agrees with the member it came from, read independently. */
static void upans_fuzz_action(const struct upans_action *a, const cJSON *o)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "action");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(o, "sid");
    const cJSON *first;
    cJSON *arr;

    if (a->kind == UPANS_BAD) {
        UPANS_FUZZ_CHECK(a->why[0] != '\0' && a->json == NULL && a->at.n == 0);
        UPANS_FUZZ_CHECK(a->sid == NULL && a->channel == NULL &&
                         a->nsp == NULL);
        return;
    }
    UPANS_FUZZ_CHECK(cJSON_IsString(type));
    switch (a->kind) {
    case UPANS_EMIT:
        UPANS_FUZZ_CHECK(strcmp(type->valuestring, "emit") == 0);
        UPANS_FUZZ_CHECK(a->sid == NULL || a->channel == NULL);
        UPANS_FUZZ_CHECK(!a->broadcast ||
                         (a->sid == NULL && a->channel == NULL));
        arr = upans_fuzz_json(a->json, a->len);
        UPANS_FUZZ_CHECK(cJSON_IsArray(arr));
        first = cJSON_GetArrayItem(arr, 0);
        UPANS_FUZZ_CHECK(cJSON_IsString(first) && cJSON_IsString(ev) &&
                         strcmp(first->valuestring, ev->valuestring) == 0);
        cJSON_Delete(arr);
        upans_fuzz_binary(a->json, a->at.f, a->at.n);
        break;
    case UPANS_JOIN:
    case UPANS_LEAVE:
        UPANS_FUZZ_CHECK(strcmp(type->valuestring,
                                a->kind == UPANS_JOIN ? "join" : "leave") == 0);
        UPANS_FUZZ_CHECK(a->channel != NULL);
        /* fall through */
    case UPANS_DISCONNECT:
        UPANS_FUZZ_CHECK(a->kind != UPANS_DISCONNECT ||
                         strcmp(type->valuestring, "disconnect") == 0);
        /* the sender only when the app named no socket */
        UPANS_FUZZ_CHECK((a->sid == NULL) ==
                         (sid == NULL || cJSON_IsNull(sid)));
        UPANS_FUZZ_CHECK(a->json == NULL && a->at.n == 0);
        break;
    default:
        UPANS_FUZZ_CHECK(0);
    }
}

/* What the codec decoded, against an independent parse of the body. */
static void upans_fuzz_check(struct upans *a, const char *text, size_t len)
{
    const cJSON *allow, *actions, *item;
    const struct upans_action *act;
    cJSON *doc, *v;
    size_t i;

    if (memchr(text, '\0', len) != NULL)
        return; /* cJSON reads a NUL inside a string as its end */
    doc = len == 0 ? cJSON_CreateObject() : cJSON_ParseWithOpts(text, NULL, 1);
    /* decoded means one JSON object with nothing after it */
    UPANS_FUZZ_CHECK(cJSON_IsObject(doc));
    allow = cJSON_GetObjectItemCaseSensitive(doc, "allow");
    UPANS_FUZZ_CHECK(a->refused == cJSON_IsFalse(allow));
    UPANS_FUZZ_CHECK(!a->refused || a->message != NULL);
    UPANS_FUZZ_CHECK(a->refused || (a->message == NULL && a->data == NULL));
    if (a->data != NULL)
        cJSON_Delete(upans_fuzz_json(a->data, strlen(a->data)));
    if (a->context != NULL) {
        UPANS_FUZZ_CHECK(a->has_context);
        cJSON_Delete(upans_fuzz_json(a->context, a->context_len));
    }
    /* "user": the string as sent, or flagged; users_valid() takes it from
     * there (a "\u0000" in it reads as "\u0001", which it refuses) */
    UPANS_FUZZ_CHECK(a->user == NULL || !a->user_bad);
    if (a->user != NULL) {
        const char *why;
        UPANS_FUZZ_CHECK(
            cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "user")));
        if (users_valid(a->user, strlen(a->user), &why))
            UPANS_FUZZ_CHECK(strlen(a->user) <= USERS_MAX_NAME);
    }
    UPANS_FUZZ_CHECK(a->ack == NULL || a->ack_why == NULL);
    if (a->ack != NULL) {
        v = upans_fuzz_json(a->ack, a->ack_len);
        UPANS_FUZZ_CHECK(cJSON_IsArray(v));
        cJSON_Delete(v);
        upans_fuzz_binary(a->ack, a->ack_at.f, a->ack_at.n);
    } else {
        UPANS_FUZZ_CHECK(a->ack_at.n == 0);
    }
    actions = cJSON_GetObjectItemCaseSensitive(doc, "actions");
    UPANS_FUZZ_CHECK(
        a->nactions ==
        (cJSON_IsArray(actions) ? (size_t)cJSON_GetArraySize(actions) : 0));
    i = 0;
    cJSON_ArrayForEach(item, actions)
    {
        act = upans_next(a);
        UPANS_FUZZ_CHECK(act != NULL);
        upans_fuzz_action(act, item);
        i++;
    }
    UPANS_FUZZ_CHECK(i == a->nactions && upans_next(a) == NULL);
    cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    const char *why = NULL;
    struct upans a, b;
    size_t len = size;
    int rc;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rc = upans_decode(text, size, &a, &why);
    UPANS_FUZZ_CHECK(rc == 0 || rc == -1);
    UPANS_FUZZ_CHECK(rc == 0 || why != NULL);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
                       text[len - 1] == ' '))
        len--;
    text[len] = '\0';
    if (rc == 0)
        upans_fuzz_check(&a, text, len);
    /* the trailing blanks make no difference */
    UPANS_FUZZ_CHECK(upans_decode(text, len, &b, &why) == rc);
    UPANS_FUZZ_CHECK(rc != 0 ||
                     (a.nactions == b.nactions && a.refused == b.refused &&
                      a.has_context == b.has_context));
    while (upans_next(&b) != NULL)
        continue; /* every action decodes, whatever the body */
    upans_free(&a);
    upans_free(&b);
    free(text);
    return 0;
}
