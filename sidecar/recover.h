/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recover: connection state recovery (socket.io's connectionStateRecovery):
 * offsets, the ring of stored packets, the sessions kept after a
 * recoverable disconnect. */
#ifndef SOCKETIOD_RECOVER_H
#define SOCKETIOD_RECOVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "frame.h"
#include "idmap.h"

/* The private id (socket.io's `pid`) a v5 client gets in its CONNECT answer
 * and sends back with `offset` in its auth to recover: 20 characters of
 * base64url, an HMAC of the socket id under a key of this daemon (kept in
 * the state file across a restart), so a socket costs no memory for it. */
#define RECOVER_PID_LEN 20

/* An offset is "<epoch>-<seq>": the epoch is the store's start in ms (a new
 * one at every start, so a restarted daemon never matches an offset of a
 * stream it lost), seq counts the packets stored in that epoch from 1. */
#define RECOVER_MAX_OFFSET 48

struct recover_config {
    uint64_t window_ms;    /* the longest disconnection that recovers */
    size_t max_bytes;      /* the ring's byte cap */
    unsigned max_sessions; /* sessions kept at once */
};

/* Counters and gauges (stats.c, docs/rpc.md). */
struct recover_stats {
    uint64_t sessions;         /* gauge: sessions kept now */
    uint64_t stored;           /* sessions kept at a recoverable disconnect */
    uint64_t recovered;        /* reconnects that got their session back */
    uint64_t expired;          /* sessions whose window passed */
    uint64_t refused;          /* reconnects with pid and offset refused */
    uint64_t sessions_dropped; /* the oldest sessions dropped over the cap */
    uint64_t packets;          /* gauge: packets in the ring */
    uint64_t ring_bytes;       /* gauge: their bytes */
    uint64_t ring_drops;       /* packets dropped by the byte cap (or out of
                                  memory) before their window passed */
    uint64_t remote_recovered; /* of `recovered`: sessions another node
                                  held (recover_adopt()) */
    uint64_t remote_given;     /* sessions handed to another node */
    uint64_t remote_kept;      /* adopted sessions whose client left before
                                  its CONNECT finished: kept here */
};

extern struct recover_stats recover_stats;

/* 1 once recover_setup() ran: the hub's hot-path test. */
extern int recover_enabled;

/* Who a stored packet went to (the hub's struct hub_target, resolved):
 * namespace `nsp`, every socket in any of `rooms` (none: everyone), less
 * those in any of `except`. `sids_only`: the rooms are socket ids, never
 * channels. */
struct recover_audience {
    const char *nsp;
    const char *const *rooms;
    size_t nrooms;
    const char *const *except;
    size_t nexcept;
    int sids_only;
    uint64_t origin; /* recover_store(): the node it came from
                        (recover_origin()), 0: this one */
};

struct recover_packet {
    TAILQ_ENTRY(recover_packet) link;
    uint64_t ord; /* the ring's order across restarts (the state file's) */
    uint64_t epoch, seq;
    uint64_t at_ms;  /* when stored */
    uint64_t origin; /* its audience's */
    size_t bytes;    /* what it counts in the ring's cap */
    int sids_only;
    size_t nrooms, nexcept;
    const char *nsp;
    const char **rooms; /* nrooms, then nexcept except rooms */
    const char *json;   /* the event's array, the offset last */
    size_t len;
    struct frame **attach;
    unsigned nattach;
};

/* A session kept after a recoverable disconnect. Strings are its own. */
struct recover_session {
    struct idmap_node by_pid; /* while it waits to be taken */
    struct idmap_node by_sid;
    TAILQ_ENTRY(recover_session) link; /* by disconnect time, until taken */
    char pid[RECOVER_PID_LEN + 1];
    char *sid;
    char *nsp;
    char **channels;
    size_t nchannels;
    char *context; /* the forwarder's per-socket JSON, NULL when none */
    size_t context_len;
    uint64_t disconnected_ms;
    uint64_t epoch, seq; /* the client's offset, once taken */
    int taken;
    int adopted_from_fleet; /* recover_adopt(): replays `adopted` */
    uint64_t adopt_seq;     /* the ring's seq its list goes up to */
    /* An offset of another node's that the client may still hold (its
     * session came from there and it got no event of this node since),
     * standing for this ring's seq alias_here; `aliased` once taken by it:
     * the replay is this epoch's packets after `seq`. */
    uint64_t alias_epoch, alias_seq, alias_here;
    int aliased;
    TAILQ_HEAD(recover_packet_list, recover_packet) adopted;
};

/* Turns recovery on with a new random key and epoch `now_ms` (wall
 * clock). Returns 0, or -1 with *cause. */
int recover_setup(const struct recover_config *cfg, uint64_t now_ms,
                  const char **cause);

/* Frees every session and packet; recovery is off again. */
void recover_shutdown(void);

/* Writes the pid of socket `sid` (RECOVER_PID_LEN characters and a NUL):
 * the HMAC under this node's key, or, for a socket here whose session
 * another node began (recovered across the fleet), that node's pid, which
 * the client checks is unchanged. */
void recover_pid(const char *sid, char *out);

/* Socket `sid` left this node: recover_pid() forgets a pid of another
 * node's for it (its kept session, if any, holds it). */
void recover_forget(const char *sid);

/* Whether a disconnect for `reason` keeps the session (socket.io's
 * RECOVERABLE_DISCONNECT_REASONS). Pure. */
int recover_reason_ok(const char *reason);

/* Parses an offset. Pure. Returns 0, or -1 when it is not
 * "<digits>-<digits>" (1 to 20 digits each, values fit in 64 bits). */
int recover_offset_parse(const char *s, size_t len, uint64_t *epoch,
                         uint64_t *seq);

/* Appends `,"<offset>"` before the closing ']' of the JSON array `json`
 * into `out` (cap bytes); the array's trailing blanks are dropped. Pure.
 * Returns the length written, or -1 when `json` does not end with ']' or
 * `out` is too small (cap >= len + RECOVER_MAX_OFFSET + 4 is enough). */
long recover_append_offset(const char *json, size_t len, uint64_t epoch,
                           uint64_t seq, char *out, size_t cap);

/* Stores an event sent to audience `a` at `now_ms`, the offset appended;
 * the oldest packets go while the ring is over its byte cap. Returns the
 * stored JSON (valid until the next recover_* call; *out_len its length),
 * or NULL when it cannot be stored (out of memory, or not an array): the
 * ring is emptied then, so no earlier offset recovers over the gap. */
const char *recover_store(const struct recover_audience *a, const char *json,
                          size_t len, struct frame *const *attach,
                          unsigned nattach, uint64_t now_ms, size_t *out_len);

/* Keeps the session of socket `sid` that left at `now_ms` (recoverable
 * reason: the caller's test), the oldest one dropped over the cap.
 * Returns 0, or -1 out of memory (nothing kept). */
int recover_keep(const char *sid, const char *nsp, const char *const *channels,
                 size_t nchannels, const char *context, size_t context_len,
                 uint64_t now_ms);

/* Looks at a CONNECT payload (JSON object text) to namespace `nsp`: with
 * "pid" and "offset" strings, the session they name is taken (no other
 * CONNECT finds it) and returned when it is unexpired, of `nsp`, and the
 * ring still holds the offset; else NULL, and *refused is 1 when the
 * client asked (counted in `refused`), 0 when it did not. */
struct recover_session *recover_take(const char *auth, size_t len,
                                     const char *nsp, uint64_t now_ms,
                                     int *refused);

/* Reads "pid" and "offset" of a CONNECT payload (JSON object text) into
 * pid[RECOVER_PID_LEN + 1] and offset[RECOVER_MAX_OFFSET + 1]. Returns 0;
 * 1 when it has not both as strings (the client did not ask); -1 when it
 * has them but of impossible lengths (asked, refused). */
int recover_auth(const char *auth, size_t len, char *pid, char *offset);

/* recover_take() of a pid and offset already read: NULL with *unknown 1
 * when no session here has that pid (not counted: the fleet may hold it),
 * else as recover_take(). */
struct recover_session *recover_take_pid(const char *pid, const char *offset,
                                         const char *nsp, uint64_t now_ms,
                                         int *unknown);

/* Ends a taken session whose state went to another node (recfleet.c),
 * counted in `remote_given`. */
void recover_give(struct recover_session *rs);

/* A session another node held, its replay already gathered: taken (no
 * recover_take() finds it; recover_taken() does), its packets added with
 * recover_adopt_packet() and replayed as they are; `pid` and `offset` are
 * the client's (the pid its first node's, kept for the socket).
 * recover_done() ends it; recover_untake() keeps it here (counted in
 * `remote_kept`) for a reconnect with the same pid and offset, which
 * replays its packets and what this ring got since. Strings are copied.
 * NULL when out of memory, the offset does not parse or a session of `sid`
 * is here already. */
struct recover_session *recover_adopt(const char *pid, const char *offset,
                                      const char *sid, const char *nsp,
                                      const char *const *channels,
                                      size_t nchannels, const char *context,
                                      size_t context_len, uint64_t now_ms);

/* Appends a packet (the event's array text, its offset last) to an
 * adopted session's replay. Returns 0, or -1 out of memory. */
int recover_adopt_packet(struct recover_session *rs, const char *json,
                         size_t len, struct frame *const *attach,
                         unsigned nattach);

/* The seq of the newest packet stored in this epoch (0: none yet). */
uint64_t recover_seq_now(void);

/* A node's uid as a packet's origin: never 0. Pure. */
uint64_t recover_origin(const char *uid, size_t len);

/* Appends to an adopted session's replay (as recover_adopt_packet()) the
 * packets of this node's ring that reach it: of this epoch, those stored
 * after seq `local` that came from here and those after seq `remote` that
 * came from another node but `holder` (0: none) (recfleet.c: what the
 * session's old node could not have held when it answered); its list now
 * goes up to the ring's newest. Returns how many, or -1 out of memory
 * (some may be appended). */
long recover_adopt_since(struct recover_session *rs, uint64_t local,
                         uint64_t remote, uint64_t holder);

/* The ring's byte cap (--recovery-max-bytes). */
size_t recover_max_bytes(void);

/* Runs `cb` for each stored packet after the taken session's offset that
 * its audience reaches, in order. Returns how many, or -1 when the ring no
 * longer holds the offset (trimmed meanwhile). */
long recover_replay(const struct recover_session *rs,
                    void (*cb)(void *arg, const struct recover_packet *p),
                    void *arg);

/* Ends a taken session: `ok` counts it recovered, else refused. */
void recover_done(struct recover_session *rs, int ok);

/* Puts a taken session back as it was (its client went away before the
 * recovery finished), for a later reconnect within its window. */
void recover_untake(struct recover_session *rs);

/* The taken session of socket `sid`, or NULL. */
struct recover_session *recover_taken(const char *sid);

/* The namespace of the kept (or taken) session of socket `sid`, or NULL. */
const char *recover_session_nsp(const char *sid);

/* Drops packets and sessions whose window passed by `now_ms`. */
void recover_tick(uint64_t now_ms);

/* ---- across a restart (recstore.c keeps these in the state file) ---- */

#define RECOVER_KEY_LEN 32

/* The pid key, to keep; this run's epoch; the window in ms. */
const unsigned char *recover_key(void);
uint64_t recover_epoch_now(void);
uint64_t recover_window_ms(void);

/* Takes a kept key (so the pids of restored sessions still match) and
 * starts the epoch after `last_epoch` when the clock has not passed it.
 * Call before loading. */
void recover_restore_key(const unsigned char *key, uint64_t last_epoch);

/* Appends a packet read back from the state file: ord, epoch and seq must
 * rise over the ones loaded before, and `json` must end with its offset,
 * else it is refused. Returns 0, or -1. */
int recover_load_packet(const struct recover_audience *a, uint64_t ord,
                        uint64_t epoch, uint64_t seq, uint64_t at_ms,
                        const char *json, size_t len,
                        struct frame *const *attach, unsigned nattach);

/* The pid `pid` of session `sid` as the state file keeps it, into
 * out[RECOVER_PID_RECORD_MAX + 1]: the pid itself when it is the HMAC of
 * `sid` under this node's key, else "<pid>.<proof>" (a pid another node
 * made, the session recovered across the fleet), the proof 20 characters
 * of an HMAC of the sid and the pid under the key: a restart takes back
 * such a pid, and no forged one. */
#define RECOVER_PID_RECORD_MAX (2 * RECOVER_PID_LEN + 1)
void recover_pid_record(const char *sid, const char *pid, char *out);

/* Keeps a session read back from the state file (as recover_keep()),
 * refused (-1) unless `pid` (recover_pid_record()'s form) is the pid of
 * `sid` under the key, or carries a proof that verifies. */
int recover_load_session(const char *pid, const char *sid, const char *nsp,
                         const char *const *channels, size_t nchannels,
                         const char *context, size_t context_len,
                         uint64_t disconnected_ms);

/* The ord of the oldest packet in the ring (the next one's when empty). */
uint64_t recover_first_ord(void);

/* Runs `cb` for each packet of the ring whose ord is at least `ord`. */
void recover_each_packet(uint64_t ord,
                         void (*cb)(void *arg, const struct recover_packet *p),
                         void *arg);

/* Runs `cb` for each kept session not taken. */
void recover_each_session(void (*cb)(void *arg,
                                     const struct recover_session *rs),
                          void *arg);

#endif
