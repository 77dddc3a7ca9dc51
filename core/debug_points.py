"""Breakpoints, watchpoints and store observers, and their published form for the fast path.

The fast path sees a breakpoint as a flag on the decode entry of its address (``F_BREAKPOINT``)
and a watched range in the shared state's watch slots; any instruction that meets one takes the
slow path, where the engine stops. Store observers (the HTIF ``tohost`` word) share the slots
as write ranges, so stores to them reach Python too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EngineError
from .decode import Instr, Kind
from .memory import Memory
from .state import F_BREAKPOINT, WATCH_READ, WATCH_WRITE, CoreState
from .stops import WatchHit, WatchKind

_WATCH_MODE = {WatchKind.READ: WATCH_READ, WatchKind.WRITE: WATCH_WRITE,
               WatchKind.ACCESS: WATCH_READ | WATCH_WRITE}
_DATA_OPS = {"clc": False, "csc": True}   # capability loads and stores: is it a write?


@dataclass(frozen=True)
class Watchpoint:
    address: int
    length: int
    kind: WatchKind


class DebugPoints:
    def __init__(self, core: CoreState, memory: Memory) -> None:
        self._core = core
        self._memory = memory
        self.breakpoints: set[int] = set()
        self.watchpoints: list[Watchpoint] = []
        self.store_observers: list[tuple[int, int]] = []

    def add_breakpoint(self, address: int) -> None:
        self.breakpoints.add(address)
        self.mark(address)

    def remove_breakpoint(self, address: int) -> None:
        self.breakpoints.discard(address)
        self.mark(address)

    def mark(self, address: int) -> None:
        """Publish whether ``address`` holds a breakpoint into its decode entry."""
        region = self._memory.ram_at(address)
        if region is None or region.dtab is None:
            return  # a breakpoint outside executable RAM can never be reached by the fast path
        entry = region.dtab[(address - region.base) >> 1]
        if address in self.breakpoints:
            entry.flags |= F_BREAKPOINT
        else:
            entry.flags &= ~F_BREAKPOINT

    def add_watchpoint(self, address: int, length: int, kind: WatchKind) -> None:
        """EngineError when every slot is taken; a refused watchpoint leaves nothing behind."""
        self.watchpoints.append(Watchpoint(address, length, kind))
        try:
            self._publish()
        except EngineError:
            self.watchpoints.pop()
            raise

    def remove_watchpoint(self, address: int, length: int, kind: WatchKind) -> bool:
        wp = Watchpoint(address, length, kind)
        if wp not in self.watchpoints:
            return False
        self.watchpoints.remove(wp)
        self._publish()
        return True

    def observe_stores(self, address: int, length: int) -> None:
        """Route stores to [address, address+length) through Python (e.g. HTIF ``tohost``)."""
        self.store_observers.append((address, length))
        self._publish()

    def watch_hit(self, instr: Instr, base: int) -> WatchHit | None:
        """The watchpoint ``instr`` (about to run, its base register holding ``base``) hits."""
        if instr.kind in (Kind.LOAD, Kind.STORE):
            is_write = instr.kind is Kind.STORE
        elif instr.op in _DATA_OPS:
            is_write = _DATA_OPS[instr.op]
        else:
            return None
        va = (base + instr.imm) & 0xFFFF_FFFF
        wanted = WatchKind.WRITE if is_write else WatchKind.READ
        for wp in self.watchpoints:
            if wp.kind not in (wanted, WatchKind.ACCESS):
                continue
            if va < wp.address + wp.length and va + instr.width > wp.address:
                return WatchHit(wp.address, va, wp.kind, is_write)
        return None

    def _publish(self) -> None:
        core = self._core
        ranges = [(wp.address, wp.length, _WATCH_MODE[wp.kind]) for wp in self.watchpoints]
        ranges += [(a, n, _WATCH_MODE[WatchKind.WRITE]) for a, n in self.store_observers]
        if len(ranges) > len(core.watch_lo):
            free = len(core.watch_lo) - len(self.store_observers)
            raise EngineError(f"at most {free} watchpoints are supported on this board")
        for i, (address, length, mode) in enumerate(ranges):
            core.watch_lo[i] = address
            core.watch_hi[i] = min(address + length, 0xFFFF_FFFF)
            core.watch_mode[i] = mode
        core.nwatch = len(ranges)
