"""A memory write from gdb that runs past the end of RAM is all or nothing (issue 7, item 5): it
is refused with E0e and not one byte of it lands, M and X alike. Real daemon, raw RSP client."""

from __future__ import annotations

from pathlib import Path

from cheriot_gdbmi import Daemon

from tests.gdbstub.rsp_client import RspClient

RAM_END = 0x8004_0000  # sail's RAM: 0x80000000-0x80040000


def test_a_write_past_the_end_of_ram_writes_nothing(states_elf: Path) -> None:
    daemon = Daemon(states_elf)
    client = RspClient(daemon.host, daemon.port)
    try:
        start = RAM_END - 4
        assert client.ask(b"m%x,4" % start) == b"00000000"
        assert client.ask(b"M%x,8:1122334455667788" % start) == b"E0e"
        assert client.ask(b"X%x,8:abcdefgh" % start) == b"E0e"
        assert client.ask(b"m%x,4" % start) == b"00000000"
        assert client.ask(b"M%x,4:11223344" % start) == b"OK"  # inside RAM: written
        assert client.ask(b"m%x,4" % start) == b"11223344"
    finally:
        client.close()
        assert daemon.stop() == 0
