"""Bytes <-> packets for the GDB remote serial protocol: framing, checksums, escaping, RLE, acks.

This module knows nothing about what a packet means. ``Decoder`` turns an arbitrary stream of byte
chunks into events; ``frame`` turns a reply payload into the bytes to send.
References: GDB manual, "Overview" (framing, checksum, run-length encoding, escaping),
"Packet Acknowledgment" and "Interrupts" (Ctrl-C is a bare 0x03 byte outside any packet).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

INTERRUPT_BYTE = 0x03
ESCAPE = ord("}")
ESCAPE_XOR = 0x20
RLE_MARK = ord("*")
RLE_BIAS = 29  # the count character is (extra repeats + 29): ' ' means 3 more
_RLE_MIN_EXTRA, _RLE_MAX_EXTRA = 3, 126 - RLE_BIAS
_RLE_FORBIDDEN_EXTRA = frozenset({ord("#") - RLE_BIAS, ord("$") - RLE_BIAS})
_HEX = b"0123456789abcdef"
_RUNS = re.compile(rb"(.)\1{3,}", re.DOTALL)
_SPECIALS = re.compile(rb"[#$}*]")  # escaped; "*" too, so escaped data never looks like RLE


# --- events the decoder yields ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Packet:
    """A well-framed packet with a correct checksum; ``data`` is RLE-decoded, still escaped."""

    data: bytes


@dataclass(frozen=True, slots=True)
class BadChecksum:
    """A framed packet whose checksum did not match (``received`` is None if it was not hex)."""

    data: bytes
    expected: int
    received: int | None


@dataclass(frozen=True, slots=True)
class FrameError:
    """A framed packet that cannot be used: longer than the limit, or a broken run length."""

    reason: str


@dataclass(frozen=True, slots=True)
class Interrupt:
    """Ctrl-C: a 0x03 byte received between packets."""


@dataclass(frozen=True, slots=True)
class Ack:
    """'+' from the peer: the last packet we sent arrived intact."""


@dataclass(frozen=True, slots=True)
class Nak:
    """'-' from the peer: resend the last packet."""


Event = Packet | BadChecksum | FrameError | Interrupt | Ack | Nak


# --- pure helpers -------------------------------------------------------------------------------

def checksum(data: bytes) -> int:
    """Modulo-256 sum of the payload bytes as they appear on the wire."""
    return sum(data) & 0xFF


def escape(data: bytes) -> bytes:
    """Escape '#', '$', '}' and '*' as '}' followed by the byte xor 0x20 (binary data)."""
    return _SPECIALS.sub(_escaped, data)


def _escaped(match: re.Match[bytes]) -> bytes:
    return bytes((ESCAPE, match.group()[0] ^ ESCAPE_XOR))


def unescape(data: bytes) -> bytes:
    """Undo ``escape``. A trailing lone '}' is an error (raises ValueError)."""
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == ESCAPE:
            nxt = next(it, None)
            if nxt is None:
                raise ValueError("binary data ends with an unfinished '}' escape")
            out.append(nxt ^ ESCAPE_XOR)
        else:
            out.append(b)
    return bytes(out)


@functools.lru_cache(maxsize=1024)
def _rle_run(byte: bytes, run: int) -> bytes:
    """The encoding of ``run`` (4 or more) copies of ``byte``."""
    out = bytearray()
    extra = run - 1
    out += byte
    while extra >= _RLE_MIN_EXTRA:
        chunk = min(extra, _RLE_MAX_EXTRA)
        while chunk in _RLE_FORBIDDEN_EXTRA:
            chunk -= 1
        out += bytes((RLE_MARK, chunk + RLE_BIAS))
        extra -= chunk
        if extra >= _RLE_MIN_EXTRA:  # next chunk needs its own leading copy of the byte
            out += byte
            extra -= 1
    out += byte * extra
    return bytes(out)


def rle_encode(data: bytes) -> bytes:
    """Run-length encode a payload: ``c*N`` stands for c repeated N - 29 more times.

    Runs are only encoded when that saves bytes (4 or more equal bytes); counts that would produce
    '#' or '$' are shortened, as the GDB manual requires. The regular expression finds the runs
    (replies are mostly hex without runs, so the rest is copied at C speed).
    """
    return _RUNS.sub(lambda m: _rle_run(m.group(1), m.end() - m.start()), data)


def frame(data: bytes, *, rle: bool = False) -> bytes:
    """The wire form ``$payload#xx`` of a payload that is already escaped where needed."""
    payload = rle_encode(data) if rle else data
    csum = checksum(payload)
    return b"$" + payload + b"#" + bytes((_HEX[csum >> 4], _HEX[csum & 0xF]))


# --- incremental decoder ------------------------------------------------------------------------

class _State(Enum):
    IDLE = "idle"          # between packets
    DATA = "data"          # after '$'
    RLE_COUNT = "rle"      # after '*' inside the data
    DISCARD = "discard"    # over-long: skip to '#'
    CSUM_HI = "csum_hi"
    CSUM_LO = "csum_lo"


_DOLLAR = ord("$")


def _expand_runs(raw: bytes) -> bytes | None:
    """Undo run-length encoding of a payload, or None for anything irregular (an empty piece
    between two '*', a count that repeats nothing): the byte-by-byte decoder reports those."""
    first, *rest = raw.split(b"*")
    if not first:
        return None
    out = bytearray(first)
    for piece in rest:
        if not piece or piece[0] <= RLE_BIAS:
            return None
        out += out[-1:] * (piece[0] - RLE_BIAS)
        out += piece[1:]
    return bytes(out)


def _hex_value(b: int) -> int | None:
    if 0x30 <= b <= 0x39:
        return b - 0x30
    if 0x61 <= b <= 0x66:
        return b - 0x61 + 10
    if 0x41 <= b <= 0x46:
        return b - 0x41 + 10
    return None


class Decoder:
    """Incremental decoder: feed arbitrary chunks, get events in arrival order.

    ``max_length`` bounds the decoded payload; a longer packet is skipped up to its checksum and
    reported as ``FrameError`` (never as a NAK, which would make gdb resend it forever).
    """

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length
        self._state = _State.IDLE
        self._buf = bytearray()
        self._sum = 0
        self._csum_hi: int | None = None
        self._error: str | None = None

    def whole(self, chunk: bytes) -> Packet | None:
        """The packet ``chunk`` is, if it is exactly one of the frames gdb sends most (a
        single step) and no packet is part-way through; else None, and ``feed`` decodes it.
        The same event ``feed`` would give, without decoding byte by byte."""
        return _COMMON_FRAMES.get(chunk) if self._state is _State.IDLE else None

    def feed(self, chunk: bytes) -> Iterator[Event]:
        i, n = 0, len(chunk)
        while i < n:
            if self._state is _State.IDLE and chunk[i] == _DOLLAR:
                whole = self._whole_packet(chunk, i)
                if whole is not None:
                    packet, i = whole
                    yield packet
                    continue
            event = self._step(chunk[i])
            i += 1
            if event is not None:
                yield event

    def _whole_packet(self, chunk: bytes, start: int) -> tuple[Event, int] | None:
        """The packet starting at ``chunk[start]`` ('$') when all of it is in ``chunk`` and it
        is regular (no '$' inside, well-formed run-length counts, within ``max_length``), with
        the index after it; else None, and the byte-by-byte decoder takes it (same events)."""
        end = chunk.find(b"#", start + 1)
        if end < 0 or end + 2 >= len(chunk):
            return None
        raw = chunk[start + 1:end]
        if b"$" in raw or len(raw) > self.max_length:
            return None
        data = bytes(raw)
        if RLE_MARK in raw:
            expanded = _expand_runs(raw)
            if expanded is None or len(expanded) > self.max_length:
                return None
            data = expanded
        total = sum(raw) & 0xFF
        hi, lo = _hex_value(chunk[end + 1]), _hex_value(chunk[end + 2])
        received = None if hi is None or lo is None else (hi << 4) | lo
        event: Event = Packet(data) if received == total else BadChecksum(data, total, received)
        return event, end + 3

    def _start(self) -> None:
        self._state = _State.DATA
        self._buf.clear()
        self._sum = 0
        self._error = None

    def _step(self, b: int) -> Event | None:
        state = self._state
        if state is _State.IDLE:
            if b == ord("$"):
                self._start()
            elif b == ord("+"):
                return Ack()
            elif b == ord("-"):
                return Nak()
            elif b == INTERRUPT_BYTE:
                return Interrupt()
            return None  # noise between packets is ignored
        if state is _State.CSUM_HI:
            self._csum_hi = _hex_value(b)
            self._state = _State.CSUM_LO
            return None
        if state is _State.CSUM_LO:
            return self._finish(_hex_value(b))
        if b == ord("#"):
            if state is _State.RLE_COUNT:
                self._error = "run-length marker '*' without a count"
            self._state = _State.CSUM_HI
            return None
        self._sum = (self._sum + b) & 0xFF
        if state is _State.DISCARD:
            return None
        if state is _State.RLE_COUNT:
            self._state = _State.DATA
            repeat = b - RLE_BIAS
            if repeat <= 0 or not self._buf:
                self._error = f"invalid run-length count {b:#04x}"
            else:
                self._buf += bytes((self._buf[-1],)) * repeat
                self._check_length()
            return None
        if b == ord("$"):  # a new packet started before this one ended: drop the partial one
            self._start()
            return None
        if b == RLE_MARK:
            self._state = _State.RLE_COUNT
            return None
        self._buf.append(b)
        self._check_length()
        return None

    def _check_length(self) -> None:
        if len(self._buf) > self.max_length:
            self._error = f"packet longer than {self.max_length} bytes"
            self._state = _State.DISCARD
            self._buf.clear()

    def _finish(self, lo: int | None) -> Event:
        self._state = _State.IDLE
        data = bytes(self._buf)
        self._buf.clear()
        if self._error is not None:
            return FrameError(self._error)
        hi = self._csum_hi
        received = None if hi is None or lo is None else (hi << 4) | lo
        if received != self._sum:
            return BadChecksum(data, self._sum, received)
        return Packet(data)


# gdb's stepi (vCont;s, or s without vCont) in the framing ``frame`` gives, as gdb sends it.
_COMMON_FRAMES = {frame(payload): Packet(payload) for payload in (b"vCont;s", b"s")}
