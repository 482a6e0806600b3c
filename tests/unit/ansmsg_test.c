/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include <stdlib.h>

#include "ansmsg.h"
#include "jsonv.h"
#include "t.h"

#define S(lit) lit, sizeof(lit) - 1

/* Requests as @socket.io/redis-adapter 8.3.0 publishes them
 * (docs/scale-out.md). */
static void test_decode_json(void)
{
    struct ansmsg_scratch s = {0};
    struct ansmsg_req r;
    const char *why;

    CHECK(ansmsg_decode(S("{\"uid\":\"Mo1pRo\",\"requestId\":\"sDZdsj\","
                          "\"type\":5,\"opts\":{\"rooms\":[\"lobby\"],"
                          "\"except\":[\"x\",\"y\"]}}"),
                        &r, &s, &why) == 0);
    CHECK(r.type == ADAPTER_REQ_REMOTE_FETCH && strcmp(r.uid, "Mo1pRo") == 0 &&
          strcmp(r.request_id, "sDZdsj") == 0 && r.has_opts);
    CHECK(r.nrooms == 1 && strcmp(r.rooms[0], "lobby") == 0);
    CHECK(r.nexcept == 2 && strcmp(r.except[1], "y") == 0 && r.nnames == 0);
    /* SOCKETS: its own rooms are the audience */
    CHECK(ansmsg_decode(S("{\"uid\":\"u\",\"requestId\":\"q\",\"type\":0,"
                          "\"rooms\":[\"a\",\"b\"]}"),
                        &r, &s, &why) == 0);
    CHECK(r.type == 0 && r.nrooms == 2 && strcmp(r.rooms[1], "b") == 0 &&
          r.nnames == 0);
    CHECK(ansmsg_decode(S("{\"uid\":\"u\",\"requestId\":\"q\",\"type\":1}"), &r,
                        &s, &why) == 0 &&
          r.type == ADAPTER_REQ_ALL_ROOMS);
    /* socketsJoin (the emitter: no uid) */
    CHECK(ansmsg_decode(S("{\"type\":2,\"opts\":{\"rooms\":[\"lobby\"],"
                          "\"except\":[]},\"rooms\":[\"r3\"]}"),
                        &r, &s, &why) == 0);
    CHECK(r.uid == NULL && r.has_opts && r.nrooms == 1 && r.nnames == 1 &&
          strcmp(r.names[0], "r3") == 0 && r.request_id == NULL);
    /* the legacy single-socket forms */
    CHECK(ansmsg_decode(S("{\"uid\":\"u\",\"requestId\":\"q\",\"type\":3,"
                          "\"sid\":\"iAYkHY2P35oLml5fAAAA\",\"room\":\"r\"}"),
                        &r, &s, &why) == 0);
    CHECK(!r.has_opts && strcmp(r.sid, "iAYkHY2P35oLml5fAAAA") == 0 &&
          strcmp(r.room, "r") == 0);
    CHECK(ansmsg_decode(S("{\"uid\":\"u\",\"requestId\":\"q\",\"type\":4,"
                          "\"sid\":\"s\",\"close\":true}"),
                        &r, &s, &why) == 0 &&
          r.close);
    /* serverSideEmit, with and without ack */
    CHECK(ansmsg_decode(S("{\"uid\":\"u\",\"type\":6,\"data\":[\"hello\",1,"
                          "{\"a\":null}]}"),
                        &r, &s, &why) == 0);
    CHECK(r.request_id == NULL);
    CHECK_STR(r.json, r.json_len, "[\"hello\",1,{\"a\":null}]");
    ansmsg_scratch_free(&s);
}

/* broadcastWithAck's request, MessagePack: {uid, requestId, type: 7,
 * packet: {type: 2, data: ["ev", <bin 010203>], nsp: "/"}, opts: {rooms:
 * ["lobby"], except: [], flags: {timeout: 3000, volatile: true}}}. */
static const char bcast[] =
    "\x85\xa3uid\xa6Mo1pRo\xa9requestId\xa6XyZ123\xa4type\x07"
    "\xa6packet\x83\xa4type\x02\xa4"
    "data\x92\xa2"
    "ev\xc4\x03\x01\x02\x03\xa3nsp\xa1/"
    "\xa4opts\x83\xa5rooms\x91\xa5lobby\xa6"
    "except\x90\xa5"
    "flags\x82\xa7timeout\xcd\x0b\xb8\xa8volatile\xc3";

static void test_decode_broadcast(void)
{
    struct ansmsg_scratch s = {0};
    struct ansmsg_req r;
    const char *why;

    CHECK(ansmsg_decode(S(bcast), &r, &s, &why) == 0);
    CHECK(r.type == ADAPTER_REQ_BROADCAST &&
          strcmp(r.request_id, "XyZ123") == 0);
    CHECK_STR(r.json, r.json_len, "[\"ev\",{\"_placeholder\":true,\"num\":0}]");
    CHECK(r.nbins == 1 && r.bins[0].len == 3 &&
          memcmp(r.bins[0].p, "\x01\x02\x03", 3) == 0);
    CHECK(r.nrooms == 1 && r.nexcept == 0 && r.timeout_ms == 3000 &&
          r.flags == ADAPTER_F_VOLATILE);
    ansmsg_scratch_free(&s);
}

static void test_refused(void)
{
    static const char *const bad[] = {
        "",
        "{",
        "[1,2]",
        "{\"type\":5,\"uid\":\"u\"}",                   /* no requestId */
        "{\"type\":11,\"requestId\":\"q\"}",            /* no such type */
        "{\"type\":\"5\",\"requestId\":\"q\"}",         /* a string */
        "{\"type\":0.5,\"requestId\":\"q\"}",           /* not an integer */
        "{\"type\":0,\"requestId\":5}",                 /* not a string */
        "{\"type\":0,\"requestId\":\"\"}",              /* empty */
        "{\"type\":0,\"requestId\":\"q\",\"rooms\":7}", /* not a list */
        "{\"type\":0,\"requestId\":\"q\",\"rooms\":[1]}",
        "{\"type\":0,\"requestId\":\"q\",\"rooms\":[\"a\\u0000b\"]}",
        "{\"type\":2,\"uid\":\"u\"}", /* neither opts nor sid */
        "{\"type\":2,\"sid\":\"s\"}", /* legacy join without room */
        "{\"type\":6,\"data\":[]}",   /* no event */
        "{\"type\":6,\"data\":[1]}",  /* no event name */
        "{\"type\":6}",               /* no data */
        "{\"type\":4,\"sid\":\"s\",\"close\":[1]}",
        "{\"type\":5,\"requestId\":\"q\",\"opts\":[]}",
        "{\"type\":5,\"requestId\":\"q\",\"opts\":{\"rooms\":{}}}",
        "{\"type\":1,\"requestId\":\"q\"} x", /* bytes after it */
        "{\"type\":1,\"requestId\":\"q\",\"type\":1,}",
        "{\"type\":6,\"data\":[\"e\",{\"_placeholder\":true,\"num\":0}]}",
        "\x81\xa4type\x07", /* a broadcast without packet */
        "\xc1",
    };
    struct ansmsg_scratch s = {0};
    struct ansmsg_req r;
    struct buf big = BUF_INIT;
    const char *why;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        CHECK(ansmsg_decode(bad[i], strlen(bad[i]), &r, &s, &why) == -1 &&
              why != NULL);
    }
    /* an id over ANSMSG_MAX_ID bytes, a list over ANSMSG_MAX_NAMES */
    buf_puts(&big, "{\"type\":1,\"requestId\":\"");
    for (i = 0; i <= ANSMSG_MAX_ID; i++)
        buf_putc(&big, 'q');
    buf_puts(&big, "\"}");
    CHECK(ansmsg_decode(big.data, big.len, &r, &s, &why) == -1);
    buf_reset(&big);
    buf_puts(&big, "{\"type\":0,\"requestId\":\"q\",\"rooms\":[\"r\"");
    for (i = 0; i < ANSMSG_MAX_NAMES; i++)
        buf_puts(&big, ",\"r\"");
    buf_puts(&big, "]}");
    CHECK(ansmsg_decode(big.data, big.len, &r, &s, &why) == -1);
    /* every cut of a good broadcast is refused */
    for (i = 0; i < sizeof bcast - 1; i++)
        CHECK(ansmsg_decode(bcast, i, &r, &s, &why) == -1);
    buf_free(&big);
    ansmsg_scratch_free(&s);
}

static void test_answers(void)
{
    static const char meta[] =
        "REMOTE_ADDR=127.0.0.1\0REMOTE_PORT=5555\0HTTP_COOKIE=secret\0"
        "HTTP_AUTHORIZATION=Bearer x\0HTTP_ORIGIN=http://a\0"
        "QUERY_STRING=EIO=4&transport=websocket&tok=a%20b+c&bad=%ff&flag\0"
        "HTTP_USER_AGENT=t\xff\x01\"\0\0";
    const char *rooms[] = {"iAYkHY2P35oLml5fAAAA", "lobby"};
    struct ansmsg_socket so;
    struct buf out = BUF_INIT;
    struct frame *att = frame_new("\x01\x02", 2);

    CHECK(ansmsg_list_open(&out, "q1", "sockets") == 0 &&
          ansmsg_list_add(&out, "a") == 0 &&
          ansmsg_list_add(&out, "b\"") == 0 && ansmsg_list_close(&out) == 0);
    CHECK_STR(out.data, out.len,
              "{\"requestId\":\"q1\",\"sockets\":[\"a\",\"b\\\"\"]}");
    buf_reset(&out);
    CHECK(ansmsg_list_open(&out, "q1", "rooms") == 0 &&
          ansmsg_list_close(&out) == 0);
    CHECK_STR(out.data, out.len, "{\"requestId\":\"q1\",\"rooms\":[]}");
    buf_reset(&out);
    CHECK(ansmsg_done(&out, "q2") == 0);
    CHECK_STR(out.data, out.len, "{\"requestId\":\"q2\"}");
    buf_reset(&out);
    CHECK(ansmsg_emit_ack(&out, "q3") == 0);
    CHECK_STR(out.data, out.len,
              "{\"type\":6,\"requestId\":\"q3\",\"data\":null}");
    buf_reset(&out);
    CHECK(ansmsg_client_count(&out, "q4", 3) == 0);
    CHECK_STR(out.data, out.len,
              "{\"type\":8,\"requestId\":\"q4\",\"clientCount\":3}");
    /* a client's ack: its first argument, binary as bin */
    buf_reset(&out);
    CHECK(ansmsg_broadcast_ack(&out, "q5",
                               S(" [ {\"_placeholder\":true,\"num\":0}, 2]"),
                               &att, 1) == 0);
    CHECK_STR(out.data, out.len,
              "\x83\xa4type\x09\xa9requestId\xa2q5\xa6packet\xc4\x02\x01\x02");
    buf_reset(&out);
    CHECK(ansmsg_broadcast_ack(&out, "q5", S("[]"), NULL, 0) == 0);
    CHECK_STR(out.data, out.len, "\x82\xa4type\x09\xa9requestId\xa2q5");
    buf_reset(&out);
    CHECK(ansmsg_broadcast_ack(&out, "q5", S("{}"), NULL, 0) == -1);
    /* a fetched socket */
    buf_reset(&out);
    memset(&so, 0, sizeof so);
    so.id = rooms[0];
    so.meta = meta;
    so.issued_ms = 1796295405403ull;
    so.path = "/socket.io/";
    so.rooms = rooms;
    so.nrooms = 2;
    so.auth = "{\"token\":1}";
    so.auth_len = strlen(so.auth);
    so.data = "[1";
    so.data_len = 2;
    CHECK(ansmsg_list_open(&out, "q6", "sockets") == 0 &&
          ansmsg_fetch_socket(&out, &so) == 0 &&
          ansmsg_fetch_socket(&out, &so) == 0 && ansmsg_list_close(&out) == 0);
    CHECK(jsonv_valid(out.data, out.len));
    CHECK(
        strstr(out.data,
               "{\"id\":\"iAYkHY2P35oLml5fAAAA\",\"handshake\":{\"headers\":"
               "{\"origin\":\"http://a\",\"user-agent\":"
               "\"t\\ufffd\\u0001\\\"\"},\"time\":\"Thu Dec 03 2026 "
               "10:56:45 GMT+0000 (Coordinated Universal Time)\","
               "\"address\":\"127.0.0.1\",\"xdomain\":true,\"secure\":false,"
               "\"issued\":1796295405403,\"url\":\"/socket.io/?EIO=4&"
               "transport=websocket&tok=a%20b+c&bad=%ff&flag\",\"query\":{"
               "\"EIO\":\"4\",\"transport\":\"websocket\",\"tok\":\"a b c\","
               "\"bad\":\"\\ufffd\",\"flag\":\"\"},\"auth\":{\"token\":1}},"
               "\"rooms\":[\"iAYkHY2P35oLml5fAAAA\",\"lobby\"],\"data\":{}}") !=
        NULL);
    CHECK(strstr(out.data, "secret") == NULL &&
          strstr(out.data, "Bearer") == NULL);
    CHECK(strstr(out.data, "}},{\"id\"") != NULL);
    buf_free(&out);
    frame_unref(att);
}

int main(void)
{
    test_decode_json();
    test_decode_broadcast();
    test_refused();
    test_answers();
    return T_DONE();
}
