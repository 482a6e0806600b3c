/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* journal_fuzz: libFuzzer target for the rows read back from --state-file
 * (journal_row_check in journal.c): whatever it takes, the late body the
 * journal builds from it is one strict JSON object with the marker. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "journal.h"
#include "jsonv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define JOURNAL_FUZZ_CHECK(c)                                                  \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char key[] = "\"context\":", late[] = "\"late\":true,";
    struct journal_row row;
    char *body;
    size_t pre, n;
    cJSON *doc, *v;

    if (journal_row_check((const char *)data, size, 1 << 20, &row) != 0) {
        JOURNAL_FUZZ_CHECK(row.doc == NULL && row.sid == NULL);
        return 0;
    }
    /* What the daemon sends: the body printed again, strict, with
     * "late":true spliced in just before its context, as journal_fire()
     * does. */
    JOURNAL_FUZZ_CHECK(row.len == strlen(row.doc) &&
                       jsonv_valid(row.doc, row.len));
    JOURNAL_FUZZ_CHECK(row.ctx_off >= sizeof key - 1 && row.ctx_off < row.len);
    pre = row.ctx_off - (sizeof key - 1);
    JOURNAL_FUZZ_CHECK(memcmp(row.doc + pre, key, sizeof key - 1) == 0);
    JOURNAL_FUZZ_CHECK(row.doc[row.len - 1] == '}');
    n = row.len + sizeof late - 1;
    body = malloc(n + 1);
    JOURNAL_FUZZ_CHECK(body != NULL);
    memcpy(body, row.doc, pre);
    memcpy(body + pre, late, sizeof late - 1);
    memcpy(body + pre + sizeof late - 1, row.doc + pre, row.len - pre);
    body[n] = '\0';
    JOURNAL_FUZZ_CHECK(jsonv_valid(body, n));
    doc = cJSON_ParseWithLength(body, n);
    JOURNAL_FUZZ_CHECK(cJSON_IsObject(doc));
    v = cJSON_GetObjectItemCaseSensitive(doc, "type");
    JOURNAL_FUZZ_CHECK(cJSON_IsString(v) &&
                       strcmp(v->valuestring, "disconnect") == 0);
    JOURNAL_FUZZ_CHECK(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "late")));
    v = cJSON_GetObjectItemCaseSensitive(doc, "sid");
    JOURNAL_FUZZ_CHECK(cJSON_IsString(v) &&
                       strcmp(v->valuestring, row.sid) == 0);
    JOURNAL_FUZZ_CHECK(strlen(row.sid) <= JOURNAL_MAX_SID);
    cJSON_Delete(doc);
    free(body);
    journal_row_free(&row);
    return 0;
}
