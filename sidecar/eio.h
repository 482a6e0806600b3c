/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* eio: pure Engine.IO packet and payload codec, protocol v4 and v3. */
#ifndef SOCKETIOD_EIO_H
#define SOCKETIOD_EIO_H

#include <stddef.h>

#include "buf.h"

/* A packet is a type digit followed by its data: "4hello", "2probe".
 * Binary messages travel as WebSocket binary frames (v4: the bytes alone;
 * v3: a 0x04 type byte, then the bytes) or inside polling payloads:
 *   v4: records joined by 0x1e; a binary record is 'b' + base64.
 *   v3 text (and b64=1): "<n>:<packet>" where n counts UTF-16 code units of
 *      the packet; a binary packet is "b4" + base64.
 *   v3 binary body (application/octet-stream): per packet 0x00 (text) or
 *      0x01 (binary), the decimal digits of its byte length as byte values
 *      0-9, 0xff, then the packet (text: "<type><data>" in UTF-8;
 *      binary: 0x04 + bytes). */
enum eio_type {
    EIO_OPEN = 0,
    EIO_CLOSE = 1,
    EIO_PING = 2,
    EIO_PONG = 3,
    EIO_MESSAGE = 4,
    EIO_UPGRADE = 5,
    EIO_NOOP = 6,
};

/* Error codes of the handshake/request errors (HTTP 400 with
 * {"code":N,"message":"..."}), as Node engine.io. */
enum eio_error {
    EIO_ERR_UNKNOWN_TRANSPORT = 0,
    EIO_ERR_UNKNOWN_SID = 1,
    EIO_ERR_BAD_HANDSHAKE_METHOD = 2,
    EIO_ERR_BAD_REQUEST = 3,
    EIO_ERR_FORBIDDEN = 4,
    EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION = 5,
};

/* A decoded packet. `data` points into the caller's buffer. When `base64`
 * is 1 the data is still base64 text of a binary message (decode it with
 * b64_decode); when `binary` is 1 the data is raw bytes. */
struct eio_packet {
    int type;
    int binary;
    int base64;
    const char *data;
    size_t len;
};

/* Decodes one packet in text form (a WebSocket text frame, or one record of
 * a payload). With `allow_b64` a leading 'b' marks a base64 binary message
 * (v4: "b<base64>", v3: "b4<base64>"). Returns 0, or -1 when the type is
 * not a known digit. */
int eio_decode_text(int version, const char *s, size_t len, int allow_b64,
                    struct eio_packet *p);

/* Decodes a WebSocket binary frame into a binary message packet. v3 frames
 * must start with the type byte 4. Returns 0 or -1. */
int eio_decode_binary_frame(int version, const char *s, size_t len,
                            struct eio_packet *p);

/* Decodes the next packet of a polling payload (a POST body) starting at
 * buf. `binary_body` is 1 for a v3 application/octet-stream body. Returns
 * the bytes consumed (> 0) with *p filled, 0 when len is 0, or -1 when the
 * payload is malformed (bad length prefix, truncated packet, bad type). */
int eio_payload_next(int version, int binary_body, const char *buf, size_t len,
                     struct eio_packet *p);

/* Appends one packet to a polling payload under construction in `out`
 * (`first` is 1 for the first packet, so v4 knows where a 0x1e goes).
 * `binary_body` selects the v3 octet-stream form; v4 ignores it. Binary
 * packets (p->binary) are base64-encoded where the form needs text.
 * Returns 0, or -1 out of memory. */
int eio_payload_append(struct buf *out, int version, int binary_body, int first,
                       const struct eio_packet *p);

/* Appends an OPEN packet: 0{"sid":"...","upgrades":[...],"pingInterval":N,
 * "pingTimeout":N,"maxPayload":N} (no maxPayload in v3; upgrades is
 * ["websocket"] when `can_upgrade`, else []). Returns 0 or -1. */
int eio_encode_open(struct buf *out, int version, const char *sid,
                    int can_upgrade, unsigned ping_interval_ms,
                    unsigned ping_timeout_ms, size_t max_payload);

/* The JSON body of an error response: {"code":N,"message":"..."}. */
const char *eio_error_json(enum eio_error code);

/* UTF-16 code units in a UTF-8 string (what JavaScript's .length says);
 * each ill-formed sequence counts one, as the U+FFFD that browsers' and
 * Node's UTF-8 decoders turn it into. */
size_t eio_utf16_len(const char *s, size_t len);

#endif
