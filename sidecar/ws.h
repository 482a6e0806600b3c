/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ws: pure RFC 6455 codec (frame heads, masking, UTF-8, handshake key). */
#ifndef SOCKETIOD_WS_H
#define SOCKETIOD_WS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Frame head (RFC 6455 section 5.2):
 *   byte 0: FIN(1) RSV1-3(3) opcode(4)
 *   byte 1: MASK(1) payload length(7): 0-125, 126 -> 16-bit, 127 -> 64-bit
 *   then the extended length (network order), then the 4-byte mask key. */
enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* Close codes (section 7.4.1) that socketiod sends. */
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_BAD_DATA = 1007, /* invalid UTF-8 in a text message */
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
};

#define WS_MAX_HEAD 14

struct ws_frame {
    int fin;
    int opcode;
    int masked;
    uint8_t mask[4];
    uint64_t payload_len;
};

/* Parses the head of a frame sent by a client. Pure.
 * Returns the head length (> 0), -2 when more bytes are needed, or -1 on a
 * protocol error (the caller closes with WS_CLOSE_PROTOCOL): RSV bits set,
 * unknown opcode, unmasked frame, control frame fragmented or longer than
 * 125 bytes, 64-bit length with the top bit set. Non-minimal lengths are
 * accepted. Errors in the first two bytes are reported before the rest of
 * the head arrives. */
int ws_parse_head(const uint8_t *buf, size_t len, struct ws_frame *f);

/* XORs `len` bytes with the mask; `offset` is the position of data[0] in
 * the frame payload (so a payload can be unmasked in pieces). */
void ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4],
               uint64_t offset);

/* Writes an unmasked (server) frame head into `out`; returns its length. */
size_t ws_write_head(uint8_t out[WS_MAX_HEAD], int fin, int opcode,
                     uint64_t payload_len);

/* Appends a whole unmasked frame (head + payload) to `out`.
 * Returns 0, or -1 when out of memory. */
int ws_encode_frame(struct buf *out, int opcode, const void *payload,
                    size_t len);

/* Appends a close frame with `code` and a reason (may be NULL; cut to 123
 * bytes on a UTF-8 character boundary). A code a peer may not send (1005
 * when echoing an empty close, 1006, ...) gives an empty close payload.
 * Returns 0, or -1 when out of memory. */
int ws_encode_close(struct buf *out, int code, const char *reason);

/* Validates a close frame payload: 0 with *code set (1005 when empty),
 * -1 when the length is 1 or the code is not one a peer may send (the
 * caller closes with WS_CLOSE_PROTOCOL), -2 when the code is good but the
 * reason is not UTF-8 (WS_CLOSE_BAD_DATA, as for a text message). */
int ws_parse_close(const uint8_t *payload, size_t len, int *code);

/* Incremental UTF-8 validation across fragments. Start with state 0.
 * Returns 0 when the bytes so far are valid and end on a character
 * boundary, 1 when valid but inside a character, -1 when invalid. */
int ws_utf8_feed(uint32_t *state, const uint8_t *s, size_t len);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)),
 * 28 characters and a NUL written to out. Returns 0, or -1 when the key is
 * not 24 base64 characters encoding 16 bytes. */
int ws_accept_key(const char *key, size_t key_len, char out[29]);

#endif
