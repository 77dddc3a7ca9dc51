"""What every test that drives real gdb-multiarch shares: the tools it needs, the image's
symbols by binutils, a real ``cheriot-gdbserver serve`` per module, and gdb attached to it.

The gdb and daemon helpers come from scripts/examples/cheriot_gdbmi.py, the module the example
scripts use too. Expected addresses come from binutils (nm), never from the daemon under test.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "scripts" / "examples"

MISSING = [tool for tool in ("gdb-multiarch", "riscv64-unknown-elf-as") if not shutil.which(tool)]
if importlib.util.find_spec("pygdbmi") is None:
    MISSING.append("pygdbmi")

sys.path.insert(0, str(EXAMPLES))
from cheriot_gdbmi import Daemon, Gdb  # noqa: E402 - imports pygdbmi only when gdb starts


def nm(elf: Path) -> dict[str, int]:
    """The image's symbols, by binutils' nm."""
    out = subprocess.run(["riscv64-unknown-elf-nm", str(elf)], check=True, text=True,
                         capture_output=True).stdout
    return {f[2]: int(f[0], 16) for f in (line.split() for line in out.splitlines())
            if len(f) == 3}


def serve(elf: Path) -> Iterator[Daemon]:
    """A daemon serving ``elf`` for a fixture's lifetime; it must then stop cleanly."""
    server = Daemon(elf)
    yield server
    assert server.stop() == 0, server.stderr


def reset(gdb: Gdb) -> None:
    """Power-on state (the catch mode is not part of it: back to the default too)."""
    gdb.monitor("reset")
    gdb.monitor("catch cheri")
    gdb.console("maintenance flush register-cache")


def attach(elf: Path, daemon: Daemon, *, fresh: bool = False,
           extension: Path | None = None) -> Gdb:
    """gdb on ``elf`` connected to ``daemon``; ``fresh``: the machine reset first; with
    ``extension``: that entry script loaded after connecting, as serve's attach line does."""
    gdb = Gdb(elf)
    try:
        gdb.connect(daemon.address)
        if fresh:
            reset(gdb)
        if extension is not None:
            loaded = gdb.console(f"source {extension}")
            assert "cheriot: CHERIoT target: extension on" in loaded, loaded
    except BaseException:
        gdb.close()
        raise
    return gdb


def run_to(gdb: Gdb, location: str) -> dict[str, Any]:
    """Continue to a temporary breakpoint at ``location``; the stop's MI payload."""
    gdb.mi(f"-break-insert {location}")
    stop = gdb.run("-exec-continue")
    gdb.mi("-break-delete")
    assert stop.payload["reason"] == "breakpoint-hit", stop.payload
    return stop.payload
