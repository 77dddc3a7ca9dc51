"""Test-wide set-up: quiet logging (warnings only) so test output stays readable, and the
bundled RTOS image for sail, assembled once per session into a temporary directory (not the
user's cache), with a daemon serving it to each module that asks."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from cheriot_gdbserver.logs import configure
from cheriot_gdbserver.rtos import bundled
from tests.gdb_support import Daemon, serve

configure("warning")


@pytest.fixture(scope="session")
def rtos_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled.build("rtos", out_dir=tmp_path_factory.mktemp("rtos"), board="sail")


@pytest.fixture(scope="module")
def rtos_daemon(rtos_elf: Path) -> Iterator[Daemon]:
    yield from serve(rtos_elf)
