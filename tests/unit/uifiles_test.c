/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* uifiles_test: which names are served, their types, and reads under a
 * directory with links leading out, hidden and oversized files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "uifiles.h"

#define OK(s) uifiles_name_ok(s, sizeof(s) - 1)

static void test_names(void)
{
    CHECK(OK(""));
    CHECK(OK("index.html"));
    CHECK(OK("js/app.0d7d7845.js"));
    CHECK(OK("img/"));
    CHECK(!OK(".."));
    CHECK(!OK("../x"));
    CHECK(!OK("js/../../x"));
    CHECK(!OK("js/.."));
    CHECK(!OK("./index.html"));
    CHECK(!OK(".hidden"));
    CHECK(!OK("js/.git/config"));
    CHECK(!OK("/etc/passwd"));
    CHECK(!OK("js//app.js"));
    CHECK(!OK("js\\..\\x"));
    CHECK(!OK("index.html\0.js"));
    {
        static char longname[UIFILES_MAX_NAME + 2];
        memset(longname, 'a', sizeof longname - 1);
        CHECK(!uifiles_name_ok(longname, strlen(longname)));
    }
}

static void test_types(void)
{
    CHECK(strcmp(uifiles_type("a/index.html"), "text/html; charset=utf-8") ==
          0);
    CHECK(strcmp(uifiles_type("app.js"), "text/javascript; charset=utf-8") ==
          0);
    CHECK(strcmp(uifiles_type("x.css"), "text/css; charset=utf-8") == 0);
    CHECK(strcmp(uifiles_type("favicon.png"), "image/png") == 0);
    CHECK(strcmp(uifiles_type("logo.svg"), "image/svg+xml") == 0);
    CHECK(strcmp(uifiles_type("x.js.map"), "application/json; charset=utf-8") ==
          0);
    CHECK(strcmp(uifiles_type("README"), "application/octet-stream") == 0);
    CHECK(strcmp(uifiles_type("a.d/README"), "application/octet-stream") == 0);
}

static void put(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");

    CHECK(f != NULL);
    if (f == NULL)
        return;
    fwrite(text, 1, len, f);
    fclose(f);
}

static void test_reads(void)
{
    char tmpl[] = "/tmp/uifiles_test.XXXXXX", dir[256], p[512];
    const char *type = NULL;
    char *data = NULL, *big;
    size_t len = 0;
    int status = 0;

    CHECK(mkdtemp(tmpl) != NULL);
    snprintf(dir, sizeof dir, "%s/ui", tmpl);
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(p, sizeof p, "%s/index.html", dir);
    put(p, "<title>UI</title>", 17);
    snprintf(p, sizeof p, "%s/secret", tmpl);
    put(p, "outside", 7);
    snprintf(p, sizeof p, "%s/out", dir);
    CHECK(symlink("../secret", p) == 0);
    snprintf(p, sizeof p, "%s/in.html", dir);
    CHECK(symlink("index.html", p) == 0);
    snprintf(p, sizeof p, "%s/sub", dir);
    CHECK(mkdir(p, 0700) == 0);
    big = calloc(1, UIFILES_MAX_FILE + 1);
    snprintf(p, sizeof p, "%s/big.js", dir);
    if (big != NULL)
        put(p, big, UIFILES_MAX_FILE + 1);
    free(big);

    CHECK(uifiles_read(dir, "", 0, &data, &len, &type, &status) == 0);
    CHECK_STR(data, len, "<title>UI</title>");
    CHECK(status == 200 && strcmp(type, "text/html; charset=utf-8") == 0);
    free(data);
    /* a link inside the directory is followed */
    CHECK(uifiles_read(dir, "in.html", 7, &data, &len, &type, &status) == 0);
    free(data);
    CHECK(uifiles_read(dir, "out", 3, &data, &len, &type, &status) == -1);
    CHECK(status == 404);
    CHECK(uifiles_read(dir, "../secret", 9, &data, &len, &type, &status) == -1);
    CHECK(uifiles_read(dir, "sub", 3, &data, &len, &type, &status) == -1);
    CHECK(status == 404); /* a directory is no file */
    CHECK(uifiles_read(dir, "sub/", 4, &data, &len, &type, &status) == -1);
    CHECK(uifiles_read(dir, "nope", 4, &data, &len, &type, &status) == -1);
    CHECK(uifiles_read(dir, "big.js", 6, &data, &len, &type, &status) == -1);
    CHECK(status == 413);

    snprintf(p, sizeof p, "rm -rf '%s'", tmpl);
    CHECK(system(p) == 0);
}

int main(void)
{
    test_names();
    test_types();
    test_reads();
    return T_DONE();
}
