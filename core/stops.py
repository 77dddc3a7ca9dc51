"""What the engine reports when it stops: the contract between the engine and everything above it.

The engine runs until one of these happens and returns a ``Stop`` that says exactly what happened;
callers (the gdb stub, the headless runner) decide what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .capability import Cap
from .decode import Instr, disassemble


class StopKind(Enum):
    BREAKPOINT = "breakpoint"      # a breakpoint at ``pc``; the instruction has not executed
    WATCHPOINT = "watchpoint"      # a data access hit a watchpoint; ``watch`` says which
    STEP = "step"                  # the requested number of instructions retired
    EXCEPTION = "exception"        # a trap is about to be taken and ``catch`` asked to stop
    EXIT = "exit"                  # the firmware asked the simulation to end (``exit_code``)
    BUDGET = "budget"              # the instruction budget of this run is used up
    INTERRUPTED = "interrupted"    # request_stop() was called (Ctrl-C)
    HALTED = "halted"              # nothing can ever happen again (wfi with no wake source)
    LOCKUP = "lockup"              # a trap that cannot be delivered (untagged or unmapped MTCC)


class WatchKind(Enum):
    WRITE = "write"
    READ = "read"
    ACCESS = "access"


@dataclass(frozen=True, slots=True)
class WatchHit:
    address: int        # the watched address the access touched (start of the watch range)
    access_address: int  # the address the instruction accessed
    kind: WatchKind      # the kind of the watchpoint that fired
    is_write: bool       # whether the access was a write


@dataclass(frozen=True, slots=True)
class TrapInfo:
    """One exception or interrupt, explained."""

    mcause: int
    mtval: int
    pc: int                    # address of the faulting instruction (or the interrupted one)
    interrupt: bool
    description: str           # e.g. "CHERI bounds violation on store through ca0"
    cheri_cause: int | None = None   # mtval[4:0] for mcause 0x1C
    register: str | None = None      # name of the register mtval names (e.g. "ca0", "pcc")
    capability: Cap | None = None    # the capability the failed check looked at
    decoded: Instr | None = None     # the faulting instruction, decoded

    @property
    def instruction(self) -> str | None:
        """Disassembly of the faulting instruction. Made when asked, not when the trap is
        taken: the RTOS takes traps on purpose, and few of them are ever reported."""
        if self.decoded is None:
            return None
        try:
            return disassemble(self.decoded, self.pc)
        except Exception:  # noqa: BLE001 - an explanation must never raise
            return None


@dataclass(frozen=True, slots=True)
class Stop:
    kind: StopKind
    pc: int
    watch: WatchHit | None = None
    trap: TrapInfo | None = None
    exit_code: int | None = None
    message: str = ""
