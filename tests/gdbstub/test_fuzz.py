"""Fuzzing the codec and session: no input makes them raise, and every packet gets one reply."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_raw
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.engine import Engine
from cheriot_gdbserver.core.stops import Stop, StopKind, WatchKind
from cheriot_gdbserver.debugger.target import DebugTarget
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


# --- sequences that once broke the daemon (issue 7) -------------------------------------------

@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(payloads, max_size=15), st.sampled_from([b"c", b"s", b"vCont;c", b"C0b"]),
       st.booleans())
def test_a_resume_whose_client_drops_at_once_never_runs(packets: list[bytes], resume: bytes,
                                                        no_ack: bool) -> None:
    """Whatever came before, a resume queued behind the end of the connection never starts:
    the session ends at once, leaving no breakpoint or watchpoint of its own behind."""
    target, transport, session = fresh()
    with capture_logs() as logs:
        for packet in [b"QStartNoAckMode"] * no_ack + packets:
            session.feed(codec.frame(packet))
        if session.state is SessionState.DISCONNECTED:
            return  # the generated packets ended the session themselves (none do today)
        resumes = len(target.resumes)
        inserted = set(session.points)
        session.receive(codec.frame(resume))  # the reader queues the packet ...
        session.connection_lost()             # ... and sees the end before it is handled
        session.process_pending()
    assert len(target.resumes) == resumes
    assert session.state is SessionState.DISCONNECTED
    assert session.points == set()
    removed = {call[1:] for call in target.calls if call[0].startswith("remove_")}
    assert len(removed) >= len(inserted)
    assert [entry for entry in logs if entry["event"] == "gdbstub.stub_bug"] == []


WATCH_ADDRESSES = [0x8000_0100 + 8 * i for i in range(12)]
watch_packets = st.builds(lambda insert, z, address, length: b"%s%d,%x,%x" % (
    b"Z" if insert else b"z", z, address, length),
    st.sampled_from([True] * 4 + [False]),  # mostly inserts: reach the limit often
    st.sampled_from([2, 3, 4]), st.sampled_from(WATCH_ADDRESSES),
    st.sampled_from([1, 4, 8]))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(watch_packets, min_size=1, max_size=40))
def test_refused_watchpoints_change_nothing(packets: list[bytes]) -> None:
    """Z2-Z4 and z2-z4 in any order against the real engine's 8 slots: a refusal is E05 and
    leaves nothing armed, the engine's list always matches what the session holds, and detach
    empties it."""
    engine = watch_engine()
    transport = FakeTransport()
    session = Session(DebugTarget(WATCH_MACHINE[0]), transport, packet_size=PACKET_SIZE)
    for packet in packets:
        session.feed(codec.frame(packet))
        reply = [e.data for e in codec.Decoder(1 << 20).feed(transport.take())
                 if isinstance(e, codec.Packet)]
        assert reply in ([b"OK"], [b"E05"])
        if reply == [b"E05"]:
            assert packet.startswith(b"Z") and len(session.points) == 8
        armed = sorted((wp.kind.value, wp.address, wp.length) for wp in engine.watchpoints)
        held = sorted((Z_KINDS[z].value, address, length) for z, address, length in session.points)
        assert armed == held
    session.feed(codec.frame(b"D"))
    assert engine.watchpoints == []


WATCH_MACHINE: list[Machine] = []
Z_KINDS = {2: WatchKind.WRITE, 3: WatchKind.READ, 4: WatchKind.ACCESS}


def watch_engine() -> Engine:
    """One machine for every example (sail, a one-instruction raw image), its watchpoints
    cleared."""
    if not WATCH_MACHINE:
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "loop.bin"
            raw.write_bytes((0x6F).to_bytes(4, "little"))  # j . (jal x0, 0)
            WATCH_MACHINE.append(Machine(load_board("sail"), load_raw(raw, RAM_BASE, RAM_BASE)))
    engine = WATCH_MACHINE[0].engine
    for wp in list(engine.watchpoints):
        engine.remove_watchpoint(wp.address, wp.length, wp.kind)
    return engine
