"""Long monitor output from the real daemon arrives in 'O' packets within the PacketSize the
daemon offers, then 'OK' (issue 7, item 4, protocol side)."""

from __future__ import annotations

from pathlib import Path

from cheriot_gdbmi import Daemon

from tests.gdbstub.rsp_client import RspClient


def test_monitor_output_longer_than_a_packet_is_streamed(states_elf: Path) -> None:
    daemon = Daemon(states_elf)
    client = RspClient(daemon.host, daemon.port)
    try:
        offer = client.ask(b"qSupported").split(b";")
        packet_size = int(next(f for f in offer if f.startswith(b"PacketSize="))[11:], 16)
        client.send(b"qRcmd," + b"tags 0x80000000 0x10000".hex().encode())
        replies = []
        while (reply := client.reply()) != b"OK":
            replies.append(reply)
        assert all(r.startswith(b"O") and len(r) <= packet_size for r in replies)
        text = b"".join(bytes.fromhex(r[1:].decode()) for r in replies).decode()
        assert len(text) * 2 > packet_size  # it could not have been one reply
        assert "0x80000000" in text
    finally:
        client.close()
        assert daemon.stop() == 0
