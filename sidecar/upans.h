/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* upans: decodes the application's answer to an upstream request. */
#ifndef SOCKETIOD_UPANS_H
#define SOCKETIOD_UPANS_H

#include <stddef.h>

#include "binjson.h"

/* The body of a 2xx answer (docs/upstream.md, "The response body") turned
 * into what upstream.c applies, so that the decoding can be tested and
 * fuzzed without a daemon: no I/O, no daemon state, no logging. Like
 * rpcmsg.c it keeps the parsed document (opaque to the caller) and the
 * strings below point into it. Actions are decoded one at a time, as they
 * are applied, so that a long list costs no more than its document. */
struct cJSON;

enum upans_kind {
    UPANS_EMIT,
    UPANS_JOIN,
    UPANS_LEAVE,
    UPANS_DISCONNECT,
    UPANS_BAD, /* not understood: skipped, counted, logged with `why` */
};

/* One member of "actions". */
struct upans_action {
    enum upans_kind kind;
    /* join, leave, disconnect: the socket acted on ("sid"); emit: the
     * socket emitted to ("to"). NULL: the socket the event came from. */
    const char *sid;
    const char *channel; /* join, leave: always; emit: the target, or NULL */
    /* emit only: */
    const char *nsp; /* "namespace"; NULL: the socket's own */
    int broadcast;   /* everyone in the namespace (neither sid nor channel) */
    int except_self; /* leave the socket the event came from out */
    char *json;      /* ["event", args...], binary values as placeholders */
    size_t len;
    struct binjson_attach at; /* the binary values, placeholder order */
    /* UPANS_BAD: why it is skipped ("unknown action 'kick'") */
    char why[96];
};

struct upans {
    struct cJSON *doc;   /* owned */
    int refused;         /* "allow": false */
    const char *message; /* refused: the text the client sees */
    char *data;          /* refused: "data" as JSON text, NULL when absent */
    /* "ack": NULL when absent or null (the client gets "[]"); ack_why
     * when it cannot be sent (a bad binary value, out of memory). */
    char *ack;
    size_t ack_len;
    struct binjson_attach ack_at;
    const char *ack_why;
    /* "context": when has_context, the new one as compact JSON, or NULL
     * for null (clear it). Left out (has_context 0) when out of memory. */
    int has_context;
    char *context;
    size_t context_len;
    /* "user": the app user id as sent ("\u0000" read as "\u0001", so that
     * users_valid() refuses it), NULL when absent or null; user_bad when
     * it is there but no string. */
    const char *user;
    int user_bad;
    size_t nactions;            /* members of "actions" */
    struct cJSON *next;         /* the next one upans_next() decodes */
    struct cJSON *shadow;       /* the body with "\u0000" read as "\u0001",
                                   when it has one (owned) */
    struct cJSON *shadow_next;  /* `next` in the shadow */
    struct upans_action action; /* the one it decoded last */
};

/* Decodes the answer body[0..len) (trailing blanks and line ends ignored;
 * empty counts as {}). Returns 0, or -1 with *why when the answer is not
 * usable at all: not one strict JSON object (jsonv.h), "allow", "ack" or
 * "actions" of the wrong type. Call upans_free() either way. */
int upans_decode(const char *body, size_t len, struct upans *a,
                 const char **why);

/* The next action, in the order the app gave them (valid until the next
 * call or upans_free()), or NULL after the last. An action that is not
 * understood comes as UPANS_BAD; the ones after it still come. */
const struct upans_action *upans_next(struct upans *a);

void upans_free(struct upans *a);

#endif
