"""Address arithmetic and representability: CSetAddr, CIncAddr, CIncAddrImm, AUIPCC, AUICGP
(isa.md §5.7-§5.9, §2.7, vectors of §9.1/§9.2)."""

from __future__ import annotations

import pytest

from .harness import DATA, DATA_META, EXE_ROOT, MEM_ROOT, expect_done, run

OBJ = 0x8000_1000
OBJ_META = 0x7E00_2000  # [OBJ, OBJ + 16) from the memory root (§9.2 first row)
OBJ16 = f"""
    li a0, {OBJ:#x}
    csetaddr ca0, ca5, a0
    csetbounds ca0, ca0, 16
"""


@pytest.mark.parametrize(("target", "tag"), [
    (0x8000_1000, 1),   # unchanged
    (0x8000_1010, 1),   # one past the end (§2.7: [base, top] is representable)
    (0x8000_11FF, 1),   # last representable address (§9.1)
    (0x8000_1200, 0),   # base + 2^(e+9): bounds would change
    (0x8000_0FFF, 0),   # below the base
    (0x0000_0000, 0),
])
def test_csetaddr_representability(mode: str, target: int, tag: int) -> None:
    """CSetAddr: new address, same metadata; tag kept iff representable (§5.7, §2.7)."""
    body = OBJ16 + f"""
    li a1, {target:#x}
    csetaddr ca1, ca0, a1
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, OBJ, OBJ_META)
    assert result.triple("ca1") == (tag, target, OBJ_META)


@pytest.mark.parametrize(("offset", "tag"), [
    (0, 1), (0x10, 1), (0x1FF, 1), (0x200, 0), (-1, 0), (-0x800, 0), (0x7FF, 0),
])
def test_cincaddrimm_and_cincaddr(mode: str, offset: int, tag: int) -> None:
    """CIncAddrImm (sign-extended 12-bit) and CIncAddr (register) agree (§5.7)."""
    body = OBJ16 + f"""
    cincoffset ca1, ca0, {offset}
    li a2, {offset}
    cincoffset ca2, ca0, a2
    """
    result = expect_done(run(mode, body))
    expected = (tag, (OBJ + offset) % (1 << 32), OBJ_META)
    assert result.triple("ca1") == expected
    assert result.triple("ca2") == expected


def test_larger_exponent_representable_range(mode: str) -> None:
    """E = 4 object (§9.2: base 0x80000004, length 0x1000 -> 0x7E120200): representable up to
    base + 2^13 - 1, not at base + 2^13 (§9.1 rows 12-14)."""
    body = """
    li a0, 0x80000004
    csetaddr ca0, ca5, a0
    li s1, 0x1000
    csetbounds ca0, ca0, s1
    li s1, 0x80001fff
    csetaddr ca1, ca0, s1
    li s1, 0x80002000
    csetaddr ca2, ca0, s1
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, 0x80000004, 0x7E120200)
    assert result.triple("ca1") == (1, 0x80001FFF, 0x7E120200)
    assert result.triple("ca2") == (0, 0x80002000, 0x7E120200)


def test_root_wraps_and_stays_tagged(mode: str) -> None:
    """With e = 24 every address is representable (§2.7); arithmetic is mod 2^32."""
    body = """
    cincoffset ca0, ca5, -1
    li a1, -16
    cincoffset ca1, ca5, a1
    cincoffset ca2, ca0, 1
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, 0xFFFF_FFFF, MEM_ROOT)
    assert result.triple("ca1") == (1, 0xFFFF_FFF0, MEM_ROOT)
    assert result.triple("ca2") == (1, 0, MEM_ROOT)


def test_sealed_source_loses_tag(mode: str) -> None:
    """Any address change of a sealed capability clears the tag, even by 0 (§5.7)."""
    body = """
    li t0, 9
    csetaddr ct0, ca3, t0
    cseal ca0, ca4, ct0
    cincoffset ca1, ca0, 0
    li a2, 0
    cincoffset ca2, ca0, a2
    cgetaddr a3, ca0
    csetaddr cs0, ca0, a3
    """
    result = expect_done(run(mode, body))
    sealed = DATA_META | 1 << 22  # OT 1 -> otype 9
    assert result.triple("ca0") == (1, DATA, sealed)
    for reg in ("ca1", "ca2", "cs0"):
        assert result.triple(reg) == (0, DATA, sealed), reg


def test_untagged_and_null_sources(mode: str) -> None:
    """Untagged sources stay untagged; cnull as source gives an integer; cd = cnull is a no-op."""
    body = """
    ccleartag ca0, ca4
    cincoffset ca1, ca0, 8
    li a2, 0x1234
    csetaddr ca2, cnull, a2
    cincoffset ca3, cnull, -4
    cincoffset cnull, ca4, 8
    cgettag s0, cnull
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca1") == (0, DATA + 8, DATA_META)
    assert result.triple("ca2") == (0, 0x1234, 0)
    assert result.triple("ca3") == (0, 0xFFFF_FFFC, 0)
    assert result.triple("s0") == (0, 0, 0)


def test_source_read_before_destination_written(mode: str) -> None:
    """cd == cs1 and cd == rs2 use the old values (§5.2)."""
    body = """
    li a0, 0x20
    cincoffset ca0, ca4, a0         # cd == rs2
    cmove ca1, ca4
    cincoffset ca1, ca1, 0x10       # cd == cs1
    cincoffset ca2, ca5, 0x10
    cincoffset ca2, ca2, a2         # cd == cs1 == rs2: 0x10 + 0x10
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, DATA + 0x20, DATA_META)
    assert result.triple("ca1") == (1, DATA + 0x10, DATA_META)
    assert result.triple("ca2") == (1, 0x20, MEM_ROOT)


# --- AUIPCC / AUICGP ---------------------------------------------------------------------------

@pytest.mark.parametrize(("imm", "delta"), [
    (0, 0), (1, 0x800), (-1, -0x800), (0x7FFFF, 0x3FFFF800), (0x80000, -(1 << 30)),
])
def test_auipcc_shift_11(mode: str, imm: int, delta: int) -> None:
    """AUIPCC adds sext(imm20) << 11 to PC; the root PCC keeps every result tagged (§5.8)."""
    body = f"""
here:
    auipcc ca0, {imm}
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, (result.sym("here") + delta) % (1 << 32), EXE_ROOT)


def test_auipcc_with_bounded_pcc(mode: str) -> None:
    """Inside a 64-byte PCC, AUIPCC results outside [base, base + 512) are untagged (§5.8, §2.7)."""
    body = """
    cllc ct0, region
    li t1, 64
    csetbounds ct0, ct0, t1
    cjalr cra, ct0
    j done
.p2align 6
region:
    auipcc ca0, 0
    auipcc ca1, 1
    auipcc ca2, -1
    cret
    """
    result = expect_done(run(mode, body))
    region = result.sym("region")
    meta = 0x5E00_0000 | ((region + 64) & 0x1FF) << 9 | (region & 0x1FF)  # E 0 (§2.8)
    assert result.triple("ca0") == (1, region, meta)
    assert result.triple("ca1") == (0, region + 4 + 0x800, meta)
    assert result.triple("ca2") == (0, region + 8 - 0x800, meta)


def test_auicgp(mode: str) -> None:
    """AUICGP: cgp + (sext(imm20) << 11), CIncAddr rules with cgp as source (§5.9)."""
    body = """
    cmove cgp, ca4
    auicgp ca0, 0
    auicgp ca1, 1
    cincoffset cgp, ca5, 0x100
    auicgp ca2, -1
    li t0, 9
    csetaddr ct0, ca3, t0
    cseal cgp, ca4, ct0
    auicgp cs0, 0
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, DATA, DATA_META)
    assert result.triple("ca1") == (0, DATA + 0x800, DATA_META)   # beyond base + 512
    assert result.triple("ca2") == (1, 0x100 - 0x800 + (1 << 32), MEM_ROOT)
    assert result.triple("cs0") == (0, DATA, DATA_META | 1 << 22)  # sealed cgp
