#!/usr/bin/env node
// Test driver for socket.io-client 4.x ("v4") or 2.x ("v2"), used by the
// e2e suite (tests/e2e/conftest.py, class NodeClient).
//
//   node tests/e2e/node/client.js v4|v2
//
// It reads one JSON command per line on stdin and writes one JSON report per
// line on stdout. One process can hold many sockets, each named by a client
// id ("cid") chosen by the test. Every command may carry "req"; a command
// with "req" is answered at once with {"ev":"ok","req":R} (or
// {"ev":"error","req":R,"message":...}); replies (state, counts, acks) carry
// the same "req".
//
// Binary values travel as {"_binary": "<base64>"} in both directions: they
// become Buffers before they are emitted, and Buffers / ArrayBuffers /
// typed arrays received are re-encoded that way in reports.
//
// Commands (fields in brackets are optional):
//   connect     cid url [namespace="/"] [opts] [ackReply] [quiet]
//               opts go to io(): transports, auth, query, forceNew, ...
//               reports: connect {cid sid transport count}, connect_error
//               {cid message data}, disconnect {cid reason}, upgrade {cid
//               transport}, reconnect_attempt {cid attempt},
//               event {cid event args acked}; with quiet, events are only
//               counted (see "counts").
//   emit        cid event [args] [ack] [timeout]
//               with ack: later ack {cid req args} or ack_timeout {cid req}
//   subscribe   cid channel     later subscribe_ack {cid req channel args}
//   unsubscribe cid channel     later unsubscribe_ack {cid req channel args}
//               (through the socketiod extension when it is installed,
//               else by emitting "subscribe"/"unsubscribe" with an ack; the
//               fallback re-subscribes after a reconnect itself, as the
//               extension does, and reports resubscribe_ack)
//   set_ack_reply cid reply [noack]
//               the args a server-requested ack answers with (noack: never
//               answer)
//   disconnect  cid             socket.disconnect() (no reconnect)
//   drop_transport cid          close the engine.io connection under the
//               socket, as a network failure would (the manager reconnects)
//   state       cid             later state {cid connected sid transport subs}
//   connect_many prefix count url [namespace] [opts] [channel] [concurrency]
//               quiet sockets prefix0..prefixN-1, each subscribed to channel
//               later many_ready {req connected subscribed failed errors}
//   counts      prefix event    later counts {req counts: {cid: n}
//               disorder: {cid: n}}; disorder counts the events whose
//               first argument, a number, was not above the one before
//   close_all                   disconnect every socket
//   exit                        disconnect everything and exit
"use strict";

const path = require("path");
const readline = require("readline");

const flavour = process.argv[2] || "v4";
if (flavour !== "v4" && flavour !== "v2") {
    process.stderr.write("usage: client.js v4|v2\n");
    process.exit(2);
}

function load(name) {
    // NODE_PATH is honoured by require(); also try SOCKETIOD_NODE_MODULES
    // explicitly so the driver works when started without NODE_PATH.
    const dirs = [];
    if (process.env.SOCKETIOD_NODE_MODULES)
        dirs.push(process.env.SOCKETIOD_NODE_MODULES);
    dirs.push(path.resolve(__dirname, "..", "..", "node_modules"));
    try {
        return require(name);
    } catch (e) {
        for (const d of dirs) {
            try {
                return require(path.join(d, name));
            } catch (e2) { /* try the next */ }
        }
        throw e;
    }
}

const io = load(flavour === "v4" ? "socket.io-client" : "socket.io-client-v2");

// The socketiod client extension (subscribe/unsubscribe helpers that also
// re-subscribe after a reconnect).
let ext = null;
let extError = null;
{
    const extPath = process.env.SOCKETIOD_EXT ||
        path.resolve(__dirname, "..", "..", "..", "sidecar", "client",
                     "socketiod-ext.js");
    try {
        const mod = require(extPath);
        if (mod && typeof mod.install === "function") mod.install(io);
        else if (typeof mod === "function") mod(io);
        ext = mod;
    } catch (e) {
        extError = String(e && e.message || e);
    }
}

function out(obj) {
    process.stdout.write(JSON.stringify(obj) + "\n");
}

// ---- binary <-> {"_binary": base64} ------------------------------------

function isBinary(x) {
    return Buffer.isBuffer(x) || x instanceof ArrayBuffer ||
        ArrayBuffer.isView(x);
}

function toB64(x) {
    if (Buffer.isBuffer(x)) return x.toString("base64");
    if (x instanceof ArrayBuffer) return Buffer.from(x).toString("base64");
    return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("base64");
}

function encode(v) {
    if (v === undefined) return null;
    if (v === null || typeof v !== "object") return v;
    if (isBinary(v)) return {_binary: toB64(v)};
    if (Array.isArray(v)) return v.map(encode);
    const o = {};
    for (const k of Object.keys(v)) o[k] = encode(v[k]);
    return o;
}

function decode(v) {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(decode);
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "_binary" &&
        typeof v._binary === "string")
        return Buffer.from(v._binary, "base64");
    const o = {};
    for (const k of keys) o[k] = decode(v[k]);
    return o;
}

// ---- sockets -----------------------------------------------------------

const clients = new Map(); // cid -> state

function transportName(s) {
    try {
        return s.io.engine.transport.name;
    } catch (e) {
        return null;
    }
}

function makeSocket(cid, url, namespace, opts) {
    const o = Object.assign({
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 500,
        randomizationFactor: 0,
        timeout: 5000,
    }, opts || {});
    const ns = namespace && namespace !== "/" ? namespace : "";
    return io(url.replace(/\/+$/, "") + ns, o);
}

function onIncoming(c, event, args, ackFn) {
    if (c.quiet) {
        c.counts[event] = (c.counts[event] || 0) + 1;
        if (typeof args[0] === "number") {
            if (c.last[event] !== undefined && args[0] <= c.last[event])
                c.disorder[event] = (c.disorder[event] || 0) + 1;
            c.last[event] = args[0];
        }
    } else {
        out({ev: "event", cid: c.cid, event: event, args: encode(args),
             acked: !!ackFn});
    }
    if (ackFn && !c.noAck) ackFn.apply(null, decode(c.ackReply));
}

function hookEvents(c) {
    const s = c.socket;
    if (typeof s.onAny === "function") {
        s.onAny(function (event, ...args) {
            let ackFn = null;
            if (args.length && typeof args[args.length - 1] === "function")
                ackFn = args.pop();
            onIncoming(c, event, args, ackFn);
        });
    } else {
        // socket.io-client 2.x has no onAny: take the packets before the
        // EventEmitter does.
        s.onevent = function (packet) {
            const args = (packet.data || []).slice();
            const event = args.shift();
            const ackFn = packet.id != null ? this.ack(packet.id) : null;
            onIncoming(c, event, args, ackFn);
        };
    }
}

function hookEngine(c) {
    // Report upgrades of every engine the manager opens (one per
    // (re)connection).
    const mgr = c.socket.io;
    const attach = function () {
        const engine = mgr.engine;
        if (!engine || engine.__siodHooked) return;
        engine.__siodHooked = true;
        engine.on("upgrade", function (t) {
            out({ev: "upgrade", cid: c.cid,
                 transport: (t && t.name) || transportName(c.socket)});
        });
    };
    mgr.on("open", attach);
    attach();
}

function subscribeVia(c, verb, channel, cb) {
    const s = c.socket;
    let done = false;
    const once = function (...args) {
        if (done) return;
        done = true;
        cb(args);
    };
    if (ext && typeof s[verb] === "function") {
        let r;
        try {
            r = s[verb](channel, once);
        } catch (e) {
            once(String(e && e.message || e));
            return;
        }
        if (r && typeof r.then === "function") {
            r.then(function (v) {
                once(null, v === undefined ? channel : v);
            }, function (e) {
                once(String(e && e.message || e));
            });
        }
    } else {
        s.emit(verb, channel, once);
    }
}

function newClient(cid, msg) {
    if (clients.has(cid)) {
        const old = clients.get(cid);
        try { old.socket.close(); } catch (e) { /* ignore */ }
    }
    const c = {
        cid: cid,
        quiet: !!msg.quiet,
        counts: {},
        last: {},
        disorder: {},
        ackReply: msg.ackReply !== undefined ? msg.ackReply : ["ack:" + cid],
        subs: new Set(),
        connects: 0,
        socket: null,
    };
    clients.set(cid, c);
    const s = makeSocket(cid, msg.url, msg.namespace, msg.opts);
    c.socket = s;
    hookEvents(c);
    hookEngine(c);
    s.on("connect", function () {
        c.connects++;
        if (!c.quiet || c.connects > 1)
            out({ev: "connect", cid: cid, sid: s.id,
                 transport: transportName(s), count: c.connects});
        if (c.connects > 1 && !(ext && typeof s.subscribe === "function")) {
            // What the extension does for the application: subscribe again.
            for (const ch of c.subs) {
                subscribeVia(c, "subscribe", ch, function (args) {
                    out({ev: "resubscribe_ack", cid: cid, channel: ch,
                         args: encode(args)});
                });
            }
        }
        if (c.onConnect) c.onConnect();
    });
    s.on("connect_error", function (err) {
        out({ev: "connect_error", cid: cid,
             message: String(err && err.message || err),
             data: encode(err && err.data !== undefined ? err.data : null)});
        if (c.onConnectError) c.onConnectError(err);
    });
    s.on("error", function (err) {
        // socket.io-client 2.x reports a refused namespace as "error".
        out({ev: "connect_error", cid: cid,
             message: typeof err === "string" ? err :
                 String(err && err.message || JSON.stringify(err)),
             data: encode(err && err.data !== undefined ? err.data :
                 (typeof err === "object" ? err : null))});
        if (c.onConnectError) c.onConnectError(err);
    });
    s.on("disconnect", function (reason) {
        out({ev: "disconnect", cid: cid, reason: String(reason)});
    });
    const mgr = s.io;
    mgr.on("reconnect_attempt", function (n) {
        out({ev: "reconnect_attempt", cid: cid, attempt: n});
    });
    return c;
}

function need(msg, key) {
    if (msg[key] === undefined) throw new Error("missing " + key);
    return msg[key];
}

function client(msg) {
    const cid = need(msg, "cid");
    const c = clients.get(cid);
    if (!c) throw new Error("no client " + cid);
    return c;
}

function connectMany(msg) {
    const prefix = need(msg, "prefix");
    const count = need(msg, "count");
    const channel = msg.channel;
    const limit = msg.concurrency || 100;
    let next = 0;
    let inFlight = 0;
    let connected = 0;
    let subscribed = 0;
    let failed = 0;
    const errors = [];
    let finished = false;

    const finish = function () {
        if (finished) return;
        if (connected + failed < count) return;
        if (channel && subscribed + failed < count) return;
        finished = true;
        out({ev: "many_ready", req: msg.req, connected: connected,
             subscribed: subscribed, failed: failed,
             errors: errors.slice(0, 5)});
    };
    const settle = function () {
        inFlight--;
        pump();
        finish();
    };
    const pump = function () {
        while (inFlight < limit && next < count) {
            const cid = prefix + next;
            next++;
            inFlight++;
            const opts = Object.assign({reconnection: false}, msg.opts || {});
            const c = newClient(cid, {url: msg.url, namespace: msg.namespace,
                                      opts: opts, quiet: true});
            let settled = false;
            c.onConnect = function () {
                if (settled) return;
                settled = true;
                connected++;
                if (!channel) {
                    settle();
                    return;
                }
                c.subs.add(channel);
                subscribeVia(c, "subscribe", channel, function (args) {
                    if (args[0] === null || args[0] === undefined) subscribed++;
                    else {
                        failed++;
                        errors.push(cid + ": " + JSON.stringify(args));
                    }
                    settle();
                });
            };
            c.onConnectError = function (err) {
                if (settled) return;
                settled = true;
                failed++;
                errors.push(cid + ": " + String(err && err.message || err));
                settle();
            };
        }
    };
    if (count === 0) finish();
    pump();
}

const handlers = {
    connect(msg) {
        newClient(need(msg, "cid"), msg);
    },
    emit(msg) {
        const c = client(msg);
        const args = decode(msg.args || []);
        const event = need(msg, "event");
        if (msg.ack) {
            let done = false;
            const timer = setTimeout(function () {
                if (done) return;
                done = true;
                out({ev: "ack_timeout", cid: c.cid, req: msg.req});
            }, msg.timeout || 10000);
            c.socket.emit(event, ...args, function (...ackArgs) {
                if (done) return;
                done = true;
                clearTimeout(timer);
                out({ev: "ack", cid: c.cid, req: msg.req,
                     args: encode(ackArgs)});
            });
        } else {
            c.socket.emit(event, ...args);
        }
    },
    subscribe(msg) {
        const c = client(msg);
        const ch = need(msg, "channel");
        c.subs.add(ch);
        subscribeVia(c, "subscribe", ch, function (args) {
            out({ev: "subscribe_ack", cid: c.cid, req: msg.req, channel: ch,
                 args: encode(args)});
        });
    },
    unsubscribe(msg) {
        const c = client(msg);
        const ch = need(msg, "channel");
        c.subs.delete(ch);
        subscribeVia(c, "unsubscribe", ch, function (args) {
            out({ev: "unsubscribe_ack", cid: c.cid, req: msg.req,
                 channel: ch, args: encode(args)});
        });
    },
    set_ack_reply(msg) {
        const c = client(msg);
        c.ackReply = msg.reply === undefined ? [] : msg.reply;
        c.noAck = !!msg.noack;
    },
    disconnect(msg) {
        client(msg).socket.disconnect();
    },
    drop_transport(msg) {
        const c = client(msg);
        const engine = c.socket.io.engine;
        if (!engine) throw new Error("no engine");
        engine.close();
    },
    state(msg) {
        const c = client(msg);
        out({ev: "state", req: msg.req, cid: c.cid,
             connected: !!c.socket.connected, sid: c.socket.id || null,
             transport: transportName(c.socket), subs: Array.from(c.subs),
             connects: c.connects});
    },
    connect_many(msg) {
        connectMany(msg);
    },
    counts(msg) {
        const prefix = need(msg, "prefix");
        const event = need(msg, "event");
        const counts = {}, disorder = {};
        for (const [cid, c] of clients) {
            if (!cid.startsWith(prefix)) continue;
            counts[cid] = c.counts[event] || 0;
            disorder[cid] = c.disorder[event] || 0;
        }
        out({ev: "counts", req: msg.req, counts: counts, disorder: disorder});
    },
    close_all(msg) {
        for (const c of clients.values()) {
            try { c.socket.disconnect(); } catch (e) { /* ignore */ }
        }
        clients.clear();
    },
    hello(msg) {
        out({ev: "hello", req: msg.req, flavour: flavour,
             ext: !!ext, extError: extError});
    },
    exit(msg) {
        handlers.close_all(msg);
        setTimeout(function () { process.exit(0); }, 50);
    },
};

process.on("uncaughtException", function (e) {
    out({ev: "fatal", message: String(e && e.stack || e)});
});

const rl = readline.createInterface({input: process.stdin});
rl.on("line", function (line) {
    line = line.trim();
    if (!line) return;
    let msg;
    try {
        msg = JSON.parse(line);
    } catch (e) {
        out({ev: "error", message: "bad JSON: " + e.message});
        return;
    }
    const h = handlers[msg.cmd];
    try {
        if (!h) throw new Error("unknown command " + msg.cmd);
        h(msg);
        if (msg.req !== undefined) out({ev: "ok", req: msg.req});
    } catch (e) {
        out({ev: "error", req: msg.req, message: String(e && e.message || e)});
    }
});
rl.on("close", function () {
    for (const c of clients.values()) {
        try { c.socket.disconnect(); } catch (e) { /* ignore */ }
    }
    setTimeout(function () { process.exit(0); }, 50);
});
out({ev: "ready", flavour: flavour, ext: !!ext});
