#!/usr/bin/env node
// The real @socket.io/admin-ui dashboard (its ui/dist, served by the
// daemon's admin listener) in headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core, for
// tests/e2e/test_admin_ui.py.
//
//   node admin-ui-browser.js '{"ui": "http://127.0.0.1:A/admin-ui/",
//       "server": "http://127.0.0.1:P", "username": ..., "password": ...,
//       "sids": [...], "room": "lobby", "victim": SID, "hostname": ...,
//       "shots": DIR}'
//
// Logs in through the UI's connection form as an operator does, waits for
// the sockets page to list every sid, the servers page the host (from
// server_stats) and the rooms page the room, then
// disconnects "victim" with its button on the sockets page and waits for
// its row to go. Requests off the two origins (the UI's web fonts and
// icons from CDNs) are refused: the test runs offline. Screenshots go to
// "shots". Prints one JSON line {"ok": true, "shots": [...]} or {"ok":
// false, "error": ...}; exits non-zero on failure.
"use strict";

const path = require("path");
const {chromium} = require("playwright-core");

const cfg = JSON.parse(process.argv[2]);
const T = cfg.timeout || 20000;

async function main() {
    const browser = await chromium.launch({
        executablePath: cfg.chromium || "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
    const logs = [];
    const result = {ok: false, shots: []};
    let page;
    const shot = async (name) => {
        await page.waitForTimeout(600); // the page's fade-in transition
        const file = path.join(cfg.shots, "admin-ui-" + name + ".png");
        await page.screenshot({path: file, fullPage: true});
        result.shots.push(file);
    };
    try {
        const ctx = await browser.newContext({viewport: {width: 1400, height: 900}});
        const ui = new URL(cfg.ui).origin, server = new URL(cfg.server).origin;
        await ctx.route("**/*", (route) => {
            const o = new URL(route.request().url()).origin;
            return o === ui || o === server ? route.continue() : route.abort();
        });
        page = await ctx.newPage();
        page.on("console", m => logs.push(m.text()));
        page.on("pageerror", e => logs.push("pageerror: " + e.message));
        await page.goto(cfg.ui);
        await page.getByLabel("Server URL").fill(cfg.server, {timeout: T});
        await page.getByLabel("Username").fill(cfg.username);
        await page.getByLabel("Password").fill(cfg.password);
        await shot("login");
        await page.getByRole("button", {name: "Connect"}).click();
        await page.getByLabel("Server URL").waitFor({state: "hidden", timeout: T});
        await page.goto(cfg.ui + "#/sockets/");
        for (const sid of cfg.sids)
            await page.getByText(sid, {exact: true}).first().waitFor({timeout: T});
        await shot("sockets");
        await page.goto(cfg.ui + "#/servers/");
        await page.getByText(cfg.hostname, {exact: true}).first().waitFor({timeout: T});
        await shot("servers");
        await page.goto(cfg.ui + "#/");
        // the namespaces card, from server_stats
        await page.getByText("/admin", {exact: true}).first().waitFor({timeout: T});
        await shot("dashboard");
        await page.goto(cfg.ui + "#/rooms/");
        await page.getByText(cfg.room, {exact: true}).first().waitFor({timeout: T});
        await shot("rooms");
        await page.goto(cfg.ui + "#/sockets/");
        const row = page.locator("tbody tr", {hasText: cfg.victim});
        await row.waitFor({timeout: T});
        await row.locator("button").first().click();
        // (the click opens the socket's page too, as a click on its row)
        await page.goto(cfg.ui + "#/sockets/");
        await page.getByText(cfg.sids.find(s => s !== cfg.victim), {exact: true})
            .first().waitFor({timeout: T});
        await page.waitForFunction(
            (sid) => !document.body.innerText.includes(sid), cfg.victim,
            {timeout: T});
        await shot("after-disconnect");
        result.ok = true;
    } catch (e) {
        result.error = String(e && e.stack || e);
        result.logs = logs.slice(-30);
        try {
            if (page) await shot("failure");
        } catch (e2) { /* the error above says more */ }
    } finally {
        await browser.close();
    }
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(result.ok ? 0 : 1);
}

main();
