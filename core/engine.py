"""The execution engine: Unicorn executes; the fast path and reference semantics enforce CHERIoT.

Per instruction, the compiled fast path (fastpath.c) either lets Unicorn run it natively after
doing the capability bookkeeping, or calls ``Engine._slow`` which handles everything else at that
instruction boundary, in this order: stop requests and budgets, device time and interrupts,
breakpoints, the fetch check, watchpoints, then the reference semantics (core/semantics.py).
Traps are delivered here (Unicorn delivers none of ours). ``run``/``step`` return a ``Stop``.

Nothing above this module touches Unicorn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

import structlog
from unicorn import (
    UC_ARCH_RISCV,
    UC_ERR_FETCH_PROT,
    UC_ERR_FETCH_UNALIGNED,
    UC_ERR_FETCH_UNMAPPED,
    UC_MODE_RISCV32,
    Uc,
    UcError,
)
from unicorn.riscv_const import UC_CPU_RISCV32_SIFIVE_E31, UC_RISCV_REG_PC, UC_RISCV_REG_X1

from ..errors import EngineError, RegisterWriteError
from . import semantics
from .bitmanip import OPERATIONS as BITMANIP_OPERATIONS
from .capability import NULL, P_OF_PERMS, PERMS_OF_P, Cap, is_derivable
from .csr import INTERRUPT
from .debug_points import DebugPoints
from .decode import Instr, decode
from .engine_mapping import map_memory
from .hart import MCAUSE_CHERI, AccessFault, Hart, Trap, register_name
from .isa import ALL, Isa
from .memory import Memory, MmioRegion
from .state import (
    ACT_JUMP,
    ACT_NATIVE,
    ACT_STOP,
    CSR_OPS,
    DECODE_NO_FAST_CLC,
    F_BREAKPOINT,
    F_SIGNED,
    FAST_CSRS,
    FAST_KINDS,
    CoreState,
    DecodedInsn,
)
from .stops import Stop, StopKind, TrapInfo, WatchKind

if TYPE_CHECKING:
    from . import fastpath

log = structlog.get_logger(__name__)

NEVER = (1 << 64) - 1
WAKE_HORIZON = 1 << 62   # a wfi whose next device event is further away is halted for good
_UNTIL = 0xFFFF_FFFF  # odd, so never a PC: emu_start runs until we stop it


class Timebase(Protocol):
    """The devices' side of time (the machine implements it)."""

    def next_event(self) -> int | None:
        """Instruction count at which device outputs next change on their own."""

    def next_event_after_write(self, device: object) -> int | None:
        """``next_event()`` right after the firmware wrote a register of ``device`` (may
        re-evaluate only what such a write can move)."""

    def advance(self) -> None:
        """Bring every device up to the engine's current instruction count."""


class Catch(Enum):
    """Which exceptions stop the engine before they are taken (``monitor catch``)."""

    NONE = "none"
    CHERI = "cheri"
    ALL = "all"


@dataclass
class _PendingTrap:
    mcause: int
    mtval: int
    pc: int
    info: TrapInfo


def bitmanip_legal(isa: Isa) -> int:
    """Bit i: the bit-manipulation operation of kind BITMANIP_FIRST + i exists on ``isa``
    (bitmanip.OPERATIONS order), for fastpath.c's pre-decoder."""
    return sum(1 << i for i, (_, extensions) in enumerate(BITMANIP_OPERATIONS.values())
               if any(isa.has(e) for e in extensions))


def fill_entry(entry: DecodedInsn, instr: Instr, *, no_fast_clc: bool,
               breakpoint: bool) -> None:
    """The decode-cache entry the fast path runs ``instr`` from (fastpath.c's pre-decoder fills
    the same entry for the encodings it knows; tests/core/test_predecode.py compares them)."""
    kind = int(instr.kind)
    if instr.op in FAST_KINDS and not (instr.op == "clc" and no_fast_clc):
        kind = FAST_KINDS[instr.op]
    entry.rd, entry.rs1, entry.rs2 = instr.rd & 0xFF, instr.rs1 & 0xFF, instr.rs2 & 0xFF
    entry.width, entry.length, entry.imm = instr.width, instr.length, instr.imm
    if instr.op in CSR_OPS:
        if instr.csr not in FAST_CSRS:
            kind = int(instr.kind)
        # fastpath.c reads the CSR number from imm and an immediate form's zimm from rs1.
        entry.imm = instr.csr
        if instr.op.endswith("i"):
            entry.rs1 = instr.imm & 0x1F
    entry.kind = kind
    entry.by_c = 0
    flags = F_SIGNED if instr.signed else 0
    entry.flags = flags | (F_BREAKPOINT if breakpoint else 0)


class Engine:
    """One CHERIoT hart over a ``Memory``; run it with ``run``/``step``."""

    def __init__(self, memory: Memory, *, reference: bool = False, isa: Isa = ALL) -> None:
        from .fastpath import FastPath, RegisterBatch, emu_starter  # needs the library built

        self.memory = memory
        self.isa = isa  # the core's optional extensions and registers (core/isa.py)
        self._no_fast_clc = False
        self.core = CoreState()
        self.mtime_source: Callable[[], int] = lambda: self.core.instret
        self.hart = Hart(self.core, memory, lambda: self.mtime_source())
        self.hart.isa = isa
        self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
        # E31 has no F/D: nothing collides with CHERIoT's reuse of the FP compressed slots.
        self.uc.ctl_set_cpu_model(UC_CPU_RISCV32_SIFIVE_E31)
        self._mmio_callbacks = map_memory(self.uc, memory, self.core, self._device_failed,
                                          self._device_wrote)
        # A device whose next event moves on a read (an OpenTitan UART's receive timeout) is
        # not re-evaluated by the read itself, so a step may leave the cached event stale.
        self._events_follow_reads = any(
            isinstance(r, MmioRegion) and getattr(r.device, "events_follow_reads", False)
            for r in memory.regions)
        memory.describe_into(self.core)
        self._publish_codec_tables()
        memory.flush_code = self._flush_code
        memory.on_code_write = self._forget_decoded
        memory.on_mmio_write = self.events_changed
        self._fast = FastPath(self.uc, self.core, self._slow_entry)
        self.core.reference = 1 if reference else 0
        self.timebase: Timebase | None = None
        self.catch = Catch.CHERI
        self.points = DebugPoints(self.core, memory)
        # the same collections: the slow path asks them at every instruction it sees
        self.breakpoints = self.points.breakpoints
        self.watchpoints = self.points.watchpoints
        self.store_observers = self.points.store_observers
        self.trap_listeners: list[Callable[[TrapInfo], None]] = []
        # Optional instruction tracer: called with (pc, instr) for each instruction that reaches
        # the slow path, after fetch, decode and watchpoint checks and before it executes. In
        # reference mode that is every instruction (the headless runner's --trace uses this).
        self.tracer: Callable[[int, Instr], None] | None = None
        self.last_trap: TrapInfo | None = None
        self.exit_code: int | None = None
        self.run_time = 0.0
        self.asleep = 0   # of minstret, the instruction times wfi skipped (since reset)
        self._decoded: dict[int, Instr] = {}
        self._stop: Stop | None = None
        self._error: BaseException | None = None
        self._stop_requested = False
        self._exit_requested: int | None = None
        self._stop_at = self.core.stop_at = NEVER  # the C hook's copy: budget stops (fastpath.c)
        self._step_kind = StopKind.BUDGET
        self._stepping = False
        self._stop_on_trap = False
        self._resume_pc: int | None = None
        self._resume_instret = 0
        self._last_stop: Stop | None = None
        self._pending: _PendingTrap | None = None
        self._last_trap_instret: int | None = None
        self._device_event = NEVER
        self._uc_batch = RegisterBatch(self.uc)
        self._emu_start = emu_starter(self.uc)
        self._synced = False  # the hart's x1-x15 and pc equal Unicorn's (since the last stop)
        self._stop_synced = False  # _loop's stop came with the registers copied (budget_stop)
        self.reset(0)

    # --- set-up ----------------------------------------------------------------------------

    def _publish_codec_tables(self) -> None:
        """Give the fast path what it must not re-derive: permissions and the revocation map."""
        import ctypes

        self.core.perm_table[:] = PERMS_OF_P
        ctypes.memmove(self.core.p_of_perms, P_OF_PERMS, len(P_OF_PERMS))
        rev = self.memory.revocation
        shadow = self.memory.ram_at(rev.shadow_base) if rev is not None else None
        if rev is not None and shadow is not None and shadow.contains(rev.shadow_base,
                                                                      rev.shadow_size):
            self.core.rev_base = rev.revocable_base
            self.core.rev_size = rev.shadow_size
            self.core.rev_shadow = ctypes.addressof(shadow.buffer) + rev.shadow_base - shadow.base
        else:
            # The bitmap is not plain RAM (or absent): the fast path cannot read it, so CLC of a
            # revocable capability must not be decided there.
            self.core.rev_shadow = None
            self._no_fast_clc = rev is not None
        self.core.decode_opts = DECODE_NO_FAST_CLC if self._no_fast_clc else 0
        self.core.bitmanip_legal = bitmanip_legal(self.isa)

    def reset(self, entry: int) -> None:
        """Architectural reset (isa.md §7.7) with the PC at ``entry``. Interrupt lines (mip) are
        inputs driven by devices, not hart state, so they keep their levels."""
        lines = self.hart.mip
        self.hart.reset(entry)
        self.hart.mip = lines
        for i in range(1, 16):
            self.uc.reg_write(UC_RISCV_REG_X1 + i - 1, 0)
        self.uc.reg_write(UC_RISCV_REG_PC, entry)
        self._synced = False
        self._pending = None
        self._last_trap_instret = None
        self.last_trap = None
        self.asleep = 0
        self.exit_code = None
        self._exit_requested = None
        self._stop_requested = False
        self._resume_pc = None
        self._last_stop = None
        self._update_attention()

    # --- running ---------------------------------------------------------------------------

    def run(self, max_instructions: int | None = None, *, stop_on_trap: bool = False) -> Stop:
        """Run until something stops the hart. ``stop_on_trap`` also stops on any exception."""
        kind = StopKind.BUDGET
        return self._run(max_instructions, kind, stepping=False, stop_on_trap=stop_on_trap)

    def step(self, count: int = 1, *, stop_on_trap: bool = False) -> Stop:
        """Retire ``count`` instructions (a trap taken counts as the step's end). Interrupts are
        not delivered while stepping, as in QEMU's default single-step mode. ``stop_on_trap``
        stops before any exception is taken, as ``run`` does."""
        return self._run(count, StopKind.STEP, stepping=True, stop_on_trap=stop_on_trap)

    def single_step(self, *, stop_on_trap: bool = False) -> Stop:
        """``step(1)`` for a debugger, the same stop without the run's set-up: no device walk
        before it (the device event cached at the last stop is current: every device change
        since went through ``events_changed``/``refresh``, and a due event is handled in the
        loop as in ``run``), and the pc read once, from the last stop's register copy while
        that is current (no call into Unicorn). A pending trap, an exited firmware or a
        machine that has not stopped since power-on (its devices not yet brought to time)
        takes the full path."""
        if self._pending is not None or self.exit_code is not None or self._last_stop is None:
            return self.step(1, stop_on_trap=stop_on_trap)
        core = self.core
        pc = self.hart.pc if self._synced else self.pc  # synced: the stop's copy is Unicorn's
        self._stop_at = core.stop_at = core.instret + 1
        core.event_at = min(self._device_event, self._stop_at)
        self._step_kind = StopKind.STEP
        self._stepping = True
        self._stop_on_trap = stop_on_trap
        self._resume_pc = pc
        self._resume_instret = core.instret
        started = time.perf_counter()
        try:
            return self._finish(self._loop(pc), walk=self._events_follow_reads)
        finally:
            self.run_time += time.perf_counter() - started
            self._stepping = False

    def request_stop(self) -> None:
        """Stop at the next instruction boundary; safe to call from another thread."""
        self._stop_requested = True
        self.core.attention = 1

    def discard_stop_request(self) -> None:
        """Forget a request_stop() that arrived while the hart was not running."""
        self._stop_requested = False
        self._update_attention()

    def refresh(self) -> None:
        """Re-evaluate interrupts and device events after state was changed from outside."""
        self._refresh_event_at()
        self._update_attention()

    def _run(self, budget: int | None, kind: StopKind, *, stepping: bool,
             stop_on_trap: bool) -> Stop:
        if self.exit_code is not None:
            return Stop(StopKind.EXIT, self.pc, exit_code=self.exit_code,
                        message="the firmware has exited; reset to run it again")
        self._stop_at = self.core.stop_at = NEVER if budget is None else self.core.instret + budget
        self._step_kind = kind
        self._stepping = stepping
        self._stop_on_trap = stop_on_trap
        self._resume_pc = self.pc
        self._resume_instret = self.core.instret
        started = time.perf_counter()
        try:
            if self._pending is not None:
                pending, self._pending = self._pending, None
                self._enter_trap(pending.mcause, pending.mtval, pending.pc, pending.info)
                if stepping:
                    return self._finish(Stop(kind, self.pc, trap=pending.info))
            self._refresh_event_at()
            return self._finish(self._loop())
        finally:
            self.run_time += time.perf_counter() - started
            self._stepping = False

    def _resumes_watch_stop(self, pc: int) -> bool:
        """Whether the run resumes from a watchpoint's stop at ``pc`` (the stop it reported)."""
        last = self._last_stop
        return last is not None and last.kind is StopKind.WATCHPOINT and last.pc == pc

    def _finish(self, stop: Stop, *, walk: bool = True) -> Stop:
        """``walk=False`` (a single step, on boards whose device events move only on writes
        and with time): the cached soonest event is kept, as the loop keeps it between
        instructions, unless an event fell due; it is re-asked of every device otherwise."""
        self._last_stop = stop
        if self._stop_synced:  # the C hook copied the registers at the budget's stop
            self._stop_synced = False
            self._synced = True
        else:
            self._sync_from_uc()
        self._stop_at = self.core.stop_at = NEVER
        if self.timebase is not None and self.core.instret >= self._device_event:
            # A device event fell due at the stop's instant (a budget or step ends there before
            # _slow brings the devices up to time): its outputs follow now. Asked later, a device
            # whose output is a function of time (the CLINT's MTIP) would report no event at all.
            self.timebase.advance()
            walk = True
        if walk:
            self._refresh_event_at()
        else:
            self.core.event_at = self._device_event
        return stop

    def _loop(self, pc: int | None = None) -> Stop:
        """Run from ``pc`` (default: Unicorn's PC) until a stop. The budget's stop is made
        here when the C hook ended the run at it without the slow path (``core.budget_stop``)."""
        core = self.core
        while True:
            self._stop = None
            self._synced = False
            begin, pc = (self.pc if pc is None else pc), None
            try:
                status = self._emu_start(begin, _UNTIL, 0, 0)
                if status:
                    raise UcError(status)
            except UcError as exc:
                if self._error is None:
                    stop = self._unicorn_error(exc)
                    if stop is not None:
                        return stop
                    continue
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._stop is not None:
                return self._stop
            if core.budget_stop:  # x1-x15 are in core.x, the pc in budget_pc: no copy needed
                core.budget_stop = 0
                self._resume_pc = None
                self._stop_synced = True
                self.hart.pc = pc = core.budget_pc
                return Stop(self._step_kind, pc)

    def _unicorn_error(self, exc: UcError) -> Stop | None:
        """Unicorn could not fetch: fetch checks first (isa.md §7.4), else an access fault."""
        pc = self.pc
        self.hart.pc = pc
        self._sync_from_uc()
        if exc.errno in (UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT, UC_ERR_FETCH_UNALIGNED):
            try:
                semantics.check_fetch(self.hart, 2)
                trap = Trap(1, pc, f"instruction access fault: no memory at {pc:#010x}")
            except Trap as fetch_trap:
                trap = fetch_trap
        else:
            raise EngineError(f"Unicorn failed at pc={pc:#010x}: {exc}") from exc
        action = self._trap(pc, trap, None)
        self._write_back_x()
        if action & ACT_JUMP:
            self.uc.reg_write(UC_RISCV_REG_PC, self.core.next_pc)
        if action & ACT_STOP:
            return self._stop
        return None

    # --- the slow path (called from C before an instruction) ------------------------------

    def _slow_entry(self, pc: int, size: int) -> int:
        try:
            return self._slow(pc, size)
        except BaseException as exc:  # noqa: BLE001 - re-raised after emu_start returns
            self._error = exc
            return ACT_STOP

    def _slow(self, pc: int, size: int) -> int:
        core, hart = self.core, self.hart
        hart.pc = pc
        # The instruction a run starts on is not stopped at again by its own breakpoint, nor by
        # the watchpoint its last stop reported (gdb removes them before resuming; other clients
        # may not). Any other watched access it makes stops before it runs, stepped or not, as
        # a RISC-V trigger of timing "before" does (gdb: riscv has nonsteppable watchpoints).
        resuming = self._resume_pc == pc and self._resume_instret == core.instret
        watch_exempt = resuming and self._resumes_watch_stop(pc)
        self._resume_pc = None
        if self._exit_requested is not None:  # a device ended the simulation mid-instruction
            self._exit(pc)
            return ACT_STOP
        if self._stop_requested:
            self._stop_requested = False
            self._update_attention()
            return self._stop_here(Stop(StopKind.INTERRUPTED, pc))
        if core.instret >= self._stop_at:
            return self._stop_here(Stop(self._step_kind, pc))
        if self.timebase is not None and core.instret >= self._device_event:
            self.timebase.advance()
            self._refresh_event_at()
        if not self._stepping:
            code = semantics.pending_interrupt(hart)
            if code is not None:
                return self._trap(pc, Trap(INTERRUPT | code, 0, "interrupt"), None)
        if pc in self.breakpoints and not resuming:
            return self._stop_here(Stop(StopKind.BREAKPOINT, pc))
        instr: Instr | None = None
        try:
            semantics.check_fetch(hart, size)
            instr = self._instr_at(pc)
            if self.watchpoints and not watch_exempt:
                hit = self.points.watch_hit(instr, self.hart.read_x(instr.rs1))
                if hit is not None:
                    return self._stop_here(Stop(StopKind.WATCHPOINT, pc, watch=hit))
            if self.tracer is not None:
                self.tracer(pc, instr)
            outcome = semantics.execute(hart, instr)
        except Trap as trap:
            return self._trap(pc, trap, instr)
        except AccessFault as fault:  # fetching the instruction itself failed
            return self._trap(pc, Trap(1, fault.address, "instruction access fault"), instr)
        if outcome is semantics.Outcome.NATIVE:
            core.instret += 1
            self._update_attention()
            return ACT_NATIVE
        if outcome is semantics.Outcome.WFI:
            return self._wait_for_interrupt(pc)
        if self._exit_requested is not None:
            return self._exit(hart.next_pc)
        self._update_attention()
        core.next_pc = hart.next_pc
        return ACT_JUMP

    def _stop_here(self, stop: Stop) -> int:
        self._stop = stop
        return ACT_STOP

    def _instr_at(self, pc: int) -> Instr:
        region = self.memory.ram_at(pc)
        if region is None or region.dtab is None:
            raise AccessFault(pc)
        entry = region.dtab[(pc - region.base) >> 1]
        cached = self._decoded.get(pc)
        if entry.kind and not entry.by_c and cached is not None:
            return cached
        low = self.memory.load(pc, 2)
        word = low if low & 3 != 3 else self.memory.load(pc, 4)
        instr = decode(word, self.isa)
        self._decoded[pc] = instr
        fill_entry(entry, instr, no_fast_clc=self._no_fast_clc,
                   breakpoint=pc in self.breakpoints)
        return instr

    def _wait_for_interrupt(self, pc: int) -> int:
        """``wfi``: fast-forward time to the next device event until an interrupt is pending."""
        core, hart = self.core, self.hart
        if not hart.mie:
            # wfi wakes on an interrupt pending and enabled in mie, whatever mstatus.MIE says
            # (RISC-V privileged spec, WFI): with mie clear no device event can end it
            return self._stop_here(Stop(
                StopKind.HALTED, pc, message="wfi with every interrupt masked (mie = 0)"))
        while not (hart.mip & hart.mie):
            due = self.timebase.next_event() if self.timebase is not None else None
            if due is None:
                return self._stop_here(Stop(
                    StopKind.HALTED, pc,
                    message="wfi with no interrupt source that can ever fire"))
            if due > self._stop_at:
                self.asleep += self._stop_at - core.instret
                core.instret = self._stop_at
                return self._stop_here(Stop(self._step_kind, pc))
            if due - core.instret > WAKE_HORIZON:
                # a timer parked in the far future (mtimecmp's high word all ones, as the RTOS
                # parks it): skipping there would leave minstret no room to count on
                return self._stop_here(Stop(
                    StopKind.HALTED, pc, message="wfi with no interrupt due within 2**62 "
                                                 "instruction times (the timer is parked)"))
            self.asleep += max(0, due - core.instret)
            core.instret = max(core.instret, due)
            assert self.timebase is not None
            self.timebase.advance()
        core.instret += 1
        self._refresh_event_at()
        self._update_attention()
        core.next_pc = pc + 4
        return ACT_JUMP

    def _exit(self, next_pc: int) -> int:
        self.exit_code = self._exit_requested
        self._exit_requested = None
        self.core.next_pc = next_pc
        self._stop = Stop(StopKind.EXIT, next_pc, exit_code=self.exit_code)
        return ACT_JUMP | ACT_STOP

    # --- traps -----------------------------------------------------------------------------

    def _trap(self, pc: int, trap: Trap, instr: Instr | None) -> int:
        info = self._explain(pc, trap, instr)
        interrupt = bool(trap.mcause & INTERRUPT)
        if not interrupt and self._last_trap_instret == self.core.instret:
            # The handler's first instruction faulted: the trap cannot be delivered.
            first = self.last_trap or info
            return self._stop_here(Stop(
                StopKind.LOCKUP, pc, trap=first,
                message=f"trap handler at {pc:#010x} cannot run ({info.description})"))
        if not interrupt and self._should_catch(trap.mcause):
            self._pending = _PendingTrap(trap.mcause, trap.mtval, pc, info)
            self.last_trap = info
            return self._stop_here(Stop(StopKind.EXCEPTION, pc, trap=info))
        self._enter_trap(trap.mcause, trap.mtval, pc, info)
        self.core.next_pc = self.hart.next_pc
        if self._stepping and not interrupt:
            self._stop = Stop(self._step_kind, self.hart.next_pc, trap=info)
            return ACT_JUMP | ACT_STOP
        return ACT_JUMP

    def _should_catch(self, mcause: int) -> bool:
        if self._stop_on_trap or self.catch is Catch.ALL:
            return True
        return self.catch is Catch.CHERI and mcause == MCAUSE_CHERI

    def _enter_trap(self, mcause: int, mtval: int, pc: int, info: TrapInfo) -> None:
        semantics.take_trap(self.hart, mcause, mtval, pc)
        self.uc.reg_write(UC_RISCV_REG_PC, self.hart.next_pc)
        self._synced = False
        self.last_trap = info
        if not mcause & INTERRUPT:
            self._last_trap_instret = self.core.instret
        self._update_attention()
        for listener in self.trap_listeners:
            listener(info)
        log.debug("trap", mcause=hex(mcause), mtval=hex(mtval), pc=hex(pc))

    def _explain(self, pc: int, trap: Trap, instr: Instr | None) -> TrapInfo:
        mcause, mtval = trap.mcause, trap.mtval
        cheri = mcause == MCAUSE_CHERI
        description = trap.description or semantics.describe_trap(mcause, mtval)
        return TrapInfo(
            mcause=mcause, mtval=mtval, pc=pc, interrupt=bool(mcause & INTERRUPT),
            description=description, cheri_cause=(mtval & 0x1F) if cheri else None,
            register=register_name((mtval >> 5) & 0x3F) if cheri else None,
            capability=trap.capability, decoded=instr)

    def discard_pending_trap(self) -> None:
        """Forget a caught exception instead of delivering it (gdb's ``signal 0``)."""
        self._pending = None

    @property
    def pending_trap(self) -> TrapInfo | None:
        return self._pending.info if self._pending else None

    # --- events, interrupts, exits (called by devices through the machine) -----------------

    def set_irq_line(self, bit: int, level: bool) -> None:
        if level:
            self.hart.mip |= 1 << bit
        else:
            self.hart.mip &= ~(1 << bit)
        self._update_attention()

    def request_exit(self, code: int) -> None:
        """The firmware asked to end the simulation with ``code``."""
        self._exit_requested = code
        self.core.attention = 1

    def events_changed(self) -> None:
        """A device re-programmed when it next needs attention (e.g. a timer compare)."""
        self._refresh_event_at()

    def _device_failed(self, exc: BaseException) -> None:
        """A device raised during a native access: a device bug must not kill the run
        silently; the run stops and ``exc`` is raised once emu_start returns."""
        self._error = exc
        self.request_stop()

    def _device_wrote(self, device: object) -> None:
        due = self.timebase.next_event_after_write(device) if self.timebase is not None else None
        self._device_event = NEVER if due is None else due
        self.core.event_at = min(self._device_event, self._stop_at)

    def _refresh_event_at(self) -> None:
        due = self.timebase.next_event() if self.timebase is not None else None
        self._device_event = NEVER if due is None else due
        self.core.event_at = min(self._device_event, self._stop_at)

    def _update_attention(self) -> None:
        hart = self.hart
        deliverable = hart.mie_enabled and bool(hart.mip & hart.mie)
        pending = self._stop_requested or self._exit_requested is not None
        self.core.attention = 1 if (deliverable or pending) else 0
        if self._stop_requested:  # request_stop ran on another thread since it was read above
            self.core.attention = 1

    # --- breakpoints and watchpoints (debug_points.py) ------------------------------------

    def add_breakpoint(self, address: int) -> None:
        self.points.add_breakpoint(address)

    def remove_breakpoint(self, address: int) -> None:
        self.points.remove_breakpoint(address)

    def add_watchpoint(self, address: int, length: int, kind: WatchKind) -> None:
        """EngineError when every slot is taken; a refused watchpoint leaves nothing behind."""
        self.points.add_watchpoint(address, length, kind)

    def remove_watchpoint(self, address: int, length: int, kind: WatchKind) -> bool:
        return self.points.remove_watchpoint(address, length, kind)

    def observe_stores(self, address: int, length: int) -> None:
        """Route stores to [address, address+length) through Python (e.g. HTIF ``tohost``)."""
        self.points.observe_stores(address, length)

    # --- state access for debuggers and loaders --------------------------------------------

    @property
    def pc(self) -> int:
        return self._uc_batch.pc()

    def set_pc(self, address: int) -> None:
        """Move the PC (PCC's address); a caught exception is then no longer pending."""
        self.uc.reg_write(UC_RISCV_REG_PC, address & 0xFFFF_FFFE)
        self.hart.pc = address & 0xFFFF_FFFE
        self._pending = None

    def _sync_from_uc(self) -> None:
        # One batch call into Unicorn (fastpath.RegisterBatch): per-register reads were most of
        # the cost of a debugger single-step.
        xs, self.hart.pc = self._uc_batch.read()
        self.core.x[1:16] = xs
        self._synced = True

    def _write_back_x(self) -> None:
        dirty = self.core.xdirty
        for i in range(1, 16):
            if dirty & (1 << i):
                self.uc.reg_write(UC_RISCV_REG_X1 + i - 1, self.core.x[i])
        self.core.xdirty = 0

    def read_cap(self, index: int) -> Cap:
        """General-purpose capability register ``index`` (0-15)."""
        self._sync_from_uc()
        return self.hart.read_cap(index)

    def read_registers(self) -> Hart:
        """The hart with x1-x15 and the pc copied from Unicorn (one batch call); they stay
        current until the engine runs or a register is written. A debugger reads the
        registers it needs from it without building all sixteen capabilities."""
        if not self._synced:  # the stop already copied them (_finish)
            self._sync_from_uc()
        return self.hart

    def read_caps(self) -> tuple[Cap, ...]:
        """All 16 general-purpose capability registers at once (one copy from Unicorn)."""
        self._sync_from_uc()
        return tuple(self.hart.read_cap(i) for i in range(16))

    def write_cap(self, index: int, cap: Cap) -> None:
        """Set a register from the debugger. Untagged values are always accepted; a tagged value
        only when instructions could derive it from the register's current value
        (``capability.is_derivable``, the one rule every debugger write follows)."""
        if index == 0:
            raise RegisterWriteError("cnull/zero is hard-wired to NULL")
        current = self.read_cap(index)
        if not is_derivable(current, cap):
            raise RegisterWriteError(
                f"refusing to write a tagged capability to {register_name(index)}: it is not "
                "derivable from the capability the register holds (a debugger may only narrow "
                "bounds/permissions or clear the tag)")
        self.hart.write_cap(index, cap)
        self._write_back_x()

    def write_int(self, index: int, value: int) -> None:
        """An integer write to ``x<index>``: the address field changes as CSetAddr would change it
        (the tag survives only if the new address is representable and the value unsealed)."""
        if index == 0:
            return
        current = self.read_cap(index)
        new = current.set_address(value)
        if current.sealed:
            new = new.with_tag(False)
        self.hart.write_cap(index, new)
        self._write_back_x()

    def read_memory(self, address: int, length: int) -> bytes:
        return self.memory.read(address, length)

    def write_memory(self, address: int, data: bytes) -> None:
        self.memory.write(address, data)

    def read_cap_memory(self, address: int) -> Cap:
        bits, tag = self.memory.load_cap(address & ~7)
        return Cap.from_bits(bits, tag)

    def _flush_code(self, lo: int, hi: int) -> None:
        self.uc.ctl_remove_cache(lo, hi)

    def _forget_decoded(self, lo: int, hi: int) -> None:
        for pc in range(lo, hi, 2):
            self._decoded.pop(pc, None)

    def record_trace(self, on_full: Callable[[], None]) -> fastpath.TraceRecorder:
        """Start the compiled instruction trace (fastpath.TraceRecorder): a record for each
        instruction started, fast or slow path, and for each register it changed. The
        ``tracer`` hook must pass the slow path's instructions on to ``recorder.slow``."""
        from .fastpath import TraceRecorder

        return TraceRecorder(self.core, on_full)

    def recent_pcs(self, count: int = 16) -> list[int]:
        """Addresses of the most recently started instructions, oldest first."""
        core = self.core
        n = min(count, 64, core.hist_pos)
        return [core.history[(core.hist_pos - n + i) & 63] for i in range(n)]

    @property
    def stats(self) -> dict[str, float]:
        instret = self.core.instret
        return {
            "instructions": instret,
            "asleep": self.asleep,
            "fast": self.core.n_fast,
            "slow": self.core.n_slow,
            "exits": self.core.n_exit,
            "seconds": self.run_time,
            "ips": instret / self.run_time if self.run_time else 0.0,
        }


__all__ = ["Catch", "Engine", "NULL", "Timebase"]
