"""Conformance harness: assemble a snippet with GNU as + cheriot.inc, load it, run it, look.

A snippet is assembly placed after a standard prologue (``PROLOGUE``) that hands it:

    ca5  memory root (read from MTDC)             address 0, metadata 0x7E3E0000
    ca4  data object [DATA, DATA + 0x100)         address DATA, metadata 0x7E020000
    ca3  sealing root (read from MScratchC)       address 0, metadata 0x4E3E0000
    csp  stack [STACK_TOP - 0x1000, STACK_TOP)    address STACK_TOP
    MTCC the default handler ``trap_handler``; every other register is NULL

and is followed by ``done: ebreak``. The harness puts breakpoints on ``done`` and on
``trap_done`` (the end of the handler), so a snippet that completes stops with kind
BREAKPOINT at ``done``; with ``Catch.ALL`` (the default) the first exception stops the engine
before it is taken (kind EXCEPTION, ``stop.trap`` = mcause/mtval/pc). With ``Catch.NONE`` traps
are taken: the default handler copies MEPCC to cs0, mcause to s1, mtval to t2 and mstatus to t1
and stops at ``trap_done``.

Every test runs in both engine modes (``mode`` fixture, conftest.py). In the fast mode the
snippet is first run once to fill the decode cache (the compiled fast path only handles
instructions that Python has decoded once), then memory is restored and the hart reset, and the
second run is the one examined; so each instruction the first run reached really goes through
fastpath.c when it can. The harness checks that it did: the engine's tracer names every
instruction that reached the Python slow path, and each instruction of the snippet that has a
compiled case must be absent from that list in the examined run, unless it trapped or the test
names it (``deferred``/``deferred_ops``: a case fastpath.c leaves to Python on purpose).
``setup`` steps (memory images, interrupt lines) run after each reset.

Snippets use ``tp`` as their scratch integer register (integer names alias the capability
registers: ``li a1, ..`` overwrites ``ca1``).

Expected values in the tests come from isa.md (section numbers cited), never from the engine.
"""

from __future__ import annotations

import ctypes
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.boards.image import Image, load_elf
from cheriot_gdbserver.core.capability import Cap
from cheriot_gdbserver.core.decode import Instr, Kind
from cheriot_gdbserver.core.engine import Catch, Engine
from cheriot_gdbserver.core.hart import CAP_REG_NAMES, INT_REG_NAMES, Hart
from cheriot_gdbserver.core.memory import Memory, RamRegion, Revocation
from cheriot_gdbserver.core.state import FAST_KINDS
from cheriot_gdbserver.core.stops import Stop, StopKind, TrapInfo

# --- the memory map (the sail board's RAM and revocation bitmap, isa.md §8.2, §8.4) -----------

RAM_BASE, RAM_SIZE = 0x8000_0000, 0x4_0000
SHADOW_BASE, SHADOW_SIZE = 0x8300_0000, 0x1000
UNTAGGED_BASE, UNTAGGED_SIZE = 0x8400_0000, 0x1000   # plain RAM without tags (§8.1)
UNMAPPED = 0x9000_0000                               # nothing here: access faults
DATA = 0x8002_0000        # the object ca4 covers; the rest of 0x8002xxxx is scratch too
STACK_TOP = 0x8003_0000

# --- numbers from isa.md ----------------------------------------------------------------------

MCAUSE_ILLEGAL, MCAUSE_BREAKPOINT = 2, 3
MCAUSE_LOAD_MISALIGNED, MCAUSE_LOAD_ACCESS = 4, 5
MCAUSE_STORE_MISALIGNED, MCAUSE_STORE_ACCESS = 6, 7
MCAUSE_ECALL, MCAUSE_CHERI = 11, 0x1C
# CHERI cause codes (§7.1)
BOUNDS, TAG, SEAL, EXECUTE, LOAD, STORE, STORE_CAP, SYSREG = (
    0x01, 0x02, 0x03, 0x11, 0x12, 0x13, 0x15, 0x18)
PCC = 0x20  # register number of PCC in mtval (§7.2)

MEM_ROOT, EXE_ROOT, SEAL_ROOT = 0x7E3E_0000, 0x5E3E_0000, 0x4E3E_0000  # §2.11
DATA_META = 0x7E02_0000   # [DATA, DATA + 0x100): E 0, B 0x000, T 0x100 (§2.8)
MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP = 0x8, 0x80, 0x1800

REGS = {name: i for i, name in enumerate(CAP_REG_NAMES)}
REGS.update({name: i for i, name in enumerate(INT_REG_NAMES)})


def mtval(cause: int, reg: int | str) -> int:
    """mtval of a CHERI exception: register number << 5 | cause (isa.md §7.2)."""
    index = REGS[reg] if isinstance(reg, str) else reg
    return (index << 5) | cause


PROLOGUE = f"""\
.include "cheriot.inc"
.section .text.start, "ax"
.globl _start
_start:
    cllc ct0, trap_handler
    cspecialw mtcc, ct0
    cspecialr ca5, mtdc
    li t0, {DATA:#x}
    csetaddr ca4, ca5, t0
    csetbounds ca4, ca4, 0x100
    li t0, {STACK_TOP - 0x1000:#x}
    csetaddr csp, ca5, t0
    li t1, 0x1000
    csetbounds csp, csp, t1
    cincoffset csp, csp, t1
    cspecialr ca3, mscratchc
    li t0, 0
    li t1, 0
snippet:
"""

EPILOGUE = """
done:
    ebreak
"""

DEFAULT_HANDLER = """
.p2align 2
trap_handler:
    cspecialr cs0, mepcc
    csrr s1, mcause
    csrr t2, mtval
    csrr t1, mstatus
trap_done:
    ebreak
"""


@dataclass
class Result:
    """What a run left behind; assert on it."""

    engine: Engine
    stop: Stop
    symbols: dict[str, int]

    def cap(self, reg: int | str) -> Cap:
        return self.engine.read_cap(REGS[reg] if isinstance(reg, str) else reg)

    def triple(self, reg: int | str) -> tuple[int, int, int]:
        """(tag, address, metadata word) of a register: its whole architectural state."""
        c = self.cap(reg)
        return int(c.tag), c.address, c.meta

    def x(self, reg: int | str) -> int:
        return self.cap(reg).address

    def mem_cap(self, address: int) -> Cap:
        return self.engine.read_cap_memory(address)

    def mem_triple(self, address: int) -> tuple[int, int, int]:
        c = self.mem_cap(address)
        return int(c.tag), c.address, c.meta

    def tag(self, address: int) -> bool | None:
        return self.engine.memory.tags(address, 1)[0]

    def word(self, address: int, size: int = 4) -> int:
        return int.from_bytes(self.engine.read_memory(address, size), "little")

    def sym(self, name: str) -> int:
        return self.symbols[name]

    @property
    def trap(self) -> TrapInfo:
        assert self.stop.trap is not None, f"no trap: stopped {self.stop}"
        return self.stop.trap

    @property
    def hart(self) -> Hart:
        """The engine's hart: CSRs and SCRs as they are after the run."""
        return self.engine.hart

    def scr(self, number: int) -> Cap:
        return self.engine.hart.scr[number]


# --- building ---------------------------------------------------------------------------------

_WORKDIR = Path(tempfile.mkdtemp(prefix="cheriot-conformance-"))
_IMAGES: dict[str, Image] = {}


def source(body: str, *, handler: str = DEFAULT_HANDLER, bare: bool = False) -> str:
    if bare:
        head = '.include "cheriot.inc"\n.section .text.start, "ax"\n.globl _start\n_start:\n'
    else:
        head = PROLOGUE
    return head + body + EPILOGUE + handler


def build(text: str) -> Image:
    """Assemble and link once per distinct source text."""
    image = _IMAGES.get(text)
    if image is None:
        digest = hashlib.sha1(text.encode()).hexdigest()[:16]
        elf = assemble(text, _WORKDIR / digest, text_address=RAM_BASE)
        image = load_elf(elf)
        _IMAGES[text] = image
    return image


def new_memory() -> Memory:
    regions = [
        RamRegion("ram", RAM_BASE, RAM_SIZE),
        RamRegion("shadow", SHADOW_BASE, SHADOW_SIZE, tagged=False, executable=False),
        RamRegion("untagged", UNTAGGED_BASE, UNTAGGED_SIZE, tagged=False, executable=False),
    ]
    return Memory(regions, Revocation(RAM_BASE, SHADOW_BASE, SHADOW_SIZE))


Setup = Callable[[Engine], None]


class Machine:
    """One engine with one image loaded; ``run`` restores memory and resets before each run."""

    def __init__(self, image: Image, *, reference: bool) -> None:
        self.image = image
        self.symbols = image.symbols
        self.memory = new_memory()
        self.engine = Engine(self.memory, reference=reference)
        for segment in image.segments:
            self.memory.write(segment.address, segment.data)
        self._snapshot = [(r, bytes(r.view), bytes(r.tags) if r.tags is not None else None)
                          for r in self.memory.regions if isinstance(r, RamRegion)]
        for label in ("done", "trap_done"):
            if label in self.symbols:
                self.engine.add_breakpoint(self.symbols[label])

    def _restore(self) -> None:
        """Put back the bytes and tags of the freshly loaded image. Only the bytes that changed
        are rewritten (through Memory.write, so overwritten code would be re-decoded); the rest
        of the decode cache stays warm."""
        for region, data, tags in self._snapshot:
            now = bytes(region.view)
            for page in range(0, len(data), 0x1000):
                old = data[page:page + 0x1000]
                if now[page:page + 0x1000] == old:
                    continue
                diff = [i for i in range(len(old)) if now[page + i] != old[i]]
                lo, hi = diff[0], diff[-1] + 1
                self.memory.write(region.base + page + lo, old[lo:hi])
            if tags is not None and region.tags is not None:
                ctypes.memmove(region.tags, tags, len(tags))

    def run(self, *, setup: Setup | None = None, catch: Catch = Catch.ALL,
            budget: int = 20_000) -> Stop:
        self._restore()
        assert self.image.entry is not None
        self.engine.reset(self.image.entry)
        if setup is not None:
            setup(self.engine)
        self.engine.catch = catch
        self.slow = {}
        self.trapped = set()
        return self.engine.run(budget)

    def trace(self) -> None:
        """Record, from now on, the instructions that reach the Python slow path (the engine's
        tracer sees each of them, after decoding) and where traps are taken."""
        def tracer(pc: int, instr: Instr) -> None:
            self.slow[pc] = instr

        self.slow: dict[int, Instr] = {}
        self.trapped: set[int] = set()
        self.engine.tracer = tracer
        self.engine.trap_listeners.append(lambda info: self.trapped.add(info.pc))


def has_fast_case(instr: Instr) -> bool:
    """Whether fastpath.c has a compiled case for the instruction (fastpath.c's switch). CSR
    instructions are left out: only the hot CSRs are compiled, the rest go to Python by
    design, and that list is the fast path's own business."""
    if instr.op.startswith("csr"):
        return False
    return instr.kind in (Kind.NATIVE_INT, Kind.NATIVE_OTHER, Kind.LOAD, Kind.STORE) or \
        instr.op in FAST_KINDS


def run(mode: str, body: str, *, setup: Setup | None = None, catch: Catch = Catch.ALL,
        handler: str = DEFAULT_HANDLER, bare: bool = False, budget: int = 20_000,
        deferred: tuple[str, ...] = (), deferred_ops: tuple[str, ...] = ()) -> Result:
    """Run ``body`` in ``mode`` ("reference" or "fast") and return what it left behind.

    In the fast mode, also check that fastpath.c itself executed every instruction of the
    snippet it has a case for, except those that trapped, those at the ``deferred`` labels
    and any ``deferred_ops`` instruction (cases fastpath.c leaves to Python on purpose).
    """
    image = build(source(body, handler=handler, bare=bare))
    machine = Machine(image, reference=(mode == "reference"))
    if mode == "reference":
        stop = machine.run(setup=setup, catch=catch, budget=budget)
        assert machine.engine.core.n_fast == 0
        return Result(machine.engine, stop, machine.symbols)
    # Fast mode. The warm-up run decodes every instruction it reaches, so each one goes through
    # the slow path at least once there: its trace is the set of instructions executed.
    machine.trace()
    machine.run(setup=setup, catch=catch, budget=budget)
    executed = set(machine.slow)
    stop = machine.run(setup=setup, catch=catch, budget=budget)
    if stop.trap is not None and stop.kind is StopKind.EXCEPTION:
        machine.trapped.add(stop.trap.pc)
    if not bare:
        # The instructions under test are the snippet's. Each one the fast path has a case for
        # must have been executed by fastpath.c itself in the examined run, unless it trapped
        # (every fault is raised by the reference) or the test says it may defer.
        lo, hi = machine.symbols["snippet"], machine.symbols["done"]
        allowed = machine.trapped | {machine.symbols[label] for label in deferred}
        slow = sorted(pc for pc, instr in machine.slow.items()
                      if lo <= pc < hi and pc in executed and pc not in allowed
                      and has_fast_case(instr) and instr.op not in deferred_ops)
        assert not slow, "the fast path left these to Python: " + ", ".join(
            f"{pc:#x} {machine.slow[pc].op}" for pc in slow)
        assert machine.engine.core.n_fast > 0, "the fast path never ran"
    return Result(machine.engine, stop, machine.symbols)


# --- expectations -----------------------------------------------------------------------------

def expect_done(result: Result) -> Result:
    """The snippet ran to ``done`` without any exception."""
    stop = result.stop
    assert stop.kind is StopKind.BREAKPOINT and stop.pc == result.sym("done"), (
        f"expected to reach done at {result.sym('done'):#x}, stopped: {stop}")
    return result


def expect_trap(result: Result, mcause: int, tval: int, at: str | int) -> Result:
    """The first exception (caught before being taken) is (mcause, mtval) at label ``at``."""
    stop = result.stop
    pc = result.sym(at) if isinstance(at, str) else at
    assert stop.kind is StopKind.EXCEPTION, f"expected an exception, stopped: {stop}"
    trap = result.trap
    assert (trap.mcause, trap.mtval, trap.pc, stop.pc) == (mcause, tval, pc, pc), (
        f"expected mcause={mcause:#x} mtval={tval:#x} at {pc:#x}, got mcause={trap.mcause:#x} "
        f"mtval={trap.mtval:#x} at {trap.pc:#x}")
    return result


def expect_cheri(result: Result, cause: int, reg: int | str, at: str = "fault") -> Result:
    return expect_trap(result, MCAUSE_CHERI, mtval(cause, reg), at)


def expect_handled(result: Result) -> Result:
    """A trap was taken and the default handler reached ``trap_done``."""
    stop = result.stop
    assert stop.kind is StopKind.BREAKPOINT and stop.pc == result.sym("trap_done"), (
        f"expected the handler to reach trap_done, stopped: {stop}")
    return result


def put_cap(address: int, tag: bool, addr: int, meta: int) -> Setup:
    """A setup step storing a capability image (and tag) in memory before the run."""
    def setup(engine: Engine) -> None:
        engine.memory.store_cap(address, (meta << 32) | addr, tag)
    return setup


def put_bytes(address: int, data: bytes) -> Setup:
    def setup(engine: Engine) -> None:
        engine.memory.write(address, data)
    return setup


def chain(*steps: Setup) -> Setup:
    def setup(engine: Engine) -> None:
        for step in steps:
            step(engine)
    return setup
