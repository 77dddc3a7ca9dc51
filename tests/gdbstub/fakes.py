"""A small fake target and transport for the gdb stub tests (no engine, no Unicorn).

``FakeTarget`` implements the stub's ``Target`` protocol with the real CHERIoT register view
(``debugger.register_file.RegisterFile`` and its write policy) over plain Python state, 64 KiB
of RAM at 0x80000000, scripted stops, and a ``resume`` that blocks until ``interrupt`` when no
stop is scripted.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence

from cheriot_gdbserver.core.capability import (
    NULL,
    ROOT_EXE,
    ROOT_MEM,
    ROOT_MEM_META,
    ROOT_SEAL,
    Cap,
    set_cap_bounds,
    with_bounds_fields,
)
from cheriot_gdbserver.core.stops import Stop, StopKind, TrapInfo, WatchKind
from cheriot_gdbserver.debugger import registers as cheriot_registers
from cheriot_gdbserver.debugger.register_file import RegisterFile
from cheriot_gdbserver.errors import CheriotGdbError, MemoryAccessError, RegisterWriteError
from cheriot_gdbserver.gdbstub.target import Feature, ResumeAction, ThreadInfo
from cheriot_gdbserver.gdbstub.tdesc import RegisterTable
from cheriot_gdbserver.gdbstub.transport import TransportClosed

RAM_BASE = 0x8000_0000
RAM_SIZE = 0x1_0000
ALL_FEATURES = frozenset(Feature)
# A stack capability: memory-root permissions, bounds [0x80001000, 0x80001100), address near top.
CSP = Cap(True, 0x8000_10F0,
          with_bounds_fields(ROOT_MEM_META, set_cap_bounds(0x8000_1000, 0x100)[0]))


class FakeRegisters:
    """A RegisterContext over Python values, recording what the write policy lets through."""

    def __init__(self) -> None:
        self.caps: dict[str, Cap] = {name: NULL for name in cheriot_registers.CAP_REG_NAMES}
        self.caps.update({name: NULL for name, _, _ in cheriot_registers.CAPABILITY_REGISTERS})
        self.caps.update(pcc=ROOT_EXE.with_address(RAM_BASE), mtcc=ROOT_EXE, mtdc=ROOT_MEM,
                         mscratchc=ROOT_SEAL, mepcc=ROOT_EXE, csp=CSP)
        self.csrs = {name: 0 for name, _ in cheriot_registers.CSRS}
        self.csrs["mstatus"] = 0x1800
        self.writes: list[tuple[str, object]] = []

    def capability(self, name: str) -> Cap:
        return self.caps[name]

    def address(self, name: str) -> int:
        return self.caps[name].address

    def addresses(self, names: Sequence[str]) -> list[int]:
        return [self.address(name) for name in names]

    def csr(self, name: str) -> int:
        return self.csrs[name]

    def set_capability(self, name: str, cap: Cap) -> None:
        self.writes.append((name, cap))
        if name == "cnull":
            raise RegisterWriteError("cnull/zero is hard-wired to NULL")
        self.caps[name] = cap

    def set_csr(self, name: str, value: int) -> None:
        self.writes.append((name, value))
        self.csrs[name] = value


class FakeTarget:
    """A Target for the stub: scripted stops, recorded calls, real CHERIoT register encoding."""

    def __init__(self, supports: frozenset[Feature] = ALL_FEATURES,
                 threads: Sequence[ThreadInfo] = (ThreadInfo(1, "main", "running"),)) -> None:
        self.supports = supports
        self.regs = FakeRegisters()
        self.register_file = RegisterFile()
        self.ram = bytearray(RAM_SIZE)
        self.stops: deque[Stop] = deque()
        self.default_stop: Stop | None = None  # returned when no stop is scripted (else block)
        self.last_stop: Stop | None = None
        self.resumes: list[ResumeAction] = []
        self.calls: list[tuple] = []
        self.thread_list = list(threads)
        self.selected = threads[0].id
        self.monitor_lines: list[str] = []  # what qRcmd passed through
        self.memory_map = ('<memory-map><memory type="ram" start="0x80000000" '
                           'length="0x10000"/></memory-map>')
        self._interrupt = threading.Event()
        self.running = threading.Event()  # set while resume() blocks waiting for interrupt

    # registers
    def register_table(self) -> RegisterTable:
        return self.register_file.table

    def read_register(self, regnum: int) -> bytes:
        return self.register_file.read(self.regs, regnum)

    def read_registers(self, regnums: Sequence[int]) -> list[bytes | None]:
        out: list[bytes | None] = []
        for regnum in regnums:
            try:
                out.append(self.read_register(regnum))
            except CheriotGdbError:
                out.append(None)
        return out

    def write_register(self, regnum: int, data: bytes) -> None:
        self.register_file.write(self.regs, regnum, data)

    # memory
    def _check(self, address: int, length: int) -> None:
        if address < RAM_BASE:
            raise MemoryAccessError(address, length)
        if address + length > RAM_BASE + RAM_SIZE:
            raise MemoryAccessError(max(address, RAM_BASE + RAM_SIZE), length)

    def read_memory(self, address: int, length: int) -> bytes:
        self._check(address, length)
        return bytes(self.ram[address - RAM_BASE:address - RAM_BASE + length])

    def write_memory(self, address: int, data: bytes) -> None:
        self._check(address, len(data))
        self.ram[address - RAM_BASE:address - RAM_BASE + len(data)] = data

    # execution
    def resume(self, action: ResumeAction) -> Stop:
        self.resumes.append(action)
        if self.stops and not self._interrupt.is_set():
            stop = self.stops.popleft()
        elif self.default_stop is not None:
            stop = self.default_stop
        else:
            self.running.set()
            if not self._interrupt.wait(60):  # a deadline: a test that never interrupts fails
                raise AssertionError("FakeTarget.resume: nobody interrupted the run in 60 s")
            self.running.clear()
            stop = Stop(StopKind.INTERRUPTED, self.regs.caps["pcc"].address)
        self._interrupt.clear()
        self.regs.caps["pcc"] = self.regs.caps["pcc"].with_address(stop.pc)
        self.last_stop = stop
        return stop

    def interrupt(self) -> None:
        self.calls.append(("interrupt",))
        self._interrupt.set()

    def insert_breakpoint(self, address: int, length: int, hardware: bool) -> None:
        self.calls.append(("insert_breakpoint", address, length, hardware))

    def remove_breakpoint(self, address: int, length: int, hardware: bool) -> None:
        self.calls.append(("remove_breakpoint", address, length, hardware))

    def insert_watchpoint(self, kind: WatchKind, address: int, length: int) -> None:
        self.calls.append(("insert_watchpoint", kind, address, length))

    def remove_watchpoint(self, kind: WatchKind, address: int, length: int) -> None:
        self.calls.append(("remove_watchpoint", kind, address, length))

    # threads
    def threads(self) -> Sequence[ThreadInfo]:
        return self.thread_list

    def current_thread(self) -> int:
        return self.thread_list[0].id

    def select_thread(self, thread_id: int) -> None:
        self.selected = thread_id

    def exception_signal(self, trap: TrapInfo) -> int:
        return cheriot_registers.exception_signal(trap)

    def memory_map_xml(self) -> str:
        return self.memory_map

    def monitor(self, command: str) -> str:
        """Echoes the line (``uart`` answers nothing): the stub only passes lines through."""
        self.monitor_lines.append(command)
        return "" if command == "uart" else command + "\n"

    def detach(self) -> None:
        self.calls.append(("detach",))

    def kill(self) -> None:
        self.calls.append(("kill",))

    def restart(self) -> None:
        self.calls.append(("restart",))
        self.last_stop = None


class FakeTransport:
    """Collects what the session sends; ``closed`` makes further sends fail like a dead socket."""

    def __init__(self) -> None:
        self.sent = bytearray()
        self.closed = False

    def send(self, data: bytes) -> None:
        if self.closed:
            raise TransportClosed("fake transport closed")
        self.sent += data

    def recv(self) -> bytes:
        return b""

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out = bytes(self.sent)
        self.sent.clear()
        return out
