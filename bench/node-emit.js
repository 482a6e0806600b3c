// Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
// node-emit: the out-of-band emit path of Node socket.io: another process
// emits through @socket.io/redis-emitter, redis-server carries it, and the
// server's redis adapter delivers it (bench/node-server.js with REDIS_URL).
//
//   REDIS_URL=redis://127.0.0.1:6390 node node-emit.js COUNT INTERVAL_MS FIRST_SEQ [SECONDS]
//
// Emits COUNT ("tick", seq, t_us) to everyone, INTERVAL_MS apart (0: back to
// back, 64 per turn so that the client's pipeline flushes), stops after
// SECONDS or on SIGTERM; prints {"sent","secs"} once Redis has taken them.
"use strict";

const { createClient } = require("redis");
const { Emitter } = require("@socket.io/redis-emitter");

function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

async function main() {
  const [count, intervalMs, first, seconds] = process.argv.slice(2).map(Number);
  const client = createClient({ url: process.env.REDIS_URL });
  await client.connect();
  const emitter = new Emitter(client);
  let stop = false;
  process.on("SIGTERM", () => (stop = true));
  const t0 = Date.now();
  const deadline = seconds > 0 ? t0 + seconds * 1000 : Infinity;
  let sent = 0;
  while (!stop && sent < count && Date.now() < deadline) {
    if (intervalMs > 0) {
      emitter.emit("tick", first + sent++, nowUs());
      await new Promise((r) => setTimeout(r, intervalMs));
    } else {
      for (let b = 0; b < 64 && sent < count; b++) emitter.emit("tick", first + sent++, nowUs());
      await new Promise((r) => setImmediate(r));
    }
  }
  await client.quit(); // resolves after every queued PUBLISH was answered
  console.log(JSON.stringify({ sent, secs: (Date.now() - t0) / 1000 }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
