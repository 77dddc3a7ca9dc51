"""Fixtures: the bundled RTOS image for sail, assembled once per session into a temporary
directory (not the user's cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheriot_gdbserver.rtos import bundled


@pytest.fixture(scope="session")
def rtos_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled.build("rtos", out_dir=tmp_path_factory.mktemp("rtos"), board="sail")
