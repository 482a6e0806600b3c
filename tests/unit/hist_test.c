/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* hist_test: buckets, sums and the bounded label set of hist.c. */
#include <stdio.h>
#include <string.h>

#include "hist.h"
#include "t.h"

static const double bounds[] = {1, 10, 100};

int main(void)
{
    static struct hist_family f = {bounds, 3, 0, {{0}}, {{{0}, 0, 0}}};
    char name[HIST_MAX_LABEL + 8];
    unsigned i;

    hist_observe(&f, "/", 0);
    hist_observe(&f, "/", 1);
    hist_observe(&f, "/", 5);
    hist_observe(&f, "/", 1000);
    CHECK(f.nlabels == 1);
    CHECK(f.h[0].counts[0] == 2); /* 0 and 1: le 1 */
    CHECK(f.h[0].counts[1] == 1);
    CHECK(f.h[0].counts[2] == 0);
    CHECK(f.h[0].counts[3] == 1); /* +Inf */
    CHECK(f.h[0].count == 4 && f.h[0].sum == 1006);
    CHECK(strcmp(hist_label(&f, 0), "/") == 0);

    /* Invented names past the cap share one series. */
    for (i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "/ns%u", i);
        hist_observe(&f, name, 2);
    }
    CHECK(f.nlabels == HIST_MAX_LABELS);
    CHECK(f.h[HIST_MAX_LABELS].count == 100 - (HIST_MAX_LABELS - 1));
    CHECK(strcmp(hist_label(&f, HIST_MAX_LABELS), HIST_OTHER) == 0);

    /* A label too long for its slot goes there too. */
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    f.nlabels = 1;
    hist_observe(&f, name, 2);
    CHECK(f.nlabels == 1);

    CHECK(hist_since(hist_now()) >= 0);
    return T_DONE();
}
