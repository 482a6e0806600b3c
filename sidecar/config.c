/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* config: the daemon's settings, from the command line and a config file. */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef SIOD_DATADIR
#define SIOD_DATADIR "/usr/local/share/socketiod"
#endif

enum {
    OPT_RPC_MODE = 256,
    OPT_PATH,
    OPT_PING_INTERVAL,
    OPT_PING_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
    OPT_MAX_BUFFER,
    OPT_TRANSPORTS,
    OPT_ORIGINS,
    OPT_CLIENT_JS,
    OPT_STATIC,
    OPT_RELAY,
    OPT_MAX_OUTPUT,
    OPT_MAX_RPC_LINE,
    OPT_MSGLOG_FORMAT, /* the --message-log-* options: msglog.h */
    OPT_MSGLOG,
    OPT_MSGLOG_QUEUE,
    OPT_MSGLOG_MAX_AGE,
    OPT_MSGLOG_MAX_ROWS,
    OPT_MSGLOG_MAX_PAYLOAD,
    OPT_MSGLOG_PER_RECEIVER,
    OPT_MSGLOG_COOKIES,
    OPT_UPSTREAM,
    OPT_UPSTREAM_SECRET,
    OPT_UPSTREAM_CONCURRENCY,
    OPT_UPSTREAM_QUEUE,
    OPT_UPSTREAM_TIMEOUT,
    OPT_UPSTREAM_DRAIN,
    OPT_UPSTREAM_RETRIES,
    OPT_SEND_THREADS,
    OPT_SEND_THREADS_MIN,
    OPT_UPSTREAM_MAX_CONTEXT,
    OPT_PRIVATE_CHANNELS,
    OPT_FCGI,
    OPT_SCGI,
    OPT_TRUSTED_PROXIES,
    OPT_POLL_HOLD,
    OPT_POLL_MAX_PACKETS,
    OPT_MAX_CONNECTIONS,
    OPT_MAX_CONNECTIONS_PER_IP,
    OPT_HANDSHAKE_TIMEOUT,
    OPT_MAX_HEADER_SIZE,
    OPT_MAX_EVENT_RATE,
    OPT_EVENT_BURST,
    OPT_EVENT_RATE_ACTION,
    OPT_MAX_CHANNELS,
    OPT_MAX_NAMESPACES,
    OPT_MAX_ATTACHMENT_BYTES,
    OPT_ATTACHMENT_TIMEOUT,
    OPT_UPSTREAM_QUEUE_BYTES,
    OPT_DRAIN_TIMEOUT,
    OPT_MAX_FRONT_BUFFER,
    OPT_FRONT_IDLE_TIMEOUT,
    OPT_MAX_RPC_UNREAD,
    OPT_MAX_SESSIONS,
    OPT_MAX_SESSIONS_PER_IP,
    OPT_FIRST_POLL_TIMEOUT,
    OPT_MAX_HANDSHAKE_META,
    OPT_RPC_GROUP,
    OPT_RPC_ALLOW_UID,
    OPT_RPC_ALLOW_GID,
    OPT_ADMIN,
    OPT_LOG_FORMAT,
};

static const struct option config_options[] = {
    {"listen", required_argument, NULL, 'l'},
    {"rpc", required_argument, NULL, 'r'},
    {"rpc-mode", required_argument, NULL, OPT_RPC_MODE},
    {"rpc-group", required_argument, NULL, OPT_RPC_GROUP},
    {"rpc-allow-uid", required_argument, NULL, OPT_RPC_ALLOW_UID},
    {"rpc-allow-gid", required_argument, NULL, OPT_RPC_ALLOW_GID},
    {"path", required_argument, NULL, OPT_PATH},
    {"ping-interval", required_argument, NULL, OPT_PING_INTERVAL},
    {"ping-timeout", required_argument, NULL, OPT_PING_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"max-http-buffer-size", required_argument, NULL, OPT_MAX_BUFFER},
    {"transports", required_argument, NULL, OPT_TRANSPORTS},
    {"origins", required_argument, NULL, OPT_ORIGINS},
    {"client-js", required_argument, NULL, OPT_CLIENT_JS},
    {"static", required_argument, NULL, OPT_STATIC},
    {"relay", no_argument, NULL, OPT_RELAY},
    {"max-output", required_argument, NULL, OPT_MAX_OUTPUT},
    {"max-rpc-line", required_argument, NULL, OPT_MAX_RPC_LINE},
    {"message-log-format", required_argument, NULL, OPT_MSGLOG_FORMAT},
    {"message-log", required_argument, NULL, OPT_MSGLOG},
    {"message-log-queue", required_argument, NULL, OPT_MSGLOG_QUEUE},
    {"message-log-max-age", required_argument, NULL, OPT_MSGLOG_MAX_AGE},
    {"message-log-max-rows", required_argument, NULL, OPT_MSGLOG_MAX_ROWS},
    {"message-log-max-payload", required_argument, NULL,
     OPT_MSGLOG_MAX_PAYLOAD},
    {"message-log-per-receiver", no_argument, NULL, OPT_MSGLOG_PER_RECEIVER},
    {"message-log-cookies", no_argument, NULL, OPT_MSGLOG_COOKIES},
    {"upstream", required_argument, NULL, OPT_UPSTREAM},
    {"upstream-secret", required_argument, NULL, OPT_UPSTREAM_SECRET},
    {"upstream-concurrency", required_argument, NULL, OPT_UPSTREAM_CONCURRENCY},
    {"upstream-queue", required_argument, NULL, OPT_UPSTREAM_QUEUE},
    {"upstream-timeout", required_argument, NULL, OPT_UPSTREAM_TIMEOUT},
    {"upstream-drain", required_argument, NULL, OPT_UPSTREAM_DRAIN},
    {"upstream-retries", required_argument, NULL, OPT_UPSTREAM_RETRIES},
    {"send-threads", required_argument, NULL, OPT_SEND_THREADS},
    {"send-threads-min", required_argument, NULL, OPT_SEND_THREADS_MIN},
    {"upstream-max-context", required_argument, NULL, OPT_UPSTREAM_MAX_CONTEXT},
    {"private-channels", no_argument, NULL, OPT_PRIVATE_CHANNELS},
    {"fcgi", required_argument, NULL, OPT_FCGI},
    {"scgi", required_argument, NULL, OPT_SCGI},
    {"trusted-proxies", required_argument, NULL, OPT_TRUSTED_PROXIES},
    {"poll-hold", required_argument, NULL, OPT_POLL_HOLD},
    {"poll-max-packets", required_argument, NULL, OPT_POLL_MAX_PACKETS},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"max-connections-per-ip", required_argument, NULL,
     OPT_MAX_CONNECTIONS_PER_IP},
    {"handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT},
    {"max-header-size", required_argument, NULL, OPT_MAX_HEADER_SIZE},
    {"max-event-rate", required_argument, NULL, OPT_MAX_EVENT_RATE},
    {"event-burst", required_argument, NULL, OPT_EVENT_BURST},
    {"event-rate-action", required_argument, NULL, OPT_EVENT_RATE_ACTION},
    {"max-channels", required_argument, NULL, OPT_MAX_CHANNELS},
    {"max-namespaces", required_argument, NULL, OPT_MAX_NAMESPACES},
    {"max-attachment-bytes", required_argument, NULL, OPT_MAX_ATTACHMENT_BYTES},
    {"attachment-timeout", required_argument, NULL, OPT_ATTACHMENT_TIMEOUT},
    {"upstream-queue-bytes", required_argument, NULL, OPT_UPSTREAM_QUEUE_BYTES},
    {"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
    {"max-front-buffer", required_argument, NULL, OPT_MAX_FRONT_BUFFER},
    {"front-idle-timeout", required_argument, NULL, OPT_FRONT_IDLE_TIMEOUT},
    {"max-rpc-unread", required_argument, NULL, OPT_MAX_RPC_UNREAD},
    {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
    {"max-sessions-per-ip", required_argument, NULL, OPT_MAX_SESSIONS_PER_IP},
    {"first-poll-timeout", required_argument, NULL, OPT_FIRST_POLL_TIMEOUT},
    {"max-handshake-meta", required_argument, NULL, OPT_MAX_HANDSHAKE_META},
    {"admin", required_argument, NULL, OPT_ADMIN},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"config", required_argument, NULL, 'c'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void config_usage(FILE *f)
{
    fputs(
        "usage: socketiod [options]\n"
        "  -l, --listen ADDR           HOST:PORT, [V6]:PORT or unix:PATH "
        "(repeatable;\n"
        "                              default 127.0.0.1:9000)\n"
        "  -r, --rpc PATH              control socket (as root\n"
        "                              /run/socketiod/socketiod.sock, else\n"
        "                              "
        "$XDG_RUNTIME_DIR/socketiod/socketiod.sock)\n"
        "      --rpc-mode MODE         its octal mode (0660)\n"
        "      --rpc-group GROUP       its group (default: the daemon's)\n"
        "      --rpc-allow-uid LIST    users (names or uids) allowed besides "
        "root and\n"
        "                              the daemon's own user (checked with "
        "SO_PEERCRED)\n"
        "      --rpc-allow-gid LIST    groups (names or gids) allowed\n"
        "      --path PATH             Engine.IO path (/socket.io/)\n"
        "      --ping-interval MS      (25000)\n"
        "      --ping-timeout MS       (20000)\n"
        "      --connect-timeout MS    (45000)\n"
        "      --max-http-buffer-size BYTES (1000000)\n"
        "      --transports LIST       polling,websocket\n"
        "      --origins LIST          Origins allowed besides the daemon's "
        "own host,\n"
        "                              comma-separated; * for any (default: "
        "same-origin)\n"
        "      --client-js FILE        served at PATH/socket.io.js\n"
        "      --static DIR            serve DIR at / (demo pages)\n"
        "      --relay                 re-emit client events to the sender's "
        "channels\n"
        "      --max-output BYTES      per-connection queued output cap "
        "(4194304)\n"
        "      --max-rpc-line BYTES    longest control request (1048576)\n"
        "      --send-threads N        threads besides the loop that write "
        "a large\n"
        "                              fan-out (default: CPUs - 1, at most "
        "3; 0: none)\n"
        "      --send-threads-min N    connections a broadcast writes from "
        "the loop\n"
        "                              before the rest goes to them (2048)\n"
        "      --message-log-format FMT  log every message to SQLite, "
        "rendering\n"
        "                              %(KEY)s lines (default "
        "$SOCKETIO_MESSAGE_LOG_FORMAT;\n"
        "                              unset or None: no log)\n"
        "      --message-log FILE      the database "
        "(" MSGLOG_DEFAULT_PATH ")\n"
        "      --message-log-queue N   rows queued before dropping (65536)\n"
        "      --message-log-max-age SECONDS  delete older rows (0: keep)\n"
        "      --message-log-max-rows N       keep the newest N rows (0: all)\n"
        "                              (default 1000000)\n"
        "      --message-log-max-payload BYTES  JSON kept per row (4096; 0: "
        "all)\n"
        "      --message-log-per-receiver     a row per receiver of a "
        "broadcast\n"
        "      --message-log-cookies   let %(HTTP_COOKIE)s and "
        "%(HTTP_AUTHORIZATION)s\n"
        "                              render the credentials\n"
        "      --upstream URL          forward client events to the app: "
        "http://HOST:PORT/PATH,\n"
        "                              fcgi://..., scgi://..., or "
        "http+unix:/SOCK:/PATH, ...\n"
        "      --upstream-secret FILE  HMAC key for signing them (or env\n"
        "                              SOCKETIOD_UPSTREAM_SECRET)\n"
        "      --upstream-concurrency N  requests in flight at once (16)\n"
        "      --upstream-queue N      events waiting per socket (64)\n"
        "      --upstream-queue-bytes BYTES  their bytes (4194304; one "
        "event always\n"
        "                              goes when none waits)\n"
        "      --upstream-timeout MS   connect/send and response, each "
        "(10000)\n"
        "      --upstream-drain MS     on SIGTERM, the longest wait for "
        "events\n"
        "                              still going to the app (5000)\n"
        "      --upstream-retries N    times an event answered 503 goes "
        "again, after\n"
        "                              100, 200, 400... ms (4)\n"
        "      --upstream-max-context BYTES  per-socket context (65536)\n"
        "      --private-channels      a subscribe waits for the app's "
        "allow\n"
        "      --fcgi ADDR             FastCGI responder on HOST:PORT or "
        "unix:PATH\n"
        "                              (repeatable; a listening socket on "
        "fd 0, as\n"
        "                              mod_fcgid and spawn-fcgi pass it, is "
        "used too)\n"
        "      --scgi ADDR             SCGI responder on HOST:PORT or "
        "unix:PATH\n"
        "      --trusted-proxies LIST  addresses or ADDR/BITS whose "
        "X-Forwarded-For\n"
        "                              is believed (\"unix\": Unix "
        "sockets; default none)\n"
        "      --poll-hold MS          answer a held long-poll with a NOOP "
        "after MS\n"
        "                              (0: hold until there is data; for "
        "mod_fcgid)\n"
        "      --poll-max-packets N    packets per long-poll answer (16, "
        "what the\n"
        "                              python-engineio client takes; 0: "
        "all)\n"
        "  limits (docs/limits.md):\n"
        "      --max-connections N     open connections in all (0: the fd "
        "limit less 64)\n"
        "      --max-connections-per-ip N  per peer address (0: no limit)\n"
        "      --handshake-timeout MS  a whole request must arrive within "
        "(10000)\n"
        "      --max-header-size BYTES request line and headers (16384)\n"
        "      --max-event-rate N      client events per second per socket "
        "(1000)\n"
        "      --event-burst N         events at once above the rate (0: "
        "= rate)\n"
        "      --event-rate-action A   drop or disconnect (drop)\n"
        "      --max-channels N        channels per socket (1000)\n"
        "      --max-namespaces N      namespaces per connection (100)\n"
        "      --max-attachment-bytes BYTES  binary attachments of one "
        "packet\n"
        "                              (0: --max-http-buffer-size, the "
        "default)\n"
        "      --attachment-timeout MS for all attachments of a packet "
        "(60000; 0: none)\n"
        "      --drain-timeout MS      a closing connection's unread "
        "output is\n"
        "                              dropped after (30000; 0: never)\n"
        "      --max-front-buffer BYTES  bytes of FastCGI requests being "
        "sent,\n"
        "                              per connection (8388608)\n"
        "      --front-idle-timeout MS a FastCGI connection without a "
        "request is\n"
        "                              closed after (600000; 0: never)\n"
        "      --max-rpc-unread BYTES  a control client's unread answers "
        "before\n"
        "                              its requests wait (1048576)\n"
        "      --max-sessions N        Engine.IO sessions in all (0: twice "
        "the\n"
        "                              connection limit)\n"
        "      --max-sessions-per-ip N per client address, after "
        "--trusted-proxies\n"
        "                              (0: no limit)\n"
        "      --first-poll-timeout MS a polling session must send its "
        "first\n"
        "                              request within (10000)\n"
        "      --max-handshake-meta BYTES  handshake values kept per "
        "session (8192)\n"
        "      --admin ADDR            /metrics, /healthz, /readyz over HTTP "
        "on\n                              127.0.0.1:PORT or unix:PATH (off)\n"
        "      --log-format FMT        text or json (text)\n"
        "  -c, --config FILE           key = value lines (long option "
        "names)\n"
        "  -v                          more log output (repeatable)\n"
        "  -h, --help, -V, --version\n",
        f);
}

static int config_number(const char *name, const char *s, unsigned long max,
                         unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end != '\0' || v > max || s[0] == '-') {
        fprintf(stderr, "socketiod: --%s: '%s' is not a number up to %lu\n",
                name, s, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int config_transports(struct config *cfg, const char *list)
{
    char *copy = strdup(list), *tok, *save = NULL;
    int ok = copy != NULL;

    cfg->allow_polling = cfg->allow_websocket = 0;
    for (tok = copy ? strtok_r(copy, ", ", &save) : NULL; tok != NULL;
         tok = strtok_r(NULL, ", ", &save)) {
        if (strcmp(tok, "polling") == 0)
            cfg->allow_polling = 1;
        else if (strcmp(tok, "websocket") == 0)
            cfg->allow_websocket = 1;
        else {
            fprintf(stderr, "socketiod: unknown transport '%s'\n", tok);
            ok = 0;
        }
    }
    free(copy);
    if (ok && !cfg->allow_polling && !cfg->allow_websocket) {
        fprintf(stderr, "socketiod: --transports names no transport\n");
        ok = 0;
    }
    return ok ? 0 : -1;
}

static int config_file(struct config *cfg, const char *path);

/* Values read from a config file outlive it; they are kept here so that
 * config_free() can release them. */
struct config_str {
    struct config_str *next;
    char s[];
};
static struct config_str *config_strs;

static char *config_keep(const char *s)
{
    size_t n = strlen(s) + 1;
    struct config_str *c = malloc(sizeof *c + n);

    if (c == NULL)
        return NULL;
    memcpy(c->s, s, n);
    c->next = config_strs;
    config_strs = c;
    return c->s;
}

void config_free(struct config *cfg)
{
    struct config_str *c;

    while ((c = config_strs) != NULL) {
        config_strs = c->next;
        free(c);
    }
    if (cfg->path_owned)
        free((char *)cfg->path);
    cfg->path_owned = 0;
}

/* Applies one option; `val` must outlive the config (argv or strdup'd). */
static int config_apply(struct config *cfg, int opt, const char *name,
                        const char *val)
{
    unsigned long n;

    switch (opt) {
    case 'l':
        if (cfg->nlisten == CONFIG_MAX_LISTEN) {
            fprintf(stderr, "socketiod: at most %d --listen\n",
                    CONFIG_MAX_LISTEN);
            return -1;
        }
        cfg->listen[cfg->nlisten++] = val;
        return 0;
    case 'r':
        cfg->rpc_path = val;
        return 0;
    case OPT_FCGI:
    case OPT_SCGI: {
        int *cnt = opt == OPT_FCGI ? &cfg->nfcgi : &cfg->nscgi;
        if (*cnt == CONFIG_MAX_LISTEN) {
            fprintf(stderr, "socketiod: at most %d --%s\n", CONFIG_MAX_LISTEN,
                    name);
            return -1;
        }
        (opt == OPT_FCGI ? cfg->fcgi : cfg->scgi)[(*cnt)++] = val;
        return 0;
    }
    case OPT_POLL_HOLD:
        if (config_number(name, val, 3600000UL, &n) != 0)
            return -1;
        cfg->poll_hold_ms = (unsigned)n;
        return 0;
    case OPT_POLL_MAX_PACKETS:
        if (config_number(name, val, 1000000UL, &n) != 0)
            return -1;
        cfg->poll_max_packets = (unsigned)n;
        return 0;
    case OPT_TRUSTED_PROXIES:
        cfg->trusted_proxies = *val ? val : NULL;
        return 0;
    case OPT_RPC_GROUP:
        cfg->rpc_group = val;
        return 0;
    case OPT_RPC_ALLOW_UID:
        cfg->rpc_allow_uid = val;
        return 0;
    case OPT_RPC_ALLOW_GID:
        cfg->rpc_allow_gid = val;
        return 0;
    case OPT_RPC_MODE: {
        char *end;
        n = strtoul(val, &end, 8);
        if (*val == '\0' || *end != '\0' || n > 0777) {
            fprintf(stderr, "socketiod: --rpc-mode wants an octal mode\n");
            return -1;
        }
        cfg->rpc_mode = (mode_t)n;
        return 0;
    }
    case OPT_PATH: {
        size_t len = strlen(val);
        char *p;
        if (len == 0 || val[0] != '/') {
            fprintf(stderr, "socketiod: --path must start with '/'\n");
            return -1;
        }
        p = malloc(len + 2);
        if (p == NULL)
            return -1;
        memcpy(p, val, len + 1);
        if (p[len - 1] != '/')
            strcpy(p + len, "/");
        if (cfg->path_owned)
            free((char *)cfg->path);
        cfg->path = p;
        cfg->path_owned = 1;
        return 0;
    }
    case OPT_PING_INTERVAL:
    case OPT_PING_TIMEOUT:
    case OPT_CONNECT_TIMEOUT:
        if (config_number(name, val, 86400000, &n) != 0 || n == 0)
            return -1;
        if (opt == OPT_PING_INTERVAL)
            cfg->ping_interval_ms = (unsigned)n;
        else if (opt == OPT_PING_TIMEOUT)
            cfg->ping_timeout_ms = (unsigned)n;
        else
            cfg->connect_timeout_ms = (unsigned)n;
        return 0;
    case OPT_MAX_BUFFER:
    case OPT_MAX_OUTPUT:
    case OPT_MAX_RPC_LINE:
    case OPT_MAX_FRONT_BUFFER:
    case OPT_MAX_RPC_UNREAD:
        if (config_number(name, val, 1UL << 30, &n) != 0 || n < 64)
            return -1;
        if (opt == OPT_MAX_BUFFER)
            cfg->max_http_buffer_size = n;
        else if (opt == OPT_MAX_OUTPUT)
            cfg->max_output = n;
        else if (opt == OPT_MAX_FRONT_BUFFER)
            cfg->max_front_buffer = n;
        else if (opt == OPT_MAX_RPC_UNREAD)
            cfg->max_rpc_unread = n;
        else
            cfg->max_rpc_line = n;
        return 0;
    case OPT_DRAIN_TIMEOUT:
    case OPT_FRONT_IDLE_TIMEOUT:
        if (config_number(name, val, 86400000, &n) != 0)
            return -1;
        if (opt == OPT_DRAIN_TIMEOUT)
            cfg->drain_timeout_ms = (unsigned)n;
        else
            cfg->front_idle_timeout_ms = (unsigned)n;
        return 0;
    case OPT_MAX_SESSIONS:
    case OPT_MAX_SESSIONS_PER_IP:
    case OPT_FIRST_POLL_TIMEOUT:
        if (config_number(name, val, 86400000, &n) != 0)
            return -1;
        if (opt == OPT_MAX_SESSIONS)
            cfg->max_sessions = (unsigned)n;
        else if (opt == OPT_MAX_SESSIONS_PER_IP)
            cfg->max_sessions_per_ip = (unsigned)n;
        else
            cfg->first_poll_timeout_ms = (unsigned)n;
        return 0;
    case OPT_MAX_HANDSHAKE_META:
        if (config_number(name, val, 1UL << 20, &n) != 0 || n < 256)
            return -1;
        cfg->max_handshake_meta = n;
        return 0;
    case OPT_MAX_CONNECTIONS:
    case OPT_MAX_CONNECTIONS_PER_IP:
    case OPT_HANDSHAKE_TIMEOUT:
    case OPT_MAX_EVENT_RATE:
    case OPT_EVENT_BURST:
        if (config_number(name, val, 86400000, &n) != 0)
            return -1;
        if (opt == OPT_MAX_CONNECTIONS)
            cfg->max_connections = (unsigned)n;
        else if (opt == OPT_MAX_CONNECTIONS_PER_IP)
            cfg->max_connections_per_ip = (unsigned)n;
        else if (opt == OPT_HANDSHAKE_TIMEOUT)
            cfg->handshake_timeout_ms = (unsigned)n;
        else if (opt == OPT_MAX_EVENT_RATE)
            cfg->max_event_rate = (unsigned)n;
        else
            cfg->event_burst = (unsigned)n;
        return 0;
    case OPT_MAX_HEADER_SIZE:
        if (config_number(name, val, 1UL << 20, &n) != 0 || n < 256)
            return -1;
        cfg->max_header_size = n;
        return 0;
    case OPT_MAX_CHANNELS:
    case OPT_MAX_NAMESPACES:
        if (config_number(name, val, 1000000, &n) != 0 || n == 0)
            return -1;
        if (opt == OPT_MAX_CHANNELS)
            cfg->max_channels = (unsigned)n;
        else
            cfg->max_namespaces = (unsigned)n;
        return 0;
    case OPT_MAX_ATTACHMENT_BYTES:
    case OPT_UPSTREAM_QUEUE_BYTES:
        if (config_number(name, val, 1UL << 30, &n) != 0)
            return -1;
        if (opt == OPT_MAX_ATTACHMENT_BYTES)
            cfg->max_attachment_bytes = n;
        else if (n < 1024)
            return -1;
        else
            cfg->upstream_queue_bytes = n;
        return 0;
    case OPT_ATTACHMENT_TIMEOUT:
        if (config_number(name, val, 86400000, &n) != 0)
            return -1;
        cfg->attachment_timeout_ms = (unsigned)n;
        return 0;
    case OPT_EVENT_RATE_ACTION:
        if (strcmp(val, "drop") == 0)
            cfg->flood_disconnect = 0;
        else if (strcmp(val, "disconnect") == 0)
            cfg->flood_disconnect = 1;
        else {
            fprintf(stderr, "socketiod: --event-rate-action is drop or "
                            "disconnect\n");
            return -1;
        }
        return 0;
    case OPT_TRANSPORTS:
        return config_transports(cfg, val);
    case OPT_ORIGINS:
        cfg->origins_any = strcmp(val, "*") == 0;
        cfg->origins = (*val && !cfg->origins_any) ? val : NULL;
        return 0;
    case OPT_CLIENT_JS:
        cfg->client_js = val;
        return 0;
    case OPT_STATIC:
        cfg->static_dir = val;
        return 0;
    case OPT_RELAY:
        cfg->relay = val == NULL || strcasecmp(val, "no") != 0;
        return 0;
    case OPT_MSGLOG_FORMAT:
        cfg->message_log.format = val;
        return 0;
    case OPT_MSGLOG:
        cfg->message_log.path = val;
        return 0;
    case OPT_MSGLOG_QUEUE:
    case OPT_MSGLOG_MAX_AGE:
    case OPT_MSGLOG_MAX_ROWS:
    case OPT_MSGLOG_MAX_PAYLOAD:
        if (config_number(name, val,
                          opt == OPT_MSGLOG_QUEUE ? 1UL << 24 : 1UL << 40,
                          &n) != 0 ||
            (opt == OPT_MSGLOG_QUEUE && n == 0))
            return -1;
        if (opt == OPT_MSGLOG_QUEUE)
            cfg->message_log.queue = n;
        else if (opt == OPT_MSGLOG_MAX_AGE)
            cfg->message_log.max_age = n;
        else if (opt == OPT_MSGLOG_MAX_PAYLOAD)
            cfg->message_log.max_payload = n;
        else
            cfg->message_log.max_rows = n;
        return 0;
    case OPT_MSGLOG_PER_RECEIVER:
        cfg->message_log.per_receiver =
            val == NULL || strcasecmp(val, "no") != 0;
        return 0;
    case OPT_MSGLOG_COOKIES:
        cfg->message_log.cookies = val == NULL || strcasecmp(val, "no") != 0;
        return 0;
    case OPT_UPSTREAM:
        cfg->upstream = *val ? val : NULL;
        return 0;
    case OPT_UPSTREAM_SECRET:
        cfg->upstream_secret = val;
        return 0;
    case OPT_UPSTREAM_CONCURRENCY:
    case OPT_UPSTREAM_QUEUE:
        if (config_number(name, val, 100000, &n) != 0 || n == 0)
            return -1;
        if (opt == OPT_UPSTREAM_CONCURRENCY)
            cfg->upstream_concurrency = (unsigned)n;
        else
            cfg->upstream_queue = (unsigned)n;
        return 0;
    case OPT_UPSTREAM_TIMEOUT:
        if (config_number(name, val, 86400000, &n) != 0 || n == 0)
            return -1;
        cfg->upstream_timeout_ms = (unsigned)n;
        return 0;
    case OPT_UPSTREAM_DRAIN:
        if (config_number(name, val, 86400000, &n) != 0)
            return -1;
        cfg->upstream_drain_ms = (unsigned)n;
        return 0;
    case OPT_UPSTREAM_RETRIES:
        if (config_number(name, val, 10, &n) != 0)
            return -1;
        cfg->upstream_retries = (unsigned)n;
        return 0;
    case OPT_SEND_THREADS:
        if (config_number(name, val, CONFIG_MAX_SEND_THREADS, &n) != 0)
            return -1;
        cfg->send_threads = (int)n;
        return 0;
    case OPT_SEND_THREADS_MIN:
        if (config_number(name, val, UINT32_MAX, &n) != 0)
            return -1;
        cfg->send_threads_min = (unsigned)n;
        return 0;
    case OPT_UPSTREAM_MAX_CONTEXT:
        if (config_number(name, val, 1UL << 26, &n) != 0)
            return -1;
        cfg->upstream_max_context = n;
        return 0;
    case OPT_PRIVATE_CHANNELS:
        cfg->private_channels = val == NULL || strcasecmp(val, "no") != 0;
        return 0;
    case OPT_ADMIN:
        cfg->admin = *val ? val : NULL;
        return 0;
    case OPT_LOG_FORMAT: /* lands in log.c at once, as it is read */
        if (log_set_format(val) == 0)
            return 0;
        fprintf(stderr, "socketiod: --log-format is text or json\n");
        return -1;
    case 'c':
        return config_file(cfg, val);
    case 'v':
        cfg->verbose++;
        return 0;
    }
    return -1;
}

static char *config_trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s &&
           (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int config_file(struct config *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096], *key, *val, *eq;
    const struct option *o;
    int lineno = 0, rc = 0;

    if (f == NULL) {
        fprintf(stderr, "socketiod: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        key = config_trim(line);
        if (*key == '\0' || *key == '#')
            continue;
        eq = strchr(key, '=');
        val = eq ? config_trim(eq + 1) : NULL;
        if (eq)
            *eq = '\0';
        key = config_trim(key);
        for (o = config_options; o->name != NULL; o++)
            if (strcmp(o->name, key) == 0)
                break;
        if (o->name == NULL || strcmp(key, "config") == 0 ||
            (o->has_arg == required_argument && val == NULL)) {
            fprintf(stderr, "socketiod: %s:%d: bad setting '%s'\n", path,
                    lineno, key);
            rc = -1;
            break;
        }
        if (val != NULL && (val = config_keep(val)) == NULL)
            rc = -1;
        else
            rc = config_apply(cfg, o->val, o->name, val);
    }
    fclose(f);
    return rc;
}

int config_load(struct config *cfg, int argc, char **argv)
{
    int opt, idx;

    memset(cfg, 0, sizeof *cfg);
    cfg->rpc_mode = 0660;
    cfg->path = "/socket.io/";
    cfg->ping_interval_ms = 25000;
    cfg->ping_timeout_ms = 20000;
    cfg->connect_timeout_ms = 45000;
    cfg->max_http_buffer_size = 1000000;
    cfg->max_output = 4 << 20;
    cfg->max_rpc_line = 1 << 20;
    cfg->handshake_timeout_ms = 10000;
    cfg->max_header_size = 16384;
    cfg->max_event_rate = 1000;
    cfg->max_channels = 1000;
    cfg->max_namespaces = 100;
    cfg->attachment_timeout_ms = 60000;
    cfg->upstream_queue_bytes = 4 << 20;
    cfg->drain_timeout_ms = 30000;
    cfg->max_front_buffer = 8 << 20;
    cfg->front_idle_timeout_ms = 600000;
    cfg->max_rpc_unread = 1 << 20;
    cfg->first_poll_timeout_ms = 10000;
    cfg->max_handshake_meta = 8192;
    cfg->allow_polling = cfg->allow_websocket = 1;
    cfg->client_js = SIOD_DATADIR "/socket.io.js";
    cfg->message_log.format = getenv("SOCKETIO_MESSAGE_LOG_FORMAT");
    cfg->message_log.path = MSGLOG_DEFAULT_PATH;
    cfg->message_log.queue = MSGLOG_DEFAULT_QUEUE;
    cfg->message_log.max_rows = MSGLOG_DEFAULT_MAX_ROWS;
    cfg->message_log.max_payload = MSGLOG_DEFAULT_MAX_PAYLOAD;
    cfg->upstream_concurrency = 16;
    cfg->upstream_queue = 64;
    cfg->upstream_timeout_ms = 10000;
    cfg->upstream_drain_ms = 5000;
    cfg->upstream_retries = 4;
    cfg->send_threads = -1;
    cfg->send_threads_min = 2048;
    cfg->poll_max_packets = 16;
    cfg->upstream_max_context = 65536;

    while ((opt = getopt_long(argc, argv, "l:r:c:vhV", config_options, &idx)) !=
           -1) {
        const char *name = "";
        const struct option *o;

        if (opt == 'h') {
            config_usage(stdout);
            return 1;
        }
        if (opt == 'V') {
            puts("socketiod " PACKAGE_VERSION);
            return 1;
        }
        if (opt == '?') {
            config_usage(stderr);
            return -1;
        }
        for (o = config_options; o->name != NULL; o++)
            if (o->val == opt)
                name = o->name;
        if (config_apply(cfg, opt, name, optarg) != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "socketiod: unexpected argument '%s'\n", argv[optind]);
        config_usage(stderr);
        return -1;
    }
    if (cfg->nlisten == 0 && cfg->nfcgi == 0 && cfg->nscgi == 0) {
        cfg->listen[cfg->nlisten++] = "127.0.0.1:9000";
        cfg->listen_default = 1;
    }
    return 0;
}

int config_origin_allowed(const struct config *cfg, const char *origin,
                          size_t len)
{
    const char *p = cfg->origins, *e;

    if (cfg->origins_any)
        return 1;
    if (p == NULL)
        return 0;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if ((size_t)(e - p) == len && strncasecmp(p, origin, len) == 0)
            return 1;
        p = e;
    }
    return 0;
}
