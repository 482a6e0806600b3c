/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* front: one byte-stream connection from a web server to a responder front
 * (FastCGI, SCGI): reads, buffered non-blocking writes with a cap, a close
 * that frees at the end of the loop turn. */
#ifndef SOCKETIOD_FRONT_H
#define SOCKETIOD_FRONT_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "buf.h"
#include "timerq.h"
#include "turn.h"

struct front_conn;

/* `input` runs after new bytes were appended to fc->in (the owner consumes
 * from the front with front_consume()); `eof` is 1 when the peer closed or
 * the socket failed: the owner must then call front_close(). */
typedef void (*front_input_cb)(struct front_conn *fc, int eof);

struct front_conn {
    int fd;
    uint32_t id;
    uint8_t armed;
    uint8_t closed;
    uint8_t draining; /* close once the output is written */
    struct event ev;
    struct buf in;
    struct buf out;
    size_t out_off;
    front_input_cb input;
    void *data;            /* the owner's; freed with the connection */
    uint64_t *open;        /* the owner's gauge of open connections, or NULL:
                              decremented as the connection closes */
    struct turn_node dead; /* closed, until the end of the turn */
    struct timerq_node drain_timer; /* queued while draining */
};

struct front_stats {
    uint64_t drain_timeouts; /* closed: queued output not taken in time */
};

extern struct front_stats front_stats;

/* Sets up the module on `base`; `max_output` caps each connection's queued
 * output, `max_input` its unconsumed input. A draining connection whose
 * output is not all written within `drain_timeout_ms` is closed (0: no
 * limit). */
void front_setup(struct event_base *base, size_t max_input, size_t max_output,
                 uint32_t drain_timeout_ms);

/* Takes over an accepted socket (made non-blocking); `data` (malloc'd)
 * is freed with the connection at the end of the turn it closes in. NULL
 * when out of memory (the fd and `data` are freed then). */
struct front_conn *front_new(int fd, front_input_cb input, void *data);

/* Writes now what the socket takes and queues the rest. Returns 0, or -1
 * when closed or over the output cap (the caller closes then). */
int front_write(struct front_conn *fc, const void *data, size_t len);

/* Drops `n` consumed bytes from the front of fc->in. */
void front_consume(struct front_conn *fc, size_t n);

/* Closes once everything queued is written, or when the drain timeout
 * passes first. */
void front_drain(struct front_conn *fc);

/* Closes at once; the memory stays valid until the end of the loop turn. */
void front_close(struct front_conn *fc);

#endif
