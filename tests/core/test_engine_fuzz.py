"""Random machine code: the engine never raises, and the compiled fast path agrees with the
reference semantics on every register, tag, trap and memory byte.

Two generators: ``random_words`` (anything at all, mostly traps: it tests the fault paths) and
``mostly_valid_code`` (in-bounds loads and stores through two capabilities that are never
overwritten, integer and capability arithmetic, short forward branches, a few random words),
looped, so that the fast path runs most of it; that test also measures how much of the random
block fastpath.c executed itself and asserts that share.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cheriot_gdbserver.core.engine import Catch

from .engine_support import build, engine_for

BLOCK = 64  # instruction slots (4 bytes each) in the random block
BODY = """\
	cllc ct0, handler
	cspecialw mtcc, ct0            # every trap skips {skip} bytes and carries on
	cincoffset csp, ca5, 0        # csp = memory root too: random stores land somewhere
	li t0, 0x80030000
	csetaddr csp, csp, t0
	li t1, 0x1000
	csetbounds csp, csp, t1        # csp: [0x80030000, 0x80031000)
	cspecialr ca4, mscratchc       # sealing root
	cmove ca3, ca0                 # ca3: the 64-byte object [0x80020000, 0x80020040)
	auipcc ca2, 0
random_code:
	.fill {block}, 4, 0x00000013        # replaced by the test
	j random_code                  # the block runs again and again until the budget ends
.balign 4
handler:
	cspecialr ct2, mepcc
	cincoffset ct2, ct2, {skip}
	cspecialw mepcc, ct2
	mret
"""
BUDGET = 3000
SP, CA3 = 2, 13                     # the two authorities mostly_valid_code never overwrites
WRITABLE = [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
AUTHORITIES = {SP: 0x800, CA3: 0x40}   # the bytes usable from their address (imm12 >= 0)

# Major opcodes worth generating (RV32 loads, imm ALU, auipc, stores, ALU, lui, branches, jalr,
# jal, system, CHERI 0x5B/0x7B), so most words decode to something.
OPCODES = [0x03, 0x13, 0x17, 0x23, 0x33, 0x37, 0x63, 0x67, 0x6F, 0x73, 0x5B, 0x5B, 0x5B, 0x7B]
# The same without control flow and system instructions (mostly_valid_code's random words: they
# keep the PC in the block and leave MTCC alone).
STRAIGHT_OPCODES = [0x03, 0x13, 0x17, 0x23, 0x33, 0x37, 0x5B, 0x5B, 0x7B]


def random_word(rng: random.Random) -> int:
    if rng.random() < 0.25:  # a compressed pair
        return rng.getrandbits(32) & ~0x00030003 | rng.choice([0, 1, 2]) << 16 | 1
    word = rng.getrandbits(32)
    opcode = rng.choice(OPCODES)
    word = (word & ~0x7F) | opcode
    if rng.random() < 0.9:  # keep register fields in x0-x15 most of the time
        word &= ~((1 << 11) | (1 << 19) | (1 << 24))
    if opcode == 0x5B and rng.random() < 0.5:
        word = (word & ~(0x7 << 12))  # funct3 0: the register-register table
    return word


@st.composite
def random_words(draw: st.DrawFn) -> list[int]:
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return [random_word(rng) for _ in range(BLOCK)]


# --- encoders (RISC-V base formats; CHERI opcodes from isa.md §5.1) ---------------------------

def r_type(funct7: int, rs2: int, rs1: int, funct3: int, rd: int, opcode: int) -> int:
    return funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode


def i_type(imm: int, rs1: int, funct3: int, rd: int, opcode: int) -> int:
    return (imm & 0xFFF) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode


def s_type(imm: int, rs2: int, rs1: int, funct3: int) -> int:
    imm &= 0xFFF
    return (imm >> 5) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (imm & 0x1F) << 7 | 0x23


def b_type(offset: int, rs2: int, rs1: int, funct3: int) -> int:
    o = offset & 0x1FFF
    return ((o >> 12) << 31 | ((o >> 5) & 0x3F) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12
            | ((o >> 1) & 0xF) << 8 | ((o >> 11) & 1) << 7 | 0x63)


CHERI_ONE_SOURCE = [0x00, 0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0F, 0x17, 0x18]
CHERI_TWO_SOURCES = [0x08, 0x09, 0x0A, 0x0D, 0x10, 0x11, 0x14, 0x20, 0x21]


def access_offset(rng: random.Random, auth: int, width: int) -> int:
    """In bounds, except now and then an access that ends at the top or one byte past it (a
    bounds fault, taken every time round the loop)."""
    size = AUTHORITIES[auth]
    if rng.random() < 0.05:
        return size - width + rng.choice([0, 1 if width < 8 else 8])
    offset = rng.randrange(0, size - width + 1)
    return offset & ~7 if width == 8 else offset  # CLC/CSC: aligned


def valid_word(rng: random.Random, slot: int) -> int:
    rd, rs1, rs2 = rng.choice(WRITABLE), rng.randrange(16), rng.randrange(16)
    pick = rng.random()
    if pick < 0.2:   # integer register-register (RV32IM)
        funct3 = rng.randrange(8)
        funct7 = rng.choice([0, 1] + ([0x20] if funct3 in (0, 5) else []))
        return r_type(funct7, rs2, rs1, funct3, rd, 0x33)
    if pick < 0.35:  # integer immediate
        funct3 = rng.randrange(8)
        imm = rng.randrange(32) | (0x400 if funct3 == 5 and rng.random() < 0.5 else 0) \
            if funct3 in (1, 5) else rng.randrange(-2048, 2048)
        return i_type(imm, rs1, funct3, rd, 0x13)
    if pick < 0.4:
        return rng.getrandbits(20) << 12 | rd << 7 | 0x37  # lui
    auth = rng.choice([SP, CA3])
    if pick < 0.55:  # a load, in bounds
        funct3 = rng.choice([0, 1, 2, 4, 5, 3])
        width = 8 if funct3 == 3 else 1 << (funct3 & 3)
        return i_type(access_offset(rng, auth, width), auth, funct3, rd, 0x03)
    if pick < 0.7:   # a store, in bounds
        funct3 = rng.choice([0, 1, 2, 3])
        width = 1 << funct3
        return s_type(access_offset(rng, auth, width), rs2, auth, funct3)
    if pick < 0.8:   # capability, one source
        return r_type(0x7F, rng.choice(CHERI_ONE_SOURCE), rs1, 0, rd, 0x5B)
    if pick < 0.88:  # capability, two sources
        return r_type(rng.choice(CHERI_TWO_SOURCES), rs2, rs1, 0, rd, 0x5B)
    if pick < 0.9:   # CIncAddrImm, small steps
        return i_type(rng.randrange(-64, 64), rs1, 1, rd, 0x5B)
    if pick < 0.93:  # CSetBoundsImm around the 64 bytes of ca3 (just inside, just past)
        return i_type(rng.randrange(0, 80), rng.choice([CA3, rs1]), 2, rd, 0x5B)
    if pick < 0.98:  # a short forward branch, at most to the `j random_code` after the block
        offset = 4 * rng.randint(1, min(6, BLOCK - slot))
        return b_type(offset, rs2, rs1, rng.choice([0, 1, 4, 5, 6, 7]))
    while True:  # a random 32-bit word that neither jumps, nor writes an SCR or an authority
        word = (rng.getrandbits(32) & ~0xFFF & ~((1 << 19) | (1 << 24))
                | rd << 7 | rng.choice(STRAIGHT_OPCODES))
        if not (word & 0x7F == 0x5B and (word >> 12) & 7 == 0 and word >> 25 == 1):
            return word


@st.composite
def mostly_valid_code(draw: st.DrawFn) -> list[int]:
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return [valid_word(rng, slot) for slot in range(BLOCK)]


def state(engine) -> tuple:
    regs = tuple((c.tag, c.address, c.meta) for c in (engine.read_cap(i) for i in range(16)))
    memory = engine.read_memory(0x8000_0000, 0x4_0000)
    tags = tuple(engine.memory.tags(0x8000_0000, 0x4_0000))
    scrs = tuple(sorted((k, v.tag, v.address, v.meta) for k, v in engine.hart.scr.items()))
    pcc = engine.hart.pcc
    return regs, memory, tags, scrs, (pcc.tag, pcc.meta), engine.hart.mstatus


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory):
    """For random_words: a trap skips 2 bytes (the code may be compressed or misaligned)."""
    return build(BODY.format(skip=2, block=BLOCK), tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def straight_program(tmp_path_factory: pytest.TempPathFactory):
    """For mostly_valid_code (32-bit instructions only): a trap skips the instruction."""
    return build(BODY.format(skip=4, block=BLOCK), tmp_path_factory.mktemp("fuzz4"))


def run_both(program, words: list[int], counters: dict[str, int] | None = None
             ) -> tuple[int, int]:
    """Run ``words`` in both modes, assert they agree, and return (instructions of the random
    block executed, how many of them went through the Python slow path in the fast mode).
    ``counters`` receives the fast engine's block exits and whether Unicorn is our build."""
    lo = program["random_code"]
    hi = lo + 4 * BLOCK
    results, in_block = [], []
    for reference in (False, True):
        engine = engine_for(program, reference=reference)
        engine.catch = Catch.NONE
        code = b"".join(w.to_bytes(4, "little") for w in words)
        engine.write_memory(lo, code)
        # The tracer sees each instruction that reaches the slow path; in the reference mode
        # that is every instruction, so it counts the block's instructions executed.
        count = [0]

        def tracer(pc: int, _instr, count=count) -> None:
            if lo <= pc < hi:
                count[0] += 1

        engine.tracer = tracer
        stop = engine.run(BUDGET)
        last = engine.last_trap
        results.append(((stop.kind, stop.pc), last and (last.mcause, last.mtval, last.pc),
                        engine.core.instret, state(engine)))
        in_block.append(count[0])
        if not reference and counters is not None:
            counters["exits"] = engine.core.n_exit
            counters["hook_executes"] = engine.core.hook_executes
    assert results[0] == results[1]
    slow, executed = in_block
    return executed, slow


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=random_words())
def test_fast_path_agrees_with_the_reference_on_random_code(program, words):
    run_both(program, words)


# The share of the random block's instructions that fastpath.c must execute itself. Measured
# over seeds 0-399: median 96%, 5th percentile 93%, lowest 89%; the rest are first executions
# (Python decodes each instruction once), faulting accesses and random words, which trap every
# time round the loop. The random_words test reaches its block's code much less (a median of
# 10 instructions before it jumps away): it is there for the fault paths, not the share.
FAST_SHARE = 0.8


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=mostly_valid_code())
def test_fast_path_runs_and_agrees_on_mostly_valid_code(straight_program, words):
    executed, slow = run_both(straight_program, words)
    assert executed > BUDGET // 2, f"only {executed} instructions ran in the random block"
    share = (executed - slow) / executed
    assert share >= FAST_SHARE, f"the fast path ran {share:.0%} of the random block"
