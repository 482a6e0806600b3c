/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upans: the application's answer to an upstream request, decoded. */
#include "upans.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jsonv.h"

static const char *upans_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void upans_bad(struct upans_action *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Marks `a` skipped, saying why. */
static void upans_bad(struct upans_action *a, const char *fmt, ...)
{
    va_list ap;

    a->kind = UPANS_BAD;
    a->sid = a->channel = a->nsp = NULL;
    va_start(ap, fmt);
    vsnprintf(a->why, sizeof a->why, fmt, ap);
    va_end(ap);
}

/* JSON text of `node` with its binary values as placeholders in `at`
 * (`node` is changed). NULL with *why when a binary value is bad or out of
 * memory. */
static char *upans_extract(cJSON *node, struct binjson_attach *at,
                           const char **why)
{
    char *json = NULL;

    *why = "out of memory";
    if (binjson_extract(node, at, why) == 0)
        json = cJSON_PrintUnformatted(node);
    if (json == NULL)
        binjson_attach_free(at);
    return json;
}

/* An emit: ["event", args...] is built from the action's own "args",
 * detached from the document. */
static void upans_emit(cJSON *o, struct upans_action *a)
{
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
    cJSON *args = cJSON_GetObjectItemCaseSensitive(o, "args");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(o, "to");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "channel");
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(o, "namespace");
    cJSON *arr, *name;
    const char *why;

    if (!cJSON_IsString(ev) || (args != NULL && !cJSON_IsArray(args)) ||
        (to != NULL && !cJSON_IsString(to)) ||
        (ch != NULL && !cJSON_IsString(ch)) ||
        (ns != NULL && !cJSON_IsString(ns)) || (to != NULL && ch != NULL)) {
        upans_bad(a, "bad emit action skipped");
        return;
    }
    a->kind = UPANS_EMIT;
    a->nsp = ns ? ns->valuestring : NULL;
    a->channel = ch ? ch->valuestring : NULL;
    a->sid = to ? to->valuestring : NULL;
    a->broadcast =
        to == NULL && ch == NULL &&
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "broadcast"));
    a->except_self =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "except_self"));
    arr = args ? cJSON_DetachItemViaPointer(o, args) : cJSON_CreateArray();
    name = cJSON_CreateString(ev->valuestring);
    if (arr == NULL || name == NULL || !cJSON_InsertItemInArray(arr, 0, name)) {
        cJSON_Delete(name); /* not in the array */
        why = "out of memory";
    } else {
        a->json = upans_extract(arr, &a->at, &why);
    }
    cJSON_Delete(arr);
    if (a->json == NULL)
        upans_bad(a, "emit action skipped: %s", why);
    else
        a->len = strlen(a->json);
}

static void upans_action(cJSON *o, struct upans_action *a)
{
    const char *type = upans_str(o, "action");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(o, "sid");

    if (type == NULL) {
        upans_bad(a, "action without a type");
    } else if (strcmp(type, "emit") == 0) {
        upans_emit(o, a);
    } else if (strcmp(type, "join") != 0 && strcmp(type, "leave") != 0 &&
               strcmp(type, "disconnect") != 0) {
        upans_bad(a, "unknown action '%.40s'", type);
    } else if (sid != NULL && !cJSON_IsString(sid) && !cJSON_IsNull(sid)) {
        /* acting on the sender instead would be the wrong socket */
        upans_bad(a, "%s with a sid that is not a string", type);
    } else {
        a->sid = cJSON_IsString(sid) ? sid->valuestring : NULL;
        if (type[0] == 'd') {
            a->kind = UPANS_DISCONNECT;
        } else {
            a->kind = type[0] == 'j' ? UPANS_JOIN : UPANS_LEAVE;
            if ((a->channel = upans_str(o, "channel")) == NULL)
                upans_bad(a, "%s without a channel", type);
        }
    }
}

static int upans_has_control(const char *s)
{
    for (; s != NULL && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* Counts the "\u0000" escapes in body; with `out` (a copy of body), makes
 * each one "\u0001" there. */
static size_t upans_nul_escapes(const char *body, size_t len, char *out)
{
    size_t i, run = 0, n = 0;

    for (i = 0; i < len; i++) {
        if (body[i] == '\\') {
            run++;
            continue;
        }
        if (run % 2 == 1 && body[i] == 'u' && len - i >= 5 &&
            memcmp(body + i + 1, "0000", 4) == 0) {
            n++;
            if (out != NULL)
                out[i + 4] = '1';
        }
        run = 0;
    }
    return n;
}

/* cJSON cuts a string at "\u0000" without a word, so a channel named by
 * the app from a client's text could come out as another channel. When
 * the body has such an escape, a shadow of it is parsed with each one
 * written "\u0001": a name that was cut shows there with a control
 * character, at the same place in the same structure. */
static void upans_shadow(struct upans *a, const char *body, size_t len)
{
    const cJSON *actions;
    char *copy;

    if (upans_nul_escapes(body, len, NULL) == 0 || (copy = malloc(len)) == NULL)
        return;
    memcpy(copy, body, len);
    upans_nul_escapes(body, len, copy);
    a->shadow = cJSON_ParseWithLength(copy, len);
    free(copy);
    actions = cJSON_GetObjectItemCaseSensitive(a->shadow, "actions");
    if (cJSON_IsArray(actions))
        a->shadow_next = actions->child;
}

int upans_decode(const char *body, size_t len, struct upans *a,
                 const char **why)
{
    cJSON *allow, *data, *ack, *actions, *ctx, *user;
    const char *ack_why, *end = NULL;

    memset(a, 0, sizeof *a);
    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' ||
                       body[len - 1] == ' '))
        len--;
    /* cJSON takes more than JSON.parse does; what the app sends may reach
     * browsers (acks, emits), so the whole answer is held to RFC 8259 */
    if (len > 0 && !jsonv_valid(body, len)) {
        *why = "the body is not strict JSON (RFC 8259)";
        return -1;
    }
    a->doc = len == 0 ? cJSON_CreateObject()
                      : cJSON_ParseWithLengthOpts(body, len, &end, 0);
    /* cJSON stops after the first value; anything but blanks after it
     * makes the body something other than a JSON object */
    while (len > 0 && end != NULL && end < body + len &&
           (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (!cJSON_IsObject(a->doc) || (len > 0 && end != body + len)) {
        *why = "the body is not a JSON object";
        return -1;
    }
    allow = cJSON_GetObjectItemCaseSensitive(a->doc, "allow");
    data = cJSON_GetObjectItemCaseSensitive(a->doc, "data");
    ack = cJSON_GetObjectItemCaseSensitive(a->doc, "ack");
    actions = cJSON_GetObjectItemCaseSensitive(a->doc, "actions");
    ctx = cJSON_GetObjectItemCaseSensitive(a->doc, "context");
    if ((allow != NULL && !cJSON_IsBool(allow)) ||
        (ack != NULL && !cJSON_IsArray(ack) && !cJSON_IsNull(ack)) ||
        (actions != NULL && !cJSON_IsArray(actions) &&
         !cJSON_IsNull(actions))) {
        *why = "allow, ack or actions of the wrong type";
        return -1;
    }
    if (cJSON_IsFalse(allow)) {
        a->refused = 1;
        a->message = upans_str(a->doc, "message");
        if (a->message == NULL)
            a->message = "refused";
        if (data != NULL)
            a->data = cJSON_PrintUnformatted(data);
    }
    if (ctx != NULL) {
        a->has_context = 1;
        if (!cJSON_IsNull(ctx)) {
            a->context = cJSON_PrintUnformatted(ctx);
            a->has_context = a->context != NULL;
            a->context_len = a->context ? strlen(a->context) : 0;
        }
    }
    if (cJSON_IsArray(ack)) {
        a->ack = upans_extract(ack, &a->ack_at, &ack_why);
        if (a->ack != NULL)
            a->ack_len = strlen(a->ack);
        else
            a->ack_why = ack_why;
    }
    upans_shadow(a, body, len);
    if (cJSON_IsArray(actions)) {
        a->nactions = (size_t)cJSON_GetArraySize(actions);
        a->next = actions->child;
    }
    user = cJSON_GetObjectItemCaseSensitive(a->shadow ? a->shadow : a->doc,
                                            "user");
    if (cJSON_IsString(user))
        a->user = user->valuestring;
    else if (user != NULL && !cJSON_IsNull(user))
        a->user_bad = 1;
    return 0;
}

static void upans_action_free(struct upans_action *a)
{
    cJSON_free(a->json);
    binjson_attach_free(&a->at);
    memset(a, 0, sizeof *a);
}

const struct upans_action *upans_next(struct upans *a)
{
    cJSON *o = a->next, *sh = a->shadow_next;

    upans_action_free(&a->action);
    if (o == NULL)
        return NULL;
    a->next = o->next;
    if (sh != NULL)
        a->shadow_next = sh->next;
    upans_action(o, &a->action);
    if (sh != NULL &&
        (a->action.kind == UPANS_JOIN || a->action.kind == UPANS_LEAVE) &&
        upans_has_control(upans_str(sh, "channel")))
        upans_bad(&a->action, "%s of a channel with a control character",
                  a->action.kind == UPANS_JOIN ? "join" : "leave");
    return &a->action;
}

void upans_free(struct upans *a)
{
    upans_action_free(&a->action);
    binjson_attach_free(&a->ack_at);
    cJSON_free(a->ack);
    cJSON_free(a->context);
    cJSON_free(a->data);
    cJSON_Delete(a->doc);
    cJSON_Delete(a->shadow);
    memset(a, 0, sizeof *a);
}
