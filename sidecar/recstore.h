/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recstore: connection state recovery across a restart: the kept sessions,
 * the sockets connected, the ring of events and the pid key, in the state
 * file (SQLite, tables recovery_*), read back at start, written by a thread
 * every interval and once more at exit. */
#ifndef SOCKETIOD_RECSTORE_H
#define SOCKETIOD_RECSTORE_H

#include <stdint.h>

struct recstore_stats {
    uint64_t saves;           /* snapshots committed */
    uint64_t save_errors;     /* snapshots that failed (the next rewrites
                                 everything) */
    uint64_t saves_skipped;   /* ticks while the writer was still busy */
    uint64_t save_ms;         /* gauge: how long the last one took */
    uint64_t loaded_sessions; /* read back at start */
    uint64_t loaded_packets;
    uint64_t load_rejected; /* rows read back that were malformed, too
                               big or did not verify: skipped */
};

extern struct recstore_stats recstore_stats;

/* Opens `path` (WAL, busy timeout; tables recovery_*), reads back what an
 * earlier run kept (unexpired at `now_ms`, each row validated: the file is
 * untrusted input) into recover.c, and starts the writer thread that
 * snapshots every `interval_ms`. Call after recover_setup(), before the
 * loop. Returns 0, or -1 with *cause. */
int recstore_open(const char *path, uint64_t interval_ms, uint64_t now_ms,
                  const char **cause);

/* On the loop: every interval, hands the writer a snapshot (the events
 * stored since the last one, the kept sessions and the connected
 * sockets, copied); skipped while the writer is still busy. */
void recstore_tick(uint64_t now_ms);

/* At exit, after the sessions ended (SIGTERM keeps them, "server
 * shutting down"): stops the writer, writes the last snapshot and closes
 * the file. A no-op when not open. */
void recstore_close(uint64_t now_ms);

#endif
