/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* jsonv: pure strict JSON (RFC 8259) validator, allocation-free. */
#include "jsonv.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

static size_t jsonv_ws(const char *s, size_t i, size_t len)
{
    while (i < len &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static int jsonv_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* Bytes of the UTF-8 character at s[i] (lead byte >= 0x80), 0 when it is
 * not well-formed (RFC 3629's table: no overlongs, no surrogates, at most
 * U+10FFFF). */
static size_t jsonv_utf8(const unsigned char *s, size_t i, size_t len)
{
    unsigned char c = s[i], lo = 0x80, hi = 0xBF;
    size_t n, k;

    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (k = 2; k < n; k++)
        if (s[i + k] < 0x80 || s[i + k] > 0xBF)
            return 0;
    return n;
}

/* Index just past the string starting at s[i] ('"'), 0 when not strict. */
static size_t jsonv_string_end(const char *s, size_t i, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;

    for (i++; i < len; i++) {
        unsigned char c = u[i];
        if (c == '"')
            return i + 1;
        if (c < 0x20)
            return 0;
        if (c >= 0x80) {
            if ((n = jsonv_utf8(u, i, len)) == 0)
                return 0;
            i += n - 1;
            continue;
        }
        if (c != '\\')
            continue;
        if (++i >= len)
            return 0;
        if (s[i] == 'u') {
            if (len - i < 5 || !jsonv_hex(s[i + 1]) || !jsonv_hex(s[i + 2]) ||
                !jsonv_hex(s[i + 3]) || !jsonv_hex(s[i + 4]))
                return 0;
            i += 4;
        } else if (s[i] == '\0' || strchr("\"\\/bfnrt", s[i]) == NULL) {
            return 0;
        }
    }
    return 0;
}

static size_t jsonv_digits(const char *s, size_t i, size_t len)
{
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* Index just past the number at s[i], 0 when not strict. */
static size_t jsonv_number_end(const char *s, size_t i, size_t len)
{
    size_t j;

    if (i < len && s[i] == '-')
        i++;
    if (i < len && s[i] == '0')
        i++;
    else if ((j = jsonv_digits(s, i, len)) > i)
        i = j;
    else
        return 0;
    if (i < len && s[i] == '.') {
        if ((j = jsonv_digits(s, i + 1, len)) == i + 1)
            return 0;
        i = j;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((j = jsonv_digits(s, i, len)) == i)
            return 0;
        i = j;
    }
    return i;
}

/* The open containers as a bit stack: 1 for an object, 0 for an array. */
#define JSONV_TOP(st, d) (((st)[((d)-1) / 8] >> (((d)-1) % 8)) & 1)

long jsonv_value(const char *s, size_t len)
{
    uint8_t stack[(JSONV_MAX_DEPTH + 7) / 8];
    size_t depth = 0, i = 0;

    for (;;) {
        /* a value */
        i = jsonv_ws(s, i, len);
        if (i >= len)
            return -1;
        if (s[i] == '{' || s[i] == '[') {
            if (depth == JSONV_MAX_DEPTH)
                return -1;
            if (s[i] == '{')
                stack[depth / 8] |= (uint8_t)(1u << (depth % 8));
            else
                stack[depth / 8] &= (uint8_t) ~(1u << (depth % 8));
            depth++;
            i = jsonv_ws(s, i + 1, len);
            if (i < len && s[i] == (JSONV_TOP(stack, depth) ? '}' : ']')) {
                depth--;
                i++;
                goto next;
            }
            if (!JSONV_TOP(stack, depth))
                continue;
            goto key;
        }
        if (s[i] == '"')
            i = jsonv_string_end(s, i, len);
        else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9'))
            i = jsonv_number_end(s, i, len);
        else if (len - i >= 4 && memcmp(s + i, "true", 4) == 0)
            i += 4;
        else if (len - i >= 5 && memcmp(s + i, "false", 5) == 0)
            i += 5;
        else if (len - i >= 4 && memcmp(s + i, "null", 4) == 0)
            i += 4;
        else
            return -1;
        if (i == 0)
            return -1;
    next:
        /* after a value: the end, or the next member or element */
        if (depth == 0)
            return i > (size_t)LONG_MAX ? -1 : (long)i;
        i = jsonv_ws(s, i, len);
        if (i >= len)
            return -1;
        if (s[i] == (JSONV_TOP(stack, depth) ? '}' : ']')) {
            depth--;
            i++;
            goto next;
        }
        if (s[i] != ',')
            return -1;
        i = jsonv_ws(s, i + 1, len);
        if (!JSONV_TOP(stack, depth))
            continue;
    key:
        if (i >= len || s[i] != '"' || (i = jsonv_string_end(s, i, len)) == 0)
            return -1;
        i = jsonv_ws(s, i, len);
        if (i >= len || s[i] != ':')
            return -1;
        i++;
    }
}

int jsonv_valid(const char *s, size_t len)
{
    long n = jsonv_value(s, len);

    return n >= 0 && jsonv_ws(s, (size_t)n, len) == len;
}
