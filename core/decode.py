"""The instruction decoder: the one place that knows CHERIoT instruction encodings.

``decode(word)`` turns the bytes at PC (a 32-bit little-endian word, of which only the low half
matters for a 16-bit instruction) into an ``Instr``. Compressed forms are expanded to the 32-bit
operation they stand for (isa.md §6), so semantics never sees RVC details; ``name`` keeps the
compressed spelling for disassembly.

Kinds tell the engine how an instruction may run:
- NATIVE_INT: an integer instruction Unicorn executes itself; the engine clears ``rd``'s tag.
- NATIVE_OTHER: executed by Unicorn and writes no register (conditional branches, fence).
- LOAD / STORE: ordinary data accesses, authorised by capability ``rs1``.
- EMULATED: executed by the semantics module (CHERI instructions, jumps, CSRs, traps...).
- ILLEGAL: raises an illegal-instruction exception (includes any use of x16-x31).

Field conventions: ``imm`` is the operand value the instruction uses, already extended and
scaled: the byte offset of branches, jumps and memory accesses; ``sext(imm20) << 12`` for
``lui`` and ``<< 11`` for ``auipcc``/``auicgp``; the shift amount of shifts; the 5-bit ``zimm``
of the immediate CSR forms (whose ``rs1`` is 0). ``auicgp`` has ``rs1`` = 3 (``cgp``, its
implicit source); ``cspecialrw`` keeps the SCR number in ``rs2``.

The compressed hints that the Sail model executes as no-ops (``c.addi rd, 0``, shifts by 0)
decode as NATIVE_OTHER: their integer result equals the old value and the tag must survive.
Bit-manipulation instructions (Zba, Zbb, Zbs, Zbkb, Zbkc, Zbc, Zbkx) are EMULATED, since
Unicorn's RV32 cannot run them; ``decode(word, isa)`` makes one illegal when none of the
extensions defining it is in the core's ``Isa`` (core/isa.py). Their disassembly is binutils'
``-M no-aliases`` spelling (``rori``, ``bseti``; ``zext.h`` for ``pack rd, rs1, zero``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .bitmanip import OPERATIONS as _BITMANIP
from .hart import CAP_REG_NAMES, INT_REG_NAMES, SCR_NAMES
from .isa import ALL, SCR_ZTOPC, Isa

_SCR_SPELLING = {**SCR_NAMES, SCR_ZTOPC: "ztopc"}  # ZTOPC exists on CHERIoT-Ibex only


class Kind(IntEnum):
    UNDECODED = 0  # reserved for the engine's decode cache
    NATIVE_INT = 1
    NATIVE_OTHER = 2
    LOAD = 3
    STORE = 4
    EMULATED = 5
    ILLEGAL = 6


@dataclass(frozen=True, slots=True)
class Instr:
    op: str            # canonical operation (e.g. "lw", "cincaddrimm", "clc", "cjalr", "csrrw")
    kind: Kind
    length: int        # 2 or 4
    raw: int           # the instruction bits (16 or 32)
    name: str = ""     # assembler spelling of the encoded form, e.g. "c.clcsp" (defaults to op)
    rd: int = 0
    rs1: int = 0
    rs2: int = 0       # for cspecialrw: the SCR number
    imm: int = 0       # sign- or zero-extended as the form specifies
    csr: int = -1      # CSR number for Zicsr instructions
    width: int = 0     # access width in bytes for loads/stores (8 for clc/csc)
    signed: bool = False  # sign-extending load
    reason: str = ""   # why an ILLEGAL instruction is illegal


NI, NO, LD, ST, EM = Kind.NATIVE_INT, Kind.NATIVE_OTHER, Kind.LOAD, Kind.STORE, Kind.EMULATED

# Every 32-bit encoding (isa.md §5.1; standard RV32IM/Zicsr for the rest). A row matches on
# opcode, funct3, funct7 (bits 31:25) and the rs2 field (bits 24:20); None matches anything.
# `fmt` names the operand layout and which register fields the instruction uses (_FORMATS);
# `spelling` ("" = op) and `operands` are the CHERIoT toolchain's disassembly (§5.1).
#    op                     opcode f3   f7    rs2   fmt     kind spelling    operands
_TABLE = (
    ("lui",                 0x37, None, None, None, "U",    NI, "",           "xd hi"),
    ("auipcc",              0x17, None, None, None, "U11",  EM, "",           "cd hi"),
    ("auicgp",              0x7B, None, None, None, "U11",  EM, "",           "cd hi"),
    ("cjal",                0x6F, None, None, None, "J",    EM, "",           "cd target"),
    ("cjalr",               0x67, 0,    None, None, "I",    EM, "",           "cd mem"),
    ("beq",                 0x63, 0,    None, None, "B",    NO, "",           "xs1 xs2 target"),
    ("bne",                 0x63, 1,    None, None, "B",    NO, "",           "xs1 xs2 target"),
    ("blt",                 0x63, 4,    None, None, "B",    NO, "",           "xs1 xs2 target"),
    ("bge",                 0x63, 5,    None, None, "B",    NO, "",           "xs1 xs2 target"),
    ("bltu",                0x63, 6,    None, None, "B",    NO, "",           "xs1 xs2 target"),
    ("bgeu",                0x63, 7,    None, None, "B",    NO, "",           "xs1 xs2 target"),
    ("lb",                  0x03, 0,    None, None, "I",    LD, "clb",        "xd mem"),
    ("lh",                  0x03, 1,    None, None, "I",    LD, "clh",        "xd mem"),
    ("lw",                  0x03, 2,    None, None, "I",    LD, "clw",        "xd mem"),
    ("clc",                 0x03, 3,    None, None, "I",    EM, "",           "cd mem"),
    ("lbu",                 0x03, 4,    None, None, "I",    LD, "clbu",       "xd mem"),
    ("lhu",                 0x03, 5,    None, None, "I",    LD, "clhu",       "xd mem"),
    ("sb",                  0x23, 0,    None, None, "S",    ST, "csb",        "xs2 mem"),
    ("sh",                  0x23, 1,    None, None, "S",    ST, "csh",        "xs2 mem"),
    ("sw",                  0x23, 2,    None, None, "S",    ST, "csw",        "xs2 mem"),
    ("csc",                 0x23, 3,    None, None, "S",    EM, "",           "cs2 mem"),
    ("addi",                0x13, 0,    None, None, "I",    NI, "",           "xd xs1 imm"),
    ("slti",                0x13, 2,    None, None, "I",    NI, "",           "xd xs1 imm"),
    ("sltiu",               0x13, 3,    None, None, "I",    NI, "",           "xd xs1 imm"),
    ("xori",                0x13, 4,    None, None, "I",    NI, "",           "xd xs1 imm"),
    ("ori",                 0x13, 6,    None, None, "I",    NI, "",           "xd xs1 imm"),
    ("andi",                0x13, 7,    None, None, "I",    NI, "",           "xd xs1 imm"),
    ("slli",                0x13, 1,    0x00, None, "SH",   NI, "",           "xd xs1 imm"),
    ("srli",                0x13, 5,    0x00, None, "SH",   NI, "",           "xd xs1 imm"),
    ("srai",                0x13, 5,    0x20, None, "SH",   NI, "",           "xd xs1 imm"),
    ("add",                 0x33, 0,    0x00, None, "R",    NI, "",           "xd xs1 xs2"),
    ("sub",                 0x33, 0,    0x20, None, "R",    NI, "",           "xd xs1 xs2"),
    ("sll",                 0x33, 1,    0x00, None, "R",    NI, "",           "xd xs1 xs2"),
    ("slt",                 0x33, 2,    0x00, None, "R",    NI, "",           "xd xs1 xs2"),
    ("sltu",                0x33, 3,    0x00, None, "R",    NI, "",           "xd xs1 xs2"),
    ("xor",                 0x33, 4,    0x00, None, "R",    NI, "",           "xd xs1 xs2"),
    ("srl",                 0x33, 5,    0x00, None, "R",    NI, "",           "xd xs1 xs2"),
    ("sra",                 0x33, 5,    0x20, None, "R",    NI, "",           "xd xs1 xs2"),
    ("or",                  0x33, 6,    0x00, None, "R",    NI, "",           "xd xs1 xs2"),
    ("and",                 0x33, 7,    0x00, None, "R",    NI, "",           "xd xs1 xs2"),
    ("mul",                 0x33, 0,    0x01, None, "R",    NI, "",           "xd xs1 xs2"),
    ("mulh",                0x33, 1,    0x01, None, "R",    NI, "",           "xd xs1 xs2"),
    ("mulhsu",              0x33, 2,    0x01, None, "R",    NI, "",           "xd xs1 xs2"),
    ("mulhu",               0x33, 3,    0x01, None, "R",    NI, "",           "xd xs1 xs2"),
    ("div",                 0x33, 4,    0x01, None, "R",    NI, "",           "xd xs1 xs2"),
    ("divu",                0x33, 5,    0x01, None, "R",    NI, "",           "xd xs1 xs2"),
    ("rem",                 0x33, 6,    0x01, None, "R",    NI, "",           "xd xs1 xs2"),
    ("remu",                0x33, 7,    0x01, None, "R",    NI, "",           "xd xs1 xs2"),
    # Bit manipulation (Zba, Zbb, Zbs, Zbkb, Zbkc, Zbc, Zbkx): emulated, Unicorn's RV32 lacks them;
    # legal only where the board's core has the extension (core/isa.py, bitmanip.OPERATIONS).
    ("sh1add",              0x33, 2,    0x10, None, "R",    EM, "",           "xd xs1 xs2"),
    ("sh2add",              0x33, 4,    0x10, None, "R",    EM, "",           "xd xs1 xs2"),
    ("sh3add",              0x33, 6,    0x10, None, "R",    EM, "",           "xd xs1 xs2"),
    ("andn",                0x33, 7,    0x20, None, "R",    EM, "",           "xd xs1 xs2"),
    ("orn",                 0x33, 6,    0x20, None, "R",    EM, "",           "xd xs1 xs2"),
    ("xnor",                0x33, 4,    0x20, None, "R",    EM, "",           "xd xs1 xs2"),
    ("max",                 0x33, 6,    0x05, None, "R",    EM, "",           "xd xs1 xs2"),
    ("maxu",                0x33, 7,    0x05, None, "R",    EM, "",           "xd xs1 xs2"),
    ("min",                 0x33, 4,    0x05, None, "R",    EM, "",           "xd xs1 xs2"),
    ("minu",                0x33, 5,    0x05, None, "R",    EM, "",           "xd xs1 xs2"),
    ("rol",                 0x33, 1,    0x30, None, "R",    EM, "",           "xd xs1 xs2"),
    ("ror",                 0x33, 5,    0x30, None, "R",    EM, "",           "xd xs1 xs2"),
    ("zext.h",              0x33, 4,    0x04, 0x00, "R1",   EM, "",           "xd xs1"),
    ("pack",                0x33, 4,    0x04, None, "R",    EM, "",           "xd xs1 xs2"),
    ("packh",               0x33, 7,    0x04, None, "R",    EM, "",           "xd xs1 xs2"),
    ("bclr",                0x33, 1,    0x24, None, "R",    EM, "",           "xd xs1 xs2"),
    ("bext",                0x33, 5,    0x24, None, "R",    EM, "",           "xd xs1 xs2"),
    ("binv",                0x33, 1,    0x34, None, "R",    EM, "",           "xd xs1 xs2"),
    ("bset",                0x33, 1,    0x14, None, "R",    EM, "",           "xd xs1 xs2"),
    ("clmul",               0x33, 1,    0x05, None, "R",    EM, "",           "xd xs1 xs2"),
    ("clmulr",              0x33, 2,    0x05, None, "R",    EM, "",           "xd xs1 xs2"),
    ("clmulh",              0x33, 3,    0x05, None, "R",    EM, "",           "xd xs1 xs2"),
    ("xperm4",              0x33, 2,    0x14, None, "R",    EM, "",           "xd xs1 xs2"),
    ("xperm8",              0x33, 4,    0x14, None, "R",    EM, "",           "xd xs1 xs2"),
    ("clz",                 0x13, 1,    0x30, 0x00, "R1",   EM, "",           "xd xs1"),
    ("ctz",                 0x13, 1,    0x30, 0x01, "R1",   EM, "",           "xd xs1"),
    ("cpop",                0x13, 1,    0x30, 0x02, "R1",   EM, "",           "xd xs1"),
    ("sext.b",              0x13, 1,    0x30, 0x04, "R1",   EM, "",           "xd xs1"),
    ("sext.h",              0x13, 1,    0x30, 0x05, "R1",   EM, "",           "xd xs1"),
    ("zip",                 0x13, 1,    0x04, 0x0F, "R1",   EM, "",           "xd xs1"),
    ("unzip",               0x13, 5,    0x04, 0x0F, "R1",   EM, "",           "xd xs1"),
    ("orc.b",               0x13, 5,    0x14, 0x07, "R1",   EM, "",           "xd xs1"),
    ("brev8",               0x13, 5,    0x34, 0x07, "R1",   EM, "",           "xd xs1"),
    ("rev8",                0x13, 5,    0x34, 0x18, "R1",   EM, "",           "xd xs1"),
    ("rori",                0x13, 5,    0x30, None, "SH",   EM, "",           "xd xs1 imm"),
    ("bclri",               0x13, 1,    0x24, None, "SH",   EM, "",           "xd xs1 imm"),
    ("bexti",               0x13, 5,    0x24, None, "SH",   EM, "",           "xd xs1 imm"),
    ("binvi",               0x13, 1,    0x34, None, "SH",   EM, "",           "xd xs1 imm"),
    ("bseti",               0x13, 1,    0x14, None, "SH",   EM, "",           "xd xs1 imm"),
    ("fence",               0x0F, 0,    None, None, "NONE", NO, "",           "fence"),
    ("fence.i",             0x0F, 1,    None, None, "NONE", NO, "",           ""),
    ("ecall",               0x73, 0,    0x00, 0x00, "SYS",  EM, "",           ""),
    ("ebreak",              0x73, 0,    0x00, 0x01, "SYS",  EM, "",           ""),
    ("mret",                0x73, 0,    0x18, 0x02, "SYS",  EM, "",           ""),
    ("wfi",                 0x73, 0,    0x08, 0x05, "SYS",  EM, "",           ""),
    ("csrrw",               0x73, 1,    None, None, "CSR",  EM, "",           "xd csr xs1"),
    ("csrrs",               0x73, 2,    None, None, "CSR",  EM, "",           "xd csr xs1"),
    ("csrrc",               0x73, 3,    None, None, "CSR",  EM, "",           "xd csr xs1"),
    ("csrrwi",              0x73, 5,    None, None, "CSRI", EM, "",           "xd csr imm"),
    ("csrrsi",              0x73, 6,    None, None, "CSRI", EM, "",           "xd csr imm"),
    ("csrrci",              0x73, 7,    None, None, "CSRI", EM, "",           "xd csr imm"),
    # 0x5B, funct3 0, funct7 0x7F: single-source operations selected by the rs2 field.
    ("cgetperm",            0x5B, 0,    0x7F, 0x00, "R1",   EM, "",           "xd cs1"),
    ("cgettype",            0x5B, 0,    0x7F, 0x01, "R1",   EM, "",           "xd cs1"),
    ("cgetbase",            0x5B, 0,    0x7F, 0x02, "R1",   EM, "",           "xd cs1"),
    ("cgetlen",             0x5B, 0,    0x7F, 0x03, "R1",   EM, "",           "xd cs1"),
    ("cgettag",             0x5B, 0,    0x7F, 0x04, "R1",   EM, "",           "xd cs1"),
    ("crrl",                0x5B, 0,    0x7F, 0x08, "R1",   EM, "",           "xd xs1"),
    ("cram",                0x5B, 0,    0x7F, 0x09, "R1",   EM, "",           "xd xs1"),
    ("cmove",               0x5B, 0,    0x7F, 0x0A, "R1",   EM, "",           "cd cs1"),
    ("ccleartag",           0x5B, 0,    0x7F, 0x0B, "R1",   EM, "",           "cd cs1"),
    ("cgetaddr",            0x5B, 0,    0x7F, 0x0F, "R1",   EM, "",           "xd cs1"),
    ("cgethigh",            0x5B, 0,    0x7F, 0x17, "R1",   EM, "",           "xd cs1"),
    ("cgettop",             0x5B, 0,    0x7F, 0x18, "R1",   EM, "",           "xd cs1"),
    # 0x5B, funct3 0, other funct7: two-source operations.
    ("cspecialrw",          0x5B, 0,    0x01, None, "SCR",  EM, "",           "cd scr cs1"),
    ("csetbounds",          0x5B, 0,    0x08, None, "R",    EM, "",           "cd cs1 xs2"),
    ("csetboundsexact",     0x5B, 0,    0x09, None, "R",    EM, "",           "cd cs1 xs2"),
    ("csetboundsrounddown", 0x5B, 0,    0x0A, None, "R",    EM, "",           "cd cs1 xs2"),
    ("cseal",               0x5B, 0,    0x0B, None, "R",    EM, "",           "cd cs1 cs2"),
    ("cunseal",             0x5B, 0,    0x0C, None, "R",    EM, "",           "cd cs1 cs2"),
    ("candperm",            0x5B, 0,    0x0D, None, "R",    EM, "",           "cd cs1 xs2"),
    ("csetaddr",            0x5B, 0,    0x10, None, "R",    EM, "",           "cd cs1 xs2"),
    ("cincaddr",            0x5B, 0,    0x11, None, "R",    EM, "cincoffset", "cd cs1 xs2"),
    ("csub",                0x5B, 0,    0x14, None, "R",    EM, "",           "xd cs1 cs2"),
    ("csethigh",            0x5B, 0,    0x16, None, "R",    EM, "",           "cd cs1 xs2"),
    ("ctestsubset",         0x5B, 0,    0x20, None, "R",    EM, "",           "xd cs1 cs2"),
    ("csetequalexact",      0x5B, 0,    0x21, None, "R",    EM, "",           "xd cs1 cs2"),
    ("cincaddrimm",         0x5B, 1,    None, None, "I",    EM, "cincoffset", "cd cs1 imm"),
    ("csetboundsimm",       0x5B, 2,    None, None, "IZ",   EM, "csetbounds", "cd cs1 imm"),
)

# Register fields each layout uses; only those are checked for x16-x31 (isa.md §1.1).
_FORMATS: dict[str, tuple[str, ...]] = {
    "R": ("rd", "rs1", "rs2"), "R1": ("rd", "rs1"), "SCR": ("rd", "rs1"), "I": ("rd", "rs1"),
    "IZ": ("rd", "rs1"), "SH": ("rd", "rs1"), "S": ("rs1", "rs2"), "B": ("rs1", "rs2"),
    "U": ("rd",), "U11": ("rd",), "J": ("rd",), "CSR": ("rd", "rs1"), "CSRI": ("rd",),
    "SYS": (), "NONE": (),
}

_ROWS = {(r[1], r[2], r[3], r[4]): r for r in _TABLE}
_KIND = {r[0]: r[6] for r in _TABLE}
_SYNTAX = {r[0]: (r[7] or r[0], r[8].split()) for r in _TABLE}
_ACCESS = {"lb": (1, True), "lh": (2, True), "lw": (4, False), "lbu": (1, False),
           "lhu": (2, False), "sb": (1, False), "sh": (2, False), "sw": (4, False),
           "clc": (8, False), "csc": (8, False)}

# Major opcodes that exist in RISC-V but not on CHERIoT, for a helpful `reason`.
_FOREIGN_OPCODES = {
    0x07: "floating-point load (F/D are not part of CHERIoT)",
    0x27: "floating-point store (F/D are not part of CHERIoT)",
    **dict.fromkeys((0x43, 0x47, 0x4B, 0x4F), "floating-point fused multiply-add (F/D)"),
    0x53: "floating-point operation (F/D)",
    0x2F: "atomic memory operation (the A extension is not implemented, isa.md §1.1)",
    0x1B: "RV64-only OP-IMM-32", 0x3B: "RV64-only OP-32",
}


def _sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (2 * sign - 1)) - ((value & sign) << 1)


def _scatter(bits: int, segments: tuple[tuple[int, int, int], ...]) -> int:
    """Gather an immediate: each (hi, lo, dest) moves instruction bits hi..lo to dest upwards."""
    value = 0
    for hi, lo, dest in segments:
        value |= ((bits >> lo) & ((1 << (hi - lo + 1)) - 1)) << dest
    return value


def _illegal(raw: int, length: int, reason: str) -> Instr:
    return Instr("illegal", Kind.ILLEGAL, length, raw, name="illegal", reason=reason)


def _make(op: str, raw: int, length: int, name: str, used: tuple[int, ...] = (),
          kind: Kind | None = None, **fields: int) -> Instr:
    """Build an Instr for `op`; `used` lists the register numbers it reads or writes."""
    for reg in used:
        if reg >= 16:
            return _illegal(raw, length, f"{name} names x{reg}, which RV32E does not have "
                                         "(isa.md §1.1)")
    width, signed = _ACCESS.get(op, (0, False))
    return Instr(op, _KIND[op] if kind is None else kind, length, raw, name=name,
                 width=width, signed=signed, rd=fields.get("rd", 0), rs1=fields.get("rs1", 0),
                 rs2=fields.get("rs2", 0), imm=fields.get("imm", 0), csr=fields.get("csr", -1))


# --- 32-bit instructions ----------------------------------------------------------------------

_B_IMM = ((31, 31, 12), (30, 25, 5), (11, 8, 1), (7, 7, 11))
_J_IMM = ((31, 31, 20), (30, 21, 1), (20, 20, 11), (19, 12, 12))


def _decode32(w: int) -> Instr:
    opcode, f3, f7, rs2 = w & 0x7F, (w >> 12) & 7, w >> 25, (w >> 20) & 0x1F
    row = (_ROWS.get((opcode, f3, f7, rs2)) or _ROWS.get((opcode, f3, f7, None))
           or _ROWS.get((opcode, f3, None, None)) or _ROWS.get((opcode, None, None, None)))
    if row is None:
        what = _FOREIGN_OPCODES.get(opcode)
        if what is None:
            what = (f"unknown encoding (opcode {opcode:#04x}, funct3 {f3}, funct7 {f7:#04x}, "
                    f"rs2 field {rs2})")
        return _illegal(w, 4, what)
    op, fmt = row[0], row[5]
    rd, rs1 = (w >> 7) & 0x1F, (w >> 15) & 0x1F
    fields = {"rd": rd, "rs1": rs1, "rs2": rs2}
    used = tuple(fields[f] for f in _FORMATS[fmt])
    imm = 0
    if fmt == "I":
        imm = _sext(w >> 20, 12)
    elif fmt == "IZ":
        imm = w >> 20
    elif fmt == "SH":
        imm = rs2
    elif fmt == "S":
        imm = _sext((f7 << 5) | rd, 12)
    elif fmt == "B":
        imm = _sext(_scatter(w, _B_IMM), 13)
    elif fmt == "U":
        imm = _sext(w >> 12, 20) << 12
    elif fmt == "U11":
        imm = _sext(w >> 12, 20) << 11
    elif fmt == "J":
        imm = _sext(_scatter(w, _J_IMM), 21)
    elif fmt == "SYS" and (rd or rs1):
        return _illegal(w, 4, f"{op} with non-zero rd/rs1 fields is reserved")
    if fmt == "CSR":
        return _make(op, w, 4, op, used, rd=rd, rs1=rs1, csr=w >> 20)
    if fmt == "CSRI":
        return _make(op, w, 4, op, used, rd=rd, imm=rs1, csr=w >> 20)
    if fmt == "NONE":  # fence fields are ignored (Sail decodes reserved fences as no-ops)
        return _make(op, w, 4, op, imm=w >> 20 if op == "fence" else 0)
    if op == "auicgp":
        rs1 = 3  # its implicit source, cgp (isa.md §5.9)
    elif "rs1" not in _FORMATS[fmt]:
        rs1 = 0
    return _make(op, w, 4, op, used, rd=rd if "rd" in _FORMATS[fmt] else 0, rs1=rs1,
                 rs2=rs2 if fmt in ("R", "S", "B", "SCR") else 0, imm=imm)


# --- 16-bit instructions (isa.md §6) ----------------------------------------------------------

# Immediate layouts: (instruction bits hi..lo -> immediate bit) segments.
_CIW_CINCADDR4CSPN = ((12, 11, 4), (10, 7, 6), (6, 6, 2), (5, 5, 3))
_CL_WORD = ((12, 10, 3), (6, 6, 2), (5, 5, 6))
_CL_CAP = ((12, 10, 3), (6, 5, 6))
Layout = tuple[tuple[int, int, int], ...]  # (high bit, low bit, destination bit) runs
_CI_LWSP: Layout = ((12, 12, 5), (6, 4, 2), (3, 2, 6))
_CI_CLCSP: Layout = ((12, 12, 5), (6, 5, 3), (4, 2, 6))
_CSS_SWSP: Layout = ((12, 9, 2), (8, 7, 6))
_CSS_CSCSP: Layout = ((12, 10, 3), (9, 7, 6))
_CI_CINCADDR16CSP = ((12, 12, 9), (6, 6, 4), (5, 5, 6), (4, 3, 7), (2, 2, 5))
_CI_IMM6 = ((12, 12, 5), (6, 2, 0))
_CI_LUI = ((12, 12, 17), (6, 2, 12))
_CJ = ((12, 12, 11), (11, 11, 4), (10, 9, 8), (8, 8, 10), (7, 7, 6), (6, 6, 7), (5, 3, 1),
       (2, 2, 5))
_CB = ((12, 12, 8), (11, 10, 3), (6, 5, 6), (4, 3, 1), (2, 2, 5))


def _quadrant0(h: int, f3: int) -> Instr:
    rd_, rs1_ = 8 + ((h >> 2) & 7), 8 + ((h >> 7) & 7)  # rd'/rs2' and rs1' (x8-x15)
    if f3 == 0:
        imm = _scatter(h, _CIW_CINCADDR4CSPN)
        if imm == 0:
            return _illegal(h, 2, "c.cincaddr4cspn with a zero immediate is reserved")
        return _make("cincaddrimm", h, 2, "c.cincaddr4cspn", rd=rd_, rs1=2, imm=imm)
    if f3 == 2:
        return _make("lw", h, 2, "c.lw", rd=rd_, rs1=rs1_, imm=_scatter(h, _CL_WORD))
    if f3 == 3:
        return _make("clc", h, 2, "c.clc", rd=rd_, rs1=rs1_, imm=_scatter(h, _CL_CAP))
    if f3 == 6:
        return _make("sw", h, 2, "c.sw", rs1=rs1_, rs2=rd_, imm=_scatter(h, _CL_WORD))
    if f3 == 7:
        return _make("csc", h, 2, "c.csc", rs1=rs1_, rs2=rd_, imm=_scatter(h, _CL_CAP))
    slot = {1: "C.FLD slot", 4: "reserved slot", 5: "C.FSD slot"}[f3]
    return _illegal(h, 2, f"compressed quadrant 0 funct3 {f3:03b} ({slot}) is illegal on CHERIoT")


def _quadrant1(h: int, f3: int) -> Instr:
    rd = (h >> 7) & 0x1F
    imm6 = _sext(_scatter(h, _CI_IMM6), 6)
    if f3 == 0:
        if rd == 0:
            return _make("addi", h, 2, "c.nop", imm=imm6)
        kind = NO if imm6 == 0 else None  # C_ADDI_HINT: a no-op in Sail
        return _make("addi", h, 2, "c.addi", (rd,), kind, rd=rd, rs1=rd, imm=imm6)
    if f3 == 1:
        return _make("cjal", h, 2, "c.cjal", rd=1, imm=_sext(_scatter(h, _CJ), 12))
    if f3 == 2:
        return _make("addi", h, 2, "c.li", (rd,), rd=rd, imm=imm6)
    if f3 == 3:
        if rd == 2:
            imm = _sext(_scatter(h, _CI_CINCADDR16CSP), 10)
            if imm == 0:
                return _illegal(h, 2, "c.cincaddr16csp with a zero immediate is reserved")
            return _make("cincaddrimm", h, 2, "c.cincaddr16csp", rd=2, rs1=2, imm=imm)
        imm = _sext(_scatter(h, _CI_LUI), 18)
        if imm == 0:
            return _illegal(h, 2, "c.lui with a zero immediate is reserved")
        return _make("lui", h, 2, "c.lui", (rd,), rd=rd, imm=imm)
    if f3 == 5:
        return _make("cjal", h, 2, "c.j", imm=_sext(_scatter(h, _CJ), 12))
    if f3 in (6, 7):
        op, name = ("beq", "c.beqz") if f3 == 6 else ("bne", "c.bnez")
        return _make(op, h, 2, name, rs1=8 + ((h >> 7) & 7), imm=_sext(_scatter(h, _CB), 9))
    # f3 == 4: arithmetic on rd' (x8-x15)
    rd_, funct2 = 8 + ((h >> 7) & 7), (h >> 10) & 3
    if funct2 in (0, 1):
        op = ("srli", "srai")[funct2]
        if h & 0x1000:
            return _illegal(h, 2, f"c.{op} with shamt[5] set is reserved on RV32")
        shamt = (h >> 2) & 0x1F
        return _make(op, h, 2, "c." + op, (), NO if shamt == 0 else None,
                     rd=rd_, rs1=rd_, imm=shamt)
    if funct2 == 2:
        return _make("andi", h, 2, "c.andi", rd=rd_, rs1=rd_, imm=imm6)
    if h & 0x1000:
        return _illegal(h, 2, "c.subw/c.addw are RV64-only")
    op = ("sub", "xor", "or", "and")[(h >> 5) & 3]
    return _make(op, h, 2, "c." + op, rd=rd_, rs1=rd_, rs2=8 + ((h >> 2) & 7))


def _quadrant2(h: int, f3: int) -> Instr:
    rd, rs2, bit12 = (h >> 7) & 0x1F, (h >> 2) & 0x1F, (h >> 12) & 1
    if f3 == 0:
        if bit12:
            return _illegal(h, 2, "c.slli with shamt[5] set is reserved on RV32")
        kind = NO if rs2 == 0 and rd != 0 else None  # C_SLLI_HINT: a no-op in Sail
        return _make("slli", h, 2, "c.slli", (rd,), kind, rd=rd, rs1=rd, imm=rs2)
    if f3 in (2, 3):
        op, name, layout = ("lw", "c.lwsp", _CI_LWSP) if f3 == 2 else ("clc", "c.clcsp", _CI_CLCSP)
        if rd == 0:
            return _illegal(h, 2, f"{name} with rd = 0 is reserved")
        return _make(op, h, 2, name, (rd,), rd=rd, rs1=2, imm=_scatter(h, layout))
    if f3 in (6, 7):
        op, name, layout = (("sw", "c.swsp", _CSS_SWSP) if f3 == 6
                            else ("csc", "c.cscsp", _CSS_CSCSP))
        return _make(op, h, 2, name, (rs2,), rs1=2, rs2=rs2, imm=_scatter(h, layout))
    if f3 == 4:
        if not bit12 and rs2 == 0:
            if rd == 0:
                return _illegal(h, 2, "c.jr with rs1 = 0 is reserved")
            return _make("cjalr", h, 2, "c.cjr", (rd,), rs1=rd)
        if not bit12:
            return _make("add", h, 2, "c.mv", (rd, rs2), rd=rd, rs2=rs2)
        if rd == 0 and rs2 == 0:
            return _make("ebreak", h, 2, "c.ebreak")
        if rs2 == 0:
            return _make("cjalr", h, 2, "c.cjalr", (rd,), rd=1, rs1=rd)
        return _make("add", h, 2, "c.add", (rd, rs2), rd=rd, rs1=rd, rs2=rs2)
    slot = {1: "C.FLDSP", 5: "C.FSDSP"}[f3]
    return _illegal(h, 2, f"compressed quadrant 2 funct3 {f3:03b} ({slot} slot) is illegal "
                          "on CHERIoT")


_QUADRANTS = (_quadrant0, _quadrant1, _quadrant2)


def decode(word: int, isa: Isa = ALL) -> Instr:
    """Decode the instruction whose first bytes (little-endian) are ``word``.

    ``isa`` is the core's optional-extension set: an instruction of an extension it lacks is
    illegal. The default has every extension (for disassembling code of any core).
    """
    if word & 3 == 3:
        instr = _decode32(word & 0xFFFFFFFF)
        extensions = _BITMANIP[instr.op][1] if instr.op in _BITMANIP else ()
        if extensions and not any(isa.has(e) for e in extensions):
            names = " or ".join(e.capitalize() for e in extensions)
            return _illegal(instr.raw, 4, f"{instr.op} needs {names}, which this core "
                                          f"({isa.describe()}) does not have")
        return instr
    h = word & 0xFFFF
    if h == 0:
        return _illegal(0, 2, "the all-zero halfword is defined to be illegal")
    return _QUADRANTS[h & 3](h, h >> 13)


# --- Disassembly (CHERIoT toolchain spellings, isa.md §5.1) ------------------------------------

def _hex_imm20(instr: Instr) -> str:
    shift = 11 if instr.op in ("auipcc", "auicgp") else 12
    return f"{(instr.imm >> shift) & 0xFFFFF:#x}"


def _target(instr: Instr, pc: int | None) -> str:
    if pc is None:
        return f".{instr.imm:+d}"
    return f"{(pc + instr.imm) & 0xFFFFFFFF:#x}"


def _csr_name(number: int) -> str:
    from .csr import CSRS  # imported here: csr.py is semantics-side and may import this module

    csr = CSRS.get(number)
    return csr.name if csr is not None else f"{number:#x}"


def _fence_set(bits: int) -> str:
    return "".join(c for c, b in zip("iorw", (8, 4, 2, 1), strict=True) if bits & b) or "0"


def _alias(i: Instr, pc: int | None) -> str | None:
    """The toolchain's shorthand spellings (isa.md §5.1) and the common RISC-V aliases."""
    c, x = CAP_REG_NAMES, INT_REG_NAMES
    op = i.op
    if op == "cjal" and i.rd in (0, 1):
        return f"{'j' if i.rd == 0 else 'cjal'} {_target(i, pc)}"
    if op == "cjalr" and i.imm == 0:
        if i.rd == 0:
            return "cret" if i.rs1 == 1 else f"cjr {c[i.rs1]}"
        if i.rd == 1:
            return f"cjalr {c[i.rs1]}"
    if op == "cspecialrw":
        scr = _SCR_SPELLING.get(i.rs2, str(i.rs2))
        if i.rs1 == 0:
            return f"cspecialr {c[i.rd]}, {scr}"
        if i.rd == 0:
            return f"cspecialw {scr}, {c[i.rs1]}"
    if op == "addi":
        if i.rd == 0 and i.rs1 == 0 and i.imm == 0:
            return "nop"
        if i.rs1 == 0:
            return f"li {x[i.rd]}, {i.imm}"
        if i.imm == 0:
            return f"mv {x[i.rd]}, {x[i.rs1]}"
    if op == "fence" and i.imm == 0x833:
        return "fence.tso"
    if op == "add" and i.rs1 == 0:
        return f"mv {x[i.rd]}, {x[i.rs2]}"
    if op in ("beq", "bne") and i.rs2 == 0:
        return f"{op}z {x[i.rs1]}, {_target(i, pc)}"
    if op.startswith("csrr"):
        csr = _csr_name(i.csr)
        if op == "csrrs" and i.rs1 == 0:
            return f"csrr {x[i.rd]}, {csr}"
        if i.rd == 0:
            source = str(i.imm) if op.endswith("i") else x[i.rs1]
            return f"csr{op[4:]} {csr}, {source}"
    return None


def disassemble(instr: Instr, pc: int | None = None) -> str:
    """CHERIoT assembler spelling of ``instr`` (isa.md §5.1 toolchain spellings).

    Compressed instructions print as their 32-bit expansion, as the toolchain does. Branch and
    jump targets are absolute when ``pc`` is given and ``.+offset`` otherwise. Illegal
    encodings print as ``.4byte``/``.2byte`` data.
    """
    if instr.kind is Kind.ILLEGAL:
        return f".{instr.length}byte {instr.raw:#0{2 + 2 * instr.length}x}"
    alias = _alias(instr, pc)
    if alias is not None:
        return alias
    spelling, operands = _SYNTAX[instr.op]
    if not operands:
        return spelling
    return f"{spelling} {', '.join(_operand(instr, token, pc) for token in operands)}"


def _operand(i: Instr, token: str, pc: int | None) -> str:
    """One operand of the table's `operands` column, e.g. "cs1" = rs1 as a capability name."""
    c, x = CAP_REG_NAMES, INT_REG_NAMES
    if token in ("xd", "cd", "xs1", "cs1", "xs2", "cs2"):
        names = c if token[0] == "c" else x
        return names[{"d": i.rd, "1": i.rs1, "2": i.rs2}[token[-1]]]
    if token == "mem":
        return f"{i.imm}({c[i.rs1]})"
    if token == "imm":
        return str(i.imm)
    if token == "target":
        return _target(i, pc)
    if token == "hi":
        return _hex_imm20(i)
    if token == "csr":
        return _csr_name(i.csr)
    if token == "scr":
        return _SCR_SPELLING.get(i.rs2, str(i.rs2))
    # "fence": the predecessor and successor sets
    return f"{_fence_set((i.imm >> 4) & 0xF)}, {_fence_set(i.imm & 0xF)}"
