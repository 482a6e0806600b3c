// Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
// cluster-peer: a Node socket.io 4 server with @socket.io/redis-adapter
// (the classic one) whose cluster APIs the test calls, for
// tests/e2e/test_redis_answers.py (started through test_redis.NodePeer).
//
//   PORT=0 REDIS_URL=redis://127.0.0.1:P [KEY=socket.io] node cluster-peer.js
//
// Prints {"ev":"ready","port":N}. Its clients may emit "subscribe" (channel,
// ack) to join a room. Commands, each answered by {"ev":"done","req":R,
// "value":V,"ms":M} (M: milliseconds the call took) or {"ev":"error",
// "req":R,"message":...,"ms":M}:
//   {"req":R,"cmd":"fetchSockets","nsp":"/","to":[...],"except":[...]}
//       V: [{id, rooms, handshake, data}] sorted by id
//   {"req":R,"cmd":"allRooms","nsp":"/"}            V: sorted room names
//   {"req":R,"cmd":"serverCount","nsp":"/"}         V: a number
//   {"req":R,"cmd":"serverSideEmit","nsp":"/","event":E,"args":[...],
//    "ack":false}                                   V: null, or (ack) the
//       responses of serverSideEmitWithAck (its timeout: 5 s)
//   {"req":R,"cmd":"emitWithAck","nsp":"/","event":E,"args":[...],
//    "to":[...],"timeout":3000}                     V: the responses
//   {"req":R,"cmd":"request","nsp":"/","request":{...},"wait":MS,
//    "count":N} publishes the request (a requestId added) on the request
//       channel as JSON, or "raw": a string published as it is; V: the
//       answers carrying that requestId, after N of them or MS (the
//       peer's own adapter reads the request too, if it serves nsp: one
//       that Node cannot take crashes it, so malformed ones go to a
//       namespace only socketiod serves)
//   {"req":R,"cmd":"publish","channel":C,"data":S}  publishes S as it is
//   {"req":R,"cmd":"serverSideEvents"}              V: serverSideEmit
//       events this node received: [[event, args...]]
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

// {"_binary": base64} in a command's args becomes a Buffer.
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
  const raw = pub.duplicate();
  const rawSub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect(), raw.connect(),
                     rawSub.connect()]);
  const srv = http.createServer();
  const io = new Server(srv, {
    adapter: createAdapter(pub, sub, { key, requestsTimeout: 5000 }),
  });
  const sse = [];
  const onConnection = (socket) => {
    socket.on("subscribe", (ch, ack) => {
      socket.join(ch);
      if (typeof ack === "function") ack(null, ch);
    });
  };
  for (const n of ["/", "/admin"]) {
    io.of(n).on("connection", onConnection);
    io.of(n).on("hello", (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop()
                                                                 : null;
      sse.push([n, ...args]);
      if (ack) ack("node says hi");
    });
  }
  // Answers to raw requests, by requestId.
  const answers = new Map();
  await rawSub.pSubscribe(key + "-response#*", (msg) => {
    let m;
    try {
      m = msg[0] === "{" ? JSON.parse(msg) : null;
    } catch (e) {
      return;
    }
    if (m && answers.has(m.requestId)) answers.get(m.requestId).push(m);
  });
  let nextId = 0;
  const commands = {
    async fetchSockets(m) {
      let op = io.of(m.nsp || "/");
      if (m.to && m.to.length) op = op.in(m.to);
      if (m.except && m.except.length) op = op.except(m.except);
      const socks = await op.fetchSockets();
      return socks.map((s) => ({ id: s.id, rooms: [...s.rooms],
                                 handshake: s.handshake, data: s.data }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    async allRooms(m) {
      return [...(await io.of(m.nsp || "/").adapter.allRooms())].sort();
    },
    async serverCount(m) {
      return await io.of(m.nsp || "/").adapter.serverCount();
    },
    async serverSideEmit(m) {
      const nsp = io.of(m.nsp || "/");
      if (!m.ack) {
        nsp.serverSideEmit(m.event, ...(m.args || []));
        return null;
      }
      return await nsp.serverSideEmitWithAck(m.event, ...(m.args || []));
    },
    async emitWithAck(m) {
      let op = io.of(m.nsp || "/");
      if (m.to && m.to.length) op = op.to(m.to);
      return await op.timeout(m.timeout || 3000)
        .emitWithAck(m.event, ...unbinary(m.args || []));
    },
    async request(m) {
      const requestId = "t" + ++nextId;
      const got = [];
      answers.set(requestId, got);
      const body = m.raw !== undefined ? m.raw
        : JSON.stringify(Object.assign({ uid: "tester", requestId },
                                       m.request));
      await raw.publish(key + "-request#" + (m.nsp || "/") + "#", body);
      const end = Date.now() + (m.wait || 3000);
      while (got.length < (m.count === undefined ? 1 : m.count) &&
             Date.now() < end)
        await new Promise((r) => setTimeout(r, 2));
      answers.delete(requestId);
      return got;
    },
    async publish(m) {
      await raw.publish(m.channel, m.data);
      return null;
    },
    async serverSideEvents() {
      return sse;
    },
  };
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", async (line) => {
    let m;
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    try {
      m = JSON.parse(line);
      if (!commands[m.cmd]) throw new Error("unknown command " + m.cmd);
      const value = await commands[m.cmd](m);
      out({ ev: "done", req: m.req, value, ms: ms() });
    } catch (e) {
      out({ ev: "error", req: m && m.req, message: String(e), ms: ms() });
    }
  });
  rl.on("close", () => process.exit(0));
  srv.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
    setTimeout(() => out({ ev: "ready", port: srv.address().port }), 200);
  });
}

main().catch((e) => {
  out({ ev: "fatal", message: String(e) });
  process.exit(1);
});
