"""Zba, Zbb, Zbs, Zbkb, Zbkc, Zbc and Zbkx from real machine code, in both engine modes.

Every instruction is assembled by Debian's binutils with the extensions the current Sail model
and ``-mcpu=cheriot-ibex`` use (``.option arch`` below is the assembler's in-file form of
``-march=rv32emc_zba_zbb_zbs_zbkb_zbkc_zbc_zbkx``), run on edge and random operands, and each
result is compared with ``SPEC`` below: a bit-by-bit transcription of the instruction's
pseudo-code in the ratified RISC-V bit-manipulation specification v1.0.0 (and scalar crypto
v1.0.1 for Zbkb/Zbkc/Zbkx), written independently of the engine's ``core/bitmanip.py`` and of
``fastpath.c``. Results are integers, so the destination's tag is cleared (isa.md §1.2).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from cheriot_gdbserver.core.engine import Engine

from .harness import DATA, expect_done, run

ARCH = ".option arch, rv32emc_zicsr_zifencei_zba_zbb_zbs_zbkb_zbkc_zbc_zbkx\n"
XLEN = 32


def bits(x: int) -> list[int]:
    """x as a list of bits, bit 0 first."""
    return [(x >> i) & 1 for i in range(XLEN)]


def value(b: list[int]) -> int:
    return sum(bit << i for i, bit in enumerate(b[:XLEN]))


def signed(x: int) -> int:
    return x - (1 << XLEN) if bits(x)[XLEN - 1] else x


def u32(x: int) -> int:
    return x % (1 << XLEN)


def lanes(x: int, width: int) -> list[int]:
    """x split into width-bit lanes, lane 0 first."""
    return [(x >> (width * i)) % (1 << width) for i in range(XLEN // width)]


def join(parts: list[int], width: int) -> int:
    return sum(p << (width * i) for i, p in enumerate(parts))


def rotate_right(x: int, n: int) -> int:
    b, n = bits(x), n % XLEN
    return value([b[(i + n) % XLEN] for i in range(XLEN)])


def clmul_full(a: int, b: int) -> list[int]:
    """The 64 bits of the carry-less product, by the definition: XOR of shifted copies."""
    out = [0] * (2 * XLEN)
    for i, bi in enumerate(bits(b)):
        if bi:
            for j, aj in enumerate(bits(a)):
                out[i + j] ^= aj
    return out


def count_leading_zeros(x: int) -> int:
    n = 0
    for bit in reversed(bits(x)):
        if bit:
            break
        n += 1
    return n


def count_trailing_zeros(x: int) -> int:
    n = 0
    for bit in bits(x):
        if bit:
            break
        n += 1
    return n


def zip_bits(x: int) -> int:
    b = bits(x)
    out = [0] * XLEN
    for i in range(XLEN // 2):
        out[2 * i], out[2 * i + 1] = b[i], b[i + XLEN // 2]
    return value(out)


def unzip_bits(x: int) -> int:
    b = bits(x)
    out = [0] * XLEN
    for i in range(XLEN // 2):
        out[i], out[i + XLEN // 2] = b[2 * i], b[2 * i + 1]
    return value(out)


def crossbar(a: int, b: int, width: int) -> int:
    """xperm: each lane of b indexes a lane of a; an index past the last lane gives 0."""
    source, index = lanes(a, width), lanes(b, width)
    return join([source[i] if i < len(source) else 0 for i in index], width)


# (a, b) -> result; b is x[rs2] or the shamt of the immediate forms.
SPEC: dict[str, Callable[[int, int], int]] = {
    "sh1add": lambda a, b: u32(b + a * 2),
    "sh2add": lambda a, b: u32(b + a * 4),
    "sh3add": lambda a, b: u32(b + a * 8),
    "andn": lambda a, b: value([x & (1 - y) for x, y in zip(bits(a), bits(b), strict=True)]),
    "orn": lambda a, b: value([x | (1 - y) for x, y in zip(bits(a), bits(b), strict=True)]),
    "xnor": lambda a, b: value([1 - (x ^ y) for x, y in zip(bits(a), bits(b), strict=True)]),
    "clz": lambda a, b: count_leading_zeros(a),
    "ctz": lambda a, b: count_trailing_zeros(a),
    "cpop": lambda a, b: sum(bits(a)),
    "max": lambda a, b: a if signed(a) >= signed(b) else b,
    "maxu": lambda a, b: a if a >= b else b,
    "min": lambda a, b: a if signed(a) <= signed(b) else b,
    "minu": lambda a, b: a if a <= b else b,
    "sext.b": lambda a, b: value(bits(a)[:8] + [bits(a)[7]] * 24),
    "sext.h": lambda a, b: value(bits(a)[:16] + [bits(a)[15]] * 16),
    "zext.h": lambda a, b: value(bits(a)[:16]),
    "rol": lambda a, b: rotate_right(a, XLEN - b % 32),
    "ror": lambda a, b: rotate_right(a, b % 32),
    "rori": lambda a, b: rotate_right(a, b),
    "orc.b": lambda a, b: join([0xFF if byte else 0 for byte in lanes(a, 8)], 8),
    "rev8": lambda a, b: join(list(reversed(lanes(a, 8))), 8),
    "bclr": lambda a, b: value([0 if i == b % 32 else x for i, x in enumerate(bits(a))]),
    "bclri": lambda a, b: value([0 if i == b else x for i, x in enumerate(bits(a))]),
    "bext": lambda a, b: bits(a)[b % 32],
    "bexti": lambda a, b: bits(a)[b],
    "binv": lambda a, b: value([1 - x if i == b % 32 else x for i, x in enumerate(bits(a))]),
    "binvi": lambda a, b: value([1 - x if i == b else x for i, x in enumerate(bits(a))]),
    "bset": lambda a, b: value([1 if i == b % 32 else x for i, x in enumerate(bits(a))]),
    "bseti": lambda a, b: value([1 if i == b else x for i, x in enumerate(bits(a))]),
    "pack": lambda a, b: value(bits(a)[:16] + bits(b)[:16]),
    "packh": lambda a, b: value(bits(a)[:8] + bits(b)[:8]),
    "brev8": lambda a, b: join([value(bits(byte)[:8][::-1]) for byte in lanes(a, 8)], 8),
    "zip": lambda a, b: zip_bits(a),
    "unzip": lambda a, b: unzip_bits(a),
    "clmul": lambda a, b: value(clmul_full(a, b)[0:32]),
    "clmulh": lambda a, b: value(clmul_full(a, b)[32:64]),
    "clmulr": lambda a, b: value(clmul_full(a, b)[31:63]),
    "xperm4": lambda a, b: crossbar(a, b, 4),
    "xperm8": lambda a, b: crossbar(a, b, 8),
}

UNARY = {"clz", "ctz", "cpop", "sext.b", "sext.h", "zext.h", "orc.b", "rev8", "brev8", "zip",
         "unzip"}
IMMEDIATE = {"rori", "bclri", "bexti", "binvi", "bseti"}
EDGES = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
         0x1234_5678, 0x8765_4321, 0x00FF_00FF, 0x0F0F_0F0F, 0x0302_0100, 0x7654_3210,
         31, 32, 33]


def vectors(op: str) -> list[tuple[int, int]]:
    rng = random.Random(op)  # the same operands on every run
    if op in IMMEDIATE:
        return [(a, s) for s in (0, 1, 7, 8, 15, 16, 31)
                for a in (0xFFFF_FFFF, 0x8000_0001, rng.getrandbits(32))]
    pairs = [(a, b) for a in EDGES[:11] for b in (0, 1, 0x8000_0000, 0xFFFF_FFFF)]
    pairs += [(a, rng.getrandbits(32)) for a in EDGES[11:]]
    pairs += [(rng.getrandbits(32), rng.getrandbits(32)) for _ in range(16)]
    if op in UNARY:
        pairs = list(dict.fromkeys((a, 0) for a, _ in pairs))
    return pairs[:60]  # the data object holds 64 words


def form(op: str, b: int) -> str:
    if op in UNARY:
        return f"{op} a0, a1"
    if op in IMMEDIATE:
        return f"{op} a0, a1, {b}"
    return f"{op} a0, a1, a2"


class Fastpath:
    """Records which instructions reached the Python slow path during the examined run."""

    def __init__(self) -> None:
        self.slow_ops: list[str] = []

    def __call__(self, engine: Engine) -> None:
        self.slow_ops = []
        engine.tracer = lambda pc, instr: self.slow_ops.append(instr.op)


@pytest.mark.parametrize("op", sorted(SPEC))
def test_results_match_the_specification(mode: str, op: str) -> None:
    cases = vectors(op)
    lines = [ARCH]
    for k, (a, b) in enumerate(cases):
        lines += [f"li a1, {a:#x}", f"li a2, {b:#x}", form(op, b), f"csw a0, {4 * k}(ca4)"]
    # A tagged destination and a tagged source: the result is an integer (isa.md §1.2) computed
    # from the source's address.
    last_b = cases[-1][1]
    lines += ["cmove ca0, ca4", "cmove ca1, ca4", f"li a2, {last_b:#x}", form(op, last_b)]
    trace = Fastpath()
    result = expect_done(run(mode, "\n".join(lines) + "\n", setup=trace))
    for k, (a, b) in enumerate(cases):
        got, want = result.word(DATA + 4 * k), SPEC[op](a, b)
        assert got == want, f"{op} a={a:#010x} b={b:#x}: {got:#010x}, expected {want:#010x}"
    assert result.triple("ca0") == (0, SPEC[op](DATA, last_b), 0)
    if mode == "fast":  # every instance ran in fastpath.c, none in the reference semantics
        assert op not in trace.slow_ops, trace.slow_ops


def test_spec_vectors_are_literal(mode: str) -> None:
    """A few results written out by hand from the specification's definitions."""
    body = ARCH + """
    li a1, 0x12345678
    li a2, 0x00000003
    rev8 s0, a1           # bytes reversed
    orc.b s1, a2          # a non-zero byte becomes 0xff
    zip t0, a1
    unzip t1, t0          # unzip undoes zip
    clmul t2, a1, a2      # a1 ^ (a1 << 1)
    clmulh a3, a1, a2
    xperm8 a4, a1, a2     # byte 0 <- byte 3 of a1, the others <- byte 0
    sh3add a5, a2, a1     # a1 + 8 * a2
    """
    result = expect_done(run(mode, body))
    assert result.x("s0") == 0x7856_3412
    assert result.x("s1") == 0x0000_00FF
    assert result.x("t1") == 0x1234_5678
    assert result.x("t2") == 0x12345678 ^ 0x2468ACF0
    assert result.x("a3") == 0
    assert result.x("a4") == 0x7878_7812
    assert result.x("a5") == 0x1234_5690


def test_x0_destination_is_discarded(mode: str) -> None:
    body = ARCH + """
    li a1, 0xffffffff
    cpop zero, a1
    clmul zero, a1, a1
    mv a0, zero
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (0, 0, 0)
