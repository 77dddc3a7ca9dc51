"""Monitor output from the real daemon arrives in 'O' packets within the PacketSize the daemon
offers, then 'OK' (issue 7, item 4, protocol side). The longest output a command gives today
(``tags`` shows at most 0x8000 bytes) fits in one packet; tests/gdbstub/test_reply_bounds.py
covers output longer than a packet."""

from __future__ import annotations

from pathlib import Path

from cheriot_gdbmi import Daemon

from tests.gdbstub.rsp_client import RspClient


def test_monitor_output_is_streamed_in_bounded_o_packets(states_elf: Path) -> None:
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
        assert "0x80000000" in text and len(text) > 4096
    finally:
        client.close()
        assert daemon.stop() == 0
