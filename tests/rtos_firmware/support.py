"""Helpers of the bundled RTOS firmware tests: the image, machines stopped at a symbol, and
decoders of the documented layouts (rtos.md), written independently of the firmware."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.capability import Cap
from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.core.stops import StopKind

# The demo's whole headless transcript on sail (docs/firmware.md explains each line).
TRANSCRIPT = Path(__file__).with_name("transcript.txt")


def symbols(elf: Path) -> dict[str, int]:
    """Every symbol, local ones included (the RTOS's boundary symbols are local)."""
    with elf.open("rb") as f:
        table = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: s["st_value"] for s in table.iter_symbols() if s.name}


def section(elf: Path, name: str) -> tuple[int, bytes]:
    with elf.open("rb") as f:
        sec = ELFFile(f).get_section_by_name(name)
        assert sec is not None, f"no section {name}"
        return sec["sh_addr"], sec.data()


@dataclass
class Booted:
    machine: Machine
    uart: io.BytesIO
    symbols: dict[str, int]

    def cap(self, address: int) -> Cap:
        return self.machine.engine.read_cap_memory(address)

    def u32(self, address: int) -> int:
        return int.from_bytes(self.machine.engine.read_memory(address, 4), "little")

    def u16(self, address: int) -> int:
        return int.from_bytes(self.machine.engine.read_memory(address, 2), "little")

    def run_to(self, name: str, budget: int = 5_000_000) -> None:
        address = self.symbols[name]
        engine = self.machine.engine
        engine.add_breakpoint(address)
        try:
            stop = engine.run(budget)
        finally:
            engine.remove_breakpoint(address)
        assert stop.kind is StopKind.BREAKPOINT and stop.pc == address, stop

    def run_to_exit(self, budget: int = 50_000_000) -> int | None:
        stop = self.machine.engine.run(budget)
        assert stop.kind is StopKind.EXIT, stop
        return stop.exit_code


def boot(elf: Path, board: str = "sail", uart_input: bytes = b"") -> Booted:
    uart = io.BytesIO()
    pending = [uart_input] if uart_input else []
    machine = Machine(load_board(board), load_elf(elf), uart_output=uart,
                      uart_input=lambda: pending.pop() if pending else b"")
    machine.engine.catch = Catch.NONE          # the firmware's own fault paths take its faults
    return Booted(machine, uart, symbols(elf))


# --- the image header, decoded by the recipe of rtos.md 2.6 -------------------------------------

KNOWN_MAGICS = {0x6CEF3879, 0xCA2B63DE, 0x46391DA0, 0xB0531162}
# (generation, loader record, switcher record, privileged record, initialiser range)
GENERATIONS = [("A", 12, 20, 26, False), ("B", 12, 20, 30, False), ("CD", 12, 22, 30, False),
               ("E", 0, 22, 30, False), ("F", 0, 22, 30, True)]


def candidates(header: bytes) -> list[tuple[str, int]]:
    found = []
    for gen, loader, switcher, privileged, has_init in GENERATIONS:
        for n in (3, 4):
            m = loader + switcher + privileged * n
            if m + 8 > len(header):
                continue
            magic, nlib, ncomp = struct.unpack_from("<IHH", header, m)
            if magic not in KNOWN_MAGICS or (magic == 0xB0531162) != has_init:
                continue
            records = m + 8 + (6 if has_init else 0)
            if records + 34 * (nlib + ncomp) == len(header):
                found.append((gen, n))
    return found


@dataclass
class Record:
    code: int
    code_size: int
    import_size: int
    exports: int
    exports_size: int
    globals: int
    globals_size: int
    sealed: int
    sealed_size: int


def records(header: bytes) -> tuple[int, list[Record]]:
    """Generation F, n = 3: (library count, the 34-byte records)."""
    nlib, ncomp = struct.unpack_from("<HH", header, 112 + 4)
    result = []
    for i in range(nlib + ncomp):
        (code, size8, imports, exports, exports_size, globals_, globals4, _init,
         _relocs, _relocs_size, sealed, sealed_size) = struct.unpack_from(
            "<IHHIHIHHIHIH", header, 126 + 34 * i)
        result.append(Record(code, size8 * 8, imports, exports, exports_size, globals_,
                             globals4 * 4, sealed, sealed_size))
    return nlib, result


def thread_records(data: bytes) -> list[tuple[int, int, int, int, int, int]]:
    """.thread_config: (priority, entry export, stack, stack size, tstack, tstack size)."""
    (count,) = struct.unpack_from("<H", data, 0)
    return [struct.unpack_from("<HIIHIH", data, 2 + 18 * i) for i in range(count)]
