"""CLINT: the machine timer (``mtime``/``mtimecmp``) and the software interrupt (``msip``).

Two register layouts exist on CHERIoT boards (isa.md §8.4):

* ``standard`` (sail, Sonata, MPACT): ``msip`` +0x0000, ``mtimecmp`` +0x4000/+0x4004,
  ``mtime`` +0xBFF8/+0xBFFC; ``MTIP`` is pending while ``mtime >= mtimecmp``.
* ``cheriot-safe`` (ibex-safe-simulator): ``msip`` +0x00, ``mtime`` +0x10/+0x14,
  ``mtimecmp`` +0x18/+0x1C; ``MTIP`` is pending while ``mtime > mtimecmp`` (strictly).

Time: ``mtime = offset + clock.now() // instructions_per_tick`` (the board's rate, see
``boards/board.py``); a write to ``mtime`` moves ``offset``. ``mtimecmp`` resets to 0, which
is what the Sail model's C emulator starts with; software programs it before enabling ``MTIE``.
Writing ``mtimecmp`` is also how the timer is acknowledged (the RTOS never writes ``msip``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import MASK32, MASK64, Clock, LineSetter, RegisterDevice


@dataclass(frozen=True, slots=True)
class ClintLayout:
    name: str
    size: int
    msip: int
    mtimecmp: int
    mtime: int
    strictly_greater: bool  # MTIP while mtime > mtimecmp (else >=)


STANDARD = ClintLayout("standard", 0x10000, msip=0x0000, mtimecmp=0x4000, mtime=0xBFF8,
                       strictly_greater=False)
CHERIOT_SAFE = ClintLayout("cheriot-safe", 0x1000, msip=0x00, mtimecmp=0x18, mtime=0x10,
                           strictly_greater=True)
LAYOUTS = {layout.name: layout for layout in (STANDARD, CHERIOT_SAFE)}


class Clint(RegisterDevice):
    """One hart's CLINT. ``variant`` is ``"standard"`` or ``"cheriot-safe"``."""

    def __init__(self, clock: Clock, set_mtip: LineSetter, set_msip: LineSetter, *,
                 variant: str = "standard", instructions_per_tick: int = 1,
                 size: int | None = None) -> None:
        if variant not in LAYOUTS:
            raise ValueError(f"unknown CLINT variant {variant!r} (one of {', '.join(LAYOUTS)})")
        if instructions_per_tick < 1:
            raise ValueError("instructions_per_tick must be at least 1")
        self.layout = LAYOUTS[variant]
        self.size = size if size is not None else self.layout.size
        self.clock = clock
        self.instructions_per_tick = instructions_per_tick
        self._set_mtip = set_mtip
        self._set_msip = set_msip
        self._offset = 0          # mtime - now // instructions_per_tick
        self.mtimecmp = 0
        self.msip = 0
        self._mtip_out = False
        self._msip_out = False

    # --- time -----------------------------------------------------------------------------

    def mtime(self) -> int:
        """The current ``mtime`` (also what the ``time`` CSR reads)."""
        return (self._offset + self.clock.now() // self.instructions_per_tick) & MASK64

    def set_mtime(self, value: int) -> None:
        self._offset = (value & MASK64) - self.clock.now() // self.instructions_per_tick
        self.update()

    @property
    def mtip(self) -> bool:
        if self.layout.strictly_greater:
            return self.mtime() > self.mtimecmp
        return self.mtime() >= self.mtimecmp

    def next_event(self) -> int | None:
        """The instant ``MTIP`` rises, if it is low (it falls only when software writes)."""
        if self.mtip:
            return None
        target = self.mtimecmp + (1 if self.layout.strictly_greater else 0)
        due = (target - self._offset) * self.instructions_per_tick
        if target > MASK64 or due > MASK64:
            return None  # never: past 2**64 ticks, or past what minstret can count
        return due

    def update(self) -> None:
        mtip = self.mtip
        if mtip != self._mtip_out:
            self._mtip_out = mtip
            self._set_mtip(mtip)
        msip = bool(self.msip & 1)
        if msip != self._msip_out:
            self._msip_out = msip
            self._set_msip(msip)

    # --- registers ------------------------------------------------------------------------

    def _peek_word(self, offset: int) -> int:
        layout = self.layout
        if offset == layout.msip:
            return self.msip
        if offset in (layout.mtimecmp, layout.mtimecmp + 4):
            return (self.mtimecmp >> (8 * (offset - layout.mtimecmp))) & MASK32
        if offset in (layout.mtime, layout.mtime + 4):
            return (self.mtime() >> (8 * (offset - layout.mtime))) & MASK32
        return 0

    def _read_word(self, offset: int) -> int:
        return self._peek_word(offset)

    def _write_word(self, offset: int, value: int) -> None:
        layout = self.layout
        if offset == layout.msip:
            self.msip = value & 1
        elif offset == layout.mtimecmp:
            self.mtimecmp = (self.mtimecmp & ~MASK32) | value
        elif offset == layout.mtimecmp + 4:
            self.mtimecmp = (self.mtimecmp & MASK32) | (value << 32)
        elif offset == layout.mtime:
            self.set_mtime((self.mtime() & ~MASK32) | value)
        elif offset == layout.mtime + 4:
            self.set_mtime((self.mtime() & MASK32) | (value << 32))
        else:
            return
        self.update()
