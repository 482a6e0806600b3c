// Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
// node-server: the Node socket.io 4 peer that bench/run.sh measures, as a
// user would run it: WebSocket transport only, the default ws engine, no
// compression; with REDIS_URL, @socket.io/redis-adapter so that other
// processes can emit through @socket.io/redis-emitter (bench/node-emit.js).
//
//   PORT=3100 [HOST=127.0.0.1] [REDIS_URL=redis://127.0.0.1:6390] node node-server.js
//
// Bench endpoints on the same port (plain HTTP, answered at once):
//   GET /__bench/bcast?count=K&interval=MS&batch=B&first=S[&global=1]
//        K broadcasts io.local.emit("tick", seq, t_us), seq from S; B of them
//        per turn of the event loop, turns MS apart (0: the next turn,
//        after I/O). "local" keeps these off Redis: the direct path. With
//        global=1, io.emit: through the adapter to every node of the fleet
//        (the two-node phase's own path).
//   GET /__bench/stop    cancels the running broadcasts
//   GET /__bench/stats   {"pid","conns","rss","heapUsed"} after a full GC
//                        (when node runs with --expose-gc)
// t_us is CLOCK_MONOTONIC in microseconds (process.hrtime), the clock the
// load generator reads.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const PORT = Number(process.env.PORT || 3100);
const HOST = process.env.HOST || "127.0.0.1";

function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

let io = null;
let job = null;

function stopJob() {
  if (job) {
    job.stopped = true;
    clearTimeout(job.timer);
    clearImmediate(job.timer);
    job = null;
  }
}

function startJob(count, intervalMs, batch, first, global) {
  stopJob();
  const target = global ? io : io.local;
  const j = { stopped: false, timer: null };
  let seq = first;
  const end = first + count;
  const step = () => {
    if (j.stopped) return;
    for (let b = 0; b < batch && seq < end; b++) target.emit("tick", seq++, nowUs());
    if (seq >= end) {
      if (job === j) job = null;
      return;
    }
    j.timer = intervalMs > 0 ? setTimeout(step, intervalMs) : setImmediate(step);
  };
  job = j;
  step();
}

function bench(req, res) {
  const url = new URL(req.url, "http://x");
  const q = (k, d) => (url.searchParams.has(k) ? Number(url.searchParams.get(k)) : d);
  let body = "ok\n";
  if (url.pathname === "/__bench/bcast") {
    startJob(q("count", 1), q("interval", 0), Math.max(1, q("batch", 1)), q("first", 0), q("global", 0) === 1);
  } else if (url.pathname === "/__bench/stop") {
    stopJob();
  } else if (url.pathname === "/__bench/stats") {
    if (typeof global.gc === "function") global.gc();
    const m = process.memoryUsage();
    body = JSON.stringify({ pid: process.pid, conns: io.engine.clientsCount, rss: m.rss, heapUsed: m.heapUsed });
  } else {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "Content-Type": "text/plain", Connection: "close" }).end(body);
}

async function main() {
  // Registered before socket.io attaches: engine.io passes it every request
  // outside its own path.
  const httpServer = http.createServer(bench);
  io = new Server(httpServer, {
    serveClient: false,
    transports: ["websocket"],
    perMessageDeflate: false,
  });
  if (process.env.REDIS_URL) {
    const { createClient } = require("redis");
    const { createAdapter } = require("@socket.io/redis-adapter");
    const pub = createClient({ url: process.env.REDIS_URL });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  httpServer.listen({ port: PORT, host: HOST, backlog: 4096 }, () => {
    console.log(`node-server: listening on ${HOST}:${PORT}${process.env.REDIS_URL ? " with the redis adapter" : ""}`);
  });
  process.on("SIGTERM", () => process.exit(0));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
