/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* uifiles: a web UI's files under one directory, read for the admin
 * listener (the Admin UI's at /admin-ui/): safe names, bounded sizes. */
#ifndef SOCKETIOD_UIFILES_H
#define SOCKETIOD_UIFILES_H

#include <stddef.h>

/* Largest file served. */
#define UIFILES_MAX_FILE (8u << 20)
/* Longest name under the directory. */
#define UIFILES_MAX_NAME 512

/* 1 when `rel` (len bytes, decoded, relative to the directory) is a name
 * served: no NUL or backslash, no empty, "." or ".." segment and none
 * starting with "." (hidden files), at most UIFILES_MAX_NAME bytes; else
 * 0. "" and a name ending in "/" mean that directory's index.html. Pure. */
int uifiles_name_ok(const char *rel, size_t len);

/* The Content-Type for `name` by its extension (text types with
 * charset=utf-8); application/octet-stream when unknown. Pure. */
const char *uifiles_type(const char *name);

/* Reads `rel` (as uifiles_name_ok takes) under `dir` into *data (malloc'd,
 * *len bytes) with its type in *type. The file must be a regular file
 * whose real path is inside dir's (a symbolic link leading out is
 * refused) of at most UIFILES_MAX_FILE bytes. Returns 0, or -1 with
 * *status the HTTP status to answer: 404 (absent, refused name or path
 * outside), 413 (too large), 500 (out of memory, read error). */
int uifiles_read(const char *dir, const char *rel, size_t len, char **data,
                 size_t *dlen, const char **type, int *status);

#endif
