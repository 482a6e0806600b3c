/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* adminui_fuzz: libFuzzer target for the Admin UI's action parser
 * (adminui.c): whatever a logged-in dashboard sends, an action comes out
 * only with valid names and an emit's arguments as a JSON array. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adminui.h"
#include "sio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ADMINUI_FUZZ_CHECK(c)                                                  \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static void adminui_fuzz_name(const char *s, size_t max)
{
    size_t n;

    if (s == NULL)
        return;
    n = strlen(s);
    ADMINUI_FUZZ_CHECK(n > 0 && n <= max && sio_name_valid(s, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct adminui_action a;

    if (adminui_action_parse((const char *)data, size, &a) != 0)
        return 0;
    ADMINUI_FUZZ_CHECK(a.nsp != NULL && a.nsp[0] == '/');
    adminui_fuzz_name(a.nsp, 1024);
    adminui_fuzz_name(a.filter, 1024);
    adminui_fuzz_name(a.room, 1024);
    adminui_fuzz_name(a.event, 1024);
    if (a.verb == ADMINUI_EMIT)
        ADMINUI_FUZZ_CHECK(a.event != NULL && a.args != NULL &&
                           a.args[0] == '[' &&
                           a.args[strlen(a.args) - 1] == ']');
    else if (a.verb == ADMINUI_JOIN || a.verb == ADMINUI_LEAVE)
        ADMINUI_FUZZ_CHECK(a.room != NULL);
    adminui_action_free(&a);
    return 0;
}
