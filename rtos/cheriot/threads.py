"""Threads at a stop: the scheduler's thread blocks, trusted stacks and call chains
(rtos.md 3.3, 3.9, 4.1-4.3, 4.10)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from ...core.capability import Cap
from ..view import ViewError
from .header import Span
from .layouts import REGISTER_NAMES
from .model import StaticThread
from .reader import Reader

if TYPE_CHECKING:
    from .image import RtosImage

FOREVER = (1 << 64) - 1
ECALL = 11
# Scheduler globals by the tail of their mangled names (2024 and current spellings, 4.1).
SCHED_SYMBOLS = {
    "threads": r"12threadSpacesE$",
    "current": r"ThreadImplILj\d+EE7currentE$",
    "futex_list": r"16futexWaitingListE$",
    "multiwaiter_list": r"19MultiWaiterInternal7threadsE$",
    "interrupts": r"InterruptController10masterPlicE$",
    "ticks": r"ThreadImplILj\d+EE14ticksSinceBootE$",
    "sched_tstack": r"ThreadImplILj\d+EE11schedTStackE$",
}


class ThreadState(StrEnum):
    RUNNING = "running"
    READY = "ready"
    SLEEPING = "sleeping"
    YIELDING = "yielding"
    FUTEX = "waiting on futex"
    MULTIWAITER = "in a multiwaiter"
    EXITED = "exited"
    NOT_STARTED = "not started"   # the scheduler has not constructed its thread blocks yet


@dataclass(frozen=True)
class CallFrame:
    """One trusted-stack frame: a compartment call still in progress (index 0 = entry)."""

    index: int
    compartment: str | None       # the callee
    function: str | None          # the export called (the entry function for frame 0)
    export_address: int           # address of calleeExportTable (0 in the switcher call path)
    caller_compartment: str | None
    caller_pc: int | None         # return address in the caller (from the spill area)
    caller_sp: int | None
    error_handler_count: int


@dataclass(frozen=True)
class StackUse:
    stack: Span
    lowest_used: int | None       # the stack high-water mark (MSHWM), when the layout has one

    @property
    def used(self) -> int | None:
        if self.lowest_used is None or not (self.stack.start <= self.lowest_used
                                            <= self.stack.end):
            return None
        return self.stack.end - self.lowest_used


@dataclass(frozen=True)
class SavedContext:
    """A thread's register save area in its trusted stack (3.3): every register as the Cap
    it holds, with its tag (``Cap.tag``)."""

    address: int | None                      # of the save area; None for the live CPU
    registers: tuple[tuple[str, Cap], ...]   # "pcc", then "cra" ... "ca5" (c1..c15)
    mstatus: int
    mcause: int
    mshwm: int | None
    mshwmb: int | None
    live: bool = False                       # read from the CPU, not from a save area

    def __getitem__(self, name: str) -> Cap:
        aliases = {f"c{n}": abi for n, abi in enumerate(REGISTER_NAMES, start=1)}
        aliases.update(mepcc="pcc", ra="cra", sp="csp", gp="cgp")
        name = aliases.get(name, name)
        for reg, cap in self.registers:
            if reg == name:
                return cap
        raise KeyError(name)

    @property
    def resume_pc(self) -> int:
        """Where the thread resumes: the saved PC, past the ecall it trapped with."""
        pc = self["pcc"].address
        return pc + 4 if self.mcause == ECALL and not self.live else pc


class _Details:
    """How a Thread reads the rest of itself: at the stop it was read at, never later."""

    def __init__(self, reader: ThreadReader, static: StaticThread, ts: int,
                 started: bool) -> None:
        self.reader, self.static, self.ts, self.started = reader, static, ts, started
        self.generation = reader.generation

    def _check(self) -> ThreadReader:
        if self.reader.generation != self.generation:
            raise RuntimeError(f"thread {self.static.id} was read at an earlier stop: read "
                               "the threads again")
        return self.reader

    def call_chain(self) -> tuple[CallFrame, ...]:
        return self._check().call_chain(self.ts) if self.started else ()

    def top_compartment(self) -> str | None:
        if not self.started:
            return self.static.compartment
        count = self._check()._frame_count(self.ts)
        return self.reader._callee(self.ts, count - 1)[1] if count else self.static.compartment

    def context(self) -> SavedContext | None:
        return self._check().context(self.ts)

    def _live(self, thread: Thread) -> bool:
        return thread.on_cpu and self._check()._cpu_is_in_thread()

    def pc(self, thread: Thread) -> int | None:
        if not self.started:
            return None
        context = thread.context
        pc = context["pcc"].address if context else None
        return self.reader._live(lambda v: v.register("pcc").address, pc) \
            if self._live(thread) else pc

    def stack(self, thread: Thread) -> StackUse:
        if not self.started:
            return StackUse(self.static.stack, None)
        context = thread.context
        mshwm = context.mshwm if context else None
        if self._live(thread):
            mshwm = self.reader._live(lambda v: v.csr("mshwm"), mshwm)
        return StackUse(self.static.stack, mshwm)


@dataclass(frozen=True)
class Thread:
    """A thread at one stop. Its state, priorities and compartment come from its thread block
    and top trusted-stack frame; its save area, full call chain, pc and stack use are read on
    first use (a thread list for gdb needs none of them), from the same stop only."""

    id: int
    name: str                     # compartment.entry
    state: ThreadState
    base_priority: int
    priority: int                 # boosted by priority inheritance when above base_priority
    block: int | None             # thread block address
    trusted_stack: Span
    wake_time: int | None = None  # timer cycles; None when waiting forever or not suspended
    futex: int | None = None
    futex_priority_inheriting: bool = False
    boosts: int | None = None     # thread this waiter boosts (PI futexes)
    multiwaiter: int | None = None
    on_cpu: bool = False          # the scheduler's ``current``: running, or trapped into it
    _details: _Details | None = field(default=None, repr=False, compare=False)

    def _read(self) -> _Details:
        if self._details is None:
            raise ValueError(f"thread {self.id} has no details to read")
        return self._details

    @cached_property
    def call_chain(self) -> tuple[CallFrame, ...]:
        return self._read().call_chain()

    @cached_property
    def compartment(self) -> str | None:
        """Where it executes now: the callee of its top trusted-stack frame."""
        if "call_chain" in self.__dict__:
            return self.call_chain[-1].compartment if self.call_chain else \
                self._read().static.compartment
        return self._read().top_compartment()

    @cached_property
    def context(self) -> SavedContext | None:
        """The save area; stale for the running thread (live CPU)."""
        return self._read().context()

    @cached_property
    def pc(self) -> int | None:
        """The CPU's PC for the running thread, else the saved one."""
        return self._read().pc(self)

    @property
    def pc_owner(self) -> str | None:
        """The component whose code holds pc."""
        owner = self._read().reader.image.owner_of_code(self.pc) if self.pc is not None \
            else None
        return owner.name if owner else None

    @cached_property
    def stack(self) -> StackUse:
        return self._read().stack(self)

    @property
    def boosted(self) -> bool:
        return self.priority != self.base_priority

    def describe(self) -> str:
        if self.state == ThreadState.FUTEX:
            text = f"waiting on futex {self.futex:#010x}"
        elif self.state == ThreadState.MULTIWAITER:
            text = f"in multiwaiter {self.multiwaiter:#010x}"
        else:
            text = self.state.value
        if self.state in (ThreadState.FUTEX, ThreadState.MULTIWAITER, ThreadState.SLEEPING,
                          ThreadState.YIELDING):
            text += " until " + ("forever" if self.wake_time is None else
                                 f"cycle {self.wake_time}")
        return text


class ThreadReader:
    def __init__(self, image: RtosImage, reader: Reader) -> None:
        self.image = image
        self.r = reader
        self.generation = 0  # counts stops (RtosState.invalidate): a Thread reads only its own

    @cached_property
    def symbols(self) -> dict[str, int]:
        sched = self.image.component("scheduler")
        lo, hi = (sched.globals.start, sched.globals.end) if sched and sched.globals \
            else (0, 1 << 32)
        out = {}
        for key, pattern in SCHED_SYMBOLS.items():
            found = self.image.symbols.matching(pattern, lo, hi) or \
                self.image.symbols.matching(pattern)
            if found:
                out[key] = found[0].address
        return out

    def current_block(self) -> int | None:
        at = self.symbols.get("current")
        if at is None:
            return None
        cap = self.r.maybe(self.r.cap, at)
        return cap.address if cap is not None and cap.address else None

    def _block(self, static: StaticThread) -> int | None:
        base = self.symbols.get("threads")
        return base + self.image.thread_layout.size * (static.id - 1) if base is not None \
            else None

    def _started_block(self, static: StaticThread) -> bytes | None:
        """The thread's block, once the scheduler has constructed it (its ``threadId`` set)."""
        lay, block = self.image.thread_layout, self._block(static)
        raw = self.r.maybe(self.r.bytes, block, lay.size) if block is not None else None
        return raw if raw is not None and lay.get(raw, "threadId") == static.id else None

    def current_id(self) -> int:
        """The running thread's ID (0: none, the idle loop or before the scheduler made its
        threads) from two reads: the scheduler's ``current`` pointer and the block it names,
        without the save areas and call chains ``read_all`` reads (rtos.md 4.1, 4.10)."""
        current = self.current_block()
        base, size = self.symbols.get("threads"), self.image.thread_layout.size
        if current is None or base is None or current < base or (current - base) % size:
            return 0
        static = next((t for t in self.image.threads
                       if t.id == (current - base) // size + 1), None)
        return static.id if static is not None and self._started_block(static) else 0

    def any_started(self) -> bool:
        """Whether the scheduler has constructed any thread block (reads block by block)."""
        return any(self._started_block(static) is not None for static in self.image.threads)

    def read_all(self, known: dict[int, Thread | None] | None = None) -> tuple[Thread, ...]:
        """Every thread; ``known`` holds threads this stop has read already."""
        current = self.current_block()
        return tuple((known or {}).get(static.id) or
                     self._thread(static, self._block(static), current)
                     for static in self.image.threads)

    def read_one(self, thread_id: int) -> Thread | None:
        """One thread, reading only its own block, save area and call chain."""
        static = next((t for t in self.image.threads if t.id == thread_id), None)
        return self._thread(static, self._block(static), self.current_block()) \
            if static is not None else None

    def _thread(self, static: StaticThread, block: int | None, current: int | None) -> Thread:
        lay = self.image.thread_layout
        raw = self.r.maybe(self.r.bytes, block, lay.size) if block is not None else None
        if block is None or raw is None or lay.get(raw, "threadId") != static.id:
            return Thread(static.id, static.name, ThreadState.NOT_STARTED, static.priority,
                          static.priority, block, static.trusted_stack,
                          _details=_Details(self, static, static.trusted_stack.start, False))
        state_bits = lay.get(raw, "state")
        ts_cap = self.r.maybe(self.r.cap, block + lay["tStackPtr"].offset)
        ts = ts_cap.address if ts_cap is not None and ts_cap.address else \
            static.trusted_stack.start
        wake = futex = boosts = multiwaiter = None
        pi = False
        # ``current`` names the thread on the CPU; while the trap path or the scheduler runs it
        # still names the thread that trapped, which may already be suspended or exited (4.10).
        on_cpu = block == current
        if state_bits == 2:
            state = ThreadState.EXITED
        elif state_bits == 0:
            state = ThreadState.RUNNING if on_cpu else ThreadState.READY
        else:
            queue = int.from_bytes(raw[lay["sleepQueue"].offset:][:4], "little")
            expiry = lay.get(raw, "expiryTime")
            wake = None if expiry == FOREVER else expiry
            if queue and queue == self.symbols.get("futex_list"):
                state = ThreadState.FUTEX
                futex = lay.get(raw, "futexWaitAddress")
                pi = bool(lay.get(raw, "futexPriorityInheriting"))
                boosted = lay.get(raw, "futexPriorityBoostedThread")
                boosts = None if boosted == 0xFFFF or not pi else boosted
            elif queue and queue == self.symbols.get("multiwaiter_list"):
                state = ThreadState.MULTIWAITER
                multiwaiter = int.from_bytes(raw[lay["multiWaiter"].offset:][:4], "little")
            elif lay.has("isYielding") and lay.get(raw, "isYielding"):
                state = ThreadState.YIELDING
            else:
                state = ThreadState.SLEEPING
        return Thread(static.id, static.name, state, lay.get(raw, "OriginalPriority"),
                      lay.get(raw, "priority"), block, Span(ts, static.trusted_stack.size),
                      wake, futex, pi, boosts, multiwaiter, on_cpu,
                      _details=_Details(self, static, ts, True))

    def context(self, ts: int) -> SavedContext | None:
        lay = self.image.trusted_stack_layout
        raw = self.r.maybe(self.r.bytes, ts, lay["frames"].offset)
        if raw is None:
            return None
        regs = [("pcc", self.r.cap(ts + lay["mepcc"].offset))]
        for name in REGISTER_NAMES:
            regs.append((name, self.r.cap(ts + lay[name].offset)))
        get = lambda name: lay.get(raw, name) if lay.has(name) else None  # noqa: E731
        return SavedContext(ts, tuple(regs), get("mstatus") or 0, get("mcause") or 0,
                            get("mshwm"), get("mshwmb"))

    def _live(self, read, default):
        try:
            return read(self.r.view)
        except (ViewError, KeyError, ValueError):
            return default

    def _cpu_is_in_thread(self) -> bool:
        """MTDC holds a trusted stack: the CPU runs the thread, not the trap path or the
        scheduler (3.4, 4.10)."""
        return bool(self._live(lambda v: v.register("mtdc").tag, False))

    def live_context(self) -> SavedContext | None:
        """The CPU's registers, when they belong to the running thread: MTDC holds a trusted
        stack (null while the switcher's trap path or the scheduler runs, 3.4, 4.10)."""
        view = self.r.view
        if not self._cpu_is_in_thread():
            return None
        try:
            regs = [("pcc", view.register("pcc"))]
            regs += [(name, view.register(name)) for name in REGISTER_NAMES]
        except (ViewError, KeyError, ValueError):
            return None

        def csr(name: str) -> int | None:
            try:
                return view.csr(name)
            except (ViewError, KeyError, ValueError):
                return None
        return SavedContext(None, tuple(regs), csr("mstatus") or 0, csr("mcause") or 0,
                            csr("mshwm"), csr("mshwmb"), live=True)

    def thread_id_of_trusted_stack(self, ts: int) -> int | None:
        lay = self.image.trusted_stack_layout
        return self.r.maybe(self.r.field, ts, lay["threadID"])

    def _frame_count(self, ts: int) -> int:
        lay, frame = self.image.trusted_stack_layout, self.image.frame_layout
        frames_off = lay["frames"].offset
        offset = self.r.maybe(self.r.field, ts, lay["frameoffset"])
        if offset is None or offset <= frames_off:
            return 0
        static = self._static_of(ts)
        capacity = (static.trusted_stack.size - frames_off) // frame.size if static else 64
        return min((offset - frames_off) // frame.size, capacity)

    def _static_of(self, ts: int) -> StaticThread | None:
        return next((t for t in self.image.threads if t.trusted_stack.start == ts), None)

    def _frame_address(self, ts: int, k: int) -> int:
        return ts + self.image.trusted_stack_layout["frames"].offset + \
            self.image.frame_layout.size * k

    def _callee(self, ts: int, k: int) -> tuple[int, str | None, str | None]:
        """(export entry, compartment, function) that trusted-stack frame ``k`` called."""
        f = self._frame_address(ts, k)
        table = self.r.maybe(self.r.cap, f + self.image.frame_layout["calleeExportTable"].offset)
        entry = table.address if table is not None else 0
        owner = self.image.owner_of_export(entry) if entry else None
        function = None
        if owner is not None:
            comp = self.image.component(owner.name)
            exp = next((e for e in comp.exports if e.address == entry), None) if comp else None
            static = self._static_of(ts) if k == 0 else None
            if exp is not None:
                function = exp.function
            elif static is not None:
                function = static.function
        return entry, owner.name if owner else ("compartment_switcher" if not entry else None), \
            function

    def call_chain(self, ts: int) -> tuple[CallFrame, ...]:
        frame = self.image.frame_layout
        out: list[CallFrame] = []
        for k in range(self._frame_count(ts)):
            f = self._frame_address(ts, k)
            entry, compartment, function = self._callee(ts, k)
            handlers = self.r.maybe(self.r.field, f, frame["errorHandlerCount"]) or 0
            caller_pc = caller_sp = None
            if k > 0:
                spill = self.r.maybe(self.r.cap, f + frame["csp"].offset)
                if spill is not None and spill.address:
                    ra = self.r.maybe(self.r.cap, spill.address + 24)
                    caller_pc = ra.address if ra is not None else None
                    caller_sp = spill.address + 32
            out.append(CallFrame(k, compartment, function, entry,
                                 out[-1].compartment if out else None, caller_pc,
                                 caller_sp, handlers))
        return tuple(out)
