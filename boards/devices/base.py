"""What every device model offers the machine, and the clock they all share.

Contract (the engine's bus and the debugger use only this):

* ``size``: bytes of the device's window; offsets passed in are always ``0 <= offset < size``.
* ``read(offset, size)`` is a guest access and may have side effects (a PLIC claim, a UART
  receive); ``write(offset, size, value)`` likewise. ``size`` is 1, 2, 4 or 8.
* ``peek(offset, size)`` is the debugger's read: no side effects; ``None`` means "refused"
  (the stub then answers with an error instead of guessing).
* Time: a device is given a ``Clock`` at construction. ``clock.now()`` is the only time base: a
  count of instruction times (instructions retired, plus those skipped while the hart sleeps in
  ``wfi``), never host time, so runs are deterministic. ``next_event()`` names the instant at
  which the device's outputs next change by themselves (a timer compare reached, a sweep done),
  or ``None``; the engine calls ``update()`` once the clock has reached it, and ``wfi`` jumps
  the clock to the earliest such instant.
* Outputs (interrupt lines, exit requests) are callbacks given at construction. They are called
  on *changes* only, and every line is low until the first ``update()``, which the machine calls
  once after building the devices.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from typing import BinaryIO, Protocol

MASK32 = 0xFFFF_FFFF
MASK64 = (1 << 64) - 1

LineSetter = Callable[[bool], None]  # an interrupt output: called with the new level
ExitHandler = Callable[[int], None]  # asks the machine to end the run with an exit code


class Clock(Protocol):
    def now(self) -> int:
        """Instruction times elapsed since reset (monotonic, never host time)."""
        ...


class ManualClock:
    """A clock that moves only when told to: for tests and for headless tools."""

    def __init__(self, start: int = 0) -> None:
        self._now = start

    def now(self) -> int:
        return self._now

    def advance(self, instructions: int) -> None:
        if instructions < 0:
            raise ValueError("the clock cannot go backwards")
        self._now += instructions

    def set(self, now: int) -> None:
        if now < self._now:
            raise ValueError(f"the clock cannot go backwards ({now} < {self._now})")
        self._now = now


class Device(ABC):
    """A memory-mapped device model (see the module docstring for the contract)."""

    size: int
    # True when a register read can move next_event() (a FIFO read restarting a timeout): the
    # machine then re-evaluates this device's events after any device write, not only its own.
    events_follow_reads: bool = False

    @abstractmethod
    def read(self, offset: int, size: int) -> int: ...

    @abstractmethod
    def write(self, offset: int, size: int, value: int) -> None: ...

    @abstractmethod
    def peek(self, offset: int, size: int) -> int | None: ...

    def next_event(self) -> int | None:
        return None

    def update(self) -> None:  # noqa: B027 - optional: devices without time do nothing
        """Recompute the outputs for ``clock.now()``."""


class RegisterDevice(Device):
    """A device made of 32-bit registers at 4-byte offsets.

    Narrower, wider and misaligned accesses are assembled from whole-register accesses, so that
    subclasses only implement ``_read_word``, ``_write_word`` and ``_peek_word`` (offsets are
    multiples of 4). A partial write merges with the register's side-effect-free value. Offsets
    with no register read as 0 and ignore writes, like reserved registers in hardware.
    """

    @abstractmethod
    def _read_word(self, offset: int) -> int: ...

    @abstractmethod
    def _write_word(self, offset: int, value: int) -> None: ...

    @abstractmethod
    def _peek_word(self, offset: int) -> int: ...

    def read(self, offset: int, size: int) -> int:
        return self._gather(offset, size, self._read_word)

    def peek(self, offset: int, size: int) -> int | None:
        return self._gather(offset, size, self._peek_word)

    def write(self, offset: int, size: int, value: int) -> None:
        end = offset + size
        word = offset & ~3
        while word < end:
            lo, hi = max(offset, word), min(end, word + 4)
            part = (value >> (8 * (lo - offset))) & ((1 << (8 * (hi - lo))) - 1)
            if lo == word and hi == word + 4:
                merged = part
            else:
                mask = ((1 << (8 * (hi - lo))) - 1) << (8 * (lo - word))
                merged = (self._peek_word(word) & ~mask) | (part << (8 * (lo - word)))
            self._write_word(word, merged & MASK32)
            word += 4

    @staticmethod
    def _gather(offset: int, size: int, fetch: Callable[[int], int]) -> int:
        value = 0
        end = offset + size
        word = offset & ~3
        while word < end:
            lo, hi = max(offset, word), min(end, word + 4)
            bits = (fetch(word) >> (8 * (lo - word))) & ((1 << (8 * (hi - lo))) - 1)
            value |= bits << (8 * (lo - offset))
            word += 4
        return value


class PlainMemory(Device):
    """Register storage with no behaviour: for peripherals a board lists but we do not model."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._bytes = bytearray(size)

    def read(self, offset: int, size: int) -> int:
        return int.from_bytes(self._bytes[offset:offset + size], "little")

    def peek(self, offset: int, size: int) -> int | None:
        return self.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        size = min(size, self.size - offset)
        self._bytes[offset:offset + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(
            size, "little")


class ConsoleOutput:
    """The host side of a serial line's transmitter, shared by the UART models: bytes go to an
    output stream (flushed at each newline) and the most recent ones are kept for
    ``monitor uart``."""

    def __init__(self, output: BinaryIO | None, history: int) -> None:
        self.output = output if output is not None else sys.stdout.buffer
        self._history: deque[int] = deque(maxlen=history)

    def recent_output(self, count: int | None = None) -> bytes:
        """The last ``count`` bytes transmitted (all that are kept if ``None``)."""
        data = bytes(self._history)
        return data if count is None else data[-count:] if count else b""

    def flush(self) -> None:
        self.output.flush()

    def emit(self, byte: int) -> None:
        self._history.append(byte)
        self.output.write(bytes((byte,)))
        if byte == 0x0A:
            self.output.flush()
