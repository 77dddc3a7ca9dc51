"""Source-level debug information of the bundled firmware: a line-table entry for every line of
code (so `break FILE:LINE` works on each), and call frame information (DWARF CFI) with which
real gdb unwinds the frames within a compartment.

Expected values come from the sources (the lines of code, the call sites) and from the ELF
through pyelftools, never from the project's own DWARF readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.rtos import bundled
from tests.gdb_support import MISSING, Daemon, Gdb, attach

FIRMWARE = Path(bundled.FIRMWARE_DIR)
# Lines that emit no code: directives, labels, macro invocations that only emit data or
# symbols (the layout macros of include/rtos.inc).
DATA_MACROS = {"func", "endfunc", "string", "export", "export_table", "sealing_type",
               "globals_begin", "globals_bss", "globals_end", "code_begin", "text_begin",
               "import_call", "import_library", "import_mmio", "import_sealing_type",
               "import_sealed_object", "zeros", "flaky_initial_globals"}


def code_lines(source: Path) -> list[tuple[int, str]]:
    """The lines that assemble to instructions on every board: outside macro definitions and
    board-conditional (.if) blocks."""
    found, depth, in_macro = [], 0, False
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        text = re.sub(r"^(\d+|\.L\w+):\s*", "", line.split("#")[0].strip())
        if text.startswith(".macro"):
            in_macro = True
        elif text.startswith(".endm"):
            in_macro = False
        elif text.startswith(".if"):
            depth += 1
        elif text.startswith(".endif"):
            depth -= 1
        elif (text and not in_macro and not depth and line.startswith(("\t", "1:", "2:"))
              and not text.startswith(".") and not text.endswith(":")
              and text.split()[0] not in DATA_MACROS):
            found.append((number, text))
    return found


def line_table(elf: Path) -> dict[str, set[int]]:
    covered: dict[str, set[int]] = {}
    with elf.open("rb") as f:
        dwarf = ELFFile(f).get_dwarf_info()
        for cu in dwarf.iter_CUs():
            program = dwarf.line_program_for_CU(cu)
            files = program["file_entry"]
            for entry in program.get_entries():
                if entry.state is not None:
                    index = entry.state.file - (1 if program.header.version < 5 else 0)
                    name = files[index].name.decode()
                    covered.setdefault(name, set()).add(entry.state.line)
    return covered


def test_every_line_of_code_has_a_line_table_entry(rtos_elf: Path) -> None:
    covered = line_table(rtos_elf)
    sources = sorted(FIRMWARE.glob("*/*.S"))
    assert len(sources) >= 14
    missing = {}
    for source in sources:
        lines = code_lines(source)
        assert lines, source
        gaps = [(n, text) for n, text in lines if n not in covered.get(source.name, set())]
        if gaps:
            missing[str(source.relative_to(FIRMWARE))] = gaps
    assert not missing


def test_every_code_section_function_has_call_frame_information(rtos_elf: Path) -> None:
    with rtos_elf.open("rb") as f:
        elf = ELFFile(f)
        assert elf.get_section_by_name(".debug_frame") is not None
        assert elf.get_section_by_name(".eh_frame") is None      # nothing loaded for it
        fdes = [e for e in elf.get_dwarf_info().CFI_entries() if "initial_location" in e.header]
        starts = {e.header["initial_location"] for e in fdes}
        symtab = elf.get_section_by_name(".symtab")
        symbols = {s.name: s["st_value"] for s in symtab.iter_symbols()}
    functions = [m.group(1) for source in FIRMWARE.glob("*/*.S")
                 for m in re.finditer(r"^func (\w+)", source.read_text(), re.M)]
    assert len(functions) > 40
    # Local names repeat across compartments; some functions exist only on boards with a PLIC.
    names = {name for name in functions if functions.count(name) == 1 and name in symbols}
    assert len(names) > 40
    assert {name for name in names if symbols[name] not in starts} == set()


needs_gdb = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}")



@pytest.fixture
def gdb(rtos_elf: Path, rtos_daemon: Daemon) -> Iterator[Gdb]:
    session = attach(rtos_elf, rtos_daemon, fresh=True)
    session.monitor("catch none")
    yield session
    session.close()


def line_of(relative: str, text: str) -> int:
    lines = [n for n, line in enumerate((FIRMWARE / relative).read_text().splitlines(), 1)
             if line.strip() == text]
    assert len(lines) == 1, (text, lines)
    return lines[0]


@needs_gdb
@pytest.mark.parametrize("where", ["report_flaky", "body"])
def test_bt_two_calls_deep_in_a_compartment_shows_both_callers(
        gdb: Gdb, where: str) -> None:
    # demo_main -> flaky_round -> report_flaky, all in the demo compartment (demo.S): at the
    # function's first instruction (nothing pushed yet) and inside its body (its frame pushed).
    spot = "report_flaky" if where == "report_flaky" else \
        f"demo.S:{line_of('demo/demo.S', '1:	ccall __import_console_console_print')}"
    gdb.mi(f"-break-insert {spot}")
    stop = gdb.run("-exec-continue").payload
    gdb.mi("-break-delete")
    assert stop["reason"] == "breakpoint-hit" and stop["thread-id"] == "1", stop
    frames = gdb.mi("-stack-list-frames 0 2").payload["stack"]
    assert [f["func"] for f in frames] == ["report_flaky", "flaky_round", "demo_main"]
    assert [int(f["line"]) for f in frames[1:]] == [
        line_of("demo/demo.S", "cjal report_flaky"),
        line_of("demo/demo.S", "1:	cjal flaky_round")]
    assert all(f["file"].endswith("demo/demo.S") for f in frames)
    # The callers' frames have their own stack pointers: each frame's CFA is above the last.
    gdb.console("frame 1")
    middle = gdb.address_of("$sp")
    gdb.console("frame 2")
    outer = gdb.address_of("$sp")
    gdb.console("frame 0")
    inner = gdb.address_of("$sp")
    assert outer - middle == 16                                  # flaky_round's frame
    assert middle - inner == (0 if where == "report_flaky" else 16)   # report_flaky's
