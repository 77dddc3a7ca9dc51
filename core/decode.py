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
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


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


def decode(word: int) -> Instr:
    """Decode the instruction whose first bytes (little-endian) are ``word``."""
    raise NotImplementedError("decoder not written yet")


def disassemble(instr: Instr, pc: int | None = None) -> str:
    """CHERIoT assembler spelling of ``instr`` (isa.md §5.1 toolchain spellings)."""
    raise NotImplementedError("disassembler not written yet")
