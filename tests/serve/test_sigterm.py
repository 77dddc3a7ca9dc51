"""SIGTERM (what service managers and CI runners send) stops the daemon within a second in every
state it can be in, with status 0 and its usual last line (issue 7, item 1)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cheriot_gdbmi import Daemon

from tests.gdbstub.rsp_client import RspClient

from .conftest import drop_after_resume, resume_from

DEADLINE = 1.0  # seconds from the signal to the exit status


def no_client(daemon: Daemon, waiting: int) -> list[RspClient]:
    return []


def attached_halted(daemon: Daemon, waiting: int) -> list[RspClient]:
    client = RspClient(daemon.host, daemon.port)
    assert client.ask(b"?").startswith(b"T05")
    return [client]


def mid_packet(daemon: Daemon, waiting: int) -> list[RspClient]:
    client = RspClient(daemon.host, daemon.port)
    assert client.ask(b"?").startswith(b"T05")
    client.send_raw(b"$m8000")  # never finished
    return [client]


def running(daemon: Daemon, waiting: int) -> list[RspClient]:
    client = RspClient(daemon.host, daemon.port)
    resume_from(client)
    daemon.wait_for_uart(b"spinning\n")
    return [client]


def in_wfi(daemon: Daemon, waiting: int) -> list[RspClient]:
    client = RspClient(daemon.host, daemon.port)
    resume_from(client, waiting)
    daemon.wait_for_uart(b"waiting\n")
    return [client]


def resumed_and_dropped(daemon: Daemon, waiting: int) -> list[RspClient]:
    drop_after_resume(daemon)
    return []


def in_wfi_and_dropped(daemon: Daemon, waiting: int) -> list[RspClient]:
    drop_after_resume(daemon, waiting)
    return []


def second_client_refused(daemon: Daemon, waiting: int) -> list[RspClient]:
    clients = running(daemon, waiting)
    second = RspClient(daemon.host, daemon.port)
    second.send(b"qSupported")
    assert second.reply().startswith(b"E.another gdb is attached")
    return [*clients, second]


STATES: list[Callable[[Daemon, int], list[RspClient]]] = [
    no_client, attached_halted, mid_packet, running, in_wfi, resumed_and_dropped,
    in_wfi_and_dropped, second_client_refused]


@pytest.mark.parametrize("state", STATES, ids=[s.__name__ for s in STATES])
def test_sigterm_stops_the_daemon_within_a_second(states_elf: Path, waiting: int,
                                                  state: Callable[[Daemon, int],
                                                                  list[RspClient]]) -> None:
    daemon = Daemon(states_elf, "--catch", "none")
    clients: list[RspClient] = []
    try:
        clients = state(daemon, waiting)
        sent = time.monotonic()
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.wait(DEADLINE) == 0
        assert time.monotonic() - sent < DEADLINE
        assert daemon.stderr.endswith("cheriot-gdbserver: stopped\n")
        for client in clients:  # every connection was closed by the daemon
            client.sock.settimeout(DEADLINE)
            while client.sock.recv(4096):
                pass
    finally:
        for client in clients:
            client.close()
        daemon.stop()
