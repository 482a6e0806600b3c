/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upreq_test: --upstream URLs, the signature, an event's document and its
 * HTTP, FastCGI and SCGI requests. */
#include <string.h>

#include "t.h"
#include <stdlib.h>

#include <cJSON.h>

#include "fcgi.h"
#include "scgi.h"
#include "sio.h"
#include "upreq.h"

static void test_urls(void)
{
    struct upreq_url u;
    const char *cause;

    CHECK(upreq_parse_url("http://127.0.0.1:8000/socketio/events", &u,
                          &cause) == 0);
    CHECK(u.proto == UPREQ_HTTP && !u.is_unix);
    CHECK(strcmp(u.host, "127.0.0.1") == 0 && strcmp(u.port, "8000") == 0);
    CHECK(strcmp(u.path, "/socketio/events") == 0);
    CHECK(upreq_parse_url("fcgi://[::1]:9000", &u, &cause) == 0);
    CHECK(u.proto == UPREQ_FCGI && strcmp(u.host, "::1") == 0 &&
          strcmp(u.port, "9000") == 0 && strcmp(u.path, "/") == 0);
    CHECK(upreq_parse_url("scgi+unix:/run/app.sock:/ev", &u, &cause) == 0);
    CHECK(u.proto == UPREQ_SCGI && u.is_unix);
    CHECK(strcmp(u.sock, "/run/app.sock") == 0 && strcmp(u.path, "/ev") == 0);
    CHECK(upreq_parse_url("http+unix:/tmp/a.sock", &u, &cause) == 0);
    CHECK(strcmp(u.sock, "/tmp/a.sock") == 0 && strcmp(u.path, "/") == 0);
    CHECK(upreq_parse_url("fcgi+unix:/x.sock:/p", &u, &cause) == 0);

    CHECK(upreq_parse_url("https://h:1/", &u, &cause) == -1);
    CHECK(upreq_parse_url("http://host/", &u, &cause) == -1);
    CHECK(upreq_parse_url("http://host:80x/", &u, &cause) == -1);
    CHECK(upreq_parse_url("http://:80/", &u, &cause) == -1);
    CHECK(upreq_parse_url("http+unix:rel.sock", &u, &cause) == -1);
    CHECK(upreq_parse_url("http://h:1/a b", &u, &cause) == -1);
}

static void test_sign(void)
{
    char sig[160];

    CHECK(upreq_sign("k3y", 3, 1700000000L, "{\"a\":1}", 7, sig, sizeof sig) ==
          0);
    CHECK(strcmp(sig, "t=1700000000,v1=fd5a70e965043f7df6309c2c3b5ff5a8ffa9"
                      "9b1f5175e9a311459e73c4634d4a") == 0);
    CHECK(upreq_sign("k3y", 3, 1, "", 0, sig, 20) == -1);
}

static const char test_meta[] = "REMOTE_ADDR=192.0.2.7\0"
                                "HTTP_COOKIE=sessionid=abc; csrftoken=x\0"
                                "HTTP_HOST=chat.example.org:8443\0"
                                "QUERY_STRING=EIO=4&transport=polling\0";

static struct hub_fwd test_event(const char *data)
{
    struct hub_fwd f;

    memset(&f, 0, sizeof f);
    f.type = HUB_FWD_EVENT;
    f.sid = "AAAAAAAAAAAAAAAAAAAA";
    f.eio_sid = "BBBBBBBBBBBBBBBBBBBB";
    f.nsp = "/chat";
    f.transport = "polling";
    f.protocol = 4;
    f.meta = test_meta;
    f.data = data;
    f.data_len = strlen(data);
    f.ack_id = 7;
    return f;
}

/* The document the app gets: the fields docs/upstream.md lists. */
static void test_event_doc(void)
{
    struct hub_fwd f = test_event("[\"chat\",\"hi\",{\"n\":1}]");
    struct upreq_event ev;
    struct buf doc = BUF_INIT;
    cJSON *j, *args;

    CHECK(upreq_event_build(&ev, &f, 1700000000.5) == 0);
    CHECK(strcmp(ev.what, "event chat") == 0);
    CHECK(strcmp(ev.cookie, "sessionid=abc; csrftoken=x") == 0);
    CHECK(strcmp(ev.remote, "192.0.2.7") == 0);
    CHECK(strcmp(ev.host, "chat.example.org:8443") == 0);
    CHECK(ev.len > 11 &&
          memcmp(ev.head + ev.len - 11, ",\"context\":", 11) == 0);
    buf_append(&doc, ev.head, ev.len);
    buf_puts(&doc, "null}");
    j = cJSON_ParseWithLength(doc.data, doc.len);
    CHECK(j != NULL);
    CHECK(strcmp(cJSON_GetObjectItem(j, "type")->valuestring, "event") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(j, "event")->valuestring, "chat") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(j, "namespace")->valuestring, "/chat") ==
          0);
    CHECK(cJSON_GetObjectItem(j, "ack_id")->valuedouble == 7);
    CHECK(cJSON_GetObjectItem(j, "time")->valuedouble == 1700000000.5);
    args = cJSON_GetObjectItem(j, "args");
    CHECK(cJSON_GetArraySize(args) == 2 &&
          strcmp(cJSON_GetArrayItem(args, 0)->valuestring, "hi") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "handshake"),
                                     "REMOTE_ADDR")
                     ->valuestring,
                 "192.0.2.7") == 0);
    cJSON_Delete(j);
    buf_free(&doc);
    upreq_event_free(&ev);
    CHECK(ev.head == NULL && ev.what == NULL);

    /* not an event: nothing built, nothing leaked */
    f = test_event("{\"chat\":1}");
    CHECK(upreq_event_build(&ev, &f, 0) == -1 && ev.head == NULL);
    f = test_event("[1,2]");
    CHECK(upreq_event_build(&ev, &f, 0) == -1 && ev.head == NULL);
}

/* A Host that is the client's text with anything but a host and port in
 * it is not passed on: the request carries the URL's own. */
static void test_host_passed_only_when_fit(void)
{
    static const char meta[] = "HTTP_HOST=evil\r\nX-Admin: 1\0"
                               "HTTP_COOKIE=a=1\r\nX-Admin: 2\0";
    struct hub_fwd f = test_event("[\"e\"]");
    struct upreq_event ev;
    struct upreq_url u;
    struct buf out = BUF_INIT;
    const char *cause;

    f.meta = meta;
    CHECK(upreq_event_build(&ev, &f, 0) == 0 && ev.host == NULL &&
          ev.cookie == NULL && ev.remote == NULL);
    CHECK(upreq_parse_url("http://127.0.0.1:8000/ev", &u, &cause) == 0);
    CHECK(upreq_append(&out, &u, HUB_FWD_EVENT, &ev, NULL, 0, NULL, 0, 0) == 0);
    buf_putc(&out, '\0');
    CHECK(strstr(out.data, "Host: 127.0.0.1:8000\r\n") != NULL);
    /* in the head, not in the handshake object of the JSON body */
    CHECK(strstr(out.data, "\r\nX-Admin") == NULL);
    CHECK(strstr(out.data, "X-Socketiod-Signature") == NULL);
    buf_free(&out);
    upreq_event_free(&ev);
}

/* The body every front carries: head, context, closing brace. */
static const char *test_body(const struct upreq_event *ev)
{
    static char body[4096];

    snprintf(body, sizeof body, "%.*s{\"k\":1}}", (int)ev->len, ev->head);
    return body;
}

static void test_http_request(void)
{
    struct hub_fwd f = test_event("[\"chat\",\"hi\"]");
    struct upreq_event ev;
    struct upreq_url u;
    struct buf out = BUF_INIT;
    const char *cause, *body, *p;
    char want[160], line[256];

    CHECK(upreq_event_build(&ev, &f, 1) == 0);
    CHECK(upreq_parse_url("http://127.0.0.1:8000/socketio/events", &u,
                          &cause) == 0);
    CHECK(upreq_append(&out, &u, HUB_FWD_EVENT, &ev, "{\"k\":1}", 7, "k3y", 3,
                       1700000000L) == 0);
    buf_putc(&out, '\0');
    body = test_body(&ev);
    CHECK(strncmp(out.data, "POST /socketio/events HTTP/1.1\r\n", 32) == 0);
    CHECK(strstr(out.data, "Host: chat.example.org:8443\r\n") != NULL);
    CHECK(strstr(out.data, "X-Socketiod-Event: event\r\n") != NULL);
    CHECK(strstr(out.data, "Cookie: sessionid=abc; csrftoken=x\r\n") != NULL);
    snprintf(line, sizeof line, "Content-Length: %zu\r\n", strlen(body));
    CHECK(strstr(out.data, line) != NULL);
    CHECK(upreq_sign("k3y", 3, 1700000000L, body, strlen(body), want,
                     sizeof want) == 0);
    snprintf(line, sizeof line, "X-Socketiod-Signature: %s\r\n", want);
    CHECK(strstr(out.data, line) != NULL);
    p = strstr(out.data, "\r\n\r\n");
    CHECK(p != NULL && strcmp(p + 4, body) == 0);
    buf_free(&out);
    upreq_event_free(&ev);
}

/* FastCGI: BEGIN_REQUEST, PARAMS as a CGI gateway sends them, STDIN = the
 * body, each stream ended by an empty record. */
static void test_fcgi_request(void)
{
    struct hub_fwd f = test_event("[\"chat\",\"hi\"]");
    struct upreq_event ev;
    struct upreq_url u;
    struct fcgi_record rec;
    struct buf out = BUF_INIT, params = BUF_INIT, in = BUF_INIT;
    const char *cause, *name, *value;
    size_t off = 0, nlen, vlen, poff = 0;
    int n, types[8], nrec = 0, seen = 0;

    CHECK(upreq_event_build(&ev, &f, 1) == 0);
    CHECK(upreq_parse_url("fcgi+unix:/run/app.sock:/ev", &u, &cause) == 0);
    CHECK(upreq_append(&out, &u, HUB_FWD_EVENT, &ev, "{\"k\":1}", 7, NULL, 0,
                       0) == 0);
    while (off < out.len &&
           (n = fcgi_parse_record(out.data + off, out.len - off, &rec)) > 0) {
        CHECK(rec.id == UPREQ_FCGI_ID);
        if (nrec < 8)
            types[nrec] = rec.type;
        nrec++;
        if (rec.type == FCGI_PARAMS)
            buf_append(&params, rec.content, rec.len);
        if (rec.type == FCGI_STDIN)
            buf_append(&in, rec.content, rec.len);
        off += (size_t)n;
    }
    CHECK(off == out.len && nrec == 5);
    CHECK(types[0] == FCGI_BEGIN_REQUEST && types[1] == FCGI_PARAMS &&
          types[2] == FCGI_PARAMS && types[3] == FCGI_STDIN &&
          types[4] == FCGI_STDIN);
    while ((n = fcgi_parse_param(params.data + poff, params.len - poff, &name,
                                 &nlen, &value, &vlen)) > 0) {
        if (nlen == 11 && memcmp(name, "REMOTE_ADDR", 11) == 0)
            seen += vlen == 9 && memcmp(value, "192.0.2.7", 9) == 0;
        if (nlen == 9 && memcmp(name, "PATH_INFO", 9) == 0)
            seen += vlen == 3 && memcmp(value, "/ev", 3) == 0;
        if (nlen == 14 && memcmp(name, "CONTENT_LENGTH", 14) == 0)
            seen += (size_t)atoi(value) == in.len;
        if (nlen == 26 && memcmp(name, "HTTP_X_SOCKETIOD_SIGNATURE", 26) == 0)
            seen += 100; /* unsigned: never sent */
        poff += (size_t)n;
    }
    CHECK(poff == params.len && seen == 3);
    CHECK(in.len == strlen(test_body(&ev)) &&
          memcmp(in.data, test_body(&ev), in.len) == 0);
    buf_free(&out);
    buf_free(&params);
    buf_free(&in);
    upreq_event_free(&ev);
}

/* SCGI: one netstring of headers, CONTENT_LENGTH first, then the body. */
static void test_scgi_request(void)
{
    struct hub_fwd f = test_event("[\"chat\",\"hi\"]");
    struct upreq_event ev;
    struct upreq_url u;
    struct buf out = BUF_INIT;
    const char *cause, *data, *name, *value, *body;
    size_t dlen, nlen, vlen, off = 0;
    int n, first = 1, ok = 0;

    CHECK(upreq_event_build(&ev, &f, 1) == 0);
    CHECK(upreq_parse_url("scgi://127.0.0.1:9000/ev", &u, &cause) == 0);
    CHECK(upreq_append(&out, &u, HUB_FWD_EVENT, &ev, "{\"k\":1}", 7, NULL, 0,
                       0) == 0);
    n = scgi_parse_netstring(out.data, out.len, &data, &dlen);
    CHECK(n > 0);
    while (n > 0 && (int)off < (int)dlen &&
           scgi_next_header(data + off, dlen - off, &name, &nlen, &value,
                            &vlen) > 0) {
        if (first)
            ok = nlen == 14 && memcmp(name, "CONTENT_LENGTH", 14) == 0;
        first = 0;
        off += nlen + vlen + 2;
    }
    CHECK(ok);
    body = test_body(&ev);
    CHECK(n > 0 && out.len - (size_t)n == strlen(body) &&
          memcmp(out.data + n, body, strlen(body)) == 0);
    buf_free(&out);
    upreq_event_free(&ev);
}

int main(void)
{
    test_urls();
    test_sign();
    test_event_doc();
    test_host_passed_only_when_fit();
    test_http_request();
    test_fcgi_request();
    test_scgi_request();
    return T_DONE();
}
