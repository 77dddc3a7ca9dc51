/*
 * The compiled fast path of the CHERIoT engine: a Unicorn code hook run before every instruction.
 *
 * It is an accelerator, not a second specification. For each instruction it either
 *   - proves that the capability rules are satisfied and does the shadow bookkeeping the
 *     instruction needs (clearing the destination's tag, clearing the tags of stored-to granules,
 *     the stack high-water mark), then lets Unicorn execute the instruction natively; or
 *   - calls the Python slow path, which executes the instruction with the reference semantics
 *     (core/semantics.py) and raises every trap.
 * It never raises a fault itself, so every fault path is the reference one. Whatever this file
 * accepts natively must be exactly what the reference would do (tests run both ways).
 *
 * The struct layout mirrors core/state.py field for field.
 */
#include <stddef.h>
#include <stdint.h>

#define MAX_REGIONS 8
#define MAX_WATCH 8

enum { K_UNDECODED = 0, K_NATIVE_INT = 1, K_NATIVE_OTHER = 2, K_LOAD = 3, K_STORE = 4 };
enum { F_BREAKPOINT = 1, F_SIGNED = 2 };
enum { REGION_RAM = 1, REGION_MMIO = 2 };
enum { ACT_JUMP = 1, ACT_STOP = 2 };
enum { PERM_SD = 0x004, PERM_LD = 0x020 };
enum { WATCH_READ = 1, WATCH_WRITE = 2 };

typedef struct {
    uint8_t kind, rd, rs1, rs2, width, flags, length, pad;
    int32_t imm;
} dinsn_t;

typedef struct {
    uint32_t base, size;
    uint8_t *host;
    uint8_t *tags;
    dinsn_t *dtab;
    uint32_t kind, pad;
} region_t;

typedef int (*slow_fn)(uint32_t pc, uint32_t size);
typedef int (*reg_rw_fn)(void *uc, int regid, void *value);
typedef int (*emu_stop_fn)(void *uc);

typedef struct {
    uint32_t x[16], meta[16], tag[16], base[16];
    uint64_t top[16];
    uint32_t perms[16], otype[16];
    uint32_t pcc_tag, pcc_meta, pcc_base, pcc_perms;
    uint64_t pcc_top;
    uint32_t mstatus, mshwm, mshwmb, xdirty;
    uint64_t instret, event_at;
    uint32_t attention, reference, nregions, nwatch;
    region_t regions[MAX_REGIONS];
    uint32_t watch_lo[MAX_WATCH], watch_hi[MAX_WATCH], watch_mode[MAX_WATCH];
    uint32_t next_pc, pad2;
    slow_fn slow;
    reg_rw_fn reg_read, reg_write;
    emu_stop_fn emu_stop;
    int32_t reg_ids[16];
    int32_t pc_reg_id, pad3;
    uint64_t n_slow, n_fast;
} core_t;

size_t cheriot_core_size(void) { return sizeof(core_t); }
size_t cheriot_core_offset_regions(void) { return offsetof(core_t, regions); }
size_t cheriot_core_offset_slow(void) { return offsetof(core_t, slow); }
size_t cheriot_core_offset_n_fast(void) { return offsetof(core_t, n_fast); }

static inline region_t *find_region(core_t *s, uint32_t a) {
    for (uint32_t i = 0; i < s->nregions; i++) {
        region_t *r = &s->regions[i];
        if (a - r->base < r->size) return r;
    }
    return NULL;
}

/* May the data access [va, va+w) through capability register rs1 run natively? isa.md §5.20:
 * tag, seal, permission and bounds all pass, the bytes lie inside one mapped region and no
 * watchpoint covers them. Anything else is left to the reference semantics. */
static inline region_t *access_ok(core_t *s, unsigned rs1, uint32_t va, uint32_t w,
                                  uint32_t perm, uint32_t watch_mode) {
    if (!s->tag[rs1] || s->otype[rs1] || !(s->perms[rs1] & perm)) return NULL;
    if (va < s->base[rs1] || (uint64_t)va + w > s->top[rs1]) return NULL;
    region_t *r = find_region(s, va);
    if (!r || (va - r->base) + w > r->size) return NULL;
    for (uint32_t i = 0; i < s->nwatch; i++) {
        if ((s->watch_mode[i] & watch_mode) && va < s->watch_hi[i] && va + w > s->watch_lo[i])
            return NULL;
    }
    return r;
}

static inline void clear_int(core_t *s, unsigned rd) {
    s->tag[rd] = 0;
    s->meta[rd] = 0;
}

/* Shadow effects of a native store to RAM: tags of touched granules cleared (isa.md §8.1),
 * the stack high-water mark (§1.5), and the decode cache of overwritten code dropped. */
static inline void store_effects(core_t *s, region_t *r, uint32_t va, uint32_t w) {
    uint32_t off = va - r->base, last = off + w - 1;
    if (r->tags) {
        r->tags[off >> 3] = 0;
        r->tags[last >> 3] = 0;
    }
    if (s->mshwmb <= va && va < s->mshwm) s->mshwm = va & ~0xFu;
    if (r->dtab) {
        uint32_t h = off >> 1;
        if (h > 0) h--; /* a 32-bit instruction starting 2 bytes earlier covers va */
        for (; h <= (last >> 1); h++) r->dtab[h].kind = K_UNDECODED;
    }
}

static void slow_path(void *uc, core_t *s, uint32_t pc, uint32_t size) {
    s->n_slow++;
    for (int i = 1; i < 16; i++) s->reg_read(uc, s->reg_ids[i], &s->x[i]);
    s->xdirty = 0;
    int act = s->slow(pc, size);
    uint32_t dirty = s->xdirty;
    for (int i = 1; dirty && i < 16; i++) {
        if (dirty & (1u << i)) s->reg_write(uc, s->reg_ids[i], &s->x[i]);
    }
    s->xdirty = 0;
    if (act & ACT_JUMP) {
        uint32_t npc = s->next_pc;
        s->reg_write(uc, s->pc_reg_id, &npc);
    }
    if (act & ACT_STOP) s->emu_stop(uc);
}

void cheriot_code_hook(void *uc, uint64_t address, uint32_t size, void *user_data) {
    core_t *s = (core_t *)user_data;
    uint32_t pc = (uint32_t)address;

    if (s->attention || s->instret >= s->event_at || s->reference) goto slow;
    /* Instruction fetch (isa.md §7.4): tagged PCC and every parcel inside its bounds. */
    if (!s->pcc_tag || pc < s->pcc_base || (uint64_t)pc + size > s->pcc_top) goto slow;
    region_t *r = find_region(s, pc);
    if (!r || !r->dtab) goto slow;
    const dinsn_t *d = &r->dtab[(pc - r->base) >> 1];
    if (d->flags & F_BREAKPOINT) goto slow;

    switch (d->kind) {
    case K_NATIVE_INT:
        clear_int(s, d->rd);
        break;
    case K_NATIVE_OTHER:
        break;
    case K_LOAD: {
        uint32_t va = s->x[d->rs1] + (uint32_t)d->imm;
        if (!access_ok(s, d->rs1, va, d->width, PERM_LD, WATCH_READ)) goto slow;
        clear_int(s, d->rd);
        break;
    }
    case K_STORE: {
        uint32_t va = s->x[d->rs1] + (uint32_t)d->imm;
        region_t *dr = access_ok(s, d->rs1, va, d->width, PERM_SD, WATCH_WRITE);
        if (!dr) goto slow;
        if (dr->kind == REGION_RAM) store_effects(s, dr, va, d->width);
        break;
    }
    default:
        goto slow;
    }
    s->instret++;
    s->n_fast++;
    return;

slow:
    slow_path(uc, s, pc, size);
}
