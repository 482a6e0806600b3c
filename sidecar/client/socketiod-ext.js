/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* socketiod-ext: socket.subscribe()/unsubscribe() for socket.io-client 2.x and 4.x. */
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
            connectedOnce: !!socket.connected
        };
        // Both v2 and v4 emit "connect" on every (re)connection of the
        // namespace socket, after flushing the send buffer. The first one
        // needs nothing: subscribes made before it were buffered in order
        // with the app's other emits. After that, the server has a new,
        // empty socket, so every channel is subscribed again.
        socket.on("connect", function () {
            var ch;
            if (st.connectedOnce) {
                for (ch in st.channels) {
                    if (!st.buffered.hasOwnProperty(ch))
                        socket.emit("subscribe", ch);
                }
            }
            st.connectedOnce = true;
            st.buffered = {};
        });
        return st;
    }

    function check(channel) {
        if (typeof channel !== "string" || channel === "")
            throw new TypeError("socketiod: channel must be a non-empty string");
    }

    function install(io) {
        // v4 exposes io.Socket (the UMD bundle's lookup function carries
        // Manager, Socket, io, connect); v2's dist does the same.
        var proto = io && io.Socket && io.Socket.prototype;
        if (!proto)
            throw new Error("socketiod: io.Socket not found; load socket.io-client first");
        if (proto.subscribe)
            return io; // installed already (or a future client has its own)

        /* Joins `channel`; ack(err, channel) when given. Returns the socket. */
        proto.subscribe = function (channel, ack) {
            check(channel);
            var st = state(this);
            st.channels[channel] = true;
            if (!this.connected)
                st.buffered[channel] = true;
            return ack ? this.emit("subscribe", channel, ack)
                       : this.emit("subscribe", channel);
        };

        /* Leaves `channel`; ack(err, channel) when given. Returns the socket. */
        proto.unsubscribe = function (channel, ack) {
            check(channel);
            var st = state(this);
            delete st.channels[channel];
            delete st.buffered[channel];
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
