"""Shared set-up of the end-to-end tests: real gdb-multiarch, driven through pygdbmi, against a
real ``cheriot-gdbserver serve`` process on a free loopback port.

One daemon serves the test firmware (firmware/debugee.S) to the whole module; each test gets its
own gdb, which resets the machine first (``monitor reset``), so tests do not depend on each
other's order. The helpers come from scripts/examples/cheriot_gdbmi.py, which the example
scripts use too.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.core.capability import (
    ROOT_MEM_META,
    Cap,
    describe,
    set_cap_bounds,
    with_bounds_fields,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "scripts" / "examples"
FIRMWARE = Path(__file__).resolve().parent / "firmware" / "debugee.S"

MISSING = [tool for tool in ("gdb-multiarch", "riscv64-unknown-elf-as") if not shutil.which(tool)]
if importlib.util.find_spec("pygdbmi") is None:
    MISSING.append("pygdbmi")

sys.path.insert(0, str(EXAMPLES))
from cheriot_gdbmi import Daemon, Gdb  # noqa: E402 - imports pygdbmi only when gdb starts


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


def bounded(base: int, length: int) -> Cap:
    """What the firmware's ``address_of`` (csetaddr + csetbounds from the memory root) gives,
    encoded by the project's codec."""
    bounds, exact = set_cap_bounds(base, length)
    assert exact
    return Cap(True, base, with_bounds_fields(ROOT_MEM_META, bounds))


def fault_lines(fw: Firmware) -> list[str]:
    """How the daemon explains the bounds fault in ``overflow``."""
    pc = fw.symbols["overflow"] + 20
    buffer = fw.symbols["buffer"]
    ca0 = bounded(buffer, 16)
    assert describe(ca0) == (
        f"address={buffer:#010x} base={buffer:#010x} top={buffer + 16:#010x} "
        "length=0x10 perms=[GL LG SD LM SL LD MC] otype=unsealed tag=1")
    return [
        "mcause 0x1c (CHERI exception), mtval 0x141 (bounds violation, register ca0)",
        f"pc {pc:#010x} <overflow+20> at {FIRMWARE}:{fw.line_of('csw a1, 16(ca0)')}",
        "instruction: csw a1, 16(ca0)",
        f"access: 4 bytes at {buffer + 16:#010x}",
        f"capability ca0: {describe(ca0)}",
    ]


@pytest.fixture(scope="session")
def firmware(tmp_path_factory: pytest.TempPathFactory) -> Firmware:
    elf = assemble([FIRMWARE], tmp_path_factory.mktemp("debugee"), name="debugee", debug=True)
    image = load_elf(elf)
    symbols = dict(image.symbols)
    image.close()
    return Firmware(elf, symbols)


@pytest.fixture(scope="module")
def daemon(firmware: Firmware) -> Iterator[Daemon]:
    server = Daemon(firmware.elf)
    yield server
    assert server.stop() == 0, server.stderr


def attach(elf: Path, daemon: Daemon) -> Gdb:
    gdb = Gdb(elf)
    try:
        gdb.connect(daemon.address)
    except BaseException:
        gdb.close()
        raise
    return gdb


@pytest.fixture
def gdb(firmware: Firmware, daemon: Daemon) -> Iterator[Gdb]:
    """gdb attached to the shared daemon, the machine freshly reset (halted at _start)."""
    session = attach(firmware.elf, daemon)
    reset(session)
    yield session
    session.close()


def reset(gdb: Gdb) -> None:
    """Power-on state (the catch mode is not part of it: back to the default too)."""
    gdb.monitor("reset")
    gdb.monitor("catch cheri")
    gdb.console("maintenance flush register-cache")
