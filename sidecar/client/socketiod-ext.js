/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* socketiod-ext: socket.subscribe()/unsubscribe() for socket.io-client 2.x and 4.x, and the 0.6-0.9 options and events old pages use. */
/*
 * socketiod joins a socket to a channel when the client emits the reserved
 * event "subscribe" with the channel name (and leaves it on "unsubscribe");
 * it acks with (null, channel) or ("error text"). Channels belong to the
 * server-side socket, so they are lost whenever the connection is: this
 * extension remembers them and subscribes again after every reconnect.
 *
 *   socket.subscribe("lobby", function (err, channel) { ... });
 *   socket.unsubscribe("lobby");
 *
 * Browser: the daemon serves socket.io.js = the official bundle followed by
 * this file, so it patches the global `io` that the bundle just defined.
 * Node:    require("./socketiod-ext.js")(require("socket.io-client")).
 *
 * Written in ES5 on purpose: it runs wherever the v2 bundle runs.
 */
(function (root) {
    "use strict";

    // Per-socket state lives on the socket under one key; a plain object is
    // used as a set so that old browsers (v2 era) need no Set.
    var KEY = "_socketiod";

    function state(socket) {
        var st = socket[KEY];
        if (st)
            return st;
        st = socket[KEY] = {
            channels: {},     // every channel the app wants, in order
            buffered: {},     // emitted while down: the client's own send
                              // buffer will deliver these on connect
            live: {},         // emitted on the current connection
            connectedOnce: !!socket.connected
        };
        // Both v2 and v4 emit "connect" on every (re)connection of the
        // namespace socket, after flushing the send buffer. The first one
        // needs nothing: subscribes made before it were buffered in order
        // with the app's other emits. After that, the server has a new,
        // empty socket, so every channel is subscribed again, except those
        // the page's own "connect" listener has subscribed already.
        socket.on("connect", function () {
            var ch;
            if (st.connectedOnce) {
                for (ch in st.channels) {
                    if (!st.buffered.hasOwnProperty(ch) &&
                        !st.live.hasOwnProperty(ch)) {
                        st.live[ch] = true;
                        socket.emit("subscribe", ch);
                    }
                }
            }
            st.connectedOnce = true;
            st.buffered = {};
        });
        socket.on("disconnect", function () {
            st.live = {};
        });
        return st;
    }

    function check(channel) {
        if (typeof channel !== "string" || channel === "")
            throw new TypeError("socketiod: channel must be a non-empty string");
    }

    // Socket.IO 0.6-0.9 transport names (pages written for
    // django-socketio, django-realtime, webpy-socketio) as today's client
    // knows them; "flashsocket" has no counterpart and is dropped. An
    // unknown name would make the client throw at connect.
    var OLD_TRANSPORTS = {
        "xhr-polling": "polling", "jsonp-polling": "polling",
        "htmlfile": "polling", "xhr-multipart": "polling",
        "flashsocket": null
    };

    function transports(list) {
        var out = [], i, t;
        for (i = 0; i < list.length; i++) {
            t = list[i];
            if (typeof t === "string" && OLD_TRANSPORTS.hasOwnProperty(t))
                t = OLD_TRANSPORTS[t];
            if (t !== null && out.indexOf(t) < 0)
                out.push(t);
        }
        return out.length ? out : undefined; // none left: the default
    }

    // The 0.9 client fired "reconnecting", "reconnect", "reconnect_failed"
    // and "error" on the socket; 3.x/4.x fire the first three on the
    // Manager only and "connect_error" instead of "error". 2.x forwards
    // them itself, so this runs for clients with emitReserved (3.x/4.x).
    function forward(manager, socket) {
        var retrying = false;
        manager.on("reconnect_attempt", function (n) {
            retrying = true;
            socket.emitReserved("reconnecting", manager.reconnectionDelay(), n);
        });
        manager.on("reconnect", function (n) {
            var e = manager.engine;
            socket.emitReserved("reconnect", e && e.transport && e.transport.name, n);
        });
        // Retrying until the socket itself is back: the Manager's
        // "reconnect" comes when the transport opens, and a poll that
        // fails before the namespace CONNECT is still part of retrying.
        socket.on("connect", function () {
            retrying = false;
        });
        manager.on("reconnect_failed", function () {
            retrying = false;
            socket.emitReserved("reconnect_failed");
        });
        socket.on("connect_error", function (err) {
            var reason;
            if (retrying)
                return;
            // 0.9 passed the reason as a string: this prints as one and
            // still carries the refusal's data.
            reason = new Error(err && err.message || String(err));
            reason.data = err && err.data;
            reason.toString = function () { return this.message; };
            socket.emitReserved("error", reason);
        });
    }

    function install(io) {
        // v4 exposes io.Socket (the UMD bundle's lookup function carries
        // Manager, Socket, io, connect); v2's dist does the same.
        var proto = io && io.Socket && io.Socket.prototype;
        if (!proto)
            throw new Error("socketiod: io.Socket not found; load socket.io-client first");
        if (proto.subscribe)
            return io; // installed already (or a future client has its own)

        var mproto = io.Manager && io.Manager.prototype;
        if (mproto && mproto.open) {
            var open = mproto.open;
            mproto.open = function () {
                var o = this.opts;
                if (o && Object.prototype.toString.call(o.transports) === "[object Array]")
                    o.transports = transports(o.transports);
                return open.apply(this, arguments);
            };
        }
        if (mproto && mproto.socket && typeof proto.emitReserved === "function") {
            var socket = mproto.socket;
            mproto.socket = function () {
                var s = socket.apply(this, arguments);
                if (!s[KEY + "fwd"]) {
                    s[KEY + "fwd"] = true;
                    forward(this, s);
                }
                return s;
            };
        }

        /* Joins `channel`; ack(err, channel) when given. Returns the socket. */
        proto.subscribe = function (channel, ack) {
            check(channel);
            var st = state(this);
            st.channels[channel] = true;
            if (!this.connected)
                st.buffered[channel] = true;
            else
                st.live[channel] = true;
            return ack ? this.emit("subscribe", channel, ack)
                       : this.emit("subscribe", channel);
        };

        /* Leaves `channel`; ack(err, channel) when given. Returns the socket. */
        proto.unsubscribe = function (channel, ack) {
            check(channel);
            var st = state(this);
            delete st.channels[channel];
            delete st.buffered[channel];
            delete st.live[channel];
            return ack ? this.emit("unsubscribe", channel, ack)
                       : this.emit("unsubscribe", channel);
        };

        /* The channels this socket is (or will be again) subscribed to. */
        proto.subscriptions = function () {
            return Object.keys(state(this).channels);
        };
        return io;
    }

    /* global module */
    if (typeof module === "object" && module && module.exports) {
        if (typeof module.exports === "function" && module.exports.Socket)
            install(module.exports); // the whole socket.io.js required by a bundler
        else
            module.exports = install; // this file alone, in Node
    } else if (root && root.io) {
        install(root.io);
    }
})(typeof globalThis !== "undefined" ? globalThis
   : typeof self !== "undefined" ? self : this);
