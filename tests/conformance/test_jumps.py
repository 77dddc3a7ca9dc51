"""Jumps, sentries and interrupt posture: CJAL, CJALR, branches (isa.md §4.4, §5.16-§5.18), the
scenarios of §9.8, and the deferred bounds check at fetch (§7.4)."""

from __future__ import annotations

import pytest

from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.core.hart import IRQ_MSI

from .harness import (
    BOUNDS,
    EXE_ROOT,
    EXECUTE,
    MCAUSE_CHERI,
    PCC,
    SEAL,
    TAG,
    expect_cheri,
    expect_done,
    expect_handled,
    expect_trap,
    mtval,
    run,
)

MIE = 0x8
MSTATUS_M = 0x1800  # MPP = M always reads back (§7.7)


def sentry(otype: int) -> int:
    """Executable root metadata sealed with ``otype`` (executable format keeps 1..7, §4.1)."""
    return EXE_ROOT | otype << 22


def sealed_func(otype: int, reg: str = "ca0", label: str = "func") -> str:
    """``reg`` = a capability for ``label`` derived from PCC, sealed with ``otype`` (0: not)."""
    text = f"    cllc {reg}, {label}\n"
    if otype:
        text += f"    li tp, {otype}\n    csetaddr ct1, ca3, tp\n    cseal {reg}, {reg}, ct1\n"
    return text


# A function that records mstatus on entry (a1), its return capability (cs0) and PCC (cs1).
FUNC = """
    j done
.p2align 2
func:
    csrr a1, mstatus
    cmove cs0, cra
    auipcc cs1, 0
    cret
"""


@pytest.mark.parametrize(("mie", "otype", "inside", "after"), [
    (1, 2, 0, 1),   # §9.8 rows 1-2: disabling sentry, return sentry 5 re-enables
    (0, 3, 1, 0),   # enabling sentry from MIE 0; return sentry 4 disables again
    (1, 1, 1, 1),   # inheriting sentry
    (0, 1, 0, 0),
    (1, 0, 1, 1),   # unsealed target: MIE unchanged
])
def test_call_and_return_posture(mode: str, mie: int, otype: int, inside: int,
                                 after: int) -> None:
    body = ("    csrsi mstatus, 8\n" if mie else "") + sealed_func(otype) + """
call:
    cjalr cra, 0(ca0)
back:
    csrr a2, mstatus
""" + FUNC
    result = expect_done(run(mode, body))
    back, func = result.sym("back"), result.sym("func")
    assert result.triple("a1") == (0, MSTATUS_M | inside * MIE, 0)
    assert result.triple("a2") == (0, MSTATUS_M | after * MIE, 0)
    # the link is PCC at the next instruction, sealed 5 if MIE was 1 at the call, else 4
    assert result.triple("cs0") == (1, back, sentry(5 if mie else 4))
    # PCC inside is the target unsealed (§5.17)
    assert result.triple("cs1") == (1, func + 8, EXE_ROOT)


def test_other_link_register_is_unsealed(mode: str) -> None:
    """§9.8 last row: cjalr ct0 links an unsealed capability; MIE unchanged."""
    body = "    csrsi mstatus, 8\n" + sealed_func(0) + """
    cjalr ct0, 0(ca0)
back:
    csrr a2, mstatus
    j done
func:
    cmove cs0, ct0
    cjr ct0
"""
    result = expect_done(run(mode, body))
    assert result.triple("cs0") == (1, result.sym("back"), EXE_ROOT)
    assert result.x("a2") == MSTATUS_M | MIE


@pytest.mark.parametrize(("setup", "jump", "cause", "reg"), [
    # §9.8 rows 3-8
    ("cllc cra, func", "cjalr cnull, 0(cra)", SEAL, "cra"),        # cret of an unsealed cra
    (sealed_func(2), "cjalr cnull, 0(ca0)", SEAL, "ca0"),          # tail call: 0/1 only
    (sealed_func(3), "cjalr ct0, 0(ca0)", SEAL, "ca0"),            # non-cra link: 0/1 only
    (sealed_func(1), "cjalr cra, 4(ca0)", SEAL, "ca0"),            # sealed with offset
    ("cmove ca0, ca4", "cjalr cra, 0(ca0)", EXECUTE, "ca0"),       # memory cap, no EX
    ("cllc ca0, func\n ccleartag ca0, ca0", "cjalr cra, 0(ca0)", TAG, "ca0"),
    # more of the §4.4 table
    (sealed_func(4), "cjalr cra, 0(ca0)", SEAL, "ca0"),            # calls take 0-3
    (sealed_func(5), "cjalr cnull, 0(ca0)", SEAL, "ca0"),          # return sentry not in cra
    (sealed_func(1, "cra"), "cjalr cnull, 0(cra)", SEAL, "cra"),   # returns take 4/5 only
    (sealed_func(6), "cjalr cra, 0(ca0)", SEAL, "ca0"),            # software otype
    # check order (§7.3): tag first, then seal, then EX
    (sealed_func(2) + " ccleartag ca0, ca0", "cjalr cnull, 0(ca0)", TAG, "ca0"),
    ("li tp, 9\n csetaddr ct1, ca3, tp\n cseal ca0, ca4, ct1", "cjalr cra, 0(ca0)", SEAL,
     "ca0"),
    ("", "cjalr cra, 0(cnull)", TAG, "cnull"),
], ids=["cret-unsealed", "tail-2", "link-ct0-3", "sealed-offset", "no-EX", "untagged",
        "call-4", "cjr-5", "cret-1", "call-6", "tag-before-seal", "seal-before-EX", "cnull"])
def test_cjalr_faults(mode: str, setup: str, jump: str, cause: int, reg: str) -> None:
    body = "    csrsi mstatus, 8\n" + setup + f"""
fault:
    {jump}
""" + FUNC
    result = expect_cheri(run(mode, body), cause, reg)
    # nothing was written: no link, MIE untouched
    assert result.hart.mstatus & MIE
    if "cra" not in setup:
        assert result.triple("cra") == (0, 0, 0)
    assert result.triple("ct0") == (0, 0, 0)


def test_section_9_8_mtvals(mode: str) -> None:
    """The literal mtval values of §9.8: 0x23, 0x143, 0x151, 0x142."""
    assert (mtval(SEAL, "cra"), mtval(SEAL, "ca0"), mtval(EXECUTE, "ca0"),
            mtval(TAG, "ca0")) == (0x23, 0x143, 0x151, 0x142)
    body = "cmove ca0, ca4\nfault:\n cjalr cra, 0(ca0)\n"
    expect_trap(run(mode, body), MCAUSE_CHERI, 0x151, "fault")


@pytest.mark.parametrize(("link", "tail"), [("cnull", 0), ("cnull", 1), ("ct0", 1),
                                            ("cra", 1), ("cra", 2), ("cra", 3)])
def test_cjalr_allowed_combinations(mode: str, link: str, tail: int) -> None:
    body = sealed_func(tail) + f"""
    cjalr {link}, 0(ca0)
    j done
func:
    auipcc cs1, 0
"""
    result = expect_done(run(mode, body))
    assert result.triple("cs1") == (1, result.sym("func"), EXE_ROOT)


def test_cjalr_offset_and_bit0(mode: str) -> None:
    """Unsealed targets take an offset; bit 0 of the target is cleared (§5.17)."""
    body = """
    cllc ca0, func
    cincoffset ca0, ca0, -2
    cjalr ct0, 3(ca0)               # (func - 2 + 3) & ~1 = func
    j done
func:
    auipcc cs1, 0
"""
    result = expect_done(run(mode, body))
    # PCC is the target capability (address func - 2 decodes the same bounds)
    assert result.triple("cs1") == (1, result.sym("func"), EXE_ROOT)


def test_cjalr_reads_source_before_link(mode: str) -> None:
    """cjalr ct0, 0(ct0): the jump uses the old ct0, then ct0 receives the link (§5.2)."""
    body = """
    cllc ct0, func
here:
    cjalr ct0, 0(ct0)
    j done
func:
    cmove cs0, ct0
"""
    result = expect_done(run(mode, body))
    assert result.triple("cs0") == (1, result.sym("here") + 4, EXE_ROOT)


def test_cjal_links(mode: str) -> None:
    """CJAL: cra gets a backward sentry (4 with MIE 0, 5 with MIE 1), other registers an
    unsealed link, cnull nothing; MIE unchanged (§5.16)."""
    body = """
l1: cjal cra, t1
t1: cmove cs0, cra
    csrsi mstatus, 8
l2: cjal cra, t2
t2: cmove cs1, cra
l3: cjal ct0, t3
t3: j t4
    li a0, 1
t4: csrr a1, mstatus
"""
    result = expect_done(run(mode, body))
    assert result.triple("cs0") == (1, result.sym("l1") + 4, sentry(4))
    assert result.triple("cs1") == (1, result.sym("l2") + 4, sentry(5))
    assert result.triple("ct0") == (1, result.sym("l3") + 4, EXE_ROOT)
    assert result.triple("a0") == (0, 0, 0)   # skipped by j
    assert result.x("a1") == MSTATUS_M | MIE


# --- PCC bounds are checked at fetch, not at the jump (§5.16, §5.17, §7.4) ---------------------

BOUNDED = """
    cllc ct0, region
    li t1, 64
    csetbounds ct0, ct0, t1
"""


def region_meta(region: int) -> int:
    return 0x5E00_0000 | ((region + 64) & 0x1FF) << 9 | (region & 0x1FF)  # §2.8, e 0


def test_fetch_past_pcc_top(mode: str) -> None:
    """Falling off the end of a 64-byte PCC faults at the first out-of-bounds instruction."""
    body = BOUNDED + """
    cjalr cra, ct0
.p2align 6
region:
    .rept 32
    c.nop
    .endr
fault:
    nop
"""
    result = expect_trap(run(mode, body), MCAUSE_CHERI, 0x401, "fault")
    assert result.sym("fault") == result.sym("region") + 64


def test_fetch_of_straddling_instruction(mode: str) -> None:
    """A 32-bit instruction whose second parcel lies beyond top faults (§7.4)."""
    body = BOUNDED + """
    cjalr cra, ct0
.p2align 6
region:
    .rept 31
    c.nop
    .endr
fault:
    .option push
    .option norvc
    addi a0, a0, 1
    .option pop
"""
    expect_trap(run(mode, body), MCAUSE_CHERI, 0x401, "fault")


def test_jump_target_out_of_bounds_taken(mode: str) -> None:
    """cjalr to an address past top succeeds; the fetch there traps and MEPCC is PCC with the
    tag cleared and the target address (§5.17, §7.4, §7.5)."""
    body = BOUNDED + """
    cincoffset ct0, ct0, 64
    cjalr cra, ct0
.p2align 6
region:
    .rept 32
    c.nop
    .endr
fault:
    nop
"""
    result = expect_handled(run(mode, body, catch=Catch.NONE))
    target, region = result.sym("fault"), result.sym("region")
    assert result.triple("cs0") == (0, target, region_meta(region))
    assert (result.x("s1"), result.x("t2")) == (MCAUSE_CHERI, mtval(BOUNDS, PCC))
    assert result.hart.mcause == MCAUSE_CHERI and result.hart.mtval == 0x401


def test_branch_and_cjal_leave_bounds_unchecked(mode: str) -> None:
    """Branches and CJAL only move the address; the target is checked at fetch (§5.18)."""
    body = BOUNDED + """
    cjalr cra, ct0
.p2align 6
region:
    beqz zero, fault
    nop
.p2align 6
fault:
    nop
"""
    expect_trap(run(mode, body), MCAUSE_CHERI, 0x401, "fault")
    body2 = BOUNDED + """
    cjalr cra, ct0
.p2align 6
region:
    j fault
.p2align 6
fault:
    nop
"""
    expect_trap(run(mode, body2), MCAUSE_CHERI, 0x401, "fault")


def test_branches_compare_addresses(mode: str) -> None:
    """Conditional branches compare addresses only: tags and metadata do not matter (§5.18)."""
    body = """
    ccleartag ca0, ca4
    beq a0, a4, 1f
    li s0, 1
1:  li a1, 0x80020000
    bne a1, a4, 2f
    li s1, 1
2:
"""
    result = expect_done(run(mode, body))
    assert (result.x("s0"), result.x("s1")) == (0, 1)


# --- a pending interrupt becomes deliverable through a sentry (§4.4, §7.6) ---------------------

ENABLING_CALL = """
    li tp, 8
    csrw mie, tp                    # MSIE on, MIE still 0: the interrupt waits
    cllc ca0, func
    cjalr cra, 0(ca0)               # first call unsealed: MIE stays 0
    li tp, 3
    csetaddr ct1, ca3, tp
    cseal ca0, ca0, ct1
    cjalr cra, 0(ca0)               # enabling sentry: MIE 1 at func
    j done
func:
    addi a1, a1, 1
    cret                            # return sentry 4: MIE 0 again
"""

ENABLING_RETURN = """
    csrsi mstatus, 8                # MIE 1, nothing enabled in mie yet
    cllc ca0, func
    li tp, 2
    csetaddr ct1, ca3, tp
    cseal ca0, ca0, ct1             # disabling sentry
loop:
    cjalr cra, 0(ca0)
back:
    addi a1, a1, 1
    li a2, 2
    bne a1, a2, loop
    j done
func:
    beqz a1, 1f                     # on the second call only:
    li tp, 8
    csrw mie, tp                    # MSIE on while MIE is 0
1:  cret                            # return sentry 5: MIE 1 at back
"""


@pytest.mark.parametrize(("body", "at", "count"), [
    (ENABLING_CALL, "func", 1), (ENABLING_RETURN, "back", 1)], ids=["call-3", "return-5"])
def test_sentry_enabling_pending_interrupt(mode: str, body: str, at: str, count: int) -> None:
    """Sail checks for interrupts before every instruction, so an interrupt pending when a
    sentry sets MIE is taken before the first instruction at the target (§10.2)."""
    result = run(mode, body, catch=Catch.NONE,
                 setup=lambda engine: engine.set_irq_line(IRQ_MSI, True))
    expect_handled(result)
    assert result.triple("cs0") == (1, result.sym(at), EXE_ROOT)
    assert (result.x("s1"), result.x("t1")) == (0x8000_0003, MSTATUS_M | 0x80)
    assert result.x("a1") == count
