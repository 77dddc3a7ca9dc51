"""Inspection and copy instructions (isa.md §5.3-§5.6, §5.13-§5.15) and the decoding vectors of
§9.1 and §9.4, from real machine code."""

from __future__ import annotations

import pytest

from .harness import DATA, DATA_META, EXE_ROOT, MEM_ROOT, SEAL_ROOT, Result, expect_done, run

FULL = 0xFFFF_FFFF

# One snippet reads every field of capability register `src` into a0-a5, s0, s1.
GETTERS = """
    cgetperm a0, {src}
    cgettype a1, {src}
    cgetbase a2, {src}
    cgetlen a3, {src}
    cgettag s0, {src}
    cgettop s1, {src}
    cgethigh t0, {src}
    cgetaddr t1, {src}
"""


def fields(result: Result) -> tuple[int, ...]:
    """perm, type, base, len, tag, top, high, addr, after checking each is an integer result."""
    values = []
    for reg in ("a0", "a1", "a2", "a3", "s0", "s1", "t0", "t1"):
        tag, address, meta = result.triple(reg)
        assert (tag, meta) == (0, 0), f"{reg} is not NULL-derived (§1.2)"
        values.append(address)
    return tuple(values)


@pytest.mark.parametrize(("prep", "expected"), [
    # §2.11 roots: perms, otype 0, [0, 2^32) -> length and top saturate (§5.3)
    ("cmove ct2, ca5", (0x07F, 0, 0, FULL, 1, FULL, MEM_ROOT, 0)),
    ("cmove ct2, ca3", (0xE01, 0, 0, FULL, 1, FULL, SEAL_ROOT, 0)),
    ("cspecialr ct2, mepcc", (0x1EB, 0, 0, FULL, 1, FULL, EXE_ROOT, 0)),
    # the data object of the prologue: [DATA, DATA + 0x100)
    ("cmove ct2, ca4", (0x07F, 0, DATA, 0x100, 1, DATA + 0x100, DATA_META, DATA)),
    # NULL and a NULL-derived integer: base = top = address & ~0x1FF (§1.2, §9.1)
    ("cmove ct2, cnull", (0, 0, 0, 0, 0, 0, 0, 0)),
    ("li t2, 0x80001234", (0, 0, 0x80001200, 0, 0, 0x80001200, 0, 0x80001234)),
], ids=["mem-root", "seal-root", "exe-root", "object", "null", "integer"])
def test_getters(mode: str, prep: str, expected: tuple[int, ...]) -> None:
    result = expect_done(run(mode, prep + GETTERS.format(src="ct2")))
    assert fields(result) == expected


# §9.1: (metadata, address) -> base, top (33-bit), otype, perms. Untagged images made with
# CSetHigh (§5.4), which every getter decodes without checks (§5.3).
VECTORS_9_1 = [
    (0x7E3E0000, 0x00000000, 0x00000000, 0x100000000, 0, 0x07F),
    (0x5E3E0000, 0x00001234, 0x00000000, 0x100000000, 0, 0x1EB),
    (0x4E3E0000, 0x00000009, 0x00000000, 0x100000000, 0, 0xE01),
    (0x00000000, 0x00000000, 0x00000000, 0x000000000, 0, 0x000),
    (0x00000000, 0x80001234, 0x80001200, 0x080001200, 0, 0x000),
    (0x7E002000, 0x80001000, 0x80001000, 0x080001010, 0, 0x07F),
    (0x7E002000, 0x80001010, 0x80001000, 0x080001010, 0, 0x07F),
    (0x7E002000, 0x800011FF, 0x80001000, 0x080001010, 0, 0x07F),
    (0x7E002000, 0x80001200, 0x80001200, 0x080001210, 0, 0x07F),
    (0x7E002000, 0x80000FFF, 0x80000E00, 0x080000E10, 0, 0x07F),
    (0x7E000403, 0x80001003, 0x80001003, 0x080001202, 0, 0x07F),
    (0x7E120200, 0x80000004, 0x80000000, 0x080001010, 0, 0x07F),
    (0x7E120200, 0x80001FFF, 0x80000000, 0x080001010, 0, 0x07F),
    (0x7E120200, 0x80002000, 0x80002000, 0x080003010, 0, 0x07F),
    (0x7E3C4220, 0x20040000, 0x20000000, 0x021000000, 0, 0x07F),
    (0x7E3BFE00, 0x80000000, 0x80000000, 0x0807FC000, 0, 0x07F),
    (0x5E7E0000, 0x00002000, 0x00000000, 0x100000000, 1, 0x1EB),
    (0x5F408000, 0x20040010, 0x20040000, 0x020040040, 5, 0x1EB),
    (0x7E402000, 0x80001000, 0x80001000, 0x080001010, 9, 0x07F),
    (0x4FC02000, 0x80001000, 0x80001000, 0x080001010, 15, 0xE01),
    # §2.5 with E = 0xF, B = 0x0FF, T = 0: base 0xFF000000, top 0 -> (top - base) mod 2^33 =
    # 0x101000000, which CGetLen saturates (§5.3). Derived from the §2.5 algorithm.
    (0x003C00FF, 0x00000000, 0xFF000000, 0x000000000, 0, 0x000),
]


@pytest.mark.parametrize(("meta", "address", "base", "top", "otype", "perms"), VECTORS_9_1,
                         ids=[f"{m:08x}@{a:08x}" for m, a, *_ in VECTORS_9_1])
def test_decoding_vectors(mode: str, meta: int, address: int, base: int, top: int, otype: int,
                          perms: int) -> None:
    body = f"""
    li a4, {address:#x}
    li a5, {meta:#x}
    csethigh ct2, ca4, a5
    """ + GETTERS.format(src="ct2")
    result = expect_done(run(mode, body))
    length = min((top - base) % (1 << 33), FULL)
    assert fields(result) == (perms, otype, base, length, 0, min(top, FULL), meta, address)
    assert result.triple("ct2") == (0, address, meta)


def test_csethigh_untags_and_round_trips(mode: str) -> None:
    """CSetHigh keeps the address, replaces the metadata word and clears the tag (§5.4)."""
    body = """
    li a0, -1
    csethigh ca1, ca4, a0
    cgethigh a2, ca1
    li a0, 0x7e020000
    csethigh ca0, ca4, a0
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca1") == (0, DATA, 0xFFFF_FFFF)
    assert result.triple("a2") == (0, 0xFFFF_FFFF, 0)
    assert result.triple("ca0") == (0, DATA, DATA_META)  # same bits as ca4, but no tag


def test_cmove_and_ccleartag(mode: str) -> None:
    """CMove copies all 65 bits; CClearTag copies with tag 0; writes to cnull vanish (§5.5)."""
    body = """
    cmove ca0, ca4
    ccleartag ca1, ca4
    cmove ca2, cnull
    cmove cnull, ca4
    cgettag a3, cnull
    ccleartag ca5, ca5
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, DATA, DATA_META)
    assert result.triple("ca1") == (0, DATA, DATA_META)
    assert result.triple("ca2") == (0, 0, 0)
    assert result.triple("a3") == (0, 0, 0)
    assert result.triple("ca5") == (0, 0, MEM_ROOT)


def test_csub(mode: str) -> None:
    """CSub: difference of addresses mod 2^32, an integer; no checks (§5.6)."""
    body = """
    csub a0, ca4, ca5
    csub a1, ca5, ca4
    li a2, 0x80020010
    csub a3, ca2, ca4
    """
    result = expect_done(run(mode, body))
    assert result.triple("a0") == (0, DATA, 0)
    assert result.triple("a1") == (0, (-DATA) % (1 << 32), 0)
    assert result.triple("a3") == (0, 0x10, 0)


def test_ctestsubset(mode: str) -> None:
    """CTestSubset rd, cs1, cs2: is cs2 inside cs1 (tags, bounds, perms; otype ignored, §5.13)."""
    body = """
    ctestsubset a0, ca5, ca4        # object inside the root: 1
    ctestsubset a1, ca4, ca5        # root not inside the object: 0
    ccleartag ca2, ca4
    ctestsubset s0, ca5, ca2        # tags differ: 0
    ccleartag cra, ca5
    ctestsubset s1, cra, ca2        # both untagged, bounds and perms fit: 1
    li t0, 0xffb
    candperm ct1, ca4, t0           # same bounds, fewer perms
    ctestsubset t2, ca4, ct1        # 1
    ctestsubset a2, ct1, ca4        # perms of ca4 not in ct1: 0
    li t0, 9
    csetaddr ct0, ca3, t0
    cseal ct1, ca4, ct0             # sealed (otype 9): otype is ignored
    ctestsubset a3, ca5, ct1        # 1
    """
    result = expect_done(run(mode, body))
    got = [result.triple(r) for r in ("a0", "a1", "s0", "s1", "t2", "a2", "a3")]
    assert got == [(0, v, 0) for v in (1, 0, 0, 1, 1, 0, 1)]
    assert result.triple("ct1") == (1, DATA, DATA_META | 1 << 22)  # OT = 1 -> otype 9


def test_cseqx(mode: str) -> None:
    """CSetEqualExact: tags equal and 64-bit images identical, R included (§5.14)."""
    body = """
    cmove ca0, ca4
    cseqx a1, ca0, ca4              # 1
    ccleartag ca2, ca4
    cseqx a3, ca2, ca4              # tags differ: 0
    cincoffset ca0, ca4, 1
    cseqx s0, ca0, ca4              # address differs: 0
    li a5, 0x7e020000
    csethigh ct0, ca4, a5
    li a5, 0xfe020000
    csethigh ct1, ca4, a5
    cseqx s1, ct0, ct1              # only the reserved bit R differs: 0
    cseqx t2, ct0, ca2              # same untagged image: 1
    """
    result = expect_done(run(mode, body))
    got = [result.triple(r) for r in ("a1", "a3", "s0", "s1", "t2")]
    assert got == [(0, v, 0) for v in (1, 0, 0, 0, 1)]


# §9.4
CRRL_CRAM = [
    (0x0, 0xFFFFFFFF, 0x00000000), (0x1FF, 0xFFFFFFFF, 0x000001FF),
    (0x200, 0xFFFFFFFE, 0x00000200), (0x201, 0xFFFFFFFE, 0x00000202),
    (0x3FE, 0xFFFFFFFE, 0x000003FE), (0x3FF, 0xFFFFFFFC, 0x00000400),
    (0x1000, 0xFFFFFFF0, 0x00001000), (0x1001, 0xFFFFFFF0, 0x00001010),
    (0x12345, 0xFFFFFF00, 0x00012400), (0x7FC000, 0xFFFFC000, 0x007FC000),
    (0x7FC001, 0xFF000000, 0x01000000), (0xFFFFFFFF, 0xFF000000, 0x00000000),
]


def test_crrl_cram(mode: str) -> None:
    """CRRL/CRAM are integer results per §2.10; the table of §9.4, all in one program."""
    lines = []
    for i, (length, _cram, _crrl) in enumerate(CRRL_CRAM):
        slot = 0x100 + 8 * i
        lines += [f"li a1, {length:#x}", "crrl a0, a1", "cram a2, a1",
                  f"li t0, {DATA + slot:#x}", "csetaddr ct0, ca5, t0",
                  "csw a0, 0(ct0)", "csw a2, 4(ct0)"]
    result = expect_done(run(mode, "\n".join(lines)))
    for i, (_length, cram, crrl) in enumerate(CRRL_CRAM):
        slot = DATA + 0x100 + 8 * i
        assert (result.word(slot), result.word(slot + 4)) == (crrl, cram), f"row {i}"
    assert result.triple("a0") == (0, 0, 0) and result.triple("a2") == (0, 0xFF000000, 0)
