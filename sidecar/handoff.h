/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* handoff: moves a client connection to another worker: its fd (SCM_RIGHTS)
 * and the bytes already read, as one record on an AF_UNIX SOCK_SEQPACKET
 * socket, and takes such records in. */
#ifndef SOCKETIOD_HANDOFF_H
#define SOCKETIOD_HANDOFF_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

/* One record: HANDOFF_HEAD bytes of header, then the carried bytes.
 *   0  4  magic "SIOh"
 *   4  1  version, HANDOFF_VERSION
 *   5  3  zero (room for flags; a record with any set is refused)
 *   8  4  big-endian length of the carried bytes, equal to what follows
 * The ancillary data holds exactly one descriptor, the connection's. */
#define HANDOFF_HEAD 12
#define HANDOFF_VERSION 1
/* The most bytes a record carries: a request head at its largest limit and
 * what one read brought with it. A connection holding more unparsed input
 * stays where it is (and is answered as an unknown sid). Well under the
 * 208 KiB a SEQPACKET record may hold with Linux's default buffers. */
#define HANDOFF_MAX_CARRY (128 * 1024)

struct handoff_stats {
    uint64_t sid_requests; /* Engine.IO requests with a sid answered here */
    uint64_t sent;         /* connections handed to another worker */
    uint64_t failed;       /* hand-offs that failed: answered here */
    uint64_t received;     /* connections adopted from another worker */
    uint64_t bad;          /* records refused: size, header, no fd, fds */
};

extern struct handoff_stats handoff_stats;

/* Writes the header for `len` carried bytes. Pure. */
void handoff_encode_head(uint8_t head[HANDOFF_HEAD], uint32_t len);

/* Checks a whole record of `n` bytes. Returns 0 with the carried bytes at
 * rec + HANDOFF_HEAD and their count in *len, or -1 when it is not a valid
 * record (short, bad magic or version, flags set, length not matching,
 * over HANDOFF_MAX_CARRY). Pure. */
int handoff_parse(const uint8_t *rec, size_t n, size_t *len);

/* Sends connection `fd` with the `len` bytes read from it so far to the
 * worker behind `peer` (a SEQPACKET send end), without blocking. Returns 0
 * when the record is queued: the caller then closes its own copy of `fd`
 * (no shutdown(): the connection lives on in the record). -1 with *cause
 * when not sent (over HANDOFF_MAX_CARRY, EAGAIN, peer gone): the caller
 * keeps the connection. Counts neither. */
int handoff_send(int peer, int fd, const char *data, size_t len,
                 const char **cause);

/* Reads up to `max` records waiting on `inbox` now and gives each valid one
 * to `adopt` (the connection's fd, non-blocking and the callee's to close,
 * and the bytes to parse before reading from it); a record that is not valid
 * (see handoff_parse, a truncated record, no descriptor, more than one, not a
 * stream socket) has every descriptor it brought closed and is counted in
 * handoff_stats.bad. Returns the records read, or -1 when the sending side
 * is gone or the inbox fails (not for EAGAIN or a lack of kernel memory).
 * A worker at its descriptor limit gets a record without its descriptor
 * (MSG_CTRUNC): counted as bad, that connection is lost. */
int handoff_receive(int inbox, int max,
                    void (*adopt)(int fd, const char *data, size_t len));

/* Watches `inbox` on `base` and runs handoff_receive() when it is readable.
 * Returns 0 or -1 with *cause. */
int handoff_listen(struct event_base *base, int inbox,
                   void (*adopt)(int fd, const char *data, size_t len),
                   const char **cause);

/* Stops watching (at shutdown). The inbox fd stays open. */
void handoff_stop(void);

#endif
