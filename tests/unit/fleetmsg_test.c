/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include <stdlib.h>

#include "adapter.h"
#include "fleetmsg.h"
#include "mpk.h"
#include "t.h"

#define S(lit) lit, sizeof(lit) - 1

/* What Node's adapter 8.3 answers a REMOTE_FETCH with (handshake cut to
 * what is read, plus a header that is not). */
static const char fetch_answer[] =
    "{\"requestId\":\"Q7x\",\"sockets\":[{\"id\":\"n1\",\"handshake\":{"
    "\"headers\":{\"host\":\"x\"},\"address\":\"::ffff:127.0.0.1\","
    "\"issued\":1733000000500,\"auth\":{}},\"rooms\":[\"n1\",\"lobby\"],"
    "\"data\":{}},{\"id\":\"n2\",\"handshake\":{},\"rooms\":[\"n2\"]}]}";

/* notepack.io's {type: 9, requestId: "Ab12Cd", packet: "ack:v4-3"} */
static const char ack_answer[] = "\x83\xa4type\x09\xa9requestId\xa6"
                                 "Ab12Cd\xa6packet\xa8"
                                 "ack:v4-3";
/* ... and packet {x: [1, Buffer [1, 2]]} */
static const char ack_bin[] = "\x83\xa4type\x09\xa9requestId\xa6"
                              "Ab12Cd\xa6packet\x81\xa1x\x92\x01\xc4\x02\x01"
                              "\x02";
/* notepack.io's {uid: "me", requestId: "R1", type: 7, packet: {type: 2,
 * data: ["ev", 1], nsp: "/"}, opts: {rooms: ["a"], except: [], flags:
 * {timeout: 5000}}}: what the adapter's broadcastWithAck publishes. */
static const char node_broadcast[] =
    "\x85\xa3uid\xa2me\xa9requestId\xa2R1\xa4type\x07\xa6packet\x83\xa4"
    "type\x02\xa4"
    "data\x92\xa2"
    "ev\x01\xa3nsp\xa1/\xa4opts\x83\xa5rooms\x91\xa1"
    "a\xa6"
    "except\x90\xa5"
    "flags\x81\xa7timeout\xcd\x13\x88";

static void test_requests(void)
{
    struct buf b = BUF_INIT;
    const char *rooms[] = {"lobby", "q\"x"};

    CHECK(fleetmsg_fetch(&b, "Mo1pRo", "R1", rooms, 2) == 0);
    CHECK(strcmp(b.data, "{\"uid\":\"Mo1pRo\",\"requestId\":\"R1\",\"type\":5,"
                         "\"opts\":{\"rooms\":[\"lobby\",\"q\\\"x\"],"
                         "\"except\":[]}}") == 0);
    buf_reset(&b);
    CHECK(fleetmsg_fetch(&b, "u", "R2", NULL, 0) == 0);
    CHECK(strcmp(b.data, "{\"uid\":\"u\",\"requestId\":\"R2\",\"type\":5,"
                         "\"opts\":{\"rooms\":[],\"except\":[]}}") == 0);
    buf_reset(&b);
    CHECK(fleetmsg_remote(&b, ADAPTER_REQ_REMOTE_JOIN, "u", "R3", "n1", "vip",
                          0) == 0);
    CHECK(strcmp(b.data, "{\"uid\":\"u\",\"requestId\":\"R3\",\"type\":2,"
                         "\"sid\":\"n1\",\"room\":\"vip\"}") == 0);
    buf_reset(&b);
    CHECK(fleetmsg_remote(&b, ADAPTER_REQ_REMOTE_DISCONNECT, "u", "R4", "n1",
                          NULL, 1) == 0);
    CHECK(strcmp(b.data, "{\"uid\":\"u\",\"requestId\":\"R4\",\"type\":4,"
                         "\"sid\":\"n1\",\"close\":true}") == 0);
    buf_reset(&b);
    /* byte for byte what Node's adapter publishes */
    CHECK(fleetmsg_broadcast(&b, "me", "R1", "/", S("[\"ev\",1]"), NULL, 0,
                             (const char *[]){"a"}, 1, NULL, 0, 5000) == 0);
    CHECK_MEM(b.data, b.len, node_broadcast, sizeof node_broadcast - 1);
    buf_reset(&b);
    CHECK(fleetmsg_broadcast(&b, "me", "R1", "/", S("[\"ev\",}"), NULL, 0, NULL,
                             0, NULL, 0, 5000) == -1);
    buf_free(&b);
}

static void test_answers(void)
{
    struct fleetmsg_resp r;
    struct buf out = BUF_INIT;
    const char *why;

    CHECK(fleetmsg_response(S(fetch_answer), "/", &r, &out, &why) == 0);
    CHECK(strcmp(r.request_id, "Q7x") == 0 && r.type == -1 && r.has_sockets);
    CHECK_STR(out.data, out.len,
              "[{\"sid\":\"n1\",\"namespace\":\"/\",\"node\":null,"
              "\"channels\":[\"lobby\"],\"remote_addr\":\"::ffff:127.0.0.1\","
              "\"connected_at\":1733000000.5,\"user\":null},"
              "{\"sid\":\"n2\",\"namespace\":\"/\",\"node\":null,"
              "\"channels\":[],\"remote_addr\":\"\",\"connected_at\":0,"
              "\"user\":null}]");
    /* a socketiod answer may say its node */
    CHECK(fleetmsg_response(S("{\"requestId\":\"a\",\"uid\":\"XyZ123\","
                              "\"sockets\":[{\"id\":\"s\"}]}"),
                            "/chat", &r, &out, &why) == 0);
    CHECK_STR(out.data, out.len,
              "[{\"sid\":\"s\",\"namespace\":\"/chat\",\"node\":\"XyZ123\","
              "\"channels\":[],\"remote_addr\":\"\",\"connected_at\":0,"
              "\"user\":null}]");
    /* a socketiod socket's app user comes as its room (users.h) */
    CHECK(fleetmsg_response(S("{\"requestId\":\"a\",\"sockets\":[{\"id\":\"s\","
                              "\"rooms\":[\"s\",\"socketiod:user:ann\","
                              "\"lobby\"]}]}"),
                            "/", &r, &out, &why) == 0);
    CHECK_STR(out.data, out.len,
              "[{\"sid\":\"s\",\"namespace\":\"/\",\"node\":null,"
              "\"channels\":[\"lobby\"],\"remote_addr\":\"\","
              "\"connected_at\":0,\"user\":\"ann\"}]");
    CHECK(fleetmsg_response(S("{\"requestId\":\"b\"}"), "/", &r, &out, &why) ==
          0);
    CHECK(r.type == -1 && !r.has_sockets && strcmp(out.data, "[]") == 0);
    CHECK(fleetmsg_response(S("{\"type\":8,\"requestId\":\"c\","
                              "\"clientCount\":3}"),
                            "/", &r, &out, &why) == 0);
    CHECK(r.type == ADAPTER_REQ_BROADCAST_CLIENT_COUNT && r.client_count == 3);
    CHECK(fleetmsg_response(S(ack_answer), "/", &r, &out, &why) == 0);
    CHECK(r.type == ADAPTER_REQ_BROADCAST_ACK &&
          strcmp(r.request_id, "Ab12Cd") == 0);
    CHECK_STR(out.data, out.len, "[\"ack:v4-3\"]");
    CHECK(fleetmsg_response(S(ack_bin), "/", &r, &out, &why) == 0);
    CHECK_STR(out.data, out.len,
              "[{\"x\":[1,{\"_placeholder\":true,\"num\":0}]}]");
    buf_free(&out);
}

static void test_refused(void)
{
    static const char *const bad[] = {
        "",
        "{",
        "{}",
        "[]",
        "{\"requestId\":1}",
        "{\"requestId\":\"\"}",
        "{\"requestId\":\"a b\"}",
        "{\"requestId\":\"0123456789012345678901234567890123\"}",
        "{\"requestId\":\"a\",\"type\":\"8\"}",
        "{\"requestId\":\"a\",\"type\":8.5}",
        "{\"requestId\":\"a\",\"type\":8,\"clientCount\":-1}",
        "{\"requestId\":\"a\",\"type\":8}",
        "{\"requestId\":\"a\",\"sockets\":{}}",
        "{\"requestId\":\"a\",\"sockets\":[{}]}",
        "{\"requestId\":\"a\",\"sockets\":[{\"id\":\"x\",\"rooms\":[1]}]}",
        "{\"requestId\":\"a\",\"sockets\":[{\"id\":\"x\\u0000y\"}]}",
        "\x81\xa4type\x09",                             /* no requestId */
        "\x82\xa9requestId\x01\xa4type\x09",            /* not a string */
        "\x82\xa9requestId\xa1z\xa4type\xa1x",          /* type not a number */
        "\x83\xa9requestId\xa1z\xa4type\x09\xa6packet", /* cut short */
        "\xc1",
    };
    struct fleetmsg_resp r;
    struct buf out = BUF_INIT;
    const char *why;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        CHECK(fleetmsg_response(bad[i], strlen(bad[i]), "/", &r, &out, &why) ==
              -1);
        CHECK(why != NULL);
    }
    buf_free(&out);
}

/* Presence questions and answers: what one node writes the other reads
 * back; hostile names, ids and counts refused. */
static void test_presence(void)
{
    struct fleetmsg_presence m;
    struct buf b = BUF_INIT, sc = BUF_INIT;
    const char *why;

    CHECK(fleetmsg_presence_ask(&b, "Mo1pRo", "R1", "/", "chat:\"x\"", "ann",
                                1) == 0);
    CHECK(b.len == strlen("{\"uid\":\"Mo1pRo\",\"requestId\":\"R1\","
                          "\"nsp\":\"/\",\"channel\":\"chat:\\\"x\\\"\","
                          "\"user\":\"ann\",\"join\":true}"));
    CHECK(fleetmsg_presence_decode(b.data, b.len, &m, &sc, &why) == 0);
    CHECK(m.question && m.join && strcmp(m.uid, "Mo1pRo") == 0 &&
          strcmp(m.request_id, "R1") == 0 && strcmp(m.nsp, "/") == 0 &&
          strcmp(m.channel, "chat:\"x\"") == 0 && strcmp(m.user, "ann") == 0);
    buf_reset(&b);
    CHECK(fleetmsg_presence_ask(&b, "u", "R2", "/a", "c", "bob", 0) == 0);
    CHECK(fleetmsg_presence_decode(b.data, b.len, &m, &sc, &why) == 0);
    CHECK(m.question && !m.join && strcmp(m.nsp, "/a") == 0);
    buf_reset(&b);
    CHECK(fleetmsg_presence_answer(&b, "u", "R2", 3) == 0);
    CHECK(fleetmsg_presence_decode(b.data, b.len, &m, &sc, &why) == 0);
    CHECK(!m.question && m.sockets == 3 && strcmp(m.request_id, "R2") == 0);
    /* refused: no uid, a bad id, a NUL, a negative or huge count, a
     * namespace without "/", a control character in a channel, a user
     * that is no user id, no join */
    CHECK(fleetmsg_presence_decode(S("{\"requestId\":\"a\",\"sockets\":1}"), &m,
                                   &sc, &why) != 0);
    CHECK(fleetmsg_presence_decode(
              S("{\"uid\":\"u\",\"requestId\":\"a b\",\"sockets\":1}"), &m, &sc,
              &why) != 0);
    CHECK(fleetmsg_presence_decode(
              S("{\"uid\":\"u\",\"requestId\":\"a\",\"sockets\":-1}"), &m, &sc,
              &why) != 0);
    CHECK(fleetmsg_presence_decode(
              S("{\"uid\":\"u\",\"requestId\":\"a\",\"sockets\":1e10}"), &m,
              &sc, &why) != 0);
    CHECK(fleetmsg_presence_decode(
              S("{\"uid\":\"u\",\"requestId\":\"a\",\"nsp\":\"x\","
                "\"channel\":\"c\",\"user\":\"v\",\"join\":true}"),
              &m, &sc, &why) != 0);
    CHECK(fleetmsg_presence_decode(
              S("{\"uid\":\"u\",\"requestId\":\"a\",\"nsp\":\"/\","
                "\"channel\":\"c\\u0001\",\"user\":\"v\",\"join\":true}"),
              &m, &sc, &why) != 0);
    CHECK(fleetmsg_presence_decode(
              S("{\"uid\":\"u\",\"requestId\":\"a\",\"nsp\":\"/\","
                "\"channel\":\"c\",\"user\":\"v\\u0000w\",\"join\":true}"),
              &m, &sc, &why) != 0);
    CHECK(fleetmsg_presence_decode(
              S("{\"uid\":\"u\",\"requestId\":\"a\",\"nsp\":\"/\","
                "\"channel\":\"c\",\"user\":\"\",\"join\":true}"),
              &m, &sc, &why) != 0);
    CHECK(fleetmsg_presence_decode(
              S("{\"uid\":\"u\",\"requestId\":\"a\",\"nsp\":\"/\","
                "\"channel\":\"c\",\"user\":\"v\"}"),
              &m, &sc, &why) != 0);
    CHECK(fleetmsg_presence_decode(S("[1]"), &m, &sc, &why) != 0);
    buf_free(&b);
    buf_free(&sc);
}

int main(void)
{
    test_requests();
    test_answers();
    test_refused();
    test_presence();
    return T_DONE();
}
