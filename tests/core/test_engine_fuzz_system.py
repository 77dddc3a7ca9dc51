"""Differential fuzzing of the system-level fast paths against the reference semantics.

Random sequences of the instructions the RTOS switcher and scheduler live on: CSpecialRW of
every special register (and of numbers that are not one), the hot CSRs (mstatus, mie, mip,
mepc, mcause, mtval, mshwm, mshwmb) and a few cold ones, CSeal/CUnseal with sealing
authorities of many object types, CRRL/CRAM, MRET, AUICGP, and jumps through sentries of every
interrupt posture, with
interrupt lines asserted so that enabling interrupts takes one. Some code runs from a PCC
without SR, so every permission check is exercised. The compiled fast path and the reference
must agree on every register, special register, CSR, trap and memory byte; the decode
cache is filled first, so the compiled paths run from the first execution on.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cheriot_gdbserver.core.decode import decode
from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.core.hart import IRQ_MEI, IRQ_MTI

from .engine_support import build, engine_for

BODY = """\
	cllc ct0, handler
	cspecialw mtcc, ct0
	cspecialr ca4, mscratchc       # sealing root
	li t0, 9
	csetaddr ca3, ca4, t0          # a sealing authority at object type 9
	li t1, 4
	csetbounds ca3, ca3, t1        # ...covering types 9-12
	cllc ca2, random_code          # executable, with SR
	li t1, 1
	csetaddr ct1, ca4, t1
	cseal cs1, ca2, ct1            # an inheriting sentry to the random code
	li t1, 2
	csetaddr ct1, ca4, t1
	cincoffset ct2, ca2, 64
	cseal ct2, ct2, ct1            # a disabling sentry to the middle
	li t1, 3
	csetaddr ct1, ca4, t1
	cincoffset cs0, ca2, 128
	cseal cs0, cs0, ct1            # an enabling sentry further on
	li t1, 5
	csetaddr ct1, ca4, t1
	cincoffset ca1, ca2, 32
	cseal ca1, ca1, ct1            # an enabling return sentry
	li t1, 4
	csetaddr ct1, ca4, t1
	cincoffset cra, ca2, 96
	cseal cra, cra, ct1            # a disabling return sentry
	li t1, 0xf7f
	candperm ct0, ca2, t1          # executable without SR
	cincoffset ct0, ct0, 160
	li t1, 0x888
	csrw mie, t1                   # every interrupt enabled: MIE alone decides
	li t0, 15                      # object types for csetaddr: the largest, a sentry type
	li t2, 3
	csetaddr csp, ca4, t0          # sealing authorities at types 15 and 3
	csetaddr cgp, ca4, t2
	cmove ctp, ca0                 # a second data capability to seal
random_code:
	.fill 64, 4, 0x00000013        # replaced by the test
done:
	j done
.balign 4
handler:
	csrr t2, mcause
	bltz t2, 1f
	cspecialr ct2, mepcc           # an exception: skip two bytes
	cincoffset ct2, ct2, 2
	cspecialw mepcc, ct2
	mret
1:	csrw mie, zero                 # an interrupt: mask them all and carry on
	mret
"""

HOT_CSRS = (0x300, 0x304, 0x341, 0x342, 0x343, 0x344, 0xBC1, 0xBC2)
COLD_CSRS = (0x340, 0x305, 0xC00, 0xB00, 0x7C0)
MRET = 0x3020_0073
CSR_F3 = {"csrrw": 1, "csrrs": 2, "csrrc": 3, "csrrwi": 5, "csrrsi": 6, "csrrci": 7}


def _r(f7: int, rs2: int, rs1: int, rd: int) -> int:
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x5B


def _word(rng: random.Random) -> int:
    reg = lambda: rng.randrange(16)  # noqa: E731 - a tiny local helper
    family = rng.random()
    if family < 0.22:  # CSpecialRW: mostly real SCRs, sometimes a number that is not one
        scr = rng.choice((28, 29, 30, 31, 28, 29, 30, 31, rng.randrange(32)))
        rs1 = 0 if rng.random() < 0.4 else reg()
        return _r(0x01, scr, rs1, reg())
    if family < 0.50:  # CSRs
        csr = rng.choice(HOT_CSRS * 3 + COLD_CSRS)
        op = rng.choice(tuple(CSR_F3))
        field = rng.randrange(32) if op.endswith("i") else reg()
        if rng.random() < 0.3:
            field = 0  # a read
        if csr == 0x300 and op.endswith("i") and rng.random() < 0.6:
            field = 8  # csrsi/csrci mstatus, MIE
        return (csr << 20) | (field << 15) | (CSR_F3[op] << 12) | (reg() << 7) | 0x73
    if family < 0.66:  # CSeal / CUnseal
        rs1 = rng.choice((4, 10, 12, 15, 9, reg(), reg()))  # data, code, sentries, sealed
        rs2 = rng.choice((2, 3, 13, 14, reg()))              # sealing authorities
        return _r(rng.choice((0x0B, 0x0C)), rs2, rs1, reg())
    if family < 0.72:  # CRRL / CRAM
        return _r(0x7F, rng.choice((0x08, 0x09)), reg(), reg())
    if family < 0.86:  # jumps through sentries (cra, ct0, ct2, cs0, cs1, ca1, ...)
        rd = rng.choice((0, 1, 1, reg()))
        rs1 = rng.choice((1, 5, 7, 8, 9, 11, reg()))
        imm = 0 if rng.random() < 0.8 else rng.choice((2, 4, -4))
        return ((imm & 0xFFF) << 20) | (rs1 << 15) | (rd << 7) | 0x67
    if family < 0.88:  # move a sealing authority's address (object types 0-15)
        return ((rng.randrange(-4, 12) & 0xFFF) << 20) | (1 << 12) | (reg() << 15) \
            | (reg() << 7) | 0x5B
    if family < 0.90:  # mret: to MEPCC (often a trap's, sometimes set by cspecialw)
        return MRET
    if family < 0.92:  # auicgp: cgp moved by a small multiple of 2 KiB
        return ((rng.randrange(-2, 3) & 0xFFFFF) << 12) | (reg() << 7) | 0x7B
    if family < 0.95:  # csetaddr to a small integer (t0 = 15, t2 = 3 at the start)
        return _r(0x10, rng.choice((5, 7, 5, 7, reg())), rng.choice((3, 14, reg())), reg())
    return (rng.randrange(-64, 64) & 0xFFF) << 20 | (reg() << 15) | (reg() << 7) | 0x13  # addi


@st.composite
def system_code(draw: st.DrawFn) -> tuple[list[int], int]:
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    lines = draw(st.sampled_from((0, 1 << IRQ_MTI, 1 << IRQ_MEI, (1 << IRQ_MTI) | (1 << IRQ_MEI))))
    return [_word(rng) for _ in range(64)], lines


def state(engine) -> tuple:
    regs = tuple((c.tag, c.address, c.meta) for c in (engine.read_cap(i) for i in range(16)))
    hart = engine.hart
    scrs = tuple(sorted((k, v.tag, v.address, v.meta) for k, v in hart.scr.items()))
    csrs = (hart.mstatus, hart.mie, hart.mip, hart.mcause, hart.mtval, engine.core.mshwm,
            engine.core.mshwmb)
    memory = engine.read_memory(0x8000_0000, 0x4_0000)
    tags = tuple(engine.memory.tags(0x8000_0000, 0x4_0000))
    return regs, scrs, csrs, (hart.pcc.tag, hart.pcc.meta), memory, tags


def predecode(engine, program) -> None:
    """Fill the decode cache for the whole program, as a second pass over it would: otherwise
    each instruction's first execution goes through the reference (which decodes it), and
    random code that seldom loops would hardly reach the compiled paths."""
    for pc in range(program.entry & ~0xFFF, program["handler"] + 64, 2):
        engine._instr_at(pc)


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory):
    return build(BODY, tmp_path_factory.mktemp("fuzz_system"))


def test_the_generators_make_the_instructions_they_mean() -> None:
    rng = random.Random(1)
    ops = {decode(_word(rng)).op for _ in range(3000)}
    assert {"cspecialrw", "cseal", "cunseal", "crrl", "cram", "cjalr", "mret", "auicgp",
            *CSR_F3} <= ops


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=system_code())
def test_system_fast_paths_agree_with_the_reference(program, case):
    words, lines = case
    results = []
    for reference in (False, True):
        engine = engine_for(program, reference=reference)
        engine.catch = Catch.NONE
        engine.write_memory(program["random_code"],
                            b"".join(w.to_bytes(4, "little") for w in words))
        for bit in (IRQ_MTI, IRQ_MEI):
            engine.set_irq_line(bit, bool(lines >> bit & 1))
        if not reference:
            predecode(engine, program)
        stop = engine.run(3000)
        last = engine.last_trap
        results.append(((stop.kind, stop.pc), last and (last.mcause, last.mtval, last.pc),
                        engine.core.instret, state(engine)))
        if not reference:  # the compiled paths ran (the share is asserted below, in aggregate)
            assert engine.core.n_fast > 0
    assert results[0] == results[1]


def test_system_code_mostly_runs_compiled(program) -> None:
    """Over fixed seeds, most of the random system code runs in fastpath.c. Asserted in
    aggregate: one random block can legitimately trap on nearly every instruction (illegal
    encodings, faulting seals), and each trap is Python's."""
    fast = slow = 0
    for seed in range(24):
        rng = random.Random(seed)
        words = [_word(rng) for _ in range(64)]
        engine = engine_for(program, reference=False)
        engine.catch = Catch.NONE
        engine.write_memory(program["random_code"],
                            b"".join(w.to_bytes(4, "little") for w in words))
        predecode(engine, program)
        engine.run(3000)
        fast, slow = fast + engine.core.n_fast, slow + engine.core.n_slow
    assert fast > 2 * slow, f"fastpath.c ran {fast} instructions, the reference {slow}"
