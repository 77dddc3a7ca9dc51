"""The RTOS's live state at one stop, read through a TargetView and cached for that stop.

Make one ``RtosState`` per stop (or call ``invalidate()`` when the target has run): every
answer is computed on first use from target memory and kept until then, never longer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from ...core.capability import Cap
from ..view import TargetView, ViewError
from .audit import build_report
from .faults import FaultOutcome, outcome
from .futexes import Futex, read_futexes
from .heap import Chunk, Heap, read_heap
from .image import RtosImage
from .model import Region, SealingType
from .names import demangle
from .reader import Reader
from .reboots import MicroReboot, read_reboots
from .sealing import SealedInfo, identify
from .threads import SavedContext, Thread, ThreadReader, ThreadState

T = TypeVar("T")
_CACHED = ("_threads", "_current_id", "_one_thread", "_futexes", "_heap", "_sealing_types",
           "_regions", "_reboots")


class RtosState:
    def __init__(self, image: RtosImage, view: TargetView) -> None:
        self.image = image
        self.view = view
        self.reader = Reader(view)
        self.thread_reader = ThreadReader(image, self.reader)
        self._memo: dict[str, Any] = {}

    def invalidate(self) -> None:
        """Forget everything read: the target has run since."""
        for name in _CACHED:
            self.__dict__.pop(name, None)
        self._memo.clear()
        self.thread_reader.generation += 1  # Threads read before refuse to read on

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until ``invalidate``: for a view over this stop's state that a
        caller above the model derives (the gdb extension's image document...)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # --- threads ------------------------------------------------------------------------------

    @cached_property
    def _threads(self) -> tuple[Thread, ...]:
        return self.thread_reader.read_all(self.__dict__.get("_one_thread", {}))

    def threads(self) -> tuple[Thread, ...]:
        return self._threads

    def thread(self, thread_id: int) -> Thread | None:
        """One thread; only its own state is read while the list is not (a fault's thread)."""
        if "_threads" in self.__dict__:
            return next((t for t in self._threads if t.id == thread_id), None)
        one = self.__dict__.setdefault("_one_thread", {})
        if thread_id not in one:
            one[thread_id] = self.thread_reader.read_one(thread_id)
        return one[thread_id]

    def context(self, thread_id: int) -> SavedContext | None:
        """The registers gdb should show for a thread: the live CPU for the running thread
        (unless the CPU is in the trap path or the scheduler, where the save area is the
        freshest copy), the trusted stack's save area for every other thread."""
        thread = self.thread(thread_id)
        if thread is None:
            return None
        if thread.on_cpu:
            live = self.thread_reader.live_context()
            if live is not None:
                return live
        return thread.context

    def idle_context(self) -> SavedContext | None:
        """The idle thread's save area (thread ID 0): the trusted stack the scheduler keeps in
        ``schedTStack``, else the loader's ``bootTStack`` (1.6)."""
        at = self.thread_reader.symbols.get("sched_tstack")
        handle = self.reader.maybe(self.reader.cap, at) if at is not None else None
        if handle is not None and handle.address:
            return self.thread_reader.context(handle.address)
        boot = self.image.symbols.named("bootTStack")
        return self.thread_reader.context(boot[0].address) if boot else None

    def fault_outcome(self, thread_id: int | None = None, mcause: int | None = None
                      ) -> FaultOutcome | None:
        """What the switcher will do with the fault ``mcause`` (default: the CPU's) of thread
        ``thread_id`` (default: the running one)."""
        thread = self.thread(thread_id if thread_id is not None else self.current_thread_id())
        if thread is None:
            return None
        if mcause is None:
            try:
                mcause = self.view.csr("mcause")
            except (ViewError, KeyError, ValueError):
                return None
        return outcome(self, thread, mcause)

    def current_thread_id(self) -> int:
        """The running thread's ID; 0 while the idle thread (or nothing yet) runs. Two reads
        (the scheduler's ``current`` and the block it names) until the thread list is read."""
        if "_threads" in self.__dict__:
            running = next((t for t in self._threads if t.on_cpu), None)
            return running.id if running else 0
        if "_current_id" not in self.__dict__:
            self.__dict__["_current_id"] = self.thread_reader.current_id()
        return self.__dict__["_current_id"]

    def threads_started(self) -> bool:
        """Whether the scheduler has constructed its thread blocks (before, the hart runs
        boot code); reads no save area when the list is not read yet."""
        if "_threads" in self.__dict__:
            return any(t.state != ThreadState.NOT_STARTED for t in self._threads)
        return bool(self.current_thread_id()) or self.thread_reader.any_started()

    # --- futexes, sealing, heap ---------------------------------------------------------------

    @cached_property
    def _futexes(self) -> tuple[Futex, ...]:
        return read_futexes(self)

    def futexes(self) -> tuple[Futex, ...]:
        return self._futexes

    @cached_property
    def _sealing_types(self) -> dict[int, SealingType]:
        """Static sealing types as the loader numbered them: read from the persistent export
        tables (the number is the live ``functionStart`` of the sealing-type entry, 5.4)."""
        out = {}
        for comp in self.image.components:
            for exp in comp.exports:
                if exp.is_sealing_type:
                    number = self.reader.maybe(self.reader.u16, exp.address)
                    if number:
                        out[number] = SealingType(comp.name, exp.function, exp.address,
                                                  exp.symbol)
        return out

    def sealing_type(self, number: int) -> SealingType | None:
        return self._sealing_types.get(number)

    def sealed(self, cap: Cap) -> SealedInfo:
        return identify(self, cap)

    @cached_property
    def _heap(self) -> Heap:
        return read_heap(self)

    def heap(self) -> Heap:
        return self._heap

    def _heap_or_none(self) -> Heap | None:
        try:
            return self._heap
        except ViewError:
            return None

    def chunk(self, address: int) -> Chunk | None:
        for chunk in self._heap.chunks:
            if chunk.header <= address < chunk.header + chunk.size:
                return chunk
        return None

    # --- micro-reboots ------------------------------------------------------------------------

    @cached_property
    def _reboots(self) -> tuple[MicroReboot, ...] | None:
        return read_reboots(self)

    def reboots(self) -> tuple[MicroReboot, ...] | None:
        """Each rebootable compartment's reboot count and last cause; None when the image
        does not support micro-reboots (every official RTOS image)."""
        return self._reboots

    def reboot(self, compartment: str) -> MicroReboot | None:
        return next((r for r in self._reboots or () if r.compartment == compartment), None)

    # --- where --------------------------------------------------------------------------------

    @cached_property
    def _regions(self) -> list[Region]:
        regions = self.image.static_regions()
        # Most specific first: the smallest region containing the address wins.
        return sorted(regions, key=lambda reg: reg.end - reg.start)

    def where(self, what: int | Cap) -> Region | None:
        """What an address (or a capability's address) belongs to."""
        cap = what if isinstance(what, Cap) else None
        address = what.address if isinstance(what, Cap) else what
        found = None
        in_heap = address in self.image.heap
        # Once the allocator runs, the heap range is heap only: the loader's code and data, the
        # header and the library export tables linked there were erased at boot (1.6).
        if in_heap and self._heap_or_none() is not None and self._heap.initialised:
            chunk = self.chunk(address)
            found = Region("heap chunk", chunk.quota or f"quota {chunk.owner}", chunk.header,
                           chunk.header + chunk.size,
                           chunk.state + (", a sealed (token) object" if chunk.sealed else "")
                           ) if chunk is not None else \
                Region("heap", "allocator", self.image.heap.start, self.image.heap.end,
                       "allocator state (MState, hazard quarantine)")
        if found is None:
            found = next((reg for reg in self._regions if reg.start <= address < reg.end), None)
        if found is None and in_heap:
            found = Region("heap", "allocator", self.image.heap.start, self.image.heap.end)
        if found is None:
            return None
        detail = found.detail
        sym = self.image.symbols.containing(address)
        if sym is not None and found.kind in ("code", "globals", "import table",
                                              "export table"):
            detail = f"{demangle(sym.name)}+{address - sym.address:#x}"
        if found.kind in ("stack", "trusted stack"):
            detail = detail or f"{found.end - address:#x} bytes below the top"
        if cap is not None and cap.sealed:
            detail = (detail + "; " if detail else "") + self.sealed(cap).description
        return Region(found.kind, found.owner, found.start, found.end, detail)

    def describe_location(self, address: int) -> str:
        region = self.where(address)
        return region.describe() if region else f"{address:#010x} (nothing known)"

    # --- audit --------------------------------------------------------------------------------

    def audit(self, name: str | None = None) -> dict[str, Any]:
        return build_report(self.image, name)
