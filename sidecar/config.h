/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* config: the daemon's settings, from the command line and a config file. */
#ifndef SOCKETIOD_CONFIG_H
#define SOCKETIOD_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "msglog.h"

#define CONFIG_MAX_LISTEN 8
#define CONFIG_MAX_SEND_THREADS 64

struct config {
    const char *listen[CONFIG_MAX_LISTEN];
    int nlisten;
    const char *rpc_path; /* NULL: rpc_default_path() */
    mode_t rpc_mode;
    const char *rpc_group;     /* group name or number; NULL: unchanged */
    const char *rpc_allow_uid; /* comma-separated users (names or uids) */
    const char *rpc_allow_gid; /* comma-separated groups (names or gids) */
    const char *path;          /* Engine.IO path, always ending in '/' */
    unsigned ping_interval_ms;
    unsigned ping_timeout_ms;
    unsigned connect_timeout_ms;
    size_t max_http_buffer_size;
    size_t max_output; /* per-connection queued output cap */
    size_t max_rpc_line;
    int send_threads; /* helpers writing a large fan-out; -1: by the CPUs */
    unsigned send_threads_min; /* connections written by the loop first */
    int allow_polling;
    int allow_websocket;
    /* Origins allowed besides same-origin (comma-separated, NULL: none;
     * "*": any) */
    const char *origins;
    const char *client_js;
    const char *static_dir;
    int relay;
    /* --state-file: NULL keeps nothing across a restart */
    const char *state_file;
    struct msglog_config message_log; /* --message-log-* */
    int verbose;
    /* Forwarding client events to the application (docs/upstream.md). */
    const char *upstream;        /* URL, NULL for none */
    const char *upstream_secret; /* file with the HMAC secret */
    unsigned upstream_concurrency;
    unsigned upstream_queue;
    unsigned upstream_timeout_ms;
    unsigned upstream_drain_ms; /* SIGTERM: the longest wait for upstream
                                   events in flight or queued */
    unsigned upstream_retries;  /* times a 503 answer is tried again */
    size_t upstream_max_context;
    size_t upstream_queue_bytes; /* event bytes waiting per socket */
    unsigned journal_max;        /* owed disconnects kept (docs/upstream.md) */
    size_t journal_bytes;        /* their bytes */
    unsigned journal_rate;       /* late deliveries per second */
    unsigned journal_probe_ms;   /* one try this often while the app is down */
    int private_channels;
    const char *presence; /* channel prefixes with presence events */
    /* Connection state recovery (docs/recovery.md). */
    unsigned recovery; /* seconds; 0: off */
    size_t recovery_max_bytes;
    unsigned recovery_max_sessions;
    int recovery_authorize;
    unsigned recovery_save_ms; /* --recovery-save-interval */
    /* Joining a Socket.IO fleet through Redis (docs/scale-out.md). */
    const char *redis; /* URL, NULL for none */
    const char *redis_key;
    unsigned redis_timeout_ms;
    unsigned redis_requests_timeout_ms;
    size_t redis_max_message;
    const char *redis_python_channel; /* python-socketio's, e.g. "socketio" */
    size_t redis_outbox;
    /* Responder fronts for web servers (docs/deployment.md). */
    const char *fcgi[CONFIG_MAX_LISTEN]; /* --fcgi ADDR */
    int nfcgi;
    const char *scgi[CONFIG_MAX_LISTEN]; /* --scgi ADDR */
    int nscgi;
    unsigned poll_hold_ms;       /* --poll-hold */
    unsigned poll_max_packets;   /* --poll-max-packets */
    const char *trusted_proxies; /* X-Forwarded-For believed from these */
    int listen_default;          /* listen[0] is the default, not asked for */
    /* Abuse limits (docs/limits.md). */
    unsigned max_connections;        /* 0: the fd limit less a reserve */
    unsigned max_connections_per_ip; /* 0: no per-address limit */
    unsigned handshake_timeout_ms;   /* whole request within; 0: none */
    size_t max_header_size;          /* request line and headers */
    unsigned max_event_rate;         /* client events/s per socket; 0: none */
    unsigned event_burst;            /* 0: same as max_event_rate */
    int flood_disconnect;            /* 1: disconnect, 0: drop the excess */
    unsigned max_channels;           /* channels per socket */
    unsigned max_namespaces;         /* namespace sockets per session */
    size_t max_attachment_bytes;     /* one packet's; 0: max_http_buffer_size */
    unsigned attachment_timeout_ms;  /* one packet's attachments; 0: none */
    unsigned drain_timeout_ms;       /* closing with output unread; 0: none */
    size_t max_front_buffer;         /* FastCGI request bytes being sent, per
                                        connection */
    unsigned front_idle_timeout_ms;  /* FastCGI connection without a request;
                                        0: none */
    size_t max_rpc_unread; /* a control client's unread answers before its
                              requests wait */
    unsigned max_sessions; /* 0: twice max_connections */
    unsigned max_sessions_per_ip;   /* per client address; 0: no limit */
    unsigned first_poll_timeout_ms; /* polling session's first request */
    size_t max_handshake_meta;      /* handshake values kept per session */
    const char *admin;              /* --admin: /metrics etc. (NULL: off) */
    int admin_ui;                   /* --admin-ui: the dashboard's namespace */
    const char *admin_ui_namespace;
    const char *admin_ui_username;
    const char *admin_ui_password_hash;
    int admin_ui_no_auth;
    int admin_ui_mode; /* 0 production, 1 development */
    int admin_ui_readonly;
    const char *admin_ui_dir;
    int log_format;    /* --log-format: 0 text, 1 json */
    unsigned workers;  /* --workers: 0 one process, no supervisor */
    const char *route; /* --route: the ids' tag (with --workers its prefix) */
};

/* Every string in a struct config is its own copy (options_set()).
 * Which options there are, their types, defaults and help: options.c. */

/* Fills defaults, then applies argv (and a -c file, whose keys are the long
 * option names). Returns 0; -1 with *cause naming the option (and the
 * file:line); 1 after printing help, the version or --print-options (the
 * caller exits 0). May be called again with the same argv (SIGHUP). */
int config_load(struct config *cfg, int argc, char **argv, const char **cause);

/* Releases what config_load() allocated. */
void config_free(struct config *cfg);

/* SIGHUP: copies into `cur` every option the table marks reloadable whose
 * value differs in `next` (a fresh config_load()), and logs each one; logs
 * the other changes as needing a restart and leaves them. Returns the
 * number applied. */
int config_update(struct config *cur, const struct config *next);

/* 1 when `origin` (not NUL-terminated) is in cfg->origins, or any Origin
 * is allowed ("*"). Same-origin requests are the engine's to allow. */
int config_origin_allowed(const struct config *cfg, const char *origin,
                          size_t len);

#endif
