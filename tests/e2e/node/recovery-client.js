#!/usr/bin/env node
// Test driver of connection state recovery for socket.io-client 4.x, used
// by tests/e2e/test_recovery.py (class RecoveryClient): what a user of
// socket.io's connectionStateRecovery looks at, socket.recovered, socket.id
// and the events in order.
//
//   node tests/e2e/node/recovery-client.js
//
// One JSON command per line on stdin, one JSON report per line on stdout;
// every command carries "req" and is answered {"ev":"ok","req":R} (or
// {"ev":"error",...}). Sockets are named by a client id ("cid").
// Commands:
//   connect  cid url [namespace="/"] [opts]   opts go to io() (transports,
//            auth, reconnection, reconnectionDelay, ...); forceNew is set
//   cut      cid   socket.io.engine.close(): the connection drops under
//            the socket, as a network failure would
//   open     cid   socket.connect() (after a cut with reconnection false)
//   uri      cid url   the manager's next (re)connection goes to `url`
//            (another node of the fleet)
//   emit     cid event [args]
//   disconnect cid
//   exit
// Reports: connect {cid sid recovered pid transport}, connect_error {cid
// message}, disconnect {cid reason}, event {cid event args}.
"use strict";

const path = require("path");
const readline = require("readline");

function load(name) {
    const dirs = [];
    if (process.env.SOCKETIOD_NODE_MODULES)
        dirs.push(process.env.SOCKETIOD_NODE_MODULES);
    dirs.push(path.resolve(__dirname, "..", "..", "node_modules"));
    for (const d of dirs) {
        try {
            return require(path.join(d, name));
        } catch (e) { /* the next */ }
    }
    return require(name);
}

const io = load("socket.io-client");
const sockets = new Map();

function out(obj) {
    process.stdout.write(JSON.stringify(obj) + "\n");
}

const commands = {
    connect(msg) {
        const opts = Object.assign({forceNew: true}, msg.opts || {});
        const s = io(msg.url + (msg.namespace || "/"), opts);
        const cid = msg.cid;
        sockets.set(cid, s);
        s.on("connect", function () {
            out({ev: "connect", cid: cid, sid: s.id, recovered: s.recovered,
                 pid: s._pid === undefined ? null : s._pid,
                 transport: s.io.engine.transport.name});
        });
        s.on("connect_error", function (err) {
            out({ev: "connect_error", cid: cid,
                 message: String(err && err.message || err)});
        });
        s.on("disconnect", function (reason) {
            out({ev: "disconnect", cid: cid, reason: String(reason)});
        });
        s.onAny(function (event, ...args) {
            out({ev: "event", cid: cid, event: event, args: args});
        });
    },
    cut(msg) {
        sockets.get(msg.cid).io.engine.close();
    },
    open(msg) {
        sockets.get(msg.cid).connect();
    },
    uri(msg) {
        sockets.get(msg.cid).io.uri = msg.url;
    },
    emit(msg) {
        sockets.get(msg.cid).emit(msg.event, ...(msg.args || []));
    },
    disconnect(msg) {
        sockets.get(msg.cid).disconnect();
    },
    exit() {
        for (const s of sockets.values()) s.disconnect();
        setTimeout(() => process.exit(0), 50);
    },
};

readline.createInterface({input: process.stdin}).on("line", function (line) {
    let msg;
    try {
        msg = JSON.parse(line);
        if (!commands[msg.cmd]) throw new Error("unknown command " + msg.cmd);
        commands[msg.cmd](msg);
        if (msg.req !== undefined) out({ev: "ok", req: msg.req});
    } catch (e) {
        out({ev: "error", req: msg && msg.req, message: String(e)});
    }
}).on("close", function () {
    process.exit(0);
});

out({ev: "ready"});
