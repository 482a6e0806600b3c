/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* journal: disconnects owed to an application that was down, kept (in
 * memory, and in SQLite across a restart) and handed back, oldest first,
 * at a bounded rate, once the application answers again. */
#ifndef SOCKETIOD_JOURNAL_H
#define SOCKETIOD_JOURNAL_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

/* Longest sid, cookie, remote address and host taken back from the file. */
#define JOURNAL_MAX_SID 64
#define JOURNAL_MAX_META 16384
/* A late event answered 5xx this many times while the app answered other
 * requests meanwhile is the app failing on it, not the app being down:
 * it is dropped so that it does not hold the others back forever. */
#define JOURNAL_MAX_FAILS 3

struct journal_config {
    unsigned max;           /* events kept; past it a new one is dropped */
    size_t max_bytes;       /* their bytes (request body and metadata) */
    unsigned rate;          /* late deliveries per second, at most */
    unsigned probe_ms;      /* while the app is down: one try this often */
    const char *state_file; /* SQLite file kept across a restart, or NULL */
};

struct journal_stats {
    uint64_t journaled;       /* events kept for later */
    uint64_t delivered;       /* late events the application answered */
    uint64_t dropped;         /* past --journal-max or --journal-bytes */
    uint64_t refused;         /* late events answered other than 2xx/5xx */
    uint64_t ignored_actions; /* actions in answers to late events */
    uint64_t bad_rows;        /* rows of the state file not taken back */
    uint64_t loaded;          /* events taken back from the state file */
    uint64_t pending;         /* kept now (gauge) */
    uint64_t pending_bytes;   /* their bytes (gauge) */
};

extern struct journal_stats journal_stats;

/* One late event, valid until journal_settle(). `head` is the request
 * body up to and including `"context":`, with `"late":true` in it; the
 * context (JSON, NULL for none) follows it, then the closing brace. */
struct journal_event {
    const char *sid;
    const char *head;
    size_t head_len;
    const char *ctx;
    size_t ctx_len;
    const char *cookie; /* the handshake's Cookie, NULL when none */
    const char *remote; /* REMOTE_ADDR, NULL when none */
    const char *host;   /* the handshake's Host, NULL when none */
};

/* Sends `ev` to the application; returns 0 when journal_settle() will
 * follow (from a later loop turn), -1 when it cannot be sent now (it is
 * tried again after the probe interval). */
typedef int (*journal_deliver_cb)(void *arg, const struct journal_event *ev);

/* Starts the journal with `cfg` (copied; state_file must outlive it):
 * opens the state file when set and takes back the events it keeps (start-
 * up only: it may block). Returns 0, or -1 with *cause. */
int journal_setup(struct event_base *base, const struct journal_config *cfg,
                  journal_deliver_cb deliver, void *arg, const char **cause);

/* Keeps a disconnect the application could not take: `doc` is the whole
 * request body (a JSON object ending in `"context":<ctx>}`), `ctx_off`
 * where its context starts; the three metadata strings may be NULL.
 * Marks the application down. Returns 0, or -1 when it was dropped
 * (bound, memory; counted). */
int journal_put(const char *sid, const char *doc, size_t len, size_t ctx_off,
                const char *cookie, const char *remote, const char *host);

/* The application answered a request: deliveries resume (at the rate). */
void journal_app_up(void);

/* How the late event handed to the deliverer ended. */
enum journal_outcome {
    JOURNAL_DELIVERED, /* answered 2xx: forgotten */
    JOURNAL_DOWN,      /* unreachable or timed out: kept, first */
    JOURNAL_FAILED,    /* answered 5xx: kept, first, unless the app answered
                          others meanwhile JOURNAL_MAX_FAILS times */
    JOURNAL_REFUSED,   /* any other answer: forgotten, counted */
};
void journal_settle(enum journal_outcome outcome);

/* A row of the state file made usable: the body as the daemon prints it
 * (NUL-ended), where its context starts, its sid. */
struct journal_row {
    char *doc;
    size_t len;
    size_t ctx_off;
    char *sid;
};

/* Checks a body read back from the state file (untrusted): strict JSON of
 * at most `max` bytes, an object with "type":"disconnect", a "sid" of at
 * most JOURNAL_MAX_SID letters, digits, '-', '_' or '.', a string "namespace",
 * a number "time", one "context", no "late". Fills `row` with it printed
 * again, "context" last (so the late marker goes just before it). Returns
 * 0 (free with journal_row_free()), or -1 with `row` empty. */
int journal_row_check(const char *body, size_t n, size_t max,
                      struct journal_row *row);
void journal_row_free(struct journal_row *row);

/* Counts actions in the answer to a late event, which are not run. */
void journal_ignored(unsigned nactions);

/* SIGTERM: no new delivery starts (what is kept stays for the file). */
void journal_stop(void);

/* At exit: writes what is kept to the state file when set (replacing what
 * it held) and frees everything. */
void journal_shutdown(void);

#endif
