/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* scgiserv: the SCGI responder front. */
#include "scgiserv.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"
#include "log.h"
#include "scgi.h"

#define SCGISERV_MAX_PARAMS 256

struct scgiserv_stats scgiserv_stats;

/* One connection is one request; it lives as long as the connection. */
struct scgiserv_req {
    struct req base;
    struct front_conn *f;
    uint8_t dispatched;
    uint8_t gone;
    struct timerq_node timer; /* queued until the request is whole */
    char addr[64];
    int port;
};

static const struct req_handler *scgiserv_h;
static size_t scgiserv_max_body, scgiserv_max_head;
static uint32_t scgiserv_next_id;
/* Requests still being sent: one deadline list, no timer each. */
static struct timerq scgiserv_req_q;
static uint32_t scgiserv_timeout_ms;

static void scgiserv_expired(struct timerq_node *node, void *arg);

void scgiserv_setup(struct event_base *base, const struct req_handler *h,
                    size_t max_body, size_t max_head,
                    uint32_t request_timeout_ms)
{
    scgiserv_h = h;
    scgiserv_max_body = max_body;
    scgiserv_max_head = max_head;
    scgiserv_timeout_ms = request_timeout_ms;
    if (request_timeout_ms)
        timerq_init(&scgiserv_req_q, base, request_timeout_ms, scgiserv_expired,
                    NULL);
}

static void scgiserv_respond(struct req *base, int status,
                             const char *content_type, const char *extra,
                             const void *body, size_t len)
{
    struct scgiserv_req *r = (struct scgiserv_req *)base;
    struct buf out = BUF_INIT;
    int rc;

    if (r->gone)
        return;
    r->gone = 1;
    timerq_remove(&r->timer);
    rc =
        buf_printf(&out, "Status: %d %s\r\n", status, http_status_text(status));
    if (rc == 0 && content_type != NULL)
        rc = buf_printf(&out, "Content-Type: %s\r\n", content_type);
    if (rc == 0 && status != 204)
        rc = buf_printf(&out, "Content-Length: %zu\r\n", len);
    if (rc == 0 && extra != NULL)
        rc = buf_puts(&out, extra);
    if (rc == 0)
        rc = buf_puts(&out, "\r\n");
    if (rc == 0 && !r->base.head)
        rc = buf_append(&out, body, len);
    if (rc == 0)
        rc = front_write(r->f, out.data, out.len);
    buf_free(&out);
    if (rc == 0)
        front_drain(r->f);
    else
        front_close(r->f);
}

static void scgiserv_peer(const struct req *base, char *addr, size_t addrlen,
                          int *port)
{
    const struct scgiserv_req *r = (const struct scgiserv_req *)base;

    snprintf(addr, addrlen, "%s", r->addr[0] ? r->addr : "local");
    *port = r->port;
}

static const struct req_ops scgiserv_req_ops = {scgiserv_respond,
                                                scgiserv_peer};

static void scgiserv_bad(struct scgiserv_req *r, const char *why)
{
    scgiserv_stats.bad_requests++;
    log_info("scgi req %u: %s", r->base.id, why);
    r->dispatched = 1;
    req_respond(&r->base, 400, "text/plain; charset=UTF-8", NULL,
                "bad request\n", 12);
}

static void scgiserv_expired(struct timerq_node *node, void *arg)
{
    struct scgiserv_req *r =
        (struct scgiserv_req *)((char *)node -
                                offsetof(struct scgiserv_req, timer));

    (void)arg;
    if (r->gone || r->dispatched)
        return;
    scgiserv_stats.timeouts++;
    log_info("scgi req %u: not whole within %u ms, answering 408", r->base.id,
             scgiserv_timeout_ms);
    r->dispatched = 1;
    req_respond(&r->base, 408, "text/plain; charset=UTF-8", NULL,
                "request timeout\n", 16);
}

/* Tries to parse the whole request from f->in. */
static void scgiserv_try(struct scgiserv_req *r)
{
    struct front_conn *f = r->f;
    struct req_param p[SCGISERV_MAX_PARAMS];
    struct http_request hreq;
    struct req_cgi cgi;
    const char *data, *name, *value;
    size_t dlen, nlen, vlen, off = 0, n = 0;
    char *scratch;
    int h, k;

    h = scgi_parse_netstring(f->in.data, f->in.len, &data, &dlen);
    /* As the HTTP front answers a head over --max-header-size; 16 bytes
     * for the netstring's length, ':' and ','. */
    if ((h == -2 && f->in.len > scgiserv_max_head + 16) ||
        (h > 0 && dlen > scgiserv_max_head)) {
        scgiserv_stats.bad_requests++;
        log_info("scgi req %u: headers over %zu bytes", r->base.id,
                 scgiserv_max_head);
        r->dispatched = 1;
        req_respond(&r->base, 431, "text/plain; charset=UTF-8", NULL,
                    "request head too large\n", 23);
        return;
    }
    if (h == -2)
        return;
    if (h < 0) {
        scgiserv_bad(r, "malformed netstring");
        return;
    }
    while (off < dlen && (k = scgi_next_header(data + off, dlen - off, &name,
                                               &nlen, &value, &vlen)) > 0) {
        off += (size_t)k;
        if (n < SCGISERV_MAX_PARAMS) {
            p[n].name = name;
            p[n].nlen = nlen;
            p[n].value = value;
            p[n].vlen = vlen;
            n++;
        }
    }
    /* The spec wants CONTENT_LENGTH first; it is read wherever it is. */
    if (off != dlen || (scratch = malloc(dlen + 1)) == NULL) {
        scgiserv_bad(r, "malformed headers");
        return;
    }
    if (req_from_cgi(p, n, scratch, dlen + 1, &hreq, &cgi) != 0) {
        free(scratch);
        scgiserv_bad(r, "bad CGI variables");
        return;
    }
    if (cgi.content_length > scgiserv_max_body) {
        free(scratch);
        scgiserv_stats.bad_requests++;
        r->dispatched = 1;
        req_respond(&r->base, 413, "text/plain; charset=UTF-8", NULL,
                    "request body over maxHttpBufferSize\n", 36);
        return;
    }
    if (f->in.len - (size_t)h < cgi.content_length) {
        free(scratch);
        return; /* the body is still coming */
    }
    if (cgi.remote_addr != NULL) {
        snprintf(r->addr, sizeof r->addr, "%.*s", (int)cgi.remote_addr_len,
                 cgi.remote_addr);
        r->port = cgi.remote_port;
    }
    r->base.https = (uint8_t)cgi.https;
    r->base.head = (uint8_t)req_is_head(&hreq);
    r->dispatched = 1;
    timerq_remove(&r->timer);
    scgiserv_stats.requests++;
    scgiserv_h->request(&r->base, NULL, &hreq, f->in.data + h,
                        cgi.content_length);
    free(scratch);
    if (!f->closed)
        front_consume(f, f->in.len); /* held: the bytes are not needed */
}

static void scgiserv_input(struct front_conn *f, int eof)
{
    struct scgiserv_req *r = f->data;

    if (eof) {
        if (r->base.data != NULL) {
            scgiserv_stats.aborted++;
            scgiserv_h->closed(&r->base);
            r->base.data = NULL;
        }
        r->gone = 1;
        timerq_remove(&r->timer);
        front_close(f);
        return;
    }
    if (r->dispatched) {
        front_consume(f, f->in.len); /* nothing more is expected */
        return;
    }
    scgiserv_try(r);
}

void scgiserv_accept(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct scgiserv_req *r = calloc(1, sizeof *r);

    (void)sa;
    (void)len;
    if (r == NULL) {
        close(fd);
        return;
    }
    r->base.ops = &scgiserv_req_ops;
    r->base.id = ++scgiserv_next_id;
    r->base.front = REQ_SCGI;
    r->f = front_new(fd, scgiserv_input, r);
    if (r->f == NULL)
        return;
    scgiserv_stats.connections++;
    scgiserv_stats.open++;
    r->f->open = &scgiserv_stats.open;
    if (scgiserv_timeout_ms)
        timerq_add(&scgiserv_req_q, &r->timer);
    log_debug("scgi req %u: connection (fd %d)", r->base.id, fd);
}
