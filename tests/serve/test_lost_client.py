"""A client that resumes the target and drops the connection at once must not leave the firmware
running with no one able to stop it (issue 7, item 1): whatever the timing of the drop, the run
is stopped (or never started), the next client is answered, and SIGTERM still stops the daemon.

The drop can be seen before the resume starts (the resume packet still queued) or during the
run; the loop repeats the race so that both orders happen."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from cheriot_gdbmi import Daemon

from tests.gdbstub.rsp_client import RspClient

from .conftest import PC, drop_after_resume

ROUNDS = 15
T05_NEVER_RAN = b"T05"   # a fresh machine
T02_INTERRUPTED = b"T02"


@pytest.mark.parametrize("where", ["spinning", "in wfi"])
def test_resume_then_drop_leaves_nothing_running(states_elf: Path, waiting: int,
                                                 where: str) -> None:
    daemon = Daemon(states_elf, "--catch", "none")
    try:
        start = waiting if where == "in wfi" else None
        for _ in range(ROUNDS):
            drop_after_resume(daemon, start)
            # The next client is served: the session of the dropped one ended, so its run did.
            client = RspClient(daemon.host, daemon.port)
            try:
                assert client.ask(b"?")[:3] in (T05_NEVER_RAN, T02_INTERRUPTED)
                pc = int.from_bytes(bytes.fromhex(client.ask(b"p%x" % PC).decode()), "little")
                assert pc != 0
            finally:
                client.close()
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.wait(1.0) == 0
        assert daemon.stderr == "cheriot-gdbserver: stopped\n"
    finally:
        daemon.stop()
