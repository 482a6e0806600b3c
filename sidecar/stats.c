/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* stats: the one table of the daemon's counters and gauges, read by the
 * stats RPC and rendered for Prometheus at /metrics. */
#include "stats.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
/* Sanitizers replace malloc, and their mallinfo2() says 0. */
#if defined(HAVE_MALLINFO2) && !defined(__SANITIZE_ADDRESS__)
#define STATS_HEAP 1
#include <malloc.h>
#endif

#include "adminui.h"
#include "answer.h"
#include "bus.h"
#include "conn.h"
#include "engine.h"
#include "fcgiserv.h"
#include "fleet.h"
#include "front.h"
#include "handoff.h"
#include "hist.h"
#include "hub.h"
#include "journal.h"
#include "msglog.h"
#include "pfor.h"
#include "presence.h"
#include "recfleet.h"
#include "recover.h"
#include "recstore.h"
#include "redis.h"
#include "rpc.h"
#include "scgiserv.h"
#include "sock.h"
#include "svcstats.h"
#include "upstream.h"
#include "users.h"
#include "workers.h"

enum { STATS_COUNTER, STATS_GAUGE };

/* A value is *a (+ *b), or fn() when there is no a. Help texts are
 * docs/rpc.md's, short. */
struct stats_row {
    const char *name;   /* the stats RPC's field */
    const char *metric; /* Prometheus name when not socketiod_NAME(_total) */
    int type;
    const uint64_t *a, *b;
    double (*fn)(void);
    const char *help;
};

/* CLOCK_MONOTONIC: uptime in whole seconds that a step of the wall clock
 * does not move (docs/rpc.md). */
static time_t stats_started;

static time_t stats_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static double stats_uptime(void)
{
    return (double)(stats_now() - stats_started);
}

static double stats_sessions(void) { return (double)engine_count(); }

static double stats_worker(void) { return (double)workers_self(); }

static double stats_send_threads(void) { return (double)pfor_threads(); }

#define STATS_MSGLOG(field)                                                    \
    static double stats_ml_##field(void)                                       \
    {                                                                          \
        struct msglog_stats st;                                                \
        msglog_get_stats(&st);                                                 \
        return (double)st.field;                                               \
    }
STATS_MSGLOG(logged)
STATS_MSGLOG(dropped)
STATS_MSGLOG(errors)
STATS_MSGLOG(truncated)

#ifdef STATS_HEAP
static double stats_heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return (double)(mi.uordblks + mi.hblkhd);
}

static double stats_heap_free(void) { return (double)mallinfo2().fordblks; }
#endif

#define C STATS_COUNTER
#define G STATS_GAUGE
static const struct stats_row stats_rows[] = {
    {"uptime", "socketiod_uptime_seconds", G, NULL, NULL, stats_uptime,
     "Seconds since the daemon started."},
    {"worker", "socketiod_worker", G, NULL, NULL, stats_worker,
     "This worker's number under --workers (its ids' route tag is in the "
     "stats RPC's \"route\"); 0 for a single process."},
    {"connections", NULL, G, &conn_stats.open, NULL, NULL,
     "Open client connections (HTTP and WebSocket)."},
#ifdef STATS_HEAP
    {"heap_in_use", "socketiod_heap_in_use_bytes", G, NULL, NULL,
     stats_heap_in_use, "Bytes of heap allocated (mallinfo2)."},
    {"heap_free", "socketiod_heap_free_bytes", G, NULL, NULL, stats_heap_free,
     "Bytes of heap freed but kept by the allocator."},
#endif
    {"connections_accepted", NULL, C, &conn_stats.accepted, NULL, NULL,
     "Client connections accepted."},
    {"sessions", NULL, G, NULL, NULL, stats_sessions,
     "Engine.IO sessions (one per connected client)."},
    {"sessions_polling", NULL, G, &engine_stats.polling, NULL, NULL,
     "Sessions on the polling transport."},
    {"sessions_websocket", NULL, G, &engine_stats.websocket, NULL, NULL,
     "Sessions on the WebSocket transport."},
    {"handshakes", NULL, C, &engine_stats.handshakes, NULL, NULL,
     "Engine.IO handshakes."},
    {"upgrades", NULL, C, &engine_stats.upgrades, NULL, NULL,
     "Sessions upgraded from polling to WebSocket."},
    {"ping_timeouts", NULL, C, &engine_stats.ping_timeouts, NULL, NULL,
     "Sessions closed for missing the ping timeout."},
    {"sessions_refused", NULL, C, &engine_stats.sessions_refused, NULL, NULL,
     "Handshakes answered 503 over --max-sessions(-per-ip)."},
    {"first_poll_timeouts", NULL, C, &engine_stats.first_poll_timeouts, NULL,
     NULL,
     "Polling sessions closed without a request within "
     "--first-poll-timeout."},
    {"handshake_meta_dropped", NULL, C, &engine_stats.meta_dropped, NULL, NULL,
     "Handshake values not kept over --max-handshake-meta."},
    {"polling_invalid_utf8", NULL, C, &engine_stats.bad_utf8, NULL, NULL,
     "Polling text payloads refused for invalid UTF-8."},
    {"websockets_refused_upgraded", NULL, C, &engine_stats.extra_upgrades, NULL,
     NULL, "WebSockets closed for the sid of an upgraded session."},
    {"bad_requests", NULL, C, &conn_stats.bad_requests,
     &engine_stats.bad_requests, NULL, "Client requests answered 4xx."},
    {"origins_refused", NULL, C, &engine_stats.origins_refused, NULL, NULL,
     "Requests answered 403 for a foreign Origin."},
    {"ws_protocol_errors", NULL, C, &conn_stats.ws_protocol_errors, NULL, NULL,
     "WebSockets closed for breaking RFC 6455."},
    {"output_overflows", NULL, C, &conn_stats.output_overflows, NULL, NULL,
     "Connections closed: queued output over --max-output."},
    {"connections_refused", NULL, C, &conn_stats.refused, NULL, NULL,
     "Connections closed at accept over --max-connections(-per-ip)."},
    {"handshake_timeouts", NULL, C, &conn_stats.head_timeouts, NULL, NULL,
     "Connections closed without a whole request within "
     "--handshake-timeout."},
    {"drain_timeouts", NULL, C, &conn_stats.drain_timeouts,
     &front_stats.drain_timeouts, NULL,
     "Closing connections dropped after --drain-timeout."},
    {"socket_writes", NULL, C, &conn_stats.writes, NULL, NULL,
     "write/writev calls on client connections."},
    {"frames_coalesced", NULL, C, &conn_stats.coalesced, NULL, NULL,
     "Frames written in one writev with an earlier one."},
    {"socket_writes_spread", NULL, C, &conn_stats.spread, NULL, NULL,
     "Writes made across the send threads."},
    {"handoff_sid_requests", NULL, C, &handoff_stats.sid_requests, NULL, NULL,
     "Engine.IO requests with a sid answered here (--workers)."},
    {"handoffs_sent", NULL, C, &handoff_stats.sent, NULL, NULL,
     "Connections handed to the worker owning their sid."},
    {"handoffs_failed", NULL, C, &handoff_stats.failed, NULL, NULL,
     "Hand-offs that could not be sent: answered as an unknown sid."},
    {"handoffs_received", NULL, C, &handoff_stats.received, NULL, NULL,
     "Connections adopted from another worker."},
    {"handoffs_bad", NULL, C, &handoff_stats.bad, NULL, NULL,
     "Hand-off records refused (size, header, descriptors)."},
    {"send_threads", NULL, G, NULL, NULL, stats_send_threads,
     "Threads besides the loop that write a large fan-out."},
    {"sio_protocol_errors", NULL, C, &sock_stats.protocol_errors, NULL, NULL,
     "Sessions closed for a Socket.IO protocol error."},
    {"sio_invalid_json", NULL, C, &sock_stats.invalid_json, NULL, NULL,
     "Packets whose data was not strict JSON."},
    {"events_rate_limited", NULL, C, &hub_stats.events_rate_limited, NULL, NULL,
     "Client events over --max-event-rate."},
    {"names_refused", NULL, C, &sock_stats.names_refused,
     &hub_stats.names_refused, NULL,
     "Namespace, event or channel names refused."},
    {"namespaces_refused", NULL, C, &sock_stats.namespaces_refused, NULL, NULL,
     "CONNECTs over --max-namespaces."},
    {"attachments_refused", NULL, C, &sock_stats.attachments_refused, NULL,
     NULL, "Connections closed over --max-attachment-bytes."},
    {"attachment_timeouts", NULL, C, &sock_stats.attachment_timeouts, NULL,
     NULL, "Connections closed over --attachment-timeout."},
    {"sockets", NULL, G, &hub_stats.sockets, NULL, NULL,
     "Socket.IO sockets (one per client and namespace)."},
    {"namespaces", NULL, G, &hub_stats.namespaces, NULL, NULL,
     "Namespaces with sockets."},
    {"channels", NULL, G, &hub_stats.channels, NULL, NULL,
     "Channels with members."},
    {"users", NULL, G, &hub_stats.users, NULL, NULL,
     "Distinct app users with sockets here, counted per namespace."},
    {"users_refused", NULL, C, &users_stats.refused, NULL, NULL,
     "User ids refused: from the app's connect answers (not a string, "
     "empty, over 256 bytes, a control character or not UTF-8) or the RPC."},
    {"presence_events", NULL, C, &users_stats.presence_events, NULL, NULL,
     "presence:join and presence:leave events emitted (--presence)."},
    {"messages_in", NULL, C, &hub_stats.events_in, NULL, NULL,
     "Messages received from clients."},
    {"messages_out", NULL, C, &hub_stats.messages_out, NULL, NULL,
     "Messages sent to clients, per receiver."},
    {"emits", NULL, C, &hub_stats.emits, NULL, NULL, "Emits and sends."},
    {"recovery_sessions", NULL, G, &recover_stats.sessions, NULL, NULL,
     "Disconnected sessions kept for a reconnect (--recovery)."},
    {"recovery_stored", NULL, C, &recover_stats.stored, NULL, NULL,
     "Sessions kept at a recoverable disconnect."},
    {"recovery_recovered", NULL, C, &recover_stats.recovered, NULL, NULL,
     "Reconnects that got their id, channels and missed events back."},
    {"recovery_expired", NULL, C, &recover_stats.expired, NULL, NULL,
     "Kept sessions whose --recovery window passed."},
    {"recovery_refused", NULL, C, &recover_stats.refused, NULL, NULL,
     "Reconnects with pid and offset given a new session instead."},
    {"recovery_sessions_dropped", NULL, C, &recover_stats.sessions_dropped,
     NULL, NULL, "Kept sessions dropped over --recovery-max-sessions."},
    {"recovery_packets", NULL, G, &recover_stats.packets, NULL, NULL,
     "Events kept for reconnects."},
    {"recovery_ring_bytes", NULL, G, &recover_stats.ring_bytes, NULL, NULL,
     "Bytes of the events kept for reconnects."},
    {"recovery_ring_drops", NULL, C, &recover_stats.ring_drops, NULL, NULL,
     "Events dropped over --recovery-max-bytes before their window passed."},
    {"recovery_remote_asked", NULL, C, &recfleet_stats.asked, NULL, NULL,
     "Reconnects whose session was not here: the other nodes asked."},
    {"recovery_remote_recovered", NULL, C, &recover_stats.remote_recovered,
     NULL, NULL, "Reconnects recovered with a session another node held."},
    {"recovery_remote_none", NULL, C, &recfleet_stats.none, NULL, NULL,
     "Questions to the fleet no node held the session of (new session)."},
    {"recovery_remote_given", NULL, C, &recover_stats.remote_given, NULL, NULL,
     "Sessions kept here handed to another node's reconnect."},
    {"recovery_remote_answered", NULL, C, &recfleet_stats.answered, NULL, NULL,
     "Other nodes' recovery questions answered."},
    {"recovery_remote_refused", NULL, C, &recfleet_stats.refused, NULL, NULL,
     "Reconnects not asked about: 256 already waiting, or Redis down."},
    {"recovery_remote_bad", NULL, C, &recfleet_stats.bad, NULL, NULL,
     "Recovery questions or answers dropped as not valid."},
    {"recovery_remote_oversized", NULL, C, &recfleet_stats.oversized, NULL,
     NULL,
     "Sessions not handed over: answer over 8 MiB or --redis-max-message."},
    {"recovery_remote_timeouts", NULL, C, &recfleet_stats.timeouts, NULL, NULL,
     "Recovery questions ended by --redis-requests-timeout."},
    {"recovery_remote_window", NULL, C, &recfleet_stats.window, NULL, NULL,
     "Events the asker added from its own ring: sent while it asked."},
    {"recovery_remote_kept", NULL, C, &recover_stats.remote_kept, NULL, NULL,
     "Sessions handed over whose client left before it finished: kept."},
    {"recovery_remote_late", NULL, C, &recfleet_stats.late, NULL, NULL,
     "Sessions handed over after their question ended: gone."},
    {"recovery_remote_pending", NULL, G, &recfleet_stats.pending, NULL, NULL,
     "Reconnects waiting for the fleet's answer now."},
    {"recovery_saves", NULL, C, &recstore_stats.saves, NULL, NULL,
     "Snapshots of the recovery state written to --state-file."},
    {"recovery_save_errors", NULL, C, &recstore_stats.save_errors, NULL, NULL,
     "Snapshots of the recovery state that failed."},
    {"recovery_saves_skipped", NULL, C, &recstore_stats.saves_skipped, NULL,
     NULL, "Snapshot ticks skipped while the writer was still busy."},
    {"recovery_save_ms", NULL, G, &recstore_stats.save_ms, NULL, NULL,
     "How long the last snapshot took to write, in milliseconds."},
    {"recovery_loaded_sessions", NULL, C, &recstore_stats.loaded_sessions, NULL,
     NULL, "Sessions read back from --state-file at start."},
    {"recovery_loaded_packets", NULL, C, &recstore_stats.loaded_packets, NULL,
     NULL, "Events read back from --state-file at start."},
    {"recovery_load_rejected", NULL, C, &recstore_stats.load_rejected, NULL,
     NULL,
     "Rows of --state-file refused at start (malformed, too big, or a "
     "pid that does not verify)."},
    {"redis_answers", NULL, C, &answer_stats.answers, NULL, NULL,
     "Answers to other nodes' requests published on Redis."},
    {"redis_answers_dropped", NULL, C, &answer_stats.dropped, NULL, NULL,
     "Answers or acked broadcasts of other nodes given up."},
    {"redis_answers_truncated", NULL, C, &answer_stats.truncated, NULL, NULL,
     "List answers cut at 8 MiB."},
    {"redis_server_side_emits", NULL, C, &answer_stats.server_side_emits, NULL,
     NULL, "serverSideEmit of other nodes received (acked with null)."},
    {"fcgi_connections", NULL, G, &fcgiserv_stats.open, NULL, NULL,
     "Open FastCGI connections from web servers."},
    {"fcgi_connections_accepted", NULL, C, &fcgiserv_stats.connections, NULL,
     NULL, "FastCGI connections accepted."},
    {"fcgi_requests", NULL, C, &fcgiserv_stats.requests, NULL, NULL,
     "FastCGI requests passed on."},
    {"fcgi_bad_requests", NULL, C, &fcgiserv_stats.bad_requests, NULL, NULL,
     "FastCGI requests refused as malformed or too big."},
    {"fcgi_protocol_errors", NULL, C, &fcgiserv_stats.protocol_errors, NULL,
     NULL, "FastCGI connections closed for a bad record."},
    {"fcgi_aborted", NULL, C, &fcgiserv_stats.aborted, NULL, NULL,
     "FastCGI requests the web server gave up on."},
    {"fcgi_refused", NULL, C, &fcgiserv_stats.refused, NULL, NULL,
     "FastCGI requests refused over a connection's limits."},
    {"fcgi_timeouts", NULL, C, &fcgiserv_stats.timeouts, NULL, NULL,
     "FastCGI requests or idle connections timed out."},
    {"scgi_connections", NULL, G, &scgiserv_stats.open, NULL, NULL,
     "Open SCGI connections from web servers."},
    {"scgi_connections_accepted", NULL, C, &scgiserv_stats.connections, NULL,
     NULL, "SCGI connections accepted."},
    {"scgi_requests", NULL, C, &scgiserv_stats.requests, NULL, NULL,
     "SCGI requests passed on."},
    {"scgi_bad_requests", NULL, C, &scgiserv_stats.bad_requests, NULL, NULL,
     "SCGI requests refused as malformed or too big."},
    {"scgi_aborted", NULL, C, &scgiserv_stats.aborted, NULL, NULL,
     "SCGI requests the web server gave up on."},
    {"scgi_timeouts", NULL, C, &scgiserv_stats.timeouts, NULL, NULL,
     "SCGI requests not sent within --handshake-timeout."},
    {"upstream_requests", NULL, C, &upstream_stats.requests, NULL, NULL,
     "Events sent to the application."},
    {"upstream_responses", NULL, C, &upstream_stats.responses, NULL, NULL,
     "Usable answers from the application."},
    {"upstream_errors", NULL, C, &upstream_stats.errors, NULL, NULL,
     "Failed upstream requests."},
    {"upstream_unavailable", NULL, C, &upstream_stats.unavailable, NULL, NULL,
     "Upstream requests that could not connect or were closed early."},
    {"upstream_timeouts", NULL, C, &upstream_stats.timeouts, NULL, NULL,
     "Upstream requests over --upstream-timeout."},
    {"upstream_bad_responses", NULL, C, &upstream_stats.bad_responses, NULL,
     NULL, "Upstream answers that were not usable."},
    {"upstream_overflows", NULL, C, &upstream_stats.overflows, NULL, NULL,
     "Events refused: the socket's upstream queue was full."},
    {"upstream_bad_actions", NULL, C, &upstream_stats.bad_actions, NULL, NULL,
     "Actions or contexts from the application skipped as invalid."},
    {"upstream_retries", NULL, C, &upstream_stats.retries, NULL, NULL,
     "Events sent again after a 503."},
    {"upstream_connections", NULL, C, &upstream_stats.connections, NULL, NULL,
     "Connections opened to the application."},
    {"upstream_reused", NULL, C, &upstream_stats.reused, NULL, NULL,
     "Upstream requests sent on a kept-alive connection."},
    {"upstream_in_flight", NULL, G, &upstream_stats.in_flight, NULL, NULL,
     "Upstream requests in flight."},
    {"upstream_queued", NULL, G, &upstream_stats.queued, NULL, NULL,
     "Sockets with events waiting for an upstream slot."},
    {"journal_journaled", NULL, C, &journal_stats.journaled, NULL, NULL,
     "Disconnects kept for an application that was down."},
    {"journal_delivered", NULL, C, &journal_stats.delivered, NULL, NULL,
     "Kept disconnects the application answered, marked late."},
    {"journal_dropped", NULL, C, &journal_stats.dropped, NULL, NULL,
     "Disconnects not kept: past --journal-max or --journal-bytes."},
    {"journal_refused", NULL, C, &journal_stats.refused, NULL, NULL,
     "Late disconnects the application answered with a 4xx or a bad body."},
    {"journal_ignored_actions", NULL, C, &journal_stats.ignored_actions, NULL,
     NULL, "Actions in answers to late disconnects, not run."},
    {"journal_bad_rows", NULL, C, &journal_stats.bad_rows, NULL, NULL,
     "Rows of --state-file not taken back as malformed."},
    {"journal_loaded", NULL, C, &journal_stats.loaded, NULL, NULL,
     "Kept disconnects taken back from --state-file at start-up."},
    {"journal_pending", NULL, G, &journal_stats.pending, NULL, NULL,
     "Disconnects kept now, owed to the application."},
    {"journal_pending_bytes", NULL, G, &journal_stats.pending_bytes, NULL, NULL,
     "Their bytes."},
    {"rpc_requests", NULL, C, &rpc_stats.requests, NULL, NULL,
     "Control RPC request lines."},
    {"rpc_errors", NULL, C, &rpc_stats.errors, NULL, NULL,
     "Control RPC requests answered with an error."},
    {"messages_logged", NULL, C, NULL, NULL, stats_ml_logged,
     "Rows written to the message log."},
    {"messages_log_dropped", NULL, C, NULL, NULL, stats_ml_dropped,
     "Message log rows dropped: its queue was full."},
    {"messages_log_errors", NULL, C, NULL, NULL, stats_ml_errors,
     "Message log rows lost to database errors."},
    {"messages_log_truncated", NULL, C, NULL, NULL, stats_ml_truncated,
     "Message log rows cut to --message-log-max-payload."},
    {"rpc_refused", NULL, C, &rpc_stats.refused, NULL, NULL,
     "Control clients refused by their credentials."},
    {"rpc_paused", NULL, C, &rpc_stats.paused, NULL, NULL,
     "Times a control client's requests waited over --max-rpc-unread."},
    {"admin_ui_dashboards", NULL, G, &adminui_stats.dashboards, NULL, NULL,
     "Admin UI dashboards connected now (--admin-ui)."},
    {"admin_ui_logins_checking", NULL, G, &adminui_stats.checking, NULL, NULL,
     "Admin UI password checks running now (each on a thread)."},
    {"admin_ui_logins", NULL, C, &adminui_stats.logins, NULL, NULL,
     "Admin UI dashboards let in (password or session id)."},
    {"admin_ui_logins_refused", NULL, C, &adminui_stats.logins_refused, NULL,
     NULL, "Admin UI logins refused: invalid credentials."},
    {"admin_ui_logins_limited", NULL, C, &adminui_stats.logins_limited, NULL,
     NULL, "Admin UI logins refused over the password-check rate."},
    {"admin_ui_actions", NULL, C, &adminui_stats.actions, NULL, NULL,
     "Admin UI disconnect/join/leave/emit requests carried out."},
    {"admin_ui_actions_refused", NULL, C, &adminui_stats.actions_refused, NULL,
     NULL, "Admin UI requests refused (malformed, bad names, read-only)."},
    {"admin_ui_notices_dropped", NULL, C, &adminui_stats.notices_dropped, NULL,
     NULL, "Admin UI live notices dropped over their queue's cap."},
};

static double stats_outbox_messages(void) { return (double)redis_outbox.count; }

static double stats_outbox_bytes(void) { return (double)redis_outbox.bytes; }

/* With --redis: the stats RPC's "redis" object, socketiod_redis_* here. */
static const struct stats_row stats_redis_rows[] = {
    {"connected", NULL, G, &redis_stats.connected, NULL, NULL,
     "1 while both Redis connections are up."},
    {"connects", NULL, C, &redis_stats.connects, NULL, NULL,
     "Redis connections made (first ones and reconnects)."},
    {"disconnects", NULL, C, &redis_stats.disconnects, NULL, NULL,
     "Redis connections lost (then reconnected)."},
    {"timeouts", NULL, C, &redis_stats.timeouts, NULL, NULL,
     "Redis connects or requests unanswered within --redis-timeout."},
    {"refused", NULL, C, &redis_stats.refused, NULL, NULL,
     "PUBLISHes Redis answered with an error (an ACL's NOPERM)."},
    {"published", NULL, C, &bus_stats.published, NULL, NULL,
     "Emits published to the fleet at once."},
    {"unpublished", NULL, C, &bus_stats.unpublished, NULL, NULL,
     "Emits neither published nor kept in the outbox."},
    {"outbox_messages", NULL, G, NULL, NULL, stats_outbox_messages,
     "Broadcasts kept in the outbox now."},
    {"outbox_bytes", NULL, G, NULL, NULL, stats_outbox_bytes,
     "Bytes the outbox holds now (--redis-outbox)."},
    {"outbox_kept", NULL, C, &redis_outbox.kept, NULL, NULL,
     "Broadcasts kept while Redis was unreachable."},
    {"outbox_replayed", NULL, C, &redis_outbox.replayed, NULL, NULL,
     "Kept broadcasts published on reconnect."},
    {"outbox_dropped", NULL, C, &redis_outbox.dropped, NULL, NULL,
     "Kept broadcasts dropped: the outbox was full."},
    {"received", NULL, C, &bus_stats.received, NULL, NULL,
     "Broadcasts of other nodes and emitters delivered here."},
    {"own", NULL, C, &bus_stats.own, NULL, NULL,
     "Our own broadcasts echoed back, ignored."},
    {"malformed", NULL, C, &bus_stats.malformed, NULL, NULL,
     "Bus messages dropped as malformed."},
    {"oversized", NULL, C, &bus_stats.oversized, NULL, NULL,
     "Bus messages dropped over --redis-max-message."},
    {"requests", NULL, C, &bus_stats.requests, NULL, NULL,
     "Requests of other nodes answered or applied here."},
    {"requests_ignored", NULL, C, &bus_stats.requests_ignored, NULL, NULL,
     "Request types that ask nothing of a node; other python methods."},
    {"python", NULL, C, &bus_stats.python, NULL, NULL,
     "python-socketio messages acted on here."},
    {"python_refused", NULL, C, &bus_stats.python_refused, NULL, NULL,
     "python-socketio pickles refused (outside the data-only subset)."},
    {"responses", NULL, C, &bus_stats.responses, NULL, NULL,
     "Messages read on the response channels (answers to any node)."},
    {"namespaces_unanswered", NULL, C, &bus_stats.namespaces_unanswered, NULL,
     NULL, "Namespaces over the 1000 whose requests this node subscribes to."},
};
/* With --redis: the stats RPC's "cluster" object (this node's fleet
 * calls), socketiod_cluster_* here. */
static double stats_cluster_nodes(void) { return (double)fleet_stats.nodes; }

static const struct stats_row stats_cluster_rows[] = {
    {"nodes", NULL, G, NULL, NULL, stats_cluster_nodes,
     "Nodes subscribed to the last request channel asked (-1: none yet)."},
    {"requests", NULL, C, &fleet_stats.requests, NULL, NULL,
     "Requests published to the other nodes."},
    {"incomplete", NULL, C, &fleet_stats.incomplete, NULL, NULL,
     "Requests ended before every node answered."},
    {"answers", NULL, C, &fleet_stats.answers, NULL, NULL,
     "Answers to this node's requests."},
    {"unknown", NULL, C, &fleet_stats.unknown, NULL, NULL,
     "Answers to no pending request of this node."},
    {"malformed", NULL, C, &fleet_stats.malformed, NULL, NULL,
     "Answers dropped as not decodable."},
    {"refused", NULL, C, &fleet_stats.refused, NULL, NULL,
     "Fleet calls answered locally at once (Redis down, too many pending)."},
    {"pending", NULL, G, &fleet_stats.pending, NULL, NULL,
     "Requests waiting for answers now."},
    {"presence_asked", NULL, C, &presence_stats.asked, NULL, NULL,
     "Presence events asked about: is the user in the channel elsewhere?"},
    {"presence_suppressed", NULL, C, &presence_stats.suppressed, NULL, NULL,
     "Presence events not sent: the user is in the channel on another node."},
    {"presence_unanswered", NULL, C, &presence_stats.unanswered, NULL, NULL,
     "Presence events sent without every node's answer (at-least-once)."},
    {"presence_overflow", NULL, C, &presence_stats.overflow, NULL, NULL,
     "Presence events decided by this node alone: 4096 already waiting."},
    {"presence_coalesced", NULL, C, &presence_stats.coalesced, NULL, NULL,
     "Presence events that cancelled out while waiting (a join and a leave)."},
    {"presence_answered", NULL, C, &presence_stats.answered, NULL, NULL,
     "Presence questions of other nodes answered."},
    {"presence_malformed", NULL, C, &presence_stats.malformed, NULL, NULL,
     "Presence questions or answers dropped as not decodable."},
    {"presence_pending", NULL, G, &presence_stats.pending, NULL, NULL,
     "Presence events waiting for the fleet's answer now."},
    {"stats_requests", NULL, C, &svcstats_stats.requests, NULL, NULL,
     "stats calls that asked the other workers (--workers)."},
    {"stats_incomplete", NULL, C, &svcstats_stats.incomplete, NULL, NULL,
     "Of those, answered before every worker did."},
    {"stats_answers", NULL, C, &svcstats_stats.answers, NULL, NULL,
     "Other workers' stats taken."},
    {"stats_answered", NULL, C, &svcstats_stats.answered, NULL, NULL,
     "Other workers' stats questions answered."},
    {"stats_unknown", NULL, C, &svcstats_stats.unknown, NULL, NULL,
     "Stats answers to no pending question (late)."},
    {"stats_malformed", NULL, C, &svcstats_stats.malformed, NULL, NULL,
     "Stats messages dropped: invalid, or not this service's."},
    {"stats_refused", NULL, C, &svcstats_stats.refused, NULL, NULL,
     "stats calls answered by one worker alone: Redis down, or 8 pending."},
    {"stats_pending", NULL, G, &svcstats_stats.pending, NULL, NULL,
     "stats calls waiting for the other workers now."},
};
#undef C
#undef G

static double stats_value(const struct stats_row *r)
{
    if (r->a == NULL)
        return r->fn();
    return (double)(*r->a + (r->b != NULL ? *r->b : 0));
}

void stats_setup(void)
{
    stats_started = stats_now();
    rpc_set_stats(stats_each_group);
}

static void stats_each_row(const struct stats_row *rows, size_t n,
                           void (*fn)(void *arg, const char *name, double v),
                           void *arg)
{
    size_t i;

    for (i = 0; i < n; i++)
        fn(arg, rows[i].name, stats_value(&rows[i]));
}

#define STATS_ROWS(t) (t), sizeof(t) / sizeof(t)[0]

void stats_each(void (*fn)(void *arg, const char *name, double v), void *arg)
{
    stats_each_row(STATS_ROWS(stats_rows), fn, arg);
}

void stats_each_group(enum rpc_stats_group group,
                      void (*fn)(void *arg, const char *name, double v),
                      void *arg)
{
    if (group == RPC_STATS_REDIS)
        stats_each_row(STATS_ROWS(stats_redis_rows), fn, arg);
    else if (group == RPC_STATS_CLUSTER)
        stats_each_row(STATS_ROWS(stats_cluster_rows), fn, arg);
    else
        stats_each_row(STATS_ROWS(stats_rows), fn, arg);
}

/* A label value as the text format quotes it: the namespace names are a
 * client's. */
static int stats_label(struct buf *out, const char *s)
{
    int rc = 0;

    for (; *s && rc == 0; s++) {
        if (*s == '\\' || *s == '"')
            rc = buf_printf(out, "\\%c", *s);
        else if (*s == '\n')
            rc = buf_puts(out, "\\n");
        else
            rc = buf_putc(out, *s);
    }
    return rc;
}

static int stats_hist(struct buf *out, const char *name, const char *help,
                      const char *key, const struct hist_family *f)
{
    unsigned i, b, n;
    const struct hist *h;
    uint64_t cum;
    int rc;

    rc = buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help,
                    name);
    for (i = 0; rc == 0 && i <= HIST_MAX_LABELS; i++) {
        if (i >= f->nlabels && i < HIST_MAX_LABELS)
            continue;
        h = &f->h[i];
        if (i == HIST_MAX_LABELS && h->count == 0)
            break;
        cum = 0;
        for (b = 0; rc == 0 && b <= f->nbounds; b++) {
            cum += h->counts[b];
            rc = buf_printf(out, "%s_bucket{%s=\"", name, key);
            rc = rc ? rc : stats_label(out, hist_label(f, i));
            if (rc == 0 && b < f->nbounds)
                rc = buf_printf(out, "\",le=\"%g\"} %llu\n", f->bounds[b],
                                (unsigned long long)cum);
            else if (rc == 0)
                rc = buf_printf(out, "\",le=\"+Inf\"} %llu\n",
                                (unsigned long long)cum);
        }
        for (n = 0; rc == 0 && n < 2; n++) {
            rc = buf_printf(out, "%s_%s{%s=\"", name, n ? "count" : "sum", key);
            rc = rc ? rc : stats_label(out, hist_label(f, i));
            if (rc == 0 && n)
                rc =
                    buf_printf(out, "\"} %llu\n", (unsigned long long)h->count);
            else if (rc == 0)
                rc = buf_printf(out, "\"} %.17g\n", h->sum);
        }
    }
    return rc;
}

static int stats_rows_metrics(struct buf *out, const struct stats_row *rows,
                              size_t n, const char *prefix)
{
    const struct stats_row *r;
    char name[128];
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < n; i++) {
        r = &rows[i];
        if (r->metric != NULL)
            snprintf(name, sizeof name, "%s", r->metric);
        else
            snprintf(name, sizeof name, "socketiod_%s%s%s", prefix, r->name,
                     r->type == STATS_COUNTER ? "_total" : "");
        rc = buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name,
                        r->help, name,
                        r->type == STATS_COUNTER ? "counter" : "gauge", name,
                        stats_value(r));
    }
    return rc;
}

int stats_metrics(struct buf *out)
{
    int rc = stats_rows_metrics(out, STATS_ROWS(stats_rows), "");

    if (rc == 0 && bus_enabled())
        rc = stats_rows_metrics(out, STATS_ROWS(stats_redis_rows), "redis_");
    if (rc == 0 && fleet_enabled())
        rc =
            stats_rows_metrics(out, STATS_ROWS(stats_cluster_rows), "cluster_");
    rc = rc ? rc
            : stats_hist(out, "socketiod_upstream_request_duration_seconds",
                         "Upstream requests, sent to answered, by transport.",
                         "transport", &upstream_latency);
    rc = rc ? rc
            : stats_hist(out, "socketiod_rpc_request_duration_seconds",
                         "Control RPC requests, time to handle, by method.",
                         "method", &rpc_latency);
    rc = rc ? rc
            : stats_hist(out, "socketiod_broadcast_fanout",
                         "Receivers of each broadcast, by namespace.",
                         "namespace", &hub_fanout);
    return rc;
}
