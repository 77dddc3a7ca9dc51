"""gdbstub/server.py over real TCP on a free port, driven by a raw RSP client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from cheriot_gdbserver.core.stops import Stop, StopKind
from cheriot_gdbserver.gdbstub.server import (
    BUSY_REASON,
    WATCH_POLL_SECONDS,
    GdbServer,
    SocketRunWatch,
)
from cheriot_gdbserver.gdbstub.session import Session
from cheriot_gdbserver.gdbstub.transport import SocketTransport

from .fakes import FakeTarget
from .rsp_client import TIMEOUT, RspClient

EXPEDITED = b"1:00000000;2:f0100080;8:00000000;20:00000080;"
T02 = b"T02" + EXPEDITED + b"thread:1;"


@pytest.fixture
def served() -> Iterator[tuple[FakeTarget, GdbServer, tuple[str, int]]]:
    target = FakeTarget()
    reported: list[tuple[str, int]] = []
    server = GdbServer(target, port=0, rle=False,
                       on_listening=lambda host, port: reported.append((host, port)))
    address = server.bind()
    assert reported == [address] and server.address == address
    assert address[0] == "127.0.0.1" and address[1] != 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield target, server, address
    server.close()
    thread.join(TIMEOUT)
    assert not thread.is_alive()


def test_qsupported_over_tcp(served) -> None:
    target, server, address = served
    client = RspClient(*address)
    assert client.ask(b"qSupported:swbreak+") == (
        b"PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;qXfer:threads:read+;"
        b"qXfer:memory-map:read+;swbreak+;vContSupported+")
    assert client.ask(b"QStartNoAckMode") == b"OK"
    client.ack_mode = False
    assert client.ask(b"qC") == b"QC1"
    client.close()


def test_disconnect_mid_packet_then_reconnect(served) -> None:
    target, server, address = served
    client = RspClient(*address)
    assert client.ask(b"qAttached") == b"1"
    client.send_raw(b"$qSupp")
    client.close()
    again = RspClient(*address)
    assert again.ask(b"qC") == b"QC1"
    again.close()


def test_ctrl_c_interrupts_a_running_target(served) -> None:
    target, server, address = served
    client = RspClient(*address)
    client.send(b"vCont;c")
    assert target.running.wait(TIMEOUT)
    client.send_raw(b"\x03")
    assert client.reply() == T02
    assert target.calls == [("interrupt",)]
    client.close()


def test_packets_sent_while_running_are_answered_after_the_stop_in_order(served) -> None:
    """While the target runs the run watch reads the socket; what it read is handed to the
    session thread, which answers it after the stop reply (nothing lost or reordered)."""
    target, server, address = served
    client = RspClient(*address)
    client.send(b"vCont;c")
    assert target.running.wait(TIMEOUT)
    client.send(b"qC")
    client.send(b"m80000000,4")
    client.send_raw(b"\x03")
    assert client.reply() == T02
    assert client.reply() == b"QC1"
    assert client.reply() == b"00000000"
    client.close()


def test_ctrl_c_still_interrupts_after_many_short_runs(served) -> None:
    """Each resume arms and disarms the run watch; the socket goes back and forth between the
    two threads without a packet going astray, and the last run is still interruptible."""
    target, server, address = served
    client = RspClient(*address)
    assert client.ask(b"QStartNoAckMode") == b"OK"
    client.ack_mode = False
    for i in range(50):
        target.stops.append(Stop(StopKind.STEP, 0x8000_0000 + 2 * i))
        client.send(b"vCont;s")
        assert client.reply().startswith(b"T05")
        assert client.ask(b"qC") == b"QC1"
    client.send(b"vCont;c")
    assert target.running.wait(TIMEOUT)
    client.send_raw(b"\x03")
    assert client.reply().startswith(b"T02")
    assert target.calls == [("interrupt",)]
    client.close()


def test_disconnect_mid_run_stops_the_target_and_keeps_its_state(served) -> None:
    target, server, address = served
    client = RspClient(*address)
    assert client.ask(b"Z0,80000010,2") == b"OK"
    client.send(b"c")
    assert target.running.wait(TIMEOUT)
    client.close()
    again = RspClient(*address)  # served once the previous session has ended
    assert again.ask(b"?") == T02
    assert target.last_stop is not None and target.last_stop.kind is StopKind.INTERRUPTED
    assert target.calls == [("insert_breakpoint", 0x8000_0010, 2, False), ("interrupt",),
                            ("remove_breakpoint", 0x8000_0010, 2, False)]
    again.close()


def test_close_drops_the_current_client(served) -> None:
    target, server, address = served
    client = RspClient(*address)
    assert client.ask(b"qC") == b"QC1"
    server.close()
    with pytest.raises(ConnectionError):
        client.ask(b"qC")
    client.close()


def test_a_second_client_is_refused_at_once_and_the_first_keeps_its_session(served) -> None:
    target, server, address = served
    first = RspClient(*address)
    assert first.ask(b"qC") == b"QC1"
    second = RspClient(*address)
    with capture_logs() as logs:
        assert second.ask(b"qSupported:swbreak+") == b"E." + BUSY_REASON.encode()
        with pytest.raises(ConnectionError):
            second.reply()
    assert [(e["event"], e["reason"]) for e in logs] == [("gdbstub.client_refused", "busy")]
    assert first.ask(b"qC") == b"QC1"
    first.close()
    second.close()
    third = RspClient(*address)  # the first has left: served
    assert third.ask(b"qC") == b"QC1"
    third.close()



def test_a_run_watch_woken_by_a_disarm_does_not_catch_the_next_run() -> None:
    """The run watch looks for a run once per WATCH_POLL_SECONDS. Woken by the disarm that
    ended a run it caught, it must not look again at once: the next step is usually armed by
    then (the engine's emu_start lets it run), and it would catch every step after it, a
    thread wake-up per step (steps measured five times slower once it started)."""
    listener = socket.create_server(("127.0.0.1", 0))
    theirs = socket.create_connection(listener.getsockname())
    ours = listener.accept()[0]
    listener.close()
    session = Session(FakeTarget(), SocketTransport(ours))
    watch = SocketRunWatch(session, SocketTransport(ours))
    try:
        watch.arm()
        deadline = time.monotonic() + 5
        while watch.runs_watched == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert watch.runs_watched == 1
        watch.disarm()
        watch.arm()  # the next step, at once
        time.sleep(WATCH_POLL_SECONDS / 4)
        watch.disarm()
        assert watch.runs_watched == 1
    finally:
        watch.close()
        ours.close()
        theirs.close()
