"""Helpers of the run tests: building tests/firmware/*.S, running in-process and the real CLI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.run_command import RunResult, run_machine

FIRMWARE_DIR = Path(__file__).resolve().parents[1] / "firmware"
_SCRIPT = Path(sys.executable).with_name("cheriot-gdbserver")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "cheriot_gdbserver.cli"]

Build = Callable[..., Path]


@dataclass
class Outcome:
    result: RunResult
    uart: bytes
    machine: Machine


# The budget of an in-process run when a test gives none: far more than any test firmware
# needs, so a firmware or engine that loops forever fails the test instead of hanging it.
DEFAULT_BUDGET = 200_000_000


def run_in_process(elf: Path, board: str, *, entry: int | None = None,
                   max_instructions: int | None = DEFAULT_BUDGET,
                   reference: bool = False) -> Outcome:
    """Run through ``run_command.run_machine`` with the UART captured."""
    image = load_elf(elf)
    if entry is not None:
        image.entry = entry
    uart = io.BytesIO()
    machine = Machine(load_board(board), image, uart_output=uart, reference=reference)
    result = run_machine(machine, max_instructions)
    return Outcome(result, uart.getvalue(), machine)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``cheriot-gdbserver ARGS`` as a user runs it, output captured."""
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


def symbol(elf: Path, name: str) -> int:
    return load_elf(elf).symbols[name]
