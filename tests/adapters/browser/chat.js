#!/usr/bin/env node
// Browser test of the example chat apps: headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core.
//
//   node chat.js '{"base": "http://127.0.0.1:8000", "app": "django",
//                  "shots": "/path/to/dir"}'
//
// Two browser contexts (two users with their own cookies) open the same
// room; each joins, one sends a message, the other must show it; with
// "app": "django" the first user signs in (its Django user name is its
// chat name) and a staff user sends a system message from the admin view.
// Screenshots of both pages go to "shots". Prints one JSON line: {"ok":
// true, ...} or {"ok": false, "error": ...}; exits non-zero on failure.
"use strict";

const path = require("path");
const {chromium} = require("playwright-core");

const cfg = JSON.parse(process.argv[2]);
const T = cfg.timeout || 15000;

async function text(page, sel) {
    return page.locator(sel).innerText({timeout: T});
}

async function waitText(page, sel, want) {
    await page.waitForFunction(
        ([s, w]) => { const e = document.querySelector(s); return e && e.innerText.includes(w); },
        [sel, want], {timeout: T});
}

async function login(page, user) {
    await page.goto(cfg.base + "/accounts/login/?next=/");
    await page.fill("#id_username", user);
    await page.fill("#id_password", user);
    await Promise.all([page.waitForURL(cfg.base + "/"), page.click("#login")]);
}

async function main() {
    const browser = await chromium.launch({
        executablePath: cfg.chromium || "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
    const logs = [];
    const result = {ok: false};
    let pages = [];
    try {
        const ctxs = [await browser.newContext(), await browser.newContext()];
        pages = [await ctxs[0].newPage(), await ctxs[1].newPage()];
        pages.forEach((p, i) => p.on("console", m => logs.push(i + ": " + m.text())));
        const [a, b] = pages;
        let nameA = "alice";
        if (cfg.app === "django") {
            await login(a, "ann");
            nameA = "ann";
        } else {
            await a.goto(cfg.base + "/");
        }
        // create a room from the list page; land in it
        await a.fill("#room-name", "Lobby " + cfg.app);
        await Promise.all([a.waitForURL(u => u.toString() !== cfg.base + "/"), a.click("#create")]);
        const roomUrl = a.url();
        if (cfg.app !== "django") {
            await a.fill("#message", nameA);
            await a.click("#submit");
        }
        await waitText(a, "#messages", nameA + ": joins");
        // the second user: the room is listed; join by name
        await b.goto(cfg.base + "/");
        await waitText(b, "#rooms", "Lobby " + cfg.app);
        await b.goto(roomUrl);
        await b.fill("#message", "bob");
        await b.click("#submit");
        await waitText(b, "#messages", "bob: joins");
        await waitText(b, "#users", nameA);
        await waitText(a, "#messages", "bob: joins");
        await waitText(a, "#users", "bob");
        // a message from b reaches a
        await b.fill("#message", "hello from bob");
        await b.click("#submit");
        await waitText(a, "#messages", "bob: hello from bob");
        await a.fill("#message", "hi bob, " + nameA + " here");
        await a.click("#submit");
        await waitText(b, "#messages", nameA + ": hi bob, " + nameA + " here");
        if (cfg.app === "django") {
            // a staff user's out-of-band system message reaches the room
            const admin = await (await browser.newContext()).newPage();
            await login(admin, "admin");
            await admin.goto(cfg.base + "/system_message/");
            await admin.fill("#message", "maintenance soon");
            await admin.click("#send");
            await waitText(admin, "#result", "Message sent");
        } else {
            const r = await a.request.post(cfg.base + "/system_message/",
                {form: {room: "", message: "maintenance soon"}});
            if (!r.ok()) throw new Error("system message: HTTP " + r.status());
        }
        await waitText(a, "#messages", "SYSTEM: maintenance soon");
        await waitText(b, "#messages", "SYSTEM: maintenance soon");
        // b leaves: a sees the notice
        await pages[1].close();
        await waitText(a, "#messages", "bob: leaves");
        result.shots = [];
        const shot = path.join(cfg.shots, "chat-" + cfg.app + ".png");
        await a.screenshot({path: shot, fullPage: true});
        result.shots.push(shot);
        result.messages = await text(a, "#messages");
        result.ok = true;
    } catch (e) {
        result.error = String(e && e.stack || e);
        result.logs = logs.slice(-30);
        for (let i = 0; i < pages.length; i++) {
            try {
                if (!pages[i].isClosed())
                    await pages[i].screenshot({path: path.join(cfg.shots, "failed-" + cfg.app + "-" + i + ".png")});
            } catch (e2) { /* ignore */ }
        }
    } finally {
        await browser.close();
    }
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(result.ok ? 0 : 1);
}

main().catch(e => {
    process.stdout.write(JSON.stringify({ok: false, error: String(e && e.stack || e)}) + "\n");
    process.exit(1);
});
