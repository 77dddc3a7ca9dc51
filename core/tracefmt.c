/* The instruction trace's lines, made from fastpath.c's records (the formatter of
 * cheriot_gdbserver/trace.py, which keeps the Python one as its oracle: the two must agree
 * byte for byte, tests/run/test_trace_modes.py and test_trace_format.py).
 *
 * Records: {TRACE_INSN | length << 8, pc, bits, 0} starts a line (its text, "where  disassembly",
 * is made once by Python per (pc, bits) and kept here); {TRACE_EFFECT | reg << 8, x, meta, tag}
 * adds "  ; " (first) or " " (later) and the register's new value: "a0=0x0000002a" for an
 * integer (untagged, metadata 0), else "ca0={" capability.describe "}". The last line stays
 * open (no newline yet) for effects in the next batch. Python supplies the register names and,
 * per permission and otype field (meta bits 22-30), the text after the bounds. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_records.h"
enum { NAME_SIZE = 8, TAIL_SIZE = 128, TAILS = 512 };

void cheriot_decode_bounds(uint32_t meta, uint32_t a, uint32_t *base, uint64_t *top);

typedef struct {
    uint64_t key;          /* pc << 32 | bits */
    uint32_t off, len;     /* into the arena; len 0: an empty slot */
} slot_t;

typedef struct {
    /* Python's side (set once, read here): */
    char int_names[16][NAME_SIZE], cap_names[16][NAME_SIZE];
    char tails[TAILS][TAIL_SIZE];   /* " perms=[...] otype=..." by (meta >> 22) & 0x1FF */
    /* the state between batches: */
    uint32_t open;          /* a line is open (its text written, its newline not) */
    uint32_t effects;       /* effects written on it so far */
    uint64_t lines;         /* lines closed so far */
    uint32_t missing_pc, missing_bits;  /* the prefix that stopped the last call */
    /* the prefixes: */
    slot_t *slots;
    uint32_t mask, used;
    char *arena;
    size_t arena_len, arena_cap;
} tracefmt_t;

tracefmt_t *cheriot_tracefmt_new(void) {
    tracefmt_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->mask = 4095;
    f->slots = calloc(f->mask + 1, sizeof *f->slots);
    f->arena_cap = 1 << 16;
    f->arena = malloc(f->arena_cap);
    if (!f->slots || !f->arena) {
        free(f->slots);
        free(f->arena);
        free(f);
        return NULL;
    }
    return f;
}

void cheriot_tracefmt_free(tracefmt_t *f) {
    if (!f) return;
    free(f->slots);
    free(f->arena);
    free(f);
}

size_t cheriot_tracefmt_size(void) { return sizeof(tracefmt_t); }

static inline uint32_t hash(uint64_t key) {
    key *= 0x9E3779B97F4A7C15ull;
    return (uint32_t)(key >> 32);
}

static slot_t *find(tracefmt_t *f, uint64_t key) {
    for (uint32_t i = hash(key) & f->mask;; i = (i + 1) & f->mask) {
        slot_t *s = &f->slots[i];
        if (!s->len || s->key == key) return s;
    }
}

/* Python made the prefix of (pc, bits): keep it. 0, or -1 when out of memory. */
int cheriot_tracefmt_add(tracefmt_t *f, uint32_t pc, uint32_t bits, const char *text,
                         uint32_t len) {
    if (!len) return -1;
    if (2 * (f->used + 1) > f->mask + 1) {
        uint32_t mask = 2 * f->mask + 1;
        slot_t *old = f->slots, *slots = calloc(mask + 1, sizeof *slots);
        if (!slots) return -1;
        uint32_t old_mask = f->mask;
        f->slots = slots;
        f->mask = mask;
        for (uint32_t i = 0; i <= old_mask; i++)
            if (old[i].len) *find(f, old[i].key) = old[i];
        free(old);
    }
    if (f->arena_len + len > f->arena_cap) {
        size_t cap = f->arena_cap;
        while (f->arena_len + len > cap) cap *= 2;
        char *arena = realloc(f->arena, cap);
        if (!arena) return -1;
        f->arena = arena;
        f->arena_cap = cap;
    }
    uint64_t key = (uint64_t)pc << 32 | bits;
    slot_t *s = find(f, key);
    if (!s->len) f->used++;
    memcpy(f->arena + f->arena_len, text, len);
    s->key = key;
    s->off = (uint32_t)f->arena_len;
    s->len = len;
    f->arena_len += len;
    return 0;
}

static const char HEX[] = "0123456789abcdef";

static inline char *hex8(char *p, uint32_t v) {
    p[0] = '0';
    p[1] = 'x';
    for (int i = 9; i >= 2; i--, v >>= 4) p[i] = HEX[v & 15];
    return p + 10;
}

static inline char *copy(char *p, const char *s) {
    while (*s) *p++ = *s++;
    return p;
}

enum { EFFECT_MAX = NAME_SIZE + 96 + TAIL_SIZE + 16 };

/* Format records [start, n) into out (capacity cap): returns the index of the first record
 * not formatted and sets *written. It stops early when out is nearly full, or at an INSN
 * record whose prefix is unknown (then missing_pc/missing_bits name it: add it, call again). */
uint32_t cheriot_tracefmt_run(tracefmt_t *f, const uint32_t *records, uint32_t start,
                              uint32_t n, char *out, size_t cap, size_t *written) {
    char *p = out, *end = out + cap;
    uint32_t i = start;
    for (; i < n; i++) {
        const uint32_t *r = records + (size_t)i * TRACE_WORDS;
        uint32_t head = r[0];
        if ((head & 0xFF) == TRACE_INSN) {
            slot_t *s = find(f, (uint64_t)r[1] << 32 | r[2]);
            if (!s->len) {
                f->missing_pc = r[1];
                f->missing_bits = r[2];
                break;
            }
            if ((size_t)(end - p) < (size_t)s->len + 1) break;
            if (f->open) {
                *p++ = '\n';
                f->lines++;
            }
            memcpy(p, f->arena + s->off, s->len);
            p += s->len;
            f->open = 1;
            f->effects = 0;
        } else if (f->open) {
            if (end - p < EFFECT_MAX) break;
            unsigned reg = (head >> 8) & 15;
            uint32_t x = r[1], meta = r[2], tag = r[3];
            p = copy(p, f->effects ? " " : "  ; ");
            f->effects++;
            if (!meta && !tag) {
                p = copy(p, f->int_names[reg]);
                *p++ = '=';
                p = hex8(p, x);
            } else {
                uint32_t base;
                uint64_t top;
                cheriot_decode_bounds(meta, x, &base, &top);
                p = copy(p, f->cap_names[reg]);
                p = copy(p, "={address=");
                p = hex8(p, x);
                p = copy(p, " base=");
                p = hex8(p, base);
                p += snprintf(p, (size_t)(end - p), " top=0x%08llx length=0x%llx",
                              (unsigned long long)top,
                              (unsigned long long)((top - base) & ((1ull << 33) - 1)));
                p = copy(p, f->tails[(meta >> 22) & 0x1FF]);
                p = copy(p, tag ? " tag=1}" : " tag=0}");
            }
        }
    }
    *written = (size_t)(p - out);
    return i;
}

/* Python's tables: kind 0 an integer register's name, 1 a capability register's, 2 the text
 * after the bounds for meta field (meta >> 22) & 0x1FF. -1 when it does not fit. */
int cheriot_tracefmt_set(tracefmt_t *f, int kind, uint32_t index, const char *text) {
    size_t len = strlen(text);
    char *slot;
    if (kind == 0 && index < 16 && len < NAME_SIZE) slot = f->int_names[index];
    else if (kind == 1 && index < 16 && len < NAME_SIZE) slot = f->cap_names[index];
    else if (kind == 2 && index < TAILS && len < TAIL_SIZE) slot = f->tails[index];
    else return -1;
    memcpy(slot, text, len + 1);
    return 0;
}

/* The prefix that stopped the last run (pc in the high word, bits in the low one). */
uint64_t cheriot_tracefmt_missing(const tracefmt_t *f) {
    return (uint64_t)f->missing_pc << 32 | f->missing_bits;
}

/* The open line is complete (its newline is the caller's to write): 1 if one was open. */
int cheriot_tracefmt_close(tracefmt_t *f) {
    int was = (int)f->open;
    if (was) f->lines++;
    f->open = 0;
    return was;
}

uint64_t cheriot_tracefmt_lines(const tracefmt_t *f) { return f->lines; }
