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

#define MAX_REGIONS 8   /* RAM and ROM regions of a board */
#define REGION_SLOTS 16 /* the RAM regions, then device windows */
#define MAX_WATCH 8

enum { K_UNDECODED = 0, K_NATIVE_INT = 1, K_NATIVE_OTHER = 2, K_LOAD = 3, K_STORE = 4 };
/* Capability instructions with a compiled common case (kinds >= 16, see state.FAST_KINDS). */
enum {
    K_CMOVE = 16, K_CINCADDRIMM, K_CINCADDR, K_CSETADDR, K_AUIPCC, K_CJAL, K_CJALR, K_CLC, K_CSC,
    K_CGETADDR, K_CGETPERM, K_CGETTYPE, K_CGETBASE, K_CGETLEN, K_CGETTAG, K_CGETTOP, K_CGETHIGH,
    K_CCLEARTAG, K_CSUB, K_CSEQX, K_CTESTSUBSET, K_CSETHIGH, K_CSETBOUNDS, K_CSETBOUNDSIMM,
    K_CSETBOUNDSEXACT, K_CSETBOUNDSROUNDDOWN, K_CANDPERM
};
/* System-level instructions with a compiled common case (state.FAST_KINDS; numbered from 64 so
 * that other kinds can be added above without renumbering these). For the CSR kinds the decode
 * cache holds the CSR number in imm and, for the immediate forms, the zimm in rs1. */
enum {
    K_CSPECIALRW = 64, K_CSEAL, K_CUNSEAL, K_CRRL, K_CRAM, K_CSRRW, K_CSRRS, K_CSRRC, K_CSRRWI,
    K_CSRRSI, K_CSRRCI, K_MRET
};
/* Bit-manipulation instructions (kinds >= K_BITMANIP = state.BITMANIP_FIRST, in
 * core/bitmanip.py OPERATIONS order). */
enum { K_BITMANIP = 96 };
enum {
    K_SH1ADD = K_BITMANIP, K_SH2ADD, K_SH3ADD, K_ANDN, K_ORN, K_XNOR, K_CLZ, K_CTZ, K_CPOP, K_MAX,
    K_MAXU, K_MIN, K_MINU, K_SEXT_B, K_SEXT_H, K_ZEXT_H, K_ROL, K_ROR, K_RORI, K_ORC_B, K_REV8,
    K_BCLR, K_BCLRI, K_BEXT, K_BEXTI, K_BINV, K_BINVI, K_BSET, K_BSETI, K_PACK, K_PACKH, K_BREV8,
    K_ZIP, K_UNZIP, K_CLMUL, K_CLMULH, K_CLMULR, K_XPERM4, K_XPERM8
};
enum { F_BREAKPOINT = 1, F_SIGNED = 2 };
enum { REGION_RAM = 1, REGION_MMIO = 2 };
enum { ACT_JUMP = 1, ACT_STOP = 2 };
enum {
    PERM_GL = 0x001, PERM_LG = 0x002, PERM_SD = 0x004, PERM_LM = 0x008, PERM_SL = 0x010,
    PERM_LD = 0x020, PERM_MC = 0x040, PERM_SR = 0x080, PERM_EX = 0x100, PERM_US = 0x200,
    PERM_SE = 0x400, PERM_SEALING = 0xE00
};
enum { MSTATUS_MIE = 1u << 3, MSTATUS_MPIE = 1u << 7, MSTATUS_MPP = 3u << 11 };
enum { SCR_MTCC = 28, SCR_MTDC = 29, SCR_MSCRATCHC = 30, SCR_MEPCC = 31 };
enum { MIE_WRITABLE = (1u << 3) | (1u << 7) | (1u << 11) };
enum {
    CSR_MSTATUS = 0x300, CSR_MIE = 0x304, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342, CSR_MTVAL = 0x343,
    CSR_MIP = 0x344, CSR_MSHWM = 0xBC1, CSR_MSHWMB = 0xBC2
};
enum { WATCH_READ = 1, WATCH_WRITE = 2 };
enum { DECODE_NO_FAST_CLC = 1 };
#include "trace_records.h"

typedef struct {
    /* by_c: filled by this file's pre-decoder, so Python holds no Instr for it yet. */
    uint8_t kind, rd, rs1, rs2, width, flags, length, by_c;
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
typedef int (*flush_fn)(void);

typedef struct {
    uint32_t x[16], meta[16], tag[16], base[16];
    uint64_t top[16];
    uint32_t perms[16], otype[16];
    uint32_t pcc_tag, pcc_meta, pcc_base, pcc_perms;
    uint64_t pcc_top;
    uint32_t mstatus, mshwm, mshwmb, xdirty;
    uint64_t instret, event_at;
    uint32_t attention, reference, nregions, nwatch;
    region_t regions[REGION_SLOTS];
    uint32_t watch_lo[MAX_WATCH], watch_hi[MAX_WATCH], watch_mode[MAX_WATCH];
    uint32_t next_pc, pad2;
    slow_fn slow;
    reg_rw_fn reg_read, reg_write;
    emu_stop_fn emu_stop;
    int32_t reg_ids[16];
    int32_t pc_reg_id, pad3;
    uint64_t n_slow, n_fast;
    /* Filled from the Python codec, so the permission table has one source (capability.py). */
    uint32_t perm_table[64];
    uint32_t rev_base, rev_size; /* revocation bitmap (isa.md §8.2); rev_shadow NULL: none */
    uint8_t *rev_shadow;
    /* The most recent instruction addresses, for fault reports (consecutive repeats folded). */
    uint32_t history[64];
    uint32_t hist_pos, pad4;
    /* Compressed permission field for each 12-bit permission set (legalisation, isa.md §3.3),
     * filled from capability.py like perm_table. */
    uint8_t p_of_perms[4096];
    /* Instructions after which the hook wrote the PC or stopped: each forces Unicorn out of its
     * translated block (scripts/bench reports the share). */
    uint64_t n_exit;
    /* Special capability registers MTCC, MTDC, MScratchC, MEPCC (index scr - 28) and the
     * machine CSRs the hot paths use; hart.py presents them to Python. */
    uint32_t scr_x[4], scr_meta[4], scr_tag[4];
    uint32_t mie, mip, mcause, mtval;
    /* Set when Unicorn is our patched build (scripts/build-unicorn) and translates the encodings
     * this hook executes to nothing: then a completed instruction needs no PC write, and
     * Unicorn stays in its translated block. */
    uint32_t hook_executes;
    /* What the pre-decoder may decode: DECODE_* options (CLC keeps the reference kind when the
     * revocation bitmap is not plain RAM), and which bit-manipulation operations the core has
     * (bit i: kind K_BITMANIP + i, from isa.py). */
    uint32_t decode_opts, pad5;
    uint64_t bitmanip_legal;
    /* The instruction trace (cheriot_gdbserver/trace.py formats it): records of TRACE_WORDS
     * words appended here, drained by trace_flush when full and by Python at each trap and at
     * the end. trace_pending: the last instruction's effects are not recorded yet (1: only
     * register trace_rd can have changed, a fast-path instruction; 2: any, a slow-path one),
     * against the values before it in trace_x/meta/tag. */
    uint32_t *trace_buf;
    uint32_t trace_cap, trace_len;
    flush_fn trace_flush;
    uint32_t trace_on, trace_pending, trace_rd, pad6;
    uint32_t trace_x[16], trace_meta[16], trace_tag[16];
    /* The instruction count a run or step ends at (Engine._stop_at's copy). Reached with nothing
     * else needing attention, the hook stops Unicorn itself and notes the PC in budget_pc
     * (budget_stop = 1), x1-x15 in x[], instead of calling the slow path, which would only report that stop:
     * a debugger's single step then makes no call into Python (issue 13). Not in reference
     * mode, where the slow path's own check stays the oracle. */
    uint64_t stop_at;
    uint32_t budget_stop, budget_pc;
} core_t;

/* --- the ABI shared with Python (core/state.py), checked field by field at load and by
 * tests/core/test_fastpath_layout.py ---------------------------------------------------- */

typedef struct {
    const char *name;
    uint64_t value;
} abi_entry_t;

#define CORE(f) {"core." #f, offsetof(core_t, f)}
#define REGION(f) {"region." #f, offsetof(region_t, f)}
#define DINSN(f) {"dinsn." #f, offsetof(dinsn_t, f)}
static const abi_entry_t abi_layout[] = {
    {"sizeof.core", sizeof(core_t)}, {"sizeof.region", sizeof(region_t)},
    {"sizeof.dinsn", sizeof(dinsn_t)},
    DINSN(kind), DINSN(rd), DINSN(rs1), DINSN(rs2), DINSN(width), DINSN(flags), DINSN(length),
    DINSN(by_c), DINSN(imm),
    REGION(base), REGION(size), REGION(host), REGION(tags), REGION(dtab), REGION(kind),
    REGION(pad),
    CORE(x), CORE(meta), CORE(tag), CORE(base), CORE(top), CORE(perms), CORE(otype),
    CORE(pcc_tag), CORE(pcc_meta), CORE(pcc_base), CORE(pcc_perms), CORE(pcc_top),
    CORE(mstatus), CORE(mshwm), CORE(mshwmb), CORE(xdirty), CORE(instret), CORE(event_at),
    CORE(attention), CORE(reference), CORE(nregions), CORE(nwatch), CORE(regions),
    CORE(watch_lo), CORE(watch_hi), CORE(watch_mode), CORE(next_pc), CORE(pad2), CORE(slow),
    CORE(reg_read), CORE(reg_write), CORE(emu_stop), CORE(reg_ids), CORE(pc_reg_id),
    CORE(pad3), CORE(n_slow), CORE(n_fast), CORE(perm_table), CORE(rev_base), CORE(rev_size),
    CORE(rev_shadow), CORE(history), CORE(hist_pos), CORE(pad4), CORE(p_of_perms),
    CORE(n_exit), CORE(scr_x), CORE(scr_meta), CORE(scr_tag), CORE(mie), CORE(mip),
    CORE(mcause), CORE(mtval), CORE(hook_executes), CORE(decode_opts), CORE(pad5),
    CORE(bitmanip_legal), CORE(trace_buf), CORE(trace_cap), CORE(trace_len),
    CORE(trace_flush), CORE(trace_on), CORE(trace_pending), CORE(trace_rd), CORE(pad6),
    CORE(trace_x), CORE(trace_meta), CORE(trace_tag), CORE(stop_at), CORE(budget_stop),
    CORE(budget_pc),
    {NULL, 0},
};

#define CONST(c) {#c, (uint64_t)(c)}
static const abi_entry_t abi_constants[] = {
    CONST(MAX_REGIONS), CONST(REGION_SLOTS), CONST(MAX_WATCH),
    CONST(K_UNDECODED), CONST(K_NATIVE_INT), CONST(K_NATIVE_OTHER), CONST(K_LOAD),
    CONST(K_STORE),
    CONST(K_CMOVE), CONST(K_CINCADDRIMM), CONST(K_CINCADDR), CONST(K_CSETADDR), CONST(K_AUIPCC),
    CONST(K_CJAL), CONST(K_CJALR), CONST(K_CLC), CONST(K_CSC), CONST(K_CGETADDR),
    CONST(K_CGETPERM), CONST(K_CGETTYPE), CONST(K_CGETBASE), CONST(K_CGETLEN), CONST(K_CGETTAG),
    CONST(K_CGETTOP), CONST(K_CGETHIGH), CONST(K_CCLEARTAG), CONST(K_CSUB), CONST(K_CSEQX),
    CONST(K_CTESTSUBSET), CONST(K_CSETHIGH), CONST(K_CSETBOUNDS), CONST(K_CSETBOUNDSIMM),
    CONST(K_CSETBOUNDSEXACT), CONST(K_CSETBOUNDSROUNDDOWN), CONST(K_CANDPERM),
    CONST(K_CSPECIALRW), CONST(K_CSEAL), CONST(K_CUNSEAL), CONST(K_CRRL), CONST(K_CRAM),
    CONST(K_CSRRW), CONST(K_CSRRS), CONST(K_CSRRC), CONST(K_CSRRWI), CONST(K_CSRRSI),
    CONST(K_CSRRCI), CONST(K_MRET),
    CONST(K_SH1ADD), CONST(K_SH2ADD), CONST(K_SH3ADD), CONST(K_ANDN), CONST(K_ORN), CONST(K_XNOR),
    CONST(K_CLZ), CONST(K_CTZ), CONST(K_CPOP), CONST(K_MAX), CONST(K_MAXU), CONST(K_MIN),
    CONST(K_MINU), CONST(K_SEXT_B), CONST(K_SEXT_H), CONST(K_ZEXT_H), CONST(K_ROL), CONST(K_ROR),
    CONST(K_RORI), CONST(K_ORC_B), CONST(K_REV8), CONST(K_BCLR), CONST(K_BCLRI), CONST(K_BEXT),
    CONST(K_BEXTI), CONST(K_BINV), CONST(K_BINVI), CONST(K_BSET), CONST(K_BSETI), CONST(K_PACK),
    CONST(K_PACKH), CONST(K_BREV8), CONST(K_ZIP), CONST(K_UNZIP), CONST(K_CLMUL), CONST(K_CLMULH),
    CONST(K_CLMULR), CONST(K_XPERM4), CONST(K_XPERM8),
    CONST(F_BREAKPOINT), CONST(F_SIGNED), CONST(REGION_RAM), CONST(REGION_MMIO),
    CONST(ACT_JUMP), CONST(ACT_STOP), CONST(WATCH_READ), CONST(WATCH_WRITE),
    CONST(DECODE_NO_FAST_CLC), CONST(TRACE_WORDS), CONST(TRACE_INSN), CONST(TRACE_EFFECT),
    CONST(PERM_GL), CONST(PERM_LG), CONST(PERM_SD), CONST(PERM_LM), CONST(PERM_SL),
    CONST(PERM_LD), CONST(PERM_MC), CONST(PERM_SR), CONST(PERM_EX), CONST(PERM_US),
    CONST(PERM_SE), CONST(PERM_SEALING), CONST(MSTATUS_MIE), CONST(MSTATUS_MPIE),
    CONST(MSTATUS_MPP), CONST(SCR_MTCC), CONST(SCR_MTDC), CONST(SCR_MSCRATCHC), CONST(SCR_MEPCC),
    CONST(MIE_WRITABLE), CONST(CSR_MSTATUS), CONST(CSR_MIE), CONST(CSR_MEPC), CONST(CSR_MCAUSE), CONST(CSR_MTVAL),
    CONST(CSR_MIP), CONST(CSR_MSHWM), CONST(CSR_MSHWMB),
    {NULL, 0},
};

const abi_entry_t *cheriot_abi_layout(void) { return abi_layout; }
const abi_entry_t *cheriot_abi_constants(void) { return abi_constants; }

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

/* --- capability helpers (isa.md §2; the reference is capability.py) ---------------------- */

static inline uint32_t exponent_of(uint32_t meta) {
    uint32_t e = (meta >> 18) & 0xF;
    return e == 0xF ? 24 : e;
}

static inline uint32_t otype_of(uint32_t meta) {
    uint32_t ot = (meta >> 22) & 7;
    if (!ot) return 0;
    return ((meta >> 28) & 3) == 1 ? ot : 8 + ot; /* executable format keeps 1..7 */
}

static inline uint32_t with_otype(uint32_t meta, uint32_t otype) {
    return (meta & ~(7u << 22)) | ((otype & 7) << 22);
}

void cheriot_decode_bounds(uint32_t meta, uint32_t a, uint32_t *base, uint64_t *top) {
    uint32_t b = meta & 0x1FF, t = (meta >> 9) & 0x1FF, e = exponent_of(meta);
    uint32_t a_mid = (a >> e) & 0x1FF;
    int64_t a_top = (int64_t)((uint64_t)a >> (e + 9));
    int64_t a_hi = a_mid < b, t_hi = t < b;
    int64_t region = (int64_t)1 << (e + 9);
    *base = (uint32_t)((a_top - a_hi) * region + ((int64_t)b << e));
    *top = (uint64_t)((a_top + t_hi - a_hi) * region + ((int64_t)t << e)) & ((1ull << 33) - 1);
}

/* Exported for the differential tests of the codec against core/capability.py. */
uint32_t cheriot_otype(uint32_t meta) { return otype_of(meta); }
uint32_t cheriot_exponent(uint32_t meta) { return exponent_of(meta); }

/* Write capability register rd (x, shadow and decoded cache) and Unicorn's integer register. */
/* Capability register rd's shadow only: for an instruction whose RV32 twin Unicorn then runs
 * natively, writing the same address into the integer register itself. */
static inline void set_shadow(core_t *s, unsigned rd, uint32_t addr, uint32_t meta,
                              uint32_t tag) {
    if (!rd) return;
    s->x[rd] = addr;
    s->meta[rd] = meta;
    s->tag[rd] = tag;
    if (tag) {
        cheriot_decode_bounds(meta, addr, &s->base[rd], &s->top[rd]);
        s->perms[rd] = s->perm_table[(meta >> 25) & 0x3F];
        s->otype[rd] = otype_of(meta);
    }
}

static inline void set_reg(void *uc, core_t *s, unsigned rd, uint32_t addr, uint32_t meta,
                           uint32_t tag) {
    if (!rd) return;
    set_shadow(s, rd, addr, meta, tag);
    s->reg_write(uc, s->reg_ids[rd], &addr);
}

static inline uint32_t read_x(void *uc, core_t *s, unsigned r) {
    if (!r) return 0;
    if (s->tag[r]) return s->x[r]; /* a tagged register has not been written natively */
    uint32_t v;
    s->reg_read(uc, s->reg_ids[r], &v);
    return v;
}

/* Sail's setCapAddr: the tag survives iff the bounds decode identically at the new address. */
static inline uint32_t moved_tag(core_t *s, unsigned r, uint32_t meta, uint32_t na) {
    if (!s->tag[r] || s->otype[r]) return 0;
    uint32_t nb;
    uint64_t nt;
    cheriot_decode_bounds(meta, na, &nb, &nt);
    return nb == s->base[r] && nt == s->top[r];
}

static inline uint32_t bit_length(uint32_t v) { return v ? 32 - (uint32_t)__builtin_clz(v) : 0; }

static void extract(uint32_t b, uint64_t t, uint32_t e, uint32_t *b10, uint32_t *t10, int *lost) {
    *b10 = (b >> e) & 0x3FF;
    *t10 = (uint32_t)(t >> e) & 0x3FF;
    *lost = (t & ((1ull << e) - 1)) != 0;
    if (*lost) *t10 = (*t10 + 1) & 0x3FF;
}

/* Sail's setCapBounds (isa.md §2.8): E, T and B fields for [b, b+l) rounded outwards. */
uint32_t cheriot_set_bounds(uint32_t b, uint32_t l, int *exact) {
    uint64_t t = (uint64_t)b + l;
    uint32_t e = bit_length(l >> 9), b10, t10;
    int lost;
    if (e > 14) e = 24;
    extract(b, t, e, &b10, &t10, &lost);
    if (((t10 - b10) & 0x3FF) > 511) { /* rounding made it too long: one retry */
        e = e < 14 ? e + 1 : 24;
        extract(b, t, e, &b10, &t10, &lost);
    }
    *exact = (b & ((1u << e) - 1)) == 0 && !lost;
    return ((e == 24 ? 0xFu : e) << 18) | ((t10 & 0x1FF) << 9) | (b10 & 0x1FF);
}

/* Sail's setCapBoundsRoundDown (isa.md §2.9): exact base, length rounded down. */
uint32_t cheriot_set_bounds_round_down(uint32_t b, uint32_t l) {
    uint64_t t = (uint64_t)b + l;
    uint32_t e_l = bit_length(l >> 9), e_b = b ? (uint32_t)__builtin_ctz(b) : 32;
    uint32_t e = e_l < e_b ? e_l : e_b;
    if (e > 14) e = 14;
    uint32_t base = (b >> e) & 0x1FF;
    uint32_t top = (e_l > e_b || e_l > 14) ? ((base - 1) & 0x1FF) : ((uint32_t)(t >> e_l) & 0x1FF);
    return (e << 18) | (top << 9) | base;
}

#define BOUNDS_FIELDS 0x3FFFFFu

static inline int revoked(core_t *s, uint32_t a) {
    if (!s->rev_shadow || a < s->rev_base) return 0;
    uint32_t off = a - s->rev_base;
    if ((off >> 6) >= s->rev_size) return 0;
    return (s->rev_shadow[off >> 6] >> ((off >> 3) & 7)) & 1;
}

static inline void jump(void *uc, core_t *s, uint32_t pc) {
    s->n_exit++;
    s->reg_write(uc, s->pc_reg_id, &pc);
}

/* The link value of CJAL/CJALR (isa.md §4.4): PCC at the next instruction, sealed as a
 * backward sentry when it goes to cra. Uses MIE as it was before the jump. Only the shadow:
 * Unicorn runs the jump as its RV32 twin (jal/jalr), which writes the same address into rd
 * after reading rs1, so cjalr cra, cra works and no PC write ends the translated block. */
static inline void link_shadow(core_t *s, unsigned rd, uint32_t next) {
    if (!rd) return;
    uint32_t meta = s->pcc_meta;
    if (rd == 1) meta = with_otype(meta, (s->mstatus & MSTATUS_MIE) ? 5 : 4);
    set_shadow(s, rd, next, meta, s->pcc_tag);
}

/* --- system-level instructions (the switcher's and scheduler's hot paths) ---------------- */

/* After an instruction that may have enabled interrupts: a pending, enabled interrupt is taken
 * before the next instruction (isa.md §7.6), by the slow path that `attention` sends it to. */
static inline void check_interrupts(core_t *s) {
    if ((s->mstatus & MSTATUS_MIE) && (s->mip & s->mie)) s->attention = 1;
}

static inline void read_cap(void *uc, core_t *s, unsigned r, uint32_t *a, uint32_t *meta,
                            uint32_t *tag) {
    *a = read_x(uc, s, r);
    *meta = r ? s->meta[r] : 0;
    *tag = r ? s->tag[r] : 0;
}

static inline uint32_t perms_of(core_t *s, uint32_t meta) {
    return s->perm_table[(meta >> 25) & 0x3F];
}

/* CSpecialRW (isa.md §5.19; csr.cspecialrw): rd <- SCR, SCR <- cs1 unless cs1 is cnull; writes
 * of MTCC and MEPCC legalise the address and clear the tag of sealed or non-executable values.
 * An unknown SCR or a PCC without SR traps: deferred. */
static int fast_cspecialrw(void *uc, core_t *s, const dinsn_t *d) {
    unsigned scr = d->rs2;
    if (scr < SCR_MTCC || scr > SCR_MEPCC || !(s->pcc_perms & PERM_SR)) return 0;
    unsigned i = scr - SCR_MTCC;
    uint32_t old_a = s->scr_x[i], old_meta = s->scr_meta[i], old_tag = s->scr_tag[i];
    if (d->rs1) {
        uint32_t a, meta, tag;
        read_cap(uc, s, d->rs1, &a, &meta, &tag);
        if (scr == SCR_MTCC || scr == SCR_MEPCC) {
            uint32_t low = scr == SCR_MTCC ? 3u : 1u;
            if ((a & low) || otype_of(meta) || !(perms_of(s, meta) & PERM_EX)) tag = 0;
            a &= ~low;
        }
        s->scr_x[i] = a;
        s->scr_meta[i] = meta;
        s->scr_tag[i] = tag;
    }
    set_reg(uc, s, d->rd, old_a, old_meta, old_tag);
    return 1;
}

/* The CSRs of the hot paths (csr.CSRS; isa.md §1.5): every access needs SR; anything else (a
 * missing SR, a write to the read-only mepc, another CSR) is deferred. */
static int fast_csr(void *uc, core_t *s, const dinsn_t *d) {
    unsigned k = d->kind, field = d->rs1;
    int immediate = k >= K_CSRRWI;
    unsigned op = immediate ? k - K_CSRRWI : k - K_CSRRW; /* 0 write, 1 set, 2 clear */
    uint32_t source = immediate ? field : read_x(uc, s, field);
    int writes = op == 0 || field != 0;
    uint32_t csr = (uint32_t)d->imm, old;
    if (!(s->pcc_perms & PERM_SR)) return 0;
    switch (csr) {
    case CSR_MSTATUS: old = s->mstatus | MSTATUS_MPP; break;
    case CSR_MIE: old = s->mie; break;
    case CSR_MIP: old = s->mip; break;
    case CSR_MCAUSE: old = s->mcause; break;
    case CSR_MTVAL: old = s->mtval; break;
    case CSR_MEPC:
        if (writes) return 0;
        old = s->scr_x[SCR_MEPCC - SCR_MTCC];
        break;
    case CSR_MSHWM: old = s->mshwm & ~0xFu; break;
    case CSR_MSHWMB: old = s->mshwmb & ~0xFu; break;
    default: return 0;
    }
    if (writes) {
        uint32_t v = op == 0 ? source : op == 1 ? (old | source) : (old & ~source);
        switch (csr) {
        case CSR_MSTATUS: s->mstatus = (v & (MSTATUS_MIE | MSTATUS_MPIE)) | MSTATUS_MPP; break;
        case CSR_MIE: s->mie = v & MIE_WRITABLE; break;
        case CSR_MCAUSE: s->mcause = v; break;
        case CSR_MTVAL: s->mtval = v; break;
        case CSR_MSHWM: s->mshwm = v & ~0xFu; break;
        case CSR_MSHWMB: s->mshwmb = v & ~0xFu; break;
        default: break; /* mip: read-only here, the write is ignored (WARL) */
        }
        check_interrupts(s);
    }
    set_reg(uc, s, d->rd, old, 0, 0);
    return 1;
}

/* MRET (isa.md §7.5; csr.mret): PCC <- MEPCC (installed even untagged: the next fetch then
 * faults in the slow path), MIE <- MPIE, MPIE <- 1; continue at MEPCC's address. Without SR it
 * traps: deferred. A pending interrupt that MIE now enables is taken before the next
 * instruction. */
static int fast_mret(void *uc, core_t *s) {
    if (!(s->pcc_perms & PERM_SR)) return 0;
    unsigned i = SCR_MEPCC - SCR_MTCC;
    uint32_t a = s->scr_x[i], meta = s->scr_meta[i];
    uint32_t mie = (s->mstatus & MSTATUS_MPIE) ? MSTATUS_MIE : 0;
    s->mstatus = (s->mstatus & ~(uint32_t)MSTATUS_MIE) | mie | MSTATUS_MPIE | MSTATUS_MPP;
    s->pcc_tag = s->scr_tag[i];
    s->pcc_meta = meta;
    cheriot_decode_bounds(meta, a, &s->pcc_base, &s->pcc_top);
    s->pcc_perms = perms_of(s, meta);
    check_interrupts(s);
    jump(uc, s, a);
    return 1;
}

/* CSeal and CUnseal (isa.md §5.12, §4.2, §4.3; semantics.cseal/cunseal): never trap; a refused
 * operation clears the result's tag. */
static int fast_seal(void *uc, core_t *s, const dinsn_t *d) {
    uint32_t a1, m1, t1, a2, m2, t2;
    read_cap(uc, s, d->rs1, &a1, &m1, &t1);
    read_cap(uc, s, d->rs2, &a2, &m2, &t2);
    uint32_t p1 = perms_of(s, m1), p2 = perms_of(s, m2), ot1 = otype_of(m1);
    uint32_t b2 = 0;
    uint64_t top2 = 0;
    if (t2) {
        b2 = s->base[d->rs2];
        top2 = s->top[d->rs2];
    }
    int key_ok = t2 && !otype_of(m2); /* a tagged, unsealed authority */
    if (d->kind == K_CSEAL) {
        uint32_t ot = a2;
        int suits = (p1 & PERM_EX) ? (ot >= 1 && ot <= 7) : (ot >= 9 && ot <= 15);
        int ok = key_ok && (p2 & PERM_SE) && b2 <= ot && (uint64_t)ot + 1 <= top2 && suits && !ot1;
        set_reg(uc, s, d->rd, a1, with_otype(m1, ot), t1 && ok);
    } else {
        int ok = key_ok && ot1 && (p2 & PERM_US) && b2 <= ot1 && (uint64_t)ot1 + 1 <= top2;
        uint32_t perms = (p2 & PERM_GL) ? p1 : (p1 & ~(uint32_t)PERM_GL);
        uint32_t meta = (m1 & ~(0x3Fu << 25)) | ((uint32_t)s->p_of_perms[perms & 0xFFF] << 25);
        set_reg(uc, s, d->rd, a1, with_otype(meta, 0), t1 && ok);
    }
    return 1;
}

/* CRAM and CRRL (isa.md §5.15, §2.10; capability.representable_*). */
uint32_t cheriot_cram(uint32_t length) {
    int exact;
    uint32_t e = exponent_of(cheriot_set_bounds(0, length, &exact));
    return (uint32_t)(0xFFFFFFFFull << e);
}

uint32_t cheriot_crrl(uint32_t length) {
    uint32_t mask = cheriot_cram(length);
    return (length + ~mask) & mask;
}

/* Returns 1 when the instruction was executed here, 0 to defer to the reference semantics. */
static int fast_cap(void *uc, core_t *s, const dinsn_t *d, uint32_t pc, uint32_t size) {
    unsigned rd = d->rd, rs1 = d->rs1;
    uint32_t next = pc + size;
    switch (d->kind) {
    case K_CMOVE:
        if (rd) {
            uint32_t a = read_x(uc, s, rs1);
            set_reg(uc, s, rd, a, rs1 ? s->meta[rs1] : 0, rs1 ? s->tag[rs1] : 0);
        }
        break;
    case K_CGETADDR:
        if (rd) set_reg(uc, s, rd, read_x(uc, s, rs1), 0, 0);
        break;
    case K_CINCADDRIMM:
    case K_CINCADDR:
    case K_CSETADDR: {
        uint32_t a = read_x(uc, s, rs1), meta = rs1 ? s->meta[rs1] : 0;
        uint32_t na = d->kind == K_CINCADDRIMM ? a + (uint32_t)d->imm
                      : d->kind == K_CINCADDR ? a + read_x(uc, s, d->rs2)
                                              : read_x(uc, s, d->rs2);
        if (d->kind == K_CINCADDRIMM && size == 2) {
            /* C.CIncAddr16CSP / C.CIncAddr4CSPN: the twins c.addi16sp / c.addi4spn compute
             * the same address natively. */
            set_shadow(s, rd, na, meta, moved_tag(s, rs1, meta, na));
            return 1;
        }
        set_reg(uc, s, rd, na, meta, moved_tag(s, rs1, meta, na));
        break;
    }
    case K_AUIPCC: {
        uint32_t na = pc + (uint32_t)d->imm, b0, b1;
        uint64_t t0, t1;
        cheriot_decode_bounds(s->pcc_meta, pc, &b0, &t0);
        cheriot_decode_bounds(s->pcc_meta, na, &b1, &t1);
        set_reg(uc, s, rd, na, s->pcc_meta, s->pcc_tag && b0 == b1 && t0 == t1);
        break;
    }
    case K_CJAL:
        link_shadow(s, rd, next);
        return 1; /* the twin: jal */
    case K_CJALR: {
        if (!s->tag[rs1] || !(s->perms[rs1] & PERM_EX)) return 0;
        uint32_t ot = s->otype[rs1];
        if (ot && d->imm) return 0;
        int allowed = (rs1 == 1 && rd == 0) ? (ot == 4 || ot == 5)
                      : rd == 1             ? ot <= 3
                                            : ot <= 1;
        if (!allowed) return 0;
        uint32_t meta = with_otype(s->meta[rs1], 0);
        uint32_t base = s->base[rs1], perms = s->perms[rs1];
        uint64_t top = s->top[rs1];
        link_shadow(s, rd, next);
        s->pcc_tag = 1;
        s->pcc_meta = meta;
        s->pcc_base = base;
        s->pcc_top = top;
        s->pcc_perms = perms;
        if (ot == 2 || ot == 4) s->mstatus &= ~MSTATUS_MIE;
        if (ot == 3 || ot == 5) {
            /* Interrupts enabled: a pending one is taken before the next instruction. */
            s->mstatus |= MSTATUS_MIE;
            check_interrupts(s);
        }
        return 1; /* the twin: jalr, to (x[rs1] + imm) & ~1 as CJALR */
    }
    case K_CLC: {
        uint32_t va = s->x[rs1] + (uint32_t)d->imm;
        if (va & 7) return 0;
        region_t *r = access_ok(s, rs1, va, 8, PERM_LD, WATCH_READ);
        if (!r || !r->host) return 0;
        uint32_t off = va - r->base, ap = s->perms[rs1];
        uint32_t lo, hi;
        __builtin_memcpy(&lo, r->host + off, 4);
        __builtin_memcpy(&hi, r->host + off + 4, 4);
        uint32_t tag = r->tags ? r->tags[off >> 3] : 0;
        if (!(ap & PERM_MC)) tag = 0;
        if (tag && (ap & (PERM_LG | PERM_LM)) != (PERM_LG | PERM_LM)) return 0; /* attenuation */
        if (tag && !(s->perm_table[(hi >> 25) & 0x3F] & PERM_SEALING)) {
            uint32_t b;
            uint64_t t;
            cheriot_decode_bounds(hi, lo, &b, &t);
            if (revoked(s, b & ~7u)) tag = 0; /* the load filter */
        }
        set_reg(uc, s, rd, lo, hi, tag);
        break;
    }
    case K_CSC: {
        unsigned rs2 = d->rs2;
        uint32_t va = s->x[rs1] + (uint32_t)d->imm, ap = s->perms[rs1];
        uint32_t vtag = rs2 ? s->tag[rs2] : 0;
        if (va & 7) return 0;
        if (vtag && !(ap & PERM_MC)) return 0;
        region_t *r = access_ok(s, rs1, va, 8, PERM_SD, WATCH_WRITE);
        if (!r || !r->host) return 0;
        if (vtag && !(ap & PERM_SL) && !(s->perms[rs2] & PERM_GL)) vtag = 0; /* store-local */
        uint32_t off = va - r->base, lo = read_x(uc, s, rs2), hi = rs2 ? s->meta[rs2] : 0;
        __builtin_memcpy(r->host + off, &lo, 4);
        __builtin_memcpy(r->host + off + 4, &hi, 4);
        store_effects(s, r, va, 8);
        if (r->tags) r->tags[off >> 3] = vtag;
        break;
    }
    case K_CGETPERM:
    case K_CGETTYPE:
    case K_CGETBASE:
    case K_CGETLEN:
    case K_CGETTAG:
    case K_CGETTOP:
    case K_CGETHIGH: {
        /* Integer results from any bit pattern, tagged or not (isa.md §5.3). */
        uint32_t a = read_x(uc, s, rs1), meta = rs1 ? s->meta[rs1] : 0, v, b;
        uint64_t t;
        cheriot_decode_bounds(meta, a, &b, &t);
        switch (d->kind) {
        case K_CGETPERM: v = s->perm_table[(meta >> 25) & 0x3F]; break;
        case K_CGETTYPE: v = otype_of(meta); break;
        case K_CGETBASE: v = b; break;
        case K_CGETLEN: {
            uint64_t len = (t - b) & ((1ull << 33) - 1);
            v = len > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)len;
            break;
        }
        case K_CGETTAG: v = rs1 ? s->tag[rs1] : 0; break;
        case K_CGETTOP: v = t > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)t; break;
        default: v = meta; break;
        }
        set_reg(uc, s, rd, v, 0, 0);
        break;
    }
    case K_CCLEARTAG:
        set_reg(uc, s, rd, read_x(uc, s, rs1), rs1 ? s->meta[rs1] : 0, 0);
        break;
    case K_CSUB:
        set_reg(uc, s, rd, read_x(uc, s, rs1) - read_x(uc, s, d->rs2), 0, 0);
        break;
    case K_CSEQX: {
        unsigned rs2 = d->rs2;
        uint32_t t1 = rs1 ? s->tag[rs1] : 0, t2 = rs2 ? s->tag[rs2] : 0;
        uint32_t m1 = rs1 ? s->meta[rs1] : 0, m2 = rs2 ? s->meta[rs2] : 0;
        set_reg(uc, s, rd, t1 == t2 && m1 == m2 && read_x(uc, s, rs1) == read_x(uc, s, rs2),
                0, 0);
        break;
    }
    case K_CTESTSUBSET: {
        unsigned rs2 = d->rs2;
        uint32_t m1 = rs1 ? s->meta[rs1] : 0, m2 = rs2 ? s->meta[rs2] : 0, b1, b2;
        uint32_t t1 = rs1 ? s->tag[rs1] : 0, t2 = rs2 ? s->tag[rs2] : 0;
        uint64_t top1, top2;
        cheriot_decode_bounds(m1, read_x(uc, s, rs1), &b1, &top1);
        cheriot_decode_bounds(m2, read_x(uc, s, rs2), &b2, &top2);
        uint32_t p1 = s->perm_table[(m1 >> 25) & 0x3F], p2 = s->perm_table[(m2 >> 25) & 0x3F];
        set_reg(uc, s, rd, t1 == t2 && b1 <= b2 && top2 <= top1 && (p2 & p1) == p2, 0, 0);
        break;
    }
    case K_CSETHIGH:
        set_reg(uc, s, rd, read_x(uc, s, rs1), read_x(uc, s, d->rs2), 0);
        break;
    case K_CSETBOUNDS:
    case K_CSETBOUNDSIMM:
    case K_CSETBOUNDSEXACT:
    case K_CSETBOUNDSROUNDDOWN: {
        /* isa.md §5.10: the monotonicity check is on the requested range. */
        uint32_t b = read_x(uc, s, rs1), meta = rs1 ? s->meta[rs1] : 0, fields;
        uint32_t l = d->kind == K_CSETBOUNDSIMM ? ((uint32_t)d->imm & 0xFFF) : read_x(uc, s, d->rs2);
        int exact = 1;
        if (d->kind == K_CSETBOUNDSROUNDDOWN)
            fields = cheriot_set_bounds_round_down(b, l);
        else
            fields = cheriot_set_bounds(b, l, &exact);
        uint32_t tag = rs1 && s->tag[rs1] && !s->otype[rs1] && b >= s->base[rs1] &&
                       (uint64_t)b + l <= s->top[rs1];
        if (d->kind == K_CSETBOUNDSEXACT && !exact) tag = 0;
        set_reg(uc, s, rd, b, (meta & ~BOUNDS_FIELDS) | fields, tag);
        break;
    }
    case K_CANDPERM: {
        /* isa.md §5.11: legalised permissions; on a sealed value only clearing GL keeps the tag. */
        uint32_t a = read_x(uc, s, rs1), meta = rs1 ? s->meta[rs1] : 0;
        uint32_t mask = read_x(uc, s, d->rs2) & 0xFFF;
        uint32_t perms = s->perm_table[(meta >> 25) & 0x3F] & mask;
        uint32_t nmeta = (meta & ~(0x3Fu << 25)) | ((uint32_t)s->p_of_perms[perms] << 25);
        uint32_t tag = rs1 && s->tag[rs1] && (!otype_of(meta) || (mask | 1) == 0xFFF);
        set_reg(uc, s, rd, a, nmeta, tag);
        break;
    }
    case K_CSPECIALRW:
        if (!fast_cspecialrw(uc, s, d)) return 0;
        break;
    case K_CSEAL:
    case K_CUNSEAL:
        fast_seal(uc, s, d);
        break;
    case K_CRRL:
        set_reg(uc, s, rd, cheriot_crrl(read_x(uc, s, rs1)), 0, 0);
        break;
    case K_CRAM:
        set_reg(uc, s, rd, cheriot_cram(read_x(uc, s, rs1)), 0, 0);
        break;
    case K_CSRRW:
    case K_CSRRS:
    case K_CSRRC:
    case K_CSRRWI:
    case K_CSRRSI:
    case K_CSRRCI:
        if (!fast_csr(uc, s, d)) return 0;
        break;
    case K_MRET:
        return fast_mret(uc, s); /* a jump: always a PC write */
    default:
        return 0;
    }
    if (!s->hook_executes) jump(uc, s, next); /* skip the encoding Unicorn would reject */
    return 1;
}

/* --- bit manipulation (Zba, Zbb, Zbs, Zbkb, Zbkc, Zbc, Zbkx) ------------------------------
 * Unicorn 2.1.4's RV32 cannot execute these, so every one is computed here (the reference is
 * core/bitmanip.py). They never fault: decode() already made them illegal on a core without
 * the extension. b is x[rs2], or the shift amount of the immediate forms. */

static inline uint32_t rotl32(uint32_t a, uint32_t n) {
    n &= 31;
    return n ? (a << n) | (a >> (32 - n)) : a;
}

static uint64_t clmul64(uint32_t a, uint32_t b) {
    uint64_t p = 0;
    for (int i = 0; i < 32; i++)
        if ((b >> i) & 1) p ^= (uint64_t)a << i;
    return p;
}

static uint32_t brev8(uint32_t a) {
    uint32_t out = 0;
    for (int i = 0; i < 32; i++)
        if ((a >> i) & 1) out |= 1u << ((i & ~7) | (7 - (i & 7)));
    return out;
}

static uint32_t zip32(uint32_t a, int inverse) {
    uint32_t out = 0;
    for (int i = 0; i < 16; i++) {
        if (inverse)
            out |= ((a >> (2 * i)) & 1) << i | ((a >> (2 * i + 1)) & 1) << (i + 16);
        else
            out |= ((a >> i) & 1) << (2 * i) | ((a >> (i + 16)) & 1) << (2 * i + 1);
    }
    return out;
}

static uint32_t xperm(uint32_t a, uint32_t b, unsigned bits) {
    uint32_t mask = (1u << bits) - 1, count = 32 / bits, out = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t index = (b >> (bits * i)) & mask;
        if (index < count) out |= ((a >> (bits * index)) & mask) << (bits * i);
    }
    return out;
}

static uint32_t orc_b(uint32_t a) {
    uint32_t out = 0;
    for (int i = 0; i < 32; i += 8)
        if ((a >> i) & 0xFF) out |= 0xFFu << i;
    return out;
}

static uint32_t bitmanip_result(unsigned kind, uint32_t a, uint32_t b) {
    uint32_t bit = 1u << (b & 31);
    switch (kind) {
    case K_SH1ADD: return (a << 1) + b;
    case K_SH2ADD: return (a << 2) + b;
    case K_SH3ADD: return (a << 3) + b;
    case K_ANDN: return a & ~b;
    case K_ORN: return a | ~b;
    case K_XNOR: return ~(a ^ b);
    case K_CLZ: return a ? (uint32_t)__builtin_clz(a) : 32;
    case K_CTZ: return a ? (uint32_t)__builtin_ctz(a) : 32;
    case K_CPOP: return (uint32_t)__builtin_popcount(a);
    case K_MAX: return (int32_t)a > (int32_t)b ? a : b;
    case K_MAXU: return a > b ? a : b;
    case K_MIN: return (int32_t)a < (int32_t)b ? a : b;
    case K_MINU: return a < b ? a : b;
    case K_SEXT_B: return (uint32_t)(int32_t)(int8_t)(a & 0xFF);
    case K_SEXT_H: return (uint32_t)(int32_t)(int16_t)(a & 0xFFFF);
    case K_ZEXT_H: return a & 0xFFFF;
    case K_ROL: return rotl32(a, b);
    case K_ROR:
    case K_RORI: return rotl32(a, 32 - (b & 31));
    case K_ORC_B: return orc_b(a);
    case K_REV8: return __builtin_bswap32(a);
    case K_BCLR:
    case K_BCLRI: return a & ~bit;
    case K_BEXT:
    case K_BEXTI: return (a >> (b & 31)) & 1;
    case K_BINV:
    case K_BINVI: return a ^ bit;
    case K_BSET:
    case K_BSETI: return a | bit;
    case K_PACK: return (a & 0xFFFF) | (b << 16);
    case K_PACKH: return (a & 0xFF) | ((b & 0xFF) << 8);
    case K_BREV8: return brev8(a);
    case K_ZIP: return zip32(a, 0);
    case K_UNZIP: return zip32(a, 1);
    case K_CLMUL: return (uint32_t)clmul64(a, b);
    case K_CLMULH: return (uint32_t)(clmul64(a, b) >> 32);
    case K_CLMULR: return (uint32_t)(clmul64(a, b) >> 31);
    case K_XPERM4: return xperm(a, b, 4);
    default: return xperm(a, b, 8); /* K_XPERM8 */
    }
}

/* Execute a bit-manipulation instruction: an integer result, so rd's tag is cleared. The
 * decoder gives immediate forms rs2 = 0 and register forms imm = 0. */
static void fast_bitmanip(void *uc, core_t *s, const dinsn_t *d, uint32_t pc, uint32_t size) {
    uint32_t a = read_x(uc, s, d->rs1);
    uint32_t b = d->rs2 ? read_x(uc, s, d->rs2) : (uint32_t)d->imm;
    set_reg(uc, s, d->rd, bitmanip_result(d->kind, a, b), 0, 0);
    if (!s->hook_executes) jump(uc, s, pc + size); /* stock Unicorn would reject it */
}

/* --- the pre-decoder: first executions without Python ---------------------------------------
 * An accelerator of Engine._instr_at (core/decode.py is the specification): for the encodings
 * listed here it fills the decode-cache entry exactly as Python would, so the first execution
 * of an instruction no longer costs a slow-path call. Anything else (illegal encodings, x16-x31,
 * ecall/ebreak/wfi, CSRs outside FAST_CSRS, extensions the core lacks, ...) is left
 * undecoded for Python. tests/core/test_predecode.py compares the two on every 16-bit encoding
 * and on random and structured 32-bit ones. */

static inline uint32_t field(uint32_t w, unsigned hi, unsigned lo, unsigned dest) {
    return ((w >> lo) & ((1u << (hi - lo + 1)) - 1)) << dest;
}

static inline int32_t sext(uint32_t v, unsigned bits) {
    return (int32_t)(v << (32 - bits)) >> (32 - bits);
}

static int put(dinsn_t *o, unsigned kind, unsigned rd, unsigned rs1, unsigned rs2, int32_t imm,
               unsigned width, unsigned length, unsigned flags) {
    o->rd = (uint8_t)rd;
    o->rs1 = (uint8_t)rs1;
    o->rs2 = (uint8_t)rs2;
    o->imm = imm;
    o->width = (uint8_t)width;
    o->length = (uint8_t)length;
    o->flags = (uint8_t)((o->flags & F_BREAKPOINT) | flags);
    o->by_c = 1;
    o->kind = (uint8_t)kind;
    return 1;
}

static inline int fast_csr_number(uint32_t csr) {
    return csr == CSR_MSTATUS || csr == CSR_MIE || csr == CSR_MEPC || csr == CSR_MCAUSE ||
           csr == CSR_MTVAL || csr == CSR_MIP || csr == CSR_MSHWM || csr == CSR_MSHWMB;
}

/* 0x5B, funct3 0, funct7 0x7F: the single-source operation in the rs2 field (0: none). */
static unsigned cap_unary_kind(unsigned sel) {
    switch (sel) {
    case 0x00: return K_CGETPERM;
    case 0x01: return K_CGETTYPE;
    case 0x02: return K_CGETBASE;
    case 0x03: return K_CGETLEN;
    case 0x04: return K_CGETTAG;
    case 0x08: return K_CRRL;
    case 0x09: return K_CRAM;
    case 0x0A: return K_CMOVE;
    case 0x0B: return K_CCLEARTAG;
    case 0x0F: return K_CGETADDR;
    case 0x17: return K_CGETHIGH;
    case 0x18: return K_CGETTOP;
    default: return 0;
    }
}

/* 0x5B, funct3 0: the two-source operation of funct7 (0: none; CSpecialRW is separate). */
static unsigned cap_binary_kind(unsigned f7) {
    switch (f7) {
    case 0x08: return K_CSETBOUNDS;
    case 0x09: return K_CSETBOUNDSEXACT;
    case 0x0A: return K_CSETBOUNDSROUNDDOWN;
    case 0x0B: return K_CSEAL;
    case 0x0C: return K_CUNSEAL;
    case 0x0D: return K_CANDPERM;
    case 0x10: return K_CSETADDR;
    case 0x11: return K_CINCADDR;
    case 0x14: return K_CSUB;
    case 0x16: return K_CSETHIGH;
    case 0x20: return K_CTESTSUBSET;
    case 0x21: return K_CSEQX; /* CSetEqualExact */
    default: return 0;
    }
}

/* The bit-manipulation operation of an OP (0x33) or OP-IMM (0x13) encoding, in the decoder's
 * row order (its exact-rs2 rows first); *unary: rs2 is part of the encoding; 0: none. */
static unsigned bitmanip_kind(unsigned opcode, unsigned f3, unsigned f7, unsigned rs2,
                              int *unary) {
    *unary = 0;
    if (opcode == 0x33) {
        switch (f7 << 3 | f3) {
        case 0x10 << 3 | 2: return K_SH1ADD;
        case 0x10 << 3 | 4: return K_SH2ADD;
        case 0x10 << 3 | 6: return K_SH3ADD;
        case 0x20 << 3 | 7: return K_ANDN;
        case 0x20 << 3 | 6: return K_ORN;
        case 0x20 << 3 | 4: return K_XNOR;
        case 0x05 << 3 | 6: return K_MAX;
        case 0x05 << 3 | 7: return K_MAXU;
        case 0x05 << 3 | 4: return K_MIN;
        case 0x05 << 3 | 5: return K_MINU;
        case 0x30 << 3 | 1: return K_ROL;
        case 0x30 << 3 | 5: return K_ROR;
        case 0x04 << 3 | 4:
            if (rs2 == 0) {
                *unary = 1;
                return K_ZEXT_H;
            }
            return K_PACK;
        case 0x04 << 3 | 7: return K_PACKH;
        case 0x24 << 3 | 1: return K_BCLR;
        case 0x24 << 3 | 5: return K_BEXT;
        case 0x34 << 3 | 1: return K_BINV;
        case 0x14 << 3 | 1: return K_BSET;
        case 0x05 << 3 | 1: return K_CLMUL;
        case 0x05 << 3 | 2: return K_CLMULR;
        case 0x05 << 3 | 3: return K_CLMULH;
        case 0x14 << 3 | 2: return K_XPERM4;
        case 0x14 << 3 | 4: return K_XPERM8;
        default: return 0;
        }
    }
    *unary = 1;
    switch (f7 << 3 | f3) {
    case 0x30 << 3 | 1:
        switch (rs2) {
        case 0: return K_CLZ;
        case 1: return K_CTZ;
        case 2: return K_CPOP;
        case 4: return K_SEXT_B;
        case 5: return K_SEXT_H;
        default: return 0;
        }
    case 0x04 << 3 | 1: return rs2 == 0x0F ? K_ZIP : 0;
    case 0x04 << 3 | 5: return rs2 == 0x0F ? K_UNZIP : 0;
    case 0x14 << 3 | 5: return rs2 == 0x07 ? K_ORC_B : 0;
    case 0x34 << 3 | 5: return rs2 == 0x07 ? K_BREV8 : rs2 == 0x18 ? K_REV8 : 0;
    default: break;
    }
    *unary = 0; /* the shift-immediate forms: rs2 is the shift amount */
    switch (f7 << 3 | f3) {
    case 0x30 << 3 | 5: return K_RORI;
    case 0x24 << 3 | 1: return K_BCLRI;
    case 0x24 << 3 | 5: return K_BEXTI;
    case 0x34 << 3 | 1: return K_BINVI;
    case 0x14 << 3 | 1: return K_BSETI;
    default: return 0;
    }
}

/* A bit-manipulation entry: R forms keep rs2, unary ones have none, the immediate forms carry
 * the shift amount in imm. Not on this core (bitmanip_legal): left to Python (illegal). */
static int predecode_bitmanip(uint64_t legal, unsigned opcode, unsigned f3, unsigned f7,
                              unsigned rd, unsigned rs1, unsigned rs2, dinsn_t *o) {
    int unary;
    unsigned k = bitmanip_kind(opcode, f3, f7, rs2, &unary);
    if (!k || !((legal >> (k - K_BITMANIP)) & 1) || rd >= 16 || rs1 >= 16) return 0;
    if (opcode == 0x13 && !unary) return put(o, k, rd, rs1, 0, (int32_t)rs2, 0, 4, 0);
    if (unary) return put(o, k, rd, rs1, 0, 0, 0, 4, 0);
    if (rs2 >= 16) return 0;
    return put(o, k, rd, rs1, rs2, 0, 0, 4, 0);
}

static int predecode32(uint32_t opts, uint64_t legal, uint32_t w, dinsn_t *o) {
    unsigned opcode = w & 0x7F, f3 = (w >> 12) & 7, f7 = w >> 25;
    unsigned rd = (w >> 7) & 0x1F, rs1 = (w >> 15) & 0x1F, rs2 = (w >> 20) & 0x1F;
    int32_t imm_i = (int32_t)w >> 20;
    int32_t imm_s = sext((f7 << 5) | rd, 12);
    switch (opcode) {
    case 0x37: /* lui */
        if (rd >= 16) return 0;
        return put(o, K_NATIVE_INT, rd, 0, 0, (int32_t)(w & 0xFFFFF000u), 0, 4, 0);
    case 0x17: /* auipcc: the immediate is shifted by 11 */
        if (rd >= 16) return 0;
        return put(o, K_AUIPCC, rd, 0, 0, (int32_t)(w & 0xFFFFF000u) >> 1, 0, 4, 0);
    case 0x7B: /* auicgp: CIncAddrImm of cgp (c3) */
        if (rd >= 16) return 0;
        return put(o, K_CINCADDRIMM, rd, 3, 0, (int32_t)(w & 0xFFFFF000u) >> 1, 0, 4, 0);
    case 0x6F: { /* cjal */
        uint32_t j = field(w, 31, 31, 20) | field(w, 30, 21, 1) | field(w, 20, 20, 11) |
                     field(w, 19, 12, 12);
        if (rd >= 16) return 0;
        return put(o, K_CJAL, rd, 0, 0, sext(j, 21), 0, 4, 0);
    }
    case 0x67: /* cjalr */
        if (f3 || rd >= 16 || rs1 >= 16) return 0;
        return put(o, K_CJALR, rd, rs1, 0, imm_i, 0, 4, 0);
    case 0x63: { /* conditional branches */
        uint32_t b = field(w, 31, 31, 12) | field(w, 30, 25, 5) | field(w, 11, 8, 1) |
                     field(w, 7, 7, 11);
        if (f3 == 2 || f3 == 3 || rs1 >= 16 || rs2 >= 16) return 0;
        return put(o, K_NATIVE_OTHER, 0, rs1, rs2, sext(b, 13), 0, 4, 0);
    }
    case 0x03: { /* lb lh lw clc lbu lhu */
        static const uint8_t width[8] = {1, 2, 4, 8, 1, 2, 0, 0};
        if (f3 >= 6 || rd >= 16 || rs1 >= 16) return 0;
        if (f3 == 3) {
            if (opts & DECODE_NO_FAST_CLC) return 0;
            return put(o, K_CLC, rd, rs1, 0, imm_i, 8, 4, 0);
        }
        return put(o, K_LOAD, rd, rs1, 0, imm_i, width[f3], 4, f3 < 2 ? F_SIGNED : 0);
    }
    case 0x23: /* sb sh sw csc */
        if (f3 >= 4 || rs1 >= 16 || rs2 >= 16) return 0;
        if (f3 == 3) return put(o, K_CSC, 0, rs1, rs2, imm_s, 8, 4, 0);
        return put(o, K_STORE, 0, rs1, rs2, imm_s, 1u << f3, 4, 0);
    case 0x13: /* OP-IMM; the other funct7 of the shifts are bit manipulation */
        if ((f3 == 1 && f7 != 0) || (f3 == 5 && f7 != 0 && f7 != 0x20))
            return predecode_bitmanip(legal, opcode, f3, f7, rd, rs1, rs2, o);
        if (rd >= 16 || rs1 >= 16) return 0;
        return put(o, K_NATIVE_INT, rd, rs1, 0, (f3 == 1 || f3 == 5) ? (int32_t)rs2 : imm_i, 0,
                   4, 0);
    case 0x33: /* OP and M; other funct7 are bit manipulation */
        if (!(f7 == 0 || f7 == 1 || (f7 == 0x20 && (f3 == 0 || f3 == 5))))
            return predecode_bitmanip(legal, opcode, f3, f7, rd, rs1, rs2, o);
        if (rd >= 16 || rs1 >= 16 || rs2 >= 16) return 0;
        return put(o, K_NATIVE_INT, rd, rs1, rs2, 0, 0, 4, 0);
    case 0x0F: /* fence (its fields are ignored), fence.i */
        if (f3 > 1) return 0;
        return put(o, K_NATIVE_OTHER, 0, 0, 0, f3 ? 0 : (int32_t)(w >> 20), 0, 4, 0);
    case 0x73: { /* CSR instructions of FAST_CSRS: imm is the CSR, rs1 the zimm of the I forms */
        uint32_t csr = w >> 20;
        if (w == 0x30200073u) return put(o, K_MRET, 0, 0, 0, 0, 0, 4, 0);
        if (f3 == 0 || f3 == 4 || !fast_csr_number(csr) || rd >= 16) return 0;
        if (f3 < 4) {
            if (rs1 >= 16) return 0;
            return put(o, K_CSRRW + f3 - 1, rd, rs1, 0, (int32_t)csr, 0, 4, 0);
        }
        return put(o, K_CSRRWI + f3 - 5, rd, rs1, 0, (int32_t)csr, 0, 4, 0);
    }
    case 0x5B:
        if (rd >= 16 || rs1 >= 16) return 0;
        if (f3 == 1) return put(o, K_CINCADDRIMM, rd, rs1, 0, imm_i, 0, 4, 0);
        if (f3 == 2) return put(o, K_CSETBOUNDSIMM, rd, rs1, 0, (int32_t)(w >> 20), 0, 4, 0);
        if (f3 != 0) return 0;
        if (f7 == 0x7F) {
            unsigned k = cap_unary_kind(rs2);
            return k ? put(o, k, rd, rs1, 0, 0, 0, 4, 0) : 0;
        }
        if (f7 == 0x01) return put(o, K_CSPECIALRW, rd, rs1, rs2, 0, 0, 4, 0); /* rs2: the SCR */
        {
            unsigned k = cap_binary_kind(f7);
            if (!k || rs2 >= 16) return 0;
            return put(o, k, rd, rs1, rs2, 0, 0, 4, 0);
        }
    default:
        return 0;
    }
}

static int predecode16(uint32_t opts, uint32_t h, dinsn_t *o) {
    unsigned f3 = h >> 13, bit12 = (h >> 12) & 1;
    unsigned rd = (h >> 7) & 0x1F, rs2 = (h >> 2) & 0x1F;
    unsigned rdp = 8 + ((h >> 2) & 7), rs1p = 8 + ((h >> 7) & 7); /* rd'/rs2', rs1' */
    int32_t imm6 = sext(field(h, 12, 12, 5) | field(h, 6, 2, 0), 6);
    if (h == 0) return 0;
    switch (h & 3) {
    case 0: {
        uint32_t word = field(h, 12, 10, 3) | field(h, 6, 6, 2) | field(h, 5, 5, 6);
        uint32_t cap = field(h, 12, 10, 3) | field(h, 6, 5, 6);
        switch (f3) {
        case 0: { /* c.cincaddr4cspn */
            uint32_t imm = field(h, 12, 11, 4) | field(h, 10, 7, 6) | field(h, 6, 6, 2) |
                           field(h, 5, 5, 3);
            return imm ? put(o, K_CINCADDRIMM, rdp, 2, 0, (int32_t)imm, 0, 2, 0) : 0;
        }
        case 2: return put(o, K_LOAD, rdp, rs1p, 0, (int32_t)word, 4, 2, 0); /* c.lw */
        case 3: /* c.clc */
            if (opts & DECODE_NO_FAST_CLC) return 0;
            return put(o, K_CLC, rdp, rs1p, 0, (int32_t)cap, 8, 2, 0);
        case 6: return put(o, K_STORE, 0, rs1p, rdp, (int32_t)word, 4, 2, 0); /* c.sw */
        case 7: return put(o, K_CSC, 0, rs1p, rdp, (int32_t)cap, 8, 2, 0);    /* c.csc */
        default: return 0;
        }
    }
    case 1:
        switch (f3) {
        case 0: /* c.nop, c.addi (a no-op hint with a zero immediate) */
            if (rd == 0) return put(o, K_NATIVE_INT, 0, 0, 0, imm6, 0, 2, 0);
            if (rd >= 16) return 0;
            return put(o, imm6 ? K_NATIVE_INT : K_NATIVE_OTHER, rd, rd, 0, imm6, 0, 2, 0);
        case 1:
        case 5: { /* c.cjal, c.j */
            uint32_t j = field(h, 12, 12, 11) | field(h, 11, 11, 4) | field(h, 10, 9, 8) |
                         field(h, 8, 8, 10) | field(h, 7, 7, 6) | field(h, 6, 6, 7) |
                         field(h, 5, 3, 1) | field(h, 2, 2, 5);
            return put(o, K_CJAL, f3 == 1 ? 1 : 0, 0, 0, sext(j, 12), 0, 2, 0);
        }
        case 2: /* c.li */
            if (rd >= 16) return 0;
            return put(o, K_NATIVE_INT, rd, 0, 0, imm6, 0, 2, 0);
        case 3:
            if (rd == 2) { /* c.cincaddr16csp */
                int32_t imm = sext(field(h, 12, 12, 9) | field(h, 6, 6, 4) | field(h, 5, 5, 6) |
                                   field(h, 4, 3, 7) | field(h, 2, 2, 5), 10);
                return imm ? put(o, K_CINCADDRIMM, 2, 2, 0, imm, 0, 2, 0) : 0;
            } else { /* c.lui */
                int32_t imm = sext(field(h, 12, 12, 17) | field(h, 6, 2, 12), 18);
                if (!imm || rd >= 16) return 0;
                return put(o, K_NATIVE_INT, rd, 0, 0, imm, 0, 2, 0);
            }
        case 6:
        case 7: { /* c.beqz, c.bnez */
            uint32_t b = field(h, 12, 12, 8) | field(h, 11, 10, 3) | field(h, 6, 5, 6) |
                         field(h, 4, 3, 1) | field(h, 2, 2, 5);
            return put(o, K_NATIVE_OTHER, 0, rs1p, 0, sext(b, 9), 0, 2, 0);
        }
        default: { /* 4: arithmetic on rs1' */
            unsigned funct2 = (h >> 10) & 3;
            if (funct2 < 2) { /* c.srli, c.srai (shamt 0: a no-op hint) */
                unsigned shamt = (h >> 2) & 0x1F;
                if (bit12) return 0;
                return put(o, shamt ? K_NATIVE_INT : K_NATIVE_OTHER, rs1p, rs1p, 0,
                           (int32_t)shamt, 0, 2, 0);
            }
            if (funct2 == 2) return put(o, K_NATIVE_INT, rs1p, rs1p, 0, imm6, 0, 2, 0);
            if (bit12) return 0; /* c.subw, c.addw */
            return put(o, K_NATIVE_INT, rs1p, rs1p, rdp, 0, 0, 2, 0); /* sub xor or and */
        }
        }
    case 2:
        switch (f3) {
        case 0: /* c.slli (shamt 0: a no-op hint unless rd is zero) */
            if (bit12 || rd >= 16) return 0;
            return put(o, (rs2 == 0 && rd != 0) ? K_NATIVE_OTHER : K_NATIVE_INT, rd, rd, 0,
                       (int32_t)rs2, 0, 2, 0);
        case 2: /* c.lwsp */
            if (rd == 0 || rd >= 16) return 0;
            return put(o, K_LOAD, rd, 2, 0,
                       (int32_t)(field(h, 12, 12, 5) | field(h, 6, 4, 2) | field(h, 3, 2, 6)),
                       4, 2, 0);
        case 3: /* c.clcsp */
            if (rd == 0 || rd >= 16 || (opts & DECODE_NO_FAST_CLC)) return 0;
            return put(o, K_CLC, rd, 2, 0,
                       (int32_t)(field(h, 12, 12, 5) | field(h, 6, 5, 3) | field(h, 4, 2, 6)),
                       8, 2, 0);
        case 6: /* c.swsp */
            if (rs2 >= 16) return 0;
            return put(o, K_STORE, 0, 2, rs2, (int32_t)(field(h, 12, 9, 2) | field(h, 8, 7, 6)),
                       4, 2, 0);
        case 7: /* c.cscsp */
            if (rs2 >= 16) return 0;
            return put(o, K_CSC, 0, 2, rs2, (int32_t)(field(h, 12, 10, 3) | field(h, 9, 7, 6)),
                       8, 2, 0);
        case 4:
            if (rd >= 16 || rs2 >= 16) return 0;
            if (!bit12 && rs2 == 0) return rd ? put(o, K_CJALR, 0, rd, 0, 0, 0, 2, 0) : 0;
            if (!bit12) return put(o, K_NATIVE_INT, rd, 0, rs2, 0, 0, 2, 0); /* c.mv */
            if (rs2 == 0) return rd ? put(o, K_CJALR, 1, rd, 0, 0, 0, 2, 0) : 0; /* c.ebreak */
            return put(o, K_NATIVE_INT, rd, rd, rs2, 0, 0, 2, 0); /* c.add */
        default:
            return 0;
        }
    default:
        return 0;
    }
}

/* Decode ``word`` (the instruction's first bytes, little-endian) into ``out``; 0 when Python must
 * decode it. Exported for the differential test. */
int cheriot_predecode(uint32_t opts, uint64_t bitmanip_legal, uint32_t word, dinsn_t *out) {
    if ((word & 3) == 3) return predecode32(opts, bitmanip_legal, word, out);
    return predecode16(opts, word & 0xFFFF, out);
}

/* The first execution at pc of region r (RAM with a decode cache): decode it here if we can. */
static int predecode_at(core_t *s, region_t *r, uint32_t pc, dinsn_t *d) {
    uint32_t off = pc - r->base, word = 0;
    if (off + 2 > r->size) return 0;
    __builtin_memcpy(&word, r->host + off, 2);
    if ((word & 3) == 3) {
        if (off + 4 > r->size) return 0;
        __builtin_memcpy(&word, r->host + off, 4);
    }
    return cheriot_predecode(s->decode_opts, s->bitmanip_legal, word, d);
}


/* --- the instruction trace (cheriot_gdbserver/trace.py) -----------------------------------
 * An INSN record {TRACE_INSN | length << 8, pc, instruction bits, 0} for each instruction
 * started, followed by an EFFECT record {TRACE_EFFECT | reg << 8, x, meta, tag} for each
 * general-purpose register it changed. Effects are found at the next instruction boundary
 * (the next hook call, a trap, the end of the run), by comparing with the values saved when
 * the instruction started. */

static void trace_push(core_t *s, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3) {
    if (s->trace_len >= s->trace_cap) {
        s->trace_flush();
        if (s->trace_len >= s->trace_cap) return; /* not drained: lose it rather than overrun */
    }
    uint32_t *r = s->trace_buf + (size_t)s->trace_len * TRACE_WORDS;
    r[0] = w0;
    r[1] = w1;
    r[2] = w2;
    r[3] = w3;
    s->trace_len++;
}

static inline void trace_compare(core_t *s, unsigned r, uint32_t x) {
    uint32_t meta = s->meta[r], tag = s->tag[r];
    if (x != s->trace_x[r] || meta != s->trace_meta[r] || tag != s->trace_tag[r])
        trace_push(s, TRACE_EFFECT | r << 8, x, meta, tag);
}

/* Record the effects of the pending instruction. From the hook Unicorn holds the registers;
 * from Python (in_python) the shadow x[] does (the slow path synced it). */
static void trace_settle(void *uc, core_t *s, int in_python) {
    if (s->trace_pending == 1) {
        unsigned r = s->trace_rd;
        uint32_t x = s->x[r];
        if (r && !in_python) s->reg_read(uc, s->reg_ids[r], &x);
        if (r) trace_compare(s, r, x);
    } else if (s->trace_pending == 2) {
        for (unsigned r = 1; r < 16; r++) {
            uint32_t x = s->x[r];
            if (!in_python) s->reg_read(uc, s->reg_ids[r], &x);
            trace_compare(s, r, x);
        }
    }
    s->trace_pending = 0;
}

static inline uint32_t insn_bits(region_t *r, uint32_t pc, uint32_t size) {
    uint32_t w = 0;
    __builtin_memcpy(&w, r->host + (pc - r->base), size);
    return w;
}

/* A fast-path instruction starts: only its rd can change (every compiled kind writes rd or
 * nothing), so only rd's value before it is kept (trace_before, ahead of any change), and
 * once it is accepted its INSN record follows (trace_fast). */
static inline void trace_before(void *uc, core_t *s, const dinsn_t *d) {
    unsigned rd = d->rd < 16 ? d->rd : 0;
    if (rd) {
        uint32_t x = s->x[rd];
        s->reg_read(uc, s->reg_ids[rd], &x);
        s->trace_x[rd] = x;
        s->trace_meta[rd] = s->meta[rd];
        s->trace_tag[rd] = s->tag[rd];
    }
    s->trace_rd = rd;
}

static inline void trace_fast(core_t *s, region_t *r, uint32_t pc, uint32_t size) {
    trace_push(s, TRACE_INSN | size << 8, pc, insn_bits(r, pc, size), 0);
    s->trace_pending = 1;
}

/* Python's side (the slow path's tracer call, a trap, the end of a run): settle the pending
 * instruction, then (bits != 0 or length != 0) start one the slow path is about to execute,
 * keeping every register. */
void cheriot_trace_slow(core_t *s, uint32_t pc, uint32_t length, uint32_t bits) {
    trace_settle(NULL, s, 1);
    if (!length) return;
    trace_push(s, TRACE_INSN | length << 8, pc, bits, 0);
    for (unsigned r = 1; r < 16; r++) {
        s->trace_x[r] = s->x[r];
        s->trace_meta[r] = s->meta[r];
        s->trace_tag[r] = s->tag[r];
    }
    s->trace_pending = 2;
}

static __attribute__((noinline)) void slow_path(void *uc, core_t *s, uint32_t pc, uint32_t size) {
    if (s->instret >= s->stop_at && !s->attention && !s->reference) {
        /* The budget is spent and no stop request, exit or deliverable interrupt is pending
         * (each sets attention): the slow path's first checks would stop here, before this
         * instruction, touching no state. */
        for (int i = 1; i < 16; i++) s->reg_read(uc, s->reg_ids[i], &s->x[i]);
        s->budget_pc = pc;  /* with x[] just read, the stop's register copy (Engine._finish) */
        s->budget_stop = 1;
        s->n_exit++;
        s->emu_stop(uc);
        return;
    }
    s->n_slow++;
    for (int i = 1; i < 16; i++) s->reg_read(uc, s->reg_ids[i], &s->x[i]);
    s->xdirty = 0;
    int act = s->slow(pc, size);
    uint32_t dirty = s->xdirty;
    for (int i = 1; dirty && i < 16; i++) {
        if (dirty & (1u << i)) s->reg_write(uc, s->reg_ids[i], &s->x[i]);
    }
    s->xdirty = 0;
    if (act & (ACT_JUMP | ACT_STOP)) s->n_exit++;
    if (act & ACT_JUMP) {
        uint32_t npc = s->next_pc;
        s->reg_write(uc, s->pc_reg_id, &npc);
    }
    if (act & ACT_STOP) s->emu_stop(uc);
}

/* The hook is split so that the common instruction costs little (scripts/bench, integer loop):
 * cheriot_code_hook itself only does the checks every instruction needs and completes a plain
 * integer instruction; every other kind continues in hook_dispatch, and a traced run in
 * hook_traced, so neither the trace's bookkeeping nor the other kinds' register pressure (a
 * large stack frame) is paid by an untraced integer instruction. */

/* The checks before any instruction runs natively: no pending attention, an instruction fetch
 * PCC allows (isa.md §7.4: tagged, every parcel inside its bounds), code in a region with a
 * decode cache. The instruction's cache entry, or NULL for the slow path. */
static inline __attribute__((always_inline)) dinsn_t *
fetch_ok(core_t *s, uint32_t pc, uint32_t size, region_t **rp) {
    if (s->attention || s->instret >= s->event_at || s->reference) return NULL;
    if (!s->pcc_tag || pc < s->pcc_base || (uint64_t)pc + size > s->pcc_top) return NULL;
    region_t *r = find_region(s, pc);
    if (!r || !r->dtab) return NULL;
    *rp = r;
    return &r->dtab[(pc - r->base) >> 1];
}

/* Run the instruction whose cache entry is d (pre-decoding it on its first execution) in
 * compiled code, or hand it to the slow path; 1 when it ran here. The caller has done
 * fetch_ok. */
static __attribute__((noinline)) int
hook_dispatch(void *uc, core_t *s, uint32_t pc, uint32_t size, dinsn_t *d) {
    if (d->flags & F_BREAKPOINT) goto slow;
dispatch:
    switch (d->kind) {
    case K_UNDECODED: /* its first execution (the hook found its region) */
        if (!predecode_at(s, find_region(s, pc), pc, d) || d->kind == K_UNDECODED) goto slow;
        goto dispatch;
    case K_NATIVE_INT:
        clear_int(s, d->rd);
        break;
    case K_NATIVE_OTHER:
        break;
    case K_LOAD: {
        uint32_t va = s->x[d->rs1] + (uint32_t)d->imm;
        region_t *dr = access_ok(s, d->rs1, va, d->width, PERM_LD, WATCH_READ);
        if (!dr || (dr->kind == REGION_MMIO && (va & (d->width - 1u)))) goto slow;
        clear_int(s, d->rd);
        break;
    }
    case K_STORE: {
        uint32_t va = s->x[d->rs1] + (uint32_t)d->imm;
        region_t *dr = access_ok(s, d->rs1, va, d->width, PERM_SD, WATCH_WRITE);
        if (!dr) goto slow;
        if (dr->kind == REGION_RAM) store_effects(s, dr, va, d->width);
        else if (va & (d->width - 1u)) goto slow; /* Unicorn might split it: the device sees one */
        break;
    }
    default:
        if (d->kind >= K_BITMANIP) fast_bitmanip(uc, s, d, pc, size);
        else if (d->kind < K_CMOVE || !fast_cap(uc, s, d, pc, size)) goto slow;
    }
    s->instret++;
    s->n_fast++;
    return 1;

slow:
    slow_path(uc, s, pc, size);
    return 0;
}

/* The hook while tracing: the effects of the previous instruction, then, for one run here, the
 * value its rd had before (trace_before reads it from Unicorn, so ahead of any change) and its
 * record. An instruction the slow path runs is recorded by Python (cheriot_trace_slow). */
static __attribute__((noinline)) void hook_traced(void *uc, core_t *s, uint32_t pc, uint32_t size) {
    trace_settle(uc, s, 0);
    region_t *r;
    dinsn_t *d = fetch_ok(s, pc, size, &r);
    if (!d || (d->flags & F_BREAKPOINT) ||
        (d->kind == K_UNDECODED && !predecode_at(s, r, pc, d))) {
        slow_path(uc, s, pc, size);
        return;
    }
    trace_before(uc, s, d);
    if (hook_dispatch(uc, s, pc, size, d)) trace_fast(s, r, pc, size);
}

void cheriot_code_hook(void *uc, uint64_t address, uint32_t size, void *user_data) {
    core_t *s = (core_t *)user_data;
    uint32_t pc = (uint32_t)address;

    if (s->history[(s->hist_pos - 1) & 63] != pc) s->history[s->hist_pos++ & 63] = pc;
    if (s->trace_on) {
        hook_traced(uc, s, pc, size);
        return;
    }
    region_t *r;
    dinsn_t *d = fetch_ok(s, pc, size, &r);
    if (!d) {
        slow_path(uc, s, pc, size);
        return;
    }
    if (d->kind == K_NATIVE_INT && !(d->flags & F_BREAKPOINT)) { /* the common case */
        clear_int(s, d->rd);
        s->instret++;
        s->n_fast++;
        return;
    }
    (void)hook_dispatch(uc, s, pc, size, d);
}
