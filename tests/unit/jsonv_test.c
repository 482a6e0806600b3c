/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* jsonv_test: unit tests of the strict JSON validator (sidecar/jsonv.c). */
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "t.h"

/* jsonv_valid() on an exact-size heap copy, so ASan sees a read past len. */
static int valid(const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);
    int r;

    if (copy == NULL)
        abort();
    memcpy(copy, s, len);
    r = jsonv_valid(copy, len);
    free(copy);
    return r;
}

#define OK(lit) CHECK(valid(lit, sizeof(lit) - 1) == 1)
#define BAD(lit) CHECK(valid(lit, sizeof(lit) - 1) == 0)

static void test_accepts(void)
{
    OK("0");
    OK("-0");
    OK("-0.0e+00");
    OK("1E5");
    OK("12.5e-3");
    OK("1e999"); /* JSON has no range; JSON.parse gives Infinity */
    OK("\"\"");
    OK("\"a\\u0000b\\ud800\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
    OK("true");
    OK("false");
    OK("null");
    OK(" [ ] ");
    OK("\t{}\r\n");
    OK("[\"chat\",{\"k\":[1,-2.5e+3,null,true,false,{}]}]");
    OK("{\"a\":{\"b\":{\"c\":[[[]]]}}}");
    OK("\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
    OK("\"\xed\x9f\xbf\xee\x80\x80\""); /* U+D7FF, U+E000 */
}

/* What cJSON takes and JSON.parse refuses, and plain garbage. */
static void test_refuses(void)
{
    BAD("");
    BAD("   ");
    BAD("01");
    BAD("-01");
    BAD("1.");
    BAD("-.5");
    BAD(".5");
    BAD("+1");
    BAD("1e");
    BAD("1e+");
    BAD("-");
    BAD("0x10");
    BAD("NaN");
    BAD("Infinity");
    BAD("[1,]");
    BAD("{\"a\":1,}");
    BAD("[,1]");
    BAD("{,}");
    BAD("{\"a\"}");
    BAD("{\"a\" 1}");
    BAD("{a:1}");
    BAD("{'a':1}");
    BAD("[1 2]");
    BAD("[\"a\"]x");
    BAD("[\"a\"] []");
    BAD("[\"a\"]\x00");
    BAD("\"\x1b[31m\"");
    BAD("\"a\tb\"");
    BAD("\"a\nb\"");
    BAD("\"\x7f\x00\"");
    BAD("\"\\x41\"");
    BAD("\"\\u12\"");
    BAD("\"\\u12g4\"");
    BAD("\"\\");
    BAD("\"abc");
    BAD("[");
    BAD("[[]");
    BAD("{\"a\":");
    BAD("]");
    BAD("}");
    BAD("tru");
    BAD("nul");
    BAD("True");
    BAD("\xef\xbb\xbf[]"); /* a byte order mark is not JSON.parse's */
    BAD("/*c*/[]");
}

static void test_utf8(void)
{
    BAD("\"\x80\"");             /* continuation without a lead */
    BAD("\"\xc0\xaf\"");         /* overlong '/' */
    BAD("\"\xc1\xbf\"");         /* overlong */
    BAD("\"\xe0\x80\xaf\"");     /* overlong */
    BAD("\"\xed\xa0\x80\"");     /* U+D800 as UTF-8 */
    BAD("\"\xf0\x80\x80\xaf\""); /* overlong */
    BAD("\"\xf4\x90\x80\x80\""); /* past U+10FFFF */
    BAD("\"\xf5\x80\x80\x80\"");
    BAD("\"\xff\"");
    BAD("\"\xc3\""); /* cut short before the quote */
    BAD("\"\xe2\x82\"");
    BAD("\"\xc3");     /* cut short at the end */
    BAD("[\xc3\xa9]"); /* only strings may hold it */
}

static void test_depth(void)
{
    char *s = malloc(2 * (JSONV_MAX_DEPTH + 1));
    size_t d;

    if (s == NULL)
        abort();
    for (d = JSONV_MAX_DEPTH; d <= JSONV_MAX_DEPTH + 1; d++) {
        memset(s, '[', d);
        memset(s + d, ']', d);
        CHECK(valid(s, 2 * d) == (d <= JSONV_MAX_DEPTH));
    }
    /* objects and arrays mixed down the stack, closed in the right order */
    OK("[{\"a\":[{\"b\":[]}]}]");
    BAD("[{\"a\":[{\"b\":[]]}]}");
    BAD("{\"a\":[}");
    free(s);
}

static void test_value_prefix(void)
{
    CHECK(jsonv_value(" [1] tail", 9) == 4);
    CHECK(jsonv_value("\"a\",\"b\"", 7) == 3);
    CHECK(jsonv_value("12,3", 4) == 2);
    CHECK(jsonv_value("01", 2) == 1); /* "0", then what the caller judges */
    CHECK(jsonv_value("[1", 2) == -1);
    CHECK(jsonv_value("", 0) == -1);
}

int main(void)
{
    test_accepts();
    test_refuses();
    test_utf8();
    test_depth();
    test_value_prefix();
    return T_DONE();
}
