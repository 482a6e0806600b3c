/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* adminui: the namespace of @socket.io/admin-ui's dashboard (0.5.x
 * protocol): its login, server stats, the live list of sockets and rooms,
 * and the dashboard's disconnect/join/leave/emit on this node's sockets. */
#ifndef SOCKETIOD_ADMINUI_H
#define SOCKETIOD_ADMINUI_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

/* Refusal of a CONNECT with wrong or missing credentials: admin-ui's own
 * words, which its UI recognises (it shows the login form again). */
#define ADMINUI_E_CREDENTIALS "invalid credentials"
/* Refusal while over the login rate (ADMINUI_LOGIN_*). */
#define ADMINUI_E_TOO_MANY "too many login attempts, retry in a few seconds"

/* Password checks (bcrypt, each some tens of ms of the loop): a burst of
 * ADMINUI_LOGIN_BURST, then ADMINUI_LOGIN_PER_MIN a minute, for everyone. */
#define ADMINUI_LOGIN_BURST 5
#define ADMINUI_LOGIN_PER_MIN 30
/* Longest password tried (bcrypt reads 72 bytes; longer is refused). */
#define ADMINUI_MAX_PASSWORD 1024
/* Login sessions kept (their id lets the UI reconnect without the
 * password), each for ADMINUI_SESSION_S; the oldest goes first. */
#define ADMINUI_MAX_SESSIONS 64
#define ADMINUI_SESSION_S 86400
/* Sockets listed in one all_sockets answer (about 700 bytes each: the
 * answer stays well under --max-output). */
#define ADMINUI_MAX_LISTED 1000
/* Bytes of notices waiting for the next loop turn; more are dropped. */
#define ADMINUI_MAX_QUEUE (4u << 20)
/* Bytes of one event's arguments shown (development mode); a longer one
 * is shown as ["NAME", "(N bytes, not shown)"]. */
#define ADMINUI_MAX_SHOWN 16384
/* Sockets shown on polling whose upgrade is looked for (each stats
 * period: the hub tells no upgrade); more are not followed. */
#define ADMINUI_MAX_FOLLOWED 1024
/* server_stats period. */
#define ADMINUI_STATS_MS 2000

struct adminui_config {
    const char *nsp;           /* the dashboard's namespace, e.g. "/admin" */
    const char *username;      /* with password_hash; ignored with no_auth */
    const char *password_hash; /* bcrypt: $2a$, $2b$ or $2y$ */
    int no_auth;               /* anyone may connect (admin-ui's auth: false) */
    int development;           /* live sockets, rooms and events */
    int readonly;              /* no disconnect/join/leave/emit */
};

struct adminui_stats {
    uint64_t logins;          /* dashboards let in (password or session) */
    uint64_t logins_refused;  /* wrong credentials */
    uint64_t logins_limited;  /* refused over the login rate */
    uint64_t actions;         /* disconnect/join/leave/emit done */
    uint64_t actions_refused; /* malformed, bad names, or read-only */
    uint64_t notices_dropped; /* over ADMINUI_MAX_QUEUE */
    uint64_t dashboards;      /* connected now (a gauge) */
    uint64_t checking;        /* password checks running now (a gauge) */
};

extern struct adminui_stats adminui_stats;

/* 1 when `hash` is a bcrypt hash crypt(3) takes ($2a$/$2b$/$2y$, cost
 * 04-31, 60 characters), else 0. Pure. */
int adminui_hash_valid(const char *hash);

/* 1 when `password` (len bytes, no NUL) matches the bcrypt `hash`, else 0
 * (also for a NUL in the password or one over ADMINUI_MAX_PASSWORD).
 * Compares in constant time. */
int adminui_password_ok(const char *hash, const char *password, size_t len);

/* What the dashboard asks for, from the JSON array of one of its events:
 * ["emit", nsp, filter, event, ...args], ["join"|"leave", nsp, room,
 * filter], ["_disconnect", nsp, close, filter]. The filter (a room or a
 * socket id) may be absent or null: the whole namespace. */
enum adminui_verb {
    ADMINUI_EMIT,
    ADMINUI_JOIN,
    ADMINUI_LEAVE,
    ADMINUI_DISCONNECT
};

struct adminui_action {
    int verb;           /* enum adminui_verb */
    const char *nsp;    /* starts with "/" */
    const char *filter; /* NULL: the whole namespace */
    const char *room;   /* JOIN, LEAVE */
    const char *event;  /* EMIT */
    int close;          /* DISCONNECT: the whole connection */
    char *args;         /* EMIT: the JSON array [event, ...args] */
    void *doc;          /* what the strings point into */
};

/* Parses the event's JSON array (`len` bytes) into *act. Every name must
 * be one a client may use (sio_name_valid, no "\u0000"): a namespace up
 * to SOCK_MAX_NSP_NAME bytes starting with "/", rooms, filters and events
 * up to HUB_MAX_CHANNEL_NAME; a reserved event name (connect, disconnect,
 * ...) is refused. Returns 0 (free it with adminui_action_free()), or -1
 * with nothing to free. */
int adminui_action_parse(const char *json, size_t len,
                         struct adminui_action *act);
void adminui_action_free(struct adminui_action *act);

/* Serves cfg->nsp in the hub (hub_set_own, hub_set_watch) with `cfg`
 * (copied). Returns 0, or -1 with *cause (a bad hash, no username). The
 * hash is never logged. */
int adminui_setup(struct event_base *base, const struct adminui_config *cfg,
                  const char **cause);

/* Frees the queue, the sessions and the timers. */
void adminui_shutdown(void);

#endif
