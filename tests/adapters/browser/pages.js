#!/usr/bin/env node
// A small line protocol over headless Chromium (playwright-core), so a
// Python test can open pages, restart the daemon between steps and check
// what each page saw:
//
//   node pages.js '{"chromium": "/usr/bin/chromium"}'
//   stdin, one JSON per line:  {"cmd": "open", "id": "a", "url": "..."}
//                              {"cmd": "wait", "id": "a", "expr": "js", "timeout": ms}
//                              {"cmd": "eval", "id": "a", "expr": "js"}
//                              {"cmd": "quit"}
//   stdout, one JSON per command: {"ok": true, "value": ...} or
//                                 {"ok": false, "error": ..., "logs": [...]}
// Each page has its own browser context (its own cookies). "logs" are the
// pages' console lines and errors.
"use strict";

const readline = require("readline");
const {chromium} = require("playwright-core");

const cfg = JSON.parse(process.argv[2] || "{}");

async function main() {
    const browser = await chromium.launch({
        executablePath: cfg.chromium || "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
    const pages = {};
    const logs = [];
    const reply = (r) => process.stdout.write(JSON.stringify(r) + "\n");
    const rl = readline.createInterface({input: process.stdin});
    for await (const line of rl) {
        let c;
        try {
            c = JSON.parse(line);
            if (c.cmd === "quit")
                break;
            if (c.cmd === "open") {
                const page = await (await browser.newContext()).newPage();
                page.on("console", m => logs.push(c.id + ": " + m.text()));
                page.on("pageerror", e => logs.push(c.id + ": pageerror " + e));
                pages[c.id] = page;
                await page.goto(c.url);
                reply({ok: true});
            } else if (c.cmd === "wait") {
                const h = await pages[c.id].waitForFunction(c.expr, null,
                                                             {timeout: c.timeout || 15000});
                reply({ok: true, value: await h.jsonValue()});
            } else if (c.cmd === "eval") {
                reply({ok: true, value: await pages[c.id].evaluate(c.expr)});
            } else {
                reply({ok: false, error: "unknown command " + c.cmd});
            }
        } catch (e) {
            reply({ok: false, error: String(e && e.stack || e), logs: logs.slice(-40)});
        }
    }
    await browser.close();
}

main().catch(e => {
    process.stdout.write(JSON.stringify({ok: false, error: String(e && e.stack || e)}) + "\n");
    process.exit(1);
});
