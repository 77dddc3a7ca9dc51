"""PLIC: the platform-level interrupt controller, one context (hart 0, M-mode), in two variants.

``standard`` follows the RISC-V PLIC specification (Sonata; isa.md §8.4). ``cheriot-safe``
follows cheriot-safe ``src/msft_cheri_subsystem/msftDvIp_plic.sv`` (ibex-safe-simulator); its
differences are listed at the end.

Layout (isa.md §8.4): priority of source *n* at ``4*n``; pending bits at +0x1000; enable bits
for context 0 at +0x2000 (32 sources per word); threshold at +0x200000; claim/complete at
+0x200004. Source 0 does not exist (its priority and bits read as 0).

Behaviour, following the RISC-V PLIC specification:

* Devices drive sources with ``set_source(n, level)``. Each source has a gateway: a *level*
  source becomes pending while its line is high; an *edge* source becomes pending on a rising
  edge. Once a source has been claimed it cannot become pending again until it is completed;
  a level source whose line is still high, or an edge source that saw another rising edge in
  the meantime (latched, at most one), becomes pending again at completion.
* ``MEIP`` is asserted while some source is pending, enabled, and has a priority above the
  threshold (so priority 0 never interrupts).
* Reading claim/complete returns the highest-priority such source (lowest number on a tie),
  clears its pending bit and marks it in service; 0 if there is none. Writing a source number
  completes it; a completion for a source that is not in service or not enabled is ignored.
* Priorities are ``priority_bits`` wide (values are masked); the pending bits are read-only.

``cheriot-safe`` (msftDvIp_plic.sv):

* Offset 0 is a read/write per-source trigger register (bit *n*: source *n* is edge-triggered),
  initialised from the board's ``edge_triggered`` sources; there is no source-0 priority.
* There is no pending-bits register: +0x1000 reads 0.
* Claim returns the best pending enabled source of non-zero priority whatever the threshold
  (the threshold only gates ``MEIP``); a completion needs no enable.
* The gateway blocks a source from claim-time capture until its completion: an edge that
  arrives while it is pending or in service is dropped, not latched.

Divergence: the RTL numbers its per-source registers from source 1 at bit 0 / word 0; here, as
in the standard layout and the RTOS's board numbering, bit *n* and word *n* are source *n*.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import MASK32, LineSetter, RegisterDevice

PRIORITY = 0x0000
PENDING = 0x1000
ENABLE = 0x2000
THRESHOLD = 0x200000
CLAIM = 0x200004
SIZE = 0x400000
TRIGGER = 0x0000  # cheriot-safe: edge/level per source
VARIANTS = ("standard", "cheriot-safe")


class Plic(RegisterDevice):
    def __init__(self, set_meip: LineSetter, *, sources: int = 31,
                 edge_sources: Iterable[int] = (), priority_bits: int = 3,
                 size: int = SIZE, variant: str = "standard") -> None:
        if not 1 <= sources <= 1023:
            raise ValueError(f"a PLIC has 1 to 1023 sources, not {sources}")
        if variant not in VARIANTS:
            raise ValueError(f"unknown PLIC variant {variant!r} (known: {VARIANTS})")
        self.safe = variant == "cheriot-safe"
        self.variant = variant
        self.size = size
        self.sources = sources
        self.priority_mask = (1 << priority_bits) - 1
        self.edge = frozenset(edge_sources)
        for n in self.edge:
            self._check_source(n)
        self._set_meip = set_meip
        self.priority = [0] * (sources + 1)
        self.enabled: set[int] = set()
        self.threshold = 0
        self.pending: set[int] = set()
        self.in_service: set[int] = set()
        self._line = [False] * (sources + 1)
        self._latched: set[int] = set()   # edge seen while in service
        self._meip_out = False

    # --- inputs from devices ---------------------------------------------------------------

    def set_source(self, n: int, level: bool) -> None:
        """Drive interrupt source ``n`` (1..sources) to ``level``."""
        self._check_source(n)
        rising = level and not self._line[n]
        self._line[n] = level
        if n in self.edge:
            if rising:
                if n not in self.in_service and n not in self.pending:
                    self.pending.add(n)
                elif not self.safe:  # the RTL's gateway drops it
                    self._latched.add(n)
        elif level and n not in self.in_service:
            self.pending.add(n)
        self.update()

    def _check_source(self, n: int) -> None:
        if not 1 <= n <= self.sources:
            raise ValueError(f"PLIC source {n} does not exist (1..{self.sources})")

    # --- output ------------------------------------------------------------------------------

    def best_pending(self, threshold: int | None = None) -> int:
        """The highest-priority pending enabled source above ``threshold`` (0 if none)."""
        best, best_priority = 0, self.threshold if threshold is None else threshold
        for n in sorted(self.pending & self.enabled):
            if self.priority[n] > best_priority:
                best, best_priority = n, self.priority[n]
        return best

    def _claimable(self) -> int:
        """What a claim returns: the cheriot-safe RTL ignores the threshold there."""
        return self.best_pending(0) if self.safe else self.best_pending()

    def update(self) -> None:
        meip = self.best_pending() != 0
        if meip != self._meip_out:
            self._meip_out = meip
            self._set_meip(meip)

    def claim(self) -> int:
        n = self._claimable()
        if n:
            self.pending.discard(n)
            self.in_service.add(n)
            self.update()
        return n

    def complete(self, n: int) -> None:
        if n not in self.in_service or (n not in self.enabled and not self.safe):
            return
        self.in_service.discard(n)
        if n in self.edge:
            if n in self._latched:
                self._latched.discard(n)
                self.pending.add(n)
        elif self._line[n]:
            self.pending.add(n)
        self.update()

    # --- registers ---------------------------------------------------------------------------

    def _bits(self, members: set[int], word: int) -> int:
        first = 32 * word
        return sum(1 << (n - first) for n in members if first <= n < first + 32)

    def _peek_word(self, offset: int) -> int:
        if self.safe and offset == TRIGGER:
            return self._bits(set(self.edge), 0)
        if self.safe and PENDING <= offset < ENABLE:
            return 0  # no pending-bits register in msftDvIp_plic.sv
        if offset < PENDING:
            n = offset // 4
            return self.priority[n] if n <= self.sources else 0
        if PENDING <= offset < ENABLE:
            return self._bits(self.pending, (offset - PENDING) // 4)
        if ENABLE <= offset < ENABLE + 0x80:
            return self._bits(self.enabled, (offset - ENABLE) // 4)
        if offset == THRESHOLD:
            return self.threshold
        if offset == CLAIM:
            return self._claimable()
        return 0

    def _read_word(self, offset: int) -> int:
        if offset == CLAIM:
            return self.claim()
        return self._peek_word(offset)

    def _write_word(self, offset: int, value: int) -> None:
        if self.safe and offset == TRIGGER:
            self.edge = frozenset(n for n in range(1, min(32, self.sources + 1))
                                  if value >> n & 1)
        elif offset < PENDING:
            n = offset // 4
            if 1 <= n <= self.sources:
                self.priority[n] = value & self.priority_mask
        elif ENABLE <= offset < ENABLE + 0x80:
            first = 32 * ((offset - ENABLE) // 4)
            for bit in range(32):
                n = first + bit
                if 1 <= n <= self.sources:
                    if value & (1 << bit):
                        self.enabled.add(n)
                    else:
                        self.enabled.discard(n)
        elif offset == THRESHOLD:
            self.threshold = value & self.priority_mask
        elif offset == CLAIM:
            self.complete(value & MASK32)
            return
        else:
            return
        self.update()
