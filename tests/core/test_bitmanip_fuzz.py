"""Differential fuzzing of the bit-manipulation instructions: random Zb* code gives the same
registers, tags, memory and traps through fastpath.c as through the reference semantics, and
the fast path really executes it: every word, from its first execution (fastpath.c's
pre-decoder), and on our Unicorn build without leaving the translated block (asserted)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .engine_support import build
from .test_engine_fuzz import BLOCK, BODY, BUDGET, run_both

# (opcode, funct3, funct7, fixed rs2 field or None) from the ratified encodings.
R, I = 0x33, 0x13
ENCODINGS = [
    (R, 2, 0x10, None), (R, 4, 0x10, None), (R, 6, 0x10, None),      # sh1add sh2add sh3add
    (R, 7, 0x20, None), (R, 6, 0x20, None), (R, 4, 0x20, None),      # andn orn xnor
    (R, 6, 0x05, None), (R, 7, 0x05, None), (R, 4, 0x05, None), (R, 5, 0x05, None),  # max...
    (R, 1, 0x30, None), (R, 5, 0x30, None),                          # rol ror
    (R, 4, 0x04, None), (R, 7, 0x04, None),                          # pack (zext.h) packh
    (R, 1, 0x24, None), (R, 5, 0x24, None), (R, 1, 0x34, None), (R, 1, 0x14, None),  # bclr...
    (R, 1, 0x05, None), (R, 2, 0x05, None), (R, 3, 0x05, None),      # clmul clmulr clmulh
    (R, 2, 0x14, None), (R, 4, 0x14, None),                          # xperm4 xperm8
    (I, 1, 0x30, 0), (I, 1, 0x30, 1), (I, 1, 0x30, 2), (I, 1, 0x30, 4), (I, 1, 0x30, 5),
    (I, 1, 0x04, 0x0F), (I, 5, 0x04, 0x0F), (I, 5, 0x14, 0x07), (I, 5, 0x34, 0x07),
    (I, 5, 0x34, 0x18),                                              # clz ... rev8
    (I, 5, 0x30, None), (I, 1, 0x24, None), (I, 5, 0x24, None), (I, 1, 0x34, None),
    (I, 1, 0x14, None),                                              # rori bclri ... bseti
]


def encode(opcode: int, f3: int, f7: int, rs2: int, rd: int, rs1: int) -> int:
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opcode


@st.composite
def bitmanip_words(draw: st.DrawFn) -> list[int]:
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    words = []
    for _ in range(BLOCK):
        regs = [rng.randrange(16) for _ in range(3)]
        if rng.random() < 0.15:  # a new random source value: lui rd, imm20
            words.append(rng.getrandbits(20) << 12 | regs[0] << 7 | 0x37)
            continue
        # Registers stay in x0-x15, so the code runs straight through (test_engine_fuzz.py
        # covers illegal encodings and traps).
        opcode, f3, f7, rs2 = rng.choice(ENCODINGS)
        words.append(encode(opcode, f3, f7, regs[2] if rs2 is None else rs2, regs[0], regs[1]))
    return words


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory):
    return build(BODY.format(skip=4, block=BLOCK), tmp_path_factory.mktemp("bitmanip-fuzz"))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=bitmanip_words())
def test_fast_path_agrees_with_the_reference_on_random_bitmanip_code(program, words):
    # run_both asserts that both modes end in the same state; the block loops until the budget
    # ends, and fastpath.c runs every instruction of it.
    counters: dict[str, int] = {}
    executed, slow = run_both(program, words, counters)
    assert executed > BUDGET // 2
    assert slow == 0, f"{slow} of {executed} block instructions left fastpath.c"
    if counters["hook_executes"]:  # our Unicorn leaves them to the hook: no block exit
        assert counters["exits"] <= 2, f"{counters['exits']} block exits"
