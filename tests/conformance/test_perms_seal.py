"""Permissions and sealing: CAndPerm (isa.md §5.11, §3.3, vectors §9.5), CSeal and CUnseal
(§5.12, §4.2, §4.3, vectors §9.7). None of these ever traps; failures clear the tag."""

from __future__ import annotations

import pytest

from .harness import EXE_ROOT, MEM_ROOT, SEAL_ROOT, expect_done, run

OBJ = 0x8000_1000
# ca0 = [OBJ, OBJ + 16) from the memory root: metadata 0x7E002000 (§9.2)
OBJ16 = f"""
    li tp, {OBJ:#x}
    csetaddr ca0, ca5, tp
    csetbounds ca0, ca0, 16
"""
# ca1 = sealing root at address 9 (§9.7)
SEAL9 = """
    li tp, 9
    csetaddr ca1, ca3, tp
"""

SOURCES = {
    "mem-root": "cmove ca2, ca5",
    "exe-root": "cspecialr ca2, mepcc",
    "seal-root": "cmove ca2, ca3",
    "sealed-9": OBJ16 + SEAL9 + "cseal ca2, ca0, ca1",
    "sentry-1": "cspecialr ca0, mepcc\n li tp, 1\n csetaddr ca1, ca3, tp\n cseal ca2, ca0, ca1",
}

# §9.5: source, mask, result metadata, tag, perms
VECTORS_9_5 = [
    ("mem-root", 0xFFB, 0x6E3E0000, 1, 0x06B),
    ("mem-root", 0xFDF, 0x603E0000, 1, 0x045),
    ("mem-root", 0xFFE, 0x3E3E0000, 1, 0x07E),
    ("exe-root", 0xF7F, 0x563E0000, 1, 0x16B),
    ("exe-root", 0xEFF, 0x6E3E0000, 1, 0x06B),
    ("exe-root", 0xFDF, 0x403E0000, 1, 0x001),
    ("seal-root", 0x801, 0x483E0000, 1, 0x801),
    ("sealed-9", 0xFFE, 0x3E402000, 1, 0x07E),
    ("sealed-9", 0xFFD, 0x7C402000, 0, 0x07D),
    ("sentry-1", 0xFFE, 0x1E7E0000, 1, 0x1EA),
    # More §3.3 cases: rule 5 (no MC: data-only keeps LD SD), the empty set, a sealed value
    # with nothing cleared, and mask bits above 11 ignored (§5.11).
    ("mem-root", 0xFBF, 0x663E0000, 1, 0x025),
    ("mem-root", 0x000, 0x003E0000, 1, 0x000),
    ("sealed-9", 0xFFF, 0x7E402000, 1, 0x07F),
    ("mem-root", 0xFFFFFFFB, 0x6E3E0000, 1, 0x06B),
]


@pytest.mark.parametrize(("source", "mask", "meta", "tag", "perms"), VECTORS_9_5,
                         ids=[f"{s}&{m:x}" for s, m, *_ in VECTORS_9_5])
def test_candperm_vectors(mode: str, source: str, mask: int, meta: int, tag: int,
                          perms: int) -> None:
    body = SOURCES[source] + f"""
    li a3, {mask:#x}
    candperm cs0, ca2, a3
    cgetperm a4, cs0
    """
    result = expect_done(run(mode, body))
    address = result.x("ca2")
    assert result.triple("cs0") == (tag, address, meta)
    assert result.triple("a4") == (0, perms, 0)


def test_candperm_untagged_stays_untagged(mode: str) -> None:
    body = """
    ccleartag ca0, ca5
    li a1, 0xffb
    candperm ca2, ca0, a1
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (0, 0, 0x6E3E0000)


# --- CSeal (§4.2) ------------------------------------------------------------------------------

def test_seal_and_unseal_vector(mode: str) -> None:
    """§9.7: seal 0x7E002000 with otype 9, unseal it with an authority bounded to [9, 10)
    whose address is elsewhere (only bounds matter since ISA 1.0, §4.3)."""
    body = OBJ16 + SEAL9 + """
    cseal ca2, ca0, ca1
    cgettype a3, ca2
    csetbounds cs0, ca1, 1          # [9, 10)
    cunseal cs1, ca2, cs0
    li a4, 100
    csetaddr ct0, cs0, a4           # address 100, bounds still [9, 10)
    cunseal ct1, ca2, ct0
    li a4, 0xffe
    candperm ct2, cs0, a4           # authority without GL
    cunseal ca5, ca2, ct2
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (1, OBJ, 0x7E402000)
    assert result.triple("a3") == (0, 9, 0)
    assert result.triple("cs0") == (1, 9, 0x4E001409)
    assert result.triple("cs1") == (1, OBJ, 0x7E002000)
    assert result.triple("ct0") == (1, 100, 0x4E001409)
    assert result.triple("ct1") == (1, OBJ, 0x7E002000)
    assert result.triple("ca5") == (1, OBJ, 0x3E002000)  # GL = cs1.GL & cs2.GL


def test_seal_executable_as_sentries(mode: str) -> None:
    """Executable capabilities take otypes 1-7 only (§4.2, §9.7)."""
    body = """
    cspecialr ca0, mepcc
    li tp, 1
    csetaddr ca1, ca3, tp
    cseal ca2, ca0, ca1
    li tp, 5
    csetaddr ca1, ca3, tp
    cseal cs0, ca0, ca1
    li tp, 7
    csetaddr ca1, ca3, tp
    cseal cs1, ca0, ca1
    li tp, 9
    csetaddr ca1, ca3, tp
    cseal ct0, ca0, ca1
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (1, 0, 0x5E7E0000)
    assert result.triple("cs0") == (1, 0, 0x5F7E0000)
    assert result.triple("cs1") == (1, 0, 0x5FFE0000)
    assert result.triple("ct0") == (0, 0, 0x5E7E0000)  # 9 refused; OT keeps 9 & 7 = 1


@pytest.mark.parametrize(("otype", "meta"), [
    (0, 0x7E002000), (8, 0x7E002000), (16, 0x7E002000), (1, 0x7E402000), (7, 0x7FC02000),
    (0x1000001, 0x7E402000),
])
def test_seal_refused_otypes_for_data(mode: str, otype: int, meta: int) -> None:
    """Non-executable capabilities take 9-15: 0, 8, >= 16 and 1-7 fail; only otype[2:0] is
    stored (§4.2, §9.7)."""
    body = OBJ16 + f"""
    li tp, {otype:#x}
    csetaddr ca1, ca3, tp
    cseal ca2, ca0, ca1
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (0, OBJ, meta)


def test_seal_accepts_15(mode: str) -> None:
    body = OBJ16 + """
    li tp, 15
    csetaddr ca1, ca3, tp
    cseal ca2, ca0, ca1
    cgettype a3, ca2
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (1, OBJ, 0x7FC02000)
    assert result.x("a3") == 15


@pytest.mark.parametrize("authority", [
    "ccleartag ca1, ca1",                                       # untagged
    "li a4, 0x201\n candperm ca1, ca1, a4",                     # no SE (GL US)
    "csetbounds ca1, ca1, 1\n cincoffset ca1, ca1, 1",          # address 10 outside [9, 10)
    "li tp, 10\n csetaddr ct0, ca3, tp\n cseal ca1, ca1, ct0",  # sealed authority
], ids=["untagged", "no-SE", "out-of-bounds", "sealed"])
def test_seal_refused_authority(mode: str, authority: str) -> None:
    body = OBJ16 + SEAL9 + authority + """
    cseal ca2, ca0, ca1
    """
    result = expect_done(run(mode, body))
    address_otype = result.x("ca1") & 7
    assert result.triple("ca2") == (0, OBJ, 0x7E002000 | address_otype << 22)


def test_seal_refused_already_sealed_or_untagged(mode: str) -> None:
    body = OBJ16 + SEAL9 + """
    cseal ca2, ca0, ca1
    li tp, 10
    csetaddr ct0, ca3, tp
    cseal cs0, ca2, ct0             # already sealed
    ccleartag ct1, ca0
    cseal cs1, ct1, ca1             # untagged source: authority fine, tag stays 0
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (1, OBJ, 0x7E402000)
    assert result.triple("cs0") == (0, OBJ, 0x7E802000)
    assert result.triple("cs1") == (0, OBJ, 0x7E402000)


def test_sealing_capability_can_be_sealed(mode: str) -> None:
    """A sealing-format capability is non-executable: otypes 9-15 (§4.1)."""
    body = SEAL9 + """
    li tp, 12
    csetaddr ct0, ca3, tp
    cseal ca2, ca1, ct0
    cgettype a4, ca2
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (1, 9, SEAL_ROOT | 4 << 22)
    assert result.x("a4") == 12


# --- CUnseal (§4.3) ----------------------------------------------------------------------------

@pytest.mark.parametrize(("authority", "meta"), [
    ("ccleartag cs0, cs0", 0x7E002000),                   # untagged
    ("li a4, 0x401\n candperm cs0, cs0, a4", 0x7E002000),  # no US (GL SE)
    ("li tp, 10\n csetaddr cs0, ca3, tp\n csetbounds cs0, cs0, 1", 0x7E002000),  # [10, 11)
    ("li tp, 10\n csetaddr ct0, ca3, tp\n cseal cs0, cs0, ct0", 0x7E002000),     # sealed
    ("li a4, 0xffe\n candperm cs0, cs0, a4\n ccleartag cs0, cs0", 0x3E002000),   # GL anded
], ids=["untagged", "no-US", "otype-outside", "sealed", "untagged-local"])
def test_unseal_refused(mode: str, authority: str, meta: int) -> None:
    body = OBJ16 + SEAL9 + """
    cseal ca2, ca0, ca1
    csetbounds cs0, ca1, 1
    """ + authority + """
    cunseal cs1, ca2, cs0
    """
    result = expect_done(run(mode, body))
    assert result.triple("cs1") == (0, OBJ, meta)


def test_unseal_of_unsealed_value(mode: str) -> None:
    body = OBJ16 + SEAL9 + """
    cunseal ca2, ca0, ca1
    cunseal cs0, ca5, ca3
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (0, OBJ, 0x7E002000)
    assert result.triple("cs0") == (0, 0, MEM_ROOT)


def test_unseal_sentry_with_root(mode: str) -> None:
    """The sealing root covers every otype, so it unseals a sentry (§2.11, §4.3)."""
    body = """
    cspecialr ca0, mepcc
    li tp, 3
    csetaddr ca1, ca3, tp
    cseal ca2, ca0, ca1
    cunseal cs0, ca2, ca3
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == (1, 0, 0x5EFE0000)
    assert result.triple("cs0") == (1, 0, EXE_ROOT)
