/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* fcgiserv: the FastCGI responder front (records per fcgi2's fastcgi.h). */
#include "fcgiserv.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi.h"
#include "front.h"
#include "log.h"

#define FCGISERV_MAX_PARAMS 256

struct fcgiserv_stats fcgiserv_stats;

struct fcgiserv_conn;

struct fcgiserv_req {
    struct req base;
    struct fcgiserv_conn *fc; /* NULL once answered or aborted */
    union {
        TAILQ_ENTRY(fcgiserv_req) link; /* on fc->reqs while it has one */
        struct turn_node dead;          /* then until the end of the turn */
    };
    unsigned rid;
    uint8_t keep_conn;
    uint8_t params_done;
    uint8_t dispatched;
    struct buf params;
    struct buf body;
    size_t counted;           /* of params and body, in fc->buffered */
    struct timerq_node timer; /* queued until the request is whole */
    char addr[64];
    int port;
};

struct fcgiserv_conn {
    struct front_conn *f;
    TAILQ_HEAD(, fcgiserv_req) reqs;
    unsigned nreqs;
    uint8_t keep;    /* the last request allowed the connection to stay */
    uint8_t gone;    /* closed or draining: no more requests */
    size_t buffered; /* bytes of the requests still being sent */
    struct timerq_node idle; /* queued while no request is open */
};

static const struct req_handler *fcgiserv_h;
static struct fcgiserv_limits fcgiserv_lim;
static uint32_t fcgiserv_next_id;
/* Deadlines without a timer each: requests still being sent, and
 * connections without a request. */
static struct timerq fcgiserv_req_q, fcgiserv_idle_q;
static const struct req_ops fcgiserv_req_ops;

/* Requests are freed at the end of the loop turn, after every caller that
 * might still hold one has returned. */
static void fcgiserv_free(struct turn_node *n)
{
    struct fcgiserv_req *r = TURN_OF(n, struct fcgiserv_req, dead);

    buf_free(&r->params);
    buf_free(&r->body);
    free(r);
}

static void fcgiserv_req_expired(struct timerq_node *node, void *arg);
static void fcgiserv_idle_expired(struct timerq_node *node, void *arg);

void fcgiserv_setup(struct event_base *base, const struct req_handler *h,
                    const struct fcgiserv_limits *lim)
{
    fcgiserv_h = h;
    fcgiserv_lim = *lim;
    if (lim->request_timeout_ms)
        timerq_init(&fcgiserv_req_q, base, lim->request_timeout_ms,
                    fcgiserv_req_expired, NULL);
    if (lim->idle_timeout_ms)
        timerq_init(&fcgiserv_idle_q, base, lim->idle_timeout_ms,
                    fcgiserv_idle_expired, NULL);
}

/* r is no longer being sent (whole, refused or ended): its clock stops
 * and its bytes stop counting against the connection. */
static void fcgiserv_settle(struct fcgiserv_req *r)
{
    if (r->fc != NULL)
        r->fc->buffered -= r->counted;
    r->counted = 0;
    timerq_remove(&r->timer);
}

static void fcgiserv_forget(struct fcgiserv_req *r)
{
    struct fcgiserv_conn *fc = r->fc;

    if (fc == NULL)
        return;
    fcgiserv_settle(r);
    TAILQ_REMOVE(&fc->reqs, r, link);
    fc->nreqs--;
    r->fc = NULL;
    /* params and body stay: the handler may still read the request it is
     * answering; they go at the end of the turn. */
    turn_defer(&r->dead, fcgiserv_free);
}

/* The connection ends: held requests are released, everything freed. */
static void fcgiserv_fail(struct fcgiserv_conn *fc)
{
    struct fcgiserv_req *r;

    if (fc->gone)
        return;
    fc->gone = 1;
    timerq_remove(&fc->idle);
    while ((r = TAILQ_FIRST(&fc->reqs)) != NULL) {
        if (r->base.data != NULL) {
            fcgiserv_stats.aborted++;
            fcgiserv_h->closed(&r->base);
            r->base.data = NULL;
        }
        fcgiserv_forget(r);
    }
    front_close(fc->f);
}

static int fcgiserv_end(struct fcgiserv_conn *fc, unsigned rid,
                        int protocol_status)
{
    struct buf b = BUF_INIT;
    FCGI_EndRequestBody e;
    int rc;

    memset(&e, 0, sizeof e);
    e.protocolStatus = (unsigned char)protocol_status;
    rc = fcgi_append(&b, FCGI_END_REQUEST, rid, &e, sizeof e);
    if (rc == 0)
        rc = front_write(fc->f, b.data, b.len);
    buf_free(&b);
    return rc;
}

/* After a request ended: close when nothing else runs and the web server
 * did not ask to keep the connection; a kept one starts its idle clock. */
static void fcgiserv_maybe_close(struct fcgiserv_conn *fc)
{
    if (fc->gone || fc->nreqs > 0)
        return;
    if (!fc->keep) {
        fc->gone = 1;
        timerq_remove(&fc->idle);
        front_drain(fc->f);
    } else if (fcgiserv_lim.idle_timeout_ms) {
        timerq_add(&fcgiserv_idle_q, &fc->idle);
    }
}

static void fcgiserv_req_expired(struct timerq_node *node, void *arg)
{
    struct fcgiserv_req *r =
        (struct fcgiserv_req *)((char *)node -
                                offsetof(struct fcgiserv_req, timer));

    (void)arg;
    if (r->fc == NULL || r->dispatched)
        return;
    fcgiserv_stats.timeouts++;
    log_info("fcgi req %u: not whole within %u ms, answering 408", r->base.id,
             fcgiserv_lim.request_timeout_ms);
    r->dispatched = 1;
    req_respond(&r->base, 408, "text/plain; charset=UTF-8", NULL,
                "request timeout\n", 16);
}

static void fcgiserv_idle_expired(struct timerq_node *node, void *arg)
{
    struct fcgiserv_conn *fc =
        (struct fcgiserv_conn *)((char *)node -
                                 offsetof(struct fcgiserv_conn, idle));

    (void)arg;
    if (fc->gone || fc->nreqs > 0)
        return;
    fcgiserv_stats.timeouts++;
    log_info("front %u: no FastCGI request for %u ms, closing", fc->f->id,
             fcgiserv_lim.idle_timeout_ms);
    fcgiserv_fail(fc);
}

/* Appends a record's content to one of r's buffers, counted against the
 * connection. Returns 0; 1 when the connection's limit refused r (it is
 * answered 503); -1 when out of memory. */
static int fcgiserv_keep(struct fcgiserv_req *r, struct buf *b, const char *p,
                         size_t len)
{
    struct fcgiserv_conn *fc = r->fc;

    if (fc->buffered + len > fcgiserv_lim.max_buffered) {
        fcgiserv_stats.refused++;
        log_info("fcgi req %u: front %u already holds %zu bytes of requests "
                 "being sent (--max-front-buffer), answering 503",
                 r->base.id, fc->f->id, fc->buffered);
        r->dispatched = 1;
        req_respond(&r->base, 503, "text/plain; charset=UTF-8", NULL,
                    "too many request bytes on this connection\n", 42);
        return 1;
    }
    if (buf_append(b, p, len) != 0)
        return -1;
    r->counted += len;
    fc->buffered += len;
    return 0;
}

static void fcgiserv_respond(struct req *base, int status,
                             const char *content_type, const char *extra,
                             const void *body, size_t len)
{
    struct fcgiserv_req *r = (struct fcgiserv_req *)base;
    struct fcgiserv_conn *fc = r->fc;
    struct buf head = BUF_INIT, out = BUF_INIT;
    int rc;

    if (fc == NULL || fc->gone)
        return; /* aborted: nobody to answer */
    rc = buf_printf(&head, "Status: %d %s\r\n", status,
                    http_status_text(status));
    if (rc == 0 && content_type != NULL)
        rc = buf_printf(&head, "Content-Type: %s\r\n", content_type);
    if (rc == 0 && status != 204)
        rc = buf_printf(&head, "Content-Length: %zu\r\n", len);
    if (rc == 0 && extra != NULL)
        rc = buf_puts(&head, extra);
    if (rc == 0)
        rc = buf_puts(&head, "\r\n");
    if (rc == 0 && !r->base.head)
        rc = buf_append(&head, body, len);
    if (rc == 0)
        rc = fcgi_append(&out, FCGI_STDOUT, r->rid, head.data, head.len);
    if (rc == 0)
        rc = fcgi_append(&out, FCGI_STDOUT, r->rid, NULL, 0);
    buf_free(&head);
    if (rc == 0)
        rc = front_write(fc->f, out.data, out.len);
    buf_free(&out);
    if (rc == 0)
        rc = fcgiserv_end(fc, r->rid, FCGI_REQUEST_COMPLETE);
    fc->keep = r->keep_conn;
    fcgiserv_forget(r);
    if (rc != 0) {
        fcgiserv_fail(fc);
        return;
    }
    fcgiserv_maybe_close(fc);
}

static void fcgiserv_peer(const struct req *base, char *addr, size_t addrlen,
                          int *port)
{
    const struct fcgiserv_req *r = (const struct fcgiserv_req *)base;

    snprintf(addr, addrlen, "%s", r->addr[0] ? r->addr : "local");
    *port = r->port;
}

static const struct req_ops fcgiserv_req_ops = {fcgiserv_respond,
                                                fcgiserv_peer};

static struct fcgiserv_req *fcgiserv_find(struct fcgiserv_conn *fc,
                                          unsigned rid)
{
    struct fcgiserv_req *r;

    TAILQ_FOREACH(r, &fc->reqs, link)
    if (r->rid == rid)
        return r;
    return NULL;
}

/* FCGI_GET_VALUES: answers the variables we know, ignores the others. */
static int fcgiserv_get_values(struct fcgiserv_conn *fc, const char *p,
                               size_t len)
{
    struct buf v = BUF_INIT, out = BUF_INIT;
    const char *name, *value;
    size_t nlen, vlen, off = 0;
    char num[16];
    int n, rc = 0;

    while (rc == 0 && off < len &&
           (n = fcgi_parse_param(p + off, len - off, &name, &nlen, &value,
                                 &vlen)) > 0) {
        off += (size_t)n;
        if (nlen == 14 && memcmp(name, FCGI_MAX_CONNS, 14) == 0)
            snprintf(num, sizeof num, "%d", FCGISERV_MAX_CONNS);
        else if (nlen == 13 && memcmp(name, FCGI_MAX_REQS, 13) == 0)
            snprintf(num, sizeof num, "%d", FCGISERV_MAX_REQS);
        else if (nlen == 15 && memcmp(name, FCGI_MPXS_CONNS, 15) == 0)
            snprintf(num, sizeof num, "1");
        else
            continue;
        rc = fcgi_append_param(&v, name, nlen, num, strlen(num));
    }
    if (rc == 0)
        rc = fcgi_append(&out, FCGI_GET_VALUES_RESULT, 0, v.data, v.len);
    if (rc == 0)
        rc = front_write(fc->f, out.data, out.len);
    buf_free(&v);
    buf_free(&out);
    return rc;
}

static int fcgiserv_unknown_type(struct fcgiserv_conn *fc, int type)
{
    FCGI_UnknownTypeBody u;
    struct buf out = BUF_INIT;
    int rc;

    memset(&u, 0, sizeof u);
    u.type = (unsigned char)type;
    rc = fcgi_append(&out, FCGI_UNKNOWN_TYPE, 0, &u, sizeof u);
    if (rc == 0)
        rc = front_write(fc->f, out.data, out.len);
    buf_free(&out);
    return rc;
}

/* The whole request is in: parse the params and hand it up. */
static void fcgiserv_dispatch(struct fcgiserv_req *r)
{
    struct req_param p[FCGISERV_MAX_PARAMS];
    struct http_request hreq;
    struct req_cgi cgi;
    const char *name, *value;
    size_t nlen, vlen, off = 0, n = 0;
    char *scratch;
    int k;

    r->dispatched = 1;
    fcgiserv_settle(r);
    while (off < r->params.len &&
           (k = fcgi_parse_param(r->params.data + off, r->params.len - off,
                                 &name, &nlen, &value, &vlen)) > 0) {
        off += (size_t)k;
        if (n < FCGISERV_MAX_PARAMS) {
            p[n].name = name;
            p[n].nlen = nlen;
            p[n].value = value;
            p[n].vlen = vlen;
            n++;
        }
    }
    scratch = malloc(r->params.len + 1);
    if (scratch == NULL || off != r->params.len ||
        req_from_cgi(p, n, scratch, r->params.len + 1, &hreq, &cgi) != 0) {
        free(scratch);
        fcgiserv_stats.bad_requests++;
        log_info("fcgi req %u: bad params", r->base.id);
        req_respond(&r->base, 400, "text/plain; charset=UTF-8", NULL,
                    "bad request\n", 12);
        return;
    }
    if (cgi.remote_addr != NULL) {
        snprintf(r->addr, sizeof r->addr, "%.*s", (int)cgi.remote_addr_len,
                 cgi.remote_addr);
        r->port = cgi.remote_port;
    }
    r->base.https = (uint8_t)cgi.https;
    r->base.head = (uint8_t)req_is_head(&hreq);
    fcgiserv_stats.requests++;
    fcgiserv_h->request(&r->base, NULL, &hreq, r->body.data ? r->body.data : "",
                        r->body.len);
    free(scratch);
    if (r->fc != NULL) {
        /* Held (a long-poll): the request's bytes are no longer needed. */
        buf_free(&r->params);
        buf_free(&r->body);
    }
}

static void fcgiserv_begin(struct fcgiserv_conn *fc, unsigned rid,
                           const char *c, size_t len, int *fatal)
{
    const FCGI_BeginRequestBody *b = (const FCGI_BeginRequestBody *)c;
    struct fcgiserv_req *r;
    int role;

    if (len < sizeof *b || fcgiserv_find(fc, rid) != NULL) {
        *fatal = 1;
        return;
    }
    role = (b->roleB1 << 8) | b->roleB0;
    fc->keep = (b->flags & FCGI_KEEP_CONN) != 0;
    if (role != FCGI_RESPONDER) {
        fcgiserv_stats.bad_requests++;
        if (fcgiserv_end(fc, rid, FCGI_UNKNOWN_ROLE) != 0)
            *fatal = 1;
        return;
    }
    if (fc->nreqs >= FCGISERV_MAX_REQS || (r = calloc(1, sizeof *r)) == NULL) {
        fcgiserv_stats.refused++;
        log_info("front %u: %u requests open, refusing one more", fc->f->id,
                 fc->nreqs);
        if (fcgiserv_end(fc, rid, FCGI_OVERLOADED) != 0)
            *fatal = 1;
        return;
    }
    r->base.ops = &fcgiserv_req_ops;
    r->base.id = ++fcgiserv_next_id;
    r->base.front = REQ_FCGI;
    r->fc = fc;
    r->rid = rid;
    r->keep_conn = fc->keep;
    TAILQ_INSERT_TAIL(&fc->reqs, r, link);
    fc->nreqs++;
    timerq_remove(&fc->idle);
    if (fcgiserv_lim.request_timeout_ms)
        timerq_add(&fcgiserv_req_q, &r->timer);
    log_trace("fcgi req %u: begin id %u on front %u%s", r->base.id, rid,
              fc->f->id, r->keep_conn ? " (keep-conn)" : "");
}

static void fcgiserv_abort(struct fcgiserv_conn *fc, struct fcgiserv_req *r)
{
    log_debug("fcgi req %u: aborted by the web server", r->base.id);
    fcgiserv_stats.aborted++;
    if (r->base.data != NULL) {
        fcgiserv_h->closed(&r->base);
        r->base.data = NULL;
    }
    fc->keep = r->keep_conn;
    fcgiserv_forget(r);
    if (fcgiserv_end(fc, r->rid, FCGI_REQUEST_COMPLETE) != 0) {
        fcgiserv_fail(fc);
        return;
    }
    fcgiserv_maybe_close(fc);
}

/* Handles one record. Returns 0, or -1 when the connection is gone. */
static int fcgiserv_record(struct fcgiserv_conn *fc,
                           const struct fcgi_record *rec)
{
    struct fcgiserv_req *r;
    int fatal = 0;

    if (rec->id == FCGI_NULL_REQUEST_ID) {
        if (rec->type == FCGI_GET_VALUES)
            fatal = fcgiserv_get_values(fc, rec->content, rec->len) != 0;
        else
            fatal = fcgiserv_unknown_type(fc, rec->type) != 0;
        goto out;
    }
    if (rec->type == FCGI_BEGIN_REQUEST) {
        fcgiserv_begin(fc, rec->id, rec->content, rec->len, &fatal);
        goto out;
    }
    r = fcgiserv_find(fc, rec->id);
    switch (rec->type) {
    case FCGI_ABORT_REQUEST:
        if (r != NULL)
            fcgiserv_abort(fc, r);
        return fc->gone ? -1 : 0;
    case FCGI_PARAMS:
        if (r == NULL || r->params_done)
            break; /* records of an inactive request are ignored */
        if (rec->len == 0) {
            r->params_done = 1;
        } else if (r->params.len + rec->len > fcgiserv_lim.max_params) {
            /* As the HTTP front answers a head over --max-header-size. */
            fcgiserv_stats.bad_requests++;
            log_info("fcgi req %u: params over %zu bytes, answering 431",
                     r->base.id, fcgiserv_lim.max_params);
            r->dispatched = 1;
            req_respond(&r->base, 431, "text/plain; charset=UTF-8", NULL,
                        "request head too large\n", 23);
        } else if (fcgiserv_keep(r, &r->params, rec->content, rec->len) < 0) {
            fatal = 1;
        }
        break;
    case FCGI_STDIN:
        if (r == NULL || r->dispatched)
            break;
        if (!r->params_done) {
            fatal = 1;
            break;
        }
        if (rec->len > 0) {
            if (r->body.len + rec->len > fcgiserv_lim.max_body) {
                fcgiserv_stats.bad_requests++;
                r->dispatched = 1;
                req_respond(&r->base, 413, "text/plain; charset=UTF-8", NULL,
                            "request body over maxHttpBufferSize\n", 36);
            } else if (fcgiserv_keep(r, &r->body, rec->content, rec->len) < 0) {
                fatal = 1;
            }
            break;
        }
        fcgiserv_dispatch(r);
        break;
    case FCGI_DATA:
        break;
    default:
        fatal = 1; /* a responder never receives the other types */
    }
out:
    if (fatal) {
        fcgiserv_stats.protocol_errors++;
        log_info("front %u: FastCGI protocol error (record type %d id %u), "
                 "closing",
                 fc->f->id, rec->type, rec->id);
        fcgiserv_fail(fc);
        return -1;
    }
    return fc->gone ? -1 : 0;
}

static void fcgiserv_input(struct front_conn *f, int eof)
{
    struct fcgiserv_conn *fc = f->data;
    struct fcgi_record rec;
    size_t off = 0;
    int n;

    if (fc->gone) {
        /* Draining after the last request: only an EOF matters. */
        if (eof)
            front_close(f);
        else
            front_consume(f, f->in.len);
        return;
    }
    if (eof) {
        if (fc->nreqs > 0)
            log_debug("front %u: web server closed with %u requests open",
                      f->id, fc->nreqs);
        fcgiserv_fail(fc);
        return;
    }
    while (off < f->in.len) {
        n = fcgi_parse_record(f->in.data + off, f->in.len - off, &rec);
        if (n == -2)
            break;
        if (n < 0) {
            fcgiserv_stats.protocol_errors++;
            log_info("front %u: malformed FastCGI record, closing", f->id);
            fcgiserv_fail(fc);
            return;
        }
        off += (size_t)n;
        if (fcgiserv_record(fc, &rec) != 0)
            return; /* closed or draining: f->in goes with it */
    }
    front_consume(f, off);
}

void fcgiserv_accept(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct fcgiserv_conn *fc = calloc(1, sizeof *fc);

    (void)sa;
    (void)len;
    if (fc == NULL) {
        close(fd);
        return;
    }
    TAILQ_INIT(&fc->reqs);
    fc->f = front_new(fd, fcgiserv_input, fc);
    if (fc->f == NULL)
        return;
    fcgiserv_stats.connections++;
    fcgiserv_stats.open++;
    fc->f->open = &fcgiserv_stats.open;
    if (fcgiserv_lim.idle_timeout_ms)
        timerq_add(&fcgiserv_idle_q, &fc->idle);
    log_debug("front %u: FastCGI connection (fd %d)", fc->f->id, fd);
}
