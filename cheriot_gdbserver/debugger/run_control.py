"""How gdb's resume requests run the engine: continue, step, signals, Ctrl-C.

Policies users see (docs/gdb.md, "Exceptions and stepping"):

- Continuing from a caught exception with its signal (gdb's default) delivers it to the
  firmware's trap handler; without a signal (``signal 0``) the instruction is retried; to skip
  it, move the PC first (``set $pc = ...``).
- A ``continue`` that gdb issues to step (temporary breakpoints on the possible next PCs) runs
  one instruction as a hardware step would: no interrupt is taken and an exception stops it
  before it is taken, so ``stepi`` never runs away into a trap handler; a step that delivers a
  caught exception stops at the handler's first instruction.
- ``wfi`` with nothing that can wake the hart waits for Ctrl-C.
- In the ``unhandled`` catch mode (RTOS images) a continue delivers the exceptions the firmware
  handles itself (an error handler runs, an ecall) and stops only on those it does not.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from ..boards.machine import Machine
from ..core.decode import Kind, decode
from ..core.stops import Stop, StopKind, TrapInfo
from ..errors import MemoryAccessError
from ..gdbstub.target import ResumeAction
from ..report import explain_trap
from .debug_context import DebugContext
from .rtos_threads import firmware_handles


class RunControl:
    """Resumes the machine of one debug context for gdb and remembers why it last stopped."""

    def __init__(self, context: DebugContext) -> None:
        self.context = context
        self.machine: Machine = context.machine
        self.last_stop: Stop | None = None
        self._interrupted = threading.Event()

    @property
    def engine(self):  # noqa: ANN201 - the machine's engine
        return self.machine.engine

    def interrupt(self) -> None:
        """Thread-safe: stop the resume in progress, or the next one, with INTERRUPTED."""
        self._interrupted.set()
        self.engine.request_stop()

    def forget_interrupt(self) -> None:
        """A Ctrl-C that raced with the end of the last run is not for the next client."""
        self._interrupted.clear()
        self.engine.discard_stop_request()

    def forget(self) -> None:
        """The machine was reset: there is no stop to report."""
        self.last_stop = None

    def resume(self, action: ResumeAction) -> Stop:
        """Run as gdb asked; blocks until a stop (INTERRUPTED promptly after ``interrupt``)."""
        engine = self.engine
        if action.address is not None:
            engine.set_pc(action.address)
        if self._interrupted.is_set():
            self._interrupted.clear()
            engine.discard_stop_request()
            return self._record(Stop(StopKind.INTERRUPTED, engine.pc))
        if engine.pending_trap is not None and not action.signal:
            # gdb resumes without the signal it stopped with ('signal 0', 'handle nopass', a
            # new client): retry the instruction instead of delivering the exception.
            engine.discard_pending_trap()
        if action.step:
            stop = self._enter_pending_trap() or engine.single_step(stop_on_trap=True)
        elif self._step_in_flight():
            stop = self._enter_pending_trap() or self._gdb_step()
        else:
            stop = self._run()
        while stop.kind is StopKind.HALTED:
            # Nothing can wake the hart (wfi without an interrupt source): wait for Ctrl-C.
            self._interrupted.wait()
            stop = Stop(StopKind.INTERRUPTED, engine.pc, message=stop.message)
        if stop.kind is StopKind.INTERRUPTED:
            self._interrupted.clear()
        return self._record(stop)

    def _run(self) -> Stop:
        """Run to a stop; in the ``unhandled`` catch mode, exceptions the RTOS handles (error
        handlers that run, ecalls) are delivered to the firmware and the run goes on."""
        while True:
            stop = self.engine.run()
            trap, rtos = stop.trap, self.context.rtos
            if (not self.context.catch_unhandled or rtos is None or trap is None
                    or stop.kind is not StopKind.EXCEPTION):
                return stop
            self.context.live.invalidate()  # the model reads this stop's registers
            if not firmware_handles(rtos, trap.mcause):
                return stop

    def _gdb_step(self) -> Stop:
        """gdb's software single-step: one instruction, as a hardware step would run it
        (no interrupt is taken, an exception stops before it is taken, whatever the catch
        mode), ending on one of gdb's breakpoints. If it ends anywhere else, the breakpoint on
        a next PC was the user's, not a step: run on as the continue it was."""
        engine = self.engine
        stop = engine.single_step(stop_on_trap=True)
        if stop.kind is not StopKind.STEP:
            return stop
        if stop.pc in engine.breakpoints:
            return Stop(StopKind.BREAKPOINT, stop.pc)
        return engine.run()

    def _enter_pending_trap(self) -> Stop | None:
        """A step that delivers a caught exception ends at the trap handler's first
        instruction, before it runs (a handler that never returns cannot swallow the step)."""
        trap = self.engine.pending_trap
        if trap is None:
            return None
        stop = self.engine.step(1)  # enters the trap and retires nothing (Engine._run)
        return Stop(StopKind.STEP, stop.pc, trap=trap,
                    message=f"entered the trap handler: {trap.description}")

    def _record(self, stop: Stop) -> Stop:
        if stop.kind is StopKind.EXCEPTION and stop.trap is not None and not stop.message:
            stop = replace(stop, message=self._explain(stop.trap))
        self.last_stop = stop
        return stop

    def _explain(self, trap: TrapInfo) -> str:
        """The console text of an exception stop: what, where, through which capability."""
        explained = explain_trap(self.machine, trap, self.context.rtos)
        lines = [trap.description, *(f"  {line}" for line in explained),
                 "  (continue delivers it to the trap handler; 'signal 0' retries the "
                 "instruction; 'monitor fault' repeats this)"]
        return "\n".join(lines) + "\n"

    def _step_in_flight(self) -> bool:
        """Is this continue gdb's software single-step (a breakpoint on a next PC)?"""
        engine = self.engine
        if not engine.breakpoints:
            return False
        pc = engine.pc
        try:
            low = int.from_bytes(engine.read_memory(pc, 2), "little")
            word = low if low & 3 != 3 else int.from_bytes(engine.read_memory(pc, 4), "little")
        except MemoryAccessError:
            return False
        instr = decode(word)
        successors = {pc + instr.length}
        if instr.op == "cjal" or (instr.kind is Kind.NATIVE_OTHER and instr.op.startswith("b")):
            successors.add((pc + instr.imm) & 0xFFFF_FFFF)
        if instr.op == "cjalr":
            successors.add((engine.read_cap(instr.rs1).address + instr.imm) & 0xFFFF_FFFE)
        return bool(successors & engine.breakpoints)
