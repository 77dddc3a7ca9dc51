"""The README's quick start: ``cheriot-gdbserver serve`` with no firmware serves the bundled one,
the banner names its ELF, gdb runs it to its exit, and the next client finds it reset."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from cheriot_gdbmi import Daemon, Gdb

from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.gdb_extension import ENTRY_SCRIPT
from cheriot_gdbserver.rtos import bundled

# The bundled RTOS demo's transcript (tests/rtos_firmware/ checks it line by line).
TRANSCRIPT = (Path(__file__).parents[1] / "rtos_firmware" / "transcript.txt").read_bytes()


@pytest.fixture(scope="module")
def daemon() -> Iterator[Daemon]:
    server = Daemon(None)
    yield server
    assert server.stop() == 0, server.stderr


def test_bundled_firmware_runs_to_its_exit_then_is_reset(daemon: Daemon) -> None:
    elf = bundled.build()
    words = shlex.split(daemon.attach_line.removeprefix("attach with: "))
    assert words == ["gdb-multiarch", str(elf), "-ex", f"target remote {daemon.address}",
                     "-x", str(ENTRY_SCRIPT)]
    entry = bundled_symbol(elf, "_start")

    gdb = Gdb(Path(words[1]))
    try:
        gdb.connect(daemon.address)
        assert gdb.address_of("$pc") == entry
        gdb.mi("-break-insert console_print")
        stop = gdb.run("-exec-continue")
        assert stop.payload["frame"]["func"] == "console_print"
        gdb.mi("-break-delete")
        stop = gdb.run("-exec-continue")
        # The demo's deliberate CHERI faults stop gdb first (catch cheri is the default);
        # continuing hands each to the firmware's own error handling.
        for _ in range(20):
            if stop.payload["reason"] != "signal-received":
                break
            stop = gdb.run("-exec-continue")
        assert stop.payload["reason"] == "exited-normally"
        assert daemon.wait_for_uart(TRANSCRIPT.splitlines(keepends=True)[-1]) == TRANSCRIPT
    finally:
        gdb.close()

    again = Gdb(elf)
    try:
        again.connect(daemon.address)
        assert again.address_of("$pc") == entry
        assert again.monitor("uart") == "(no UART output yet)\n"
    finally:
        again.close()


def bundled_symbol(elf: Path, name: str) -> int:
    image = load_elf(elf)
    try:
        return image.symbols[name]
    finally:
        image.close()
