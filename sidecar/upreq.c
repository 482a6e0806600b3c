/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upreq: the --upstream URL, an event's JSON document and signature, and
 * its HTTP, FastCGI or SCGI request bytes. */
#include "upreq.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "binjson.h"
#include "fcgi.h"
#include "scgi.h"
#include "sio.h"

/* ---- URL, signature ---- */

int upreq_parse_url(const char *url, struct upreq_url *u, const char **cause)
{
    static const struct {
        const char *scheme;
        int proto, is_unix;
    } schemes[] = {
        {"http://", UPREQ_HTTP, 0}, {"http+unix:", UPREQ_HTTP, 1},
        {"fcgi://", UPREQ_FCGI, 0}, {"fcgi+unix:", UPREQ_FCGI, 1},
        {"scgi://", UPREQ_SCGI, 0}, {"scgi+unix:", UPREQ_SCGI, 1},
    };
    const char *p = NULL, *e, *colon;
    size_t i, n;

    memset(u, 0, sizeof *u);
    for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        n = strlen(schemes[i].scheme);
        if (strncmp(url, schemes[i].scheme, n) == 0) {
            p = url + n;
            u->proto = schemes[i].proto;
            u->is_unix = schemes[i].is_unix;
            break;
        }
    }
    if (p == NULL) {
        *cause = "the URL must start with http://, fcgi://, scgi:// or "
                 "http+unix:, fcgi+unix:, scgi+unix:";
        return -1;
    }
    if (u->is_unix) {
        /* unix:/run/app.sock:/path (the path part is optional) */
        e = strstr(p, ":/");
        n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || n >= sizeof u->sock || p[0] != '/') {
            *cause = "a unix upstream names an absolute socket path";
            return -1;
        }
        memcpy(u->sock, p, n);
        p = e ? e + 1 : p + n;
        strcpy(u->host, "localhost");
    } else {
        e = p + strcspn(p, "/");
        if (*p == '[') {
            const char *rb = memchr(p, ']', (size_t)(e - p));
            if (rb == NULL || rb - p - 1 >= (long)sizeof u->host) {
                *cause = "bad [IPv6] host";
                return -1;
            }
            memcpy(u->host, p + 1, (size_t)(rb - p - 1));
            colon = rb + 1 < e && rb[1] == ':' ? rb + 1 : NULL;
        } else {
            colon = memchr(p, ':', (size_t)(e - p));
            n = (size_t)((colon ? colon : e) - p);
            if (n == 0 || n >= sizeof u->host) {
                *cause = "the URL names no host";
                return -1;
            }
            memcpy(u->host, p, n);
        }
        if (colon == NULL || e - colon - 1 < 1 ||
            e - colon - 1 >= (long)sizeof u->port ||
            strspn(colon + 1, "0123456789") != (size_t)(e - colon - 1)) {
            *cause = "the URL needs a numeric :port";
            return -1;
        }
        memcpy(u->port, colon + 1, (size_t)(e - colon - 1));
        p = e;
    }
    if (*p == '\0')
        p = "/";
    if (*p != '/' || strlen(p) >= sizeof u->path ||
        strpbrk(p, " \r\n\t") != NULL) {
        *cause = "bad path in the URL";
        return -1;
    }
    strcpy(u->path, p);
    return 0;
}

int upreq_sign(const char *secret, size_t secret_len, long t, const char *body,
               size_t len, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    struct buf msg = BUF_INIT;
    int n;

    if (buf_printf(&msg, "%ld.", t) != 0 || buf_append(&msg, body, len) != 0 ||
        HMAC(EVP_sha256(), secret, (int)secret_len,
             (const unsigned char *)msg.data, msg.len, md, &mdlen) == NULL) {
        buf_free(&msg);
        return -1;
    }
    buf_free(&msg);
    n = snprintf(out, cap, "t=%ld,v1=", t);
    if (n < 0 || (size_t)n + 2 * mdlen + 1 > cap)
        return -1;
    for (i = 0; i < mdlen; i++)
        snprintf(out + n + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* ---- the event's document ---- */

/* The handshake's META as an object of strings. */
static cJSON *upreq_handshake(const char *meta)
{
    cJSON *o = cJSON_CreateObject();
    const char *p, *eq;
    char key[128];

    for (p = meta; o != NULL && p != NULL && *p; p += strlen(p) + 1) {
        eq = strchr(p, '=');
        if (eq == NULL || (size_t)(eq - p) >= sizeof key)
            continue;
        memcpy(key, p, (size_t)(eq - p));
        key[eq - p] = '\0';
        cJSON_AddStringToObject(o, key, eq + 1);
    }
    return o;
}

const char *upreq_type_name(int type)
{
    static const char *const names[] = {"connect", "disconnect", "event",
                                        "subscribe", "unsubscribe"};
    return type >= 0 && type <= HUB_FWD_UNSUBSCRIBE ? names[type] : "?";
}

static const char *upreq_meta(const char *meta, const char *key)
{
    size_t klen = strlen(key);
    const char *p;

    for (p = meta; p != NULL && *p; p += strlen(p) + 1)
        if (strncmp(p, key, klen) == 0 && p[klen] == '=')
            return p + klen + 1;
    return NULL;
}

/* A Host the request to the app may carry: the browser's, so the app
 * checks it (ALLOWED_HOSTS) and builds URLs as for its own pages. Only a
 * host name or address with a port passes; anything else (it is the
 * client's text) leaves the upstream's own Host. */
static int upreq_host_ok(const char *h)
{
    size_t i, n = h ? strlen(h) : 0;

    if (n == 0 || n > 255)
        return 0;
    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)h[i]) && strchr(".-_:[]", h[i]) == NULL)
            return 0;
    return 1;
}

int upreq_event_build(struct upreq_event *ev, const struct hub_fwd *f,
                      double now)
{
    cJSON *doc = cJSON_CreateObject(), *arr = NULL, *name, *auth;
    const char *v;
    char *text = NULL;
    size_t n;

    memset(ev, 0, sizeof *ev);
    if (doc == NULL)
        goto fail;
    cJSON_AddStringToObject(doc, "type", upreq_type_name(f->type));
    cJSON_AddStringToObject(doc, "sid", f->sid);
    cJSON_AddStringToObject(doc, "eio_sid", f->eio_sid);
    cJSON_AddStringToObject(doc, "namespace", f->nsp);
    cJSON_AddStringToObject(doc, "transport", f->transport);
    cJSON_AddNumberToObject(doc, "protocol", f->protocol);
    cJSON_AddNumberToObject(doc, "time", now);
    cJSON_AddItemToObject(doc, "handshake", upreq_handshake(f->meta));
    auth = f->auth ? cJSON_ParseWithLength(f->auth, f->auth_len) : NULL;
    cJSON_AddItemToObject(doc, "auth", auth ? auth : cJSON_CreateNull());
    switch (f->type) {
    case HUB_FWD_EVENT:
        arr = cJSON_ParseWithLength(f->data, f->data_len);
        if (!cJSON_IsArray(arr) ||
            !cJSON_IsString(name = cJSON_GetArrayItem(arr, 0)))
            goto fail;
        cJSON_AddStringToObject(doc, "event", name->valuestring);
        ev->what = malloc(strlen(name->valuestring) + 7);
        if (ev->what != NULL)
            sprintf(ev->what, "event %s", name->valuestring);
        cJSON_DeleteItemFromArray(arr, 0);
        binjson_insert(arr, f->attach, f->nattach);
        cJSON_AddItemToObject(doc, "args", arr);
        arr = NULL;
        break;
    case HUB_FWD_SUBSCRIBE:
    case HUB_FWD_UNSUBSCRIBE:
        cJSON_AddStringToObject(doc, "channel", f->channel);
        break;
    case HUB_FWD_DISCONNECT:
        cJSON_AddStringToObject(doc, "reason", f->reason ? f->reason : "");
        break;
    case HUB_FWD_CONNECT:
        if (f->recovered)
            cJSON_AddBoolToObject(doc, "recovered", 1);
        break;
    }
    if (f->type == HUB_FWD_SUBSCRIBE)
        cJSON_AddBoolToObject(doc, "wait", f->wait);
    if (f->ack_id != SIO_NO_ID && f->type == HUB_FWD_EVENT)
        cJSON_AddNumberToObject(doc, "ack_id", (double)f->ack_id);
    else
        cJSON_AddNullToObject(doc, "ack_id");
    if (ev->what == NULL &&
        (ev->what = strdup(upreq_type_name(f->type))) == NULL)
        goto fail;
    /* The Cookie becomes a header line of the request: one with a line
     * break in it (no HTTP front lets one through; a FastCGI parameter
     * may hold any byte) would end that line early. */
    if ((v = upreq_meta(f->meta, "HTTP_COOKIE")) != NULL &&
        strpbrk(v, "\r\n") == NULL && (ev->cookie = strdup(v)) == NULL)
        goto fail;
    if ((v = upreq_meta(f->meta, "REMOTE_ADDR")) != NULL &&
        (ev->remote = strdup(v)) == NULL)
        goto fail;
    if (upreq_host_ok(v = upreq_meta(f->meta, "HTTP_HOST")) &&
        (ev->host = strdup(v)) == NULL)
        goto fail;
    text = cJSON_PrintUnformatted(doc);
    if (text == NULL)
        goto fail;
    /* Drop the closing brace: the context goes after `"context":`. */
    n = strlen(text);
    ev->head = malloc(n + 16);
    if (ev->head == NULL)
        goto fail;
    memcpy(ev->head, text, n - 1);
    memcpy(ev->head + n - 1, ",\"context\":", 11);
    ev->len = n - 1 + 11;
    cJSON_free(text);
    cJSON_Delete(doc);
    return 0;
fail:
    cJSON_free(text);
    cJSON_Delete(arr);
    cJSON_Delete(doc);
    upreq_event_free(ev);
    return -1;
}

void upreq_event_free(struct upreq_event *ev)
{
    free(ev->head);
    free(ev->what);
    free(ev->cookie);
    free(ev->remote);
    free(ev->host);
    memset(ev, 0, sizeof *ev);
}

/* ---- the request ---- */

/* FastCGI and SCGI: the CGI variables; the body goes on stdin. */
static int upreq_append_cgi(struct buf *out, const struct upreq_url *u,
                            int type, const struct upreq_event *ev,
                            const struct buf *body, const char *sig,
                            const char *host)
{
    struct buf hdrs = BUF_INIT, params = BUF_INIT;
    char cl[24];
    const char *kv[][2] = {
        {"REQUEST_METHOD", "POST"},
        {"SCRIPT_NAME", ""},
        {"PATH_INFO", u->path},
        {"REQUEST_URI", u->path},
        {"QUERY_STRING", ""},
        {"CONTENT_TYPE", "application/json"},
        {"CONTENT_LENGTH", cl},
        {"SERVER_NAME", u->host},
        {"SERVER_PORT", u->is_unix ? "0" : u->port},
        {"SERVER_PROTOCOL", "HTTP/1.1"},
        {"GATEWAY_INTERFACE", "CGI/1.1"},
        {"REMOTE_ADDR", ev->remote},
        {"HTTP_HOST", host},
        {"HTTP_X_SOCKETIOD_EVENT", upreq_type_name(type)},
        {"HTTP_X_SOCKETIOD_SIGNATURE", sig[0] ? sig : NULL},
        {"HTTP_COOKIE", ev->cookie},
    };
    size_t i;
    int r, rc = -1;

    snprintf(cl, sizeof cl, "%zu", body->len);
    for (i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        if (kv[i][1] == NULL)
            continue;
        if (u->proto == UPREQ_SCGI) {
            if (strcmp(kv[i][0], "CONTENT_LENGTH") == 0)
                continue; /* scgi_append_request puts it first */
            r = scgi_append_header(&hdrs, kv[i][0], strlen(kv[i][0]), kv[i][1],
                                   strlen(kv[i][1]));
        } else {
            r = fcgi_append_param(&params, kv[i][0], strlen(kv[i][0]), kv[i][1],
                                  strlen(kv[i][1]));
        }
        if (r != 0)
            goto done;
    }
    if (u->proto == UPREQ_SCGI)
        rc = scgi_append_request(out, &hdrs, body->data, body->len);
    else if (fcgi_append_begin(out, UPREQ_FCGI_ID, FCGI_RESPONDER,
                               FCGI_KEEP_CONN) == 0 &&
             fcgi_append(out, FCGI_PARAMS, UPREQ_FCGI_ID, params.data,
                         params.len) == 0 &&
             fcgi_append(out, FCGI_PARAMS, UPREQ_FCGI_ID, NULL, 0) == 0 &&
             fcgi_append(out, FCGI_STDIN, UPREQ_FCGI_ID, body->data,
                         body->len) == 0 &&
             fcgi_append(out, FCGI_STDIN, UPREQ_FCGI_ID, NULL, 0) == 0)
        rc = 0;
done:
    buf_free(&hdrs);
    buf_free(&params);
    return rc;
}

int upreq_append(struct buf *out, const struct upreq_url *u, int type,
                 const struct upreq_event *ev, const char *ctx, size_t ctx_len,
                 const char *secret, size_t secret_len, long t)
{
    struct buf body = BUF_INIT;
    char sig[160] = "", host[300];
    int rc = -1;

    if (buf_append(&body, ev->head, ev->len) != 0 ||
        (ctx ? buf_append(&body, ctx, ctx_len) : buf_puts(&body, "null")) !=
            0 ||
        buf_putc(&body, '}') != 0)
        goto done;
    if (secret != NULL && upreq_sign(secret, secret_len, t, body.data, body.len,
                                     sig, sizeof sig) != 0)
        goto done;
    if (ev->host != NULL)
        snprintf(host, sizeof host, "%s", ev->host);
    else
        snprintf(host, sizeof host, "%s%s%s", u->host, u->is_unix ? "" : ":",
                 u->is_unix ? "" : u->port);
    if (u->proto != UPREQ_HTTP) {
        rc = upreq_append_cgi(out, u, type, ev, &body, sig, host);
        goto done;
    }
    if (buf_printf(out,
                   "POST %s HTTP/1.1\r\nHost: %s\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %zu\r\n"
                   "X-Socketiod-Event: %s\r\n",
                   u->path, host, body.len, upreq_type_name(type)) != 0 ||
        (sig[0] &&
         buf_printf(out, "X-Socketiod-Signature: %s\r\n", sig) != 0) ||
        (ev->cookie && buf_printf(out, "Cookie: %s\r\n", ev->cookie) != 0) ||
        buf_puts(out, "Connection: keep-alive\r\n\r\n") != 0 ||
        buf_append(out, body.data, body.len) != 0)
        goto done;
    rc = 0;
done:
    buf_free(&body);
    return rc;
}
