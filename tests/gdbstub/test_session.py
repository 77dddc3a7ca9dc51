"""gdbstub/session.py over a fake transport and a fake target: exact reply bytes per packet."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from cheriot_gdbserver.core.capability import Cap
from cheriot_gdbserver.core.stops import Stop, StopKind, TrapInfo, WatchHit, WatchKind
from cheriot_gdbserver.gdbstub.codec import frame
from cheriot_gdbserver.gdbstub.session import RLE_MIN_PAYLOAD, Session, SessionState
from cheriot_gdbserver.gdbstub.target import Feature, ResumeAction, ThreadInfo
from cheriot_gdbserver.gdbstub.tdesc import target_xml

from .fakes import ALL_FEATURES, RAM_BASE, FakeTarget, FakeTransport

# ra, sp, s0 and pc as every T reply carries them (sp is the fake's csp address).
EXPEDITED = b"1:00000000;2:f0100080;8:00000000;20:00000080;"


def make(supports: frozenset[Feature] = ALL_FEATURES, **kwargs: object):
    target = FakeTarget(supports, threads=(ThreadInfo(1, "main", "running"),
                                           ThreadInfo(2, "idle", "blocked")))
    transport = FakeTransport()
    return target, transport, Session(target, transport, **kwargs)


def ask(session: Session, transport: FakeTransport, payload: bytes) -> bytes:
    session.feed(frame(payload))
    return transport.take()


def acked(*payloads: bytes) -> bytes:
    """What the session sends for one packet in ack mode: '+' then the reply packets."""
    return b"+" + b"".join(frame(p) for p in payloads)


def o_packet(text: str) -> bytes:
    return b"O" + text.encode().hex().encode()


@pytest.fixture
def setup():
    return make()


# --- connection set-up ----------------------------------------------------------------------------

def test_qsupported_offers_what_the_target_and_gdb_support(setup) -> None:
    target, transport, session = setup
    reply = ask(session, transport, b"qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+")
    assert reply == acked(b"PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;"
                          b"qXfer:threads:read+;qXfer:memory-map:read+;swbreak+;hwbreak+;"
                          b"vContSupported+")


def test_qsupported_without_optional_features() -> None:
    target, transport, session = make(frozenset(), packet_size=0x800)
    reply = ask(session, transport, b"qSupported:swbreak+;hwbreak+")
    assert reply == acked(b"PacketSize=800;QStartNoAckMode+;qXfer:features:read+;"
                          b"qXfer:threads:read+;vContSupported+")


def test_qsupported_skips_stop_reasons_gdb_did_not_offer(setup) -> None:
    target, transport, session = setup
    reply = ask(session, transport, b"qSupported:multiprocess+")
    assert reply == acked(b"PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;"
                          b"qXfer:threads:read+;qXfer:memory-map:read+;vContSupported+")


def test_no_ack_mode_stops_acks_after_the_ok(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"QStartNoAckMode") == b"+$OK#9a"
    assert not session.ack_mode
    session.feed(b"+")  # gdb acks the OK
    assert ask(session, transport, b"qAttached") == frame(b"1")


def test_vmustreplyempty_and_unknown_packets_get_empty_replies(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"vMustReplyEmpty") == b"+$#00"
    assert ask(session, transport, b"qTStatus") == b"+$#00"
    assert ask(session, transport, b"qOffsets") == b"+$#00"
    assert ask(session, transport, b"") == b"+$#00"


def test_simple_queries(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"qAttached") == acked(b"1")
    assert ask(session, transport, b"qSymbol::") == acked(b"OK")
    assert ask(session, transport, b"qC") == acked(b"QC1")


# --- acks, naks, bad frames -----------------------------------------------------------------------

def test_nak_resends_the_last_packet(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"qC") == acked(b"QC1")
    session.feed(b"-")
    assert transport.take() == frame(b"QC1")


def test_bad_checksum_is_naked_in_ack_mode_and_then_retransmitted(setup) -> None:
    target, transport, session = setup
    session.feed(b"$qC#00")
    assert transport.take() == b"-"
    assert ask(session, transport, b"qC") == acked(b"QC1")


def test_bad_checksum_is_accepted_in_no_ack_mode(setup) -> None:
    target, transport, session = setup
    ask(session, transport, b"QStartNoAckMode")
    session.feed(b"$qC#00")
    assert transport.take() == frame(b"QC1")


def test_over_long_packet_gets_one_error_reply() -> None:
    target, transport, session = make(packet_size=0x20)
    session.feed(frame(b"M80000000,20:" + b"00" * 0x20))
    assert transport.take() == acked(b"E16")


def test_ctrl_c_while_idle_is_ignored(setup) -> None:
    target, transport, session = setup
    session.feed(b"\x03")
    assert transport.take() == b""
    assert target.calls == []


# --- target description and qXfer -----------------------------------------------------------------

def read_xfer(session: Session, transport: FakeTransport, obj: str, annex: str,
              chunk: int) -> bytes:
    ask(session, transport, b"QStartNoAckMode")
    doc = b""
    for _ in range(10_000):  # far more chunks than any document has
        reply = ask(session, transport, b"qXfer:%s:read:%s:%x,%x" % (
            obj.encode(), annex.encode(), len(doc), chunk))
        body = reply[1:reply.index(b"#")]
        doc += body[1:]
        if body[:1] == b"l":
            return doc
        assert body[:1] == b"m"
    raise AssertionError(f"qXfer:{obj} never ended (no 'l' reply)")


def test_qxfer_features_in_chunks_reassembles_target_xml(setup) -> None:
    target, transport, session = setup
    doc = read_xfer(session, transport, "features", "target.xml", 0x100)
    assert doc == target_xml(target.register_table()).encode()


def test_qxfer_first_chunk_exact(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"qXfer:features:read:target.xml:0,10") == acked(
        b'm<?xml version="1')


def test_qxfer_past_the_end_is_an_empty_last_chunk(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"qXfer:features:read:target.xml:100000,10") == acked(b"l")


def test_qxfer_unknown_annex(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"qXfer:features:read:other.xml:0,10") == acked(b"E00")


def test_qxfer_threads(setup) -> None:
    target, transport, session = setup
    assert read_xfer(session, transport, "threads", "", 0x1000) == (
        b'<?xml version="1.0"?>\n<threads>\n  <thread id="1" name="main">running</thread>\n'
        b'  <thread id="2" name="idle">blocked</thread>\n</threads>\n')


def test_qxfer_memory_map_only_when_supported() -> None:
    target, transport, session = make()
    assert read_xfer(session, transport, "memory-map", "", 0x1000) == target.memory_map.encode()
    target, transport, session = make(frozenset())
    assert ask(session, transport, b"qXfer:memory-map:read::0,100") == b"+$#00"


# --- registers ------------------------------------------------------------------------------------

G_REPLY = (b"00000000" * 2 + b"f0100080" + b"00000000" * 13 + b"00000080")


def test_g_reads_the_integer_registers_and_pc(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"g") == acked(G_REPLY)


def test_rle_encodes_long_replies_only() -> None:
    """Run-length encoding is for replies of RLE_MIN_PAYLOAD bytes or more; shorter ones (g,
    stop replies, small m) go as they are, runs and all (the GDB manual allows either)."""
    target, transport, session = make(rle=True)
    assert ask(session, transport, b"g") == acked(G_REPLY)
    length = RLE_MIN_PAYLOAD // 2  # memory bytes: the reply is twice as long
    zeros = b"00" * length
    reply = ask(session, transport, b"m%x,%x" % (RAM_BASE + 0x100, length))
    assert reply == b"+" + frame(zeros, rle=True)
    assert b"*" in reply and len(reply) < len(zeros) // 10


def test_G_writes_only_changed_registers(setup) -> None:  # noqa: N802 - the packet is 'G'
    target, transport, session = setup
    new = bytearray.fromhex(G_REPLY.decode())
    new[10 * 4:10 * 4 + 4] = (5).to_bytes(4, "little")  # a0 = 5
    assert ask(session, transport, b"G" + new.hex().encode()) == acked(b"OK")
    assert target.regs.writes == [("ca0", Cap.integer(5))]


def test_G_wrong_length(setup) -> None:  # noqa: N802 - the packet is 'G'
    target, transport, session = setup
    assert ask(session, transport, b"G00") == acked(b"E16")


def test_p_reads_a_capability_register(setup) -> None:
    target, transport, session = setup
    # csp: address, base, top (u64), length (u64), perms, otype, tag
    assert ask(session, transport, b"p2002") == acked(
        b"f0100080" b"00100080" b"0011008000000000" b"0001000000000000" b"7f00" b"00" b"01")


def test_p_reads_a_csr(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"p341") == acked(b"00180000")  # mstatus = 65 + 0x300


def test_p_unknown_register(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"p40") == acked(b"E16")


def test_P_writes_a_register(setup) -> None:  # noqa: N802 - the packet is 'P'
    target, transport, session = setup
    assert ask(session, transport, b"Pa=05000000") == acked(b"OK")
    assert target.regs.capability("ca0") == Cap.integer(5)


def test_P_refused_capability_write_is_eacces(setup) -> None:  # noqa: N802
    target, transport, session = setup
    # csp with its top raised from 0x80001100 to 0x80001200: widening, refused by the policy
    value = b"f0100080" b"00100080" b"0012008000000000" b"0002000000000000" b"7f00" b"00" b"01"
    assert ask(session, transport, b"P2002=" + value) == acked(b"E0d")
    assert target.regs.writes == []


def test_P_wrong_size(setup) -> None:  # noqa: N802 - the packet is 'P'
    target, transport, session = setup
    assert ask(session, transport, b"Pa=0500") == acked(b"E16")


# --- memory ---------------------------------------------------------------------------------------

def test_m_reads_memory(setup) -> None:
    target, transport, session = setup
    target.ram[0:4] = b"\x13\x05\x10\x00"
    assert ask(session, transport, b"m80000000,4") == acked(b"13051000")


def test_m_unmapped_is_efault(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"m7ffffffc,4") == acked(b"E0e")


def test_m_across_the_end_returns_the_readable_prefix(setup) -> None:
    target, transport, session = setup
    target.ram[-2:] = b"\xaa\xbb"
    assert ask(session, transport, b"m8000fffe,4") == acked(b"aabb")


def test_M_and_X_write_memory(setup) -> None:  # noqa: N802 - the packets are 'M' and 'X'
    target, transport, session = setup
    assert ask(session, transport, b"M80000010,2:beef") == acked(b"OK")
    assert ask(session, transport, b"X80000012,3:}\x03}]!") == acked(b"OK")
    assert bytes(target.ram[0x10:0x15]) == b"\xbe\xef#}!"


def test_X_zero_length_probe(setup) -> None:  # noqa: N802 - the packet is 'X'
    target, transport, session = setup
    assert ask(session, transport, b"X80000000,0:") == acked(b"OK")


def test_X_outside_memory_is_efault(setup) -> None:  # noqa: N802 - the packet is 'X'
    target, transport, session = setup
    assert ask(session, transport, b"X10,1:a") == acked(b"E0e")


# --- breakpoints ----------------------------------------------------------------------------------

def test_z_packets_call_the_target(setup) -> None:
    target, transport, session = setup
    for packet in (b"Z0,80000010,2", b"Z1,80000020,4", b"Z2,80001000,4", b"Z3,80001000,4",
                   b"Z4,80001000,8", b"z0,80000010,2", b"z4,80001000,8"):
        assert ask(session, transport, packet) == acked(b"OK")
    assert target.calls == [
        ("insert_breakpoint", 0x8000_0010, 2, False),
        ("insert_breakpoint", 0x8000_0020, 4, True),
        ("insert_watchpoint", WatchKind.WRITE, 0x8000_1000, 4),
        ("insert_watchpoint", WatchKind.READ, 0x8000_1000, 4),
        ("insert_watchpoint", WatchKind.ACCESS, 0x8000_1000, 8),
        ("remove_breakpoint", 0x8000_0010, 2, False),
        ("remove_watchpoint", WatchKind.ACCESS, 0x8000_1000, 8),
    ]


def test_unsupported_z_types_get_empty_replies() -> None:
    target, transport, session = make(frozenset({Feature.SW_BREAKPOINTS}))
    for packet in (b"Z1,80000020,4", b"Z2,80001000,4", b"Z3,0,4", b"Z4,0,4", b"Z5,0,4"):
        assert ask(session, transport, packet) == b"+$#00"
    assert target.calls == []


# --- run control and stop replies -----------------------------------------------------------------

def cheri_trap() -> TrapInfo:
    return TrapInfo(mcause=0x1C, mtval=0x162, pc=RAM_BASE, interrupt=False,
                    description="CHERI tag violation on load through ca1", cheri_cause=2,
                    register="ca1", capability=Cap(False, 0, 0))


def trap(mcause: int) -> TrapInfo:
    return TrapInfo(mcause=mcause, mtval=0, pc=RAM_BASE, interrupt=False, description="")


@pytest.mark.parametrize(("stop", "expected"), [
    (Stop(StopKind.STEP, RAM_BASE), [b"T05" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.INTERRUPTED, RAM_BASE), [b"T02" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.WATCHPOINT, RAM_BASE, watch=WatchHit(0x8000_1000, 0x8000_1002,
                                                        WatchKind.WRITE, True)),
     [b"T05" + EXPEDITED + b"thread:1;watch:80001000;"]),
    (Stop(StopKind.WATCHPOINT, RAM_BASE, watch=WatchHit(0x8000_1000, 0x8000_1000,
                                                        WatchKind.READ, False)),
     [b"T05" + EXPEDITED + b"thread:1;rwatch:80001000;"]),
    (Stop(StopKind.WATCHPOINT, RAM_BASE, watch=WatchHit(0x8000_1004, 0x8000_1004,
                                                        WatchKind.ACCESS, False)),
     [b"T05" + EXPEDITED + b"thread:1;awatch:80001004;"]),
    (Stop(StopKind.EXCEPTION, RAM_BASE, trap=cheri_trap()),
     [o_packet("CHERI tag violation on load through ca1\n"), b"T0b" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.EXCEPTION, RAM_BASE, trap=trap(5)), [b"T0b" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.EXCEPTION, RAM_BASE, trap=trap(2)), [b"T04" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.EXCEPTION, RAM_BASE, trap=trap(3)), [b"T05" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.EXCEPTION, RAM_BASE, trap=trap(6)), [b"T0a" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.EXCEPTION, RAM_BASE, trap=trap(11)), [b"T05" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.BUDGET, RAM_BASE), [b"T18" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.HALTED, RAM_BASE, message="wfi with no wake source"),
     [o_packet("wfi with no wake source\n"), b"T11" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.LOCKUP, RAM_BASE), [b"T06" + EXPEDITED + b"thread:1;"]),
    (Stop(StopKind.EXIT, RAM_BASE, exit_code=3), [b"W03"]),
    (Stop(StopKind.EXIT, RAM_BASE, exit_code=0x1234), [o_packet("exit code 0x1234\n"), b"W34"]),
], ids=lambda v: v.kind.value if isinstance(v, Stop) else "")
def test_stop_replies(setup, stop: Stop, expected: list[bytes]) -> None:
    target, transport, session = setup
    target.stops.append(stop)
    assert ask(session, transport, b"vCont;c") == acked(*expected)
    assert target.resumes == [ResumeAction(step=False, signal=None, address=None)]


def test_breakpoint_stop_reports_swbreak_only_when_negotiated(setup) -> None:
    target, transport, session = setup
    ask(session, transport, b"Z0,80000000,2")
    target.stops.append(Stop(StopKind.BREAKPOINT, RAM_BASE))
    assert ask(session, transport, b"c") == acked(b"T05" + EXPEDITED + b"thread:1;")
    ask(session, transport, b"qSupported:swbreak+;hwbreak+")
    target.stops.append(Stop(StopKind.BREAKPOINT, RAM_BASE))
    assert ask(session, transport, b"c") == acked(b"T05" + EXPEDITED + b"thread:1;swbreak:;")


def test_breakpoint_stop_at_a_hardware_breakpoint_reports_hwbreak(setup) -> None:
    target, transport, session = setup
    ask(session, transport, b"qSupported:swbreak+;hwbreak+")
    ask(session, transport, b"Z1,80000000,4")
    target.stops.append(Stop(StopKind.BREAKPOINT, RAM_BASE))
    assert ask(session, transport, b"vCont;c:1") == acked(
        b"T05" + EXPEDITED + b"thread:1;hwbreak:;")


def test_resume_arguments_reach_the_target(setup) -> None:
    target, transport, session = setup
    for packet in (b"c80000010", b"C0b", b"s", b"S05;80000020", b"vCont;s:1;c",
                   b"vCont;C0b", b"vCont;c:2;s", b"vCont;s:2"):
        target.stops.append(Stop(StopKind.STEP, RAM_BASE))
        ask(session, transport, packet)
    assert target.resumes == [
        ResumeAction(False, None, 0x8000_0010), ResumeAction(False, 11, None),
        ResumeAction(True, None, None), ResumeAction(True, 5, 0x8000_0020),
        ResumeAction(True, None, None), ResumeAction(False, 11, None),
        ResumeAction(True, None, None),   # thread 2 is not executing: the default action applies
        ResumeAction(True, None, None),   # no action for thread 1 at all: the leftmost one
    ]


def test_vcont_query_follows_single_step_support() -> None:
    target, transport, session = make()
    assert ask(session, transport, b"vCont?") == acked(b"vCont;c;C;s;S")
    target, transport, session = make(frozenset())
    assert ask(session, transport, b"vCont?") == acked(b"vCont;c;C")
    assert ask(session, transport, b"s") == acked(b"E16")
    assert target.resumes == []


def test_ctrl_c_right_after_the_resume_packet_interrupts_the_run(setup) -> None:
    target, transport, session = setup
    session.feed(frame(b"vCont;c") + b"\x03")  # no scripted stop: resume waits for interrupt
    assert transport.take() == acked(b"T02" + EXPEDITED + b"thread:1;")
    assert target.calls == [("interrupt",)]
    assert session.state is SessionState.IDLE


def test_halt_reason_before_and_after_a_run(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"?") == acked(b"T05" + EXPEDITED + b"thread:1;")
    target.stops.append(Stop(StopKind.EXIT, RAM_BASE, exit_code=1))
    ask(session, transport, b"c")
    assert ask(session, transport, b"?") == acked(b"W01")


def test_engine_error_during_resume_is_reported(setup) -> None:
    from cheriot_gdbserver.errors import EngineError

    target, transport, session = setup

    def fail(action: ResumeAction) -> Stop:
        raise EngineError("unicorn: unhandled CPU exception")

    target.resume = fail  # type: ignore[method-assign]
    assert ask(session, transport, b"c") == acked(
        o_packet("target error: unicorn: unhandled CPU exception\n"), b"E05")


def test_detach_and_kill(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"D") == acked(b"OK")
    assert ask(session, transport, b"vKill;1") == acked(b"OK")
    assert ask(session, transport, b"k") == b"+"  # 'k' has no reply
    assert target.calls == [("detach",), ("kill",), ("kill",)]


# --- threads --------------------------------------------------------------------------------------

def test_thread_packets(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"qfThreadInfo") == acked(b"m1,2")
    assert ask(session, transport, b"qsThreadInfo") == acked(b"l")
    assert ask(session, transport, b"qThreadExtraInfo,2") == acked(b"blocked".hex().encode())
    assert ask(session, transport, b"Hg2") == acked(b"OK")
    assert target.selected == 2
    assert ask(session, transport, b"Hg0") == acked(b"OK")
    assert target.selected == 1
    assert ask(session, transport, b"Hc-1") == acked(b"OK")
    assert ask(session, transport, b"Hg9") == acked(b"E16")
    assert ask(session, transport, b"T2") == acked(b"OK")
    assert ask(session, transport, b"T9") == acked(b"E16")


# --- monitor --------------------------------------------------------------------------------------

def test_qrcmd_streams_the_output_in_o_packets_then_ok(setup) -> None:
    target, transport, session = setup
    reply = ask(session, transport, b"qRcmd," + b"tags 0x80000000 16".hex().encode())
    assert reply == acked(o_packet("tags 0x80000000 16\n"), b"OK")
    assert target.monitor_lines == ["tags 0x80000000 16"]


def test_qrcmd_with_no_output_is_ok(setup) -> None:
    target, transport, session = setup
    assert ask(session, transport, b"qRcmd," + b"uart".hex().encode()) == acked(b"OK")


def test_qrcmd_without_monitor_support_is_unknown() -> None:
    target, transport, session = make(frozenset())
    assert ask(session, transport, b"qRcmd,68656c70") == b"+$#00"


# --- error boundary and disconnection -------------------------------------------------------------

def test_a_stub_bug_is_logged_and_answered_e01(setup) -> None:
    target, transport, session = setup

    def broken(address: int, length: int) -> bytes:
        raise KeyError("oops")

    target.read_memory = broken  # type: ignore[method-assign]
    with capture_logs() as logs:
        assert ask(session, transport, b"m80000000,4") == acked(b"E01")
    assert ask(session, transport, b"qC") == acked(b"QC1")  # the session goes on
    assert logs == [{"event": "gdbstub.stub_bug", "packet": b"m80000000,4", "exc_info": True,
                     "log_level": "error"}]


def test_connection_loss_removes_our_breakpoints_and_ends_the_session(setup) -> None:
    target, transport, session = setup
    ask(session, transport, b"Z0,80000010,2")
    ask(session, transport, b"Z2,80001000,4")
    target.calls.clear()
    session.connection_lost()
    session.process_pending()
    assert session.state is SessionState.DISCONNECTED
    assert target.calls == [("remove_breakpoint", 0x8000_0010, 2, False),
                            ("remove_watchpoint", WatchKind.WRITE, 0x8000_1000, 4)]


def test_send_failure_ends_the_session(setup) -> None:
    target, transport, session = setup
    transport.close()
    session.feed(frame(b"qC"))
    assert session.state is SessionState.DISCONNECTED


def test_a_step_frame_after_a_partial_packet_is_decoded_in_order(setup) -> None:
    """The direct path for gdb's step frames (Decoder.whole) never skips the byte decoder's
    state: a packet cut short by a new '$' is dropped, and the next packet still parses."""
    target, transport, session = setup
    target.stops.append(Stop(StopKind.STEP, RAM_BASE))
    session.feed(b"$m80000000")
    session.feed(frame(b"vCont;s"))
    session.feed(frame(b"m80000000,4")[len(b"$m80000000"):])  # the rest: noise, now
    assert transport.take() == acked(b"T05" + EXPEDITED + b"thread:1;")
    assert target.resumes == [ResumeAction(step=True)]
    assert ask(session, transport, b"qC") == acked(b"QC1")


def test_a_stop_reply_leaves_out_an_unavailable_register_and_refuses_a_wrong_size(
        setup, monkeypatch) -> None:
    target, transport, session = setup
    real = target.read_registers

    def without_s0(regnums):  # noqa: ANN001, ANN202
        values = real(regnums)
        return [None if regnum == 8 else value
                for regnum, value in zip(regnums, values, strict=True)]

    monkeypatch.setattr(target, "read_registers", without_s0)
    target.stops.append(Stop(StopKind.STEP, RAM_BASE))
    assert ask(session, transport, b"vCont;s") == acked(
        b"T05" + EXPEDITED.replace(b"8:00000000;", b"") + b"thread:1;")
    monkeypatch.setattr(target, "read_registers", lambda regnums: [b"\0" * 3 for _ in regnums])
    target.stops.append(Stop(StopKind.STEP, RAM_BASE))
    with capture_logs():
        assert ask(session, transport, b"vCont;s") == acked(b"E01")
