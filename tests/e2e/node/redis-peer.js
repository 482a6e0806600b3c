// Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
// redis-peer: a Node socket.io 4 server with @socket.io/redis-adapter (the
// classic one) and an @socket.io/redis-emitter, driven by JSON lines on
// stdin, for tests/e2e/test_redis.py.
//
//   PORT=0 REDIS_URL=redis://127.0.0.1:P [KEY=socket.io] node redis-peer.js
//
// Prints {"ev":"ready","port":N} once listening with the adapter subscribed.
// Its clients may emit "subscribe"/"unsubscribe" (channel, ack) to join or
// leave a room, as socketiod's channels. Commands, each answered by
// {"ev":"done","req":R} (or {"ev":"error","req":R,"message":...}):
//   {"req":R,"cmd":"emit","via":"server"|"emitter","nsp":"/","event":E,
//    "args":[...],"to":[rooms],"except":[rooms],"volatile":false}
//   {"req":R,"cmd":"socketsJoin"|"socketsLeave","via":...,"nsp":...,
//    "to":[...],"except":[...],"rooms":[...]}
//   {"req":R,"cmd":"disconnectSockets","via":...,"nsp":...,"to":[...],
//    "except":[...],"close":false}
// Binary values are {"_binary": base64} both ways, as in client.js.
"use strict";

const http = require("node:http");
const readline = require("node:readline");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { Emitter } = require("@socket.io/redis-emitter");
const { createClient } = require("redis");

const key = process.env.KEY || "socket.io";

function out(o) {
  process.stdout.write(JSON.stringify(o) + "\n");
}

function unbinary(v) {
  if (Array.isArray(v)) return v.map(unbinary);
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "_binary")
      return Buffer.from(v._binary, "base64");
    const o = {};
    for (const k of keys) o[k] = unbinary(v[k]);
    return o;
  }
  return v;
}

async function main() {
  const url = process.env.REDIS_URL;
  const pub = createClient({ url });
  const sub = pub.duplicate();
  const epub = pub.duplicate();
  // Without a listener, node-redis's "error" (Redis stopped) would kill
  // the process; it reconnects by itself.
  for (const c of [pub, sub, epub]) c.on("error", () => {});
  await Promise.all([pub.connect(), sub.connect(), epub.connect()]);
  const srv = http.createServer();
  const io = new Server(srv, { adapter: createAdapter(pub, sub, { key }) });
  const emitter = new Emitter(epub, { key });
  const onConnection = (socket) => {
    socket.on("subscribe", (ch, ack) => {
      socket.join(ch);
      if (typeof ack === "function") ack(null, ch);
    });
    socket.on("unsubscribe", (ch, ack) => {
      socket.leave(ch);
      if (typeof ack === "function") ack(null, ch);
    });
  };
  io.on("connection", onConnection);
  io.of("/admin").on("connection", onConnection);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    let m;
    try {
      m = JSON.parse(line);
      if (!["emit", "socketsJoin", "socketsLeave", "disconnectSockets"]
          .includes(m.cmd)) throw new Error("unknown command " + m.cmd);
      let op = m.via === "emitter" ? emitter.of(m.nsp || "/")
                                   : io.of(m.nsp || "/");
      if (m.to && m.to.length) op = op.to(m.to);
      if (m.except && m.except.length) op = op.except(m.except);
      if (m.volatile) op = op.volatile;
      if (m.cmd === "emit") op.emit(m.event, ...unbinary(m.args || []));
      else if (m.cmd === "disconnectSockets") op.disconnectSockets(!!m.close);
      else op[m.cmd](m.rooms);
      out({ ev: "done", req: m.req });
    } catch (e) {
      out({ ev: "error", req: m && m.req, message: String(e) });
    }
  });
  rl.on("close", () => process.exit(0));
  srv.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
    // The adapters PSUBSCRIBE asynchronously: a PING round trip on the
    // subscriber after it says they are in place.
    setTimeout(() => out({ ev: "ready", port: srv.address().port }), 200);
  });
}

main().catch((e) => {
  out({ ev: "fatal", message: String(e) });
  process.exit(1);
});
