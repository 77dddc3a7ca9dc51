"""Issue 11 item 2: with the extension, gdb's own disassembly commands (``x/i``, ``display/i``,
``disassemble``, the ``stepi`` display) spell every instruction as the project's disassembler
(core/decode.py) does, compressed capability forms included. Without it gdb prints ``.4byte``
for capability instructions and misreads the compressed ones; the first test shows that, so
the comparison cannot pass by accident."""

from __future__ import annotations

import re
from pathlib import Path

from cheriot_gdbmi import Daemon, Gdb
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.core.decode import decode, disassemble

from .conftest import attach_with_extension, run_to

LINE = re.compile(r"^(?:=>)?\s+0x([0-9a-f]+)(?: <[^>]*>)?:\t(.*)$")
SYMBOL_SUFFIX = re.compile(r" <[^>]*>$")


def expected(elf: Path) -> list[tuple[int, list[tuple[int, str, int]]]]:
    """Per executable section: (start, [(address, text, length)]) decoding from its start."""
    found = []
    with elf.open("rb") as f:
        for section in ELFFile(f).iter_sections():
            if not section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR or not section["sh_size"]:
                continue
            data, start = section.data(), section["sh_addr"]
            rows, offset = [], 0
            while offset < len(data):
                word = int.from_bytes(data[offset:offset + 4].ljust(4, b"\0"), "little")
                instr = decode(word)
                rows.append((start + offset, disassemble(instr, start + offset), instr.length))
                offset += instr.length
            found.append((start, rows))
    return found


def shown(gdb: Gdb, command: str) -> list[tuple[int, str]]:
    rows = []
    for line in gdb.console(command).splitlines():
        m = LINE.match(line)
        if m:
            rows.append((int(m.group(1), 16), SYMBOL_SUFFIX.sub("", m.group(2))))
    return rows


def compressed_forms(elf: Path) -> set[str]:
    """The encodings' names (``c.clcsp``...) of every 16-bit instruction in the image."""
    names = set()
    with elf.open("rb") as f:
        for section in ELFFile(f).iter_sections():
            if not section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR:
                continue
            data, offset = section.data(), 0
            while offset < len(data):
                instr = decode(int.from_bytes(data[offset:offset + 4].ljust(4, b"\0"), "little"))
                if instr.length == 2:
                    names.add(instr.name)
                offset += instr.length
    return names


def check_every_instruction(gdb: Gdb, elf: Path) -> int:
    count = 0
    for start, rows in expected(elf):
        got = shown(gdb, f"x/{len(rows)}i {start:#x}")
        assert got == [(a, t) for a, t, _ in rows]
        count += len(rows)
    return count


def test_without_the_extension_gdb_cannot_spell_capability_instructions(
        pointers_elf: Path, pointers_daemon: Daemon) -> None:
    gdb = Gdb(pointers_elf)
    try:
        gdb.connect(pointers_daemon.address)
        text = gdb.console("x/2i use_locals")
    finally:
        gdb.close()
    assert "cincoffset" not in text and "csc" not in text, text


def test_x_i_matches_the_project_disassembler_on_assembled_firmware(
        pointers_elf: Path, pointers_gdb: Gdb) -> None:
    assert {"c.cincaddr16csp", "c.cscsp", "c.clcsp", "c.cincaddr4cspn", "c.clc", "c.csc",
            "c.cjal"} <= compressed_forms(pointers_elf)  # pointers.S uses each of them
    assert check_every_instruction(pointers_gdb, pointers_elf) > 50


def test_x_i_matches_on_the_debugee(debugee_elf: Path) -> None:
    daemon = Daemon(debugee_elf)
    try:
        gdb = attach_with_extension(debugee_elf, daemon)
        try:
            assert check_every_instruction(gdb, debugee_elf) > 50
        finally:
            gdb.close()
    finally:
        assert daemon.stop() == 0, daemon.stderr


def test_x_i_matches_on_the_bundled_rtos_firmware(rtos_elf: Path, rtos_gdb: Gdb) -> None:
    assert {"c.clcsp", "c.cincaddr16csp"} <= compressed_forms(rtos_elf)
    assert check_every_instruction(rtos_gdb, rtos_elf) > 1000


def test_disassemble_display_and_stepi_use_the_same_spelling(pointers_gdb: Gdb,
                                                              pointers_elf: Path) -> None:
    rows = {a: t for _, section in expected(pointers_elf) for a, t, _ in section}
    listing = shown(pointers_gdb, "disassemble use_locals")
    assert len(listing) > 40 and all(rows[a] == t for a, t in listing)
    run_to(pointers_gdb, "*use_locals")
    assert pointers_gdb.address_of("$pc") == pointers_gdb.address_of("use_locals")
    pointers_gdb.console("display/i $pc")
    pointers_gdb.run("-exec-step-instruction")
    pc = pointers_gdb.address_of("$pc")
    assert rows[pc] == "csc cra, 96(csp)"  # c.cscsp, at use_locals + 2
    assert shown(pointers_gdb, "display") == [(pc, rows[pc])]
