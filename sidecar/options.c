/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* options: the table of every setting, its parsing, --help and the docs. */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#ifndef SIOD_DATADIR
#define SIOD_DATADIR "/usr/local/share/socketiod"
#endif

#define OPTIONS_STR2(x) #x
#define OPTIONS_STR(x) OPTIONS_STR2(x)

/* Where a plain field lands: its offset and size in struct config. */
#define AT(f) offsetof(struct config, f), sizeof(((struct config *)0)->f), 0
/* A repeatable address: the array and its counter. */
#define AT_LIST(f, n)                                                          \
    offsetof(struct config, f), sizeof(((struct config *)0)->f[0]),            \
        offsetof(struct config, n)

/* The messages every error is written into: one at a time, start-up and
 * SIGHUP only. */
static char options_why[512];

static const char *options_fail(const struct options_entry *o, const char *val,
                                const char *want)
{
    snprintf(options_why, sizeof options_why, "--%s: '%s' %s", o->name,
             val ? val : "", want);
    return options_why;
}

static int options_set_path(struct config *cfg, const char *val,
                            const char **cause);
static void options_get_path(const struct config *cfg, char *buf, size_t cap);
static int options_set_mode(struct config *cfg, const char *val,
                            const char **cause);
static void options_get_mode(const struct config *cfg, char *buf, size_t cap);
static int options_set_transports(struct config *cfg, const char *val,
                                  const char **cause);
static void options_get_transports(const struct config *cfg, char *buf,
                                   size_t cap);
static int options_set_threads(struct config *cfg, const char *val,
                               const char **cause);
static void options_get_threads(const struct config *cfg, char *buf,
                                size_t cap);

static const char *const options_rate_actions[] = {"drop", "disconnect", NULL};
static const char *const options_log_formats[] = {"text", "json", NULL};
static const char *const options_ui_modes[] = {"production", "development",
                                               NULL};

/* Every option, in --help order. Defaults are text parsed like a value, so
 * the docs print what the daemon uses. `reload` marks what SIGHUP applies
 * without a restart: what is read per request or per event (origins,
 * proxies, limits, the log level, upstream tuning), never what was bound,
 * opened or sized at start-up. */
const struct options_entry options_table[] = {
    {"listen", 'l', OPTIONS_ADDRESS, "ADDR", 0, 0, NULL, NULL, NULL, 0, 1,
     AT_LIST(listen, nlisten), NULL, NULL, "Listening",
     "public HTTP and WebSocket port: HOST:PORT, [V6]:PORT or unix:PATH; "
     "repeatable; port 0 picks a free port (logged); default 127.0.0.1:9000 "
     "when no --listen, --fcgi or --scgi is given"},
    {"fcgi", 0, OPTIONS_ADDRESS, "ADDR", 0, 0, NULL, NULL, NULL, 0, 1,
     AT_LIST(fcgi, nfcgi), NULL, NULL, NULL,
     "FastCGI responder (repeatable; a listening socket on fd 0, as mod_fcgid "
     "and spawn-fcgi pass it, is used too)"},
    {"scgi", 0, OPTIONS_ADDRESS, "ADDR", 0, 0, NULL, NULL, NULL, 0, 1,
     AT_LIST(scgi, nscgi), NULL, NULL, NULL, "SCGI responder (repeatable)"},
    {"path", 0, OPTIONS_STRING, "PATH", 0, 0, NULL, "/socket.io/", NULL, 0, 0,
     0, 0, 0, options_set_path, options_get_path, NULL,
     "Engine.IO path (a '/' is added at the end)"},
    {"transports", 0, OPTIONS_LIST, "LIST", 0, 0, NULL, "polling,websocket",
     NULL, 0, 0, 0, 0, 0, options_set_transports, options_get_transports, NULL,
     "transports allowed: polling, websocket or both"},
    {"origins", 0, OPTIONS_LIST, "LIST", 0, 0, NULL, NULL, NULL, 1, 0,
     AT(origins), NULL, NULL, NULL,
     "Origins allowed besides the daemon's own host, comma-separated; * for "
     "any (default: same-origin only)"},
    {"trusted-proxies", 0, OPTIONS_LIST, "LIST", 0, 0, NULL, NULL, NULL, 1, 0,
     AT(trusted_proxies), NULL, NULL, NULL,
     "addresses or ADDR/BITS whose X-Forwarded-For is believed (\"unix\": "
     "Unix sockets; default none)"},
    {"client-js", 0, OPTIONS_PATH, "FILE", 0, 0, NULL,
     SIOD_DATADIR "/socket.io.js", NULL, 0, 0, AT(client_js), NULL, NULL, NULL,
     "served at PATH/socket.io.js"},
    {"static", 0, OPTIONS_PATH, "DIR", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(static_dir), NULL, NULL, NULL, "serve DIR at / (demo pages)"},
    {"relay", 0, OPTIONS_BOOL, NULL, 0, 0, NULL, "no", NULL, 0, 0, AT(relay),
     NULL, NULL, NULL, "re-emit client events to the sender's channels"},
    {"poll-hold", 0, OPTIONS_DURATION, "MS", 0, 3600000, NULL, "0", NULL, 0, 0,
     AT(poll_hold_ms), NULL, NULL, NULL,
     "answer a held long-poll with a NOOP after MS (0: hold until there is "
     "data; for mod_fcgid)"},
    {"poll-max-packets", 0, OPTIONS_INT, "N", 0, 1000000, NULL, "16", NULL, 0,
     0, AT(poll_max_packets), NULL, NULL, NULL,
     "packets per long-poll answer (what the python-engineio client takes; "
     "0: all)"},

    {"ping-interval", 0, OPTIONS_DURATION, "MS", 1, 86400000, NULL, "25000",
     NULL, 0, 0, AT(ping_interval_ms), NULL, NULL, "Engine.IO and Socket.IO",
     "Engine.IO heartbeat interval"},
    {"ping-timeout", 0, OPTIONS_DURATION, "MS", 1, 86400000, NULL, "20000",
     NULL, 0, 0, AT(ping_timeout_ms), NULL, NULL, NULL,
     "a session is closed when no pong comes within this after a ping"},
    {"connect-timeout", 0, OPTIONS_DURATION, "MS", 1, 86400000, NULL, "45000",
     NULL, 0, 0, AT(connect_timeout_ms), NULL, NULL, NULL,
     "a session must connect a namespace within this"},
    {"max-http-buffer-size", 0, OPTIONS_SIZE, "BYTES", 64, 1UL << 30, NULL,
     "1000000", NULL, 0, 0, AT(max_http_buffer_size), NULL, NULL, NULL,
     "largest request body or WebSocket message"},
    {"max-output", 0, OPTIONS_SIZE, "BYTES", 64, 1UL << 30, NULL, "4194304",
     NULL, 0, 0, AT(max_output), NULL, NULL, NULL,
     "per-connection queued output cap; a slow reader over it is cut off"},
    {"send-threads", 0, OPTIONS_INT, "N", 0, CONFIG_MAX_SEND_THREADS, NULL,
     "auto", NULL, 0, 0, 0, 0, 0, options_set_threads, options_get_threads,
     NULL,
     "threads besides the loop that write a large fan-out (auto: CPUs - 1, "
     "at most 3, and with --workers N each worker CPUs / N - 1; 0: none)"},
    {"send-threads-min", 0, OPTIONS_INT, "N", 0, UINT32_MAX, NULL, "2048", NULL,
     0, 0, AT(send_threads_min), NULL, NULL, NULL,
     "connections a broadcast writes from the loop before the rest goes to "
     "the send threads"},

    {"max-connections", 0, OPTIONS_INT, "N", 0, 86400000, NULL, "0", NULL, 1, 0,
     AT(max_connections), NULL, NULL, "Limits (docs/limits.md)",
     "open connections in all (0: the fd limit less 64)"},
    {"max-connections-per-ip", 0, OPTIONS_INT, "N", 0, 86400000, NULL, "0",
     NULL, 1, 0, AT(max_connections_per_ip), NULL, NULL, NULL,
     "open connections per peer address (0: no limit)"},
    {"handshake-timeout", 0, OPTIONS_DURATION, "MS", 0, 86400000, NULL, "10000",
     NULL, 1, 0, AT(handshake_timeout_ms), NULL, NULL, NULL,
     "a whole request must arrive within this (0: no limit)"},
    {"max-header-size", 0, OPTIONS_SIZE, "BYTES", 256, 1UL << 20, NULL, "16384",
     NULL, 0, 0, AT(max_header_size), NULL, NULL, NULL,
     "request line and headers"},
    {"max-event-rate", 0, OPTIONS_INT, "N", 0, 86400000, NULL, "1000", NULL, 1,
     0, AT(max_event_rate), NULL, NULL, NULL,
     "client events per second per socket (0: no limit)"},
    {"event-burst", 0, OPTIONS_INT, "N", 0, 86400000, NULL, "0", NULL, 1, 0,
     AT(event_burst), NULL, NULL, NULL,
     "events at once above the rate (0: the rate)"},
    {"event-rate-action", 0, OPTIONS_ENUM, "ACTION", 0, 0, options_rate_actions,
     "drop", NULL, 1, 0, AT(flood_disconnect), NULL, NULL, NULL,
     "what happens to events over the rate: drop or disconnect"},
    {"max-channels", 0, OPTIONS_INT, "N", 1, 1000000, NULL, "1000", NULL, 1, 0,
     AT(max_channels), NULL, NULL, NULL, "channels per socket"},
    {"max-namespaces", 0, OPTIONS_INT, "N", 1, 1000000, NULL, "100", NULL, 1, 0,
     AT(max_namespaces), NULL, NULL, NULL, "namespaces per connection"},
    {"max-attachment-bytes", 0, OPTIONS_SIZE, "BYTES", 0, 1UL << 30, NULL, "0",
     NULL, 1, 0, AT(max_attachment_bytes), NULL, NULL, NULL,
     "binary attachments of one packet (0: --max-http-buffer-size)"},
    {"attachment-timeout", 0, OPTIONS_DURATION, "MS", 0, 86400000, NULL,
     "60000", NULL, 1, 0, AT(attachment_timeout_ms), NULL, NULL, NULL,
     "for all attachments of a packet (0: none)"},
    {"drain-timeout", 0, OPTIONS_DURATION, "MS", 0, 86400000, NULL, "30000",
     NULL, 1, 0, AT(drain_timeout_ms), NULL, NULL, NULL,
     "a closing connection's unread output is dropped after this (0: never)"},
    {"max-front-buffer", 0, OPTIONS_SIZE, "BYTES", 64, 1UL << 30, NULL,
     "8388608", NULL, 0, 0, AT(max_front_buffer), NULL, NULL, NULL,
     "bytes of FastCGI requests being sent, per connection"},
    {"front-idle-timeout", 0, OPTIONS_DURATION, "MS", 0, 86400000, NULL,
     "600000", NULL, 0, 0, AT(front_idle_timeout_ms), NULL, NULL, NULL,
     "a FastCGI connection without a request is closed after this (0: never)"},
    {"max-sessions", 0, OPTIONS_INT, "N", 0, 86400000, NULL, "0", NULL, 0, 0,
     AT(max_sessions), NULL, NULL, NULL,
     "Engine.IO sessions in all (0: twice the connection limit)"},
    {"max-sessions-per-ip", 0, OPTIONS_INT, "N", 0, 86400000, NULL, "0", NULL,
     0, 0, AT(max_sessions_per_ip), NULL, NULL, NULL,
     "sessions per client address, after --trusted-proxies (0: no limit)"},
    {"first-poll-timeout", 0, OPTIONS_DURATION, "MS", 0, 86400000, NULL,
     "10000", NULL, 0, 0, AT(first_poll_timeout_ms), NULL, NULL, NULL,
     "a polling session must send its first request within this"},
    {"max-handshake-meta", 0, OPTIONS_SIZE, "BYTES", 256, 1UL << 20, NULL,
     "8192", NULL, 0, 0, AT(max_handshake_meta), NULL, NULL, NULL,
     "handshake values kept per session"},

    {"rpc", 'r', OPTIONS_PATH, "PATH", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(rpc_path), NULL, NULL, "Control socket (docs/rpc.md)",
     "control socket (default: as root /run/socketiod/socketiod.sock, else "
     "$XDG_RUNTIME_DIR/socketiod/socketiod.sock)"},
    {"rpc-mode", 0, OPTIONS_INT, "MODE", 0, 0777, NULL, "0660", NULL, 0, 0, 0,
     0, 0, options_set_mode, options_get_mode, NULL,
     "the control socket's octal mode"},
    {"rpc-group", 0, OPTIONS_STRING, "GROUP", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(rpc_group), NULL, NULL, NULL,
     "the control socket's group, name or number (default: the daemon's)"},
    {"rpc-allow-uid", 0, OPTIONS_LIST, "LIST", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(rpc_allow_uid), NULL, NULL, NULL,
     "users (names or uids) allowed besides root and the daemon's own user "
     "(checked with SO_PEERCRED)"},
    {"rpc-allow-gid", 0, OPTIONS_LIST, "LIST", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(rpc_allow_gid), NULL, NULL, NULL, "groups (names or gids) allowed"},
    {"max-rpc-line", 0, OPTIONS_SIZE, "BYTES", 64, 1UL << 30, NULL, "1048576",
     NULL, 0, 0, AT(max_rpc_line), NULL, NULL, NULL, "longest control request"},
    {"max-rpc-unread", 0, OPTIONS_SIZE, "BYTES", 64, 1UL << 30, NULL, "1048576",
     NULL, 0, 0, AT(max_rpc_unread), NULL, NULL, NULL,
     "a control client's unread answers before its requests wait"},

    {"upstream", 0, OPTIONS_STRING, "URL", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(upstream), NULL, NULL,
     "Forwarding to the application (docs/upstream.md)",
     "forward client events to the app: http://HOST:PORT/PATH, fcgi://..., "
     "scgi://..., or http+unix:/SOCK:/PATH, ..."},
    {"upstream-secret", 0, OPTIONS_PATH, "FILE", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(upstream_secret), NULL, NULL, NULL,
     "HMAC key for signing them (or the environment variable "
     "SOCKETIOD_UPSTREAM_SECRET)"},
    {"upstream-concurrency", 0, OPTIONS_INT, "N", 1, 100000, NULL, "16", NULL,
     1, 0, AT(upstream_concurrency), NULL, NULL, NULL,
     "requests in flight at once"},
    {"upstream-queue", 0, OPTIONS_INT, "N", 1, 100000, NULL, "64", NULL, 1, 0,
     AT(upstream_queue), NULL, NULL, NULL, "events waiting per socket"},
    {"upstream-queue-bytes", 0, OPTIONS_SIZE, "BYTES", 1024, 1UL << 30, NULL,
     "4194304", NULL, 1, 0, AT(upstream_queue_bytes), NULL, NULL, NULL,
     "their bytes (one event always goes when none waits)"},
    {"upstream-timeout", 0, OPTIONS_DURATION, "MS", 1, 86400000, NULL, "10000",
     NULL, 1, 0, AT(upstream_timeout_ms), NULL, NULL, NULL,
     "connect and send, and the response, each"},
    {"upstream-drain", 0, OPTIONS_DURATION, "MS", 0, 86400000, NULL, "5000",
     NULL, 1, 0, AT(upstream_drain_ms), NULL, NULL, NULL,
     "on SIGTERM, the longest wait for events still going to the app "
     "(and presence questions to the fleet)"},
    {"upstream-retries", 0, OPTIONS_INT, "N", 0, 10, NULL, "4", NULL, 1, 0,
     AT(upstream_retries), NULL, NULL, NULL,
     "times an event answered 503 goes again, after 100, 200, 400... ms"},
    {"upstream-max-context", 0, OPTIONS_SIZE, "BYTES", 0, 1UL << 26, NULL,
     "65536", NULL, 1, 0, AT(upstream_max_context), NULL, NULL, NULL,
     "context JSON kept per socket"},
    {"journal-max", 0, OPTIONS_INT, "N", 1, 10000000, NULL, "10000", NULL, 0, 0,
     AT(journal_max), NULL, NULL, NULL,
     "disconnects kept while the app is down (past it: dropped)"},
    {"journal-bytes", 0, OPTIONS_SIZE, "BYTES", 1024, 1UL << 30, NULL,
     "16777216", NULL, 0, 0, AT(journal_bytes), NULL, NULL, NULL,
     "their bytes"},
    {"journal-rate", 0, OPTIONS_INT, "N", 1, 100000, NULL, "50", NULL, 0, 0,
     AT(journal_rate), NULL, NULL, NULL,
     "late disconnects delivered per second once the app is back"},
    {"journal-probe", 0, OPTIONS_DURATION, "MS", 100, 3600000, NULL, "2000",
     NULL, 0, 0, AT(journal_probe_ms), NULL, NULL, NULL,
     "while the app is down, the oldest kept disconnect is tried this often"},
    {"private-channels", 0, OPTIONS_BOOL, NULL, 0, 0, NULL, "no", NULL, 0, 0,
     AT(private_channels), NULL, NULL, NULL,
     "a subscribe waits for the app's allow"},
    {"presence", 0, OPTIONS_LIST, "PREFIXES", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(presence), NULL, NULL, NULL,
     "channels starting with one of these prefixes (comma-separated; * for "
     "all) get presence:join and presence:leave events when an app user's "
     "first socket joins or last one leaves (docs/presence.md; default none)"},

    {"recovery", 0, OPTIONS_INT, "SECONDS", 0, 86400, NULL, "0", NULL, 0, 0,
     AT(recovery), NULL, NULL, "Connection state recovery (docs/recovery.md)",
     "the longest disconnection after which a socket.io >= 4.6 client gets "
     "its id, channels and missed events back (0: off)"},
    {"recovery-max-bytes", 0, OPTIONS_SIZE, "BYTES", 1024, 1UL << 34, NULL,
     "16777216", NULL, 0, 0, AT(recovery_max_bytes), NULL, NULL, NULL,
     "events kept for reconnects (the oldest dropped beyond: their "
     "sessions start afresh)"},
    {"recovery-max-sessions", 0, OPTIONS_INT, "N", 1, 10000000, NULL, "100000",
     NULL, 0, 0, AT(recovery_max_sessions), NULL, NULL, NULL,
     "disconnected sessions kept at once (the oldest dropped beyond)"},
    {"recovery-save-interval", 0, OPTIONS_DURATION, "MS", 100, 3600000, NULL,
     "2000", NULL, 0, 0, AT(recovery_save_ms), NULL, NULL, NULL,
     "with --state-file: how often the sessions, connected sockets and new "
     "events are written (a kill -9 loses at most this much)"},
    {"recovery-authorize", 0, OPTIONS_BOOL, NULL, 0, 0, NULL, "no", NULL, 0, 0,
     AT(recovery_authorize), NULL, NULL, NULL,
     "a recovered connect waits for the app's answer like a new one (no: the "
     "app is told, not asked, as socket.io's skipMiddlewares)"},

    {"redis", 0, OPTIONS_STRING, "URL", 0, 0, NULL, NULL, NULL, 0, 0, AT(redis),
     NULL, NULL, "Joining a Socket.IO fleet through Redis (docs/scale-out.md)",
     "redis://[user:pass@]host:port/db or unix:///path?db=N (off when unset)"},
    {"redis-key", 0, OPTIONS_STRING, "KEY", 0, 0, NULL, "socket.io", NULL, 0, 0,
     AT(redis_key), NULL, NULL, NULL, "the adapters' channel prefix"},
    {"redis-timeout", 0, OPTIONS_DURATION, "MS", 1, 86400000, NULL, "5000",
     NULL, 0, 0, AT(redis_timeout_ms), NULL, NULL, NULL,
     "a Redis connect or request's answer"},
    {"redis-requests-timeout", 0, OPTIONS_DURATION, "MS", 1, 60000, NULL,
     "1000", NULL, 0, 0, AT(redis_requests_timeout_ms), NULL, NULL, NULL,
     "the control RPC's wait for the other nodes' answers (then it answers "
     "with what it has, \"incomplete\")"},
    {"redis-max-message", 0, OPTIONS_SIZE, "BYTES", 64, 1UL << 30, NULL,
     "33554432", NULL, 0, 0, AT(redis_max_message), NULL, NULL, NULL,
     "bus messages taken (longer ones are dropped and counted)"},
    {"redis-python-channel", 0, OPTIONS_STRING, "NAME", 0, 0, NULL, NULL, NULL,
     0, 0, AT(redis_python_channel), NULL, NULL, NULL,
     "python-socketio's channel to read (e.g. socketio; JSON, and pickles "
     "read as data only, never executed; "
     "off when unset)"},
    {"redis-outbox", 0, OPTIONS_SIZE, "BYTES", 0, 1UL << 30, NULL, "16777216",
     NULL, 0, 0, AT(redis_outbox), NULL, NULL, NULL,
     "broadcasts kept while Redis is unreachable, replayed in order (the "
     "oldest dropped beyond; 0: none kept)"},

    {"workers", 0, OPTIONS_INT, "N", 0, 16, NULL, "0", NULL, 0, 0, AT(workers),
     NULL, NULL, "Workers on one box (docs/scale-out.md)",
     "run N worker processes on the same port under a supervisor that "
     "restarts a dead one (0: one process, no supervisor; 2 or more need "
     "--redis); %i in --listen, --fcgi, --scgi, --admin and --state-file is "
     "the worker's number"},
    {"route", 0, OPTIONS_STRING, "ID", 0, 0, NULL, NULL, NULL, 0, 0, AT(route),
     NULL, NULL, NULL,
     "route tag (1 to 3 of A-Z a-z 0-9) every session and socket id ends "
     "with, `<random>.<ID>`, for a web server to route by; with --workers "
     "worker N's tag is <ID>N (default: none; wN with --workers)"},

    {"message-log-format", 0, OPTIONS_STRING, "FMT", 0, 0, NULL, NULL,
     "SOCKETIO_MESSAGE_LOG_FORMAT", 0, 0, AT(message_log.format), NULL, NULL,
     "Message log (docs/message-log.md)",
     "log every message to SQLite, rendering %(KEY)s lines (unset or None: "
     "no log)"},
    {"state-file", 0, OPTIONS_PATH, "FILE", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(state_file), NULL, NULL, NULL,
     "SQLite file keeping what survives a restart (unset: nothing)"},
    {"message-log", 0, OPTIONS_PATH, "FILE", 0, 0, NULL, MSGLOG_DEFAULT_PATH,
     NULL, 0, 0, AT(message_log.path), NULL, NULL, NULL, "the database"},
    {"message-log-queue", 0, OPTIONS_INT, "N", 1, 1UL << 24, NULL,
     OPTIONS_STR(MSGLOG_DEFAULT_QUEUE), NULL, 0, 0, AT(message_log.queue), NULL,
     NULL, NULL, "rows queued before dropping"},
    {"message-log-max-age", 0, OPTIONS_INT, "SECONDS", 0, 1UL << 40, NULL, "0",
     NULL, 0, 0, AT(message_log.max_age), NULL, NULL, NULL,
     "delete older rows (0: keep)"},
    {"message-log-max-rows", 0, OPTIONS_INT, "N", 0, 1UL << 40, NULL,
     OPTIONS_STR(MSGLOG_DEFAULT_MAX_ROWS), NULL, 0, 0, AT(message_log.max_rows),
     NULL, NULL, NULL, "keep the newest N rows (0: all)"},
    {"message-log-max-payload", 0, OPTIONS_SIZE, "BYTES", 0, 1UL << 40, NULL,
     OPTIONS_STR(MSGLOG_DEFAULT_MAX_PAYLOAD), NULL, 0, 0,
     AT(message_log.max_payload), NULL, NULL, NULL,
     "JSON kept per row (0: all)"},
    {"message-log-per-receiver", 0, OPTIONS_BOOL, NULL, 0, 0, NULL, "no", NULL,
     0, 0, AT(message_log.per_receiver), NULL, NULL, NULL,
     "a row per receiver of a broadcast"},
    {"message-log-cookies", 0, OPTIONS_BOOL, NULL, 0, 0, NULL, "no", NULL, 0, 0,
     AT(message_log.cookies), NULL, NULL, NULL,
     "let %(HTTP_COOKIE)s and %(HTTP_AUTHORIZATION)s render the credentials"},

    {"admin", 0, OPTIONS_ADDRESS, "ADDR", 0, 0, NULL, NULL, NULL, 0, 0,
     AT(admin), NULL, NULL, "Monitoring",
     "serve /metrics, /healthz and /readyz over HTTP on HOST:PORT (loopback "
     "recommended), unix:PATH or /PATH; never on the public port (default: "
     "off)"},

    {"admin-ui", 0, OPTIONS_BOOL, NULL, 0, 0, NULL, "no", NULL, 0, 0,
     AT(admin_ui), NULL, NULL, "Admin UI (docs/admin-ui.md)",
     "serve the namespace of @socket.io/admin-ui's dashboard on the public "
     "port (this node's sockets), and its files at /admin-ui/ of --admin"},
    {"admin-ui-namespace", 0, OPTIONS_STRING, "NSP", 0, 0, NULL, "/admin", NULL,
     0, 0, AT(admin_ui_namespace), NULL, NULL, NULL,
     "the dashboard's namespace (never forwarded to the app)"},
    {"admin-ui-username", 0, OPTIONS_STRING, "NAME", 0, 0, NULL, NULL,
     "SOCKETIOD_ADMIN_UI_USERNAME", 0, 0, AT(admin_ui_username), NULL, NULL,
     NULL, "the dashboard's login name"},
    {"admin-ui-password-hash", 0, OPTIONS_STRING, "HASH", 0, 0, NULL, NULL,
     "SOCKETIOD_ADMIN_UI_PASSWORD_HASH", 0, 0, AT(admin_ui_password_hash), NULL,
     NULL, NULL,
     "bcrypt hash ($2a$/$2b$/$2y$) of its password, e.g. from htpasswd "
     "-nbBC 10 '' PASSWORD (never logged)"},
    {"admin-ui-no-auth", 0, OPTIONS_BOOL, NULL, 0, 0, NULL, "no", NULL, 0, 0,
     AT(admin_ui_no_auth), NULL, NULL, NULL,
     "DANGEROUS: no login at all (admin-ui's auth: false); anyone reaching "
     "the public port may list and disconnect every socket"},
    {"admin-ui-mode", 0, OPTIONS_ENUM, "MODE", 0, 0, options_ui_modes,
     "development", NULL, 0, 0, AT(admin_ui_mode), NULL, NULL, NULL,
     "development: live sockets, rooms and events (as admin-ui's default); "
     "production: server stats only"},
    {"admin-ui-readonly", 0, OPTIONS_BOOL, NULL, 0, 0, NULL, "no", NULL, 0, 0,
     AT(admin_ui_readonly), NULL, NULL, NULL,
     "the dashboard may look, not disconnect, join, leave or emit"},
    {"admin-ui-dir", 0, OPTIONS_PATH, "DIR", 0, 0, NULL,
     SIOD_DATADIR "/admin-ui", NULL, 0, 0, AT(admin_ui_dir), NULL, NULL, NULL,
     "the UI's files (admin-ui's ui/dist; make install puts them here when "
     "tests/node_modules has them)"},

    {"verbose", 'v', OPTIONS_COUNT, "LEVEL", 0, 3, NULL, "0", NULL, 1, 0,
     AT(verbose), NULL, NULL, "Logging",
     "more log output: -v lifecycle, -vv per request, -vvv per packet (in a "
     "config file: verbose = 0 to 3)"},
    {"log-format", 0, OPTIONS_ENUM, "FORMAT", 0, 0, options_log_formats, "text",
     NULL, 1, 0, AT(log_format), NULL, NULL, NULL,
     "text: RFC 3339 time, level, message; json: one object per line"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL,
     NULL},
};

const struct options_entry *options_find(const char *name)
{
    const struct options_entry *o;

    for (o = options_table; o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

const struct options_entry *options_find_short(int c)
{
    const struct options_entry *o;

    for (o = options_table; o->name != NULL; o++)
        if (o->shortname != 0 && o->shortname == c)
            return o;
    return NULL;
}

static void *options_field(struct config *cfg, const struct options_entry *o)
{
    return (char *)cfg + o->off;
}

static void options_store_uint(struct config *cfg,
                               const struct options_entry *o, unsigned long v)
{
    uint32_t v32 = (uint32_t)v;
    uint64_t v64 = v;

    if (o->size == sizeof v32)
        memcpy(options_field(cfg, o), &v32, sizeof v32);
    else
        memcpy(options_field(cfg, o), &v64, sizeof v64);
}

static unsigned long options_load_uint(const struct config *cfg,
                                       const struct options_entry *o)
{
    uint32_t v32;
    uint64_t v64;

    if (o->size == sizeof v32) {
        memcpy(&v32, (const char *)cfg + o->off, sizeof v32);
        return v32;
    }
    memcpy(&v64, (const char *)cfg + o->off, sizeof v64);
    return (unsigned long)v64;
}

/* A decimal number with an optional unit from `units` (name, factor
 * pairs); digits only, so "-1", "1e3", "0x10", " 5" and "" are refused. */
static int options_number(const char *s, const char *const *units,
                          const unsigned long *factors, unsigned long *out)
{
    const char *p = s;
    unsigned long v = 0, f = 1;
    int i;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (ULONG_MAX - (unsigned long)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (*p != '\0') {
        for (i = 0; units != NULL && units[i] != NULL; i++)
            if (strcmp(p, units[i]) == 0)
                break;
        if (units == NULL || units[i] == NULL)
            return -1;
        f = factors[i];
    }
    if (f != 1 && v > ULONG_MAX / f)
        return -1;
    *out = v * f;
    return 0;
}

static const char *const options_size_units[] = {"k", "K", "M", "G", NULL};
static const unsigned long options_size_factors[] = {1UL << 10, 1UL << 10,
                                                     1UL << 20, 1UL << 30};
static const char *const options_time_units[] = {"ms", "s", "m", "h", NULL};
static const unsigned long options_time_factors[] = {1, 1000, 60000, 3600000};

/* Checks an address as the listener will take it, so a typo fails at
 * start-up with the option's name, not later or on another port. `slash`:
 * "/PATH" is a Unix socket too. */
static int options_address_one(const char *val, int slash);

/* An address with "%i" (one per worker, --workers) is checked as worker
 * 1's. */
static int options_address(const char *val, int slash)
{
    char one[256];
    size_t i, n = 0;

    for (i = 0; val[i] != '\0' && n + 1 < sizeof one; i++) {
        if (val[i] == '%' && val[i + 1] == 'i') {
            one[n++] = '1';
            i++;
        } else {
            one[n++] = val[i];
        }
    }
    if (val[i] != '\0')
        return -1;
    one[n] = '\0';
    return options_address_one(one, slash);
}

static int options_address_one(const char *val, int slash)
{
    const char *port;
    unsigned long n;

    if (slash && val[0] == '/')
        return strlen(val) < 108 ? 0 : -1;
    if (strncmp(val, "unix:", 5) == 0)
        return val[5] != '\0' && strlen(val + 5) < 108 ? 0 : -1;
    if (val[0] == '[') {
        port = strstr(val, "]:");
        if (port == NULL || port == val + 1)
            return -1;
        port += 2;
    } else {
        port = strrchr(val, ':');
        if (port == NULL)
            return -1;
        port++;
    }
    if (strlen(val) >= 256 || options_number(port, NULL, NULL, &n) != 0 ||
        n > 65535)
        return -1;
    return 0;
}

static int options_bool(const char *val)
{
    static const char *const yes[] = {"yes", "true", "on", "1", NULL};
    static const char *const no[] = {"no", "false", "off", "0", NULL};
    int i;

    for (i = 0; yes[i] != NULL; i++)
        if (strcasecmp(val, yes[i]) == 0)
            return 1;
    for (i = 0; no[i] != NULL; i++)
        if (strcasecmp(val, no[i]) == 0)
            return 0;
    return -1;
}

/* Replaces a string field with a copy of `val` (NULL: unset). */
static int options_store_str(const char **field, const char *val)
{
    char *copy = NULL;

    if (val != NULL && (copy = strdup(val)) == NULL)
        return -1;
    free((char *)*field);
    *field = copy;
    return 0;
}

int options_set(struct config *cfg, const struct options_entry *o,
                const char *val, const char **cause)
{
    unsigned long n;
    int b, i;

    if (val == NULL && o->type != OPTIONS_BOOL && o->type != OPTIONS_COUNT) {
        snprintf(options_why, sizeof options_why, "--%s wants a value (%s)",
                 o->name, o->arg);
        *cause = options_why;
        return -1;
    }
    if (o->set != NULL)
        return o->set(cfg, val, cause);
    switch (o->type) {
    case OPTIONS_BOOL:
        if ((b = val == NULL ? 1 : options_bool(val)) < 0) {
            *cause =
                options_fail(o, val, "is not yes/no/true/false/on/off/1/0");
            return -1;
        }
        *(int *)options_field(cfg, o) = b;
        return 0;
    case OPTIONS_COUNT:
        if (val == NULL) {
            if (*(int *)options_field(cfg, o) < (int)o->max)
                ++*(int *)options_field(cfg, o);
            return 0;
        }
        /* A number sets it. */
        /* fall through */
    case OPTIONS_INT:
    case OPTIONS_SIZE:
    case OPTIONS_DURATION:
        if (options_number(val,
                           o->type == OPTIONS_SIZE       ? options_size_units
                           : o->type == OPTIONS_DURATION ? options_time_units
                                                         : NULL,
                           o->type == OPTIONS_SIZE ? options_size_factors
                                                   : options_time_factors,
                           &n) != 0 ||
            n < o->min || n > o->max) {
            snprintf(options_why, sizeof options_why,
                     "--%s: '%s' is not a %s from %lu to %lu", o->name, val,
                     o->type == OPTIONS_SIZE       ? "size in bytes"
                     : o->type == OPTIONS_DURATION ? "duration in ms"
                                                   : "number",
                     o->min, o->max);
            *cause = options_why;
            return -1;
        }
        if (o->type == OPTIONS_COUNT)
            *(int *)options_field(cfg, o) = (int)n;
        else
            options_store_uint(cfg, o, n);
        return 0;
    case OPTIONS_ENUM:
        for (i = 0; o->choices[i] != NULL; i++)
            if (strcmp(val, o->choices[i]) == 0)
                break;
        if (o->choices[i] == NULL) {
            *cause = options_fail(o, val, "is not one of the choices");
            return -1;
        }
        *(int *)options_field(cfg, o) = i;
        return 0;
    case OPTIONS_ADDRESS: {
        int *cnt = (int *)((char *)cfg + o->count_off);
        const char **slot = (const char **)options_field(cfg, o);
        if (!o->repeat && *val == '\0') /* unset */
            return options_store_str(slot, NULL);
        if (options_address(val, !o->repeat) != 0) {
            *cause = options_fail(o, val,
                                  "is not HOST:PORT, [V6]:PORT (port 0 to "
                                  "65535) or unix:PATH");
            return -1;
        }
        if (!o->repeat) {
            if (options_store_str(slot, val) != 0)
                goto nomem;
            return 0;
        }
        slot += *cnt;
        if (*cnt == CONFIG_MAX_LISTEN) {
            snprintf(options_why, sizeof options_why, "--%s: at most %d",
                     o->name, CONFIG_MAX_LISTEN);
            *cause = options_why;
            return -1;
        }
        *slot = NULL;
        if (options_store_str(slot, val) != 0)
            goto nomem;
        ++*cnt;
        return 0;
    }
    case OPTIONS_PATH:
        if (*val == '\0') {
            *cause = options_fail(o, val, "is not a file name");
            return -1;
        }
        /* fall through */
    case OPTIONS_STRING:
    case OPTIONS_LIST:
        if (options_store_str((const char **)options_field(cfg, o),
                              *val ? val : NULL) != 0)
            goto nomem;
        return 0;
    }
    return -1;
nomem:
    *cause = "out of memory";
    return -1;
}

void options_get(const struct config *cfg, const struct options_entry *o,
                 char *buf, size_t cap)
{
    const char *s;
    size_t len = 0;
    int i, n;

    buf[0] = '\0';
    if (o->get != NULL) {
        o->get(cfg, buf, cap);
        return;
    }
    switch (o->type) {
    case OPTIONS_BOOL:
        snprintf(buf, cap, "%s",
                 *(const int *)((const char *)cfg + o->off) ? "yes" : "no");
        return;
    case OPTIONS_COUNT:
        snprintf(buf, cap, "%d", *(const int *)((const char *)cfg + o->off));
        return;
    case OPTIONS_INT:
    case OPTIONS_SIZE:
    case OPTIONS_DURATION:
        snprintf(buf, cap, "%lu", options_load_uint(cfg, o));
        return;
    case OPTIONS_ENUM:
        snprintf(buf, cap, "%s",
                 o->choices[*(const int *)((const char *)cfg + o->off)]);
        return;
    case OPTIONS_ADDRESS:
        if (!o->repeat) {
            s = *(const char *const *)((const char *)cfg + o->off);
            snprintf(buf, cap, "%s", s ? s : "");
            return;
        }
        n = *(const int *)((const char *)cfg + o->count_off);
        for (i = 0; i < n && len < cap; i++) {
            s = ((const char *const *)((const char *)cfg + o->off))[i];
            len +=
                (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "", s);
        }
        return;
    case OPTIONS_PATH:
    case OPTIONS_STRING:
    case OPTIONS_LIST:
        s = *(const char *const *)((const char *)cfg + o->off);
        snprintf(buf, cap, "%s", s ? s : "");
        return;
    }
}

void options_free(struct config *cfg)
{
    const struct options_entry *o;
    const char **f;
    int i, *cnt;

    for (o = options_table; o->name != NULL; o++) {
        if (o->set != NULL && o->off == 0)
            continue;
        f = (const char **)options_field(cfg, o);
        if (o->type == OPTIONS_ADDRESS && o->repeat) {
            cnt = (int *)((char *)cfg + o->count_off);
            for (i = 0; i < *cnt; i++)
                options_store_str(&f[i], NULL);
            *cnt = 0;
        } else if (o->type == OPTIONS_PATH || o->type == OPTIONS_STRING ||
                   o->type == OPTIONS_LIST || o->type == OPTIONS_ADDRESS) {
            options_store_str(f, NULL);
        }
    }
    options_store_str(&cfg->path, NULL);
}

int options_defaults(struct config *cfg, const char **cause)
{
    const struct options_entry *o;
    const char *v;

    for (o = options_table; o->name != NULL; o++) {
        v = o->env != NULL && getenv(o->env) != NULL ? getenv(o->env) : o->def;
        if (v != NULL && options_set(cfg, o, v, cause) != 0)
            return -1;
    }
    return 0;
}

/* --path: always ends in '/', as the engine compares it as a prefix. */
static int options_set_path(struct config *cfg, const char *val,
                            const char **cause)
{
    size_t len = strlen(val);
    char *p;

    if (len == 0 || val[0] != '/') {
        *cause = "--path must start with '/'";
        return -1;
    }
    if ((p = malloc(len + 2)) == NULL) {
        *cause = "out of memory";
        return -1;
    }
    memcpy(p, val, len + 1);
    if (p[len - 1] != '/')
        strcpy(p + len, "/");
    free((char *)cfg->path);
    cfg->path = p;
    return 0;
}

static void options_get_path(const struct config *cfg, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", cfg->path ? cfg->path : "");
}

static int options_set_mode(struct config *cfg, const char *val,
                            const char **cause)
{
    unsigned long n = 0;
    const char *p;

    for (p = val; *p >= '0' && *p <= '7' && n <= 0777; p++)
        n = n * 8 + (unsigned long)(*p - '0');
    if (*val == '\0' || *p != '\0' || n > 0777) {
        *cause = "--rpc-mode wants an octal mode up to 0777";
        return -1;
    }
    cfg->rpc_mode = (mode_t)n;
    return 0;
}

static void options_get_mode(const struct config *cfg, char *buf, size_t cap)
{
    snprintf(buf, cap, "0%03o", (unsigned)cfg->rpc_mode);
}

static int options_set_transports(struct config *cfg, const char *val,
                                  const char **cause)
{
    const char *p = val, *e;
    int polling = 0, websocket = 0;

    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if (e == p)
            break;
        if (e - p == 7 && strncmp(p, "polling", 7) == 0)
            polling = 1;
        else if (e - p == 9 && strncmp(p, "websocket", 9) == 0)
            websocket = 1;
        else {
            snprintf(options_why, sizeof options_why,
                     "--transports: unknown transport '%.*s'", (int)(e - p), p);
            *cause = options_why;
            return -1;
        }
        p = e;
    }
    if (!polling && !websocket) {
        *cause = "--transports names no transport";
        return -1;
    }
    cfg->allow_polling = polling;
    cfg->allow_websocket = websocket;
    return 0;
}

static void options_get_transports(const struct config *cfg, char *buf,
                                   size_t cap)
{
    snprintf(buf, cap, "%s%s%s", cfg->allow_polling ? "polling" : "",
             cfg->allow_polling && cfg->allow_websocket ? "," : "",
             cfg->allow_websocket ? "websocket" : "");
}

static int options_set_threads(struct config *cfg, const char *val,
                               const char **cause)
{
    unsigned long n;

    if (strcmp(val, "auto") == 0) {
        cfg->send_threads = -1;
        return 0;
    }
    if (options_number(val, NULL, NULL, &n) != 0 ||
        n > CONFIG_MAX_SEND_THREADS) {
        snprintf(options_why, sizeof options_why,
                 "--send-threads: '%s' is not auto or a number from 0 to %d",
                 val, CONFIG_MAX_SEND_THREADS);
        *cause = options_why;
        return -1;
    }
    cfg->send_threads = (int)n;
    return 0;
}

static void options_get_threads(const struct config *cfg, char *buf, size_t cap)
{
    if (cfg->send_threads < 0)
        snprintf(buf, cap, "auto");
    else
        snprintf(buf, cap, "%d", cfg->send_threads);
}

/* The default as the docs show it: the data directory as a name, so the
 * committed docs do not depend on the build's prefix. */
static void options_default_text(const struct options_entry *o, char *buf,
                                 size_t cap)
{
    size_t n = strlen(SIOD_DATADIR);

    if (o->def == NULL)
        snprintf(buf, cap, "%s", "");
    else if (strncmp(o->def, SIOD_DATADIR, n) == 0)
        snprintf(buf, cap, "PKGDATADIR%s", o->def + n);
    else
        snprintf(buf, cap, "%s", o->def);
}

static const char *options_type_name(const struct options_entry *o)
{
    static const char *const names[] = {
        "boolean", "integer", "size", "duration", "address",
        "path",    "string",  "list", "enum",     "count",
    };
    return names[o->type];
}

/* Writes `s` wrapped to `width` columns, every line after the first
 * indented by `indent`; the first starts at column `col`. */
static void options_wrap(FILE *f, const char *s, int col, int indent, int width)
{
    const char *w, *e;

    for (w = s; *w;) {
        while (*w == ' ')
            w++;
        e = w;
        while (*e && *e != ' ')
            e++;
        if (e == w)
            break;
        if (col > indent && col + 1 + (int)(e - w) > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fwrite(w, 1, (size_t)(e - w), f);
        col += (int)(e - w);
        w = e;
    }
    fputc('\n', f);
}

void options_usage(FILE *f)
{
    const struct options_entry *o;
    char head[80], def[256], help[1024];
    int n;

    fputs("usage: socketiod [options]\n", f);
    for (o = options_table; o->name != NULL; o++) {
        if (o->group != NULL)
            fprintf(f, " %s:\n", o->group);
        n = snprintf(
            head, sizeof head, "  %c%c%s--%s%s%s", o->shortname ? '-' : ' ',
            o->shortname ? o->shortname : ' ', o->shortname ? ", " : "  ",
            o->name, o->arg && o->type != OPTIONS_COUNT ? " " : "",
            o->arg && o->type != OPTIONS_COUNT ? o->arg : "");
        snprintf(def, sizeof def, "%s", o->def ? o->def : "");
        snprintf(help, sizeof help, "%s%s%s%s%s", o->help,
                 o->def && o->type != OPTIONS_BOOL ? " (" : "",
                 o->def && o->type != OPTIONS_BOOL ? def : "",
                 o->def && o->type != OPTIONS_BOOL ? ")" : "",
                 o->reload ? " [SIGHUP]" : "");
        fputs(head, f);
        if (n < 30)
            fprintf(f, "%*s", 30 - n, "");
        else
            fprintf(f, "\n%30s", "");
        options_wrap(f, help, 30, 30, 79);
    }
    fputs(" Other:\n"
          "  -c, --config FILE           key = value lines, the long option "
          "names; read\n"
          "                              again on SIGHUP\n"
          "      --print-options FORMAT  print this reference as md, man or "
          "conf\n"
          "  -h, --help, -V, --version\n"
          "booleans: yes/no/true/false/on/off/1/0 (bare: yes); sizes take "
          "k/M/G,\n"
          "durations ms/s/m/h; [SIGHUP]: a change applies on SIGHUP, others "
          "need a restart\n",
          f);
}

/* roff: a leading '.' or '\'' would be a request; '-' is a hyphen. */
static void options_roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

/* Markdown table cells: '|' would end the cell. */
static void options_md(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s, f);
    }
}

static void options_print_md(FILE *f)
{
    const struct options_entry *o;
    char def[256];

    for (o = options_table; o->name != NULL; o++) {
        if (o->group != NULL)
            fprintf(f,
                    "%s### %s\n\n| option | type | default | SIGHUP | "
                    "what |\n|---|---|---|---|---|\n",
                    o == options_table ? "" : "\n", o->group);
        options_default_text(o, def, sizeof def);
        fprintf(f, "| `%s`", o->name);
        if (o->shortname)
            fprintf(f, " (`-%c`)", o->shortname);
        fprintf(f, " | %s", options_type_name(o));
        if (o->type == OPTIONS_ENUM) {
            int i;
            for (i = 0; o->choices[i] != NULL; i++)
                fprintf(f, "%s%s", i ? "/" : ": ", o->choices[i]);
        } else if ((o->type == OPTIONS_INT || o->type == OPTIONS_SIZE ||
                    o->type == OPTIONS_DURATION) &&
                   o->set == NULL) {
            fprintf(f, " %lu-%lu", o->min, o->max);
        }
        if (o->repeat)
            fputs(", repeatable", f);
        fprintf(f, " | %s%s%s", *def ? "`" : "", *def ? def : "",
                *def ? "`" : "");
        if (o->env)
            fprintf(f, "%s`$%s`", *def ? ", or " : "", o->env);
        fprintf(f, " | %s | ", o->reload ? "yes" : "restart");
        options_md(f, o->help);
        fputs(" |\n", f);
    }
}

static void options_print_roff(FILE *f, int conf)
{
    const struct options_entry *o;
    char def[256];

    for (o = options_table; o->name != NULL; o++) {
        if (o->group != NULL) {
            fputs(".SS ", f);
            options_roff(f, o->group);
            fputc('\n', f);
        }
        fputs(".TP\n", f);
        if (conf) {
            fputs("\\fB", f);
            options_roff(f, o->name);
            fprintf(f, "\\fR = \\fI%s\\fR\n",
                    o->type == OPTIONS_BOOL ? "BOOL" : o->arg);
        } else {
            if (o->shortname)
                fprintf(f, "\\fB\\-%c\\fR, ", o->shortname);
            fputs("\\fB\\-\\-", f);
            options_roff(f, o->name);
            fputs("\\fR", f);
            if (o->type == OPTIONS_BOOL)
                fputs("[\\fB=\\fIBOOL\\fR]", f);
            else if (o->type != OPTIONS_COUNT)
                fprintf(f, " \\fI%s\\fR", o->arg);
            fputc('\n', f);
        }
        options_roff(f, o->help);
        fputs(".\n", f);
        options_default_text(o, def, sizeof def);
        if (*def) {
            fputs("Default: ", f);
            options_roff(f, def);
            fputs(".\n", f);
        }
        if (o->env)
            fprintf(f, "Default from the environment variable \\fB%s\\fR.\n",
                    o->env);
        fputs(o->reload ? "SIGHUP applies a change.\n"
                        : "A change needs a restart.\n",
              f);
    }
}

int options_print(FILE *f, const char *format)
{
    if (strcmp(format, "md") == 0)
        options_print_md(f);
    else if (strcmp(format, "man") == 0)
        options_print_roff(f, 0);
    else if (strcmp(format, "conf") == 0)
        options_print_roff(f, 1);
    else
        return -1;
    return 0;
}
