"""CHERIoT disassembly in stock gdb: ``x/i``, ``display/i``, ``disassemble`` and the stepping
display spell every instruction as the project's disassembler does (core/decode.py, the CHERIoT
toolchain's spellings; compressed forms as their 32-bit expansion, as objdump prints them).

gdb's own RISC-V disassembler knows no CHERIoT encodings: it prints ``.4byte`` for capability
instructions and reads compressed capability loads and stores as floating-point ones. This one
is registered for ``riscv:rv32`` through ``gdb.disassembler`` (gdb 13); gdb keeps doing the
rest (raw bytes for ``/r``, source lines for ``/s``, the ``=>`` marker). Branch and jump
targets get gdb's own ``<symbol+offset>`` suffix.
"""

from __future__ import annotations

import gdb
import gdb.disassembler

from ..core.decode import decode, disassemble
from . import session

ARCHITECTURE = "riscv:rv32"
NAME = "CHERIoT"
# Operations whose last operand is a code address (compressed forms decode to these too).
_TARGET_OPS = frozenset({"cjal", "beq", "bne", "blt", "bge", "bltu", "bgeu"})


def _with_symbol(text: str, target: int) -> str:
    """Replace the trailing hex target by gdb's ``0xADDR <symbol+offset>``."""
    head, _, _ = text.rpartition(" ")
    return f"{head} {gdb.format_address(target)}"


class CheriotDisassembler(gdb.disassembler.Disassembler):
    """Decodes from target memory (through gdb, so breakpoints are already hidden)."""

    def __init__(self) -> None:
        super().__init__(NAME)

    def __call__(self, info: gdb.disassembler.DisassembleInfo
                 ) -> gdb.disassembler.DisassemblerResult | None:
        if not session.active():
            return None  # another target in this session: gdb's own disassembler
        low = int.from_bytes(info.read_memory(2, 0), "little")
        word = low
        if low & 3 == 3:  # a 32-bit instruction: only then read its second half
            word |= int.from_bytes(info.read_memory(2, 2), "little") << 16
        instr = decode(word)
        text = disassemble(instr, info.address)
        if instr.op in _TARGET_OPS:
            text = _with_symbol(text, (info.address + instr.imm) & 0xFFFFFFFF)
        return gdb.disassembler.DisassemblerResult(instr.length, text)


def install() -> None:
    gdb.disassembler.register_disassembler(CheriotDisassembler(), ARCHITECTURE)
