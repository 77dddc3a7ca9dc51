"""The daemon as a process (``cheriot-gdbserver serve``) on a real socket, with the firmware of
tests/firmware/daemon_states.S: the states a daemon must be able to leave. Every wait has a
deadline; nothing sleeps to synchronise (the firmware prints a line as it enters each state)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.gdbstub import codec
from tests.gdbstub.rsp_client import RspClient
from tests.serve.examples import build_handled_faults

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "examples"))
from cheriot_gdbmi import Daemon  # noqa: E402

SOURCE = Path(__file__).resolve().parents[1] / "firmware" / "daemon_states.S"
PC = 0x20  # the pc's register number in the target description
A3 = 13

if not shutil.which("riscv64-unknown-elf-as"):
    pytest.skip("needs riscv64-unknown-elf-as", allow_module_level=True)


@pytest.fixture(scope="session")
def faulting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/firmware/handled_faults.S, assembled with line info (tests.serve.examples)."""
    return build_handled_faults(tmp_path_factory)


@pytest.fixture(scope="session")
def states_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble([SOURCE], tmp_path_factory.mktemp("daemon_states"), name="daemon_states")


@pytest.fixture(scope="session")
def waiting(states_elf: Path) -> int:
    """Address of the code that waits in wfi for ever."""
    image = load_elf(states_elf)
    try:
        return image.symbols["waiting"]
    finally:
        image.close()


def resume_from(client: RspClient, pc: int | None = None) -> None:
    """Send ``c`` (after moving the pc to ``pc``); the reply comes when the target stops."""
    if pc is not None:
        assert client.ask(b"P%x=%s" % (PC, pc.to_bytes(4, "little").hex().encode())) == b"OK"
    client.send(b"c")


def drop_after_resume(daemon: Daemon, pc: int | None = None) -> None:
    """A client that sends ``c`` and closes its socket at once, reading nothing."""
    client = RspClient(daemon.host, daemon.port)
    if pc is not None:
        assert client.ask(b"P%x=%s" % (PC, pc.to_bytes(4, "little").hex().encode())) == b"OK"
    client.send_raw(codec.frame(b"c"))
    client.close()
