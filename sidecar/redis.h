/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* redis: the daemon's two Redis connections (commands, pub/sub) on the
 * event loop, through hiredis: reconnect with backoff, resubscribe,
 * per-request timeouts, the outbox's replay. */
#ifndef SOCKETIOD_REDIS_H
#define SOCKETIOD_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "outbox.h"

struct event_base;

/* A parsed --redis URL. */
struct redis_url {
    char host[256];
    int port;
    char path[108]; /* a Unix socket; then host is empty */
    char user[128]; /* ACL user; empty: none ("AUTH pass") */
    char pass[256]; /* empty: no AUTH */
    int db;
};

/* Parses "redis://[[user]:pass@]host[:port][/db]" (port 6379, db 0; an
 * IPv6 host in brackets) or "unix:///path.sock[?db=N]" (user and pass as
 * "unix://[user]:pass@/path"). Percent-escapes in user and pass are
 * decoded. Returns 0, or -1 with *cause (which never holds the password). */
int redis_url_parse(const char *url, struct redis_url *u, const char **cause);

/* A message on a subscribed channel or pattern. */
typedef void (*redis_message_cb)(void *arg, const char *channel, size_t clen,
                                 const char *data, size_t len);

struct redis_stats {
    uint64_t connected; /* 1 while both connections are up */
    uint64_t connects;  /* connections made (both kinds, reconnects too) */
    uint64_t disconnects;
    uint64_t published;      /* PUBLISH commands sent */
    uint64_t publish_failed; /* not sent: Redis unreachable */
    uint64_t timeouts;       /* requests unanswered in time (then reconnect) */
    uint64_t received;       /* messages from subscriptions */
    uint64_t refused;        /* PUBLISHes Redis answered with an error (an ACL's
                                NOPERM...) */
};

extern struct redis_stats redis_stats;

/* The broadcasts redis_publish_kept() could not publish yet (read-only:
 * its counters). */
extern struct outbox redis_outbox;

/* After a reconnect, how long kept broadcasts wait before their replay:
 * the longest backoff and a margin, so that the other nodes, which
 * reconnect within their own backoff, have resubscribed when it starts
 * (Redis keeps no message for a subscriber that is not there). */
#define REDIS_REPLAY_DELAY_MS 1500

/* Connects both connections to `u` (in the background: a failure is
 * retried with backoff from 0.1 to 1 s, and logged without credentials).
 * A request unanswered after `timeout_ms` drops both connections, which
 * then reconnect. Messages go to `cb`. Returns 0 or -1 with *cause. */
int redis_setup(struct event_base *base, const struct redis_url *u,
                unsigned timeout_ms, redis_message_cb cb, void *arg,
                const char **cause);

/* Inside the message callback: 1 when the read that brought this message
 * holds more after it (its next messages come in this same callback). */
int redis_more_read(void);

/* Subscribes to a pattern / a channel, now and after each reconnect.
 * 0 or -1. */
int redis_psubscribe(const char *pattern);
int redis_subscribe(const char *channel);

/* Publishes; returns 0 when sent (or queued on a live connection), -1
 * when Redis is unreachable (counted in publish_failed). */
int redis_publish(const char *channel, const void *data, size_t len);

/* Asks PUBSUB NUMSUB `channel`: `cb` runs once, later, with the number of
 * subscribers, or -1 when Redis did not answer (unreachable, dropped, or
 * shutting down). Returns 0, or -1 (cb never runs) when Redis is
 * unreachable now. */
int redis_numsub(const char *channel, void (*cb)(void *arg, long n), void *arg);

/* 1 when redis_subscribe(channel) was called (then Redis counts this node
 * among the channel's subscribers once connected), else 0. Such a channel
 * also matched by a pattern of redis_psubscribe() is delivered once. */
int redis_subscribed(const char *channel);

/* Sets the outbox's bound in bytes (0, the default: keeps nothing). */
void redis_outbox_setup(size_t max_bytes);

/* Publishes a broadcast, or keeps it in the outbox while Redis is
 * unreachable and, after a reconnect, until the messages kept before it
 * are replayed: REDIS_REPLAY_DELAY_MS after the command connection is
 * back, all of them in order, before any newer one. Over the bound, the
 * oldest are dropped (counted). Returns 0 when sent, 1 when kept, -1 when
 * neither (no outbox, or the message alone over its bound). */
int redis_publish_kept(const char *channel, const void *data, size_t len);

/* Closes both connections; nothing reconnects afterwards (what the outbox
 * still keeps is dropped, counted and logged). */
void redis_shutdown(void);

#endif
