"""gdbstub/server.py over real TCP on a free port, driven by a raw RSP client."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from cheriot_gdbserver.core.stops import StopKind
from cheriot_gdbserver.gdbstub.server import BUSY_REASON, GdbServer

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
