/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include <stdlib.h>

#include "recfleetmsg.h"
#include "t.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_question(void)
{
    struct buf out = BUF_INIT;
    struct recfleetmsg m;
    const char *why;

    CHECK(recfleetmsg_ask(&out, "node1", "Req1", "/chat",
                          "abcdefghij0123456789", "1767225600123-42") == 0);
    CHECK(recfleetmsg_decode(out.data, out.len, &m, &why) == 0);
    CHECK(m.question && strcmp(m.uid, "node1") == 0 &&
          strcmp(m.request_id, "Req1") == 0 && strcmp(m.nsp, "/chat") == 0 &&
          strcmp(m.pid, "abcdefghij0123456789") == 0 &&
          strcmp(m.offset, "1767225600123-42") == 0);
    recfleetmsg_free(&m);
    buf_free(&out);
    /* Hostile ones. */
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"nsp\":"
                               "\"/\",\"pid\":\"short\",\"offset\":\"1-2\"}"),
                             &m, &why) != 0);
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"nsp\":"
                               "\"/\",\"pid\":\"abcdefghij01234567!9\","
                               "\"offset\":\"1-2\"}"),
                             &m, &why) != 0);
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"nsp\":"
                               "\"/\",\"pid\":\"abcdefghij0123456789\","
                               "\"offset\":\"1--2\"}"),
                             &m, &why) != 0);
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"nsp\":"
                               "\"chat\",\"pid\":\"abcdefghij0123456789\","
                               "\"offset\":\"1-2\"}"),
                             &m, &why) != 0);
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a b\",\"requestId\":\"r\","
                               "\"found\":false}"),
                             &m, &why) != 0);
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\","
                               "\"found\":false}"),
                             &m, &why) == 0 &&
          !m.question && !m.found);
    recfleetmsg_free(&m);
}

static void test_answer(void)
{
    static const char att[] = {0, 1, 2, (char)0xff};
    const char *chans[] = {"lobby", "socketiod:user:ann", "ü"};
    struct recfleetmsg_session s = {"Ab3dE5fG7hI9jK.w2",         "/", chans, 3,
                                    "{\"user\":\"ann\\u0000\"}", 20};
    struct frame *f = frame_new(att, sizeof att);
    struct recfleetmsg_packet pk[2] = {
        {S("[\"a\",1,\"1-5\"]"), NULL, 0},
        {S("[\"b\",{\"_placeholder\":true,\"num\":0},\"1-7\"]"), &f, 1}};
    struct buf out = BUF_INIT;
    struct recfleetmsg m;
    const char *why;

    CHECK(recfleetmsg_answer(&out, "n2", "Req1", &s, pk, 2) == 0);
    CHECK(recfleetmsg_decode(out.data, out.len, &m, &why) == 0);
    CHECK(!m.question && m.found && strcmp(m.sid, "Ab3dE5fG7hI9jK.w2") == 0 &&
          strcmp(m.nsp, "/") == 0 && m.nchannels == 3 &&
          strcmp(m.channels[2], "ü") == 0);
    CHECK_MEM(m.context, m.context_len, s.context, s.context_len);
    CHECK(m.npackets == 2 && m.packets[1].nattach == 1);
    CHECK_STR(m.packets[0].json, m.packets[0].len, "[\"a\",1,\"1-5\"]");
    CHECK_MEM(m.packets[1].attach[0]->data, m.packets[1].attach[0]->len, att,
              sizeof att);
    CHECK(m.bytes == pk[0].len + pk[1].len + sizeof att);
    recfleetmsg_free(&m);
    /* A packet that is not strict JSON ("[01]"), a channel with a control
     * byte, a context not JSON, a bad sid: dropped. */
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"found\":"
                               "true,\"sid\":\"x\",\"nsp\":\"/\",\"channels\":"
                               "[],\"context\":null,\"packets\":[[\"WzAxXQ==\""
                               "]]}"),
                             &m, &why) != 0);
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"found\":"
                               "true,\"sid\":\"x\",\"nsp\":\"/\",\"channels\":"
                               "[\"a\\u0001\"],\"context\":null,\"packets\":"
                               "[]}"),
                             &m, &why) != 0);
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"found\":"
                               "true,\"sid\":\"x\",\"nsp\":\"/\",\"channels\":"
                               "[],\"context\":\"e30\",\"packets\":[]}"),
                             &m, &why) == 0);
    recfleetmsg_free(&m);
    CHECK(recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"found\":"
                               "true,\"sid\":\"x\",\"nsp\":\"/\",\"channels\":"
                               "[],\"context\":\"e3\",\"packets\":[]}"),
                             &m, &why) != 0);
    CHECK(
        recfleetmsg_decode(S("{\"uid\":\"a\",\"requestId\":\"r\",\"found\":"
                             "true,\"sid\":\"x/y\",\"nsp\":\"/\",\"channels\":"
                             "[],\"context\":null,\"packets\":[]}"),
                           &m, &why) != 0);
    CHECK(m.sid == NULL && m.channels == NULL);
    frame_unref(f);
    buf_free(&out);
}

int main(void)
{
    test_question();
    test_answer();
    T_DONE();
}
