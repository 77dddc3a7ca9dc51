"""A watchpoint refused for want of a slot changes nothing (issue 7, item 3): it never stops the
firmware, removing the others, detaching and killing still work, and the list does not grow, so
the same number can be set again. Real daemon, raw RSP client."""

from __future__ import annotations

from pathlib import Path

from cheriot_gdbmi import Daemon

from tests.gdbstub.rsp_client import RspClient

from .conftest import resume_from

UART_THR = 0x1000_0000  # the firmware's first store: a watchpoint here stops it before "spinning"
SCRATCH = 0x8001_0000   # RAM the firmware never touches
REFUSED = b"E05"


def fill(client: RspClient) -> list[bytes]:
    """Insert write watchpoints on scratch words until one is refused; the accepted ones."""
    accepted = []
    for i in range(64):
        packet = b"Z2,%x,4" % (SCRATCH + 8 * i)
        reply = client.ask(packet)
        if reply == REFUSED:
            return accepted
        assert reply == b"OK"
        accepted.append(packet)
    raise AssertionError("no watchpoint was ever refused")


def test_a_refused_watchpoint_changes_nothing(states_elf: Path) -> None:
    daemon = Daemon(states_elf, "--catch", "none")
    client = RspClient(daemon.host, daemon.port)
    try:
        accepted = fill(client)
        assert len(accepted) == 8  # the engine's slots (no HTIF tohost in this image takes one)
        for kind in (b"2", b"3", b"4"):  # write, read, access: all refused, none armed
            assert client.ask(b"Z%s,%x,1" % (kind, UART_THR)) == REFUSED
        resume_from(client)
        daemon.wait_for_uart(b"spinning\n")  # the store to the UART did not stop it
        client.send_raw(b"\x03")
        assert client.reply().startswith(b"T02")
        for packet in accepted:
            assert client.ask(b"z" + packet[1:]) == b"OK"
        assert len(fill(client)) == 8  # the refused ones took no slot
        assert client.ask(b"D") == b"OK"
    finally:
        client.close()
    again = RspClient(daemon.host, daemon.port)
    try:
        assert again.ask(b"vKill;1") == b"OK"
    finally:
        again.close()
        assert daemon.stop() == 0
