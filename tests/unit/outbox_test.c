/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include <stdio.h>

#include "outbox.h"
#include "t.h"

/* Hands out the next message; its data as a string ("" when none). */
static const char *next(struct outbox *o, uint64_t *seq)
{
    static char s[64];
    const char *ch;
    const void *d;
    size_t clen, len;
    uint64_t q;

    if (outbox_next(o, &ch, &clen, &d, &len, seq ? seq : &q) != 0)
        return "";
    snprintf(s, sizeof s, "%.*s", (int)len, (const char *)d);
    return s;
}

static int invariant(const struct outbox *o)
{
    return o->kept == o->replayed + o->dropped + o->count &&
           o->bytes <= o->max_bytes;
}

static void test_order(void)
{
    struct outbox o;
    const char *ch;
    const void *d;
    size_t clen, len;
    uint64_t s1, s2, s3;

    outbox_init(&o, 1 << 20);
    CHECK(outbox_next(&o, &ch, &clen, &d, &len, &s1) == -1);
    CHECK(outbox_put(&o, "socket.io#/#", 12, "m1", 2) == 0);
    CHECK(outbox_put(&o, "socket.io#/#lobby#", 18, "m2", 2) == 0);
    CHECK(outbox_put(&o, "c", 1, "", 0) == 0);
    CHECK(o.count == 3 && o.kept == 3 &&
          o.bytes == 3 * OUTBOX_OVERHEAD + 12 + 2 + 18 + 2 + 1);
    CHECK(outbox_next(&o, &ch, &clen, &d, &len, &s1) == 0 && clen == 12 &&
          strcmp(ch, "socket.io#/#") == 0 && len == 2 &&
          memcmp(d, "m1", 2) == 0);
    CHECK(outbox_next(&o, &ch, &clen, &d, &len, &s2) == 0 &&
          strcmp(ch, "socket.io#/#lobby#") == 0 && memcmp(d, "m2", 2) == 0);
    CHECK(outbox_next(&o, &ch, &clen, &d, &len, &s3) == 0 && len == 0 &&
          strcmp(ch, "c") == 0);
    CHECK(s1 < s2 && s2 < s3);
    CHECK(outbox_next(&o, &ch, &clen, &d, &len, &s1) == -1);
    /* handed out is not gone: answered, in order */
    CHECK(o.count == 3);
    outbox_done(&o, s2);
    CHECK(o.count == 1 && o.replayed == 2);
    outbox_done(&o, s2); /* again: nothing */
    CHECK(o.count == 1);
    outbox_done(&o, s3);
    CHECK(o.count == 0 && o.bytes == 0 && o.replayed == 3 && o.dropped == 0);
    CHECK(o.head == NULL && o.tail == NULL && o.unsent == NULL);
    /* usable again once emptied */
    CHECK(outbox_put(&o, "c", 1, "m4", 2) == 0 &&
          strcmp(next(&o, NULL), "m4") == 0);
    outbox_clear(&o);
    CHECK(o.count == 0 && o.dropped == 1 && invariant(&o));
}

static void test_rewind(void)
{
    struct outbox o;
    uint64_t s1, s2;

    outbox_init(&o, 1 << 20);
    outbox_put(&o, "c", 1, "a", 1);
    outbox_put(&o, "c", 1, "b", 1);
    outbox_put(&o, "c", 1, "c", 1);
    CHECK(strcmp(next(&o, &s1), "a") == 0);
    CHECK(strcmp(next(&o, &s2), "b") == 0);
    outbox_done(&o, s1);
    /* the connection is lost with b unanswered: b goes again, then c */
    outbox_rewind(&o);
    CHECK(strcmp(next(&o, NULL), "b") == 0);
    /* kept while b is out: after c */
    outbox_put(&o, "c", 1, "d", 1);
    CHECK(strcmp(next(&o, NULL), "c") == 0);
    CHECK(strcmp(next(&o, &s2), "d") == 0);
    CHECK(strcmp(next(&o, NULL), "") == 0);
    outbox_done(&o, s2);
    CHECK(o.count == 0 && o.replayed == 4 && invariant(&o));
    /* a done() for what was not handed out takes nothing */
    outbox_put(&o, "c", 1, "e", 1);
    outbox_done(&o, o.seq);
    CHECK(o.count == 1);
    outbox_clear(&o);
}

static void test_bound(void)
{
    struct outbox o;
    char m[8];
    uint64_t s;
    int i;

    /* room for exactly three messages of 1 + 2 bytes */
    outbox_init(&o, 3 * (OUTBOX_OVERHEAD + 3));
    for (i = 0; i < 10; i++) {
        snprintf(m, sizeof m, "%02d", i);
        CHECK(outbox_put(&o, "c", 1, m, 2) == 0);
        CHECK(invariant(&o));
    }
    /* the oldest made room: 07, 08, 09 are left, in order */
    CHECK(o.count == 3 && o.kept == 10 && o.dropped == 7);
    CHECK(strcmp(next(&o, &s), "07") == 0);
    /* 07 is out, unanswered, when 10 pushes it out: its answer then
     * takes nothing, and 08 comes next */
    CHECK(outbox_put(&o, "c", 1, "10", 2) == 0 && o.dropped == 8);
    outbox_done(&o, s);
    CHECK(o.count == 3 && o.replayed == 0);
    CHECK(strcmp(next(&o, &s), "08") == 0);
    outbox_done(&o, s);
    CHECK(o.count == 2 && o.replayed == 1 && invariant(&o));
    /* a message bigger than the whole bound is refused, nothing pushed out */
    CHECK(outbox_put(&o, "c", 1, "0123456789", 3 * OUTBOX_OVERHEAD) == -1);
    CHECK(o.count == 2 && o.dropped == 8 && o.kept == 11);
    /* a big one that fits alone pushes out everything before it */
    {
        static char big[2 * OUTBOX_OVERHEAD];
        memset(big, 'b', sizeof big);
        CHECK(outbox_put(&o, "c", 1, big, sizeof big) == 0);
        CHECK(o.count == 1 && o.dropped == 10 && next(&o, NULL)[0] == 'b');
        CHECK(invariant(&o));
    }
    /* lengths that would wrap the sum are refused */
    CHECK(outbox_put(&o, "c", 1, "x", (size_t)-1) == -1);
    CHECK(outbox_put(&o, "c", (size_t)-1 - 10, "x", 20) == -1);
    outbox_clear(&o);
    CHECK(o.count == 0 && o.bytes == 0 && o.head == NULL && o.tail == NULL &&
          o.unsent == NULL && invariant(&o));
}

static void test_off(void)
{
    struct outbox o;

    outbox_init(&o, 0);
    CHECK(outbox_put(&o, "c", 1, "m", 1) == -1);
    CHECK(o.count == 0 && o.kept == 0 && o.dropped == 0);
}

int main(void)
{
    test_order();
    test_rewind();
    test_bound();
    test_off();
    return T_DONE();
}
