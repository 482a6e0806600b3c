/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include <stdlib.h>

#include "pickle.h"
#include "t.h"

/* Messages of Debian 12's python3-socketio 5.7.2 (Python 3.11), captured
 * on its Redis channel from RedisManager(write_only=True):
 * emit('py1', {'a': 1}, room='lobby'); emit('multi', (1, 'two', 3.5,
 * None, True, [1, 2], {'k': 'v'}), namespace='/admin'); emit('bin',
 * b'\x00\x01\x02\xff', room=<sid>); close_room('lobby');
 * disconnect('SOMESID', namespace='/admin'). */
static const char emit_room[] =
    "\x80\x04\x95\x97\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x06method\x94"
    "\x8c\x04"
    "emit\x94\x8c\x05"
    "event\x94\x8c\x03py1\x94\x8c\x04"
    "data"
    "\x94}\x94\x8c\x01"
    "a\x94K\x01s\x8c\x09namespace\x94\x8c\x01/\x94\x8c"
    "\x04room\x94\x8c\x05lobby\x94\x8c\x08skip_sid\x94N\x8c\x08"
    "callba"
    "ck\x94N\x8c\x07host_id\x94\x8c b2bb850a80cd47caa69def93f41b84a3\x94"
    "u.";
static const char emit_tuple[] =
    "\x80\x04\x95\xb7\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x06method\x94"
    "\x8c\x04"
    "emit\x94\x8c\x05"
    "event\x94\x8c\x05multi\x94\x8c\x04"
    "da"
    "ta\x94(K\x01\x8c\x03two\x94G@\x0c\x00\x00\x00\x00\x00\x00N\x88]\x94"
    "(K\x01K\x02"
    "e}\x94\x8c\x01k\x94\x8c\x01v\x94st\x94\x8c\x09namespa"
    "ce\x94\x8c\x06/admin\x94\x8c\x04room\x94N\x8c\x08skip_sid\x94N\x8c"
    "\x08"
    "callback\x94N\x8c\x07host_id\x94\x8c b2bb850a80cd47caa69def9"
    "3f41b84a3\x94u.";
static const char emit_bytes[] =
    "\x80\x04\x95\xa4\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x06method\x94"
    "\x8c\x04"
    "emit\x94\x8c\x05"
    "event\x94\x8c\x03"
    "bin\x94\x8c\x04"
    "da"
    "ta\x94"
    "C\x04\x00\x01\x02\xff\x94\x8c\x09namespace\x94\x8c\x01/\x94"
    "\x8c\x04room\x94\x8c\x14SOMESIDxxxxxxxxxxxxx\x94\x8c\x08skip_sid\x94"
    "N\x8c\x08"
    "callback\x94N\x8c\x07host_id\x94\x8c b2bb850a80cd47caa6"
    "9def93f41b84a3\x94u.";
static const char close_room[] =
    "\x80\x04\x95:\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x06method\x94\x8c"
    "\x0a"
    "close_room\x94\x8c\x04room\x94\x8c\x05lobby\x94\x8c\x09names"
    "pace\x94\x8c\x01/\x94u.";
static const char disconnect[] =
    "\x80\x04\x95@\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x06method\x94\x8c"
    "\x0a"
    "disconnect\x94\x8c\x03sid\x94\x8c\x07SOMESID\x94\x8c\x09name"
    "space\x94\x8c\x06/admin\x94u.";

#define LOAD(lit) pickle_load(lit, sizeof lit - 1, &why)

/* The JSON of value v, or NULL; *nbins set. */
static char *json_of(const struct pickle *pk, long v, size_t max, size_t *nbins)
{
    struct buf out = BUF_INIT, bins = BUF_INIT;
    const char *why;
    char *r = NULL;

    if (v >= 0 && pickle_json(pk, (unsigned)v, max, &out, &bins, &why) == 0 &&
        buf_putc(&out, '\0') == 0)
        r = out.data;
    else
        buf_free(&out);
    if (nbins != NULL)
        *nbins = bins.len / sizeof(struct pickle_bin);
    buf_free(&bins);
    return r;
}

static int json_is(const struct pickle *pk, long v, const char *want)
{
    char *got = json_of(pk, v, 1 << 20, NULL);
    int ok = got != NULL && strcmp(got, want) == 0;

    if (!ok)
        fprintf(stderr, "got %s, want %s\n", got ? got : "(refused)", want);
    free(got);
    return ok;
}

/* Refused with a reason containing `part`. */
static int refused(const char *p, size_t len, const char *part)
{
    const char *why = NULL;
    struct pickle *pk = pickle_load(p, len, &why);

    if (pk != NULL) {
        pickle_free(pk);
        fprintf(stderr, "loaded, want refused: %s\n", part);
        return 0;
    }
    if (why == NULL || strstr(why, part) == NULL) {
        fprintf(stderr, "why %s, want %s\n", why ? why : "(null)", part);
        return 0;
    }
    return 1;
}

#define REFUSED(lit, part) refused(lit, sizeof lit - 1, part)

static void test_captured(void)
{
    const char *why;
    struct pickle *pk;
    unsigned root;
    size_t nb;
    char *j;

    CHECK((pk = LOAD(emit_room)) != NULL);
    root = pickle_root(pk);
    CHECK(pickle_kind(pk, root) == PICKLE_DICT);
    CHECK(json_is(pk, root,
                  "{\"method\":\"emit\",\"event\":\"py1\",\"data\":{\"a\":1},"
                  "\"namespace\":\"/\",\"room\":\"lobby\",\"skip_sid\":null,"
                  "\"callback\":null,\"host_id\":"
                  "\"b2bb850a80cd47caa69def93f41b84a3\"}"));
    CHECK(pickle_kind(pk, (unsigned)pickle_get(pk, root, "data")) ==
          PICKLE_DICT);
    CHECK(json_is(pk, pickle_get(pk, root, "room"), "\"lobby\""));
    CHECK(pickle_get(pk, root, "nope") == -1);
    CHECK(pickle_get(pk, (unsigned)pickle_get(pk, root, "room"), "a") == -1);
    pickle_free(pk);

    CHECK((pk = LOAD(emit_tuple)) != NULL);
    root = pickle_root(pk);
    CHECK(pickle_kind(pk, (unsigned)pickle_get(pk, root, "data")) ==
          PICKLE_TUPLE);
    CHECK(json_is(pk, pickle_get(pk, root, "data"),
                  "[1,\"two\",3.5,null,true,[1,2],{\"k\":\"v\"}]"));
    CHECK(json_is(pk, pickle_get(pk, root, "namespace"), "\"/admin\""));
    pickle_free(pk);

    CHECK((pk = LOAD(emit_bytes)) != NULL);
    root = pickle_root(pk);
    CHECK(pickle_kind(pk, (unsigned)pickle_get(pk, root, "data")) ==
          PICKLE_BYTES);
    j = json_of(pk, pickle_get(pk, root, "data"), 1 << 20, &nb);
    CHECK(j != NULL && strcmp(j, "{\"_placeholder\":true,\"num\":0}") == 0);
    CHECK(nb == 1);
    free(j);
    {
        struct buf out = BUF_INIT, bins = BUF_INIT;
        const struct pickle_bin *b;
        CHECK(pickle_json(pk, (unsigned)pickle_get(pk, root, "data"), 100, &out,
                          &bins, &why) == 0);
        b = (const struct pickle_bin *)(void *)bins.data;
        CHECK(b != NULL && b[0].len == 4 &&
              memcmp(b[0].p, "\x00\x01\x02\xff", 4) == 0);
        buf_free(&out);
        buf_free(&bins);
    }
    pickle_free(pk);

    CHECK((pk = LOAD(close_room)) != NULL);
    CHECK(json_is(pk, pickle_root(pk),
                  "{\"method\":\"close_room\",\"room\":\"lobby\","
                  "\"namespace\":\"/\"}"));
    pickle_free(pk);
    CHECK((pk = LOAD(disconnect)) != NULL);
    CHECK(json_is(pk, pickle_root(pk),
                  "{\"method\":\"disconnect\",\"sid\":\"SOMESID\","
                  "\"namespace\":\"/admin\"}"));
    pickle_free(pk);
}

/* Values as pickle.dumps writes them with protocols 2, 3 and 5. */
static void test_values(void)
{
    /* pickle.dumps({'b': bytearray(b'\x00\xff'), 'f': [1.5, -0.0,
     * float('inf'), float('nan')], 'i': [-1, -2**31, 2**31, -2**63,
     * 2**63 - 1]}, protocol=5) */
    static const char p5[] =
        "\x80\x05\x95\x6e\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01"
        "b\x94"
        "\x96\x02\x00\x00\x00\x00\x00\x00\x00\x00\xff\x94\x8c\x01"
        "f\x94]"
        "\x94(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00"
        "\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00G\x7f\xf8\x00\x00\x00\x00\x00"
        "\x00"
        "e\x8c\x01i\x94]\x94(J\xff\xff\xff\xffJ\x00\x00\x00\x80\x8a"
        "\x05\x00\x00\x00\x80\x00\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80"
        "\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f"
        "eu.";
    /* pickle.dumps({'t': (1, (2,), ()), 's': 'a"\\\n\x01é'}, protocol=2) */
    static const char p2[] = "\x80\x02}q\x00(X\x01\x00\x00\x00tq\x01K\x01K"
                             "\x02\x85q\x02)\x87q\x03X\x01\x00\x00\x00sq\x04"
                             "X\x07\x00\x00\x00"
                             "a\"\\\n\x01\xc3\xa9q\x05u.";
    /* l = ['s']; pickle.dumps({'a': l, 'b': [l, l]}): one list, memoized
     * and fetched twice */
    static const char shared[] = "\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00"
                                 "\x00}\x94(\x8c\x01"
                                 "a\x94]\x94\x8c\x01s"
                                 "\x94"
                                 "a\x8c\x01"
                                 "b\x94]\x94(h\x02h\x02"
                                 "e"
                                 "u.";
    const char *why;
    struct pickle *pk;

    CHECK((pk = LOAD(p5)) != NULL);
    CHECK(pk != NULL &&
          json_is(pk, pickle_root(pk),
                  "{\"b\":{\"_placeholder\":true,\"num\":0},"
                  "\"f\":[1.5,-0,null,null],\"i\":[-1,-2147483648,2147483648,"
                  "-9223372036854775808,9223372036854775807]}"));
    pickle_free(pk);
    CHECK((pk = LOAD(p2)) != NULL);
    CHECK(pk != NULL &&
          json_is(pk, pickle_root(pk),
                  "{\"t\":[1,[2],[]],\"s\":\"a\\\"\\\\\\n\\u0001\xc3\xa9\"}"));
    pickle_free(pk);
    CHECK((pk = LOAD(shared)) != NULL);
    CHECK(pk != NULL && json_is(pk, pickle_root(pk),
                                "{\"a\":[\"s\"],\"b\":[[\"s\"],[\"s\"]]}"));
    pickle_free(pk);
}

/* Each opcode outside the subset, as Python writes them: refused by name,
 * whatever comes after. */
static void test_refused_opcodes(void)
{
    /* pickle.dumps of an object whose __reduce__ is (os.system,
     * ('touch /tmp/pwned',)) */
    static const char reduce[] =
        "\x80\x04\x95+\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06"
        "system\x94\x93\x94\x8c\x10touch /tmp/pwned\x94\x85\x94R\x94.";

    CHECK(REFUSED(reduce, "STACK_GLOBAL"));
    CHECK(REFUSED("cos\nsystem\n(S'id'\ntR.", "GLOBAL"));
    CHECK(REFUSED("\x80\x02N)R.", "REDUCE"));
    CHECK(REFUSED("\x80\x02}N(b.", "BUILD"));
    CHECK(REFUSED("(ios\nsystem\n.", "INST"));
    CHECK(REFUSED("(N)o.", "OBJ"));
    CHECK(REFUSED("\x80\x02NN\x81.", "NEWOBJ"));
    CHECK(REFUSED("\x80\x04NN}\x92.", "NEWOBJ_EX"));
    CHECK(REFUSED("P1\n.", "PERSID"));
    CHECK(REFUSED("\x80\x02NQ.", "PERSID"));
    CHECK(REFUSED("\x80\x02\x82\x01.", "EXT1"));
    CHECK(REFUSED("\x80\x02\x83\x01\x00.", "EXT"));
    CHECK(REFUSED("\x80\x02\x84\x01\x00\x00\x00.", "EXT"));
    CHECK(REFUSED("\x80\x04\x8f.", "EMPTY_SET"));
    CHECK(REFUSED("\x80\x04(\x91.", "FROZENSET"));
    CHECK(REFUSED("\x80\x05\x97.", "NEXT_BUFFER"));
    CHECK(REFUSED("I1\n.", "protocol 0"));
    CHECK(REFUSED("S'x'\n.", "protocol 0"));
    CHECK(REFUSED("\x80\x02U\x01x.", "BINSTRING"));
    CHECK(REFUSED("\x80\x02\xff.", "not a pickle opcode"));
    CHECK(REFUSED("\x80\x06N.", "protocol over 5"));
}

static void test_hostile(void)
{
    char *p;
    const char *why;
    struct pickle *pk;
    size_t i, n;

    CHECK(REFUSED("", "cut short"));
    CHECK(REFUSED("\x80\x04N", "cut short"));
    CHECK(REFUSED("\x80\x04\x8c\x05"
                  "abc.",
                  "cut short"));
    CHECK(REFUSED("\x80\x04X\xff\xff\xff\xff"
                  "abc.",
                  "cut short"));
    CHECK(REFUSED("\x8d\xff\xff\xff\xff\xff\xff\xff\xff.", "cut short"));
    CHECK(REFUSED("\x8e\x00\x00\x00\x00\x00\x00\x00\x80.", "cut short"));
    CHECK(REFUSED("\x95\xff\xff\xff\xff\xff\xff\xff\xffN.", "frame past"));
    CHECK(REFUSED("\x8b\xff\xff\xff\xff.", "over 64 bits"));
    CHECK(REFUSED("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.",
                  "over 64 bits"));
    CHECK(REFUSED("h\x00.", "memo index"));
    CHECK(REFUSED("Nq\x00h\x01.", "memo index"));
    CHECK(REFUSED("Nr\xff\xff\xff\xff.", "PICKLE_MAX_MEMO"));
    CHECK(REFUSED("j\xff\xff\xff\xff.", "memo index"));
    CHECK(REFUSED("q\x00.", "underflow"));
    CHECK(REFUSED("a.", "underflow"));
    CHECK(REFUSED("Na.", "underflow"));
    CHECK(REFUSED("NNa.", "not a list"));
    CHECK(REFUSED("]NNs.", "not a dict"));
    CHECK(REFUSED("}(N.", "STOP with"));
    CHECK(REFUSED("}(Nu.", "pair up"));
    CHECK(REFUSED("(Ne.", "underflow"));
    CHECK(REFUSED("N(]e.", "not a list"));
    CHECK(REFUSED("e.", "no mark"));
    CHECK(REFUSED("t.", "no mark"));
    CHECK(REFUSED("1.", "no mark"));
    CHECK(REFUSED("N(\x85.", "underflow"));
    CHECK(REFUSED(".", "STOP with"));
    CHECK(REFUSED("NN.", "STOP with"));
    CHECK(REFUSED("(N.", "STOP with"));
    CHECK(REFUSED("N.N", "after STOP"));
    CHECK(REFUSED("\x8c\x02\xc3(.", "not UTF-8"));
    CHECK(REFUSED("\x8c\x03\xed\xa0\x80.", "not UTF-8")); /* a surrogate */
    CHECK(REFUSED("}K\x01Ns.", "not a string"));
    CHECK(REFUSED("}\x8c\x01kN\x8c\x01kNs.", "")); /* no SETITEM target */
    CHECK(REFUSED("}(\x8c\x01kN\x8c\x01kK\x01u.", "twice"));
    CHECK(REFUSED("0.", "underflow"));
    CHECK(REFUSED("2.", "underflow"));

    /* POP, POP_MARK and DUP are data-only: accepted. */
    CHECK((pk = pickle_load("NN0(NN12\x86.", 10, &why)) != NULL);
    CHECK(pk != NULL && json_is(pk, pickle_root(pk), "[null,null]"));
    pickle_free(pk);

    /* 150 nested lists (each appended into the one below) load, but
     * write no deeper than PICKLE_MAX_DEPTH. */
    n = 150;
    p = malloc(2 * n);
    memset(p, ']', n);
    memset(p + n, 'a', n - 1);
    p[2 * n - 1] = '.';
    CHECK((pk = pickle_load(p, 2 * n, &why)) != NULL);
    CHECK(pk != NULL && json_of(pk, pickle_root(pk), 1 << 20, NULL) == NULL);
    pickle_free(pk);
    free(p);

    /* A list holding itself: loads, then refused when written. */
    CHECK((pk = pickle_load("]\x94h\x00"
                            "a.",
                            6, &why)) != NULL);
    CHECK(pk != NULL && json_of(pk, pickle_root(pk), 1 << 20, NULL) == NULL);
    pickle_free(pk);

    /* A billion laughs by memo: 30 lists, each holding the one before
     * twice (each made after POPping the one before), write 2^30 items:
     * stopped by the size given. */
    {
        struct buf b = BUF_INIT;
        struct buf out = BUF_INIT, bins = BUF_INIT;
        buf_append(&b, "]q\x00", 3);
        for (i = 1; i <= 30; i++) {
            buf_puts(&b, "0](h");
            buf_putc(&b, (char)(i - 1));
            buf_putc(&b, 'h');
            buf_putc(&b, (char)(i - 1));
            buf_puts(&b, "eq");
            buf_putc(&b, (char)i);
        }
        buf_putc(&b, '.');
        CHECK((pk = pickle_load(b.data, b.len, &why)) != NULL);
        CHECK(pk != NULL && pickle_json(pk, pickle_root(pk), 100000, &out,
                                        &bins, &why) == -1);
        CHECK(out.len <= 100000 + 64);
        pickle_free(pk);
        buf_free(&b);
        buf_free(&out);
        buf_free(&bins);
    }
    /* MEMOIZE past the memo cap. */
    {
        struct buf b = BUF_INIT;
        buf_putc(&b, 'N');
        for (i = 0; i <= PICKLE_MAX_MEMO; i++)
            buf_putc(&b, '\x94');
        buf_putc(&b, '.');
        CHECK(refused(b.data, b.len, "PICKLE_MAX_MEMO"));
        buf_free(&b);
    }
    /* More values than PICKLE_MAX_VALUES. */
    {
        struct buf b = BUF_INIT;
        buf_putc(&b, ']');
        buf_putc(&b, '(');
        for (i = 0; i <= PICKLE_MAX_VALUES; i++)
            buf_putc(&b, ']');
        buf_puts(&b, "e.");
        CHECK(refused(b.data, b.len, "PICKLE_MAX_VALUES"));
        buf_free(&b);
    }
}

int main(void)
{
    test_captured();
    test_values();
    test_refused_opcodes();
    test_hostile();
    return T_DONE();
}
