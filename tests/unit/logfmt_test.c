/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* logfmt_test: the message-log format renderer, including hostile formats. */
#include <stdlib.h>
#include <string.h>

#include "logfmt.h"
#include "t.h"

static const char t_meta[] = "REMOTE_ADDR=127.0.0.1\0REMOTE_PORT=5555\0"
                             "QUERY_STRING=EIO=4&x=1\0HTTP_USER_AGENT=t/1 ü\0";

static const char *t_lookup(void *arg, const char *key, size_t klen,
                            size_t *vlen)
{
    (void)arg;
    if (klen == 7 && memcmp(key, "MESSAGE", 7) == 0) {
        *vlen = 8;
        return "[\"hi\",1]X"; /* only 8 bytes are the value */
    }
    return logfmt_meta(t_meta, key, klen, vlen);
}

static char t_out[8192];

static const char *render(const char *fmt)
{
    struct buf b = BUF_INIT;
    size_t n;

    if (logfmt_render(&b, fmt, strlen(fmt), t_lookup, NULL) != 0) {
        buf_free(&b);
        return "(oom)";
    }
    n = b.len < sizeof t_out - 1 ? b.len : sizeof t_out - 1;
    if (n > 0)
        memcpy(t_out, b.data, n);
    t_out[n] = '\0';
    buf_free(&b);
    return t_out;
}

#define R(fmt, want) CHECK(strcmp(render(fmt), want) == 0)

int main(void)
{
    struct buf b = BUF_INIT;
    char junk[4096];
    size_t i, j;
    unsigned seed = 12345;
    int ok = 1;

    R("", "");
    R("plain text", "plain text");
    R("%(REMOTE_ADDR)s<x> %(MESSAGE)s", "127.0.0.1<x> [\"hi\",1]");
    R("%(REMOTE_ADDR)s - - \"%(MESSAGE)s\"", "127.0.0.1 - - \"[\"hi\",1]\"");
    R("%(QUERY_STRING)s", "EIO=4&x=1");
    /* unknown keys render empty */
    R("[%(NOPE)s]", "[]");
    R("[%()s]", "[]");
    R("[%(REMOTE)s]", "[]"); /* a prefix is not a key */
    R("[%(REMOTE_ADDR=)s]", "[]");
    /* %% and stray percents */
    R("100%%", "100%");
    R("%%(REMOTE_ADDR)s", "%(REMOTE_ADDR)s");
    R("%", "%");
    R("a%", "a%");
    R("%s %d", "%s %d");
    R("%(", "%(");
    R("%(REMOTE_ADDR", "%(REMOTE_ADDR");
    R("%(REMOTE_ADDR)", "%(REMOTE_ADDR)");
    R("%(REMOTE_ADDR)z", "%(REMOTE_ADDR)z");
    R("%(REMOTE_ADDR)-", "%(REMOTE_ADDR)-");
    R("%(REMOTE_ADDR)5.", "%(REMOTE_ADDR)5.");
    R("%(REMOTE_ADDR)%", "%(REMOTE_ADDR)%");
    R("%%%", "%%");
    /* other conversions render text */
    R("%(REMOTE_PORT)d|%(REMOTE_PORT)r|%(REMOTE_PORT)x", "5555|5555|5555");
    /* width, precision, flags (UTF-8 counted in characters) */
    R("[%(REMOTE_PORT)6s]", "[  5555]");
    R("[%(REMOTE_PORT)-6s]", "[5555  ]");
    R("[%(REMOTE_PORT).2s]", "[55]");
    R("[%(REMOTE_PORT)0+ #6.3s]", "[   555]");
    R("[%(HTTP_USER_AGENT)5s]", "[t/1 ü]");
    R("[%(HTTP_USER_AGENT).5s]", "[t/1 ü]");
    R("[%(HTTP_USER_AGENT).4s]", "[t/1 ]");
    R("[%(NOPE)3s]", "[   ]");
    /* huge widths are clamped, not honoured */
    {
        const char *s = render("%(NOPE)99999999999999999999999s");
        CHECK(strlen(s) == LOGFMT_MAX_WIDTH);
    }
    /* a key longer than the limit is left as text */
    {
        char fmt[600];
        memset(fmt, 'K', sizeof fmt);
        memcpy(fmt, "%(", 2);
        memcpy(fmt + 400, ")s", 3);
        R(fmt, fmt);
    }
    /* NUL bytes inside the format are plain bytes */
    CHECK(logfmt_render(&b, "a\0%(REMOTE_PORT)s%", 18, t_lookup, NULL) == 0);
    CHECK_STR(b.data, b.len,
              "a\0"
              "5555%");
    buf_free(&b);
    /* None and friends */
    CHECK(logfmt_disabled(NULL));
    CHECK(logfmt_disabled(""));
    CHECK(logfmt_disabled("None"));
    CHECK(logfmt_disabled(" none \n"));
    CHECK(!logfmt_disabled("Nonesuch"));
    CHECK(!logfmt_disabled("%(MESSAGE)s"));
    /* META helpers */
    {
        size_t vlen = 0;
        const char *v = logfmt_meta(t_meta, "REMOTE_PORT", 11, &vlen);
        CHECK(v != NULL && vlen == 4 && memcmp(v, "5555", 4) == 0);
        CHECK(logfmt_meta(t_meta, "REMOTE", 6, &vlen) == NULL);
        CHECK(logfmt_meta(NULL, "REMOTE", 6, &vlen) == NULL);
        CHECK(logfmt_meta_len(t_meta) == sizeof t_meta);
        CHECK(logfmt_meta_len(NULL) == 0);
        CHECK(logfmt_meta_len("\0") == 1);
    }
    /* random formats made of the interesting bytes never crash and never
     * overrun (ASan watches) */
    for (i = 0; i < 20000; i++) {
        static const char alpha[] = "%()sd-.0123456789REMOTE_ADDRMESSAGE%%\0x";
        size_t n = (seed = seed * 1103515245u + 12345u) % 64;
        char *fmt = malloc(n ? n : 1);
        for (j = 0; j < n; j++) {
            seed = seed * 1103515245u + 12345u;
            fmt[j] = alpha[(seed >> 16) % (sizeof alpha - 1)];
        }
        buf_reset(&b);
        ok &= logfmt_render(&b, fmt, n, t_lookup, NULL) == 0;
        free(fmt);
    }
    CHECK(ok);
    for (i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 7 + 3);
    buf_reset(&b);
    CHECK(logfmt_render(&b, junk, sizeof junk, t_lookup, NULL) == 0);
    buf_free(&b);
    return T_DONE();
}
