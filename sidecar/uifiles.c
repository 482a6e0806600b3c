/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* uifiles: a web UI's files under one directory, read for the admin
 * listener (the Admin UI's at /admin-ui/): safe names, bounded sizes. */
#include "uifiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int uifiles_name_ok(const char *rel, size_t len)
{
    size_t i, start = 0;

    if (len > UIFILES_MAX_NAME || memchr(rel, '\0', len) != NULL ||
        memchr(rel, '\\', len) != NULL)
        return 0;
    for (i = 0; i <= len; i++) {
        if (i < len && rel[i] != '/')
            continue;
        /* A segment [start, i): the last may be empty (a directory). */
        if (i == start ? i < len : rel[start] == '.')
            return 0;
        start = i + 1;
    }
    return 1;
}

const char *uifiles_type(const char *name)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".map", "application/json; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    size_t i;

    if (dot != NULL && strchr(dot, '/') == NULL)
        for (i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
}

int uifiles_read(const char *dir, const char *rel, size_t len, char **data,
                 size_t *dlen, const char **type, int *status)
{
    char full[PATH_MAX], *real = NULL, *root = NULL, *buf = NULL;
    size_t rlen, got = 0;
    struct stat st;
    ssize_t n;
    int fd = -1;

    *status = 404;
    if (!uifiles_name_ok(rel, len) ||
        snprintf(full, sizeof full, "%s/%.*s%s", dir, (int)len, rel,
                 len == 0 || rel[len - 1] == '/' ? "index.html" : "") >=
            (int)sizeof full)
        return -1;
    if ((root = realpath(dir, NULL)) == NULL ||
        (real = realpath(full, NULL)) == NULL)
        goto fail;
    rlen = strlen(root);
    if (strncmp(real, root, rlen) != 0 || real[rlen] != '/')
        goto fail;
    /* The real path has no link left to follow. */
    if ((fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0 ||
        fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        goto fail;
    if (st.st_size > (off_t)UIFILES_MAX_FILE) {
        *status = 413;
        goto fail;
    }
    *status = 500;
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
        goto fail;
    while (got < (size_t)st.st_size) {
        n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        if (n == 0)
            break; /* shrank meanwhile: what is there */
        got += (size_t)n;
    }
    close(fd);
    *type = uifiles_type(real);
    free(real);
    free(root);
    *data = buf;
    *dlen = got;
    *status = 200;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(real);
    free(root);
    return -1;
}
