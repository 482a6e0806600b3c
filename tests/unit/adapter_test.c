/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include <stdlib.h>

#include "adapter.h"
#include "t.h"

#define S(lit) lit, sizeof(lit) - 1

/* Captured from Node 8.3.0 (docs/scale-out.md): io.to(["lobby","other"])
 * .except("nobody").volatile.emit("e2", Buffer.from([1,2,3])). */
static const char node_msg[] = "\x93\xa6Mo1pRo"
                               "\x83\xa4type\x02\xa4"
                               "data\x92\xa2"
                               "e2\xc4\x03\x01\x02\x03\xa3nsp\xa1/"
                               "\x83\xa5rooms\x92\xa5lobby\xa5other\xa6"
                               "except\x91\xa6nobody\xa5"
                               "flags\x81\xa8volatile\xc3";

/* The redis-emitter's, keys in its own order: of("/admin").to("ops")
 * .except("x").emit("m3"). */
static const char emitter_msg[] = "\x93\xa7"
                                  "emitter\x83\xa4type\x02\xa4"
                                  "data\x91\xa2m3\xa3nsp\xa6/admin"
                                  "\x83\xa5rooms\x91\xa3ops\xa5"
                                  "flags\x80\xa6"
                                  "except\x91\xa1x";

static void test_decode_node(void)
{
    struct adapter_scratch s = {0};
    struct adapter_msg m;
    const char *why, *uid;
    size_t uid_len;

    CHECK(adapter_uid(S(node_msg), &uid, &uid_len) == 0);
    CHECK_STR(uid, uid_len, "Mo1pRo");
    CHECK(adapter_decode(S(node_msg), &m, &s, &why) == 0);
    CHECK(strcmp(m.uid, "Mo1pRo") == 0 && strcmp(m.nsp, "/") == 0);
    CHECK_STR(m.json, m.json_len, "[\"e2\",{\"_placeholder\":true,\"num\":0}]");
    CHECK(m.nbins == 1 && m.bins[0].len == 3 &&
          memcmp(m.bins[0].p, "\x01\x02\x03", 3) == 0);
    CHECK(m.nrooms == 2 && strcmp(m.rooms[0], "lobby") == 0 &&
          strcmp(m.rooms[1], "other") == 0);
    CHECK(m.nexcept == 1 && strcmp(m.except[0], "nobody") == 0);
    CHECK(m.flags == ADAPTER_F_VOLATILE);
    CHECK(adapter_decode(S(emitter_msg), &m, &s, &why) == 0);
    CHECK(strcmp(m.uid, "emitter") == 0 && strcmp(m.nsp, "/admin") == 0);
    CHECK_STR(m.json, m.json_len, "[\"m3\"]");
    CHECK(m.nrooms == 1 && strcmp(m.rooms[0], "ops") == 0 && m.nexcept == 1 &&
          strcmp(m.except[0], "x") == 0 && m.flags == 0);
    adapter_scratch_free(&s);
}

static void test_refused(void)
{
    struct adapter_scratch s = {0};
    struct adapter_msg m;
    const char *why;
    char *bad;
    size_t i;

    for (i = 0; i + 1 < sizeof node_msg - 1; i++) {
        bad = malloc(i ? i : 1);
        memcpy(bad, node_msg, i);
        CHECK(adapter_decode(bad, i, &m, &s, &why) == -1 && why != NULL);
        free(bad);
    }
    /* A room with a control character; an ack (type 3); no '/' in nsp;
     * data not starting with a name. */
    bad = malloc(sizeof node_msg);
    memcpy(bad, node_msg, sizeof node_msg);
    memcpy(memmem(bad, sizeof node_msg, "lobby", 5),
           "lo\x01"
           "by",
           5);
    CHECK(adapter_decode(bad, sizeof node_msg - 1, &m, &s, &why) == -1);
    memcpy(bad, node_msg, sizeof node_msg);
    *((char *)memmem(bad, sizeof node_msg, "type", 4) + 4) = 3;
    CHECK(adapter_decode(bad, sizeof node_msg - 1, &m, &s, &why) == -1);
    memcpy(bad, node_msg, sizeof node_msg);
    *((char *)memmem(bad, sizeof node_msg, "\xa1/", 2) + 1) = 'x';
    CHECK(adapter_decode(bad, sizeof node_msg - 1, &m, &s, &why) == -1);
    memcpy(bad, node_msg, sizeof node_msg);
    memcpy(memmem(bad, sizeof node_msg,
                  "\xa2"
                  "e2",
                  3),
           "\xcc\x01\x01", 3);
    CHECK(adapter_decode(bad, sizeof node_msg - 1, &m, &s, &why) == -1);
    free(bad);
    adapter_scratch_free(&s);
}

static void test_encode(void)
{
    static const char json[] = "[\"e2\",{\"_placeholder\":true,\"num\":0}]";
    const char *rooms[] = {"lobby", "other"}, *except[] = {"nobody"};
    struct frame *att = frame_new("\x01\x02\x03", 3);
    struct buf out = BUF_INIT;

    /* Byte for byte the message Node published. */
    CHECK(adapter_encode(&out, "Mo1pRo", "/", json, sizeof json - 1, &att, 1,
                         rooms, 2, except, 1, ADAPTER_F_VOLATILE) == 0);
    CHECK_MEM(out.data, out.len, node_msg, sizeof node_msg - 1);
    buf_reset(&out);
    CHECK(adapter_channel(&out, "socket.io", "/admin", NULL) == 0);
    CHECK(strcmp(out.data, "socket.io#/admin#") == 0);
    buf_reset(&out);
    CHECK(adapter_channel(&out, "socket.io", "/", "lobby") == 0);
    CHECK(strcmp(out.data, "socket.io#/#lobby#") == 0);
    buf_reset(&out);
    CHECK(adapter_pattern(&out, "a*b?[c]\\") == 0);
    CHECK(strcmp(out.data, "a\\*b\\?\\[c\\]\\\\#*") == 0);
    buf_free(&out);
    frame_unref(att);
}

int main(void)
{
    test_decode_node();
    test_refused();
    test_encode();
    return T_DONE();
}
