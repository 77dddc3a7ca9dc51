"""CLC and CSC (isa.md §5.21, §5.22): checks and their order, alignment, the store-local rule,
attenuation on load (§9.6), the revocation load filter (§8.2, §9.9) and untagged memory (§8.1)."""

from __future__ import annotations

import pytest

from .harness import (
    BOUNDS,
    DATA,
    DATA_META,
    LOAD,
    MCAUSE_LOAD_ACCESS,
    MCAUSE_LOAD_MISALIGNED,
    MCAUSE_STORE_ACCESS,
    MCAUSE_STORE_MISALIGNED,
    SEAL,
    SHADOW_BASE,
    STORE,
    STORE_CAP,
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

OBJ = 0x8000_1000
PLAIN = put_cap(DATA + 0x20, True, OBJ, 0x7E002000)    # §9.6 loaded value, unsealed
SEALED9 = put_cap(DATA + 0x28, True, OBJ, 0x7E402000)  # its sealed form (otype 9)


def test_clc_and_csc_round_trip(mode: str) -> None:
    body = """
    csc ca4, 0x30(ca4)
    clc ca0, 0x30(ca4)
    clc ca1, 0x20(ca4)
    clc ca2, 0x38(ca4)              # an untagged granule: its bits, tag 0
    clw a3, 0x34(ca4)               # the metadata word is the high half in memory (§2.3)
    csc cnull, 0x20(ca4)            # storing NULL clears the tag
    """
    setup = chain(PLAIN, put_bytes(DATA + 0x38, bytes(range(1, 9))))
    result = expect_done(run(mode, body, setup=setup))
    assert result.mem_triple(DATA + 0x30) == (1, DATA, DATA_META)
    assert result.triple("ca0") == (1, DATA, DATA_META)
    assert result.triple("ca1") == (1, OBJ, 0x7E002000)
    assert result.triple("ca2") == (0, 0x04030201, 0x08070605)
    assert result.triple("a3") == (0, DATA_META, 0)
    assert result.mem_triple(DATA + 0x20) == (0, 0, 0)


# Authorities in ca1 for the fault cases
UNTAGGED = "ccleartag ca1, ca4"
SEALED = "li tp, 9\n csetaddr ct0, ca3, tp\n cseal ca1, ca4, ct0"
NO_LD = "li tp, 0xfdf\n candperm ca1, ca4, tp"       # cap write-only: SD MC (GL)
NO_SD = "li tp, 0xffb\n candperm ca1, ca4, tp"       # cap read-only
DATA_ONLY = "li tp, 0xfbf\n candperm ca1, ca4, tp"   # LD SD without MC


@pytest.mark.parametrize(("prep", "offset", "cause"), [
    (UNTAGGED, 0, TAG), (SEALED, 0, SEAL), (NO_LD, 0, LOAD),
    ("cmove ca1, ca4", 0x100, BOUNDS), ("cmove ca1, ca4", -8, BOUNDS),
    ("cmove ca1, ca4", 0xFC, BOUNDS),          # bounds beats alignment (§7.3)
    (SEALED + "\n ccleartag ca1, ca1", 0, TAG),
    (NO_LD + "\n cincoffset ca1, ca1, 0x100", 0, LOAD),
], ids=["untagged", "sealed", "no-LD", "past-top", "below", "bounds>align", "tag>seal",
        "perm>bounds"])
def test_clc_faults(mode: str, prep: str, offset: int, cause: int) -> None:
    body = f"{prep}\nfault:\n clc ca0, {offset}(ca1)\n"
    result = expect_cheri(run(mode, body, setup=PLAIN), cause, "ca1")
    assert result.triple("ca0") == (0, 0, 0)


@pytest.mark.parametrize(("prep", "value", "offset", "cause"), [
    (UNTAGGED, "ca4", 0, TAG), (SEALED, "ca4", 0, SEAL), (NO_SD, "ca4", 0, STORE),
    (DATA_ONLY, "ca4", 0, STORE_CAP),           # tagged value without MC: 0x15
    (NO_SD, "ca4", 0x100, STORE),               # SD before bounds
    (DATA_ONLY, "ca4", 0x100, STORE_CAP),       # MC before bounds
    ("li tp, 0xfdb\n candperm ca1, ca4, tp", "ca4", 0, STORE),   # LD only: SD before MC
    ("cmove ca1, ca4", "ca4", 0x100, BOUNDS), ("cmove ca1, ca4", "ca4", -8, BOUNDS),
    ("cmove ca1, ca4", "ca4", 0xFC, BOUNDS),
], ids=["untagged", "sealed", "no-SD", "no-MC", "SD>bounds", "MC>bounds", "SD>MC",
        "past-top", "below", "bounds>align"])
def test_csc_faults(mode: str, prep: str, value: str, offset: int, cause: int) -> None:
    body = f"{prep}\nfault:\n csc {value}, {offset}(ca1)\n"
    result = expect_cheri(run(mode, body, setup=PLAIN), cause, "ca1")
    assert result.mem_triple(DATA + 0x20) == (1, OBJ, 0x7E002000)  # untouched
    assert result.mem_triple(DATA) == (0, 0, 0)


def test_csc_of_untagged_data_needs_no_mc(mode: str) -> None:
    """Check 4 of §5.22 only applies to tagged values: data-only authority stores bits."""
    body = DATA_ONLY + "\n ccleartag ca2, ca4\n csc ca2, 0x20(ca1)\n clc ca0, 0x20(ca1)\n"
    result = expect_done(run(mode, body, setup=PLAIN))
    assert result.mem_triple(DATA + 0x20) == (0, DATA, DATA_META)
    assert result.triple("ca0") == (0, DATA, DATA_META)   # no MC: loaded untagged


@pytest.mark.parametrize(("access", "mcause"), [
    ("clc ca0", MCAUSE_LOAD_MISALIGNED), ("csc ca4", MCAUSE_STORE_MISALIGNED),
])
@pytest.mark.parametrize("offset", [4, 1, 0xF0 + 2])
def test_misaligned(mode: str, access: str, mcause: int, offset: int) -> None:
    """CLC/CSC always need 8-byte alignment: cause 4/6 with mtval = va (§5.21, §5.22)."""
    result = run(mode, f"fault:\n {access}, {offset}(ca4)\n")
    expect_trap(result, mcause, DATA + offset, "fault")


def test_access_faults(mode: str) -> None:
    prep = f"li tp, {UNMAPPED:#x}\n csetaddr ca1, ca5, tp\n"
    expect_trap(run(mode, prep + "fault:\n clc ca0, 8(ca1)\n"), MCAUSE_LOAD_ACCESS,
                UNMAPPED + 8, "fault")
    expect_trap(run(mode, prep + "fault:\n csc ca4, 16(ca1)\n"), MCAUSE_STORE_ACCESS,
                UNMAPPED + 16, "fault")


# --- store-local rule (§5.22) ------------------------------------------------------------------

@pytest.mark.parametrize(("authority_mask", "value_mask", "tag"), [
    (0xFFF, 0xFFF, 1),   # SL, global value
    (0xFFF, 0xFFE, 1),   # SL, local value
    (0xFEF, 0xFFF, 1),   # no SL, global value
    (0xFEF, 0xFFE, 0),   # no SL, local value: stored untagged, no trap
])
def test_store_local(mode: str, authority_mask: int, value_mask: int, tag: int) -> None:
    body = f"""
    li tp, {authority_mask:#x}
    candperm ca1, ca4, tp
    li tp, {value_mask:#x}
    candperm ca2, ca4, tp
    csc ca2, 0x40(ca1)
    """
    result = expect_done(run(mode, body))
    value = result.cap("ca2")
    assert result.mem_triple(DATA + 0x40) == (tag, DATA, value.meta)


def test_store_local_sentry_is_global(mode: str) -> None:
    """A backward sentry made with GL is global: Sail does not treat it as local (§10.1)."""
    body = """
    cjal cra, 1f
1:  li tp, 0xfef
    candperm ca1, ca4, tp
    csc cra, 0x40(ca1)
    """
    result = expect_done(run(mode, body))
    assert result.mem_triple(DATA + 0x40) == result.triple("cra")
    assert result.cap("cra").otype == 4


# --- attenuation on load (§9.6) ----------------------------------------------------------------

@pytest.mark.parametrize(("mask", "plain", "sealed"), [
    (0xFFF, (1, 0x7E002000), (1, 0x7E402000)),   # MC LG LM
    (0xFFD, (1, 0x3C002000), (1, 0x3E402000)),   # no LG
    (0xFF7, (1, 0x6A002000), (1, 0x7E402000)),   # no LM
    (0xFF5, (1, 0x28002000), (1, 0x3E402000)),   # neither
    (0xFBF, (0, 0x7E002000), (0, 0x7E402000)),   # no MC: tag 0, bits unchanged
])
def test_clc_attenuation(mode: str, mask: int, plain: tuple[int, int],
                         sealed: tuple[int, int]) -> None:
    body = f"""
    li tp, {mask:#x}
    candperm ca1, ca4, tp
    clc ca0, 0x20(ca1)
    clc ca2, 0x28(ca1)
    """
    # fastpath.c leaves a tagged load that must be attenuated (no LG or no LM) to Python.
    attenuating = mask & 0x40 and (mask & 0xA) != 0xA
    result = expect_done(run(mode, body, setup=chain(PLAIN, SEALED9),
                             deferred_ops=("clc",) if attenuating else ()))
    assert result.triple("ca0") == (plain[0], OBJ, plain[1])
    assert result.triple("ca2") == (sealed[0], OBJ, sealed[1])


# --- revocation load filter (§8.2, §9.9) -------------------------------------------------------

def set_bit(base: int, raw: int = -1) -> str:
    """Software sets the revocation bit of ``base`` with a byte store into the bitmap."""
    off = base - 0x8000_0000
    byte, bit = SHADOW_BASE + (off >> 6), (off >> 3) & 7
    value = (1 << bit) if raw < 0 else raw
    return f"""
    li tp, {byte:#x}
    csetaddr ct0, ca5, tp
    li tp, {value:#x}
    csb tp, 0(ct0)
    """


@pytest.mark.parametrize(("label", "address", "meta", "shadow", "tag"), [
    # §9.9: base 0x80001040 -> byte 0x83000041 bit 0; base 0x80001078 -> bit 7
    ("bit0", 0x80001040, 0x7E009040, set_bit(0x80001040), 0),
    ("bit7", 0x80001078, 0x7E010078, set_bit(0x80001078), 0),
    ("other-bit", 0x80001040, 0x7E009040, set_bit(0x80001048), 1),
    # the check uses the base: address 0x80001078 of [0x80001040, 0x80001080)
    ("base-not-address", 0x80001078, 0x7E010040, set_bit(0x80001078), 1),
    ("base-revoked", 0x80001078, 0x7E010040, set_bit(0x80001040), 0),
    # below R (0x7FFFFFF0, 16 bytes): never revoked, whatever the bitmap holds
    ("below-R", 0x7FFFFFF0, 0x7E0001F0, set_bit(0x80000000, 0xFF), 1),
    # sealing-format capabilities are exempt; sealed data capabilities are not
    ("sealing", 0x80001040, 0x4E009040, set_bit(0x80001040), 1),
    ("sealed-data", 0x80001040, 0x7E409040, set_bit(0x80001040), 0),
])
def test_load_filter(mode: str, label: str, address: int, meta: int, shadow: str,
                     tag: int) -> None:
    body = shadow + """
    clc ca0, 0x20(ca4)
    """
    result = expect_done(run(mode, body, setup=put_cap(DATA + 0x20, True, address, meta)))
    assert result.triple("ca0") == (tag, address, meta)
    assert result.mem_triple(DATA + 0x20) == (1, address, meta)  # memory keeps its tag


def test_load_filter_only_on_load(mode: str) -> None:
    """Revoking after the load leaves the register alone; the next load is filtered."""
    body = "clc ca0, 0x20(ca4)\n" + set_bit(0x80001040) + "clc ca1, 0x20(ca4)\n"
    result = expect_done(run(mode, body,
                             setup=put_cap(DATA + 0x20, True, 0x80001040, 0x7E009040)))
    assert result.triple("ca0") == (1, 0x80001040, 0x7E009040)
    assert result.triple("ca1") == (0, 0x80001040, 0x7E009040)


# --- untagged memory (§8.1) --------------------------------------------------------------------

def test_untagged_memory_drops_tags(mode: str) -> None:
    body = f"""
    li tp, {UNTAGGED_BASE:#x}
    csetaddr ca1, ca5, tp
    csc ca4, 8(ca1)
    clc ca0, 8(ca1)
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (0, DATA, DATA_META)
    assert result.word(UNTAGGED_BASE + 8) == DATA
    assert result.word(UNTAGGED_BASE + 12) == DATA_META
