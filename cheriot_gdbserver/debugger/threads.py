"""The threads gdb sees, and where each one's registers come from.

A ``ThreadSource`` lists the threads at a stop (the target asks at most once per stop, when
gdb needs the list, and keeps the answer until the target runs, resets or is written to), and
names the running thread cheaply, for the stop reply. Each ``DebugThread`` carries gdb's
thread id, a name and a state text, and its registers: ``None`` for the thread that is running
(the live CPU), a ``SavedContext`` for the others. Before an RTOS model exists (or before its
scheduler has made threads), ``HartThreads`` stands for the hart as thread 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .contexts import RegisterContext

HART_THREAD_ID = 1


@dataclass(frozen=True, slots=True)
class DebugThread:
    """One thread as gdb lists it (``Thread <id> "<name>" (<extra>)``)."""

    id: int                                # positive; stable from stop to stop
    name: str
    extra: str = ""                         # qThreadExtraInfo: state, priority...
    context: RegisterContext | None = None  # None: running, its registers are the CPU's


class ThreadSource(Protocol):
    """Supplies the threads of a halted target; called at most once per stop."""

    def threads(self) -> Sequence[DebugThread]:
        """At least one thread. The running one (``context is None``) executes; if none is
        marked running, the first thread is taken as the one that executes."""
        ...

    def running(self) -> int | None:
        """The id ``threads()`` would mark running, found cheaply (a stop reply names it
        without the whole list being read); None when only the whole list can tell."""
        ...


class HartThreads:
    """The bare hart as one thread: what gdb sees without an RTOS model."""

    def threads(self) -> Sequence[DebugThread]:
        return (DebugThread(HART_THREAD_ID, "hart0", "CHERIoT hart"),)

    def running(self) -> int | None:
        return HART_THREAD_ID
