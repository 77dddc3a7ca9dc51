"""Ordinary loads and stores through capabilities (isa.md §5.20), tag clearing by data stores
(§8.1) and the stack high-water mark (§1.5)."""

from __future__ import annotations

import pytest

from .harness import (
    BOUNDS,
    DATA,
    DATA_META,
    LOAD,
    MCAUSE_LOAD_ACCESS,
    MCAUSE_STORE_ACCESS,
    SEAL,
    STORE,
    TAG,
    UNMAPPED,
    UNTAGGED_BASE,
    chain,
    expect_cheri,
    expect_done,
    expect_trap,
    put_bytes,
    put_cap,
    run,
)

PATTERN = put_bytes(DATA, bytes([0x80, 0xFF, 0x34, 0x12, 0x78, 0x56, 0xF4, 0x9A]))


def test_loads_extend_and_produce_integers(mode: str) -> None:
    body = """
    clb a0, 0(ca4)
    clbu a1, 0(ca4)
    clh a2, 0(ca4)
    clhu a3, 0(ca4)
    clw s0, 0(ca4)
    clh s1, 6(ca4)
    clw t2, 1(ca4)                  # misaligned: allowed (§5.20 row 6 does not fire)
    cincoffset ct1, ca4, 16
    clhu t0, -10(ct1)               # negative offset
    """
    result = expect_done(run(mode, body, setup=PATTERN))
    expected = {"a0": 0xFFFFFF80, "a1": 0x80, "a2": 0xFFFFFF80, "a3": 0xFF80,
                "s0": 0x1234FF80, "s1": 0xFFFF9AF4, "t2": 0x781234FF, "t0": 0x9AF4}
    for reg, value in expected.items():
        assert result.triple(reg) == (0, value, 0), reg


def test_stores_write_little_endian(mode: str) -> None:
    body = """
    li a0, 0x11223344
    csw a0, 0(ca4)
    csh a0, 4(ca4)
    csb a0, 6(ca4)
    csw a0, 9(ca4)                  # misaligned
    """
    result = expect_done(run(mode, body))
    assert result.engine.read_memory(DATA, 13) == bytes.fromhex("44332211 4433 44 0000 44332211")


# Authorities for the fault cases (ca1); the access itself is `ACCESS a0, 0(ca1)`.
UNTAGGED = "ccleartag ca1, ca4"
SEALED = "li tp, 9\n csetaddr ct0, ca3, tp\n cseal ca1, ca4, ct0"
NO_LD = "li tp, 0xfdf\n candperm ca1, ca4, tp"        # cap write-only (§9.5)
NO_SD = "li tp, 0xffb\n candperm ca1, ca4, tp"        # cap read-only
AT_TOP = "cincoffset ca1, ca4, 0xfd"                   # 4 bytes at DATA + 0xFD: 1 past top
BELOW = "cincoffset ca1, ca4, -1"                      # untagged: below base is not
ROOT_UNMAPPED = f"li tp, {UNMAPPED:#x}\n csetaddr ca1, ca5, tp"


@pytest.mark.parametrize("access", ["clw a0", "clh a0", "clb a0", "clbu a0", "clhu a0"])
@pytest.mark.parametrize(("prep", "cause"), [
    (UNTAGGED, TAG), (SEALED, SEAL), (NO_LD, LOAD),
    # priority (§5.20 order): tag before seal, seal before permission, permission before bounds
    (SEALED + "\n ccleartag ca1, ca1", TAG),
    (NO_LD + "\n li tp, 9\n csetaddr ct0, ca3, tp\n cseal ca1, ca1, ct0", SEAL),
    (NO_LD + "\n cincoffset ca1, ca1, 0x100", LOAD),
], ids=["untagged", "sealed", "no-LD", "tag>seal", "seal>perm", "perm>bounds"])
def test_load_faults(mode: str, access: str, prep: str, cause: int) -> None:
    body = f"{prep}\nfault:\n {access}, 0(ca1)\n"
    result = expect_cheri(run(mode, body), cause, "ca1")
    assert result.triple("a0") == (0, 0, 0)  # nothing written


@pytest.mark.parametrize("access", ["csw a0", "csh a0", "csb a0"])
@pytest.mark.parametrize(("prep", "cause"), [
    (UNTAGGED, TAG), (SEALED, SEAL), (NO_SD, STORE),
    (NO_SD + "\n cincoffset ca1, ca1, 0x100", STORE),
], ids=["untagged", "sealed", "no-SD", "perm>bounds"])
def test_store_faults(mode: str, access: str, prep: str, cause: int) -> None:
    body = f"li a0, -1\n{prep}\nfault:\n {access}, 0(ca1)\n"
    result = expect_cheri(run(mode, body), cause, "ca1")
    assert result.word(DATA) == 0  # nothing stored


@pytest.mark.parametrize(("access", "offset", "ok"), [
    ("clw a0", 0xFC, True), ("clw a0", 0xFD, False), ("clh a0", 0xFE, True),
    ("clh a0", 0xFF, False), ("clb a0", 0xFF, True), ("clb a0", 0x100, False),
    ("clb a0", -1, False), ("csw a0", 0xFC, True), ("csw a0", 0xFD, False),
    ("csh a0", 0xFF, False), ("csb a0", 0x100, False), ("csb a0", -1, False),
])
def test_bounds_cover_the_whole_access(mode: str, access: str, offset: int, ok: bool) -> None:
    """in_bounds(auth, va, width): base <= va and va + width <= top (§2.6, §5.20)."""
    body = f"fault:\n {access}, {offset}(ca4)\n"
    result = run(mode, body)
    if ok:
        expect_done(result)
    else:
        expect_cheri(result, BOUNDS, "ca4")


def test_access_faults(mode: str) -> None:
    """No memory at va: load/store access fault with mtval = va, after all CHERI checks."""
    load = ROOT_UNMAPPED + "\nfault:\n clw a0, 8(ca1)\n"
    expect_trap(run(mode, load), MCAUSE_LOAD_ACCESS, UNMAPPED + 8, "fault")
    store = ROOT_UNMAPPED + "\nfault:\n csh a0, 6(ca1)\n"
    expect_trap(run(mode, store), MCAUSE_STORE_ACCESS, UNMAPPED + 6, "fault")


def test_compressed_load_mtval_example(mode: str) -> None:
    """§7.2 example: lw a0, 0(ca1) with untagged ca1 -> mtval 0x162."""
    result = run(mode, "ccleartag ca1, ca4\nfault:\n clw a0, 0(ca1)\n")
    expect_trap(result, 0x1C, 0x162, "fault")


# --- tags cleared by data stores (§8.1) --------------------------------------------------------

CAPS = chain(*(put_cap(DATA + off, True, DATA, DATA_META) for off in (0x10, 0x18, 0x20, 0x28)))


@pytest.mark.parametrize(("store", "cleared"), [
    ("csw zero, 0x14(ca4)", {0x10}),
    ("csb zero, 0x17(ca4)", {0x10}),
    ("csh zero, 0x1f(ca4)", {0x18, 0x20}),    # straddles two granules
    ("csw zero, 0x1e(ca4)", {0x18, 0x20}),
    ("csw zero, 0x0e(ca4)", {0x10}),          # from the granule below
    ("csw zero, 0x0c(ca4)", set()),           # ends just below 0x10
])
def test_data_stores_clear_tags(mode: str, store: str, cleared: set[int]) -> None:
    result = expect_done(run(mode, store, setup=CAPS))
    for off in (0x10, 0x18, 0x20, 0x28):
        assert result.tag(DATA + off) is (off not in cleared), hex(off)


def test_loads_ignore_tags(mode: str) -> None:
    body = "clw a0, 0x10(ca4)\nclw a1, 0x14(ca4)\n"
    result = expect_done(run(mode, body, setup=CAPS))
    assert (result.triple("a0"), result.triple("a1")) == ((0, DATA, 0), (0, DATA_META, 0))
    assert result.tag(DATA + 0x10) is True


def test_untagged_memory(mode: str) -> None:
    body = f"""
    li tp, {UNTAGGED_BASE:#x}
    csetaddr ca1, ca5, tp
    li a0, 0x5a5a1234
    csw a0, 0x10(ca1)
    clw a2, 0x10(ca1)
    """
    result = expect_done(run(mode, body))
    assert result.triple("a2") == (0, 0x5A5A1234, 0)
    assert result.tag(UNTAGGED_BASE + 0x10) is None


# --- stack high-water mark (§1.5) --------------------------------------------------------------

MARK = f"""
    li tp, {DATA + 0x40:#x}
    csrw 0xbc2, tp       # mshwmb
    li tp, {DATA + 0xC0:#x}
    csrw 0xbc1, tp       # mshwm
"""


@pytest.mark.parametrize(("store", "mark"), [
    ("csw zero, 0x87(ca4)", DATA + 0x80),   # inside: lowered to A & ~0xF
    ("csb zero, 0x40(ca4)", DATA + 0x40),   # at mshwmb
    ("csh zero, 0xbf(ca4)", DATA + 0xB0),   # just below mshwm
    ("csw zero, 0xc0(ca4)", DATA + 0xC0),   # at mshwm: unchanged
    ("csw zero, 0x3e(ca4)", DATA + 0xC0),   # starts below mshwmb, spills in: unchanged
    ("csc ca4, 0x58(ca4)", DATA + 0x50),    # capability stores count too
    ("clw a0, 0x50(ca4)", DATA + 0xC0),     # loads do not
])
def test_mshwm(mode: str, store: str, mark: int) -> None:
    result = expect_done(run(mode, MARK + store + "\n csrr a1, 0xbc1\n csrr a2, 0xbc2\n"))
    assert (result.x("a1"), result.x("a2")) == (mark, DATA + 0x40)


def test_mshwm_faulting_store_does_not_count(mode: str) -> None:
    body = MARK + "ccleartag ca1, ca4\nfault:\n csw zero, 0x80(ca1)\n"
    result = expect_cheri(run(mode, body), TAG, "ca1")
    assert result.hart.core.mshwm == DATA + 0xC0
