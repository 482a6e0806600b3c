/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* sizes: prints the size of each per-connection struct (the memory goal,
 * checked by tests/test_sizes.py). */
#include <stdio.h>

#include <event2/event_struct.h>

#include "conn.h"
#include "engine.h"
#include "hub.h"
#include "sock.h"

int main(void)
{
    printf("struct conn            %zu\n", sizeof(struct conn));
    printf("  of which struct event %zu\n", sizeof(struct event));
    printf("struct engine_session  %zu\n", sizeof(struct engine_session));
    printf("struct sock_client     %zu\n", sizeof(struct sock_client));
    printf("struct sock            %zu\n", sizeof(struct sock));
    printf("hub socket record      %zu\n", hub_sizeof_socket());
    return 0;
}
