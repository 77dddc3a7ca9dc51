"""Fixtures of the run tests: the test firmware, assembled once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.boards.board import load_board

from .support import FIRMWARE_DIR, Build


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """``build(source, board, exit_status=None)``: the ELF of tests/firmware/SOURCE linked at
    the board's code address, with ``EXIT_STATUS`` defined when given. Built once per session."""
    built: dict[tuple[str, str, int | None], Path] = {}

    def build(source: str, board: str, exit_status: int | None = None) -> Path:
        key = (source, board, exit_status)
        if key not in built:
            out = tmp_path_factory.mktemp(Path(source).stem)
            symbols = {"EXIT_STATUS": exit_status} if exit_status is not None else None
            built[key] = assemble([FIRMWARE_DIR / source], out, name=Path(source).stem,
                                  text_address=load_board(board).instruction_memory.start,
                                  extra_symbols=symbols)
        return built[key]

    return build
