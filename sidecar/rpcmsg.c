/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* rpcmsg: decodes one control-socket request line (docs/rpc.md). */
#include "rpcmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "buf.h"
#include "jsonv.h"

int rpcmsg_parse(const char *line, size_t len, struct rpcmsg *m)
{
    memset(m, 0, sizeof *m);
    m->line = line;
    m->len = len;
    /* what cJSON alone would take may reach browsers that refuse it */
    if (!jsonv_valid(line, len)) {
        m->why = "the line is not strict JSON (RFC 8259)";
        return RPC_PARSE_ERROR;
    }
    m->root = cJSON_ParseWithLength(line, len);
    if (m->root == NULL) {
        m->why = "the line is not JSON";
        return RPC_PARSE_ERROR;
    }
    m->id = cJSON_GetObjectItemCaseSensitive(m->root, "id");
    m->method = rpcmsg_str(m->root, "method");
    m->params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
    if (!cJSON_IsObject(m->root) || m->method == NULL) {
        m->why = "a request is an object with a method";
        return RPC_INVALID_REQUEST;
    }
    if (m->params == NULL || cJSON_IsNull(m->params))
        m->params = m->empty = cJSON_CreateObject();
    if (!cJSON_IsObject(m->params)) {
        m->why = "params must be an object";
        return RPC_INVALID_PARAMS;
    }
    return 0;
}

void rpcmsg_free(struct rpcmsg *m)
{
    cJSON_Delete(m->empty);
    cJSON_Delete(m->root);
    m->empty = m->root = m->params = NULL;
    m->id = NULL;
}

const char *rpcmsg_str(const cJSON *params, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- raw JSON spans ----
 * The line is strict JSON already (rpcmsg_parse() checks it); these find a
 * value's text in it. */

static size_t rpcmsg_ws(const char *s, size_t i, size_t len)
{
    while (i < len &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Index just past the JSON value starting at s[i], 0 when there is none. */
static size_t rpcmsg_value_end(const char *s, size_t i, size_t len)
{
    long n = i < len ? jsonv_value(s + i, len - i) : -1;

    return n < 0 ? 0 : i + (size_t)n;
}

/* Finds member `key` of the object at s[*i]; on success *i is the value's
 * start. cJSON resolves a duplicate key to its first member, and a key
 * written with escapes may decode to `key`: so the search gives up at the
 * first key with a backslash before the match. */
static int rpcmsg_member(const char *s, size_t len, size_t *i, const char *key)
{
    size_t k = strlen(key), p = rpcmsg_ws(s, *i, len), ks, ke;

    if (p >= len || s[p] != '{')
        return 0;
    p++;
    for (;;) {
        p = rpcmsg_ws(s, p, len);
        if (p >= len || s[p] != '"')
            return 0;
        ks = p + 1;
        if ((p = rpcmsg_value_end(s, p, len)) == 0)
            return 0;
        ke = p - 1;
        if (memchr(s + ks, '\\', ke - ks) != NULL)
            return 0;
        p = rpcmsg_ws(s, p, len);
        if (p >= len || s[p] != ':')
            return 0;
        p = rpcmsg_ws(s, p + 1, len);
        if (ke - ks == k && memcmp(s + ks, key, k) == 0) {
            *i = p;
            return 1;
        }
        if ((p = rpcmsg_value_end(s, p, len)) == 0)
            return 0;
        p = rpcmsg_ws(s, p, len);
        if (p >= len || s[p] != ',')
            return 0;
        p++;
    }
}

int rpcmsg_raw_param(const struct rpcmsg *m, const char *key, const char **val,
                     size_t *vlen)
{
    size_t i = 0, after, end;

    if (m->root == NULL || !rpcmsg_member(m->line, m->len, &i, "params") ||
        !rpcmsg_member(m->line, m->len, &i, key) ||
        (end = rpcmsg_value_end(m->line, i, m->len)) == 0)
        return 0;
    /* "01" must not pass as "0": the member ends where the value does */
    after = rpcmsg_ws(m->line, end, m->len);
    if (after >= m->len || (m->line[after] != ',' && m->line[after] != '}'))
        return 0;
    *val = m->line + i;
    *vlen = end - i;
    return 1;
}

/* ---- targets ---- */

/* The number of names in params.<key> (a string or a non-empty list of
 * strings; absent or null: 0), or -1. */
static int rpcmsg_names(const cJSON *params, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key), *e;
    int n = 0;

    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v))
        return 1;
    if (!cJSON_IsArray(v))
        return -1;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e))
            return -1;
        n++;
    }
    return n > 0 ? n : -1;
}

/* Appends params.<key>'s names at `out`; returns how many. */
static size_t rpcmsg_put_names(const cJSON *params, const char *key,
                               const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key), *e;
    size_t n = 0;

    if (v != NULL && cJSON_IsString(v))
        out[n++] = v->valuestring;
    else if (v != NULL && cJSON_IsArray(v))
        cJSON_ArrayForEach(e, v) out[n++] = e->valuestring;
    return n;
}

int rpcmsg_target(const cJSON *params, struct hub_target *t, const char **why)
{
    const cJSON *nsp = cJSON_GetObjectItemCaseSensitive(params, "namespace");
    const char *flag_keys[] = {"volatile", "local"};
    const unsigned flag_bits[] = {HUB_F_VOLATILE, HUB_F_LOCAL};
    int nch = rpcmsg_names(params, "channel"), nto = rpcmsg_names(params, "to");
    int nex = rpcmsg_names(params, "except");
    const cJSON *v;
    const char **names;
    size_t i;

    memset(t, 0, sizeof *t);
    if (nsp != NULL && !cJSON_IsNull(nsp)) {
        if (!cJSON_IsString(nsp) || nsp->valuestring[0] != '/') {
            *why = "namespace must be a string starting with '/'";
            return -1;
        }
        t->nsp = nsp->valuestring;
    }
    if (nch < 0 || nto < 0 || nex < 0) {
        *why = "channel, to and except must be strings or non-empty lists "
               "of strings";
        return -1;
    }
    if (nch > 0 && nto > 0) {
        *why = "give channel or to, not both";
        return -1;
    }
    for (i = 0; i < 2; i++) {
        v = cJSON_GetObjectItemCaseSensitive(params, flag_keys[i]);
        if (v != NULL && !cJSON_IsBool(v)) {
            *why = "volatile and local must be booleans";
            return -1;
        }
        if (cJSON_IsTrue(v))
            t->flags |= flag_bits[i];
    }
    names =
        malloc(((size_t)nch + (size_t)nto + (size_t)nex + 1) * sizeof *names);
    if (names == NULL) {
        *why = "out of memory";
        return -1;
    }
    t->rooms = names;
    t->nrooms = rpcmsg_put_names(params, nto ? "to" : "channel", names);
    t->except = names + t->nrooms;
    t->nexcept = rpcmsg_put_names(params, "except", names + t->nrooms);
    if (nto > 0)
        t->flags |= HUB_F_SIDS; /* and the namespace may come from them */
    else if (t->nsp == NULL)
        t->nsp = "/";
    return 0;
}

void rpcmsg_target_free(struct hub_target *t)
{
    free((void *)t->rooms);
    t->rooms = NULL;
}

/* ---- the event ---- */

/* The event array from the request's own text, or NULL when the arguments
 * carry binary markers (they need rewriting). */
static char *rpcmsg_raw_event(const char *event, const char *raw, size_t len,
                              int wrap)
{
    struct buf b = BUF_INIT;
    char *name;
    size_t a = 0;

    if (memmem(raw, len, "\"_binary\"", 9) != NULL)
        return NULL;
    if (!wrap) { /* strip the array's brackets */
        a = rpcmsg_ws(raw, 1, len);
        len = len - 1;
        while (len > a && (raw[len - 1] == ' ' || raw[len - 1] == '\n' ||
                           raw[len - 1] == '\t' || raw[len - 1] == '\r'))
            len--;
    }
    name = cJSON_PrintUnformatted(
        &(cJSON){.type = cJSON_String, .valuestring = (char *)event});
    buf_putc(&b, '[');
    buf_puts(&b, name ? name : "\"\"");
    if (len > a) {
        buf_putc(&b, ',');
        buf_append(&b, raw + a, len - a);
    }
    buf_putc(&b, ']');
    cJSON_free(name);
    return b.data;
}

char *rpcmsg_event(const char *event, cJSON *args, const char *raw,
                   size_t raw_len, int wrap, struct binjson_attach *a,
                   const char **why)
{
    char *json = raw ? rpcmsg_raw_event(event, raw, raw_len, wrap) : NULL;
    cJSON *array, *item;

    if (json != NULL)
        return json;
    array = cJSON_CreateArray();
    cJSON_AddItemToArray(array, cJSON_CreateString(event));
    if (args != NULL)
        while ((item = cJSON_DetachItemFromArray(args, 0)) != NULL)
            cJSON_AddItemToArray(array, item);
    if (binjson_extract(array, a, why) != 0) {
        cJSON_Delete(array);
        return NULL;
    }
    json = cJSON_PrintUnformatted(array);
    cJSON_Delete(array);
    return json;
}
