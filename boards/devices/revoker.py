"""The hardware background revoker of CHERIoT-Ibex ("TBRE"), isa.md §8.3.

Hardware references: the sweeper is cheriot-ibex ``rtl/cheri_tbre.sv``; the register block is
cheriot-safe ``src/msft_cheri_subsystem/msftDvIp_mmreg.sv`` (variant ``cheriot-safe``, the
ibex-safe-simulator board) or lowRISC sonata-system ``rtl/ip/rev_ctl/rtl/rev_ctl.sv`` with
``rtl/ip/rev_ctl/data/rev_ctl.hjson`` (variant ``sonata``). The RTOS driver for both is
cheriot-rtos ``sdk/include/platform/ibex/platform-hardware_revoker.hh``.

Registers (32-bit): 0x00 ``base``, 0x04 ``top``, 0x08 ``control`` (reads 0x55000000; a write
starts a sweep unless one is running), 0x0C ``epoch`` (``completed << 1 | running``), 0x10
interrupt status, 0x14 interrupt enable / request.

* Sweep (both variants, ``cheri_tbre.sv``): granules from ``base & ~7`` up to and including the
  granule that contains ``top`` (the walk stops once the next granule is above ``top[31:3]``);
  at least the first granule is loaded. Sealing-format capabilities (``SE``, ``US`` or ``U0``)
  are skipped, as the load filter does; a tagged capability whose base (rounded down to 8) is
  revoked is written back untagged. A granule with no memory behind it is skipped (the RTL
  records a bus error, ``tbre_err``, that software cannot read).
* ``cheriot-safe`` interrupt (``msftDvIp_mmreg.sv``): 0x14 is an ordinary read/write enable
  bit; the interrupt output is ``status AND enable``; completion sets status, and while enable
  is set status clears itself on the next cycle, so the output is a one-cycle pulse and a
  status read after an interrupt-mode sweep returns 0. Enabling after a completion that
  happened while disabled raises the interrupt at once (and clears status). Writes to 0x10
  are ignored.
* ``sonata`` interrupt (``rev_ctl.sv``): 0x14 is an ordinary read/write enable bit; the
  interrupt output is ``done AND enable`` (a one-cycle pulse at completion only, so enabling
  later raises nothing); status is set by a completion while disabled, cleared by any write to
  0x10, and cleared (without an interrupt) while enable is set.
* Time: a sweep takes ``cycles_per_granule`` instruction times per granule. The work is done
  lazily: whenever a register is accessed or ``update()`` runs, the granules whose time has
  come are swept, so the result is that of a sweep advancing with the clock (the CPU cannot
  observe a revoked capability through ``CLC`` anyway: the load filter clears its tag).
  ``next_event()`` is the completion instant. The RTL's cycle timing is not modelled.
"""

from __future__ import annotations

from typing import Protocol

import structlog

from cheriot_gdbserver.core.capability import SEALING_PERMS, Cap
from cheriot_gdbserver.core.hart import AccessFault

from .base import MASK32, Clock, LineSetter, RegisterDevice

log = structlog.get_logger(__name__)

BASE, TOP, CONTROL, EPOCH = 0x00, 0x04, 0x08, 0x0C
INTERRUPT_STATUS, INTERRUPT_REQUESTED = 0x10, 0x14
CONTROL_READ = 0x5500_0000
SIZE = 0x1000
VARIANTS = ("cheriot-safe", "sonata")


class RevokerBus(Protocol):
    """The memory the sweeper works on (the engine's bus provides it)."""

    def load_cap(self, address: int) -> tuple[int, bool]: ...
    def store_cap(self, address: int, bits: int, tag: bool) -> None: ...
    def revoked(self, address: int) -> bool: ...


class Revoker(RegisterDevice):
    def __init__(self, clock: Clock, bus: RevokerBus, irq: LineSetter, *,
                 cycles_per_granule: int = 1, size: int = SIZE,
                 variant: str = "cheriot-safe") -> None:
        if cycles_per_granule < 1:
            raise ValueError("cycles_per_granule must be at least 1")
        if variant not in VARIANTS:
            raise ValueError(f"unknown revoker variant {variant!r} (known: {VARIANTS})")
        self.variant = variant
        self.size = size
        self.clock = clock
        self.bus = bus
        self._irq = irq
        self.cycles_per_granule = cycles_per_granule
        self.base = 0
        self.top = 0
        self.completed = 0            # sweeps finished (epoch >> 1)
        self.status = False
        self.requested = False        # the interrupt-enable bit (0x14)
        self.running = False
        self.swept = 0                # capabilities whose tag the sweeps cleared, in total
        self._start = 0               # instant the running sweep started
        self._first = self._end = self._next = 0   # granule addresses of the running sweep

    @property
    def epoch(self) -> int:
        return ((self.completed << 1) | int(self.running)) & MASK32

    def start(self) -> None:
        """Begin a sweep of the granules from base through the one holding top."""
        if self.running:
            return
        self.running = True
        self._start = self.clock.now()
        self._first = self._next = self.base & ~7
        self._end = max(self.top & ~7, self._first) + 8  # exclusive: past top's granule
        log.debug("revoker.start", base=self._first, top=self._end, epoch=self.epoch)

    def _finish_at(self) -> int:
        granules = (self._end - self._first) // 8
        return self._start + granules * self.cycles_per_granule

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
        try:
            bits, tag = self.bus.load_cap(address)
        except AccessFault:
            return
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
        log.debug("revoker.done", epoch=self.epoch, interrupt=self.requested)
        # cheriot-safe: status is set, and self-clears the next cycle while enabled; sonata:
        # status is only set while disabled. Either way, enabled means one pulse now.
        self.status = not self.requested
        if self.requested:
            self._pulse()

    def _pulse(self) -> None:
        """The interrupt output is high for one cycle (the PLIC source is edge-triggered)."""
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
            return int(self.status)
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
            if self.variant == "sonata":
                self.status = False   # any write clears it; cheriot-safe: read-only
        elif offset == INTERRUPT_REQUESTED:
            self.requested = bool(value & 1)
            if self.requested and self.status:
                self.status = False   # auto-clear while enabled
                if self.variant == "cheriot-safe":
                    self._pulse()     # status & enable: a completion while disabled fires now
