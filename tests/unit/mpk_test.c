/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
#include <math.h>
#include <stdlib.h>

#include "mpk.h"
#include "t.h"

/* The data of the broadcast captured from Node (docs/scale-out.md):
 * ["e1",1,"x",2.5,null,{"k":[true]}] as notepack.io writes it. */
static const char captured[] = "\x96\xa2"
                               "e1"
                               "\x01\xa1"
                               "x"
                               "\xcb\x40\x04\x00\x00\x00\x00\x00\x00"
                               "\xc0\x81\xa1"
                               "k"
                               "\x91\xc3";

/* The JSON of msgpack m[0..len), or NULL when refused; *nbins set. */
static char *json_of(const char *m, size_t len, size_t *nbins)
{
    struct buf out = BUF_INIT, bins = BUF_INIT;
    const char *p = m;
    char *r = NULL;

    if (mpk_to_json(&p, m + len, &out, &bins) == 0 && p == m + len &&
        buf_putc(&out, '\0') == 0)
        r = out.data;
    else
        buf_free(&out);
    if (nbins != NULL)
        *nbins = bins.len / sizeof(struct mpk_bin);
    buf_free(&bins);
    return r;
}

static int json_is(const char *m, size_t len, const char *want)
{
    char *got = json_of(m, len, NULL);
    int ok = got != NULL && strcmp(got, want) == 0;

    if (!ok)
        fprintf(stderr, "got %s, want %s\n", got ? got : "(refused)", want);
    free(got);
    return ok;
}

static void test_read_forms(void)
{
    CHECK(json_is(captured, sizeof captured - 1,
                  "[\"e1\",1,\"x\",2.5,null,{\"k\":[true]}]"));
    CHECK(json_is("\xff", 1, "-1"));
    CHECK(json_is("\xe0", 1, "-32"));
    CHECK(json_is("\xcc\xff", 2, "255"));
    CHECK(json_is("\xcd\x01\x00", 3, "256"));
    CHECK(json_is("\xce\xff\xff\xff\xff", 5, "4294967295"));
    CHECK(json_is("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9,
                  "18446744073709551615"));
    CHECK(json_is("\xd0\x80", 2, "-128"));
    CHECK(json_is("\xd1\x80\x00", 3, "-32768"));
    CHECK(json_is("\xd2\x80\x00\x00\x00", 5, "-2147483648"));
    CHECK(json_is("\xd3\x80\x00\x00\x00\x00\x00\x00\x00", 9,
                  "-9223372036854775808"));
    CHECK(json_is("\xca\x3f\xc0\x00\x00", 5, "1.5"));
    CHECK(json_is("\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a", 9, "0.1"));
    CHECK(json_is("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9, "null")); /* NaN */
    CHECK(json_is("\xc2", 1, "false"));
    CHECK(json_is("\xd9\x03\x61\x22\x0a", 5, "\"a\\\"\\u000a\""));
    CHECK(json_is("\xda\x00\x02\xc3\xa9", 5, "\"\xc3\xa9\""));
    CHECK(json_is("\xdc\x00\x01\x01", 4, "[1]"));
    CHECK(json_is("\xde\x00\x01\xa1k\x01", 6, "{\"k\":1}"));
    CHECK(json_is("\xc4\x02\x01\x02", 4, "{\"_placeholder\":true,\"num\":0}"));
    /* Dates: the timestamp extension (notepack 3), 32 and 96 bits. */
    CHECK(
        json_is("\xd6\xff\x00\x00\x00\x00", 6, "\"1970-01-01T00:00:00.000Z\""));
    CHECK(
        json_is("\xc7\x0c\xff\x07\x54\xd4\xc0\x00\x00\x00\x00\x65\x53\xf1\x00",
                15, "\"2023-11-14T22:13:20.123Z\""));
}

static void test_refused(void)
{
    size_t i;
    char *j;

    CHECK(json_of("\xc1", 1, NULL) == NULL);         /* never used */
    CHECK(json_of("\xa3\x61\x62", 3, NULL) == NULL); /* cut short */
    CHECK(json_of("\xa2\xc3\x28", 3, NULL) == NULL); /* bad UTF-8 */
    CHECK(json_of("\x81\x01\x01", 3, NULL) == NULL); /* key not a string */
    CHECK(json_of("\xd4\x05\x00", 3, NULL) == NULL); /* unknown extension */
    CHECK(json_of("\xdd\x7f\xff\xff\xff", 5, NULL) == NULL); /* count > bytes */
    CHECK(json_of("\xdf\xff\xff\xff\xff\x01", 6, NULL) == NULL);
    CHECK(json_of("\xdb\xff\xff\xff\xff", 5, NULL) == NULL);
    CHECK(json_of("\xc6\x00\x00\x00\x05\x01", 6, NULL) == NULL);
    /* Nesting: MPK_MAX_DEPTH levels taken, one more refused. */
    {
        char deep[MPK_MAX_DEPTH + 3];
        memset(deep, 0x91, sizeof deep);
        deep[MPK_MAX_DEPTH] = '\xc0';
        j = json_of(deep, MPK_MAX_DEPTH + 1, NULL);
        CHECK(j != NULL);
        free(j);
        deep[MPK_MAX_DEPTH] = '\x91';
        deep[MPK_MAX_DEPTH + 1] = '\xc0';
        CHECK(json_of(deep, MPK_MAX_DEPTH + 2, NULL) == NULL);
    }
    /* Every cut of a valid value is refused, none read past the end. */
    for (i = 0; i + 1 < sizeof captured - 1; i++) {
        char *cut = malloc(i ? i : 1);
        memcpy(cut, captured, i);
        CHECK(json_of(cut, i, NULL) == NULL);
        free(cut);
    }
}

static void test_write(void)
{
    static const char data[] = "[\"e1\",1,\"x\",2.5,null,{\"k\":[true]}]";
    static const char ph[] =
        "[\"b\",{\"_placeholder\":true,\"num\":0},-1,-200,70000,1e300,"
        "-0.0,9007199254740993]";
    struct buf out = BUF_INIT;
    struct frame *att = frame_new("\x01\x02\x03", 3);
    size_t nbins;
    char *j;

    /* Byte for byte what notepack.io writes for the captured data. */
    CHECK(mpk_from_json(&out, data, sizeof data - 1, NULL, 0) == 0);
    CHECK_MEM(out.data, out.len, captured, sizeof captured - 1);
    buf_reset(&out);
    CHECK(mpk_from_json(&out, ph, sizeof ph - 1, &att, 1) == 0);
    j = json_of(out.data, out.len, &nbins);
    CHECK(j != NULL && nbins == 1);
    CHECK(j != NULL &&
          strcmp(j, "[\"b\",{\"_placeholder\":true,\"num\":0},-1,-200,70000,"
                    "1e+300,-0,9007199254740992]") == 0);
    free(j);
    CHECK(memmem(out.data, out.len, "\xc4\x03\x01\x02\x03", 5) != NULL);
    buf_reset(&out);
    /* A placeholder naming no attachment; text that is no JSON. */
    CHECK(mpk_from_json(&out, ph, sizeof ph - 1, NULL, 0) == -1);
    CHECK(mpk_from_json(&out, "[1,", 3, NULL, 0) == -1);
    buf_free(&out);
    frame_unref(att);
}

int main(void)
{
    test_read_forms();
    test_refused();
    test_write();
    return T_DONE();
}
