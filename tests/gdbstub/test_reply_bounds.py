"""Every reply fits in the negotiated PacketSize (issue 7, item 4, protocol side): monitor output
of any length is streamed in 'O' packets of at most that size, long thread lists are paged, and a
reply a handler built too long is never sent."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from cheriot_gdbserver.gdbstub import codec
from cheriot_gdbserver.gdbstub.replies import xfer_chunk
from cheriot_gdbserver.gdbstub.session import Session
from cheriot_gdbserver.gdbstub.target import ThreadInfo

from .fakes import FakeTarget, FakeTransport

PACKET_SIZE = 0x100


class TalkativeTarget(FakeTarget):
    """``monitor`` output: ``lines`` numbered lines, whole or as a generator."""

    def __init__(self, lines: int, *, streamed: bool, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.lines = lines
        self.streamed = streamed
        self.produced = 0

    def _lines(self) -> Iterator[str]:
        for i in range(self.lines):
            self.produced += 1
            yield f"line {i:05d} of the output of a long monitor command\n"

    def monitor(self, command: str) -> str | Iterator[str]:
        return self._lines() if self.streamed else "".join(self._lines())


def session_for(target: FakeTarget) -> tuple[FakeTransport, Session]:
    transport = FakeTransport()
    return transport, Session(target, transport, packet_size=PACKET_SIZE)


def packets(transport: FakeTransport) -> list[bytes]:
    events = codec.Decoder(1 << 24).feed(transport.take())
    return [e.data for e in events if isinstance(e, codec.Packet)]


def expected_text(lines: int) -> str:
    return "".join(f"line {i:05d} of the output of a long monitor command\n"
                   for i in range(lines))


def test_long_monitor_output_is_streamed_in_bounded_o_packets() -> None:
    for streamed in (False, True):
        target = TalkativeTarget(2000, streamed=streamed)  # 108 KB of text
        transport, session = session_for(target)
        session.feed(codec.frame(b"qRcmd," + b"anything".hex().encode()))
        sent = packets(transport)
        assert sent[-1] == b"OK"
        assert all(p.startswith(b"O") and len(p) <= PACKET_SIZE for p in sent[:-1])
        assert len(sent) > 100
        text = b"".join(bytes.fromhex(p[1:].decode()) for p in sent[:-1]).decode()
        assert text == expected_text(2000)


def test_streamed_output_goes_out_while_it_is_produced() -> None:
    target = TalkativeTarget(2000, streamed=True)
    transport, session = session_for(target)
    sent_when: list[int] = []
    original = transport.send

    def send(data: bytes) -> None:
        sent_when.append(target.produced)
        original(data)

    transport.send = send  # type: ignore[method-assign]
    session.feed(codec.frame(b"qRcmd,00"))
    assert target.produced == 2000 and len(sent_when) > 100
    assert sent_when[1] < 10  # the first 'O' packet left after a few lines, not after 2000


def test_a_long_thread_list_is_paged() -> None:
    threads = [ThreadInfo(i, f"t{i}") for i in range(1, 301)]
    target = FakeTarget(threads=threads)
    transport, session = session_for(target)
    ids: list[int] = []
    session.feed(codec.frame(b"qfThreadInfo"))
    while True:
        (reply,) = packets(transport)
        assert len(reply) <= PACKET_SIZE
        if reply == b"l":
            break
        assert reply.startswith(b"m")
        ids += [int(t, 16) for t in reply[1:].split(b",")]
        session.feed(codec.frame(b"qsThreadInfo"))
    assert ids == list(range(1, 301))


def test_thread_extra_info_is_cut_to_the_packet_size() -> None:
    target = FakeTarget(threads=[ThreadInfo(1, "main", "x" * 1000)])
    transport, session = session_for(target)
    session.feed(codec.frame(b"qThreadExtraInfo,1"))
    (reply,) = packets(transport)
    assert reply == (b"x" * (PACKET_SIZE // 2)).hex().encode()


def test_a_reply_built_too_long_is_never_sent() -> None:
    transport = FakeTransport()
    session = Session(FakeTarget(), transport, packet_size=0x40)
    with capture_logs() as logs:
        session.feed(codec.frame(b"g"))  # the g block (17 registers) takes 136 hex digits
    assert packets(transport) == [b"E01"]
    assert [e["event"] for e in logs] == ["gdbstub.reply_too_long"]


def reference_xfer_chunk(document: bytes, offset: int, length: int, max_payload: int) -> bytes:
    """The byte-at-a-time qXfer chunker (the oracle of replies.xfer_chunk)."""
    limit = max(1, min(length, max_payload - 1))
    out, pos = b"", offset
    while pos < len(document):
        piece = codec.escape(document[pos:pos + 1])
        if len(out) + len(piece) > limit:
            break
        out += piece
        pos += 1
    return (b"l" if pos >= len(document) else b"m") + out


@given(st.binary(max_size=200).map(lambda d: d.replace(b"a", b"#").replace(b"b", b"}")),
       st.integers(0, 220), st.integers(1, 80), st.integers(2, 90))
def test_xfer_chunk_matches_the_byte_at_a_time_chunker(document: bytes, offset: int,
                                                       length: int, max_payload: int) -> None:
    """A chunk never exceeds the requested length or the packet size once escaped, and ends
    exactly where the byte-at-a-time chunker ends it (gdb asks for the next offset from it)."""
    chunk = xfer_chunk(document, offset, length, max_payload)
    assert chunk == reference_xfer_chunk(document, offset, length, max_payload)
    assert len(chunk) - 1 <= max(1, min(length, max_payload - 1))
