"""The gdb stub's ``Target`` over a ``Machine``: memory, breakpoints, threads, and the glue.

Resumes go to run_control.py, registers through the selected thread's register context
(contexts.py) and the write policy, ``monitor`` lines through the command registry
(commands/). Policies that matter to users are documented in docs/gdb.md:

- ``detach`` leaves the target halted where it is; ``kill`` resets the machine (the daemon keeps
  serving the same firmware), and so does a client leaving after the firmware exited.
- Threads come from a ``ThreadSource`` (the RTOS's threads on an RTOS image, rtos_threads.py;
  else the bare hart), read at most once per stop and only when gdb asks for them (the stop
  reply names the running thread from the source's cheap ``running()``). ``Hg`` selects whose
  registers ``g``/``p``/``P`` and ``monitor`` see; the selection stays until gdb changes it or
  the thread disappears. The machine has one hart, so every resume (whatever ``Hc`` or
  ``vCont`` names) runs the whole machine (all-stop).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ..boards.machine import Machine
from ..core.stops import Stop, TrapInfo, WatchKind
from ..errors import CheriotGdbError, RegisterWriteError
from ..gdbstub.target import Feature, ResumeAction, ThreadInfo
from ..gdbstub.tdesc import RegisterTable
from .commands.base import CommandRegistry
from .commands.catalog import default_registry
from .contexts import RegisterContext
from .debug_context import DebugContext
from .register_file import RegisterFile
from .registers import exception_signal
from .rtos_threads import RtosThreads
from .run_control import RunControl
from .threads import DebugThread, HartThreads, ThreadSource


class DebugTarget:
    """A ``gdbstub.target.Target`` backed by one ``Machine``."""

    def __init__(self, machine: Machine, *, threads: ThreadSource | None = None,
                 commands: CommandRegistry | None = None,
                 context: DebugContext | None = None) -> None:
        self.machine = machine
        self.context = context or DebugContext(machine)
        self.context.reset_listeners.append(self._forget)
        rtos = self.context.rtos
        self.thread_source: ThreadSource = threads or (
            RtosThreads(rtos) if rtos is not None else HartThreads())
        self.commands = commands or default_registry()
        self.register_file = RegisterFile()
        self._threads: Sequence[DebugThread] | None = None  # this stop's, until state changes
        self._running: int | None = None  # this stop's running thread id, found cheaply
        # This stop's register bytes by regnum, for the selected thread; emptied with the
        # threads (any resume, write, reset or monitor command that changes the target) and
        # when the selection changes.
        self._register_bytes: dict[int, bytes] = {}
        self._selected: int | None = None  # gdb's Hg thread (None: the running one)
        self.run_control = RunControl(self.context)

    @property
    def engine(self):  # noqa: ANN201 - the machine's engine
        return self.machine.engine

    # --- Target: capabilities and state ------------------------------------------------------

    supports: frozenset[Feature] = frozenset({
        Feature.SW_BREAKPOINTS, Feature.HW_BREAKPOINTS, Feature.WRITE_WATCHPOINTS,
        Feature.READ_WATCHPOINTS, Feature.ACCESS_WATCHPOINTS, Feature.SINGLE_STEP,
        Feature.MEMORY_MAP, Feature.MONITOR, Feature.RESTART})

    @property
    def last_stop(self) -> Stop | None:
        return self.run_control.last_stop

    def register_table(self) -> RegisterTable:
        return self.register_file.table

    def read_register(self, regnum: int) -> bytes:
        value = self._register_bytes.get(regnum)
        if value is None:
            value = self.register_file.read(self._registers(), regnum)
            self._register_bytes[regnum] = value
        return value

    def read_registers(self, regnums: Sequence[int]) -> list[bytes | None]:
        """``read_register`` of each, finding the selected thread's context once."""
        cache = self._register_bytes
        if not cache:  # the first read at this stop (a stop reply's): all at once
            values = self.register_file.read_many(self._registers(), tuple(regnums))
            if None in values:  # unavailable ones are not kept: each read asks again
                cache.update((r, v) for r, v in zip(regnums, values, strict=True) if v is not None)
            else:
                cache.update(zip(regnums, cast("list[bytes]", values), strict=True))
            return values
        if any(regnum not in cache for regnum in regnums):
            context = self._registers()  # may empty the cache: look only after this
            for regnum in regnums:
                if regnum not in cache:
                    try:
                        cache[regnum] = self.register_file.read(context, regnum)
                    except CheriotGdbError:
                        pass
        return [cache.get(regnum) for regnum in regnums]

    def write_register(self, regnum: int, data: bytes) -> None:
        self.register_file.write(self._registers(), regnum, data)
        self._state_changed()  # a thread list may depend on any register

    def _registers(self) -> RegisterContext:
        """The selected thread's context at this stop (also ``context.registers``, what
        ``monitor`` sees). The running thread's (gdb selected none, or the one that runs, the
        usual case) is the live CPU: no thread list is needed for it."""
        if self._threads is None and self._selected in (None, self._running_id()):
            self.context.registers = self.context.live
            self.context.selected_thread = self._selected
            return self.context.live
        self._thread_list()
        return self.context.registers

    def read_memory(self, address: int, length: int) -> bytes:
        return self.engine.read_memory(address, length)

    def write_memory(self, address: int, data: bytes) -> None:
        self.engine.write_memory(address, data)
        self._state_changed()
        ram = self.machine.memory.ram_at(address)
        if ram is None or not ram.contains(address, len(data)):
            # A device register was written: its outputs (interrupt lines, next event) follow
            # now, as after a store by the firmware, not at the device's next scheduled event.
            self.machine.advance()
            self.engine.refresh()

    # --- Target: execution -----------------------------------------------------------------

    def resume(self, action: ResumeAction) -> Stop:
        self._state_changed()
        try:
            return self.run_control.resume(action)
        finally:
            self._state_changed()  # whatever ran, nothing read before it is current
            # In all-stop a stop reply selects the thread it names (gdbserver's
            # prepare_resume_reply sets its general thread; gdb's remote.c records it as
            # the remote's): the expedited registers, and g/p until the next Hg, are the
            # running thread's.
            self._selected = self.context.selected_thread = None
            self.context.registers = self.context.live

    def interrupt(self) -> None:
        self.run_control.interrupt()

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
                self._register_bytes.clear()
            registers = self._context_of(self._selected)
            if registers is not self.context.registers:
                self._register_bytes.clear()  # cached for the context the cheap path chose
            self.context.registers = registers
            self.context.selected_thread = self._selected
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
        return self._running_id()

    def _running_id(self) -> int:
        """The running thread: from the list once read, else from the source's cheap answer
        (the stop reply needs only this), else from the list."""
        if self._threads is None and self._running is None:
            self._running = self.thread_source.running()
        if self._threads is None and self._running is not None:
            return self._running
        threads = self._thread_list()
        return next((t.id for t in threads if t.context is None), threads[0].id)

    def select_thread(self, thread_id: int) -> None:
        """gdb's ``Hg``: registers (and ``monitor``) now refer to ``thread_id``. Selecting
        the running thread reads no thread list."""
        if thread_id == self._running_id() and self._threads is None:
            self._selected = thread_id
            self._register_bytes.clear()
            self._registers()
            return
        self._thread_list()
        if self._find(thread_id) is None:
            raise RegisterWriteError(f"no thread {thread_id}")
        self._selected = self.context.selected_thread = thread_id
        self.context.registers = self._context_of(thread_id)
        self._register_bytes.clear()

    def _state_changed(self) -> None:
        """Target state may have changed: this stop's threads and registers are stale."""
        self._threads = self._running = None
        self._register_bytes.clear()
        self.context.state_changed()

    def _forget(self) -> None:
        """The machine was reset: no stop to report, threads to be read afresh."""
        self.run_control.forget()
        self._state_changed()
        self._selected = self.context.selected_thread = None
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
        # DWARF gives CHERIoT pointers 8 bytes (the capability) and gdb dereferences all 64 bits
        # of one, metadata word above the address. Its packets carry only the low 32 bits
        # (remote memory-address-size), so this region lets `p *ptr` through to the address the
        # capability holds, where the daemon refuses what the board does not map.
        lines.append(f'  <memory type="ram" start="{1 << 32:#x}" '
                     f'length="{(1 << 64) - (1 << 32):#x}"/>')
        lines.append("</memory-map>")
        return "\n".join(lines) + "\n"

    def monitor(self, command: str) -> str:
        """Run a monitor line against the selected thread's registers, as gdb sees them. This
        stop's caches (registers, threads, the RTOS model's reads) outlive a command that only
        reads (``Command.changes_target``), and none outlives one that may change the target."""
        self._registers()
        changes = self.commands.changes_target(command)
        try:
            return self.commands.run(command, self.context)
        finally:
            if changes:
                self._state_changed()

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

    def restart(self) -> None:
        """extended-remote ``run``: the firmware reloaded and halted at its entry, as after
        ``kill``; breakpoints stay (gdb keeps its own and re-inserts them anyway)."""
        self.context.reset()

    def client_gone(self) -> None:
        """A client's session ended (however it ended): forget a Ctrl-C that raced with the end
        of the last run, and reset a machine whose firmware has exited, so the next client finds
        the firmware halted at its entry rather than a process gdb can only see as gone."""
        self.run_control.forget_interrupt()
        if self.engine.exit_code is not None:
            self.context.reset()
