/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* pickle: a pure reader of the data-only part of Python's pickle format,
 * for python-socketio's Redis messages; never executes anything. */
#include "pickle.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

/* The opcodes read (CPython's Lib/pickletools.py names them; the
 * protocol that introduced each in brackets). */
enum {
    PICKLE_OP_MARK = '(',           /* [1] push a mark */
    PICKLE_OP_STOP = '.',           /* [0] the top of the stack is it */
    PICKLE_OP_POP = '0',            /* [0] */
    PICKLE_OP_POP_MARK = '1',       /* [1] drop up to the last mark */
    PICKLE_OP_DUP = '2',            /* [0] */
    PICKLE_OP_BININT = 'J',         /* [1] int32 LE */
    PICKLE_OP_BININT1 = 'K',        /* [1] uint8 */
    PICKLE_OP_BININT2 = 'M',        /* [1] uint16 LE */
    PICKLE_OP_NONE = 'N',           /* [0] */
    PICKLE_OP_BINUNICODE = 'X',     /* [1] uint32 LE length, UTF-8 */
    PICKLE_OP_APPEND = 'a',         /* [0] list.append(pop) */
    PICKLE_OP_BINBYTES = 'B',       /* [3] uint32 LE length */
    PICKLE_OP_SHORT_BINBYTES = 'C', /* [3] uint8 length */
    PICKLE_OP_DICT = 'd',           /* [0] dict of the items since mark */
    PICKLE_OP_EMPTY_DICT = '}',     /* [1] */
    PICKLE_OP_APPENDS = 'e',        /* [1] list.extend(items since mark) */
    PICKLE_OP_BINGET = 'h',         /* [1] push memo[uint8] */
    PICKLE_OP_LONG_BINGET = 'j',    /* [1] push memo[uint32 LE] */
    PICKLE_OP_LIST = 'l',           /* [0] list of the items since mark */
    PICKLE_OP_EMPTY_LIST = ']',     /* [1] */
    PICKLE_OP_BINPUT = 'q',         /* [1] memo[uint8] = top */
    PICKLE_OP_LONG_BINPUT = 'r',    /* [1] memo[uint32 LE] = top */
    PICKLE_OP_SETITEM = 's',        /* [0] dict[key] = value */
    PICKLE_OP_TUPLE = 't',          /* [0] tuple of the items since mark */
    PICKLE_OP_EMPTY_TUPLE = ')',    /* [1] */
    PICKLE_OP_SETITEMS = 'u',       /* [1] dict.update(pairs since mark) */
    PICKLE_OP_BINFLOAT = 'G',       /* [1] float64 BE */
    PICKLE_OP_PROTO = 0x80,         /* [2] uint8 protocol */
    PICKLE_OP_TUPLE1 = 0x85,        /* [2] */
    PICKLE_OP_TUPLE2 = 0x86,        /* [2] */
    PICKLE_OP_TUPLE3 = 0x87,        /* [2] */
    PICKLE_OP_NEWTRUE = 0x88,       /* [2] */
    PICKLE_OP_NEWFALSE = 0x89,      /* [2] */
    PICKLE_OP_LONG1 = 0x8a,         /* [2] uint8 length, two's complement LE */
    PICKLE_OP_LONG4 = 0x8b,         /* [2] int32 LE length, same */
    PICKLE_OP_SHORT_BINUNICODE = 0x8c, /* [4] uint8 length */
    PICKLE_OP_BINUNICODE8 = 0x8d,      /* [4] uint64 LE length */
    PICKLE_OP_BINBYTES8 = 0x8e,        /* [4] uint64 LE length */
    PICKLE_OP_MEMOIZE = 0x94,          /* [4] memo[len(memo)] = top */
    PICKLE_OP_FRAME = 0x95,            /* [4] uint64 LE: bytes of the frame */
    PICKLE_OP_BYTEARRAY8 = 0x96,       /* [5] uint64 LE length */
};

/* Every other opcode is refused; those that exist, by name and why. */
static const char *pickle_refusal(unsigned char op)
{
    switch (op) {
    case 'c':
        return "GLOBAL refused: it imports a name (code is never run)";
    case 0x93:
        return "STACK_GLOBAL refused: it imports a name (code is never run)";
    case 'R':
        return "REDUCE refused: it calls a callable (code is never run)";
    case 'b':
        return "BUILD refused: it sets an object's state";
    case 'i':
        return "INST refused: it builds an object of a class";
    case 'o':
        return "OBJ refused: it builds an object of a class";
    case 0x81:
        return "NEWOBJ refused: it builds an object of a class";
    case 0x92:
        return "NEWOBJ_EX refused: it builds an object of a class";
    case 'P':
    case 'Q':
        return "PERSID/BINPERSID refused: persistent ids";
    case 0x82:
    case 0x83:
    case 0x84:
        return "EXT1/EXT2/EXT4 refused: the extension registry";
    case 0x8f:
    case 0x90:
    case 0x91:
        return "EMPTY_SET/ADDITEMS/FROZENSET refused: sets have no JSON";
    case 0x97:
    case 0x98:
        return "NEXT_BUFFER/READONLY_BUFFER refused: out-of-band buffers";
    case 'I':
    case 'L':
    case 'F':
    case 'S':
    case 'V':
    case 'g':
    case 'p':
        return "a protocol 0 text opcode (INT, LONG, FLOAT, STRING, UNICODE, "
               "GET, PUT) refused: pickle.dumps writes protocol 4";
    case 'T':
    case 'U':
        return "BINSTRING/SHORT_BINSTRING refused: Python 2 strings";
    default:
        return "not a pickle opcode";
    }
}

struct pickle_val {
    unsigned char kind; /* enum pickle_kind */
    unsigned char b;
    uint32_t first, last; /* containers: their items (edges), UINT32_MAX */
    size_t len;           /* STR, BYTES: bytes; containers: items */
    union {
        const char *p;
        int64_t i;
        double f;
    } u;
};

/* One item of a container, in order (a dict: key, value, key, ...). */
struct pickle_edge {
    uint32_t v, next;
};

struct pickle {
    struct pickle_val *vals;
    size_t nvals, capvals;
    struct pickle_edge *edges;
    size_t nedges, capedges;
    unsigned root;
};

#define PICKLE_NIL UINT32_MAX

/* The reader's state while loading. */
struct pickle_rd {
    struct pickle *pk;
    const unsigned char *p, *end;
    uint32_t *stack;
    size_t nstack, capstack;
    size_t *marks;
    size_t nmarks, capmarks;
    uint32_t *memo;
    size_t capmemo, memo_len;
    const char *why;
};

/* Grows *arr (of `size`-byte elements, *cap of them) to hold one more. */
static int pickle_grow(void *arr, size_t *cap, size_t n, size_t size)
{
    void **a = arr;
    size_t c;
    void *q;

    if (n < *cap)
        return 0;
    c = *cap ? *cap * 2 : 16;
    if ((q = realloc(*a, c * size)) == NULL)
        return -1;
    *a = q;
    *cap = c;
    return 0;
}

static long pickle_new(struct pickle_rd *r, int kind)
{
    struct pickle *pk = r->pk;
    struct pickle_val *v;

    if (pk->nvals >= PICKLE_MAX_VALUES) {
        r->why = "more values than PICKLE_MAX_VALUES";
        return -1;
    }
    if (pickle_grow(&pk->vals, &pk->capvals, pk->nvals, sizeof *v) != 0) {
        r->why = "out of memory";
        return -1;
    }
    v = &pk->vals[pk->nvals];
    memset(v, 0, sizeof *v);
    v->kind = (unsigned char)kind;
    v->first = v->last = PICKLE_NIL;
    return (long)pk->nvals++;
}

static int pickle_push(struct pickle_rd *r, uint32_t v)
{
    if (r->nstack >= PICKLE_MAX_VALUES) {
        r->why = "stack deeper than PICKLE_MAX_VALUES";
        return -1;
    }
    if (pickle_grow(&r->stack, &r->capstack, r->nstack, sizeof *r->stack) !=
        0) {
        r->why = "out of memory";
        return -1;
    }
    r->stack[r->nstack++] = v;
    return 0;
}

static int pickle_push_new(struct pickle_rd *r, int kind, long *out)
{
    long v = pickle_new(r, kind);

    if (v < 0 || pickle_push(r, (uint32_t)v) != 0)
        return -1;
    if (out != NULL)
        *out = v;
    return 0;
}

/* Items on the stack above the last mark. */
static size_t pickle_above(const struct pickle_rd *r)
{
    return r->nstack - (r->nmarks ? r->marks[r->nmarks - 1] : 0);
}

/* Appends item `v` to container `c`. */
static int pickle_add(struct pickle_rd *r, uint32_t c, uint32_t v)
{
    struct pickle *pk = r->pk;
    struct pickle_val *cv = &pk->vals[c];

    if (pk->nedges >= PICKLE_MAX_VALUES) {
        r->why = "more items than PICKLE_MAX_VALUES";
        return -1;
    }
    if (pickle_grow(&pk->edges, &pk->capedges, pk->nedges, sizeof *pk->edges) !=
        0) {
        r->why = "out of memory";
        return -1;
    }
    pk->edges[pk->nedges].v = v;
    pk->edges[pk->nedges].next = PICKLE_NIL;
    if (cv->last == PICKLE_NIL)
        cv->first = (uint32_t)pk->nedges;
    else
        pk->edges[cv->last].next = (uint32_t)pk->nedges;
    cv->last = (uint32_t)pk->nedges++;
    cv->len++;
    return 0;
}

/* Moves stack[from..] into container c (in pairs for a dict) and drops
 * them from the stack. */
static int pickle_fill(struct pickle_rd *r, uint32_t c, size_t from)
{
    size_t i;

    if (r->pk->vals[c].kind == PICKLE_DICT && (r->nstack - from) % 2 != 0) {
        r->why = "a dict's keys and values do not pair up";
        return -1;
    }
    for (i = from; i < r->nstack; i++)
        if (pickle_add(r, c, r->stack[i]) != 0)
            return -1;
    r->nstack = from;
    return 0;
}

static int pickle_need(struct pickle_rd *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->why = "cut short";
        return -1;
    }
    return 0;
}

/* An n-byte little-endian unsigned argument (n <= 8). */
static int pickle_le(struct pickle_rd *r, unsigned n, uint64_t *out)
{
    uint64_t v = 0;
    unsigned i;

    if (pickle_need(r, n) != 0)
        return -1;
    for (i = 0; i < n; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *out = v;
    return 0;
}

static int pickle_int(struct pickle_rd *r, int64_t i)
{
    long v;

    if (pickle_push_new(r, PICKLE_INT, &v) != 0)
        return -1;
    r->pk->vals[v].u.i = i;
    return 0;
}

/* LONG1/LONG4: `n` bytes of two's complement, little-endian. */
static int pickle_long(struct pickle_rd *r, uint64_t n)
{
    uint64_t v = 0;
    unsigned i;

    if (n > 8) {
        r->why = "an integer over 64 bits";
        return -1;
    }
    if (pickle_need(r, (size_t)n) != 0)
        return -1;
    for (i = 0; i < n; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    if (n > 0 && n < 8 && (r->p[n - 1] & 0x80))
        v |= ~(uint64_t)0 << (8 * n); /* sign-extend */
    r->p += n;
    return pickle_int(r, (int64_t)v);
}

/* A str or bytes of an `lbytes`-byte length. */
static int pickle_blob(struct pickle_rd *r, int kind, unsigned lbytes)
{
    uint64_t n;
    uint32_t st = 0;
    long v;

    if (pickle_le(r, lbytes, &n) != 0 || pickle_need(r, (size_t)n) != 0)
        return -1;
    if (kind == PICKLE_STR && ws_utf8_feed(&st, r->p, (size_t)n) != 0) {
        r->why = "a string that is not UTF-8";
        return -1;
    }
    if (pickle_push_new(r, kind, &v) != 0)
        return -1;
    r->pk->vals[v].u.p = (const char *)r->p;
    r->pk->vals[v].len = (size_t)n;
    r->p += n;
    return 0;
}

/* A container of the items since the last mark (LIST, DICT, TUPLE). */
static int pickle_from_mark(struct pickle_rd *r, int kind)
{
    size_t from;
    long c;

    if (r->nmarks == 0) {
        r->why = "no mark";
        return -1;
    }
    from = r->marks[--r->nmarks];
    if ((c = pickle_new(r, kind)) < 0 || pickle_fill(r, (uint32_t)c, from))
        return -1;
    return pickle_push(r, (uint32_t)c);
}

/* TUPLE1..3: the top n items. */
static int pickle_tuple_n(struct pickle_rd *r, size_t n)
{
    long c;

    if (pickle_above(r) < n) {
        r->why = "stack underflow";
        return -1;
    }
    if ((c = pickle_new(r, PICKLE_TUPLE)) < 0 ||
        pickle_fill(r, (uint32_t)c, r->nstack - n) != 0)
        return -1;
    return pickle_push(r, (uint32_t)c);
}

/* APPENDS, SETITEMS: the items since the last mark into the container
 * just below the mark. */
static int pickle_extend(struct pickle_rd *r, int kind)
{
    size_t from;
    uint32_t c;

    if (r->nmarks == 0) {
        r->why = "no mark";
        return -1;
    }
    from = r->marks[--r->nmarks];
    if (from == 0 || from - 1 < (r->nmarks ? r->marks[r->nmarks - 1] : 0)) {
        r->why = "stack underflow";
        return -1;
    }
    c = r->stack[from - 1];
    if (r->pk->vals[c].kind != kind) {
        r->why = kind == PICKLE_LIST ? "APPENDS to what is not a list"
                                     : "SETITEMS on what is not a dict";
        return -1;
    }
    return pickle_fill(r, c, from);
}

/* APPEND, SETITEM: the top one or two into the container below them. */
static int pickle_add_top(struct pickle_rd *r, int kind, size_t n)
{
    uint32_t c;

    if (pickle_above(r) < n + 1) {
        r->why = "stack underflow";
        return -1;
    }
    c = r->stack[r->nstack - n - 1];
    if (r->pk->vals[c].kind != kind) {
        r->why = kind == PICKLE_LIST ? "APPEND to what is not a list"
                                     : "SETITEM on what is not a dict";
        return -1;
    }
    return pickle_fill(r, c, r->nstack - n);
}

static int pickle_put(struct pickle_rd *r, uint64_t idx)
{
    size_t i;

    if (pickle_above(r) < 1) {
        r->why = "stack underflow";
        return -1;
    }
    if (idx >= PICKLE_MAX_MEMO) {
        r->why = "a memo index over PICKLE_MAX_MEMO";
        return -1;
    }
    while (r->capmemo <= idx) {
        i = r->capmemo;
        if (pickle_grow(&r->memo, &r->capmemo, i, sizeof *r->memo) != 0) {
            r->why = "out of memory";
            return -1;
        }
        for (; i < r->capmemo; i++)
            r->memo[i] = PICKLE_NIL;
    }
    if (r->memo[idx] == PICKLE_NIL)
        r->memo_len++;
    r->memo[idx] = r->stack[r->nstack - 1];
    return 0;
}

static int pickle_get_memo(struct pickle_rd *r, uint64_t idx)
{
    if (idx >= r->capmemo || r->memo[idx] == PICKLE_NIL) {
        r->why = "a memo index that is not set";
        return -1;
    }
    return pickle_push(r, r->memo[idx]);
}

static int pickle_mark(struct pickle_rd *r)
{
    if (r->nmarks >= PICKLE_MAX_VALUES) {
        r->why = "more marks than PICKLE_MAX_VALUES";
        return -1;
    }
    if (pickle_grow(&r->marks, &r->capmarks, r->nmarks, sizeof *r->marks) !=
        0) {
        r->why = "out of memory";
        return -1;
    }
    r->marks[r->nmarks++] = r->nstack;
    return 0;
}

/* One opcode (not STOP). */
static int pickle_op(struct pickle_rd *r, unsigned char op)
{
    uint64_t n;
    double f;

    switch (op) {
    case PICKLE_OP_PROTO:
        if (pickle_le(r, 1, &n) != 0)
            return -1;
        if (n > 5) {
            r->why = "a protocol over 5";
            return -1;
        }
        return 0;
    case PICKLE_OP_FRAME:
        /* A hint for buffered readers; only its length is checked. */
        if (pickle_le(r, 8, &n) != 0)
            return -1;
        if (n > (uint64_t)(r->end - r->p)) {
            r->why = "a frame past the end";
            return -1;
        }
        return 0;
    case PICKLE_OP_MARK:
        return pickle_mark(r);
    case PICKLE_OP_POP:
        if (pickle_above(r) < 1) {
            r->why = "stack underflow";
            return -1;
        }
        r->nstack--;
        return 0;
    case PICKLE_OP_POP_MARK:
        if (r->nmarks == 0) {
            r->why = "no mark";
            return -1;
        }
        r->nstack = r->marks[--r->nmarks];
        return 0;
    case PICKLE_OP_DUP:
        if (pickle_above(r) < 1) {
            r->why = "stack underflow";
            return -1;
        }
        return pickle_push(r, r->stack[r->nstack - 1]);
    case PICKLE_OP_NONE:
        return pickle_push(r, 0);
    case PICKLE_OP_NEWTRUE:
        return pickle_push(r, 1);
    case PICKLE_OP_NEWFALSE:
        return pickle_push(r, 2);
    case PICKLE_OP_BININT:
        if (pickle_le(r, 4, &n) != 0)
            return -1;
        return pickle_int(r, (int32_t)(uint32_t)n);
    case PICKLE_OP_BININT1:
    case PICKLE_OP_BININT2:
        if (pickle_le(r, op == PICKLE_OP_BININT1 ? 1 : 2, &n) != 0)
            return -1;
        return pickle_int(r, (int64_t)n);
    case PICKLE_OP_LONG1:
    case PICKLE_OP_LONG4:
        if (pickle_le(r, op == PICKLE_OP_LONG1 ? 1 : 4, &n) != 0)
            return -1;
        return pickle_long(r, n);
    case PICKLE_OP_BINFLOAT: {
        uint64_t be = 0;
        long v;
        unsigned i;
        if (pickle_need(r, 8) != 0)
            return -1;
        for (i = 0; i < 8; i++)
            be = be << 8 | r->p[i];
        r->p += 8;
        memcpy(&f, &be, 8);
        if (pickle_push_new(r, PICKLE_FLOAT, &v) != 0)
            return -1;
        r->pk->vals[v].u.f = f;
        return 0;
    }
    case PICKLE_OP_SHORT_BINUNICODE:
        return pickle_blob(r, PICKLE_STR, 1);
    case PICKLE_OP_BINUNICODE:
        return pickle_blob(r, PICKLE_STR, 4);
    case PICKLE_OP_BINUNICODE8:
        return pickle_blob(r, PICKLE_STR, 8);
    case PICKLE_OP_SHORT_BINBYTES:
        return pickle_blob(r, PICKLE_BYTES, 1);
    case PICKLE_OP_BINBYTES:
        return pickle_blob(r, PICKLE_BYTES, 4);
    case PICKLE_OP_BINBYTES8:
    case PICKLE_OP_BYTEARRAY8:
        return pickle_blob(r, PICKLE_BYTES, 8);
    case PICKLE_OP_EMPTY_LIST:
        return pickle_push_new(r, PICKLE_LIST, NULL);
    case PICKLE_OP_EMPTY_DICT:
        return pickle_push_new(r, PICKLE_DICT, NULL);
    case PICKLE_OP_EMPTY_TUPLE:
        return pickle_push_new(r, PICKLE_TUPLE, NULL);
    case PICKLE_OP_LIST:
        return pickle_from_mark(r, PICKLE_LIST);
    case PICKLE_OP_DICT:
        return pickle_from_mark(r, PICKLE_DICT);
    case PICKLE_OP_TUPLE:
        return pickle_from_mark(r, PICKLE_TUPLE);
    case PICKLE_OP_TUPLE1:
    case PICKLE_OP_TUPLE2:
    case PICKLE_OP_TUPLE3:
        return pickle_tuple_n(r, (size_t)(op - PICKLE_OP_TUPLE1 + 1));
    case PICKLE_OP_APPEND:
        return pickle_add_top(r, PICKLE_LIST, 1);
    case PICKLE_OP_SETITEM:
        return pickle_add_top(r, PICKLE_DICT, 2);
    case PICKLE_OP_APPENDS:
        return pickle_extend(r, PICKLE_LIST);
    case PICKLE_OP_SETITEMS:
        return pickle_extend(r, PICKLE_DICT);
    case PICKLE_OP_BINPUT:
    case PICKLE_OP_LONG_BINPUT:
        if (pickle_le(r, op == PICKLE_OP_BINPUT ? 1 : 4, &n) != 0)
            return -1;
        return pickle_put(r, n);
    case PICKLE_OP_MEMOIZE:
        return pickle_put(r, r->memo_len);
    case PICKLE_OP_BINGET:
    case PICKLE_OP_LONG_BINGET:
        if (pickle_le(r, op == PICKLE_OP_BINGET ? 1 : 4, &n) != 0)
            return -1;
        return pickle_get_memo(r, n);
    default:
        r->why = pickle_refusal(op);
        return -1;
    }
}

struct pickle_key {
    const char *p;
    size_t len;
};

static int pickle_key_cmp(const void *a, const void *b)
{
    const struct pickle_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* Every dict's keys are strings, each once (JSON objects need string
 * keys; pickle.dumps never writes a key twice, and a repeated one would
 * be read differently by different JSON readers). */
static int pickle_check_dicts(struct pickle *pk, const char **why)
{
    struct pickle_key *keys = NULL;
    size_t i, k, cap = 0;
    uint32_t e;
    int rc = 0;

    for (i = 0; i < pk->nvals && rc == 0; i++) {
        if (pk->vals[i].kind != PICKLE_DICT || pk->vals[i].len < 2)
            continue;
        k = 0;
        for (e = pk->vals[i].first; e != PICKLE_NIL;
             e = pk->edges[pk->edges[e].next].next) {
            const struct pickle_val *key = &pk->vals[pk->edges[e].v];
            if (key->kind != PICKLE_STR) {
                *why = "a dict key that is not a string";
                rc = -1;
                break;
            }
            if (pickle_grow(&keys, &cap, k, sizeof *keys) != 0) {
                *why = "out of memory";
                rc = -1;
                break;
            }
            keys[k].p = key->u.p;
            keys[k++].len = key->len;
        }
        if (rc != 0)
            break;
        qsort(keys, k, sizeof *keys, pickle_key_cmp);
        for (e = 1; e < k; e++)
            if (pickle_key_cmp(&keys[e - 1], &keys[e]) == 0) {
                *why = "a dict key twice";
                rc = -1;
                break;
            }
    }
    free(keys);
    return rc;
}

struct pickle *pickle_load(const char *p, size_t len, const char **why)
{
    struct pickle_rd r;
    struct pickle *pk;
    int i;

    memset(&r, 0, sizeof r);
    if ((pk = calloc(1, sizeof *pk)) == NULL) {
        *why = "out of memory";
        return NULL;
    }
    r.pk = pk;
    r.p = (const unsigned char *)p;
    r.end = r.p + len;
    /* Values 0, 1, 2: None, True, False, shared by every use. */
    for (i = 0; i < 3; i++)
        if (pickle_new(&r, i == 0 ? PICKLE_NONE : PICKLE_BOOL) < 0)
            goto fail;
    pk->vals[1].b = 1;
    for (;;) {
        unsigned char op;
        if (r.p == r.end) {
            r.why = "cut short (no STOP)";
            goto fail;
        }
        op = *r.p++;
        if (op == PICKLE_OP_STOP)
            break;
        if (pickle_op(&r, op) != 0)
            goto fail;
    }
    if (r.nstack != 1 || r.nmarks != 0) {
        r.why = "STOP with other than one value on the stack";
        goto fail;
    }
    if (r.p != r.end) {
        r.why = "bytes after STOP";
        goto fail;
    }
    pk->root = r.stack[0];
    if (pickle_check_dicts(pk, &r.why) != 0)
        goto fail;
    free(r.stack);
    free(r.marks);
    free(r.memo);
    return pk;
fail:
    *why = r.why;
    free(r.stack);
    free(r.marks);
    free(r.memo);
    pickle_free(pk);
    return NULL;
}

void pickle_free(struct pickle *pk)
{
    if (pk == NULL)
        return;
    free(pk->vals);
    free(pk->edges);
    free(pk);
}

unsigned pickle_root(const struct pickle *pk) { return pk->root; }

int pickle_kind(const struct pickle *pk, unsigned v)
{
    return pk->vals[v].kind;
}

long pickle_get(const struct pickle *pk, unsigned v, const char *key)
{
    size_t klen = strlen(key);
    uint32_t e;

    if (pk->vals[v].kind != PICKLE_DICT)
        return -1;
    for (e = pk->vals[v].first; e != PICKLE_NIL;
         e = pk->edges[pk->edges[e].next].next) {
        const struct pickle_val *k = &pk->vals[pk->edges[e].v];
        if (k->len == klen && memcmp(k->u.p, key, klen) == 0)
            return (long)pk->edges[pk->edges[e].next].v;
    }
    return -1;
}

/* JSON writing. */
struct pickle_wr {
    const struct pickle *pk;
    struct buf *out, *bins;
    size_t limit; /* out->len may not pass it */
    const char *why;
};

/* A JSON string literal of the (valid) UTF-8 bytes s[0..len). */
static int pickle_json_string(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, from = 0;
    unsigned char c;

    if (buf_putc(out, '"') != 0)
        return -1;
    for (i = 0; i < len; i++) {
        c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (buf_append(out, s + from, i - from) != 0)
            return -1;
        from = i + 1;
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' ||
            c == '\b' || c == '\f') {
            /* The short escapes, as json.dumps writes them. */
            char e[2] = {'\\', (char)(c == '\n'   ? 'n'
                                      : c == '\r' ? 'r'
                                      : c == '\t' ? 't'
                                      : c == '\b' ? 'b'
                                      : c == '\f' ? 'f'
                                                  : c)};
            if (buf_append(out, e, 2) != 0)
                return -1;
        } else {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            if (buf_append(out, e, 6) != 0)
                return -1;
        }
    }
    if (buf_append(out, s + from, len - from) != 0)
        return -1;
    return buf_putc(out, '"');
}

static int pickle_json_value(struct pickle_wr *w, uint32_t v, unsigned depth);

static int pickle_json_items(struct pickle_wr *w, const struct pickle_val *c,
                             unsigned depth)
{
    const struct pickle *pk = w->pk;
    int dict = c->kind == PICKLE_DICT;
    uint32_t e;

    if (buf_putc(w->out, dict ? '{' : '[') != 0)
        return -1;
    for (e = c->first; e != PICKLE_NIL; e = pk->edges[e].next) {
        if (e != c->first && buf_putc(w->out, ',') != 0)
            return -1;
        if (dict) {
            const struct pickle_val *k = &pk->vals[pk->edges[e].v];
            if (pickle_json_string(w->out, k->u.p, k->len) != 0 ||
                buf_putc(w->out, ':') != 0)
                return -1;
            e = pk->edges[e].next;
        }
        if (pickle_json_value(w, pk->edges[e].v, depth + 1) != 0)
            return -1;
    }
    return buf_putc(w->out, dict ? '}' : ']');
}

static int pickle_json_value(struct pickle_wr *w, uint32_t v, unsigned depth)
{
    const struct pickle_val *pv = &w->pk->vals[v];
    struct pickle_bin bin;
    char num[64];
    int i;

    if (depth > PICKLE_MAX_DEPTH) {
        w->why = "nested over PICKLE_MAX_DEPTH";
        return -1;
    }
    if (w->out->len > w->limit) {
        w->why = "JSON over the size given";
        return -1;
    }
    switch (pv->kind) {
    case PICKLE_NONE:
        return buf_puts(w->out, "null");
    case PICKLE_BOOL:
        return buf_puts(w->out, pv->b ? "true" : "false");
    case PICKLE_INT:
        snprintf(num, sizeof num, "%lld", (long long)pv->u.i);
        return buf_puts(w->out, num);
    case PICKLE_FLOAT:
        if (!isfinite(pv->u.f))
            return buf_puts(w->out, "null");
        /* Shortest text that reads back the same double, as repr(). */
        for (i = 1; i <= 17; i++) {
            snprintf(num, sizeof num, "%.*g", i, pv->u.f);
            if (strtod(num, NULL) == pv->u.f)
                break;
        }
        return buf_puts(w->out, num);
    case PICKLE_STR:
        if (pv->len > w->limit - w->out->len) {
            w->why = "JSON over the size given";
            return -1;
        }
        return pickle_json_string(w->out, pv->u.p, pv->len);
    case PICKLE_BYTES:
        bin.p = pv->u.p;
        bin.len = pv->len;
        snprintf(num, sizeof num, "{\"_placeholder\":true,\"num\":%zu}",
                 w->bins->len / sizeof bin);
        if (buf_append(w->bins, &bin, sizeof bin) != 0)
            return -1;
        return buf_puts(w->out, num);
    default:
        return pickle_json_items(w, pv, depth);
    }
}

int pickle_json(const struct pickle *pk, unsigned v, size_t max,
                struct buf *out, struct buf *bins, const char **why)
{
    struct pickle_wr w;

    w.pk = pk;
    w.out = out;
    w.bins = bins;
    w.limit = max > SIZE_MAX - out->len ? SIZE_MAX : out->len + max;
    w.why = "out of memory";
    if (pickle_json_value(&w, v, 0) != 0 || out->len > w.limit) {
        if (out->len > w.limit)
            w.why = "JSON over the size given";
        *why = w.why;
        return -1;
    }
    return 0;
}
