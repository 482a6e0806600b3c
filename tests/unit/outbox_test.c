/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include <stdio.h>

#include "outbox.h"
#include "t.h"

/* The oldest message's data as a string ("" when empty). */
static const char *oldest(const struct outbox *o)
{
    static char s[64];
    const char *ch;
    const void *d;
    size_t clen, len;

    if (outbox_peek(o, &ch, &clen, &d, &len) != 0)
        return "";
    snprintf(s, sizeof s, "%.*s", (int)len, (const char *)d);
    return s;
}

static void test_order(void)
{
    struct outbox o;
    const char *ch;
    const void *d;
    size_t clen, len;

    outbox_init(&o, 1 << 20);
    CHECK(outbox_peek(&o, &ch, &clen, &d, &len) == -1);
    CHECK(outbox_put(&o, "socket.io#/#", 12, "m1", 2) == 0);
    CHECK(outbox_put(&o, "socket.io#/#lobby#", 18, "m2", 2) == 0);
    CHECK(outbox_put(&o, "c", 1, "", 0) == 0);
    CHECK(o.count == 3 && o.kept == 3 &&
          o.bytes == 3 * OUTBOX_OVERHEAD + 12 + 2 + 18 + 2 + 1);
    CHECK(outbox_peek(&o, &ch, &clen, &d, &len) == 0 && clen == 12 &&
          strcmp(ch, "socket.io#/#") == 0 && len == 2 &&
          memcmp(d, "m1", 2) == 0);
    outbox_shift(&o);
    CHECK(outbox_peek(&o, &ch, &clen, &d, &len) == 0 &&
          strcmp(ch, "socket.io#/#lobby#") == 0 && memcmp(d, "m2", 2) == 0);
    outbox_shift(&o);
    CHECK(outbox_peek(&o, &ch, &clen, &d, &len) == 0 && len == 0 &&
          strcmp(ch, "c") == 0);
    outbox_shift(&o);
    outbox_shift(&o); /* empty: nothing */
    CHECK(o.count == 0 && o.bytes == 0 && o.replayed == 3 && o.dropped == 0);
    CHECK(o.head == NULL && o.tail == NULL);
    /* usable again once emptied */
    CHECK(outbox_put(&o, "c", 1, "m4", 2) == 0 &&
          strcmp(oldest(&o), "m4") == 0);
    outbox_clear(&o);
    CHECK(o.count == 0 && o.dropped == 1);
}

static void test_bound(void)
{
    struct outbox o;
    char m[8];
    int i;

    /* room for exactly three messages of 1 + 2 bytes */
    outbox_init(&o, 3 * (OUTBOX_OVERHEAD + 3));
    for (i = 0; i < 10; i++) {
        snprintf(m, sizeof m, "%02d", i);
        CHECK(outbox_put(&o, "c", 1, m, 2) == 0);
        CHECK(o.bytes <= o.max_bytes);
    }
    /* the oldest made room: 07, 08, 09 are left, in order */
    CHECK(o.count == 3 && o.kept == 10 && o.dropped == 7);
    CHECK(strcmp(oldest(&o), "07") == 0);
    outbox_shift(&o);
    CHECK(strcmp(oldest(&o), "08") == 0);
    /* a message bigger than the whole bound is refused, nothing pushed out */
    CHECK(outbox_put(&o, "c", 1, "0123456789", 3 * OUTBOX_OVERHEAD) == -1);
    CHECK(o.count == 2 && o.dropped == 7 && o.kept == 10);
    /* a big one that fits alone pushes out everything before it */
    {
        static char big[2 * OUTBOX_OVERHEAD];
        memset(big, 'b', sizeof big);
        CHECK(outbox_put(&o, "c", 1, big, sizeof big) == 0);
        CHECK(o.count == 1 && o.dropped == 9 && oldest(&o)[0] == 'b');
        CHECK(o.kept == o.replayed + o.dropped + o.count);
    }
    /* lengths that would wrap the sum are refused */
    CHECK(outbox_put(&o, "c", 1, "x", (size_t)-1) == -1);
    CHECK(outbox_put(&o, "c", (size_t)-1 - 10, "x", 20) == -1);
    outbox_clear(&o);
    CHECK(o.count == 0 && o.bytes == 0 && o.head == NULL && o.tail == NULL);
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
    test_bound();
    test_off();
    return T_DONE();
}
