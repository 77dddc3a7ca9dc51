"""gdbstub/packets.py: each packet family parses into its dataclass; dispatch is by exact name."""

from __future__ import annotations

import pytest

from cheriot_gdbserver.gdbstub import packets as pk
from cheriot_gdbserver.gdbstub.packets import MalformedPacketError, parse_packet

PARSED = [
    (b"qSupported:multiprocess+;swbreak+;hwbreak-;xmlRegisters=i386;qRelocInsn?",
     pk.QSupported((("multiprocess", "+"), ("swbreak", "+"), ("hwbreak", "-"),
                    ("xmlRegisters", "i386"), ("qRelocInsn", "?")))),
    (b"qSupported", pk.QSupported(())),
    (b"qXfer:features:read:target.xml:0,1000", pk.QXferRead("features", "target.xml", 0, 0x1000)),
    (b"qXfer:memory-map:read::7f,20", pk.QXferRead("memory-map", "", 0x7F, 0x20)),
    (b"qXfer:threads:read::0,fff", pk.QXferRead("threads", "", 0, 0xFFF)),
    (b"QStartNoAckMode", pk.QStartNoAckMode()),
    (b"vMustReplyEmpty", pk.VMustReplyEmpty()),
    (b"?", pk.HaltReason()),
    (b"g", pk.ReadRegisters()),
    (b"G0011", pk.WriteRegisters(b"\x00\x11")),
    (b"p2001", pk.ReadRegister(0x2001)),
    (b"P20=78563412", pk.WriteRegister(0x20, b"\x78\x56\x34\x12")),
    (b"m80000000,4", pk.ReadMemory(0x8000_0000, 4)),
    (b"M80000000,2:abcd", pk.WriteMemory(0x8000_0000, b"\xab\xcd")),
    (b"X80000000,4:a}\x03}]b", pk.WriteMemory(0x8000_0000, b"a#}b")),
    (b"X80000000,0:", pk.WriteMemory(0x8000_0000, b"")),
    (b"c", pk.Resume(False, None, None)),
    (b"c80000010", pk.Resume(False, None, 0x8000_0010)),
    (b"s", pk.Resume(True, None, None)),
    (b"C0b", pk.Resume(False, 11, None)),
    (b"S05;80000010", pk.Resume(True, 5, 0x8000_0010)),
    (b"vCont?", pk.VContQuery()),
    (b"vCont;c", pk.VCont((pk.VContAction(False, None, None),))),
    (b"vCont;s:1;c", pk.VCont((pk.VContAction(True, None, 1), pk.VContAction(False, None, None)))),
    (b"vCont;C0b:-1", pk.VCont((pk.VContAction(False, 11, -1),))),
    (b"vCont;S02:2", pk.VCont((pk.VContAction(True, 2, 2),))),
    (b"Z0,80000000,2", pk.Breakpoint(True, 0, 0x8000_0000, 2)),
    (b"z1,80000000,4", pk.Breakpoint(False, 1, 0x8000_0000, 4)),
    (b"Z2,80001000,4", pk.Breakpoint(True, 2, 0x8000_1000, 4)),
    (b"z4,80001000,8", pk.Breakpoint(False, 4, 0x8000_1000, 8)),
    (b"D", pk.Detach()),
    (b"D;1", pk.Detach()),
    (b"k", pk.Kill(reply=False)),
    (b"vKill;1", pk.Kill(reply=True)),
    (b"qAttached", pk.QAttached()),
    (b"qAttached:1", pk.QAttached()),
    (b"qC", pk.QCurrentThread()),
    (b"qfThreadInfo", pk.QThreadInfo(first=True)),
    (b"qsThreadInfo", pk.QThreadInfo(first=False)),
    (b"qThreadExtraInfo,1f", pk.QThreadExtraInfo(0x1F)),
    (b"Hg0", pk.SetThread("g", 0)),
    (b"Hc-1", pk.SetThread("c", -1)),
    (b"Hg2", pk.SetThread("g", 2)),
    (b"T1", pk.ThreadAlive(1)),
    (b"qRcmd,68656c70", pk.QRcmd("help")),
    (b"qSymbol::", pk.QSymbol()),
]


@pytest.mark.parametrize(("data", "expected"), PARSED, ids=[d[:20].decode("latin-1")
                                                            for d, _ in PARSED])
def test_parse(data: bytes, expected: object) -> None:
    assert parse_packet(data) == expected


@pytest.mark.parametrize("data", [
    b"qCRC:80000000,4",       # starts with qC but is another packet
    b"qTStatus", b"qOffsets", b"vFile:open:", b"bc", b"bs", b"QNonStop:1",
    b"qL1200000000000000000", b"vAttach;1", b"x80000000,4", b"qXfer:auxv:read::0,10",
    b"vContX", b"qSupportedX", b"",
])
def test_unknown_packets(data: bytes) -> None:
    assert parse_packet(data) == pk.Unknown(data)


@pytest.mark.parametrize(("data", "message"), [
    (b"m80000000", "m: missing ','"),
    (b"mzz,4", "m address: expected a hexadecimal number, got b'zz'"),
    (b"M0,2:abc", "M data: expected hex byte pairs, got b'abc'"),
    (b"M0,3:abcd", "M: length says 3 bytes but 2 follow"),
    (b"X0,2:a}", "X: binary data ends with an unfinished '}' escape"),
    (b"P20", "P: missing '='"),
    (b"p", "register number: expected a hexadecimal number, got b''"),
    (b"Z0,1", "Z/z: expected 'type,addr,kind', got b'0,1'"),
    (b"vCont;t", "vCont: unsupported action b't'"),
    (b"vCont;r1,2", "vCont: unsupported action b'r1,2'"),
    (b"vCont;", "vCont: expected ';action'"),
    (b"Hx1", "H: unknown operation 'x'"),
    (b"gx", "ReadRegisters takes no arguments, got b'x'"),
    (b"qRcmd,6", "qRcmd command: expected hex byte pairs, got b'6'"),
    (b"qXfer:features:read:target.xml", "qXfer:features:read: missing ':'"),
    (b"C", "signal: expected a hexadecimal number, got b''"),
])
def test_malformed_known_packets(data: bytes, message: str) -> None:
    with pytest.raises(MalformedPacketError) as info:
        parse_packet(data)
    assert str(info.value) == message


def test_no_packet_name_hides_another() -> None:
    """For every pair of names where one is a prefix of the other, a payload of the longer packet
    dispatches to the longer name, and the shorter name's own payloads do not reach the longer."""
    names = [spec.name for spec in pk.PACKETS]
    assert len(names) == len(set(names))
    for short in pk.PACKETS:
        for long in pk.PACKETS:
            if long.name != short.name and long.name.startswith(short.name):
                assert pk.lookup(long.name) is long
                follow = long.follow[:1] if long.follow else b""
                assert pk.lookup(long.name + follow) is long


def test_named_packets_need_their_separator() -> None:
    assert pk.lookup(b"qC") is not None
    assert pk.lookup(b"qCRC:0,4") is None
    assert pk.lookup(b"vKill;1").name == b"vKill"
    assert pk.lookup(b"vKillX") is None


def test_qsupported_offers() -> None:
    p = parse_packet(b"qSupported:swbreak+;hwbreak-")
    assert isinstance(p, pk.QSupported)
    assert p.offers("swbreak") and not p.offers("hwbreak") and not p.offers("multiprocess")


def test_repeated_short_packets_parse_alike_and_refusals_repeat() -> None:
    """Short payloads are parsed once (a stepping gdb repeats them): the same payload gives
    the same packet, and a malformed one is refused every time, not just the first."""
    assert parse_packet(b"m80000000,40") == pk.ReadMemory(0x8000_0000, 0x40)
    assert parse_packet(b"m80000000,40") == pk.ReadMemory(0x8000_0000, 0x40)
    assert parse_packet(b"m80000000,41") == pk.ReadMemory(0x8000_0000, 0x41)
    for _ in range(2):
        with pytest.raises(MalformedPacketError):
            parse_packet(b"m80000000")
    long_payload = b"X80000000,40:" + bytes(range(0x40))
    assert parse_packet(long_payload) == parse_packet(long_payload)
