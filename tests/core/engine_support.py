"""Build an engine over one tagged RAM region from assembly text (no board, no devices)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.core.engine import Engine
from cheriot_gdbserver.core.memory import Memory, RamRegion

RAM_BASE = 0x8000_0000
RAM_SIZE = 0x4_0000

PROLOGUE = """\
.include "cheriot.inc"
.section .text.start, "ax"
.globl _start
_start:
	cspecialr ca5, mtdc          # memory root
	li t0, 0x80020000
	csetaddr ca0, ca5, t0
	csetbounds ca0, ca0, 64      # ca0: a 64-byte object at 0x80020000
"""


class Program:
    """An assembled program: its ELF and symbol addresses."""

    def __init__(self, elf: Path) -> None:
        self.elf = elf
        with elf.open("rb") as f:
            e = ELFFile(f)
            self.entry = e["e_entry"]
            self.segments = [(s["p_paddr"], s.data()) for s in e.iter_segments()
                             if s["p_type"] == "PT_LOAD"]
            symtab = e.get_section_by_name(".symtab")
            self.symbols = {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name}

    def __getitem__(self, name: str) -> int:
        return self.symbols[name]


def build(body: str, tmp: Path) -> Program:
    source = PROLOGUE + body
    name = "p" + hashlib.sha1(source.encode()).hexdigest()[:12]
    return Program(assemble(source, tmp, name=name))


def engine_for(program: Program, *, reference: bool = False) -> Engine:
    memory = Memory([RamRegion("ram", RAM_BASE, RAM_SIZE)])
    engine = Engine(memory, reference=reference)
    for address, data in program.segments:
        memory.write(address, data)
    engine.reset(program.entry)
    return engine
