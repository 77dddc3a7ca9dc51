"""Shared set-up of the gdb extension's tests: real gdb-multiarch (Debian's, with its own
Python) loading the extension's entry script, against a real ``cheriot-gdbserver serve`` on a
free loopback port, on assembled firmware (firmware/pointers.S, tests/e2e/firmware/debugee.S)
and on the bundled RTOS firmware.

gdb loads the extension exactly as serve's attach line says: after connecting, ``-x PATH``
(here ``source PATH``, the same command under MI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.gdb_extension import ENTRY_SCRIPT
from tests.gdb_support import MISSING, Daemon, Gdb, attach, nm, run_to, serve

__all__ = ["nm", "run_to"]  # the feature tests' helpers, shared with every gdb test

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
POINTERS = HERE / "firmware" / "pointers.S"
DEBUGEE = ROOT / "tests" / "e2e" / "firmware" / "debugee.S"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not MISSING:
        return
    skip = pytest.mark.skip(reason=f"needs {', '.join(MISSING)}")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def pointers_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble([POINTERS], tmp_path_factory.mktemp("pointers"), name="pointers")


@pytest.fixture(scope="session")
def debugee_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble([DEBUGEE], tmp_path_factory.mktemp("debugee"), name="debugee", debug=True)



@pytest.fixture(scope="module")
def pointers_daemon(pointers_elf: Path) -> Iterator[Daemon]:
    yield from serve(pointers_elf)



def attach_with_extension(elf: Path, daemon: Daemon) -> Gdb:
    """gdb on ``elf``, connected, the machine reset to its entry, the extension loaded."""
    return attach(elf, daemon, fresh=True, extension=ENTRY_SCRIPT)


@pytest.fixture
def pointers_gdb(pointers_elf: Path, pointers_daemon: Daemon) -> Iterator[Gdb]:
    session = attach_with_extension(pointers_elf, pointers_daemon)
    yield session
    session.close()


@pytest.fixture
def rtos_gdb(rtos_elf: Path, rtos_daemon: Daemon) -> Iterator[Gdb]:
    session = attach_with_extension(rtos_elf, rtos_daemon)
    yield session
    session.close()
