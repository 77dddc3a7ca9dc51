"""A real machine for the debugger-layer tests: the e2e test firmware (tests/e2e/firmware/
debugee.S) assembled by Debian's binutils, on the sail board, halted at its entry."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine

FIRMWARE = Path(__file__).resolve().parents[1] / "e2e" / "firmware" / "debugee.S"

if shutil.which("riscv64-unknown-elf-as") is None:
    pytest.skip("needs riscv64-unknown-elf-as", allow_module_level=True)


@pytest.fixture(scope="session")
def debugee(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble([FIRMWARE], tmp_path_factory.mktemp("debugee"), name="debugee", debug=True)


@pytest.fixture
def machine(debugee: Path) -> Iterator[Machine]:
    image = load_elf(debugee)
    yield Machine(load_board("sail"), image)
    image.close()
