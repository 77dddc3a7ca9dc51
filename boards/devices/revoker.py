"""The hardware background revoker of CHERIoT-Ibex ("TBRE"), isa.md §8.3.

Registers (32-bit): 0x00 ``base``, 0x04 ``top``, 0x08 ``control`` (reads 0x55000000; any write
starts a sweep unless one is running), 0x0C ``epoch`` (``completed << 1 | running``), 0x10
``interruptStatus``, 0x14 ``interruptRequested``.

Modelling choices (where the sources differ, isa.md §10.1):

* The sweep covers the granules ``[base & ~7, top)``: ``top`` is exclusive (as MPACT; the RTOS
  programs the exclusive end of the heap, and an inclusive end would touch the granule past
  the end of memory on Sonata). ``base``/``top`` are read when the sweep starts.
* Sealing-format capabilities (``SE``, ``US`` or ``U0``) are skipped, as CHERIoT-Ibex and the
  load filter do; a tagged capability whose base (rounded down to 8) is revoked is written
  back with its tag cleared.
* Time: a sweep takes ``cycles_per_granule`` instruction times per granule (at least one
  in total). The work is done lazily: whenever a register is accessed or ``update()`` runs, the
  granules whose time has come are swept, so the result is the same as a sweep that advances
  with the clock (the CPU cannot observe a revoked capability through ``CLC`` anyway: the load
  filter clears its tag). ``next_event()`` is the completion instant.
* Completion: the epoch's count goes up and the running bit clears; the status bit is set; if
  ``interruptRequested`` bit 0 is set, the ``irq`` line pulses (high then low: the RTOS
  configures the source as edge-triggered) and the request is consumed, since the RTOS writes
  it again before every wait ("an interrupt when the current sweep completes").
* ``interruptStatus`` reads return the status bit only while no interrupt is requested
  (CHERIoT-SAFE's polling mode); any write clears it.
"""

from __future__ import annotations

from typing import Protocol

import structlog

from cheriot_gdbserver.core.capability import SEALING_PERMS, Cap

from .base import MASK32, Clock, LineSetter, RegisterDevice

log = structlog.get_logger(__name__)

BASE, TOP, CONTROL, EPOCH = 0x00, 0x04, 0x08, 0x0C
INTERRUPT_STATUS, INTERRUPT_REQUESTED = 0x10, 0x14
CONTROL_READ = 0x5500_0000
SIZE = 0x1000


class RevokerBus(Protocol):
    """The memory the sweeper works on (the engine's bus provides it)."""

    def load_cap(self, address: int) -> tuple[int, bool]: ...
    def store_cap(self, address: int, bits: int, tag: bool) -> None: ...
    def revoked(self, address: int) -> bool: ...


class Revoker(RegisterDevice):
    def __init__(self, clock: Clock, bus: RevokerBus, irq: LineSetter, *,
                 cycles_per_granule: int = 1, size: int = SIZE) -> None:
        if cycles_per_granule < 1:
            raise ValueError("cycles_per_granule must be at least 1")
        self.size = size
        self.clock = clock
        self.bus = bus
        self._irq = irq
        self.cycles_per_granule = cycles_per_granule
        self.base = 0
        self.top = 0
        self.completed = 0            # sweeps finished (epoch >> 1)
        self.status = False
        self.requested = False
        self.running = False
        self.swept = 0                # capabilities whose tag the sweeps cleared, in total
        self._start = 0               # instant the running sweep started
        self._first = self._end = self._next = 0   # granule addresses of the running sweep

    @property
    def epoch(self) -> int:
        return ((self.completed << 1) | int(self.running)) & MASK32

    def start(self) -> None:
        """Begin a sweep of [base, top) unless one is running."""
        if self.running:
            return
        self.running = True
        self._start = self.clock.now()
        self._first = self._next = self.base & ~7
        self._end = max(self.top, self._first)
        log.debug("revoker.start", base=self._first, top=self._end, epoch=self.epoch)

    def _finish_at(self) -> int:
        granules = (self._end - self._first + 7) // 8
        return self._start + max(granules, 1) * self.cycles_per_granule

    def next_event(self) -> int | None:
        return self._finish_at() if self.running else None

    def update(self) -> None:
        if not self.running:
            return
        now = self.clock.now()
        due = self._first + 8 * ((now - self._start) // self.cycles_per_granule)
        while self._next < min(due, self._end):
            self._sweep_granule(self._next)
            self._next += 8
        if now >= self._finish_at():
            self._complete()

    def _sweep_granule(self, address: int) -> None:
        bits, tag = self.bus.load_cap(address)
        if not tag:
            return
        cap = Cap.from_bits(bits, tag)
        if cap.perms & SEALING_PERMS:
            return
        if self.bus.revoked(cap.base & ~7):
            self.bus.store_cap(address, bits, False)
            self.swept += 1

    def _complete(self) -> None:
        self.running = False
        self.completed += 1
        self.status = True
        log.debug("revoker.done", epoch=self.epoch, interrupt=self.requested)
        if self.requested:
            self.requested = False
            self._irq(True)
            self._irq(False)

    # --- registers ---------------------------------------------------------------------------

    def _peek_word(self, offset: int) -> int:
        if offset == BASE:
            return self.base
        if offset == TOP:
            return self.top
        if offset == CONTROL:
            return CONTROL_READ
        if offset == EPOCH:
            if self.running and self.clock.now() >= self._finish_at():
                return ((self.completed + 1) << 1) & MASK32  # done, update() not yet run
            return self.epoch
        if offset == INTERRUPT_STATUS:
            return int(self.status and not self.requested)
        if offset == INTERRUPT_REQUESTED:
            return int(self.requested)
        return 0

    def _read_word(self, offset: int) -> int:
        self.update()
        return self._peek_word(offset)

    def _write_word(self, offset: int, value: int) -> None:
        self.update()
        if offset == BASE:
            self.base = value
        elif offset == TOP:
            self.top = value
        elif offset == CONTROL:
            self.start()
        elif offset == INTERRUPT_STATUS:
            self.status = False
        elif offset == INTERRUPT_REQUESTED:
            self.requested = bool(value & 1)
