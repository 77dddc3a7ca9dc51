"""Packet payloads -> frozen dataclasses, one per packet of the GDB remote protocol.

Dispatch is by exact packet name with longest-prefix match (``PACKETS``): a named packet such as
``qC`` only matches when the name is followed by the end of the packet or one of its own
separators, so ``qCRC:...`` is *not* a ``qC`` and is answered as unknown. One-letter packets take
everything after the letter as arguments. Names are spelled as in the GDB manual ("Packets",
"General Query Packets"), so grepping the manual's name finds the parser.
A payload that matches a known name but cannot be parsed raises ``MalformedPacketError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import CheriotGdbError
from .codec import unescape

ANY_THREAD = 0    # thread-id "0": any thread
ALL_THREADS = -1  # thread-id "-1": all threads


class InvalidArgumentError(CheriotGdbError):
    """A packet whose arguments do not parse, or name something that does not exist."""


class MalformedPacketError(InvalidArgumentError):
    """A known packet whose arguments do not parse."""


# --- argument helpers ---------------------------------------------------------------------------

def parse_hex(text: bytes, what: str) -> int:
    if not text or any(c not in b"0123456789abcdefABCDEF" for c in text):
        raise MalformedPacketError(f"{what}: expected a hexadecimal number, got {text[:32]!r}")
    return int(text, 16)


def parse_hex_bytes(text: bytes, what: str) -> bytes:
    try:
        if len(text) % 2:
            raise ValueError
        return bytes.fromhex(text.decode("ascii"))
    except ValueError:
        raise MalformedPacketError(f"{what}: expected hex byte pairs, got {text[:32]!r}") from None


def parse_thread_id(text: bytes) -> int:
    """A thread-id without the multiprocess extension: hex, ``0`` (any) or ``-1`` (all)."""
    if text == b"-1":
        return ALL_THREADS
    return parse_hex(text, "thread-id")


def _split2(text: bytes, sep: bytes, what: str) -> tuple[bytes, bytes]:
    head, found, tail = text.partition(sep)
    if not found:
        raise MalformedPacketError(f"{what}: missing {sep.decode()!r}")
    return head, tail


def _addr_length(text: bytes, what: str) -> tuple[int, int]:
    addr, length = _split2(text, b",", what)
    return parse_hex(addr, f"{what} address"), parse_hex(length, f"{what} length")


def _no_args(args: bytes, name: str) -> None:
    if args:
        raise MalformedPacketError(f"{name} takes no arguments, got {args[:32]!r}")


# --- the packets --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QSupported:
    """qSupported: gdb's features, name -> '+', '-', '?' or the text after '='."""

    features: tuple[tuple[str, str], ...]

    def offers(self, name: str) -> bool:
        return (name, "+") in self.features


@dataclass(frozen=True, slots=True)
class QXferRead:
    """qXfer:<object>:read:<annex>:<offset>,<length>"""

    object: str
    annex: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class QStartNoAckMode: ...


@dataclass(frozen=True, slots=True)
class VMustReplyEmpty: ...


@dataclass(frozen=True, slots=True)
class HaltReason:
    """'?'"""


@dataclass(frozen=True, slots=True)
class ReadRegisters:
    """'g'"""


@dataclass(frozen=True, slots=True)
class WriteRegisters:
    """'G' with the whole g block."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ReadRegister:
    """'p n'"""

    regnum: int


@dataclass(frozen=True, slots=True)
class WriteRegister:
    """'P n=r'"""

    regnum: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ReadMemory:
    """'m addr,length'"""

    address: int
    length: int


@dataclass(frozen=True, slots=True)
class WriteMemory:
    """'M addr,length:hex' or 'X addr,length:binary' (data already decoded)."""

    address: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Resume:
    """'c [addr]', 's [addr]', 'C sig[;addr]', 'S sig[;addr]'"""

    step: bool
    signal: int | None
    address: int | None


@dataclass(frozen=True, slots=True)
class VContQuery:
    """'vCont?'"""


@dataclass(frozen=True, slots=True)
class VContAction:
    step: bool
    signal: int | None
    thread: int | None  # None: the default action for threads no other action names


@dataclass(frozen=True, slots=True)
class VCont:
    """'vCont;action[:thread-id]...'"""

    actions: tuple[VContAction, ...]


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """'Z type,addr,kind' (insert) and 'z type,addr,kind' (remove)."""

    insert: bool
    type: int
    address: int
    kind: int


@dataclass(frozen=True, slots=True)
class Detach:
    """'D' or 'D;pid'"""


@dataclass(frozen=True, slots=True)
class Kill:
    """'k' (no reply) and 'vKill;pid' (replies OK)."""

    reply: bool


@dataclass(frozen=True, slots=True)
class ExtendedMode:
    """'!': ``target extended-remote`` asks for extended mode (GDB manual, "Packets")."""


@dataclass(frozen=True, slots=True)
class Restart:
    """'vRun;filename;args' (replies with a stop) and 'R XX' (no reply): start the program
    afresh. The program is the target's own; the file name and arguments are ignored."""

    reply: bool


@dataclass(frozen=True, slots=True)
class QAttached: ...


@dataclass(frozen=True, slots=True)
class QCurrentThread:
    """'qC'"""


@dataclass(frozen=True, slots=True)
class QThreadInfo:
    """'qfThreadInfo' (first=True) / 'qsThreadInfo'"""

    first: bool


@dataclass(frozen=True, slots=True)
class QThreadExtraInfo:
    thread: int


@dataclass(frozen=True, slots=True)
class SetThread:
    """'Hg thread' (registers) / 'Hc thread' (resume)."""

    op: str
    thread: int


@dataclass(frozen=True, slots=True)
class ThreadAlive:
    """'T thread'"""

    thread: int


@dataclass(frozen=True, slots=True)
class QRcmd:
    """'qRcmd,hex': a monitor command line."""

    command: str


@dataclass(frozen=True, slots=True)
class QSymbol:
    """'qSymbol::' (gdb offers symbol lookups) or 'qSymbol:value:name'."""


@dataclass(frozen=True, slots=True)
class Unknown:
    """Any packet the table does not name: answered with an empty reply."""

    data: bytes


# --- parsers ------------------------------------------------------------------------------------

def _qsupported(args: bytes) -> QSupported:
    if not args:
        return QSupported(())
    if not args.startswith(b":"):
        raise MalformedPacketError("qSupported: features must follow ':'")
    feats = []
    for item in args[1:].decode("ascii", "replace").split(";"):
        if not item:
            continue
        if "=" in item:
            name, _, value = item.partition("=")
            feats.append((name, value))
        elif item[-1] in "+-?":
            feats.append((item[:-1], item[-1]))
        else:
            raise MalformedPacketError(f"qSupported: cannot parse feature {item!r}")
    return QSupported(tuple(feats))


def _qxfer(obj: str) -> Callable[[bytes], QXferRead]:
    def parse(args: bytes) -> QXferRead:
        what = f"qXfer:{obj}:read"
        if not args.startswith(b":"):
            raise MalformedPacketError(f"{what}: missing ':annex:'")
        annex, range_ = _split2(args[1:], b":", what)
        offset, length = _addr_length(range_, what)
        return QXferRead(obj, annex.decode("ascii", "replace"), offset, length)
    return parse


def _resume(step: bool, with_signal: bool) -> Callable[[bytes], Resume]:
    def parse(args: bytes) -> Resume:
        signal = None
        if with_signal:
            sig, _, args = args.partition(b";")
            signal = parse_hex(sig, "signal")
        address = parse_hex(args, "resume address") if args else None
        return Resume(step, signal, address)
    return parse


def _vcont(args: bytes) -> VCont:
    if not args.startswith(b";") or len(args) < 2:
        raise MalformedPacketError("vCont: expected ';action'")
    actions = []
    for item in args[1:].split(b";"):
        body, sep, tid = item.partition(b":")
        thread = parse_thread_id(tid) if sep else None
        letter, rest = body[:1], body[1:]
        if letter in (b"c", b"s") and not rest:
            actions.append(VContAction(letter == b"s", None, thread))
        elif letter in (b"C", b"S"):
            actions.append(VContAction(letter == b"S", parse_hex(rest, "vCont signal"), thread))
        else:
            raise MalformedPacketError(f"vCont: unsupported action {body[:16]!r}")
    return VCont(tuple(actions))


def _breakpoint(insert: bool) -> Callable[[bytes], Breakpoint]:
    def parse(args: bytes) -> Breakpoint:
        parts = args.split(b",")
        if len(parts) != 3 or len(parts[0]) != 1 or not parts[0].isdigit():
            raise MalformedPacketError(f"Z/z: expected 'type,addr,kind', got {args[:32]!r}")
        return Breakpoint(insert, int(parts[0]), parse_hex(parts[1], "breakpoint address"),
                          parse_hex(parts[2], "breakpoint kind"))
    return parse


def _write_memory(binary: bool) -> Callable[[bytes], WriteMemory]:
    def parse(args: bytes) -> WriteMemory:
        what = "X" if binary else "M"
        head, payload = _split2(args, b":", what)
        address, length = _addr_length(head, what)
        if binary:
            try:
                data = unescape(payload)
            except ValueError as e:
                raise MalformedPacketError(f"X: {e}") from None
        else:
            data = parse_hex_bytes(payload, "M data")
        if len(data) != length:
            raise MalformedPacketError(f"{what}: length says {length} bytes but {len(data)} follow")
        return WriteMemory(address, data)
    return parse


def _write_register(args: bytes) -> WriteRegister:
    num, value = _split2(args, b"=", "P")
    return WriteRegister(parse_hex(num, "register number"), parse_hex_bytes(value, "P value"))


def _set_thread(args: bytes) -> SetThread:
    op = args[:1].decode("ascii", "replace")
    if op not in ("g", "c"):
        raise MalformedPacketError(f"H: unknown operation {op!r}")
    return SetThread(op, parse_thread_id(args[1:]))


def _detach(args: bytes) -> Detach:
    if args and not args.startswith(b";"):
        raise MalformedPacketError("D: expected nothing or ';pid'")
    if args:
        parse_hex(args[1:], "D pid")
    return Detach()


def _qrcmd(args: bytes) -> QRcmd:
    if not args.startswith(b","):
        raise MalformedPacketError("qRcmd: expected ',hex-command'")
    return QRcmd(parse_hex_bytes(args[1:], "qRcmd command").decode("utf-8", "replace"))


def _exact(packet: object) -> Callable[[bytes], object]:
    def parse(args: bytes) -> object:
        _no_args(args, type(packet).__name__)
        return packet
    return parse


@dataclass(frozen=True, slots=True)
class PacketSpec:
    """A table row: the packet's name, what may follow it, and its parser.

    ``follow`` is None for one-letter packets (any arguments), else the bytes that may come right
    after the name; a name is also matched when it is the whole payload.
    """

    name: bytes
    follow: bytes | None
    parse: Callable[[bytes], object]


PACKETS: tuple[PacketSpec, ...] = (
    PacketSpec(b"qSupported", b":", _qsupported),
    PacketSpec(b"qXfer:features:read", b":", _qxfer("features")),
    PacketSpec(b"qXfer:memory-map:read", b":", _qxfer("memory-map")),
    PacketSpec(b"qXfer:threads:read", b":", _qxfer("threads")),
    PacketSpec(b"QStartNoAckMode", b"", _exact(QStartNoAckMode())),
    PacketSpec(b"vMustReplyEmpty", b"", _exact(VMustReplyEmpty())),
    PacketSpec(b"vCont?", b"", _exact(VContQuery())),
    PacketSpec(b"vCont", b";", _vcont),
    PacketSpec(b"vKill", b";", lambda args: Kill(reply=True)),
    PacketSpec(b"vRun", b";", lambda args: Restart(reply=True)),
    PacketSpec(b"!", None, _exact(ExtendedMode())),
    PacketSpec(b"R", None, lambda args: Restart(reply=False)),
    PacketSpec(b"qAttached", b":", lambda args: QAttached()),
    PacketSpec(b"qC", b"", _exact(QCurrentThread())),
    PacketSpec(b"qfThreadInfo", b"", _exact(QThreadInfo(first=True))),
    PacketSpec(b"qsThreadInfo", b"", _exact(QThreadInfo(first=False))),
    PacketSpec(b"qThreadExtraInfo", b",",
               lambda args: QThreadExtraInfo(parse_thread_id(args[1:]))),
    PacketSpec(b"qRcmd", b",", _qrcmd),
    PacketSpec(b"qSymbol", b":", lambda args: QSymbol()),
    PacketSpec(b"?", None, _exact(HaltReason())),
    PacketSpec(b"g", None, _exact(ReadRegisters())),
    PacketSpec(b"G", None, lambda args: WriteRegisters(parse_hex_bytes(args, "G data"))),
    PacketSpec(b"p", None, lambda args: ReadRegister(parse_hex(args, "register number"))),
    PacketSpec(b"P", None, _write_register),
    PacketSpec(b"m", None, lambda args: ReadMemory(*_addr_length(args, "m"))),
    PacketSpec(b"M", None, _write_memory(binary=False)),
    PacketSpec(b"X", None, _write_memory(binary=True)),
    PacketSpec(b"c", None, _resume(step=False, with_signal=False)),
    PacketSpec(b"C", None, _resume(step=False, with_signal=True)),
    PacketSpec(b"s", None, _resume(step=True, with_signal=False)),
    PacketSpec(b"S", None, _resume(step=True, with_signal=True)),
    PacketSpec(b"Z", None, _breakpoint(insert=True)),
    PacketSpec(b"z", None, _breakpoint(insert=False)),
    PacketSpec(b"D", None, _detach),
    PacketSpec(b"k", None, _exact(Kill(reply=False))),
    PacketSpec(b"H", None, _set_thread),
    PacketSpec(b"T", None, lambda args: ThreadAlive(parse_thread_id(args))),
)

# By first byte, longest name first: a lookup tries a handful of rows, not the whole table.
_BY_FIRST: dict[int, tuple[PacketSpec, ...]] = {}
for _spec in sorted(PACKETS, key=lambda spec: len(spec.name), reverse=True):
    _BY_FIRST[_spec.name[0]] = (*_BY_FIRST.get(_spec.name[0], ()), _spec)
del _spec


def lookup(data: bytes) -> PacketSpec | None:
    """The table row for a payload: the longest name that the payload starts with and that is
    followed by the end of the payload or one of that row's separators."""
    for spec in _BY_FIRST.get(data[0], ()) if data else ():
        if not data.startswith(spec.name):
            continue
        rest = data[len(spec.name):]
        if not rest or spec.follow is None or rest[0] in spec.follow:
            return spec
    return None


_CACHED_LENGTH = 64  # a stepping gdb repeats the same few short packets (vCont;s, g, p, m)


def parse_packet(data: bytes) -> object:
    """Parse one payload: unknown packets become ``Unknown``; bad arguments raise
    ``MalformedPacketError``. Parsing is pure and packets are immutable, so short payloads
    are parsed once (refusals are not cached: they raise again)."""
    if len(data) <= _CACHED_LENGTH:
        return _parse_short(data)
    return _parse(data)


def _parse(data: bytes) -> object:
    spec = lookup(data)
    if spec is None:
        return Unknown(data)
    return spec.parse(data[len(spec.name):])


_parse_short = functools.lru_cache(maxsize=256)(_parse)
