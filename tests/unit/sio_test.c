/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* sio_test: unit tests of the Socket.IO packet codec (sidecar/sio.c). */
#include <stdlib.h>
#include <string.h>

#include "sio.h"
#include "t.h"

/* Decodes a string literal or NUL-terminated string. */
static int dec(const char *s, struct sio_packet *p)
{
    return sio_decode(s, strlen(s), p);
}

/* An exact-size heap copy of `s`, so ASan catches any read past len (a
 * literal would have its NUL and neighbours after it). Free it. */
static char *exact(const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);

    if (copy == NULL)
        abort();
    memcpy(copy, s, len);
    return copy;
}

static int is_root(const struct sio_packet *p)
{
    return p->nsp_len == 1 && p->nsp[0] == '/' && p->query == NULL &&
           p->query_len == 0;
}

static void test_types_bare(void)
{
    struct sio_packet p;
    static const char *ok[] = {"0", "1", "2", "3", "4"};
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        CHECK(dec(ok[i], &p) == 0);
        CHECK(p.type == (int)i);
        CHECK(is_root(&p));
        CHECK(p.id == SIO_NO_ID);
        CHECK(p.attachments == 0);
        CHECK(p.data == NULL && p.data_len == 0);
    }
    /* Binary types need their "<n>-". */
    CHECK(dec("5", &p) == -1);
    CHECK(dec("6", &p) == -1);
    /* Unknown types. */
    CHECK(dec("7", &p) == -1);
    CHECK(dec("9[]", &p) == -1);
    CHECK(dec("a", &p) == -1);
    CHECK(dec("/", &p) == -1);
    CHECK(dec("[\"x\"]", &p) == -1);
    CHECK(sio_decode("", 0, &p) == -1);
    CHECK(sio_decode("2", 0, &p) == -1);
    CHECK(sio_decode(NULL, 0, &p) == -1);
}

static void test_connect(void)
{
    struct sio_packet p;

    CHECK(dec("0{\"token\":\"abc\"}", &p) == 0);
    CHECK(p.type == SIO_CONNECT);
    CHECK(is_root(&p));
    CHECK(p.id == SIO_NO_ID);
    CHECK_STR(p.data, p.data_len, "{\"token\":\"abc\"}");

    CHECK(dec("0/admin,", &p) == 0);
    CHECK(p.type == SIO_CONNECT);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.query == NULL);
    CHECK(p.data_len == 0);

    CHECK(dec("0/admin,{\"sid\":\"oSO0OpakmFoEcBKo\"}", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK_STR(p.data, p.data_len, "{\"sid\":\"oSO0OpakmFoEcBKo\"}");

    /* Explicit root namespace. */
    CHECK(dec("0/,{}", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/");
    CHECK_STR(p.data, p.data_len, "{}");
}

static void test_disconnect(void)
{
    struct sio_packet p;

    CHECK(dec("1", &p) == 0);
    CHECK(p.type == SIO_DISCONNECT);
    CHECK(is_root(&p));
    CHECK(dec("1/admin,", &p) == 0);
    CHECK(p.type == SIO_DISCONNECT);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.data_len == 0 && p.id == SIO_NO_ID);
    /* Old v4 clients leave the ',' off a namespace-only packet. */
    CHECK(dec("1/admin", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.data_len == 0 && p.id == SIO_NO_ID);
}

static void test_event(void)
{
    struct sio_packet p;

    CHECK(dec("2[\"chat\",\"hi\"]", &p) == 0);
    CHECK(p.type == SIO_EVENT);
    CHECK(is_root(&p));
    CHECK(p.id == SIO_NO_ID);
    CHECK_STR(p.data, p.data_len, "[\"chat\",\"hi\"]");

    CHECK(dec("21[\"chat\",\"hi\"]", &p) == 0);
    CHECK(p.id == 1);
    CHECK(is_root(&p));
    CHECK_STR(p.data, p.data_len, "[\"chat\",\"hi\"]");

    CHECK(dec("2/admin,[\"x\"]", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.id == SIO_NO_ID);
    CHECK_STR(p.data, p.data_len, "[\"x\"]");

    CHECK(dec("2/admin,7[\"x\"]", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.id == 7);
    CHECK_STR(p.data, p.data_len, "[\"x\"]");

    CHECK(dec("20[\"x\"]", &p) == 0);
    CHECK(p.id == 0);

    CHECK(dec("2007[\"x\"]", &p) == 0); /* leading zeros, as Number("007") */
    CHECK(p.id == 7);

    /* Nested namespace paths and odd characters stay in the namespace. */
    CHECK(dec("2/a/b-c.d_e,[1]", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/a/b-c.d_e");
    CHECK_STR(p.data, p.data_len, "[1]");

    /* Only the first ',' ends the namespace; data may hold more. */
    CHECK(dec("2/x,[\"a,b\",\"/c,\"]", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/x");
    CHECK_STR(p.data, p.data_len, "[\"a,b\",\"/c,\"]");

    /* "2" alone, and an id alone, decode: semantics are the caller's. */
    CHECK(dec("2", &p) == 0);
    CHECK(p.type == SIO_EVENT && p.data_len == 0 && p.data == NULL);
    CHECK(dec("25", &p) == 0);
    CHECK(p.id == 5 && p.data_len == 0);
    CHECK(dec("2/admin,", &p) == 0);
    CHECK(p.data_len == 0 && p.id == SIO_NO_ID);
    CHECK(dec("2/admin,12", &p) == 0);
    CHECK(p.id == 12 && p.data_len == 0);
}

static void test_ack(void)
{
    struct sio_packet p;

    CHECK(dec("31[\"ok\"]", &p) == 0);
    CHECK(p.type == SIO_ACK);
    CHECK(p.id == 1);
    CHECK_STR(p.data, p.data_len, "[\"ok\"]");

    CHECK(dec("3/admin,13[null,\"room\"]", &p) == 0);
    CHECK(p.type == SIO_ACK);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.id == 13);
    CHECK_STR(p.data, p.data_len, "[null,\"room\"]");

    CHECK(dec("30[]", &p) == 0);
    CHECK(p.id == 0);
    CHECK_STR(p.data, p.data_len, "[]");
}

static void test_connect_error(void)
{
    struct sio_packet p;

    /* v5: an object; v4: a string. */
    CHECK(dec("4{\"message\":\"Not authorized\"}", &p) == 0);
    CHECK(p.type == SIO_CONNECT_ERROR);
    CHECK_STR(p.data, p.data_len, "{\"message\":\"Not authorized\"}");
    CHECK(dec("4/admin,\"Invalid namespace\"", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK_STR(p.data, p.data_len, "\"Invalid namespace\"");
}

static void test_binary(void)
{
    struct sio_packet p;

    CHECK(dec("51-[\"up\",{\"_placeholder\":true,\"num\":0}]", &p) == 0);
    CHECK(p.type == SIO_BINARY_EVENT);
    CHECK(p.attachments == 1);
    CHECK(is_root(&p));
    CHECK(p.id == SIO_NO_ID);
    CHECK_STR(p.data, p.data_len, "[\"up\",{\"_placeholder\":true,\"num\":0}]");

    CHECK(dec("51-/nsp,3[\"up\",{\"_placeholder\":true,\"num\":0}]", &p) == 0);
    CHECK(p.type == SIO_BINARY_EVENT);
    CHECK(p.attachments == 1);
    CHECK_STR(p.nsp, p.nsp_len, "/nsp");
    CHECK(p.id == 3);
    CHECK_STR(p.data, p.data_len, "[\"up\",{\"_placeholder\":true,\"num\":0}]");

    CHECK(dec("52-12[{\"_placeholder\":true,\"num\":0},"
              "{\"_placeholder\":true,\"num\":1}]",
              &p) == 0);
    CHECK(p.attachments == 2);
    CHECK(p.id == 12);

    CHECK(dec("62-/admin,9[{\"_placeholder\":true,\"num\":0},"
              "{\"_placeholder\":true,\"num\":1}]",
              &p) == 0);
    CHECK(p.type == SIO_BINARY_ACK);
    CHECK(p.attachments == 2);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.id == 9);

    CHECK(dec("61-4[{\"_placeholder\":true,\"num\":0}]", &p) == 0);
    CHECK(p.type == SIO_BINARY_ACK && p.attachments == 1 && p.id == 4);

    /* Zero attachments is odd but well-formed (socket.io-parser too). */
    CHECK(dec("50-[\"x\"]", &p) == 0);
    CHECK(p.attachments == 0);

    /* The limit, and one past it; huge counts must not wrap. */
    CHECK(dec("564-[\"x\"]", &p) == 0);
    CHECK(p.attachments == SIO_MAX_ATTACHMENTS);
    CHECK(dec("565-[\"x\"]", &p) == -1);
    CHECK(dec("5064-[\"x\"]", &p) == 0); /* leading zero */
    CHECK(p.attachments == 64);
    CHECK(dec("54294967297-[\"x\"]", &p) == -1);
    CHECK(dec("599999999999999999999999999999-[\"x\"]", &p) == -1);

    /* Count missing, '-' missing, nothing after the type. */
    CHECK(dec("5-[\"x\"]", &p) == -1);
    CHECK(dec("51[\"x\"]", &p) == -1);
    CHECK(dec("51", &p) == -1);
    CHECK(dec("5[\"x\"]", &p) == -1);
    CHECK(dec("5/admin,1-[\"x\"]", &p) == -1);
    CHECK(dec("6-", &p) == -1);

    /* Binary head with no data decodes; the caller checks semantics. */
    CHECK(dec("51-", &p) == 0);
    CHECK(p.attachments == 1 && p.data_len == 0);
}

static void test_attachments_on_plain_types(void)
{
    struct sio_packet p;

    CHECK(dec("21-[\"x\"]", &p) == -1);
    CHECK(dec("01-{}", &p) == -1);
    CHECK(dec("11-", &p) == -1);
    CHECK(dec("31-[]", &p) == -1);
    CHECK(dec("41-{}", &p) == -1);
    /* The same shape after a namespace: an id before '-' is never valid. */
    CHECK(dec("2/a,1-[\"x\"]", &p) == -1);
    CHECK(dec("2/,5-1", &p) == -1);
    CHECK(dec("51-5-1", &p) == -1);
    /* Without an id, '-' is only the start of (bad) data. */
    CHECK(dec("2-1", &p) == 0);
    CHECK(p.id == SIO_NO_ID);
    CHECK_STR(p.data, p.data_len, "-1");
}

static void test_v4_query(void)
{
    struct sio_packet p;

    CHECK(dec("0/admin?token=abc,", &p) == 0);
    CHECK(p.type == SIO_CONNECT);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.query != NULL);
    CHECK_STR(p.query, p.query_len, "token=abc");
    CHECK(p.data_len == 0);

    CHECK(dec("0/admin?token=abc&x=1%2C2", &p) == 0); /* no ',' (old) */
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK_STR(p.query, p.query_len, "token=abc&x=1%2C2");

    /* A second '?' belongs to the query. */
    CHECK(dec("0/a?b=c?d,", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/a");
    CHECK_STR(p.query, p.query_len, "b=c?d");

    /* Empty query: present (non-NULL), length 0. */
    CHECK(dec("0/admin?,", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/admin");
    CHECK(p.query != NULL && p.query_len == 0);

    /* Root namespace with a query. */
    CHECK(dec("0/?t=1,", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/");
    CHECK_STR(p.query, p.query_len, "t=1");

    /* The '?' is only looked for inside the namespace part. */
    CHECK(dec("2/admin,[\"a?b\"]", &p) == 0);
    CHECK(p.query == NULL && p.query_len == 0);
    CHECK(dec("2[\"/x?y\"]", &p) == 0);
    CHECK(is_root(&p));

    /* Query, id and data together. */
    CHECK(dec("2/chat?k=v,5[\"hi\"]", &p) == 0);
    CHECK_STR(p.nsp, p.nsp_len, "/chat");
    CHECK_STR(p.query, p.query_len, "k=v");
    CHECK(p.id == 5);
    CHECK_STR(p.data, p.data_len, "[\"hi\"]");
}

static void test_ids(void)
{
    struct sio_packet p;

    /* 2^53 is the last exact JavaScript integer. */
    CHECK(dec("29007199254740992[]", &p) == 0);
    CHECK(p.id == ((int64_t)1 << 53));
    CHECK(dec("29007199254740993[]", &p) == -1);
    CHECK(dec("29007199254740992", &p) == 0);
    CHECK(dec("29007199254740993", &p) == -1);
    CHECK(dec("299999999999999999999999999999999999[]", &p) == -1);
    CHECK(dec("218446744073709551617[]", &p) == -1); /* 2^64 + 1 */
    CHECK(dec("29223372036854775808[]", &p) == -1);  /* 2^63 */
    CHECK(dec("3/a,9007199254740993[]", &p) == -1);
    CHECK(dec("30000000000000000000000000000042[]", &p) == 0);
    CHECK(p.id == 42);
    CHECK(dec("24294967296[]", &p) == 0); /* over 32 bits is fine */
    CHECK(p.id == 4294967296LL);
}

static void test_data_start(void)
{
    struct sio_packet p;
    static const char *ok[] = {"2[1]",  "0{}",   "4\"x\"", "31[]",
                               "35",    "2-1",   "2true",  "2false",
                               "2null", "2/a,-", "2/a,t",  "2/a,\"\""};
    static const char *bad[] = {
        "2 [1]", "2x",        "2\t[]",   "2\n[]", "2,[]",   "2]",  "2}",
        "2'a'",  "2admin,[]", "2/a, []", "2/a,x", "3/a,1x", "2.5", "2+1"};
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        CHECK(dec(ok[i], &p) == 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(dec(bad[i], &p) == -1);
    /* An embedded NUL as data start. */
    CHECK(sio_decode("2\0[]", 4, &p) == -1);
    /* A NUL inside the data is not ours to judge (len bounds it). */
    CHECK(sio_decode("2[\0]", 4, &p) == 0);
    CHECK(p.data_len == 3);
}

/* Every prefix of valid packets, from exact-size copies: ASan would catch
 * any read past len, and the results must be self-consistent. */
static void test_prefixes(void)
{
    static const char *pkts[] = {
        "2/admin?token=abc,123[\"chat\",{\"a\":1}]",
        "51-/nsp,3[\"up\",{\"_placeholder\":true,\"num\":0}]",
        "62-/admin,9[{\"_placeholder\":true,\"num\":0}]",
        "0/admin?x=1",
        "29007199254740992[]",
    };
    size_t i, n, len;
    struct sio_packet p;
    char *c;
    int r;

    for (i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
        len = strlen(pkts[i]);
        for (n = 0; n <= len; n++) {
            c = exact(pkts[i], n);
            r = sio_decode(c, n, &p);
            CHECK(r == 0 || r == -1);
            if (r == 0) {
                CHECK(p.nsp != NULL && p.nsp_len >= 1 && p.nsp[0] == '/');
                CHECK(p.data == NULL ||
                      (p.data > c && p.data + p.data_len == c + n));
                CHECK(p.query == NULL ||
                      (p.query > c && p.query + p.query_len <= c + n));
            }
            free(c);
        }
        c = exact(pkts[i], len);
        CHECK(sio_decode(c, len, &p) == 0);
        free(c);
    }
}

/* Every byte value after each head, exact-size. */
static void test_all_bytes(void)
{
    static const char *heads[] = {"2", "21", "2/a,", "51-", "0/a?", "2/a"};
    char *s;
    size_t h, hl;
    int c, r, fails;
    struct sio_packet p;

    for (h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
        hl = strlen(heads[h]);
        fails = 0;
        for (c = 0; c < 256; c++) {
            s = exact(heads[h], hl + 1);
            s[hl] = (char)c;
            r = sio_decode(s, hl + 1, &p);
            if (r != 0 && r != -1)
                fails++;
            if (r == 0 && p.data)
                fails += p.data != s + hl || p.data_len != 1;
            free(s);
        }
        CHECK(fails == 0);
    }
}

/* Encodes a head, appends data, and returns whether it matches `want`. */
static int enc_is(int type, unsigned att, const char *nsp, int64_t id,
                  const char *data, const char *want)
{
    struct buf b = BUF_INIT;
    int ok;

    if (sio_encode_head(&b, type, att, nsp, nsp ? strlen(nsp) : 0, id) != 0)
        return 0;
    if (data && buf_puts(&b, data) != 0)
        abort();
    ok = b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
    if (!ok)
        fprintf(stderr, "  encoded %.*s, want %s\n", (int)b.len, b.data, want);
    buf_free(&b);
    return ok;
}

static void test_encode(void)
{
    CHECK(enc_is(SIO_CONNECT, 0, "/", SIO_NO_ID, "{\"sid\":\"abc\"}",
                 "0{\"sid\":\"abc\"}"));
    CHECK(enc_is(SIO_CONNECT, 0, "/admin", SIO_NO_ID, "{\"sid\":\"abc\"}",
                 "0/admin,{\"sid\":\"abc\"}"));
    CHECK(enc_is(SIO_CONNECT, 0, "/admin", SIO_NO_ID, NULL, "0/admin,"));
    CHECK(enc_is(SIO_DISCONNECT, 0, "/", SIO_NO_ID, NULL, "1"));
    CHECK(enc_is(SIO_DISCONNECT, 0, "/admin", SIO_NO_ID, NULL, "1/admin,"));
    CHECK(enc_is(SIO_EVENT, 0, "/", SIO_NO_ID, "[\"chat\",\"hi\"]",
                 "2[\"chat\",\"hi\"]"));
    CHECK(enc_is(SIO_EVENT, 0, "/", 21, "[\"chat\"]", "221[\"chat\"]"));
    CHECK(enc_is(SIO_EVENT, 0, "/admin", 7, "[\"x\"]", "2/admin,7[\"x\"]"));
    CHECK(enc_is(SIO_EVENT, 0, NULL, SIO_NO_ID, "[1]", "2[1]"));
    CHECK(enc_is(SIO_EVENT, 0, "", 0, "[1]", "20[1]"));
    CHECK(enc_is(SIO_ACK, 0, "/", 0, "[]", "30[]"));
    CHECK(enc_is(SIO_ACK, 0, "/admin", 13, "[null,\"room\"]",
                 "3/admin,13[null,\"room\"]"));
    CHECK(enc_is(SIO_CONNECT_ERROR, 0, "/admin", SIO_NO_ID,
                 "{\"message\":\"Invalid namespace\"}",
                 "4/admin,{\"message\":\"Invalid namespace\"}"));
    CHECK(enc_is(SIO_BINARY_EVENT, 1, "/", SIO_NO_ID,
                 "[\"up\",{\"_placeholder\":true,\"num\":0}]",
                 "51-[\"up\",{\"_placeholder\":true,\"num\":0}]"));
    CHECK(enc_is(SIO_BINARY_EVENT, 1, "/nsp", 3, "[]", "51-/nsp,3[]"));
    CHECK(enc_is(SIO_BINARY_ACK, 2, "/admin", 9, "[]", "62-/admin,9[]"));
    CHECK(enc_is(SIO_BINARY_ACK, 0, "/", 9, "[]", "60-9[]"));
    /* Attachment count ignored on plain types. */
    CHECK(enc_is(SIO_EVENT, 5, "/", SIO_NO_ID, "[]", "2[]"));
    CHECK(enc_is(SIO_EVENT, 0, "/", (int64_t)1 << 53, "[]",
                 "29007199254740992[]"));
}

static void test_encode_errors(void)
{
    struct buf b = BUF_INIT;

    CHECK(buf_puts(&b, "keep") == 0);
    CHECK(sio_encode_head(&b, 7, 0, "/", 1, SIO_NO_ID) == -1);
    CHECK(sio_encode_head(&b, -1, 0, "/", 1, SIO_NO_ID) == -1);
    CHECK_STR(b.data, b.len, "keep");
    /* Appends to existing content. */
    CHECK(sio_encode_head(&b, SIO_EVENT, 0, "/x", 2, 1) == 0);
    CHECK_STR(b.data, b.len, "keep2/x,1");
    buf_free(&b);
}

/* Encode, append data, decode: the same packet comes back. */
static void round_trip(int type, unsigned att, const char *nsp, int64_t id,
                       const char *data)
{
    struct buf b = BUF_INIT;
    struct sio_packet p;
    size_t nl = strlen(nsp), dl = data ? strlen(data) : 0;
    char *c;

    CHECK(sio_encode_head(&b, type, att, nsp, nl, id) == 0);
    if (data)
        CHECK(buf_puts(&b, data) == 0);
    c = exact(b.data, b.len);
    CHECK(sio_decode(c, b.len, &p) == 0);
    CHECK(p.type == type);
    CHECK(p.attachments ==
          (type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK ? att : 0));
    CHECK_MEM(p.nsp, p.nsp_len, nsp, nl);
    CHECK(p.query == NULL);
    CHECK(p.id == id);
    CHECK(p.data_len == dl);
    if (dl)
        CHECK(p.data != NULL && memcmp(p.data, data, dl) == 0);
    free(c);
    buf_free(&b);
}

static void test_round_trips(void)
{
    static const char *nsps[] = {"/", "/admin", "/a/b", "/x-y_z.1"};
    static const int64_t ids[] = {SIO_NO_ID,       0, 1, 42, 4294967296LL,
                                  (int64_t)1 << 53};
    static const char *datas[] = {
        NULL,        "[\"chat\",\"hi\"]",
        "{\"a\":1}", "[{\"_placeholder\":true,\"num\":0}]",
        "\"text\"",  "[]"};
    int type;
    size_t n, i, d;

    for (type = SIO_CONNECT; type <= SIO_BINARY_ACK; type++)
        for (n = 0; n < sizeof(nsps) / sizeof(nsps[0]); n++)
            for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                for (d = 0; d < sizeof(datas) / sizeof(datas[0]); d++)
                    round_trip(type, type >= SIO_BINARY_EVENT ? 3 : 0, nsps[n],
                               ids[i], datas[d]);
    round_trip(SIO_BINARY_EVENT, SIO_MAX_ATTACHMENTS, "/admin", 7, "[]");
    round_trip(SIO_BINARY_ACK, 0, "/", 7, "[]");
}

static int name_ok(const char *s, size_t len)
{
    char *c = exact(s, len);
    int r = sio_name_valid(c, len);

    free(c);
    return r;
}

static void test_name_valid(void)
{
    CHECK(name_ok("/chat", 5) == 1);
    CHECK(name_ok("", 0) == 1); /* the length is the caller's */
    CHECK(name_ok("/caf\xc3\xa9", 6) == 1);
    CHECK(name_ok("\xf0\x9f\x98\x80", 4) == 1); /* U+1F600 */
    CHECK(name_ok("/\0x", 3) == 0);             /* the NUL cut */
    CHECK(name_ok("/a\x1e", 3) == 0);           /* polling separator */
    CHECK(name_ok("/a\n", 3) == 0);
    CHECK(name_ok("/a\x7f", 3) == 0);
    CHECK(name_ok("/\xff", 2) == 0);
    CHECK(name_ok("/\xc3", 2) == 0);             /* cut character */
    CHECK(name_ok("/\xc0\xaf", 3) == 0);         /* overlong '/' */
    CHECK(name_ok("/\xed\xa0\x80", 4) == 0);     /* surrogate */
    CHECK(name_ok("/\xf4\x90\x80\x80", 5) == 0); /* past U+10FFFF */
}

static int jname(const char *json, unsigned index)
{
    size_t len = strlen(json);
    char *c = exact(json, len);
    int r = sio_json_name(c, len, index);

    free(c);
    return r;
}

static void test_json_name(void)
{
    CHECK(jname("[\"chat\",1]", 0) == 1);
    CHECK(jname(" [ \"chat\" ]", 0) == 1);
    CHECK(jname("[\"subscribe\", \"room\"]", 1) == 1);
    CHECK(jname("[\"a\\\"b\\\\c\\/\"]", 0) == 1);
    CHECK(jname("[\"\\u00e9\\ud83d\\ude00\"]", 0) == 1);
    CHECK(jname("[\"caf\xc3\xa9\"]", 0) == 1);
    /* What a parser would cut or pass as control characters. */
    CHECK(jname("[\"subscribe\\u0000x\"]", 0) == 0);
    CHECK(jname("[\"subscribe\",\"a\\u0000b\"]", 1) == 0);
    CHECK(jname("[\"a\\u001F\"]", 0) == 0);
    CHECK(jname("[\"a\\u007f\"]", 0) == 0);
    CHECK(jname("[\"a\\n\"]", 0) == 0);
    CHECK(jname("[\"a\\t\"]", 0) == 0);
    CHECK(jname("[\"a\x01\"]", 0) == 0);
    CHECK(jname("[\"a\xff\"]", 0) == 0);
    CHECK(jname("[\"ok\",\"\xc3\"]", 1) == 0);
    /* A bad item 1 does not spoil item 0, nor the other way round. */
    CHECK(jname("[\"ok\",\"\\u0000\"]", 0) == 1);
    CHECK(jname("[\"\\u0000\",\"ok\"]", 1) == 1);
    /* Not strings, absent, cut short. */
    CHECK(jname("[1,\"x\"]", 0) == -1);
    CHECK(jname("[1,\"x\"]", 1) == -1);
    CHECK(jname("[\"x\",2]", 1) == -1);
    CHECK(jname("[\"x\"]", 1) == -1);
    CHECK(jname("[]", 0) == -1);
    CHECK(jname("{}", 0) == -1);
    CHECK(jname("[\"x\"]", 2) == -1);
    CHECK(jname("[\"abc", 0) == -1);
    CHECK(jname("[\"ab\\", 0) == -1);
    CHECK(jname("[\"a\\u00\"]", 0) == -1);
    CHECK(jname("[\"a\\u00zz\"]", 0) == -1);
    CHECK(sio_json_string_name("\"room\"", 6) == 1);
    CHECK(sio_json_string_name("\"a\\u0000\"", 9) == 0);
    CHECK(sio_json_string_name("\"room", 5) == -1);
    CHECK(sio_json_string_name("room", 4) == -1);
    CHECK(sio_json_string_name("", 0) == -1);
}

int main(void)
{
    test_name_valid();
    test_json_name();
    test_types_bare();
    test_connect();
    test_disconnect();
    test_event();
    test_ack();
    test_connect_error();
    test_binary();
    test_attachments_on_plain_types();
    test_v4_query();
    test_ids();
    test_data_start();
    test_prefixes();
    test_all_bytes();
    test_encode();
    test_encode_errors();
    test_round_trips();
    return T_DONE();
}
