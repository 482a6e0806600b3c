/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* msglog: the SQLite message log, written by its own thread from a bounded
 * queue; the event loop only copies a row and never waits. */
#ifndef SOCKETIOD_MSGLOG_H
#define SOCKETIOD_MSGLOG_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define MSGLOG_DEFAULT_PATH "socketiod-messages.sqlite3"
#define MSGLOG_DEFAULT_QUEUE 65536
/* Bytes of queued rows beyond which rows are dropped too. */
#define MSGLOG_QUEUE_BYTES (64u << 20)

struct msglog_config {
    const char *format;     /* SOCKETIO_MESSAGE_LOG_FORMAT; NULL/None: off */
    const char *path;       /* the database file */
    unsigned long queue;    /* rows the queue holds before dropping */
    unsigned long max_age;  /* seconds a row is kept; 0: forever */
    unsigned long max_rows; /* rows kept; 0: no limit */
    int per_receiver;       /* one row per receiver of a broadcast too */
    int cookies;            /* %(HTTP_COOKIE)s renders the cookie */
};

/* Where an outgoing message came from. */
enum msglog_via {
    MSGLOG_CLIENT = 0, /* incoming: the client sent it */
    MSGLOG_EMIT,       /* hub_emit: the RPC, the app */
    MSGLOG_RELAY,      /* --relay: a client event re-emitted */
    MSGLOG_REPLY,      /* the daemon's own ack to a client */
};

struct msglog_stats {
    uint64_t logged;  /* rows committed to the database */
    uint64_t dropped; /* rows dropped because the queue was full */
    uint64_t errors;  /* rows lost to database errors */
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

/* Counters (logged and errors are updated by the writer thread; read them
 * with msglog_get_stats). */
void msglog_get_stats(struct msglog_stats *st);

/* The database's absolute path, or NULL when logging is off. */
const char *msglog_path(void);

/* Stops the writer after it has written every queued row, closes the
 * database (checkpointing the WAL) and frees everything. Idempotent. */
void msglog_shutdown(void);

#endif
