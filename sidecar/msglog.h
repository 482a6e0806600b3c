/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* msglog: the SQLite message log, written by its own thread from a bounded
 * queue; the event loop only copies a row and never waits. */
#ifndef SOCKETIOD_MSGLOG_H
#define SOCKETIOD_MSGLOG_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define MSGLOG_DEFAULT_PATH "socketiod-messages.sqlite3"
#define MSGLOG_DEFAULT_QUEUE 65536
/* A row keeps at most this much of a message's JSON (and so of the line's
 * %(MESSAGE)s); the rest is cut, marked, counted. One client sending 1 MB
 * events grew a database by ~700 MB in 3 s (issue 14). */
#define MSGLOG_DEFAULT_MAX_PAYLOAD 4096
/* Rows kept by default: a bounded database whatever the clients send. */
#define MSGLOG_DEFAULT_MAX_ROWS 1000000
/* Bytes of queued rows beyond which rows are dropped too. */
#define MSGLOG_QUEUE_BYTES (64u << 20)

struct msglog_config {
    const char *format;     /* SOCKETIO_MESSAGE_LOG_FORMAT; NULL/None: off */
    const char *path;       /* the database file */
    unsigned long queue;    /* rows the queue holds before dropping */
    unsigned long max_age;  /* seconds a row is kept; 0: forever */
    unsigned long max_rows; /* rows kept; 0: no limit */
    size_t max_payload;     /* JSON bytes kept per row; 0: no limit */
    int per_receiver;       /* one row per receiver of a broadcast too */
    int cookies; /* %(HTTP_COOKIE)s and %(HTTP_AUTHORIZATION)s render */
};

/* Where an outgoing message came from. */
enum msglog_via {
    MSGLOG_CLIENT = 0, /* incoming: the client sent it */
    MSGLOG_EMIT,       /* hub_emit: the RPC, the app */
    MSGLOG_RELAY,      /* --relay: a client event re-emitted */
    MSGLOG_REPLY,      /* the daemon's own ack to a client */
};

struct msglog_stats {
    uint64_t logged;    /* rows committed to the database */
    uint64_t dropped;   /* rows dropped because the queue was full */
    uint64_t errors;    /* rows lost to database errors */
    uint64_t truncated; /* rows whose JSON was cut to max_payload */
};

/* Nonzero when logging is on: the hub tests it before any call below, so
 * that a daemon without a log pays one predictable branch per message. */
extern int msglog_enabled;
/* Nonzero when broadcasts are logged per receiver too. */
extern int msglog_per_receiver;

/* Opens (creates) the database, switches it to WAL, applies retention once
 * and starts the writer thread; does nothing when the format disables
 * logging. Returns 0, or -1 with *cause (start-up only). */
int msglog_setup(const struct msglog_config *cfg, const char **cause);

/* A message received from socket `sid` of namespace `nsp`: an EVENT
 * (`ack` 0; `ack_id` the client's id or -1) or the client's ACK of our
 * request `ack_id` (`ack` 1). `json` is the packet's JSON array with
 * attachment placeholders; `meta` the session's META block. Copies what it
 * needs; never blocks; counts a drop when the queue is full. */
void msglog_in(int ack, const char *sid, const char *meta, const char *nsp,
               int64_t ack_id, const char *json, size_t len,
               struct frame *const *attach, unsigned nattach);

/* A message sent: by `via`, to the audience (`channel`, `to`, `except` as
 * in an emit), reaching `recipients` sockets. `sid`/`meta` name the one
 * receiver when there is exactly one known (to, reply), else NULL. With
 * per-receiver logging, the receivers announced by msglog_receiver() since
 * the last call get a row each too. Copies; never blocks. */
void msglog_out(int via, int ack, const char *sid, const char *meta,
                const char *nsp, const char *channel, const char *to,
                const char *except, long recipients, int64_t ack_id,
                const char *json, size_t len, struct frame *const *attach,
                unsigned nattach);

/* With per-receiver logging: socket `sid` (META `meta`) received the
 * message that the next msglog_out() describes. Copies both. */
void msglog_receiver(const char *sid, const char *meta);

/* Rows are numbered 1, 2, ... in the order they are queued; a dropped row
 * gets no number. A mark is where the loop stands: the number of the last
 * row queued and how many were dropped so far. Two marks taken around a
 * call bracket the rows that call queued (and say whether it dropped one). */
struct msglog_mark {
    uint64_t queued;
    uint64_t dropped;
};

/* Fills *m with the loop's position (the loop's thread only). */
void msglog_mark(struct msglog_mark *m);

/* Called on the loop when the writer has written (committed, or failed to
 * write) every row up to the number last passed to msglog_want(). */
typedef void (*msglog_written_cb)(void *arg);

/* Sets who hears about written rows; the first call (the loop's thread,
 * after msglog_setup) opens an eventfd the writer signals. Returns 0, or -1
 * with *cause (no eventfd; the caller answers at once instead). */
int msglog_notify(struct event_base *base, msglog_written_cb cb, void *arg,
                  const char **cause);

/* The number of the last row written, committed or not (any thread). */
uint64_t msglog_written(void);

/* Asks for the msglog_written_cb once rows up to `seq` are written, and
 * wakes the writer from its nap so that it writes them now. Returns 1 when
 * they already are (no callback comes then), else 0. */
int msglog_want(uint64_t seq);

/* Whether every row numbered in (lo, hi] is in the database: none was lost
 * to a database error. Meaningful once msglog_written() >= hi. */
int msglog_committed(uint64_t lo, uint64_t hi);

/* Counters (logged and errors are updated by the writer thread; read them
 * with msglog_get_stats). */
void msglog_get_stats(struct msglog_stats *st);

/* The database's absolute path, or NULL when logging is off. */
const char *msglog_path(void);

/* Stops the writer after it has written every queued row (a
 * msglog_written_cb comes no more), closes the
 * database (checkpointing the WAL) and frees everything. Idempotent. */
void msglog_shutdown(void);

#endif
