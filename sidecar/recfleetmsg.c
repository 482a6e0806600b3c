/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recfleetmsg: pure codec of the recovery questions socketiod nodes ask
 * each other on "<key>-recovery#" and of their answers (recfleet.c). */
#include "recfleetmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "b64.h"
#include "fleetmsg.h"
#include "jsonv.h"
#include "sio.h"

/* Appends `len` bytes as a base64 JSON string. */
static int recfleetmsg_b64(struct buf *out, const void *p, size_t len)
{
    return buf_putc(out, '"') != 0 || b64_encode(out, p, len) != 0 ||
                   buf_putc(out, '"') != 0
               ? -1
               : 0;
}

static int recfleetmsg_head(struct buf *out, const char *uid,
                            const char *req_id)
{
    return buf_puts(out, "{\"uid\":") != 0 || fleetmsg_str(out, uid) != 0 ||
                   buf_puts(out, ",\"requestId\":") != 0 ||
                   fleetmsg_str(out, req_id) != 0
               ? -1
               : 0;
}

int recfleetmsg_ask(struct buf *out, const char *uid, const char *req_id,
                    const char *nsp, const char *pid, const char *offset)
{
    return recfleetmsg_head(out, uid, req_id) != 0 ||
                   buf_puts(out, ",\"nsp\":") != 0 ||
                   fleetmsg_str(out, nsp) != 0 ||
                   buf_puts(out, ",\"pid\":") != 0 ||
                   fleetmsg_str(out, pid) != 0 ||
                   buf_puts(out, ",\"offset\":") != 0 ||
                   fleetmsg_str(out, offset) != 0 || buf_putc(out, '}') != 0
               ? -1
               : 0;
}

int recfleetmsg_answer(struct buf *out, const char *uid, const char *req_id,
                       const struct recfleetmsg_session *s,
                       const struct recfleetmsg_packet *pk, size_t npk)
{
    size_t i;
    unsigned j;

    if (recfleetmsg_head(out, uid, req_id) != 0)
        return -1;
    if (s == NULL)
        return buf_puts(out, ",\"found\":false}");
    if (buf_puts(out, ",\"found\":true,\"sid\":") != 0 ||
        fleetmsg_str(out, s->sid) != 0 || buf_puts(out, ",\"nsp\":") != 0 ||
        fleetmsg_str(out, s->nsp) != 0 || buf_puts(out, ",\"channels\":[") != 0)
        return -1;
    for (i = 0; i < s->nchannels; i++)
        if ((i > 0 && buf_putc(out, ',') != 0) ||
            fleetmsg_str(out, s->channels[i]) != 0)
            return -1;
    if (buf_puts(out, "],\"context\":") != 0 ||
        (s->context == NULL
             ? buf_puts(out, "null")
             : recfleetmsg_b64(out, s->context, s->context_len)) != 0 ||
        buf_puts(out, ",\"packets\":[") != 0)
        return -1;
    for (i = 0; i < npk; i++) {
        if ((i > 0 && buf_putc(out, ',') != 0) || buf_putc(out, '[') != 0 ||
            recfleetmsg_b64(out, pk[i].json, pk[i].len) != 0)
            return -1;
        for (j = 0; j < pk[i].nattach; j++)
            if (buf_putc(out, ',') != 0 ||
                recfleetmsg_b64(out, pk[i].attach[j]->data,
                                pk[i].attach[j]->len) != 0)
                return -1;
        if (buf_putc(out, ']') != 0)
            return -1;
    }
    return buf_puts(out, "]}");
}

void recfleetmsg_free(struct recfleetmsg *m)
{
    size_t i;
    unsigned j;

    for (i = 0; i < m->nchannels; i++)
        free(m->channels[i]);
    for (i = 0; i < m->npackets; i++) {
        free(m->packets[i].json);
        for (j = 0; j < m->packets[i].nattach; j++)
            frame_unref(m->packets[i].attach[j]);
        free(m->packets[i].attach);
    }
    free(m->channels);
    free(m->packets);
    free(m->nsp);
    free(m->pid);
    free(m->offset);
    free(m->sid);
    free(m->context);
    memset(m, 0, sizeof *m);
}

/* An id into out[RECFLEETMSG_MAX_ID + 1]: 1 to RECFLEETMSG_MAX_ID
 * printable ASCII bytes. */
static int recfleetmsg_id(const cJSON *v, char *out)
{
    size_t i, n;

    if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
        n > RECFLEETMSG_MAX_ID)
        return -1;
    for (i = 0; i < n; i++)
        if ((unsigned char)v->valuestring[i] <= 0x20 ||
            (unsigned char)v->valuestring[i] >= 0x7f)
            return -1;
    memcpy(out, v->valuestring, n + 1);
    return 0;
}

/* A copy of a name: 1 to RECFLEETMSG_MAX_NAME bytes sio_name_valid()
 * takes; NULL when not (or out of memory). */
static char *recfleetmsg_name(const cJSON *v)
{
    size_t n;

    if (!cJSON_IsString(v))
        return NULL;
    n = strlen(v->valuestring);
    return n > 0 && n <= RECFLEETMSG_MAX_NAME &&
                   sio_name_valid(v->valuestring, n)
               ? strdup(v->valuestring)
               : NULL;
}

/* A copy of a string of 1 to `max` bytes all in `set`; NULL when not. */
static char *recfleetmsg_word(const cJSON *v, size_t min, size_t max,
                              const char *set)
{
    size_t n;

    if (!cJSON_IsString(v))
        return NULL;
    n = strlen(v->valuestring);
    return n >= min && n <= max && strspn(v->valuestring, set) == n
               ? strdup(v->valuestring)
               : NULL;
}

/* The bytes of a base64 string into a fresh buffer (a NUL after them);
 * NULL when not base64 (or out of memory). */
static char *recfleetmsg_unb64(const cJSON *v, size_t *len)
{
    size_t n;
    char *p;
    long got;

    if (!cJSON_IsString(v))
        return NULL;
    n = strlen(v->valuestring);
    if ((p = malloc(B64_DECODED_MAX(n) + 1)) == NULL)
        return NULL;
    if ((got = b64_decode((uint8_t *)p, v->valuestring, n)) < 0) {
        free(p);
        return NULL;
    }
    p[got] = '\0';
    *len = (size_t)got;
    return p;
}

/* One packet: [b64 json, b64 attachment...]. */
static int recfleetmsg_packet(const cJSON *a, struct recfleetmsg_rpacket *p,
                              size_t *bytes)
{
    const cJSON *e;
    int n = cJSON_GetArraySize(a), i;
    size_t len;
    char *raw;

    if (!cJSON_IsArray(a) || n < 1 || n > RECFLEETMSG_MAX_ATTACH + 1 ||
        (p->json = recfleetmsg_unb64(cJSON_GetArrayItem(a, 0), &p->len)) ==
            NULL ||
        p->len < 2 || p->json[0] != '[' || !jsonv_valid(p->json, p->len))
        return -1;
    *bytes += p->len;
    if (n > 1 && (p->attach = calloc((size_t)n - 1, sizeof *p->attach)) == NULL)
        return -1;
    for (i = 1; i < n; i++) {
        e = cJSON_GetArrayItem(a, i);
        if ((raw = recfleetmsg_unb64(e, &len)) == NULL)
            return -1;
        p->attach[i - 1] = frame_new(raw, len);
        free(raw);
        if (p->attach[i - 1] == NULL)
            return -1;
        p->nattach++;
        *bytes += len;
    }
    return 0;
}

static const char recfleetmsg_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char recfleetmsg_sidset[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

/* Whether `s` is "<1-20 digits>-<1-20 digits>". */
static int recfleetmsg_offset_ok(const char *s)
{
    size_t a = strspn(s, "0123456789"), b;

    if (a == 0 || a > 20 || s[a] != '-')
        return 0;
    b = strspn(s + a + 1, "0123456789");
    return b > 0 && b <= 20 && s[a + 1 + b] == '\0';
}

static int recfleetmsg_found(const cJSON *root, struct recfleetmsg *m,
                             const char **why)
{
    const cJSON *chans = cJSON_GetObjectItemCaseSensitive(root, "channels");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(root, "context");
    const cJSON *pks = cJSON_GetObjectItemCaseSensitive(root, "packets");
    const cJSON *e;
    int n;

    *why = "a bad sid or namespace";
    if ((m->sid = recfleetmsg_word(
             cJSON_GetObjectItemCaseSensitive(root, "sid"), 1,
             RECFLEETMSG_MAX_SID, recfleetmsg_sidset)) == NULL ||
        (m->nsp = recfleetmsg_name(
             cJSON_GetObjectItemCaseSensitive(root, "nsp"))) == NULL ||
        m->nsp[0] != '/')
        return -1;
    *why = "bad channels";
    if (!cJSON_IsArray(chans) ||
        (n = cJSON_GetArraySize(chans)) > RECFLEETMSG_MAX_CHANNELS ||
        (n > 0 &&
         (m->channels = calloc((size_t)n, sizeof *m->channels)) == NULL))
        return -1;
    cJSON_ArrayForEach(e, chans)
    {
        if ((m->channels[m->nchannels] = recfleetmsg_name(e)) == NULL)
            return -1;
        m->nchannels++;
    }
    *why = "a bad context";
    if (!cJSON_IsNull(ctx) &&
        ((m->context = recfleetmsg_unb64(ctx, &m->context_len)) == NULL ||
         !jsonv_valid(m->context, m->context_len)))
        return -1;
    *why = "bad packets";
    if (!cJSON_IsArray(pks) ||
        ((n = cJSON_GetArraySize(pks)) > 0 &&
         (m->packets = calloc((size_t)n, sizeof *m->packets)) == NULL))
        return -1;
    cJSON_ArrayForEach(e, pks)
    {
        m->npackets++;
        if (recfleetmsg_packet(e, &m->packets[m->npackets - 1], &m->bytes) != 0)
            return -1;
    }
    return 0;
}

int recfleetmsg_decode(const char *data, size_t len, struct recfleetmsg *m,
                       const char **why)
{
    const cJSON *found, *pid;
    cJSON *root;
    int rc = -1;

    memset(m, 0, sizeof *m);
    if (!jsonv_valid(data, len) || memmem(data, len, "\\u0000", 6) != NULL ||
        (root = cJSON_ParseWithLength(data, len)) == NULL) {
        *why = "not JSON, or a NUL (\\u0000) in it";
        return -1;
    }
    found = cJSON_GetObjectItemCaseSensitive(root, "found");
    pid = cJSON_GetObjectItemCaseSensitive(root, "pid");
    *why = "a bad requestId or uid";
    if (!cJSON_IsObject(root) ||
        recfleetmsg_id(cJSON_GetObjectItemCaseSensitive(root, "requestId"),
                       m->request_id) != 0 ||
        recfleetmsg_id(cJSON_GetObjectItemCaseSensitive(root, "uid"), m->uid) !=
            0)
        goto done;
    if (pid != NULL) {
        m->question = 1;
        *why = "a bad namespace, pid or offset";
        if ((m->nsp = recfleetmsg_name(
                 cJSON_GetObjectItemCaseSensitive(root, "nsp"))) == NULL ||
            m->nsp[0] != '/' ||
            (m->pid =
                 recfleetmsg_word(pid, RECFLEETMSG_PID_LEN, RECFLEETMSG_PID_LEN,
                                  recfleetmsg_b64url)) == NULL ||
            (m->offset = recfleetmsg_word(
                 cJSON_GetObjectItemCaseSensitive(root, "offset"), 3,
                 RECFLEETMSG_MAX_OFFSET, "0123456789-")) == NULL ||
            !recfleetmsg_offset_ok(m->offset))
            goto done;
    } else {
        *why = "no found";
        if (!cJSON_IsBool(found))
            goto done;
        m->found = cJSON_IsTrue(found);
        if (m->found && recfleetmsg_found(root, m, why) != 0)
            goto done;
    }
    rc = 0;
done:
    cJSON_Delete(root);
    if (rc != 0)
        recfleetmsg_free(m);
    return rc;
}
