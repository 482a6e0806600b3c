/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* recfleetmsg: pure codec of the recovery questions socketiod nodes ask
 * each other on "<key>-recovery#" and of their answers (recfleet.c). */
#ifndef SOCKETIOD_RECFLEETMSG_H
#define SOCKETIOD_RECFLEETMSG_H

#include <stddef.h>

#include "buf.h"
#include "frame.h"

/* The wire, JSON (docs/recovery.md):
 *   {"uid","requestId","nsp","pid","offset"}          who holds this pid?
 *   {"uid","requestId","found":false}                  not here
 *   {"uid","requestId","found":true,"sid","nsp","channels":[names],
 *    "context":"<base64 JSON>"|null,
 *    "packets":[["<base64 JSON array>","<base64 attachment>",...],...]}
 * The JSON texts travel as base64 so that they come back byte for byte
 * (a JSON parser would cut a string at "\u0000" and reprint numbers). */

/* Ids (requestId, uid): 1 to this many printable ASCII bytes. */
#define RECFLEETMSG_MAX_ID 32
/* Names (namespace, channels, sid): at most this many bytes. */
#define RECFLEETMSG_MAX_NAME 1024
/* Channels of one session, as the state file's cap (recstore.c). */
#define RECFLEETMSG_MAX_CHANNELS 100000
/* Socket ids: 1 to this many bytes of [A-Za-z0-9_.-]. */
#define RECFLEETMSG_MAX_SID 64
/* The pid is exactly this long (RECOVER_PID_LEN); the offset at most
 * RECOVER_MAX_OFFSET. */
#define RECFLEETMSG_PID_LEN 20
#define RECFLEETMSG_MAX_OFFSET 48
/* Attachments of one packet (SIO_MAX_ATTACHMENTS). */
#define RECFLEETMSG_MAX_ATTACH 64

/* The session an answer carries, to encode. */
struct recfleetmsg_session {
    const char *sid, *nsp;
    const char *const *channels;
    size_t nchannels;
    const char *context; /* JSON text, or NULL */
    size_t context_len;
};

/* One packet of an answer: the event's array text, its offset last. */
struct recfleetmsg_packet {
    const char *json;
    size_t len;
    struct frame *const *attach;
    unsigned nattach;
};

/* Appends the question (no NUL). Returns 0 or -1 (out of memory). */
int recfleetmsg_ask(struct buf *out, const char *uid, const char *req_id,
                    const char *nsp, const char *pid, const char *offset);

/* Appends the answer to `req_id`: `s` and its `npk` packets, or "not
 * here" when `s` is NULL (no NUL). Returns 0 or -1 (out of memory). */
int recfleetmsg_answer(struct buf *out, const char *uid, const char *req_id,
                       const struct recfleetmsg_session *s,
                       const struct recfleetmsg_packet *pk, size_t npk);

/* A decoded packet: json[len] (strict JSON array text, NUL after it),
 * its attachments as frames of their own (recfleetmsg_free() drops them). */
struct recfleetmsg_rpacket {
    char *json;
    size_t len;
    struct frame **attach;
    unsigned nattach;
};

/* A decoded question or answer. Everything is its own (heap). */
struct recfleetmsg {
    char request_id[RECFLEETMSG_MAX_ID + 1];
    char uid[RECFLEETMSG_MAX_ID + 1]; /* the sender's */
    int question;                     /* 1: nsp, pid, offset; 0: answer */
    int found;                        /* an answer with a session */
    char *nsp, *pid, *offset, *sid;
    char **channels;
    size_t nchannels;
    char *context; /* NULL when none; else strict JSON text */
    size_t context_len;
    struct recfleetmsg_rpacket *packets;
    size_t npackets;
    size_t bytes; /* the packets' JSON and attachment bytes */
};

/* Decodes a message (untrusted): ids as RECFLEETMSG_MAX_ID says; the
 * namespace starting with "/", it and the channels 1 to
 * RECFLEETMSG_MAX_NAME bytes that sio_name_valid() takes, at most
 * RECFLEETMSG_MAX_CHANNELS of them; the pid RECFLEETMSG_PID_LEN bytes of
 * base64url; the offset "<digits>-<digits>"; the context and each
 * packet strict JSON (jsonv_valid(), so valid UTF-8), a packet a JSON
 * array with at most RECFLEETMSG_MAX_ATTACH attachments; no "\u0000"
 * anywhere. Returns 0, or -1 with *why (and *m freed, all NULL). */
int recfleetmsg_decode(const char *data, size_t len, struct recfleetmsg *m,
                       const char **why);

/* Frees what recfleetmsg_decode() gave *m (any state it leaves). */
void recfleetmsg_free(struct recfleetmsg *m);

#endif
