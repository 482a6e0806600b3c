/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* req: one HTTP-level request from any front (a plain HTTP conn, a FastCGI
 * request, an SCGI request), answered once, now or later; CGI params to an
 * http_request; the client's address behind trusted proxies. */
#ifndef SOCKETIOD_REQ_H
#define SOCKETIOD_REQ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http.h"

struct req;
struct conn;

enum req_front { REQ_HTTP = 0, REQ_FCGI = 1, REQ_SCGI = 2 };

/* What a front implements. `respond` answers the request (once; `extra`
 * holds complete header lines or is NULL); the front may free `r` at the
 * end of the loop turn, so the caller must not keep it. `peer` gives the
 * client's address as the front knows it (the socket's peer for HTTP,
 * REMOTE_ADDR / REMOTE_PORT of the params for FastCGI and SCGI). */
struct req_ops {
    void (*respond)(struct req *r, int status, const char *content_type,
                    const char *extra, const void *body, size_t len);
    void (*peer)(const struct req *r, char *addr, size_t addrlen, int *port);
};

struct req {
    const struct req_ops *ops;
    void *data;    /* the layer above's while it holds the request */
    uint32_t id;   /* for logs */
    uint8_t front; /* enum req_front */
    uint8_t https; /* the web server saw TLS (HTTPS=on in the params) */
    uint8_t head;  /* a HEAD request: the front sends no body */
};

/* 1 when the method is HEAD, whose answer is the head a GET gets without
 * its body (RFC 9110 section 9.3.2); fronts set req.head from it. */
static inline int req_is_head(const struct http_request *h)
{
    return h->method_len == 4 && memcmp(h->method, "HEAD", 4) == 0;
}

/* The layer above a front. `request` gets a parsed request and its body,
 * valid only during the call, and answers with req_respond() now or later;
 * `c` is the plain HTTP connection it came on (only such a request can be
 * upgraded to WebSocket), NULL for FastCGI and SCGI. `closed` runs when a
 * request the layer above still holds (r->data != NULL) goes away
 * unanswered: the peer vanished, FCGI_ABORT_REQUEST, a protocol error. */
struct req_handler {
    void (*request)(struct req *r, struct conn *c,
                    const struct http_request *hreq, const char *body,
                    size_t len);
    void (*closed)(struct req *r);
};

static inline void req_respond(struct req *r, int status,
                               const char *content_type, const char *extra,
                               const void *body, size_t len)
{
    r->data = NULL;
    r->ops->respond(r, status, content_type, extra, body, len);
}

/* One CGI variable (a FastCGI param or an SCGI header). */
struct req_param {
    const char *name;
    size_t nlen;
    const char *value;
    size_t vlen;
};

/* What req_from_cgi() found beside the request. */
struct req_cgi {
    const char *remote_addr; /* REMOTE_ADDR, NULL when absent */
    size_t remote_addr_len;
    int remote_port;       /* REMOTE_PORT, 0 when absent */
    int https;             /* HTTPS is "on"/"1", or REQUEST_SCHEME https */
    size_t content_length; /* CONTENT_LENGTH, 0 when absent */
};

/* Builds an http_request from CGI variables. Pure. The method is
 * REQUEST_METHOD; path and query come from REQUEST_URI (else SCRIPT_NAME +
 * PATH_INFO and QUERY_STRING); HTTP_FOO_BAR becomes header "FOO-BAR" and
 * CONTENT_TYPE / CONTENT_LENGTH become headers too. Header names and a
 * joined path are written into `scratch` (`scratch_len` bytes; the sum of
 * the names and values is enough); `hreq` points into `p` and `scratch`.
 * Returns 0, or -1 when REQUEST_METHOD or a path is missing, the path does
 * not start with '/', CONTENT_LENGTH is malformed, or it does not fit. */
int req_from_cgi(const struct req_param *p, size_t n, char *scratch,
                 size_t scratch_len, struct http_request *hreq,
                 struct req_cgi *cgi);

/* The client's address: `peer` itself unless `trusted(peer)`; then the
 * rightmost X-Forwarded-For entry that is not trusted (or the leftmost one
 * when all are). Pure when `trusted` is. Writes a NUL-terminated address to
 * `out` (`outlen` bytes) and returns 1 when it came from X-Forwarded-For, 0
 * when it is `peer`. */
int req_client_addr(const char *peer, const char *xff, size_t xfflen,
                    int (*trusted)(const char *addr), char *out, size_t outlen);

/* 1 when the browser Origin `origin` ("http://host[:port]" or https) names
 * the site `host` (a Host header: "host[:port]"), case-insensitively, a
 * port left out where it is the scheme's default (80, 443); else 0 (also
 * for "null", other schemes and a path). Pure. */
int req_same_origin(const char *origin, size_t olen, const char *host,
                    size_t hlen);

/* 1 when `addr` is in the comma-separated `list` of addresses and
 * ADDR/BITS networks (IPv4 or IPv6; "unix" matches "local"), else 0. */
int req_addr_in_list(const char *list, const char *addr);

#endif
