"""The gdb stub's ``Target`` (and the monitor commands' ``MonitorTarget``) over a ``Machine``.

This is glue: it translates the stub's requests into Machine and Engine calls and the engine's
stops into what the stub reports. Policies that matter to users live here and are documented in
docs/gdb.md:

- Continuing from a caught exception with its signal (gdb's default) delivers it to the
  firmware's trap handler; without a signal (``signal 0``) the instruction is retried; to skip
  it, move the PC first (``set $pc = ...``).
- A ``continue`` that gdb issues to step (temporary breakpoints on the possible next PCs) runs
  one instruction as a hardware step would: no interrupt is taken and an exception stops it
  before it is taken, so ``stepi`` never runs away into a trap handler; a step that delivers a
  caught exception stops at the handler's first instruction.
- ``detach`` leaves the target halted where it is; ``kill`` resets the machine (the daemon keeps
  serving the same firmware), and so does a client leaving after the firmware exited.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from .boards.machine import Machine
from .core.capability import (
    Cap,
    describe,
    get_cap_bounds,
    legalise_perms,
    set_cap_bounds,
    with_bounds_fields,
    with_perms,
)
from .core.csr import CSRS
from .core.decode import Kind, decode
from .core.engine import Catch
from .core.hart import CAP_REG_NAMES, INT_REG_NAMES, SCR_NAMES
from .core.stops import Stop, StopKind, TrapInfo, WatchKind
from .errors import CheriotGdbError, MemoryAccessError, RegisterWriteError
from .gdbstub.cheriot_registers import CapFields, CheriotRegisterFile, exception_signal
from .gdbstub.monitor import CommandRegistry
from .gdbstub.target import Feature, ResumeAction, ThreadInfo
from .report import explain_trap

_SCR_BY_NAME = {name: number for number, name in SCR_NAMES.items()}
_CSR_BY_NAME = {csr.name: number for number, csr in CSRS.items()}
_CATCH_HELP = {"none": "no exception stops the target (the firmware handles its own)",
               "cheri": "CHERI exceptions (mcause 0x1c) stop the target before they are taken",
               "all": "every exception stops the target before it is taken"}


class MachineTarget:
    """A ``gdbstub.target.Target`` backed by one ``Machine``."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.registers = CheriotRegisterFile(self)
        self.commands = CommandRegistry()
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

    def register_table(self):  # noqa: ANN201 - gdbstub.tdesc.RegisterTable
        return self.registers.register_table()

    def read_register(self, regnum: int) -> bytes:
        return self.registers.read_register(regnum)

    def write_register(self, regnum: int, data: bytes) -> None:
        self.registers.write_register(regnum, data)

    def read_memory(self, address: int, length: int) -> bytes:
        return self.engine.read_memory(address, length)

    def write_memory(self, address: int, data: bytes) -> None:
        self.engine.write_memory(address, data)
        ram = self.machine.memory.ram_at(address)
        if ram is None or not ram.contains(address, len(data)):
            # A device register was written: its outputs (interrupt lines, next event) follow
            # now, as after a store by the firmware, not at the device's next scheduled event.
            self.machine.advance()
            self.engine.refresh()

    # --- Target: execution -----------------------------------------------------------------

    def resume(self, action: ResumeAction) -> Stop:
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

    def threads(self) -> Sequence[ThreadInfo]:
        return (ThreadInfo(1, "hart0", "CHERIoT hart"),)

    def current_thread(self) -> int:
        return 1

    def select_thread(self, thread_id: int) -> None:
        if thread_id not in (0, -1, 1):
            raise RegisterWriteError(f"no thread {thread_id}")

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
        try:
            return self.commands.run(command, self)
        except CheriotGdbError as e:  # a refusal is the command's output, not a protocol error
            return f"error: {e}\n"

    def detach(self) -> None:
        """The target stays halted where it is, with breakpoints and watchpoints removed."""
        for address in list(self.engine.breakpoints):
            self.engine.remove_breakpoint(address)
        for wp in list(self.engine.watchpoints):
            self.engine.remove_watchpoint(wp.address, wp.length, wp.kind)

    def kill(self) -> None:
        """Back to power-on: the next client finds the firmware reloaded, halted at its entry."""
        self.detach()
        self.machine.reset()
        self._last_stop = None

    def client_gone(self) -> None:
        """A client's session ended (however it ended): forget a Ctrl-C that raced with the end
        of the last run, and reset a machine whose firmware has exited, so the next client finds
        the firmware halted at its entry rather than a process gdb can only see as gone."""
        self._interrupted.clear()
        self.engine.discard_stop_request()
        if self.engine.exit_code is not None:
            self.machine.reset()
            self._last_stop = None

    # --- CheriotRegisterState ---------------------------------------------------------------

    def read_int(self, index: int) -> int:
        return self.engine.read_cap(index).address

    def write_int(self, index: int, value: int) -> None:
        self.engine.write_int(index, value)

    def read_pc(self) -> int:
        return self.engine.pc

    def write_pc(self, value: int) -> None:
        self.engine.set_pc(value)

    def read_capability(self, name: str) -> Cap:
        engine = self.engine
        if name in CAP_REG_NAMES:
            return engine.read_cap(CAP_REG_NAMES.index(name))
        if name == "pcc":
            engine.hart.pc = engine.pc
            return engine.hart.pcc
        return engine.hart.scr[_SCR_BY_NAME[name]]

    def write_capability(self, name: str, fields: CapFields) -> None:
        current = self.read_capability(name)
        new = _narrowed(name, current, fields)
        if name in CAP_REG_NAMES:
            self.engine.write_cap(CAP_REG_NAMES.index(name), new)
        elif name == "pcc":
            if new.meta != current.meta or new.tag != current.tag:
                raise RegisterWriteError("only the address of pcc (the pc) can be written")
            self.engine.set_pc(new.address)
        else:
            if new.tag and not _derivable(current, new):
                raise RegisterWriteError(f"refusing to widen {name}")
            self.engine.hart.scr[_SCR_BY_NAME[name]] = new

    def read_csr(self, name: str) -> int:
        return CSRS[_CSR_BY_NAME[name]].read(self.engine.hart) & 0xFFFF_FFFF

    def write_csr(self, name: str, value: int) -> None:
        csr = CSRS[_CSR_BY_NAME[name]]
        if csr.write is None:
            raise RegisterWriteError(f"{name} is read-only")
        csr.write(self.engine.hart, value)
        self.engine.refresh()

    # --- MonitorTarget ----------------------------------------------------------------------

    def cap(self, what: str | int) -> str:
        if isinstance(what, int):
            granule = what & ~7
            if self.machine.memory.ram_at(granule) is None:  # devices: no peeking through loads
                raise MemoryAccessError(granule, 8, "capabilities are only stored in memory")
            cap = self.engine.read_cap_memory(granule)
            return f"{granule:#010x}: {describe(cap)}\n"
        name = _capability_name(what)
        return f"{name}: {describe(self.read_capability(name))}\n"

    def tags(self, address: int, length: int) -> str:
        tags = self.engine.memory.tags(address, max(length, 1))
        start = address & ~7
        lines = []
        for row in range(0, len(tags), 64):
            chunk = tags[row:row + 64]
            cells = "".join("-" if t is None else ("1" if t else "0") for t in chunk)
            grouped = " ".join(cells[i:i + 8] for i in range(0, len(cells), 8))
            lines.append(f"{start + row * 8:#010x}: {grouped}")
        tagged = sum(1 for t in tags if t)
        lines.append(f"{tagged} of {len(tags)} granules tagged "
                     "(1: tagged, 0: untagged, -: memory without tags)")
        return "\n".join(lines) + "\n"

    def fault(self) -> str:
        engine = self.engine
        trap = engine.pending_trap or engine.last_trap
        if trap is None:
            return "no exception has been taken since reset\n"
        state = "pending, not yet taken" if engine.pending_trap else "taken"
        return "\n".join([f"last exception ({state}):", *explain_trap(self.machine, trap)]) + "\n"

    def catch(self, mode: str | None) -> str:
        if mode is not None:
            try:
                self.engine.catch = Catch(mode)
            except ValueError:
                return f"error: catch takes one of: {', '.join(_CATCH_HELP)}\n"
        current = self.engine.catch.value
        return f"catch {current}: {_CATCH_HELP[current]}\n"

    def reset(self) -> None:
        self.machine.reset()
        self._last_stop = None

    def stats(self) -> str:
        s = self.engine.stats
        return (f"instructions retired: {s['instructions']}\n"
                f"run time: {s['seconds']:.3f} s\n"
                f"instructions per second: {s['ips']:.0f}\n"
                f"fast-path instructions: {s['fast']}\n"
                f"slow-path instructions: {s['slow']}\n")

    def uart(self) -> str:
        data = self.machine.uart_history
        if not data:
            return "(no UART output yet)\n"
        text = data.decode("utf-8", errors="replace")
        return text if text.endswith("\n") else text + "\n"


def _capability_name(what: str) -> str:
    name = what.lower().lstrip("$")
    if name in INT_REG_NAMES:
        return CAP_REG_NAMES[INT_REG_NAMES.index(name)]
    aliases = {"c0": "cnull", "czero": "cnull", "cfp": "cs0", "pc": "pcc"}
    aliases.update({f"c{i}": n for i, n in enumerate(CAP_REG_NAMES) if i})
    aliases.update({f"x{i}": n for i, n in enumerate(CAP_REG_NAMES)})
    name = aliases.get(name, name)
    if name in CAP_REG_NAMES or name == "pcc" or name in _SCR_BY_NAME:
        return name
    raise RegisterWriteError(f"no capability register {what!r} (try csp, ca0, pcc, mtdc ...)")


def _narrowed(name: str, current: Cap, fields: CapFields) -> Cap:
    """The capability a field-wise edit from gdb asks for, derived as hardware would derive it:
    address moves like CSetAddr, bounds like CSetBounds, permissions like CAndPerm; a tag can
    only be cleared. Widening anything is refused."""
    base, top = current.bounds
    new = current
    if fields.tag != current.tag:
        if fields.tag:
            raise RegisterWriteError(f"refusing to set the tag of {name}: a debugger cannot "
                                     "create capabilities")
        new = new.with_tag(False)
    if (fields.base, fields.top) != (base, top) or fields.length != current.length:
        want_base, want_top = fields.base, fields.top
        if fields.length != current.length and (fields.base, fields.top) == (base, top):
            want_top = want_base + fields.length
        bounds, _exact = set_cap_bounds(want_base, want_top - want_base)
        meta = with_bounds_fields(new.meta, bounds)
        new_base, new_top = get_cap_bounds(meta, want_base)
        if new.tag and (new_base < base or new_top > top or new.sealed):
            raise RegisterWriteError(f"refusing to widen the bounds of {name} "
                                     f"(or to change a sealed capability)")
        new = Cap(new.tag, want_base, meta).set_address(fields.address)
    elif fields.address != current.address:
        moved = new.set_address(fields.address)
        new = moved.with_tag(moved.tag and not current.sealed)
    if fields.perms != current.perms:
        if fields.perms & ~current.perms and new.tag:
            raise RegisterWriteError(f"refusing to add permissions to {name}")
        meta = with_perms(new.meta, legalise_perms(fields.perms & current.perms))
        new = new.with_meta(meta).with_tag(new.tag and (not current.sealed
                                                        or (fields.perms | 1) == current.perms | 1))
    if fields.otype != current.otype:
        raise RegisterWriteError(f"refusing to change the object type of {name} (sealing needs "
                                 "an authority the debugger does not have)")
    return new


def _derivable(parent: Cap, child: Cap) -> bool:
    pbase, ptop = parent.bounds
    cbase, ctop = child.bounds
    return (parent.tag and parent.otype == child.otype and pbase <= cbase and ctop <= ptop
            and (child.perms & parent.perms) == child.perms)
