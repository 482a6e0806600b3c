/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upreq: what socketiod sends the application for one event: the --upstream
 * URL, the event's JSON document, its signature, and the whole HTTP,
 * FastCGI or SCGI request. Pure: no sockets, no clock, no globals. */
#ifndef SOCKETIOD_UPREQ_H
#define SOCKETIOD_UPREQ_H

#include <stddef.h>

#include "buf.h"
#include "hub.h"

enum upreq_proto { UPREQ_HTTP, UPREQ_FCGI, UPREQ_SCGI };

/* The FastCGI request id: one request per connection at a time. */
#define UPREQ_FCGI_ID 1

/* A parsed --upstream URL: http://host:port/path, http+unix:/sock:/path,
 * and the same with fcgi and scgi. */
struct upreq_url {
    int proto; /* enum upreq_proto */
    int is_unix;
    char host[256]; /* TCP: the host (brackets stripped from [v6]) */
    char port[8];
    char sock[108];  /* Unix: the socket path */
    char path[1024]; /* the request path, "/" when none */
};

/* Parses an --upstream URL. Returns 0, or -1 with *cause. */
int upreq_parse_url(const char *url, struct upreq_url *u, const char **cause);

/* Writes the X-Socketiod-Signature value "t=<t>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">" into out (at least 96 bytes). Returns 0 or -1. */
int upreq_sign(const char *secret, size_t secret_len, long t, const char *body,
               size_t len, char *out, size_t cap);

/* The name of forwarded event type `type` (enum hub_fwd_type) as requests
 * carry it: "connect", "event", ...; "?" when out of range. */
const char *upreq_type_name(int type);

/* One event for the application, built once when it is queued. The
 * context is not in `head`: it is appended when the request is sent, as
 * the answer to the event before may change it. */
struct upreq_event {
    char *head;   /* the JSON document up to and including `"context":` */
    size_t len;   /* of head */
    char *what;   /* for the log: "event chat", "connect", ... */
    char *cookie; /* the handshake's Cookie, passed on as a real one */
    char *remote; /* the client's REMOTE_ADDR, for FastCGI/SCGI */
    char *host;   /* the handshake's Host when fit to be the request's */
};

/* Builds `ev` from `f` at wall-clock time `now` (seconds). Returns 0, or
 * -1 (out of memory, or an EVENT whose data is not an array starting with
 * a name) with `ev` empty. */
int upreq_event_build(struct upreq_event *ev, const struct hub_fwd *f,
                      double now);

/* Frees what `ev` holds and empties it. */
void upreq_event_free(struct upreq_event *ev);

/* Appends to `out` the whole request of `ev` (of type `type`) for URL `u`:
 * the body is ev->head, then `ctx` (JSON; NULL: null) and the closing
 * brace; signed with `secret` at time `t` unless `secret` is NULL. The
 * Host is ev->host, else the URL's. Returns 0, or -1 (out of memory). */
int upreq_append(struct buf *out, const struct upreq_url *u, int type,
                 const struct upreq_event *ev, const char *ctx, size_t ctx_len,
                 const char *secret, size_t secret_len, long t);

#endif
