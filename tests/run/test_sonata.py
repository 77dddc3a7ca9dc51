"""Sonata firmware prints through its OpenTitan UART (tests/firmware/sonata_uart.S)."""

from __future__ import annotations

from pathlib import Path

from cheriot_gdbserver.boards.devices.opentitan_uart import OpenTitanUart
from cheriot_gdbserver.core.stops import StopKind

from .support import Build, cli, run_in_process

HELLO = "Hello from Sonata\n"
HALTED = "cheriot-gdbserver: halted: wfi with every interrupt masked (mie = 0)"


def test_sonata_firmware_prints_and_echoes_its_input(build: Build, tmp_path: Path) -> None:
    elf = build("sonata_uart.S", "sonata")
    (tmp_path / "in.txt").write_bytes(b"ping\nmore than one FIFO of input\n")
    done = cli("run", str(elf), "--board", "sonata", "--uart-input", str(tmp_path / "in.txt"))
    assert done.stdout == HELLO + "ping\nmore than one FIFO of input\n"
    assert done.returncode == 122
    assert done.stderr.splitlines()[0] == HALTED


def test_sonata_firmware_without_input(build: Build) -> None:
    elf = build("sonata_uart.S", "sonata")
    done = cli("run", str(elf), "--board", "sonata")
    assert (done.stdout, done.returncode) == (HELLO, 122)
    assert done.stderr.splitlines()[0] == HALTED


def test_sonata_console_history(build: Build) -> None:
    run = run_in_process(build("sonata_uart.S", "sonata"), "sonata")
    assert run.uart == HELLO.encode()
    assert run.result.stop.kind is StopKind.HALTED
    assert isinstance(run.machine.devices.uart, OpenTitanUart)
    assert run.machine.uart_history == HELLO.encode()    # what `monitor uart` shows
