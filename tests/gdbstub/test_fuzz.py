"""Fuzzing the codec and session: no input makes them raise, and every packet gets one reply."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from cheriot_gdbserver.core.stops import Stop, StopKind
from cheriot_gdbserver.gdbstub import codec
from cheriot_gdbserver.gdbstub.packets import PACKETS
from cheriot_gdbserver.gdbstub.session import Session, SessionState

from .fakes import RAM_BASE, FakeTarget, FakeTransport

PACKET_SIZE = 0x400
FRAMING = frozenset(b"$#*")
SAMPLES = [
    b"qSupported:swbreak+;hwbreak+", b"QStartNoAckMode", b"?", b"g", b"p2002", b"p20",
    b"P20=00000080", b"m80000000,10", b"M80000000,2:0102", b"X80000000,2:ab", b"c", b"s",
    b"vCont;c", b"vCont;s:1", b"vCont?", b"Z0,80000000,2", b"z0,80000000,2", b"Z2,80001000,4",
    b"qXfer:features:read:target.xml:0,100", b"qXfer:threads:read::0,100",
    b"qXfer:memory-map:read::0,100", b"qRcmd,68656c70", b"qRcmd," + b"cap csp".hex().encode(),
    b"qfThreadInfo", b"qsThreadInfo", b"Hg0", b"Hc-1", b"T1", b"qC",
    b"qAttached", b"vKill;1", b"D", b"k", b"qSymbol::", b"vMustReplyEmpty", b"qTStatus",
]


def fresh() -> tuple[FakeTarget, FakeTransport, Session]:
    target = FakeTarget()
    target.default_stop = Stop(StopKind.STEP, RAM_BASE)  # never block in resume
    transport = FakeTransport()
    return target, transport, Session(target, transport, packet_size=PACKET_SIZE)


payload_bytes = st.binary(max_size=40).map(lambda b: bytes(c for c in b if c not in FRAMING))
payloads = st.one_of(
    st.sampled_from(SAMPLES),
    st.builds(lambda spec, rest: spec.name + rest, st.sampled_from(PACKETS), payload_bytes),
    payload_bytes,
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(payloads, max_size=25), st.lists(st.integers(0, 10_000), max_size=8))
def test_every_packet_gets_exactly_one_reply(packets: list[bytes], cuts: list[int]) -> None:
    target, transport, session = fresh()
    wire = b"".join(codec.frame(p) for p in packets)
    with capture_logs() as logs:
        for chunk in chunked(wire, cuts):
            session.feed(chunk)
    events = list(codec.Decoder(1 << 20).feed(transport.take()))
    replies = [e for e in events if isinstance(e, codec.Packet)
               and not (e.data.startswith(b"O") and e.data != b"OK")]  # 'O' is console output
    no_reply = sum(p == b"k" or p.startswith(b"R") for p in packets)  # 'k' and 'R' have none
    assert len(replies) == len(packets) - no_reply
    first_no_ack = next((i for i, p in enumerate(packets) if p == b"QStartNoAckMode"),
                        len(packets) - 1)
    assert sum(isinstance(e, codec.Ack) for e in events) == min(first_no_ack + 1, len(packets))
    assert all(isinstance(e, codec.Packet | codec.Ack) for e in events)
    assert [entry for entry in logs if entry["event"] == "gdbstub.stub_bug"] == []
    assert session.state is SessionState.IDLE


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=64), max_size=20))
def test_random_bytes_never_raise(chunks: list[bytes]) -> None:
    target, transport, session = fresh()
    with capture_logs() as logs:
        for chunk in chunks:
            session.feed(chunk)
    for event in codec.Decoder(1 << 20).feed(transport.take()):
        assert isinstance(event, codec.Packet | codec.Ack | codec.Nak)
    assert [entry for entry in logs if entry["event"] == "gdbstub.stub_bug"] == []
    assert session.state is SessionState.IDLE


@given(st.binary(max_size=300), st.lists(st.integers(0, 400), max_size=6))
def test_decoder_is_chunking_independent(data: bytes, cuts: list[int]) -> None:
    whole = list(codec.Decoder(128).feed(data))
    dec = codec.Decoder(128)
    pieces = [e for chunk in chunked(data, cuts) for e in dec.feed(chunk)]
    assert pieces == whole
