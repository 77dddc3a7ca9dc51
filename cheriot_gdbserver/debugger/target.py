"""The gdb stub's ``Target`` over a ``Machine``: run control, memory, breakpoints, threads.

It translates the stub's requests into Machine and Engine calls and the engine's stops into what
the stub reports; registers go through the selected thread's register context (contexts.py) and
the write policy, ``monitor`` lines through the command registry (commands/). Policies that
matter to users are documented in docs/gdb.md:

- Continuing from a caught exception with its signal (gdb's default) delivers it to the
  firmware's trap handler; without a signal (``signal 0``) the instruction is retried; to skip
  it, move the PC first (``set $pc = ...``).
- A ``continue`` that gdb issues to step (temporary breakpoints on the possible next PCs) runs
  one instruction as a hardware step would: no interrupt is taken and an exception stops it
  before it is taken, so ``stepi`` never runs away into a trap handler; a step that delivers a
  caught exception stops at the handler's first instruction.
- ``detach`` leaves the target halted where it is; ``kill`` resets the machine (the daemon keeps
  serving the same firmware), and so does a client leaving after the firmware exited.
- Threads come from a ``ThreadSource`` (the bare hart until an RTOS model supplies more), read
  once per stop. ``Hg`` selects whose registers ``g``/``p``/``P`` and ``monitor`` see; the
  selection stays until gdb changes it or the thread disappears. The machine has one hart, so
  every resume (whatever ``Hc`` or ``vCont`` names) runs the whole machine (all-stop).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from ..boards.machine import Machine
from ..core.decode import Kind, decode
from ..core.stops import Stop, StopKind, TrapInfo, WatchKind
from ..errors import MemoryAccessError, RegisterWriteError
from ..gdbstub.target import Feature, ResumeAction, ThreadInfo
from ..gdbstub.tdesc import RegisterTable
from ..report import explain_trap
from .commands.base import CommandRegistry
from .commands.catalog import default_registry
from .contexts import RegisterContext
from .debug_context import DebugContext
from .register_file import RegisterFile
from .registers import exception_signal
from .threads import DebugThread, HartThreads, ThreadSource


class DebugTarget:
    """A ``gdbstub.target.Target`` backed by one ``Machine``."""

    def __init__(self, machine: Machine, *, threads: ThreadSource | None = None,
                 commands: CommandRegistry | None = None,
                 context: DebugContext | None = None) -> None:
        self.machine = machine
        self.context = context or DebugContext(machine)
        self.context.reset_listeners.append(self._forget)
        self.thread_source: ThreadSource = threads or HartThreads()
        self.commands = commands or default_registry()
        self.register_file = RegisterFile()
        self._threads: Sequence[DebugThread] | None = None  # this stop's, until state changes
        self._selected: int | None = None  # gdb's Hg thread (None: the running one)
        self._last_stop: Stop | None = None
        self._interrupted = threading.Event()

    @property
    def engine(self):  # noqa: ANN201 - the machine's engine
        return self.machine.engine

    # --- Target: capabilities and state ------------------------------------------------------

    @property
    def supports(self) -> frozenset[Feature]:
        return frozenset({Feature.SW_BREAKPOINTS, Feature.HW_BREAKPOINTS,
                          Feature.WRITE_WATCHPOINTS, Feature.READ_WATCHPOINTS,
                          Feature.ACCESS_WATCHPOINTS, Feature.SINGLE_STEP,
                          Feature.MEMORY_MAP, Feature.MONITOR})

    @property
    def last_stop(self) -> Stop | None:
        return self._last_stop

    def register_table(self) -> RegisterTable:
        return self.register_file.table

    def read_register(self, regnum: int) -> bytes:
        self._thread_list()  # selects this stop's context of the selected thread
        return self.register_file.read(self.context.registers, regnum)

    def write_register(self, regnum: int, data: bytes) -> None:
        self._thread_list()
        self.register_file.write(self.context.registers, regnum, data)
        self._threads = None  # a thread list may depend on any register

    def read_memory(self, address: int, length: int) -> bytes:
        return self.engine.read_memory(address, length)

    def write_memory(self, address: int, data: bytes) -> None:
        self.engine.write_memory(address, data)
        self._threads = None
        ram = self.machine.memory.ram_at(address)
        if ram is None or not ram.contains(address, len(data)):
            # A device register was written: its outputs (interrupt lines, next event) follow
            # now, as after a store by the firmware, not at the device's next scheduled event.
            self.machine.advance()
            self.engine.refresh()

    # --- Target: execution -----------------------------------------------------------------

    def resume(self, action: ResumeAction) -> Stop:
        engine = self.engine
        self._threads = None
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
            stop = self._enter_pending_trap() or engine.step(1, stop_on_trap=True)
        elif self._step_in_flight():
            stop = self._enter_pending_trap() or self._gdb_step()
        else:
            stop = engine.run()
        while stop.kind is StopKind.HALTED:
            # Nothing can wake the hart (wfi without an interrupt source): wait for Ctrl-C.
            self._interrupted.wait()
            stop = Stop(StopKind.INTERRUPTED, engine.pc, message=stop.message)
        if stop.kind is StopKind.INTERRUPTED:
            self._interrupted.clear()
        return self._record(stop)

    def _gdb_step(self) -> Stop:
        """gdb's software single-step: one instruction, as a hardware step would run it
        (no interrupt is taken, an exception stops before it is taken, whatever the catch
        mode), ending on one of gdb's breakpoints. If it ends anywhere else, the breakpoint on
        a next PC was the user's, not a step: run on as the continue it was."""
        engine = self.engine
        stop = engine.step(1, stop_on_trap=True)
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
        self._last_stop = stop
        return stop

    def _explain(self, trap: TrapInfo) -> str:
        """The console text of an exception stop: what, where, through which capability."""
        lines = [trap.description, *(f"  {line}" for line in explain_trap(self.machine, trap)),
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

    def interrupt(self) -> None:
        self._interrupted.set()
        self.engine.request_stop()

    def insert_breakpoint(self, address: int, length: int, hardware: bool) -> None:
        self.engine.add_breakpoint(address)

    def remove_breakpoint(self, address: int, length: int, hardware: bool) -> None:
        self.engine.remove_breakpoint(address)

    def insert_watchpoint(self, kind: WatchKind, address: int, length: int) -> None:
        self.engine.add_watchpoint(address, length, kind)

    def remove_watchpoint(self, kind: WatchKind, address: int, length: int) -> None:
        self.engine.remove_watchpoint(address, length, kind)

    # --- Target: threads -----------------------------------------------------------------------

    def _thread_list(self) -> Sequence[DebugThread]:
        if self._threads is None:
            self._threads = tuple(self.thread_source.threads()) or HartThreads().threads()
            if self._selected is not None and self._find(self._selected) is None:
                self._selected = None  # the selected thread is gone: back to the running one
            self.context.registers = self._context_of(self._selected)
        return self._threads

    def _find(self, thread_id: int) -> DebugThread | None:
        return next((t for t in self._threads or () if t.id == thread_id), None)

    def _context_of(self, thread_id: int | None) -> RegisterContext:
        thread = self._find(thread_id) if thread_id is not None else None
        if thread is None or thread.context is None:
            return self.context.live
        return thread.context

    def threads(self) -> Sequence[ThreadInfo]:
        return tuple(ThreadInfo(t.id, t.name, t.extra) for t in self._thread_list())

    def current_thread(self) -> int:
        threads = self._thread_list()
        return next((t.id for t in threads if t.context is None), threads[0].id)

    def select_thread(self, thread_id: int) -> None:
        """gdb's ``Hg``: registers (and ``monitor``) now refer to ``thread_id``."""
        self._thread_list()
        if self._find(thread_id) is None:
            raise RegisterWriteError(f"no thread {thread_id}")
        self._selected = thread_id
        self.context.registers = self._context_of(thread_id)

    def _forget(self) -> None:
        """The machine was reset: no stop to report, threads to be read afresh."""
        self._last_stop = None
        self._threads = None
        self._selected = None
        self.context.registers = self.context.live

    def exception_signal(self, trap: TrapInfo) -> int:
        return exception_signal(trap)

    def memory_map_xml(self) -> str:
        lines = ['<?xml version="1.0"?>',
                 '<!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN"'
                 ' "http://sourceware.org/gdb/gdb-memory-map.dtd">', "<memory-map>"]
        for region in self.machine.board.regions:
            # Device windows are listed as ram so that gdb lets the user read them (the
            # daemon refuses reads that would have side effects).
            lines.append(f'  <memory type="ram" start="{region.base:#x}" '
                         f'length="{region.size:#x}"/>')
        lines.append("</memory-map>")
        return "\n".join(lines) + "\n"

    def monitor(self, command: str) -> str:
        self._thread_list()  # the selected thread's registers, as gdb sees them
        output = self.commands.run(command, self.context)
        self._threads = None  # a command may have changed the target (reset, catch...)
        return output

    def detach(self) -> None:
        """The target stays halted where it is, with breakpoints and watchpoints removed."""
        for address in list(self.engine.breakpoints):
            self.engine.remove_breakpoint(address)
        for wp in list(self.engine.watchpoints):
            self.engine.remove_watchpoint(wp.address, wp.length, wp.kind)

    def kill(self) -> None:
        """Back to power-on: the next client finds the firmware reloaded, halted at its entry."""
        self.detach()
        self.context.reset()

    def client_gone(self) -> None:
        """A client's session ended (however it ended): forget a Ctrl-C that raced with the end
        of the last run, and reset a machine whose firmware has exited, so the next client finds
        the firmware halted at its entry rather than a process gdb can only see as gone."""
        self._interrupted.clear()
        self.engine.discard_stop_request()
        if self.engine.exit_code is not None:
            self.context.reset()
