"""Reference results of the bit-manipulation instructions (Zba, Zbb, Zbs, Zbkb, Zbkc, Zbc, Zbkx).

Each function maps the two 32-bit source values to the 32-bit result as the ratified RISC-V
bit-manipulation specification (v1.0; scalar crypto v1.0.1 for Zbk*) defines it for RV32. ``b``
is ``x[rs2]``, or the shift amount of the immediate forms; the unary instructions ignore it.
Every result is an integer: the semantics writes it NULL-derived (tag cleared, isa.md §1.2).
``core/fastpath.c`` has a C twin of this table (``bitmanip_result``), tested against it.
"""

from __future__ import annotations

from collections.abc import Callable

MASK = 0xFFFF_FFFF


def _signed(v: int) -> int:
    return v - (1 << 32) if v & 0x8000_0000 else v


def _rotl(a: int, n: int) -> int:
    n &= 31
    return ((a << n) | (a >> (32 - n))) & MASK


def _clmul(a: int, b: int) -> int:
    """The full 63-bit carry-less product."""
    product = 0
    for i in range(32):
        if b >> i & 1:
            product ^= a << i
    return product


def _bytes_map(a: int, f: Callable[[int], int]) -> int:
    return sum(f((a >> (8 * i)) & 0xFF) << (8 * i) for i in range(4))


def _brev(byte: int) -> int:
    return int(f"{byte:08b}"[::-1], 2)


def _zip(a: int) -> int:
    out = 0
    for i in range(16):
        out |= (a >> i & 1) << (2 * i) | (a >> (i + 16) & 1) << (2 * i + 1)
    return out


def _unzip(a: int) -> int:
    out = 0
    for i in range(16):
        out |= (a >> (2 * i) & 1) << i | (a >> (2 * i + 1) & 1) << (i + 16)
    return out


def _xperm(a: int, b: int, bits: int) -> int:
    """Each ``bits``-wide element of b selects an element of a (0 when out of range)."""
    mask, count, out = (1 << bits) - 1, 32 // bits, 0
    for i in range(count):
        index = (b >> (bits * i)) & mask
        if index < count:
            out |= ((a >> (bits * index)) & mask) << (bits * i)
    return out


Operation = Callable[[int, int], int]

# op -> (result, extensions that define it). Order matters: fastpath.c numbers its kinds in it.
OPERATIONS: dict[str, tuple[Operation, tuple[str, ...]]] = {
    "sh1add": (lambda a, b: (a << 1) + b, ("zba",)),
    "sh2add": (lambda a, b: (a << 2) + b, ("zba",)),
    "sh3add": (lambda a, b: (a << 3) + b, ("zba",)),
    "andn": (lambda a, b: a & ~b, ("zbb", "zbkb")),
    "orn": (lambda a, b: a | ~b, ("zbb", "zbkb")),
    "xnor": (lambda a, b: ~(a ^ b), ("zbb", "zbkb")),
    "clz": (lambda a, b: 32 - a.bit_length(), ("zbb",)),
    "ctz": (lambda a, b: ((a & -a).bit_length() - 1) if a else 32, ("zbb",)),
    "cpop": (lambda a, b: a.bit_count(), ("zbb",)),
    "max": (lambda a, b: max(_signed(a), _signed(b)), ("zbb",)),
    "maxu": (lambda a, b: max(a, b), ("zbb",)),
    "min": (lambda a, b: min(_signed(a), _signed(b)), ("zbb",)),
    "minu": (lambda a, b: min(a, b), ("zbb",)),
    "sext.b": (lambda a, b: (a & 0xFF) - ((a & 0x80) << 1), ("zbb",)),
    "sext.h": (lambda a, b: (a & 0xFFFF) - ((a & 0x8000) << 1), ("zbb",)),
    # pack rd, rs1, x0: zext.h in Zbb, the same encoding as Zbkb's pack with rs2 = x0.
    "zext.h": (lambda a, b: a & 0xFFFF, ("zbb", "zbkb")),
    "rol": (lambda a, b: _rotl(a, b), ("zbb", "zbkb")),
    "ror": (lambda a, b: _rotl(a, 32 - (b & 31)), ("zbb", "zbkb")),
    "rori": (lambda a, b: _rotl(a, 32 - (b & 31)), ("zbb", "zbkb")),
    "orc.b": (lambda a, b: _bytes_map(a, lambda x: 0xFF if x else 0), ("zbb",)),
    "rev8": (lambda a, b: int.from_bytes(a.to_bytes(4, "little"), "big"), ("zbb", "zbkb")),
    "bclr": (lambda a, b: a & ~(1 << (b & 31)), ("zbs",)),
    "bclri": (lambda a, b: a & ~(1 << (b & 31)), ("zbs",)),
    "bext": (lambda a, b: a >> (b & 31) & 1, ("zbs",)),
    "bexti": (lambda a, b: a >> (b & 31) & 1, ("zbs",)),
    "binv": (lambda a, b: a ^ (1 << (b & 31)), ("zbs",)),
    "binvi": (lambda a, b: a ^ (1 << (b & 31)), ("zbs",)),
    "bset": (lambda a, b: a | (1 << (b & 31)), ("zbs",)),
    "bseti": (lambda a, b: a | (1 << (b & 31)), ("zbs",)),
    "pack": (lambda a, b: (a & 0xFFFF) | (b << 16), ("zbkb",)),
    "packh": (lambda a, b: (a & 0xFF) | (b & 0xFF) << 8, ("zbkb",)),
    "brev8": (lambda a, b: _bytes_map(a, _brev), ("zbkb",)),
    "zip": (lambda a, b: _zip(a), ("zbkb",)),
    "unzip": (lambda a, b: _unzip(a), ("zbkb",)),
    "clmul": (lambda a, b: _clmul(a, b), ("zbc", "zbkc")),
    "clmulh": (lambda a, b: _clmul(a, b) >> 32, ("zbc", "zbkc")),
    "clmulr": (lambda a, b: _clmul(a, b) >> 31, ("zbc",)),
    "xperm4": (lambda a, b: _xperm(a, b, 4), ("zbkx",)),
    "xperm8": (lambda a, b: _xperm(a, b, 8), ("zbkx",)),
}

# The immediate forms: ``b`` is the decoded shift amount, not a register.
IMMEDIATE = frozenset({"rori", "bclri", "bexti", "binvi", "bseti"})


def result(op: str, a: int, b: int) -> int:
    """The 32-bit result of bit-manipulation instruction ``op`` on sources ``a`` and ``b``."""
    return OPERATIONS[op][0](a & MASK, b & MASK) & MASK
