"""Engine.single_step (the debugger's step without the run's set-up) against step(1), its oracle.

Two machines run the same firmware on the sail board; one is driven with ``single_step``, the
other with ``step(1)``, through the same script: a CLINT timer interrupt that becomes pending in
the middle of the steps (stepping takes no interrupt, as QEMU's default single-step; the
following continue takes it), a store to a write watchpoint, a step onto and a step off a
breakpoint, a step from where the debugger moved the PC, and a CHERI exception caught before it
is taken, then delivered by the next step.
After every operation both machines must agree on the stop, the registers (read through the
cached ``read_registers`` and afresh through ``read_caps``), the instruction count and the
interrupt lines. The timer line must be high at the first stop at or after the instant mtime
reaches mtimecmp, as the RISC-V privileged spec's CLINT raises MTIP "whenever mtime contains a
value greater than or equal to mtimecmp" (isa.md §8.4), however the steps fall.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import AS, assemble
from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.core.stops import StopKind, WatchKind

DUE = 1  # mtimecmp: MTIP rises once mtime reaches it (sail: a tick every 100 instructions)
DUE_INSTRUCTIONS = 100 * DUE

PROGRAM = f"""
.include "cheriot.inc"
.section .text.start, "ax"
.globl _start
_start:
    cllc ct0, handler
    cspecialw mtcc, ct0
    cspecialr ca5, mtdc
    li t0, 0x02000000
    csetaddr cs1, ca5, t0
    li t1, 0x10000
    csetbounds cs1, cs1, t1
    li t1, 0x4000
    cincoffset ca1, cs1, t1        # ca1: mtimecmp
    li t2, -1
    csw t2, 4(ca1)
    li t2, {DUE}
    csw t2, 0(ca1)
    csw zero, 4(ca1)
    li t0, 0x80
    csrs mie, t0                   # MTIE
    csrsi mstatus, 8               # MIE
    lui t0, %hi(data)
    addi t0, t0, %lo(data)
    csetaddr ca2, ca5, t0          # ca2: the watched word
    li a0, 0
    li a4, 30
loop:
    addi a0, a0, 1
    csw a0, 0(ca2)
    clw a3, 0(ca2)
    bne a0, a4, loop
    clw a3, 0(ca0)                 # ca0 is NULL: a CHERI tag exception
    j loop
handler:
    csrr t0, mcause
    bltz t0, timer
    cspecialr ct1, mepcc           # an exception: skip the faulting load
    cincoffset ct1, ct1, 4
    cspecialw mepcc, ct1
    mret
timer:
    li t2, -1
    csw t2, 4(ca1)                 # mtimecmp far away: MTIP falls
    addi s0, s0, 1
    mret
.data
.balign 8
data: .word 0
"""


def _machines(tmp_path: Path, reference: bool,
              oracle_reference: bool | None = None) -> tuple[Machine, Machine]:
    if shutil.which(AS) is None:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")
    elf = assemble(PROGRAM, tmp_path, name="single_step")
    machines = []
    for mode in (reference, reference if oracle_reference is None else oracle_reference):
        machine = Machine(load_board("sail"), load_elf(elf), reference=mode)
        machine.engine.catch = Catch.CHERI
        machines.append(machine)
    return machines[0], machines[1]


def _state(machine: Machine) -> tuple:
    engine = machine.engine
    cached = engine.read_registers()
    xs = [cached.read_x(i) for i in range(16)]
    pc = cached.pc
    fresh = engine.read_caps()
    assert xs == [cap.address for cap in fresh]  # the cached copy is Unicorn's
    assert pc == engine.pc
    return xs, pc, engine.core.instret, engine.hart.mip, engine.hart.mcause, fresh


def _stop(stop) -> tuple:  # noqa: ANN001
    return (stop.kind, stop.pc, stop.trap.mcause if stop.trap else None, stop.watch)


# fast-vs-reference: the fast path's step, which the C hook ends at its budget without calling
# the slow path (fastpath.c, budget_stop), against the reference semantics' step(1).
@pytest.mark.parametrize(("reference", "oracle_reference"),
                         [(False, None), (True, None), (False, True)],
                         ids=["fast", "reference", "fast-vs-reference"])
def test_single_step_matches_step_one(tmp_path: Path, reference: bool,
                                      oracle_reference: bool | None) -> None:
    fast, oracle = _machines(tmp_path, reference, oracle_reference)
    seen: set[StopKind] = set()
    saw_mtip_rise = False
    plain_steps = 0  # steps with nothing for the slow path to do (no interrupt pending)

    def both(op: str) -> None:
        nonlocal saw_mtip_rise, plain_steps
        before = fast.engine.hart.mip
        if op == "step":
            slow, attention = fast.engine.core.n_slow, fast.engine.core.attention
            a = fast.engine.single_step(stop_on_trap=True)
            b = oracle.engine.step(1, stop_on_trap=True)
            if not reference and not attention and a.trap is None and a.kind is StopKind.STEP \
                    and fast.engine.core.n_slow == slow:
                plain_steps += 1
        else:
            a, b = fast.engine.run(int(op)), oracle.engine.run(int(op))
        assert _stop(a) == _stop(b)
        assert _state(fast) == _state(oracle)
        seen.add(a.kind)
        if fast.engine.core.instret == DUE_INSTRUCTIONS and op == "step":
            assert fast.engine.hart.mip & 0x80  # due at this very stop
        saw_mtip_rise |= not before & 0x80 and bool(fast.engine.hart.mip & 0x80)

    for _ in range(DUE_INSTRUCTIONS + 5):  # through the timer's rise: no interrupt is taken
        both("step")
    assert saw_mtip_rise and fast.engine.hart.mcause == 0
    both("3")  # a continue takes the pending interrupt at once
    assert fast.engine.last_trap is not None and fast.engine.last_trap.interrupt
    loop = _symbol(tmp_path, "loop")
    data = _symbol(tmp_path, "data")
    for machine in (fast, oracle):
        machine.engine.add_breakpoint(loop + 6)  # the load after the store (c.addi, csw)
        machine.engine.add_watchpoint(data, 4, WatchKind.WRITE)
    for _ in range(3):
        both("50")    # continue: the watchpoint stops before the store
        both("step")  # the store runs (a run does not stop again where it starts); onto the bp
        both("step")  # off the breakpoint
    for machine in (fast, oracle):
        machine.engine.remove_watchpoint(data, 4, WatchKind.WRITE)
        machine.engine.remove_breakpoint(loop + 6)
    for _ in range(2):  # the debugger moves the PC at a stop whose registers were read
        for machine in (fast, oracle):
            machine.engine.read_registers()
            machine.engine.set_pc(loop + 2)  # the store (after a compressed addi)
        both("step")
        assert fast.engine.pc == loop + 6
    for _ in range(200):  # on to the caught exception and the step that delivers it
        both("step")
    assert {StopKind.STEP, StopKind.WATCHPOINT, StopKind.BREAKPOINT, StopKind.EXCEPTION} <= seen
    if not reference:  # most steps ran their instruction in C and stopped there, no Python
        assert plain_steps > 200
    assert fast.engine.read_registers().read_x(8) == 1  # s0: the timer handler ran once


def _symbol(tmp_path: Path, name: str) -> int:
    from elftools.elf.elffile import ELFFile

    with (tmp_path / "single_step.elf").open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return next(s["st_value"] for s in symtab.iter_symbols() if s.name == name)


@pytest.mark.parametrize("board", ["sail", "ibex-safe-simulator", "sonata"])
def test_single_steps_through_the_rtos_keep_the_device_event_current(board: str,
                                                                      tmp_path: Path) -> None:
    """single_step keeps the soonest device event cached at its stop instead of asking every
    device again. Through the bundled RTOS (UART writes, timer reprogramming, interrupts
    taken by the following run), that cache must equal asking every device, and the machine
    must follow step(1)'s exactly."""
    from cheriot_gdbserver.core.engine import NEVER
    from cheriot_gdbserver.rtos import bundled

    elf = bundled.build("rtos", out_dir=tmp_path, board=board)
    machines = [Machine(load_board(board), load_elf(elf)) for _ in range(2)]
    fast, oracle = (m.engine for m in machines)
    for round_ in range(40):
        for _ in range(250):
            a, b = fast.single_step(), oracle.step(1)
            assert (a.kind, a.pc) == (b.kind, b.pc)
            due = fast.timebase.next_event()
            assert fast._device_event == (NEVER if due is None else due)
            assert fast.core.event_at == fast._device_event
            assert (fast.core.instret, fast.hart.mip) == (oracle.core.instret, oracle.hart.mip)
        a, b = fast.run(997), oracle.run(997)     # interrupts are taken by runs, not steps
        assert (a.kind, a.pc, fast.core.instret) == (b.kind, b.pc, oracle.core.instret), round_
