"""Random machine code: the engine never raises, and the compiled fast path agrees with the
reference semantics on every register, tag, trap and memory byte."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cheriot_gdbserver.core.engine import Catch

from .engine_support import build, engine_for

# Registers the random code may name: x0-x15 only mostly, sometimes beyond (illegal on RV32E).
BODY = """\
	cllc ct0, handler
	cspecialw mtcc, ct0            # every trap skips two bytes and carries on
	cincoffset csp, ca5, 0        # csp = memory root too: random stores land somewhere
	li t0, 0x80030000
	csetaddr csp, csp, t0
	li t1, 0x1000
	csetbounds csp, csp, t1
	cspecialr ca4, mscratchc       # sealing root
	cmove ca3, ca0
	auipcc ca2, 0
random_code:
	.fill 64, 4, 0x00000013        # replaced by the test
done:
	j done
.balign 4
handler:
	cspecialr ct2, mepcc
	cincoffset ct2, ct2, 2
	cspecialw mepcc, ct2
	mret
"""

# Major opcodes worth generating (RV32 loads, imm ALU, auipc, stores, ALU, lui, branches, jalr,
# jal, system, CHERI 0x5B/0x7B), so most words decode to something.
OPCODES = [0x03, 0x13, 0x17, 0x23, 0x33, 0x37, 0x63, 0x67, 0x6F, 0x73, 0x5B, 0x5B, 0x5B, 0x7B]


@st.composite
def instruction_words(draw: st.DrawFn) -> list[int]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    words = []
    for _ in range(64):
        if rng.random() < 0.25:  # a compressed pair
            words.append(rng.getrandbits(32) & ~0x00030003 | rng.choice([0, 1, 2]) << 16 | 1)
            continue
        word = rng.getrandbits(32)
        opcode = rng.choice(OPCODES)
        word = (word & ~0x7F) | opcode
        if rng.random() < 0.9:  # keep register fields in x0-x15 most of the time
            word &= ~((1 << 11) | (1 << 19) | (1 << 24))
        if opcode == 0x5B and rng.random() < 0.5:
            word = (word & ~(0x7 << 12))  # funct3 0: the register-register table
        words.append(word)
    return words


def state(engine) -> tuple:
    regs = tuple((c.tag, c.address, c.meta) for c in (engine.read_cap(i) for i in range(16)))
    memory = engine.read_memory(0x8000_0000, 0x4_0000)
    tags = tuple(engine.memory.tags(0x8000_0000, 0x4_0000))
    scrs = tuple(sorted((k, v.tag, v.address, v.meta) for k, v in engine.hart.scr.items()))
    pcc = engine.hart.pcc
    return regs, memory, tags, scrs, (pcc.tag, pcc.meta), engine.hart.mstatus


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory):
    return build(BODY, tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=instruction_words())
def test_fast_path_agrees_with_the_reference_on_random_code(program, words):
    results = []
    for reference in (False, True):
        engine = engine_for(program, reference=reference)
        engine.catch = Catch.NONE
        code = b"".join(w.to_bytes(4, "little") for w in words)
        engine.write_memory(program["random_code"], code)
        stop = engine.run(3000)
        last = engine.last_trap
        results.append(((stop.kind, stop.pc), last and (last.mcause, last.mtval, last.pc),
                        engine.core.instret, state(engine)))
    assert results[0] == results[1]
