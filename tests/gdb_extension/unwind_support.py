"""What the unwinding and stepping tests share: real gdb-multiarch with the extension's entry
script, against a real ``cheriot-gdbserver serve`` of the bundled RTOS firmware (rtos/firmware/,
generation F, the switcher in assembly). Expected places come from the firmware's sources and
from binutils (nm, objdump), never from the daemon's RTOS model under test.

The bundled demo thread (docs/firmware.md) calls ``faulty.faulty_read(2)`` (a good read), then
``faulty_read(8)``, which faults on a bounds check; faulty's error handler repairs it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cheriot_gdbserver.gdb_extension import ENTRY_SCRIPT
from cheriot_gdbserver.rtos import bundled
from tests.gdb_support import MISSING, Daemon, Gdb, nm, run_to
from tests.gdb_support import attach as attach_gdb

__all__ = ["nm", "run_to"]

SOURCES = Path(bundled.FIRMWARE_DIR)
DEMO = SOURCES / "demo" / "demo.S"
FAULTY = SOURCES / "faulty" / "faulty.S"

needs_tools = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}")


def line_of(path: Path, text: str, nth: int = 0) -> int:
    """The line number of the ``nth`` line of ``path`` that contains ``text``."""
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(lines) > nth, f"{text!r} is on lines {lines} of {path}"
    return lines[nth]


def disassembly(elf: Path, start: int, stop: int) -> list[tuple[int, str]]:
    """(address, text) of each instruction in [start, stop), by objdump."""
    out = subprocess.run(["riscv64-unknown-elf-objdump", "-d", f"--start-address={start:#x}",
                          f"--stop-address={stop:#x}", str(elf)], check=True, text=True,
                         capture_output=True).stdout
    return [(int(m.group(1), 16), m.group(2).strip()) for m in
            re.finditer(r"^\s*([0-9a-f]+):\s+[0-9a-f]+\s+(.*)$", out, re.M)]




def attach(elf: Path, daemon: Daemon, extension: bool = True) -> Gdb:
    """gdb on ``elf``, connected, the machine reset to its entry, the extension loaded."""
    gdb = attach_gdb(elf, daemon, fresh=True)
    if extension:
        loaded = gdb.console(f"source {ENTRY_SCRIPT}")
        if not ("extension on" in loaded and "unwind" in loaded and "stepping" in loaded):
            gdb.close()
            raise AssertionError(loaded)
    return gdb


@pytest.fixture
def rtos_gdb(rtos_elf: Path, rtos_daemon: Daemon) -> Iterator[Gdb]:
    session = attach(rtos_elf, rtos_daemon)
    yield session
    session.close()


def frames(gdb: Gdb) -> list[str]:
    """``bt``'s frame lines."""
    return [line for line in gdb.console("bt").splitlines() if line.startswith("#")]


def pc(gdb: Gdb) -> int:
    return gdb.address_of("$pc")


def where(gdb: Gdb) -> tuple[str, int]:
    """(function, line) of the selected frame, from gdb's own ``frame`` line."""
    text = gdb.console("frame")
    found = re.search(r"(\w+) \(\) at \S+:(\d+)", text)
    assert found, text
    return found.group(1), int(found.group(2))


def cli(elf: Path, daemon: Daemon, *commands: str) -> str:
    """gdb-multiarch's command line, as a user types it (``-batch``): connected, the machine
    reset, the extension loaded, then ``commands``; everything gdb printed."""
    args = ["gdb-multiarch", "-batch", "-nx", str(elf), "-ex", f"target remote {daemon.address}",
            "-x", str(ENTRY_SCRIPT), "-ex", "monitor reset",
            "-ex", "maintenance flush register-cache"]
    for command in commands:
        args += ["-ex", command]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr
