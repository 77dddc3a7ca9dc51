"""The shadow state shared by Python and the compiled fast path (``fastpath.c``).

This ctypes layout mirrors ``core_t`` in ``fastpath.c`` field for field; change both together
(``fastpath.check_abi`` compares every field offset and shared constant with the C side at
load, and ``tests/core/test_fastpath_layout.py`` tests that comparison).

The capability register file is held as (address, metadata word, tag) plus a cache of decoded
bounds and permissions that is valid whenever the tag is set, so the fast path can authorise
loads and stores without decoding anything.
"""

from __future__ import annotations

import ctypes

from .bitmanip import OPERATIONS as BITMANIP_OPERATIONS

MAX_REGIONS = 8  # RAM and ROM regions of a board (boards/board.py enforces it)
REGION_SLOTS = 16  # regions the fast path sees: the RAM ones, then device windows
MAX_WATCH = 8

# Decoded-instruction cache entry flags.
F_BREAKPOINT = 0x01
F_SIGNED = 0x02

# Capability instructions the fast path executes itself in the common case (fastpath.c K_*);
# every other case, and every fault, goes to the reference semantics.
FAST_KINDS = {
    "cmove": 16, "cincaddrimm": 17, "cincaddr": 18, "csetaddr": 19, "auipcc": 20,
    "cjal": 21, "cjalr": 22, "clc": 23, "csc": 24, "cgetaddr": 25,
    "cgetperm": 26, "cgettype": 27, "cgetbase": 28, "cgetlen": 29, "cgettag": 30, "cgettop": 31,
    "cgethigh": 32, "ccleartag": 33, "csub": 34, "cseqx": 35, "csetequalexact": 35,
    "ctestsubset": 36, "csethigh": 37, "csetbounds": 38, "csetboundsimm": 39,
    "csetboundsexact": 40, "csetboundsrounddown": 41, "candperm": 42,
    # System-level instructions (numbered from 64 in fastpath.c).
    "cspecialrw": 64, "cseal": 65, "cunseal": 66, "crrl": 67, "cram": 68,
    "csrrw": 69, "csrrs": 70, "csrrc": 71, "csrrwi": 72, "csrrsi": 73, "csrrci": 74,
    "mret": 75,
    # AUICGP is CIncAddrImm of cgp: the decoder gives it rs1 = 3 and the shifted immediate.
    "auicgp": 17,
}
# Operations sharing another's compiled kind (fastpath.c has one K_ name for both).
KIND_ALIASES = frozenset({"csetequalexact", "auicgp"})
CSR_OPS = frozenset({"csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci"})
# The CSRs the fast path accesses itself (fastpath.c fast_csr): mstatus, mie, mepc (read),
# mcause, mtval, mip, mshwm, mshwmb. Every other CSR instruction stays with the reference.
FAST_CSRS = frozenset({0x300, 0x304, 0x341, 0x342, 0x343, 0x344, 0xBC1, 0xBC2})

# What fastpath.c's pre-decoder may decode (core.decode_opts).
DECODE_NO_FAST_CLC = 1  # CLC keeps the reference kind (the revocation bitmap is not plain RAM)

# Watchpoint modes (a watch range applies to reads, writes or both).
WATCH_READ = 1
WATCH_WRITE = 2

# Bit-manipulation instructions, all computed in C (fastpath.c bitmanip_result), one kind each
# in bitmanip.OPERATIONS order from BITMANIP_FIRST.
BITMANIP_FIRST = 96  # above the system kinds (64...)
FAST_KINDS.update({op: BITMANIP_FIRST + i for i, op in enumerate(BITMANIP_OPERATIONS)})

# Region kinds.
REGION_RAM = 1
REGION_MMIO = 2

# Actions the Python slow path returns to the fast path.
ACT_NATIVE = 0   # let Unicorn execute the instruction (Python did its shadow bookkeeping)
ACT_JUMP = 1     # skip the instruction: continue at ``next_pc``
ACT_STOP = 2     # stop emulation (with ACT_JUMP: after moving to ``next_pc``)

U8, U32, I32, U64 = ctypes.c_uint8, ctypes.c_uint32, ctypes.c_int32, ctypes.c_uint64

SLOW_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint32, ctypes.c_uint32)
TRACE_FLUSH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int)

# Instruction-trace records (fastpath.c): TRACE_WORDS words each, the first word's low byte
# the kind (INSN: length, pc, bits; EFFECT: register, x, meta, tag) and its next byte the
# length or register number.
TRACE_WORDS = 4
TRACE_INSN = 1
TRACE_EFFECT = 2


class DecodedInsn(ctypes.Structure):
    """One decode-cache entry per halfword of executable memory (kind 0: not decoded)."""

    _fields_ = [
        ("kind", U8), ("rd", U8), ("rs1", U8), ("rs2", U8),
        ("width", U8), ("flags", U8), ("length", U8),
        ("by_c", U8),  # filled by fastpath.c's pre-decoder: Python has no Instr for it yet
        ("imm", I32),
    ]


class Region(ctypes.Structure):
    _fields_ = [
        ("base", U32), ("size", U32),
        ("host", ctypes.c_void_p),   # RAM bytes; NULL for MMIO
        ("tags", ctypes.c_void_p),   # one byte per 8-byte granule; NULL when untagged
        ("dtab", ctypes.c_void_p),   # DecodedInsn per halfword; NULL when not executable
        ("kind", U32), ("pad", U32),
    ]


class CoreState(ctypes.Structure):
    _fields_ = [
        ("x", U32 * 16), ("meta", U32 * 16), ("tag", U32 * 16),
        ("base", U32 * 16), ("top", U64 * 16), ("perms", U32 * 16), ("otype", U32 * 16),
        ("pcc_tag", U32), ("pcc_meta", U32), ("pcc_base", U32), ("pcc_perms", U32),
        ("pcc_top", U64),
        ("mstatus", U32), ("mshwm", U32), ("mshwmb", U32), ("xdirty", U32),
        ("instret", U64), ("event_at", U64),
        ("attention", U32), ("reference", U32), ("nregions", U32), ("nwatch", U32),
        ("regions", Region * REGION_SLOTS),
        ("watch_lo", U32 * MAX_WATCH), ("watch_hi", U32 * MAX_WATCH),
        ("watch_mode", U32 * MAX_WATCH),
        ("next_pc", U32), ("pad2", U32),
        ("slow", SLOW_CALLBACK),
        ("reg_read", ctypes.c_void_p), ("reg_write", ctypes.c_void_p),
        ("emu_stop", ctypes.c_void_p),
        ("reg_ids", I32 * 16), ("pc_reg_id", I32), ("pad3", I32),
        ("n_slow", U64), ("n_fast", U64),
        ("perm_table", U32 * 64),
        ("rev_base", U32), ("rev_size", U32),
        ("rev_shadow", ctypes.c_void_p),
        ("history", U32 * 64), ("hist_pos", U32), ("pad4", U32),
        ("p_of_perms", U8 * 4096),
        ("n_exit", U64),
        ("scr_x", U32 * 4), ("scr_meta", U32 * 4), ("scr_tag", U32 * 4),
        ("mie", U32), ("mip", U32), ("mcause", U32), ("mtval", U32),
        ("hook_executes", U32), ("decode_opts", U32), ("pad5", U32),
        ("bitmanip_legal", U64),
        ("trace_buf", ctypes.c_void_p), ("trace_cap", U32), ("trace_len", U32),
        ("trace_flush", TRACE_FLUSH_CALLBACK),
        ("trace_on", U32), ("trace_pending", U32), ("trace_rd", U32), ("pad6", U32),
        ("trace_x", U32 * 16), ("trace_meta", U32 * 16), ("trace_tag", U32 * 16),
        ("stop_at", U64), ("budget_stop", U32), ("budget_pc", U32),
    ]
