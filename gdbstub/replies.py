"""Reply payloads that need more than one line: error codes, stop replies, qXfer chunks, XML lists.

``error_reply`` is the one place that turns an exception into an ``Exx`` reply. The numbers are
errno values (gdb only shows them, GDB manual "Standard Replies"), chosen so the code hints at the
cause: 0x0e EFAULT for memory, 0x0d EACCES for a refused register write, 0x16 EINVAL for a packet
that does not parse or names nothing that exists, 0x05 EIO for any other refusal. A stub bug is
answered E01 by the session.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from binascii import hexlify
from collections.abc import Iterable, Iterator, Sequence
from enum import IntEnum

from ..core.stops import Stop, StopKind, WatchKind
from ..errors import CheriotGdbError, MemoryAccessError, RegisterWriteError
from .codec import escape
from .packets import InvalidArgumentError
from .target import ThreadInfo


class ErrorCode(IntEnum):
    STUB_BUG = 0x01
    EIO = 0x05
    EACCES = 0x0D
    EFAULT = 0x0E
    EINVAL = 0x16


def error(code: ErrorCode) -> bytes:
    return b"E%02x" % code


def error_code(exc: CheriotGdbError) -> ErrorCode:
    if isinstance(exc, InvalidArgumentError):
        return ErrorCode.EINVAL
    if isinstance(exc, MemoryAccessError):
        return ErrorCode.EFAULT
    if isinstance(exc, RegisterWriteError):
        return ErrorCode.EACCES
    return ErrorCode.EIO


def error_reply(exc: CheriotGdbError) -> bytes:
    return error(error_code(exc))


WATCH_REASONS = {WatchKind.WRITE: b"watch", WatchKind.READ: b"rwatch", WatchKind.ACCESS: b"awatch"}


def exit_reply(stop: Stop) -> bytes:
    """``W xx``. Only two hex digits unless gdb negotiated multiprocess (GDB manual, "Stop Reply
    Packets"), so a wider exit code is truncated here and spelled out in a console message."""
    return b"W%02x" % ((stop.exit_code or 0) & 0xFF)


def stop_reply(*, signal: int, thread: int, regnums: tuple[int, ...], values: Sequence[bytes],
               reason: bytes | None) -> bytes:
    """``T`` reply: signal, the expedited registers (``values[i]`` is ``regnums[i]``'s bytes),
    ``thread:``, then the stop reason if any (``watch:ADDR``, ``swbreak:`` ..., already
    formatted by ``stop_reason``)."""
    template = _TEMPLATES.get(regnums)
    if template is None:
        template = _TEMPLATES[regnums] = b"".join(
            [b"T%02x", *(b"%x:%%s;" % regnum for regnum in regnums), b"thread:%x;"])
    reply = template % (signal, *[hexlify(value) for value in values], thread)
    return reply if reason is None else reply + reason


# The reply's layout for each set of expedited registers (one in practice), built once: the
# values are filled in with one formatting operation (a stop reply per gdb stepi).
_TEMPLATES: dict[tuple[int, ...], bytes] = {}


def stop_reason(stop: Stop, breakpoint_kind: bytes | None) -> bytes | None:
    """``watch/rwatch/awatch:ADDR;`` for watchpoint stops; ``swbreak:;``/``hwbreak:;`` for
    breakpoint stops when ``breakpoint_kind`` is given (only if gdb negotiated it)."""
    if stop.kind is StopKind.WATCHPOINT and stop.watch is not None:
        return b"%s:%x;" % (WATCH_REASONS[stop.watch.kind], stop.watch.address)
    if stop.kind is StopKind.BREAKPOINT and breakpoint_kind is not None:
        return breakpoint_kind + b":;"
    return None


def console_output(text: str, max_payload: int) -> list[bytes]:
    """``O`` packets carrying ``text`` (hex), each at most ``max_payload`` bytes long."""
    return list(console_stream((text,), max_payload))


def console_stream(chunks: Iterable[str], max_payload: int) -> Iterator[bytes]:
    """``O`` packets for text produced piece by piece: each packet is sent as soon as a full
    one has accumulated, so output of any length never sits in memory as a whole."""
    per_packet = max(1, (max_payload - 1) // 2)
    pending = bytearray()
    for chunk in chunks:
        pending += chunk.encode()
        while len(pending) >= per_packet:
            yield b"O" + pending[:per_packet].hex().encode()
            del pending[:per_packet]
    if pending:
        yield b"O" + pending.hex().encode()


def thread_list_page(ids: Sequence[int], max_payload: int) -> tuple[bytes, list[int]]:
    """A ``qfThreadInfo``/``qsThreadInfo`` reply ``m id,id...`` with as many ids as fit in
    ``max_payload``, and the ids left for the next ``qsThreadInfo`` (``l`` when none are left)."""
    if not ids:
        return b"l", []
    out = b"m"
    for i, tid in enumerate(ids):
        item = (b"," if i else b"") + b"%x" % tid
        if len(out) + len(item) > max_payload and i:
            return out, list(ids[i:])
        out += item
    return out, []


def xfer_chunk(document: bytes, offset: int, length: int, max_payload: int) -> bytes:
    """A qXfer read reply: 'm' (more follows) or 'l' (last) plus escaped data from ``offset``.

    The escaped chunk is kept within both the requested length and our packet size.
    """
    limit = max(1, min(length, max_payload - 1))
    window = document[offset:offset + limit]
    out: bytes | bytearray = escape(window)
    pos = offset + len(window)
    if len(out) > limit:  # escapes made it longer: keep the longest prefix that fits
        out, pos = bytearray(), offset
        for b in window:
            piece = escape(bytes((b,)))
            if len(out) + len(piece) > limit:
                break
            out += piece
            pos += 1
    return (b"l" if pos >= len(document) else b"m") + bytes(out)


def threads_xml(threads: Sequence[ThreadInfo]) -> bytes:
    """The qXfer:threads:read document (GDB manual, "Thread List Format")."""
    root = ET.Element("threads")
    for t in threads:
        attrs = {"id": f"{t.id:x}"}
        if t.name:
            attrs["name"] = t.name
        ET.SubElement(root, "thread", attrs).text = t.extra or None
    ET.indent(root, space="  ")
    return b'<?xml version="1.0"?>\n' + ET.tostring(root, encoding="utf-8",
                                                    xml_declaration=False) + b"\n"
