/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upreq_fuzz: libFuzzer target for the requests sent to the application
 * (upreq.c): the event's array, the handshake and auth are the client's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fcgi.h"
#include "scgi.h"
#include "sio.h"
#include "upreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UPREQ_FUZZ_CHECK(c)                                                    \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

/* The body every request must carry: head, context, closing brace. */
static void upreq_fuzz_body(const struct upreq_event *ev, const char *ctx,
                            struct buf *body)
{
    cJSON *j;

    UPREQ_FUZZ_CHECK(buf_append(body, ev->head, ev->len) == 0 &&
                     buf_puts(body, ctx) == 0 && buf_putc(body, '}') == 0);
    j = cJSON_ParseWithLength(body->data, body->len);
    UPREQ_FUZZ_CHECK(cJSON_IsObject(j));
    cJSON_Delete(j);
}

static void upreq_fuzz_http(const struct buf *out, const struct buf *body)
{
    const char *end, *cl;

    end = memmem(out->data, out->len, "\r\n\r\n", 4);
    UPREQ_FUZZ_CHECK(end != NULL);
    UPREQ_FUZZ_CHECK((size_t)(out->data + out->len - (end + 4)) == body->len &&
                     memcmp(end + 4, body->data, body->len) == 0);
    /* The head is the daemon's own: no client byte breaks a line in it. */
    cl = memmem(out->data, (size_t)(end - out->data), "Content-Length: ", 16);
    UPREQ_FUZZ_CHECK(cl != NULL &&
                     strtoul(cl + 16, NULL, 10) == (unsigned long)body->len);
    UPREQ_FUZZ_CHECK(memchr(out->data, '\0', (size_t)(end - out->data)) ==
                     NULL);
}

static void upreq_fuzz_fcgi(const struct buf *out, const struct buf *body)
{
    struct fcgi_record rec;
    struct buf in = BUF_INIT;
    size_t off = 0;
    int n;

    while (off < out->len &&
           (n = fcgi_parse_record(out->data + off, out->len - off, &rec)) > 0) {
        if (rec.type == FCGI_STDIN)
            UPREQ_FUZZ_CHECK(buf_append(&in, rec.content, rec.len) == 0);
        off += (size_t)n;
    }
    UPREQ_FUZZ_CHECK(off == out->len);
    UPREQ_FUZZ_CHECK(in.len == body->len &&
                     memcmp(in.data, body->data, in.len) == 0);
    buf_free(&in);
}

static void upreq_fuzz_scgi(const struct buf *out, const struct buf *body)
{
    const char *d;
    size_t dlen;
    int n = scgi_parse_netstring(out->data, out->len, &d, &dlen);

    UPREQ_FUZZ_CHECK(n > 0 && out->len - (size_t)n == body->len &&
                     memcmp(out->data + n, body->data, body->len) == 0);
}

/* Input: type byte, then "data \x01 meta \x01 auth" (meta's pairs split
 * by \x02, made NUL-separated as the engine keeps them). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const urls[] = {"http://127.0.0.1:8000/ev",
                                       "fcgi+unix:/run/app.sock:/ev",
                                       "scgi://[::1]:9000/"};
    struct hub_fwd f;
    struct upreq_event ev;
    struct upreq_url u;
    struct buf out, body;
    char *text, *meta, *auth, *p;
    const char *cause;
    size_t i, n;

    if (size < 1)
        return 0;
    text = malloc(size + 2);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = text[size] = '\0';
    meta = memchr(text, 1, size - 1);
    if (meta != NULL)
        *meta++ = '\0';
    auth = meta ? strchr(meta, 1) : NULL;
    if (auth != NULL)
        *auth++ = '\0';
    for (p = meta; p != NULL && *p; p++)
        if (*p == 2)
            *p = '\0';
    memset(&f, 0, sizeof f);
    f.type = data[0] % 5;
    f.sid = "AAAAAAAAAAAAAAAAAAAA";
    f.eio_sid = "BBBBBBBBBBBBBBBBBBBB";
    f.nsp = "/";
    f.transport = "websocket";
    f.protocol = 4;
    f.meta = meta ? meta : "";
    f.auth = auth;
    f.auth_len = auth ? strlen(auth) : 0;
    f.data = text;
    f.data_len = strlen(text);
    f.ack_id = data[0] & 0x80 ? 3 : SIO_NO_ID;
    f.channel = "room";
    f.reason = "transport close";
    if (upreq_event_build(&ev, &f, 1.5) == 0) {
        UPREQ_FUZZ_CHECK(ev.what != NULL && ev.len >= 11);
        for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
            UPREQ_FUZZ_CHECK(upreq_parse_url(urls[i], &u, &cause) == 0);
            memset(&out, 0, sizeof out);
            memset(&body, 0, sizeof body);
            n = i == 0 ? 3 : 0; /* the HTTP request signed */
            UPREQ_FUZZ_CHECK(upreq_append(&out, &u, f.type, &ev, NULL, 0,
                                          n ? "key" : NULL, n,
                                          1700000000L) == 0);
            upreq_fuzz_body(&ev, "null", &body);
            if (u.proto == UPREQ_HTTP)
                upreq_fuzz_http(&out, &body);
            else if (u.proto == UPREQ_FCGI)
                upreq_fuzz_fcgi(&out, &body);
            else
                upreq_fuzz_scgi(&out, &body);
            buf_free(&out);
            buf_free(&body);
        }
        upreq_event_free(&ev);
    } else {
        UPREQ_FUZZ_CHECK(f.type == HUB_FWD_EVENT && ev.head == NULL);
    }
    free(text);
    return 0;
}
