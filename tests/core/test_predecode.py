"""fastpath.c's pre-decoder against the Python decoder (core/decode.py, the specification).

The pre-decoder fills the decode-cache entry of an instruction's first execution without a
slow-path call. Whatever it fills must be exactly what ``engine.fill_entry`` makes of
``decode(word)``; whatever it declines is left to Python. Checked on every 16-bit encoding, on
every (opcode, funct3, funct7) of the 32-bit space with random register fields, and on the
whole rs2 range where rs2 selects the operation. It must also decline nothing that the fast
path could run (else first executions would still cost a slow-path call).
"""

from __future__ import annotations

import ctypes
import random

import pytest

from cheriot_gdbserver.core import fastpath
from cheriot_gdbserver.core.decode import Kind, decode
from cheriot_gdbserver.core.engine import Catch, bitmanip_legal, fill_entry
from cheriot_gdbserver.core.isa import ALL, BASE, CHERIOT_IBEX, SAIL, Isa
from cheriot_gdbserver.core.state import BITMANIP_FIRST, DECODE_NO_FAST_CLC, DecodedInsn

from .engine_support import build, engine_for

FIELDS = ("kind", "rd", "rs1", "rs2", "width", "flags", "length", "imm")
SLOW_KINDS = (Kind.EMULATED, Kind.ILLEGAL)  # entries the fast path always defers


def _predecode():  # noqa: ANN202 - a ctypes function
    fn = fastpath.library().cheriot_predecode
    fn.argtypes = [ctypes.c_uint32, ctypes.c_uint64, ctypes.c_uint32,
                   ctypes.POINTER(DecodedInsn)]
    fn.restype = ctypes.c_int
    return fn


def _python_entry(word: int, no_fast_clc: bool, isa: Isa) -> DecodedInsn:
    entry = DecodedInsn()
    fill_entry(entry, decode(word, isa), no_fast_clc=no_fast_clc, breakpoint=False)
    return entry


def _check(word: int, opts: int = 0, isa: Isa = SAIL) -> bool:
    """Compare one word; True when the pre-decoder filled it."""
    c_entry = DecodedInsn()
    no_fast_clc = bool(opts & DECODE_NO_FAST_CLC)
    if not _predecode()(opts, bitmanip_legal(isa), word, ctypes.byref(c_entry)):
        py = _python_entry(word, no_fast_clc, isa)
        assert py.kind in SLOW_KINDS, f"{word:#x}: declined, but Python gives kind {py.kind}"
        assert c_entry.kind == 0
        return False
    py = _python_entry(word, no_fast_clc, isa)
    for name in FIELDS:
        assert getattr(c_entry, name) == getattr(py, name), f"{word:#x}: {name}"
    assert c_entry.by_c == 1
    return True


def test_every_16_bit_encoding() -> None:
    filled = sum(_check(h) for h in range(0x10000) if h & 3 != 3)
    assert filled > 25_000  # the rest: reserved forms, FP slots, x16-x31


def test_every_32_bit_opcode_funct3_funct7() -> None:
    rng = random.Random(12)
    filled = 0
    for opcode in range(3, 128, 4):
        for f3 in range(8):
            for f7 in range(128):
                for _ in range(2):
                    rd, rs1, rs2 = (rng.choice((rng.randrange(16), rng.randrange(32)))
                                    for _ in range(3))
                    word = (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
                    filled += _check(word)
    assert filled > 8_000


@pytest.mark.parametrize("opcode, f3, f7", [(0x5B, 0, 0x7F), (0x5B, 0, 0x01), (0x13, 1, 0),
                                            (0x13, 5, 0x20), (0x13, 1, 0x30), (0x73, 0, 0)])
def test_operations_selected_by_the_rs2_field(opcode: int, f3: int, f7: int) -> None:
    for rs2 in range(32):
        for rd, rs1 in ((1, 2), (0, 0), (15, 8), (16, 1), (3, 17)):
            _check((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode)


@pytest.mark.parametrize("isa", [SAIL, CHERIOT_IBEX, BASE, ALL], ids=lambda i: i.describe())
def test_bit_manipulation_on_each_core(isa: Isa) -> None:
    # Every OP and OP-IMM funct3/funct7; every rs2 field value where the extensions use the
    # funct7 (rs2 selects some operations there), two elsewhere.
    filled = 0
    for opcode in (0x13, 0x33):
        for f3 in range(8):
            for f7 in range(128):
                used = f7 in (0x04, 0x05, 0x10, 0x14, 0x20, 0x24, 0x30, 0x34)
                for rs2 in range(32) if used else (0, 21):
                    word = (f7 << 25) | (rs2 << 20) | (7 << 15) | (f3 << 12) | (9 << 7) | opcode
                    if _check(word, isa=isa) and _predecoded_kind(word, isa) >= BITMANIP_FIRST:
                        filled += 1
    assert (filled == 0) == (isa is BASE)


def _predecoded_kind(word: int, isa: Isa) -> int:
    entry = DecodedInsn()
    _predecode()(0, bitmanip_legal(isa), word, ctypes.byref(entry))
    return entry.kind


def test_csr_numbers() -> None:
    # Every CSR number with each of the six forms: only FAST_CSRS get a compiled kind.
    for csr in range(0x1000):
        for f3 in (1, 2, 3, 5, 6, 7):
            _check((csr << 20) | (5 << 15) | (f3 << 12) | (6 << 7) | 0x73)


def test_clc_keeps_the_reference_kind_without_a_readable_revocation_map() -> None:
    clc, c_clc, c_clcsp = 0x0086_3583, 0x6200, 0x6082  # clc ca1, 8(ca2); c.clc; c.clcsp
    for word in (clc, c_clc, c_clcsp):
        assert _check(word)
        assert not _check(word, DECODE_NO_FAST_CLC)


def test_a_breakpoint_flag_survives_pre_decoding() -> None:
    entry = DecodedInsn()
    entry.flags = 1  # F_BREAKPOINT
    assert _predecode()(0, 0, 0x0030_0093, ctypes.byref(entry))  # addi ra, zero, 3
    assert entry.flags == 1 and entry.kind == Kind.NATIVE_INT


@pytest.fixture(params=[False, True], ids=["fast", "reference"])
def reference(request: pytest.FixtureRequest) -> bool:
    return request.param


def test_code_rewritten_after_python_decoded_it(tmp_path, reference) -> None:
    """Python decoded the old instruction; a native store replaces it and the pre-decoder
    decodes the new one; a later slow-path visit (a breakpoint) must use the new one too."""
    body = """\
	li s0, 0
	li a1, 0
	lui t0, %hi(target)
	addi t0, t0, %lo(target)
	csetaddr ca2, ca5, t0
	li t1, 0x02a00593            # li a1, 42
.option norvc
target:
	cmove ca1, ca0               # pass 1 only; then li a1, 42
	bnez s0, second
	li s0, 1
	csw t1, 0(ca2)
	fence.i
	j target
second:
	j target
"""
    program = build(body, tmp_path)
    engine = engine_for(program, reference=reference)
    engine.catch = Catch.ALL
    target, second = program["target"], program["second"]
    engine.add_breakpoint(target)
    assert engine.run(10_000).pc == target
    engine.step(1)  # from a breakpoint: Python decodes and runs the cmove
    assert engine.read_cap(11).tag
    engine.remove_breakpoint(target)
    engine.add_breakpoint(second)
    assert engine.run(10_000).pc == second  # pass 2 ran the new li natively
    assert engine.read_cap(11).address == 42 and not engine.read_cap(11).tag
    engine.write_int(11, 0)
    engine.remove_breakpoint(second)
    engine.add_breakpoint(target)
    assert engine.run(10_000).pc == target
    engine.step(1)  # the slow path at target: the li, not the cmove it once decoded
    assert engine.read_cap(11).address == 42 and not engine.read_cap(11).tag
