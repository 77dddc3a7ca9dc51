"""What the switcher will do with a fault of the running thread (rtos.md 3.4, 3.5)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import RtosState
    from .threads import Thread

CHERI_FAULT = 0x1C


class Outcome(StrEnum):
    HANDLER = "run the compartment's error handler"
    STACKLESS_HANDLER = "run the compartment's stackless error handler"
    UNWIND = "force-unwind to the caller"
    EXIT = "end the thread"
    SCHEDULER = "not an error: the scheduler handles it"


@dataclass(frozen=True)
class FaultOutcome:
    thread: int
    compartment: str | None
    outcome: Outcome
    caller: str | None = None       # where a forced unwind returns to

    def describe(self) -> str:
        text = f"thread {self.thread} in {self.compartment or '?'}: {self.outcome.value}"
        return text + (f" ({self.caller})" if self.caller else "")


def outcome(state: RtosState, thread: Thread, mcause: int) -> FaultOutcome:
    """Errors are ``mcause`` 0x1c or below 8; anything else (ecall, interrupts, thread exit)
    goes to the scheduler. With no frame the thread ends; a compartment with a stackful handler
    (and 128 bytes of stack below csp, which is not checked here) or a stackless one runs it;
    otherwise the top frame is unwound, which ends the thread at the entry frame."""
    comp_name = thread.compartment
    if not (mcause == CHERI_FAULT or mcause < 8) or mcause & 0x8000_0000:
        return FaultOutcome(thread.id, comp_name, Outcome.SCHEDULER)
    if not thread.call_chain:
        return FaultOutcome(thread.id, comp_name, Outcome.EXIT)
    comp = state.image.component(comp_name) if comp_name else None
    if comp is not None and comp.error_handler is not None:
        return FaultOutcome(thread.id, comp_name, Outcome.HANDLER)
    if comp is not None and comp.stackless_error_handler is not None:
        return FaultOutcome(thread.id, comp_name, Outcome.STACKLESS_HANDLER)
    if len(thread.call_chain) == 1:
        return FaultOutcome(thread.id, comp_name, Outcome.EXIT)
    top = thread.call_chain[-1]
    caller = top.caller_compartment
    where = f"{caller} at {top.caller_pc:#010x}" if caller and top.caller_pc else caller
    return FaultOutcome(thread.id, comp_name, Outcome.UNWIND, where)
