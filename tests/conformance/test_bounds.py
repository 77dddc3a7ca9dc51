"""Bounds setting: CSetBounds, CSetBoundsImm, CSetBoundsExact, CSetBoundsRoundDown (isa.md §5.10,
§2.8, §2.9) with the vectors of §9.2 and §9.3."""

from __future__ import annotations

import pytest

from .harness import DATA, DATA_META, expect_done, run

FULL = 0xFFFF_FFFF

# §9.2: base, length, metadata, exact, decoded [base, top)
VECTORS_9_2 = [
    (0x80001000, 0x10, 0x7E002000, True, 0x80001000, 0x80001010),
    (0x80001003, 0x1FF, 0x7E000403, True, 0x80001003, 0x80001202),
    (0x80001003, 0x200, 0x7E060401, False, 0x80001002, 0x80001204),
    (0x80000004, 0x1000, 0x7E120200, False, 0x80000000, 0x80001010),
    (0x80000100, 0x3FF, 0x7E0A8040, False, 0x80000100, 0x80000500),
    (0x80000FF8, 0x1FF8, 0x7E17007F, False, 0x80000FE0, 0x80003000),
    (0x80000000, 0x7FC000, 0x7E3BFE00, True, 0x80000000, 0x807FC000),
    (0x80000000, 0x7FC001, 0x7E3D0280, False, 0x80000000, 0x81000000),
    (0x20040000, 0x800000, 0x7E3C4220, False, 0x20000000, 0x21000000),
    (0x00000000, 0xFFFFFFFF, 0x7E3E0000, False, 0x00000000, 1 << 32),
    (0x00001000, 0x0, 0x7E000000, True, 0x00001000, 0x00001000),
]

BOUNDS_OF = """
    cgetbase s0, {r}
    cgettop s1, {r}
    cgetlen t2, {r}
"""


@pytest.mark.parametrize(("base", "length", "meta", "exact", "lo", "hi"), VECTORS_9_2,
                         ids=[f"{b:08x}+{n:x}" for b, n, *_ in VECTORS_9_2])
def test_csetbounds_vectors(mode: str, base: int, length: int, meta: int, exact: bool,
                            lo: int, hi: int) -> None:
    """From the memory root: the result keeps address = base, tag 1; CSetBoundsExact clears the
    tag exactly on the inexact rows (§9.2)."""
    body = f"""
    li a0, {base:#x}
    csetaddr ca0, ca5, a0
    li t1, {length:#x}
    csetbounds ca1, ca0, t1
    csetboundsexact ca2, ca0, t1
    """ + BOUNDS_OF.format(r="ca1")
    result = expect_done(run(mode, body))
    assert result.triple("ca1") == (1, base, meta)
    assert result.triple("ca2") == (int(exact), base, meta)
    assert [result.x(r) for r in ("s0", "s1", "t2")] == [lo, min(hi, FULL), min(hi - lo, FULL)]


# §9.3: base, length, metadata, [base, top)
VECTORS_9_3 = [
    (0x80001000, 0x10, 0x7E002000, 0x80001000, 0x80001010),
    (0x80001003, 0x1000, 0x7E000403, 0x80001003, 0x80001202),
    (0x80001000, 0x1234, 0x7E104700, 0x80001000, 0x80002230),
    (0x80000000, 0x12345678, 0x7E3BFE00, 0x80000000, 0x807FC000),
    (0x80001000, 0x0, 0x7E000000, 0x80001000, 0x80001000),
]


@pytest.mark.parametrize(("base", "length", "meta", "lo", "hi"), VECTORS_9_3,
                         ids=[f"{b:08x}+{n:x}" for b, n, *_ in VECTORS_9_3])
def test_csetboundsrounddown_vectors(mode: str, base: int, length: int, meta: int, lo: int,
                                     hi: int) -> None:
    body = f"""
    li a0, {base:#x}
    csetaddr ca0, ca5, a0
    li t1, {length:#x}
    csetboundsrounddown ca1, ca0, t1
    """ + BOUNDS_OF.format(r="ca1")
    result = expect_done(run(mode, body))
    assert result.triple("ca1") == (1, base, meta)
    assert [result.x(r) for r in ("s0", "s1", "t2")] == [lo, hi, hi - lo]


def test_csetboundsimm_is_zero_extended(mode: str) -> None:
    """The 12-bit immediate is zero-extended: 2048 and 4095 are lengths, not negative (§5.1,
    §5.10). Metadata from §2.8: 0x800 at DATA is exact with e 3; 0xFFF needs e 4 (retry)."""
    body = """
    li a0, 0x80020000
    csetaddr ca0, ca5, a0
    csetbounds ca1, ca0, 2048
    csetbounds ca2, ca0, 4095
    cgetlen s0, ca1
    cgetlen s1, ca2
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca1") == (1, DATA, 0x7E0E0000)
    assert result.triple("ca2") == (1, DATA, 0x7E120000)
    assert (result.x("s0"), result.x("s1")) == (0x800, 0x1000)


def test_monotonicity(mode: str) -> None:
    """The requested range must lie inside the source's bounds, else the tag is cleared; the
    rounded bounds are still written (§5.10). ca4 is [DATA, DATA + 0x100)."""
    body = """
    csetbounds ca0, ca4, 0x100      # the whole object: tagged
    csetbounds ca1, ca4, 0x101      # one byte too long
    cincoffset ca2, ca4, 0x10
    csetbounds ca2, ca2, 0xf0       # ends exactly at the top
    cincoffset cs0, ca4, 0x10
    li a3, 0xf1
    csetbounds cs0, cs0, a3         # one byte past the top
    csetboundsrounddown cs1, ca4, a3   # length 0xf1 from DATA: inside, exact with e 0
    li a3, 0x101
    csetboundsrounddown ct2, ca4, a3   # requested range is checked, not the result
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, DATA, DATA_META)
    assert result.triple("ca1") == (0, DATA, 0x7E020200)
    assert result.triple("ca2") == (1, DATA + 0x10, 0x7E020010)
    assert result.triple("cs0") == (0, DATA + 0x10, 0x7E020210)
    assert result.triple("cs1") == (1, DATA, 0x7E01E200)
    assert result.triple("ct2") == (0, DATA, 0x7E020200)


def test_range_past_top_of_address_space(mode: str) -> None:
    """A requested range ending at 2^32 is inside the root; one byte more never is (§5.10)."""
    body = """
    li a0, 0xffffff00
    csetaddr ca0, ca5, a0
    li t1, 0x100
    csetbounds ca1, ca0, t1
    li t1, 0x101
    csetbounds ca2, ca0, t1
    cgettop s0, ca1
    cgetlen s1, ca1
    """
    result = expect_done(run(mode, body))
    # §2.8: B10 = 0x300, T10 = 0x000 (0x001 with one more byte), e 0
    assert result.triple("ca1") == (1, 0xFFFFFF00, 0x7E000100)
    assert result.triple("ca2") == (0, 0xFFFFFF00, 0x7E000300)
    assert (result.x("s0"), result.x("s1")) == (FULL, 0x100)


def test_sealed_and_untagged_sources(mode: str) -> None:
    """A sealed source gives an untagged result; an untagged source's tag is propagated, not
    checked: no trap (§5.10)."""
    body = """
    li t0, 9
    csetaddr ct0, ca3, t0
    cseal ca0, ca4, ct0
    csetbounds ca1, ca0, 16
    li a3, 16
    csetboundsexact ca2, ca0, a3
    csetboundsrounddown cs0, ca0, a3
    ccleartag cs1, ca4
    csetbounds cs1, cs1, 16
    """
    result = expect_done(run(mode, body))
    sealed16 = 0x7E402000  # otype 9 kept, bounds fields of [DATA, DATA + 16) (§9.1)
    for reg in ("ca1", "ca2", "cs0"):
        assert result.triple(reg) == (0, DATA, sealed16), reg
    assert result.triple("cs1") == (0, DATA, 0x7E002000)
