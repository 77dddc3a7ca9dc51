"""A second gdb that connects while one is attached is answered at once (issue 7, item 10): its
first packet gets an RSP error carrying the reason, which gdb prints, the connection is closed,
the refusal is logged, and the attached client carries on undisturbed. OpenOCD behaves the same
with its default of one gdb connection per target."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cheriot_gdbmi import Daemon

from cheriot_gdbserver.gdbstub.server import BUSY_REASON
from tests.gdbstub.rsp_client import RspClient

from .conftest import PC, resume_from

GDB = shutil.which("gdb-multiarch")


@pytest.fixture
def daemon(states_elf: Path) -> Daemon:
    server = Daemon(states_elf, "--catch", "none", "--log-level", "warning")
    yield server
    assert server.stop() == 0


@pytest.mark.skipif(GDB is None, reason="needs gdb-multiarch")
def test_gdb_is_told_why_it_cannot_attach(daemon: Daemon, states_elf: Path) -> None:
    first = RspClient(daemon.host, daemon.port)
    try:
        resume_from(first)
        daemon.wait_for_uart(b"spinning\n")
        done = subprocess.run([GDB, "-nx", "-batch", str(states_elf),
                               "-ex", f"target remote {daemon.address}"],
                              capture_output=True, text=True, timeout=20, check=False)
        assert f"Remote failure reply: E.{BUSY_REASON}\n" in done.stdout + done.stderr
        # The attached client still runs the show: Ctrl-C stops the firmware it resumed.
        first.send_raw(b"\x03")
        assert first.reply().startswith(b"T02")
        assert first.ask(b"p%x" % PC) != b""
    finally:
        first.close()
    log = [line for line in daemon.stderr.splitlines() if "gdbstub.client_refused" in line]
    assert len(log) == 1
    assert "reason=busy" in log[0] and "attached=127.0.0.1:" in log[0]


def test_a_raw_client_is_refused_and_the_next_one_served(daemon: Daemon) -> None:
    first = RspClient(daemon.host, daemon.port)
    second = RspClient(daemon.host, daemon.port)
    try:
        assert first.ask(b"?").startswith(b"T05")
        assert second.ask(b"?") == b"E." + BUSY_REASON.encode()
        with pytest.raises(ConnectionError):
            second.reply()  # closed after the refusal
    finally:
        second.close()
        first.close()
    third = RspClient(daemon.host, daemon.port)  # the first has gone: served again
    try:
        assert third.ask(b"?").startswith(b"T05")
    finally:
        third.close()
