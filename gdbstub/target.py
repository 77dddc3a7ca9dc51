"""What the gdb stub needs from the thing it debugs: a ``typing.Protocol`` plus its small types.

The stub only ever talks to a ``Target``. Optional abilities are declared in ``supports`` and the
stub advertises exactly those (qSupported, vCont?, the qXfer objects), never more.
Errors: methods raise ``CheriotGdbError`` subclasses (``MemoryAccessError``, ``RegisterWriteError``
...) for refusals the user should see; the session turns them into ``Exx`` replies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from ..core.stops import Stop, TrapInfo, WatchKind
from .tdesc import RegisterTable


class Feature(Enum):
    """Optional target abilities; each one switches on packets and advertisements."""

    __hash__ = object.__hash__  # members are singletons: Enum's hash (a Python call) per lookup

    SW_BREAKPOINTS = "swbreak"      # Z0/z0, "swbreak:" stop reason
    HW_BREAKPOINTS = "hwbreak"      # Z1/z1, "hwbreak:" stop reason
    WRITE_WATCHPOINTS = "watch"     # Z2/z2
    READ_WATCHPOINTS = "rwatch"     # Z3/z3
    ACCESS_WATCHPOINTS = "awatch"   # Z4/z4
    SINGLE_STEP = "step"            # s/S and vCont s/S
    MEMORY_MAP = "memory-map"       # qXfer:memory-map:read
    MONITOR = "monitor"             # qRcmd
    RESTART = "restart"             # '!', vRun, R: extended-remote 'run' restarts the program


WATCH_FEATURES = {
    WatchKind.WRITE: Feature.WRITE_WATCHPOINTS,
    WatchKind.READ: Feature.READ_WATCHPOINTS,
    WatchKind.ACCESS: Feature.ACCESS_WATCHPOINTS,
}


@dataclass(frozen=True, slots=True)
class ResumeAction:
    """How to resume: one instruction or until a stop; ``signal`` is gdb's signal number to pass
    (None when gdb passes none); ``address`` is where to resume (None: at the current pc)."""

    step: bool
    signal: int | None = None
    address: int | None = None


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    """A thread as gdb lists it: ``Thread <id> "<name>" (<extra>)``. Ids are positive."""

    id: int
    name: str = ""
    extra: str = ""


class Target(Protocol):
    """The debugged system as the stub sees it. All calls come from the session thread except
    ``interrupt``, which the connection's run watch calls while ``resume`` is blocked."""

    @property
    def supports(self) -> frozenset[Feature]: ...

    @property
    def last_stop(self) -> Stop | None:
        """Why the target is stopped now (answers '?', also for a reconnecting client); None
        before it has ever run."""
        ...

    def register_table(self) -> RegisterTable: ...

    def read_register(self, regnum: int) -> bytes:
        """The register's bytes, exactly ``spec.size`` long, target (little-endian) order."""
        ...

    def read_registers(self, regnums: Sequence[int]) -> list[bytes | None]:
        """Several registers at once (the ``g`` block, a stop reply's expedited registers), each
        as ``read_register`` gives it; None for one that cannot be read (gdb's 'xx')."""
        ...

    def write_register(self, regnum: int, data: bytes) -> None: ...

    def read_memory(self, address: int, length: int) -> bytes:
        """Raise MemoryAccessError naming the first inaccessible address; the stub then returns
        the readable prefix."""
        ...

    def write_memory(self, address: int, data: bytes) -> None: ...

    def resume(self, action: ResumeAction) -> Stop:
        """Run until something stops the target; blocks. Must return promptly (INTERRUPTED) after
        ``interrupt()``, including one that arrived just before the call."""
        ...

    def interrupt(self) -> None:
        """Thread-safe request to stop the resume in progress (or the next one) with INTERRUPTED."""
        ...

    def insert_breakpoint(self, address: int, length: int, hardware: bool) -> None: ...
    def remove_breakpoint(self, address: int, length: int, hardware: bool) -> None: ...
    def insert_watchpoint(self, kind: WatchKind, address: int, length: int) -> None: ...
    def remove_watchpoint(self, kind: WatchKind, address: int, length: int) -> None: ...

    def threads(self) -> Sequence[ThreadInfo]:
        """At least one thread; the one that is executing comes from ``current_thread``."""
        ...

    def current_thread(self) -> int:
        """Id of the thread that executes (and that the last stop happened in)."""
        ...

    def select_thread(self, thread_id: int) -> None:
        """Make register reads and writes refer to ``thread_id`` (gdb's ``Hg``)."""
        ...

    def exception_signal(self, trap: TrapInfo) -> int:
        """gdb signal number for an EXCEPTION stop (architecture-specific; see signals.py)."""
        ...

    def memory_map_xml(self) -> str:
        """The memory-map document (only called when MEMORY_MAP is supported)."""
        ...

    def monitor(self, command: str) -> str | Iterable[str]:
        """Run a ``monitor`` command line; return its text output (only with MONITOR), whole or
        as an iterable of pieces that the stub streams to gdb as they are produced (for output
        of any length). Refusals belong in the text; an exception becomes an ``Exx`` reply."""
        ...

    def detach(self) -> None: ...
    def kill(self) -> None: ...

    def restart(self) -> None:
        """Start the program afresh, halted at its entry (only with RESTART)."""
        ...
