"""The capability codec against isa.md §2-§4: the derived vectors of §9 and Sail-style properties.

The vector tables are the specification's numbers, copied literally; the property tests are named
after the Sail properties (``properties/props.sail``) where one exists (aesthetics.md §7.9).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cheriot_gdbserver.core.capability import (
    BOUNDS_FIELDS,
    E_MASK,
    E_SHIFT,
    MANTISSA_MASK,
    MASK32,
    NULL,
    OT_MASK,
    OT_SHIFT,
    P_MASK,
    P_SHIFT,
    ROOT_EXE,
    ROOT_EXE_META,
    ROOT_MEM,
    ROOT_MEM_META,
    ROOT_SEAL,
    ROOT_SEAL_META,
    T_SHIFT,
    Cap,
    Perm,
    compress_perms,
    decompress_perms,
    exponent,
    get_cap_bounds,
    get_otype,
    get_perms,
    legalise_perms,
    representable_alignment_mask,
    representable_length,
    set_cap_bounds,
    set_cap_bounds_round_down,
    with_bounds_fields,
    with_otype,
    with_perms,
)

TWO32 = 1 << 32

# --- §9.1 decoding metadata words -----------------------------------------------------------------

DECODE_VECTORS = [
    # meta,      address,    base,       top,         e,  otype, perms
    (0x7E3E0000, 0x00000000, 0x00000000, 0x100000000, 24, 0, 0x07F),
    (0x5E3E0000, 0x00001234, 0x00000000, 0x100000000, 24, 0, 0x1EB),
    (0x4E3E0000, 0x00000009, 0x00000000, 0x100000000, 24, 0, 0xE01),
    (0x00000000, 0x00000000, 0x00000000, 0x000000000, 0, 0, 0x000),
    (0x00000000, 0x80001234, 0x80001200, 0x080001200, 0, 0, 0x000),
    (0x7E002000, 0x80001000, 0x80001000, 0x080001010, 0, 0, 0x07F),
    (0x7E002000, 0x80001010, 0x80001000, 0x080001010, 0, 0, 0x07F),
    (0x7E002000, 0x800011FF, 0x80001000, 0x080001010, 0, 0, 0x07F),
    (0x7E002000, 0x80001200, 0x80001200, 0x080001210, 0, 0, 0x07F),
    (0x7E002000, 0x80000FFF, 0x80000E00, 0x080000E10, 0, 0, 0x07F),
    (0x7E000403, 0x80001003, 0x80001003, 0x080001202, 0, 0, 0x07F),
    (0x7E120200, 0x80000004, 0x80000000, 0x080001010, 4, 0, 0x07F),
    (0x7E120200, 0x80001FFF, 0x80000000, 0x080001010, 4, 0, 0x07F),
    (0x7E120200, 0x80002000, 0x80002000, 0x080003010, 4, 0, 0x07F),
    (0x7E3C4220, 0x20040000, 0x20000000, 0x021000000, 24, 0, 0x07F),
    (0x7E3BFE00, 0x80000000, 0x80000000, 0x0807FC000, 14, 0, 0x07F),
    (0x5E7E0000, 0x00002000, 0x00000000, 0x100000000, 24, 1, 0x1EB),
    (0x5F408000, 0x20040010, 0x20040000, 0x020040040, 0, 5, 0x1EB),
    (0x7E402000, 0x80001000, 0x80001000, 0x080001010, 0, 9, 0x07F),
    (0x4FC02000, 0x80001000, 0x80001000, 0x080001010, 0, 15, 0xE01),
]


@pytest.mark.parametrize(("meta", "address", "base", "top", "e", "otype", "perms"), DECODE_VECTORS)
def test_decode_vectors(
    meta: int, address: int, base: int, top: int, e: int, otype: int, perms: int
) -> None:
    cap = Cap(True, address, meta)
    assert get_cap_bounds(meta, address) == (base, top)
    assert (cap.base, cap.top, cap.length) == (base, top, top - base)
    assert exponent(meta) == e
    assert cap.exponent == e
    assert get_otype(meta) == otype
    assert cap.sealed == (otype != 0)
    assert get_perms(meta) == perms


# --- §9.2 CSetBounds from the memory root ---------------------------------------------------------

SET_BOUNDS_VECTORS = [
    # base,      length,     e,  E,   B,     T,     exact, metadata,   decoded base, decoded top
    (0x80001000, 0x10, 0, 0x0, 0x000, 0x010, True, 0x7E002000, 0x80001000, 0x80001010),
    (0x80001003, 0x1FF, 0, 0x0, 0x003, 0x002, True, 0x7E000403, 0x80001003, 0x80001202),
    (0x80001003, 0x200, 1, 0x1, 0x001, 0x102, False, 0x7E060401, 0x80001002, 0x80001204),
    (0x80000004, 0x1000, 4, 0x4, 0x000, 0x101, False, 0x7E120200, 0x80000000, 0x80001010),
    (0x80000100, 0x3FF, 2, 0x2, 0x040, 0x140, False, 0x7E0A8040, 0x80000100, 0x80000500),
    (0x80000FF8, 0x1FF8, 5, 0x5, 0x07F, 0x180, False, 0x7E17007F, 0x80000FE0, 0x80003000),
    (0x80000000, 0x7FC000, 14, 0xE, 0x000, 0x1FF, True, 0x7E3BFE00, 0x80000000, 0x807FC000),
    (0x80000000, 0x7FC001, 24, 0xF, 0x080, 0x081, False, 0x7E3D0280, 0x80000000, 0x81000000),
    (0x20040000, 0x800000, 24, 0xF, 0x020, 0x021, False, 0x7E3C4220, 0x20000000, 0x21000000),
    (0x00000000, 0xFFFFFFFF, 24, 0xF, 0x000, 0x100, False, 0x7E3E0000, 0x00000000, TWO32),
    (0x00001000, 0x0, 0, 0x0, 0x000, 0x000, True, 0x7E000000, 0x00001000, 0x00001000),
    # isa.md §10.1 (bounds from the spec, fields worked by hand): the retry re-extracts at e + 1.
    (0x84C910F3, 0x7FF, 3, 0x3, 0x01E, 0x11F, False, 0x7E0E3E1E, 0x84C910F0, 0x84C918F8),
]


@pytest.mark.parametrize(
    ("base", "length", "e", "e_field", "b", "t", "exact", "meta", "dec_base", "dec_top"),
    SET_BOUNDS_VECTORS,
)
def test_set_cap_bounds_vectors(
    base: int, length: int, e: int, e_field: int, b: int, t: int, exact: bool, meta: int,
    dec_base: int, dec_top: int,
) -> None:
    fields, got_exact = set_cap_bounds(base, length)
    assert fields == (e_field << E_SHIFT) | (t << T_SHIFT) | b
    assert fields & ~BOUNDS_FIELDS == 0
    assert exponent(fields) == e
    assert got_exact is exact
    result = with_bounds_fields(ROOT_MEM_META, fields)
    assert result == meta
    assert get_cap_bounds(result, base) == (dec_base, dec_top)


# --- §9.3 CSetBoundsRoundDown from the memory root ------------------------------------------------

ROUND_DOWN_VECTORS = [
    # base,      length,     E,  B,     T,     metadata,   result base, result top
    (0x80001000, 0x10, 0, 0x000, 0x010, 0x7E002000, 0x80001000, 0x80001010),
    (0x80001003, 0x1000, 0, 0x003, 0x002, 0x7E000403, 0x80001003, 0x80001202),
    (0x80001000, 0x1234, 4, 0x100, 0x023, 0x7E104700, 0x80001000, 0x80002230),
    (0x80000000, 0x12345678, 14, 0x000, 0x1FF, 0x7E3BFE00, 0x80000000, 0x807FC000),
    (0x80001000, 0x0, 0, 0x000, 0x000, 0x7E000000, 0x80001000, 0x80001000),
]


@pytest.mark.parametrize(
    ("base", "length", "e_field", "b", "t", "meta", "res_base", "res_top"), ROUND_DOWN_VECTORS
)
def test_set_cap_bounds_round_down_vectors(
    base: int, length: int, e_field: int, b: int, t: int, meta: int, res_base: int, res_top: int
) -> None:
    fields = set_cap_bounds_round_down(base, length)
    assert fields == (e_field << E_SHIFT) | (t << T_SHIFT) | b
    result = with_bounds_fields(ROOT_MEM_META, fields)
    assert result == meta
    assert get_cap_bounds(result, base) == (res_base, res_top)


# --- §9.4 CRAM / CRRL -----------------------------------------------------------------------------

CRAM_CRRL_VECTORS = [
    # length,    CRAM,       CRRL
    (0x0, 0xFFFFFFFF, 0x00000000),
    (0x1FF, 0xFFFFFFFF, 0x000001FF),
    (0x200, 0xFFFFFFFE, 0x00000200),
    (0x201, 0xFFFFFFFE, 0x00000202),
    (0x3FE, 0xFFFFFFFE, 0x000003FE),
    (0x3FF, 0xFFFFFFFC, 0x00000400),
    (0x1000, 0xFFFFFFF0, 0x00001000),
    (0x1001, 0xFFFFFFF0, 0x00001010),
    (0x12345, 0xFFFFFF00, 0x00012400),
    (0x7FC000, 0xFFFFC000, 0x007FC000),
    (0x7FC001, 0xFF000000, 0x01000000),
    (0xFFFFFFFF, 0xFF000000, 0x00000000),  # wrapped
]


@pytest.mark.parametrize(("length", "cram", "crrl"), CRAM_CRRL_VECTORS)
def test_cram_crrl_vectors(length: int, cram: int, crrl: int) -> None:
    assert representable_alignment_mask(length) == cram
    assert representable_length(length) == crrl


# --- §9.5 CAndPerm (metadata and perms only; the sealed-cap tag rule is semantics) ----------------

AND_PERM_VECTORS = [
    # source,    mask,  result,     perms
    (0x7E3E0000, 0xFFB, 0x6E3E0000, 0x06B),
    (0x7E3E0000, 0xFDF, 0x603E0000, 0x045),
    (0x7E3E0000, 0xFFE, 0x3E3E0000, 0x07E),
    (0x5E3E0000, 0xF7F, 0x563E0000, 0x16B),
    (0x5E3E0000, 0xEFF, 0x6E3E0000, 0x06B),
    (0x5E3E0000, 0xFDF, 0x403E0000, 0x001),
    (0x4E3E0000, 0x801, 0x483E0000, 0x801),
    (0x7E402000, 0xFFE, 0x3E402000, 0x07E),
    (0x7E402000, 0xFFD, 0x7C402000, 0x07D),
    (0x5E7E0000, 0xFFE, 0x1E7E0000, 0x1EA),
]


@pytest.mark.parametrize(("source", "mask", "result", "perms"), AND_PERM_VECTORS)
def test_and_perm_vectors(source: int, mask: int, result: int, perms: int) -> None:
    meta = with_perms(source, get_perms(source) & mask)
    assert meta == result
    assert get_perms(meta) == perms
    assert legalise_perms(get_perms(source) & mask) == perms


# --- §9.6 CLC attenuation: the permission arithmetic only (isa.md §3.3, §5.21) --------------------

@pytest.mark.parametrize(
    ("cleared", "result"),
    [
        (Perm.GL | Perm.LG, 0x3C002000),  # authority without LG
        (Perm.SD | Perm.LM, 0x6A002000),  # authority without LM: cap read-only, SL lost
        (Perm.GL | Perm.LG | Perm.SD | Perm.LM, 0x28002000),  # neither: LD MC only
    ],
)
def test_load_attenuation_metadata(cleared: int, result: int) -> None:
    assert with_perms(0x7E002000, get_perms(0x7E002000) & ~cleared) == result


# --- §9.7 sealing: the pure otype-field facts -----------------------------------------------------

@pytest.mark.parametrize(
    ("meta", "otype", "result", "decoded"),
    [
        (0x7E002000, 9, 0x7E402000, 9),  # CSeal with the sealing root at address 9
        (0x7E402000, 0, 0x7E002000, 0),  # CUnseal
        (0x7E002000, 8, 0x7E002000, 0),  # otype 8 stores OT = 000: decodes as unsealed
        (ROOT_EXE_META, 1, 0x5E7E0000, 1),  # executable root as an inheriting sentry
        (ROOT_EXE_META, 5, 0x5F7E0000, 5),  # backward sentry, interrupt-enabling
    ],
)
def test_with_otype_vectors(meta: int, otype: int, result: int, decoded: int) -> None:
    sealed = with_otype(meta, otype)
    assert sealed == result
    assert get_otype(sealed) == decoded
    assert get_perms(sealed) == get_perms(meta)
    assert sealed & BOUNDS_FIELDS == meta & BOUNDS_FIELDS


def test_unseal_without_authority_gl_drops_gl() -> None:
    """§9.7: GL survives CUnseal only if the authority also has GL."""
    unsealed = with_otype(0x7E402000, 0)
    assert with_perms(unsealed, get_perms(unsealed) & ~Perm.GL) == 0x3E002000


@pytest.mark.parametrize("ot", range(8))
@pytest.mark.parametrize("p", range(64))
def test_otype_expansion(p: int, ot: int) -> None:
    """§4.1: OT expands to OT for the executable format, 8 + OT otherwise, 0 stays 0."""
    meta = (p << P_SHIFT) | (ot << OT_SHIFT)
    executable = (p >> 3) & 0b11 == 0b01
    assert get_otype(meta) == (0 if ot == 0 else ot if executable else 8 + ot)
    assert executable == bool(get_perms(meta) & Perm.EX)


# --- §3.2 compressed permission table -------------------------------------------------------------

PERM_TABLE = [
    # P[4:0], perms without GL
    (0x00, 0x000), (0x01, 0x200), (0x02, 0x400), (0x03, 0x600),
    (0x04, 0x800), (0x05, 0xA00), (0x06, 0xC00), (0x07, 0xE00),
    (0x08, 0x160), (0x09, 0x162), (0x0A, 0x168), (0x0B, 0x16A),
    (0x0C, 0x1E0), (0x0D, 0x1E2), (0x0E, 0x1E8), (0x0F, 0x1EA),
    (0x10, 0x044), (0x11, 0x004), (0x12, 0x020), (0x13, 0x024),
    (0x14, 0x060), (0x15, 0x062), (0x16, 0x068), (0x17, 0x06A),
    (0x18, 0x064), (0x19, 0x066), (0x1A, 0x06C), (0x1B, 0x06E),
    (0x1C, 0x074), (0x1D, 0x076), (0x1E, 0x07C), (0x1F, 0x07E),
]


@pytest.mark.parametrize("gl", [0, 1])
@pytest.mark.parametrize(("q", "mask"), PERM_TABLE)
def test_perm_table(q: int, mask: int, gl: int) -> None:
    p = (gl << 5) | q
    perms = mask | gl
    assert decompress_perms(p) == perms
    assert compress_perms(perms) == p
    assert get_perms(p << P_SHIFT) == perms


def test_perm_table_decodes_distinct() -> None:
    assert len({decompress_perms(p) for p in range(64)}) == 64


# --- §2.11 roots and NULL -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cap", "meta", "p", "perms"),
    [
        (ROOT_MEM, 0x7E3E0000, 0x3F, 0x07F),
        (ROOT_EXE, 0x5E3E0000, 0x2F, 0x1EB),
        (ROOT_SEAL, 0x4E3E0000, 0x27, 0xE01),
    ],
)
def test_roots(cap: Cap, meta: int, p: int, perms: int) -> None:
    assert (cap.tag, cap.address, cap.meta) == (True, 0, meta)
    assert (meta >> P_SHIFT) & P_MASK == p
    assert cap.perms == perms
    assert meta >> 31 == 0  # R
    assert (meta >> OT_SHIFT) & OT_MASK == 0
    assert (meta >> E_SHIFT) & E_MASK == 0xF
    assert (meta >> T_SHIFT) & MANTISSA_MASK == 0x100
    assert meta & MANTISSA_MASK == 0
    assert cap.bounds == (0, TWO32)
    assert cap.length == TWO32
    assert cap.otype == 0


def test_root_metadata_constants() -> None:
    assert (ROOT_MEM_META, ROOT_EXE_META, ROOT_SEAL_META) == (0x7E3E0000, 0x5E3E0000, 0x4E3E0000)


def test_prop_nullzero() -> None:
    """NULL is the all-zero 65-bit value, so zeroed memory and integer results decode as NULL."""
    assert (NULL.tag, NULL.address, NULL.meta, NULL.bits) == (False, 0, 0, 0)
    assert NULL.perms == 0
    assert NULL.otype == 0
    assert NULL.bounds == (0, 0)
    assert Cap.integer(0x80001234) == Cap(False, 0x80001234, 0)
    assert Cap.integer(0x80001234).bounds == (0x80001200, 0x80001200)


# --- Cap helpers (isa.md §2.6, §2.7) --------------------------------------------------------------

OBJECT = Cap(True, 0x80001000, 0x7E002000)  # [0x80001000, 0x80001010)


@pytest.mark.parametrize(
    ("address", "size", "inside"),
    [
        (0x80001000, 16, True),
        (0x80001010, 0, True),  # size 0 at top is in bounds
        (0x80001010, 1, False),
        (0x8000100F, 1, True),
        (0x8000100F, 2, False),
        (0x80000FFF, 1, False),
    ],
)
def test_in_bounds(address: int, size: int, inside: bool) -> None:
    assert OBJECT.in_bounds(address, size) is inside


def test_in_bounds_top_at_two32_does_not_wrap() -> None:
    assert ROOT_MEM.in_bounds(0xFFFFFFFC, 4) is True
    assert ROOT_MEM.in_bounds(0xFFFFFFFC, 5) is False


@pytest.mark.parametrize(
    ("address", "tag", "bounds"),
    [
        (0x80001010, True, (0x80001000, 0x80001010)),
        (0x800011FF, True, (0x80001000, 0x80001010)),
        (0x80001200, False, (0x80001200, 0x80001210)),
        (0x80000FFF, False, (0x80000E00, 0x80000E10)),
    ],
)
def test_set_address(address: int, tag: bool, bounds: tuple[int, int]) -> None:
    """§2.7: an unrepresentable result keeps the metadata, loses the tag and decodes anew."""
    moved = OBJECT.set_address(address)
    assert (moved.tag, moved.address, moved.meta) == (tag, address, 0x7E002000)
    assert moved.bounds == bounds


def test_set_address_wrapping_below_base() -> None:
    """§2.7: near 2**32, an address that wraps to the bottom decodes the same base, a different top.

    Comparing only the base would wrongly call it representable.
    """
    fields, exact = set_cap_bounds(0xFFFFFF00, 0x80)
    meta = with_bounds_fields(ROOT_MEM_META, fields)
    assert (meta, exact) == (0x7E030100, True)
    cap = Cap(True, 0xFFFFFF00, meta)
    assert cap.bounds == (0xFFFFFF00, 0xFFFFFF80)
    moved = cap.set_address(0x10)
    assert moved.tag is False
    assert moved.bounds == (0xFFFFFF00, 0x1FFFFFF80)


def test_from_bits_memory_image() -> None:
    cap = Cap.from_bits(0x7E002000_80001000, True)
    assert cap == OBJECT
    assert cap.bits == 0x7E002000_80001000


# --- strategies -----------------------------------------------------------------------------------

def _magnitudes(bits: int) -> st.SearchStrategy[int]:
    """Integers below 2**bits, spread over all magnitudes (each bit length about equally likely)."""
    return st.integers(0, bits).flatmap(lambda k: st.integers(0, (1 << k) - 1))


@st.composite
def _requests(draw: st.DrawFn) -> tuple[int, int]:
    """(base, length) with a 32-bit length and base + length <= 2**32.

    Base and top get independent random alignments, so that a misaligned base with an aligned
    top (and the converse) both occur: exactness depends on each separately.
    """
    length = draw(_magnitudes(32))
    base = draw(st.integers(0, min(MASK32, TWO32 - length)))
    base &= ~((1 << draw(st.integers(0, 31))) - 1)
    if draw(st.booleans()):
        top = (base + length) & ~((1 << draw(st.integers(0, 31))) - 1)
        if base <= top <= base + MASK32:
            length = top - base
    return base, length


u32 = st.integers(0, MASK32)
perm_sets = st.integers(0, 0xFFF)


def _bounded(base: int, length: int) -> tuple[int, int, int]:
    """Metadata of the memory root bounded by set_cap_bounds, and its decoded bounds at ``base``."""
    fields, _ = set_cap_bounds(base, length)
    meta = with_bounds_fields(ROOT_MEM_META, fields)
    return (meta, *get_cap_bounds(meta, base))


# --- properties -----------------------------------------------------------------------------------

@pytest.mark.parametrize("p", range(64))
def test_prop_decEnc_perms(p: int) -> None:  # noqa: N802 - Sail property name
    """Every compressed permission field re-encodes to itself, so memcpy via CLC/CSC is lossless."""
    assert compress_perms(decompress_perms(p)) == p


@given(meta=u32, address=u32, tag=st.booleans())
@example(meta=0xFFFFFFFF, address=0xFFFFFFFF, tag=True)
def test_prop_decEnc(meta: int, address: int, tag: bool) -> None:  # noqa: N802 - Sail property name
    """Any metadata word survives decode and re-encode (CSetHigh/CGetHigh, isa.md §5.4)."""
    cap = Cap.from_bits((meta << 32) | address, tag)
    assert (cap.tag, cap.address, cap.meta) == (tag, address, meta)
    assert cap.bits == (meta << 32) | address
    assert NULL.with_meta(meta).meta == meta
    assert with_perms(meta, get_perms(meta)) == meta
    assert with_otype(meta, get_otype(meta)) == meta
    assert with_bounds_fields(meta, meta & BOUNDS_FIELDS) == meta


@given(meta=u32, address=u32)
def test_full_exponent_bounds_ignore_address(meta: int, address: int) -> None:
    """§2.5: with E = 0xF, base = (B & 0xFF) << 24 and top = T << 24 at every address."""
    meta |= E_MASK << E_SHIFT
    b, t = meta & MANTISSA_MASK, (meta >> T_SHIFT) & MANTISSA_MASK
    assert get_cap_bounds(meta, address) == ((b & 0xFF) << 24, t << 24)


@given(_requests())
@example((0x84C910F3, 0x7FF))
@example((0x80001001, 0x201))  # top aligned, base not: inexact
@example((0xFFFFFFFF, 0x1))
@example((0x0, 0xFFFFFFFF))
@example((0xFFFFFE01, 0x1FF))
def test_prop_setbounds(req: tuple[int, int]) -> None:
    """The rounded bounds always cover the request and are exact iff equal to it (isa.md §2.8)."""
    base, length = req
    fields, exact = set_cap_bounds(base, length)
    assert fields & ~BOUNDS_FIELDS == 0
    assert (fields >> E_SHIFT) & E_MASK in {*range(15), 0xF}
    _, got_base, got_top = _bounded(base, length)
    assert got_base <= base
    assert base + length <= got_top <= TWO32
    assert exact == (got_base == base and got_top == base + length)


@given(parent=_requests(), data=st.data())
def test_prop_setbounds_monotonic(parent: tuple[int, int], data: st.DataObject) -> None:
    """Bounding a request inside a capability never widens it: CSetBounds cannot gain authority."""
    _, p_base, p_top = _bounded(*parent)
    base = data.draw(st.integers(p_base, min(p_top, MASK32)), label="base")
    length = data.draw(st.integers(0, min(p_top - base, MASK32)), label="length")
    _, c_base, c_top = _bounded(base, length)
    assert p_base <= c_base
    assert c_top <= p_top


@given(_requests())
@example((0x80001003, 0x1000))
@example((0x0, 0xFFFFFFFF))
def test_prop_setbounds_round_down(req: tuple[int, int]) -> None:
    """Round-down keeps the base exact and never grants more than requested (isa.md §2.9)."""
    base, length = req
    fields = set_cap_bounds_round_down(base, length)
    assert fields & ~BOUNDS_FIELDS == 0
    assert (fields >> E_SHIFT) & E_MASK <= 14
    meta = with_bounds_fields(ROOT_MEM_META, fields)
    got_base, got_top = get_cap_bounds(meta, base)
    assert got_base == base
    assert got_top - got_base <= length
    assert (got_top - got_base > 0) == (length > 0)


@given(length=_magnitudes(32), data=st.data())
@example(length=0xFFFFFFFF, data=None)
def test_prop_crrl_cram(length: int, data: st.DataObject | None) -> None:
    """A base aligned with CRAM(l) and a length of CRRL(l) can always be bounded exactly."""
    cram = representable_alignment_mask(length)
    crrl = representable_length(length)
    assert crrl >= length or crrl == 0
    assert crrl & ~cram & MASK32 == 0
    if crrl == 0:
        return
    base = 0 if data is None else data.draw(st.integers(0, TWO32 - crrl), label="base") & cram
    _, exact = set_cap_bounds(base, crrl)
    assert exact


@given(_magnitudes(32))
def test_crram_exponent_closed_form(length: int) -> None:
    """§2.10: e is the smallest value with l <= 511 * 2**e, replaced by 24 when above 14."""
    e = next(e for e in range(33) if length <= 511 << e)
    e = 24 if e > 14 else e
    assert representable_alignment_mask(length) == (MASK32 << e) & MASK32


@given(req=_requests(), data=st.data())
def test_prop_representable(req: tuple[int, int], data: st.DataObject) -> None:
    """The §2.7 closed form agrees with Sail's definition, and [base, top] is always reachable."""
    meta, base, top = _bounded(*req)
    cap = Cap(True, req[0], meta)
    e = exponent(meta)
    near = st.integers(base - (2 << (e + 9)), top + (2 << (e + 9))).map(lambda a: a & MASK32)
    address = data.draw(st.one_of(near, u32), label="address")
    closed = e == 24 or base <= address < base + (1 << (e + 9))
    assert cap.is_representable(address) == closed
    inside = data.draw(st.integers(base, min(top, MASK32)), label="inside")
    assert cap.is_representable(inside)
    assert cap.set_address(inside).bounds == (base, top)


@given(perm_sets)
def test_prop_legalise_perms(perms: int) -> None:
    """Legalising only ever drops permissions, keeps GL as asked and is stable (isa.md §3.3)."""
    legal = legalise_perms(perms)
    assert legal & ~perms == 0
    assert legal & Perm.GL == perms & Perm.GL
    assert legalise_perms(legal) == legal


@given(meta=u32, mask=perm_sets)
def test_and_perm_keeps_other_fields(meta: int, mask: int) -> None:
    """CAndPerm changes only P: R, OT, E, T and B are carried bit for bit (isa.md §5.11)."""
    result = with_perms(meta, get_perms(meta) & mask)
    keep = MASK32 & ~(P_MASK << P_SHIFT)
    assert result & keep == meta & keep
    assert get_perms(result) & ~get_perms(meta) == 0
