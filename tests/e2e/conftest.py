"""Shared set-up of the end-to-end tests: real gdb-multiarch, driven through pygdbmi, against a
real ``cheriot-gdbserver serve`` process on a free loopback port.

One daemon serves the test firmware (firmware/debugee.S) to the whole module; each test gets its
own gdb, which resets the machine first (``monitor reset``), so tests do not depend on each
other's order. The helpers come from scripts/examples/cheriot_gdbmi.py, which the example
scripts use too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.boards.image import load_elf
from tests.capfields import CapFields, fields
from tests.gdb_support import MISSING, Daemon, Gdb, attach, serve

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = Path(__file__).resolve().parent / "firmware" / "debugee.S"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not MISSING:
        return
    here = Path(__file__).resolve().parent
    skip = pytest.mark.skip(reason=f"needs {', '.join(MISSING)}")
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


@dataclass(frozen=True)
class Firmware:
    elf: Path
    symbols: dict[str, int]

    def line_of(self, text: str) -> int:
        """Line number in debugee.S of the only line containing ``text``."""
        lines = [n for n, line in enumerate(FIRMWARE.read_text().splitlines(), 1)
                 if text in line]
        assert len(lines) == 1, f"{text!r} is on lines {lines}"
        return lines[0]


# --- expected values, written out by hand -------------------------------------------------------
#
# The capabilities the firmware makes, derived from isa.md (not from the project's codec), for
# the layout GNU ld gives debugee.S (LAYOUT; the firmware fixture checks it, so a change of the
# source says which literals to re-derive).

LAYOUT = {"_start": 0x80000000, "main": 0x80000060, "counter": 0x80000158,
          "cap_slot": 0x80000160, "buffer": 0x80000168, "stack": 0x80000180}

# The memory root's permissions (isa.md §2.11: 0x07F); CSetBounds keeps them (§2.8).
MEM_PERMS = "GL LG SD LM SL LD MC"
# The executable root's (§2.11: 0x1EB).
EXE_PERMS = "GL LG LM LD MC SR EX"

# address_of cs1, counter, 4: CSetBounds(0x80000158, 4) from the memory root. §2.8: l = 4 < 512
# so e = 0, B = b[8:0] = 0x158, T = (b + l)[8:0] = 0x15C, exact; the metadata word is the root's
# P = 0x3F (bits 30:25, §2.2) with E = 0: 0x7E000000 | 0x15C << 9 | 0x158 (compare §9.2 row 1,
# 0x80001000 + 0x10 -> 0x7E002000).
COUNTER_META = 0x7E02B958
COUNTER_CAP = fields(1, 0x80000158, 0x80000158, 0x8000015C, 4, MEM_PERMS, 0, COUNTER_META)

# address_of ca0, buffer, 16: the same rule, B = 0x168, T = 0x178: 0x7E000000 | 0x178 << 9 |
# 0x168.
BUFFER_CAP = fields(1, 0x80000168, 0x80000168, 0x80000178, 0x10, MEM_PERMS, 0, 0x7E02F168)

# main's `cjal count_to` (at main + 4) links cra = PCC (the executable root, §2.11) at main + 8,
# sealed as a backward sentry, interrupt-disabling (otype 4, since _start runs with MIE clear;
# §4.4). §4.1: the executable format stores otype 4 as OT = 4 (bits 24:22): 0x5E3E0000 | 4 << 22.
SAVED_CRA_CAP = fields(1, 0x80000068, 0, 0x100000000, 0x100000000, EXE_PERMS, 4, 0x5F3E0000)

# PCC at reset: the executable root at the entry (§2.11, §7.7).
RESET_PCC_CAP = fields(1, 0x80000000, 0, 0x100000000, 0x100000000, EXE_PERMS, 0, 0x5E3E0000)


def fault_lines(fw: Firmware) -> list[str | tuple[str, CapFields]]:
    """How the daemon explains the bounds fault in ``overflow`` (tests.capfields.assert_lines)."""
    pc = fw.symbols["overflow"] + 20
    return [
        "mcause 0x1c (CHERI exception), mtval 0x141 (bounds violation, register ca0)",
        f"pc {pc:#010x} <overflow+20> at {FIRMWARE}:{fw.line_of('csw a1, 16(ca0)')}",
        "instruction: csw a1, 16(ca0)",
        "access: 4 bytes at 0x80000178",    # buffer + 16: one past the end
        ("capability ca0: ", BUFFER_CAP),
    ]


def indented(lines: list[str | tuple[str, CapFields]], prefix: str
             ) -> list[str | tuple[str, CapFields]]:
    return [prefix + line if isinstance(line, str) else (prefix + line[0], line[1])
            for line in lines]


@pytest.fixture(scope="session")
def firmware(tmp_path_factory: pytest.TempPathFactory) -> Firmware:
    elf = assemble([FIRMWARE], tmp_path_factory.mktemp("debugee"), name="debugee", debug=True)
    image = load_elf(elf)
    symbols = dict(image.symbols)
    image.close()
    moved = {name: f"{symbols[name]:#x}" for name, address in LAYOUT.items()
             if symbols[name] != address}
    assert not moved, (f"debugee.S's layout changed ({moved}): re-derive the literals in "
                       "tests/e2e/conftest.py")
    return Firmware(elf, symbols)


@pytest.fixture(scope="module")
def daemon(firmware: Firmware) -> Iterator[Daemon]:
    yield from serve(firmware.elf)


@pytest.fixture
def gdb(firmware: Firmware, daemon: Daemon) -> Iterator[Gdb]:
    """gdb attached to the shared daemon, the machine freshly reset (halted at _start)."""
    session = attach(firmware.elf, daemon, fresh=True)
    yield session
    session.close()
