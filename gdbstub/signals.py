"""gdb's signal numbers, and which one each kind of stop is reported with.

The remote protocol carries gdb's own, host-independent numbering (binutils-gdb
``include/gdb/signals.def``, the ``GDB_SIGNAL_*`` values), not the host's: SIGBUS is 10 there
(7 is SIGEMT), SIGSTOP is 17 and SIGXCPU is 24, whatever Linux uses.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from ..core.stops import Stop, StopKind, TrapInfo


class GdbSignal(IntEnum):
    """The subset of ``signals.def`` this project reports."""

    NONE = 0
    INT = 2
    ILL = 4
    TRAP = 5
    ABRT = 6
    BUS = 10
    SEGV = 11
    STOP = 17
    XCPU = 24


# Fixed signal per stop kind; EXCEPTION depends on the trap and EXIT has no signal (W reply).
_KIND_SIGNAL = {
    StopKind.BREAKPOINT: GdbSignal.TRAP,
    StopKind.WATCHPOINT: GdbSignal.TRAP,
    StopKind.STEP: GdbSignal.TRAP,
    StopKind.INTERRUPTED: GdbSignal.INT,
    StopKind.BUDGET: GdbSignal.XCPU,   # "CPU time limit exceeded": the run's budget is spent
    StopKind.HALTED: GdbSignal.STOP,   # the hart can never run again on its own
    StopKind.LOCKUP: GdbSignal.ABRT,   # a trap that cannot be delivered
}


def signal_for_stop(stop: Stop, exception_signal: Callable[[TrapInfo], int]) -> int:
    """gdb signal for a stop other than EXIT; ``exception_signal`` classifies traps."""
    if stop.kind is StopKind.EXCEPTION:
        if stop.trap is None:
            return GdbSignal.TRAP
        return exception_signal(stop.trap)
    if stop.kind is StopKind.EXIT:
        raise ValueError("an EXIT stop is reported with W, not a signal")
    kind = stop.kind
    return GdbSignal.TRAP if kind is StopKind.STEP else _KIND_SIGNAL[kind]  # a stepi: no hash
