// Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
// fleet-peer: a Node socket.io 4 server with @socket.io/redis-adapter (the
// classic one), for tests/e2e/test_redis_fleet.py: the node whose sockets
// socketiod's control RPC lists, joins, disconnects and emits to.
//
//   PORT=0 REDIS_URL=redis://127.0.0.1:P [KEY=socket.io] node fleet-peer.js
//
// Prints {"ev":"ready","port":N} once listening with the adapter subscribed.
// Its clients may emit "subscribe" (channel, ack) to join a room. Commands
// on stdin, each answered by {"ev":"done","req":R,...} (or "error"):
//   {"req":R,"cmd":"rooms","nsp":"/","sid":S} -> "rooms": [...] or null
//     (null: no such socket here)
"use strict";

const http = require("node:http");
const readline = require("node:readline");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const key = process.env.KEY || "socket.io";

function out(o) {
  process.stdout.write(JSON.stringify(o) + "\n");
}

async function main() {
  const url = process.env.REDIS_URL;
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const srv = http.createServer();
  const io = new Server(srv, { adapter: createAdapter(pub, sub, { key }) });
  const onConnection = (socket) => {
    socket.on("subscribe", (ch, ack) => {
      socket.join(ch);
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
      if (m.cmd !== "rooms") throw new Error("unknown command " + m.cmd);
      const s = io.of(m.nsp || "/").sockets.get(m.sid);
      out({ ev: "done", req: m.req, rooms: s ? [...s.rooms] : null });
    } catch (e) {
      out({ ev: "error", req: m && m.req, message: String(e) });
    }
  });
  rl.on("close", () => process.exit(0));
  srv.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
    // The adapters subscribe asynchronously: give them a moment.
    setTimeout(() => out({ ev: "ready", port: srv.address().port }), 200);
  });
}

main().catch((e) => {
  out({ ev: "fatal", message: String(e) });
  process.exit(1);
});
