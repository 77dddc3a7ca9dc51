"""Compressed instructions (isa.md §6): the capability forms C.CLC, C.CSC, C.CLCSP, C.CSCSP,
C.CIncAddr16CSP, C.CIncAddr4CSPN, C.CJR, C.CJALR, C.CJAL, C.J, the capability-authorised
C.LW/C.SW/C.LWSP/C.SWSP, and the integer forms that destroy capabilities."""

from __future__ import annotations

import pytest

from .harness import (
    BOUNDS,
    DATA,
    DATA_META,
    EXE_ROOT,
    MCAUSE_LOAD_MISALIGNED,
    SEAL,
    STACK_TOP,
    TAG,
    expect_cheri,
    expect_done,
    expect_trap,
    mtval,
    run,
)

STACK_META = 0x7E00_0000 | 4 << 18 | 0x000 << 9 | 0x100  # [top - 0x1000, top): e 4 (§2.8)


def sentry(otype: int) -> int:
    return EXE_ROOT | otype << 22


def test_stack_capability_of_the_prologue(mode: str) -> None:
    result = expect_done(run(mode, ""))
    assert result.triple("csp") == (1, STACK_TOP, STACK_META)


def test_c_clc_c_csc(mode: str) -> None:
    body = """
    cmove cs0, ca4
    c.csc ca4, 248(cs0)
    c.clc ca0, 248(cs0)
    c.csc cs0, 0(ca0)
    c.clc cs1, 0(ca4)
    """
    result = expect_done(run(mode, body))
    assert result.mem_triple(DATA + 248) == (1, DATA, DATA_META)
    assert result.triple("ca0") == (1, DATA, DATA_META)
    assert result.triple("cs1") == (1, DATA, DATA_META)


@pytest.mark.parametrize(("prep", "access", "check"), [
    ("ccleartag cs1, ca4", "c.clc ca0, 0(cs1)", (TAG, "cs1")),
    ("ccleartag cs1, ca4", "c.csc ca0, 0(cs1)", (TAG, "cs1")),
    ("li tp, 9\n csetaddr ct0, ca3, tp\n cseal ca5, ca4, ct0", "c.clc ca0, 8(ca5)",
     (SEAL, "ca5")),
    ("cincoffset cs0, ca4, 0x80", "c.csc ca0, 128(cs0)", (BOUNDS, "cs0")),
    ("ccleartag ca1, ca4", "c.lw a0, 0(a1)", (TAG, "ca1")),          # §7.2: mtval 0x162
    ("cincoffset ca1, ca4, 0xfe", "c.sw a0, 0(a1)", (BOUNDS, "ca1")),
])
def test_compressed_access_faults(mode: str, prep: str, access: str,
                                  check: tuple[int, str]) -> None:
    """Faults name the full register number of the expanded instruction (§6, §7.2)."""
    body = f"{prep}\nfault:\n {access}\n"
    expect_cheri(run(mode, body), *check)


def test_c_clc_misaligned_base(mode: str) -> None:
    body = "cincoffset cs0, ca4, 4\nfault:\n c.clc ca0, 0(cs0)\n"
    expect_trap(run(mode, body), MCAUSE_LOAD_MISALIGNED, DATA + 4, "fault")


def test_stack_forms(mode: str) -> None:
    """C.CIncAddr16CSP, C.CSCSP/C.CLCSP (offsets to 504), C.CIncAddr4CSPN (§6 immediates)."""
    body = """
    c.cincaddr16csp csp, -512
    cmove ct2, csp
    c.cscsp ca4, 504(csp)
    c.clcsp cra, 504(csp)
    c.cscsp ca3, 8(csp)
    c.clcsp ca0, 8(csp)
    c.cincaddr4cspn ca1, csp, 1020
    c.cincaddr4cspn ca2, csp, 4
    c.cincaddr16csp csp, 496
    """
    result = expect_done(run(mode, body))
    low = STACK_TOP - 512
    assert result.triple("ct2") == (1, low, STACK_META)
    assert result.mem_triple(STACK_TOP - 8) == (1, DATA, DATA_META)
    assert result.triple("cra") == (1, DATA, DATA_META)
    assert result.triple("ca0") == result.triple("ca3")
    assert result.triple("ca1") == (1, low + 1020, STACK_META)
    assert result.triple("ca2") == (1, low + 4, STACK_META)
    assert result.triple("csp") == (1, low + 496, STACK_META)


def test_stack_forms_faults_and_representability(mode: str) -> None:
    # csp sits at its top: one more granule is out of bounds
    expect_cheri(run(mode, "fault:\n c.clcsp ca0, 0(csp)\n"), BOUNDS, "csp")
    assert mtval(BOUNDS, "csp") == 0x41
    body = """
    cincoffset csp, csp, -16
    csetbounds csp, csp, 16
    c.cincaddr16csp csp, -16        # below a 16-byte object: not representable (§2.7)
    """
    result = expect_done(run(mode, body))
    assert result.triple("csp") == (0, STACK_TOP - 32, 0x7E00_0000 | 0x000 << 9 | 0x1F0)


def test_compressed_jumps(mode: str) -> None:
    """C.CJALR and C.CJAL link cra with a backward sentry at PC + 2; C.CJR cra returns; C.J
    does not link (§6, §4.4)."""
    body = """
    cllc ca0, func
call1:
    c.cjalr ca0
    cmove cs1, cs0
call2:
    c.cjal func
    c.j over
    li a1, 1
over:
    ccleartag ca2, ca4
    c.beqz a3, 1f                   # a3 = 0: taken
    li a1, 2
1:  c.bnez a2, 2f                   # compares the address only: taken
    li a1, 3
2:  j done
func:
    cmove cs0, cra
    c.cjr cra
"""
    result = expect_done(run(mode, body))
    assert result.triple("cs1") == (1, result.sym("call1") + 2, sentry(4))
    assert result.triple("cs0") == (1, result.sym("call2") + 2, sentry(4))
    assert result.triple("a1") == (0, 0, 0)


@pytest.mark.parametrize(("prep", "jump", "reg"), [
    ("cllc cra, func", "c.cjr cra", "cra"),                                    # unsealed cra
    ("cllc ca0, func\n li tp, 2\n csetaddr ct1, ca3, tp\n cseal ca0, ca0, ct1",
     "c.cjr ca0", "ca0"),                                                       # tail call
    ("cllc ca0, func\n li tp, 5\n csetaddr ct1, ca3, tp\n cseal ca0, ca0, ct1",
     "c.cjalr ca0", "ca0"),                                                     # call of 5
])
def test_compressed_jump_faults(mode: str, prep: str, jump: str, reg: str) -> None:
    body = f"{prep}\nfault:\n {jump}\n j done\nfunc:\n nop\n"
    expect_cheri(run(mode, body), SEAL, reg)


@pytest.mark.parametrize(("instruction", "value"), [
    ("c.mv a1, a4", DATA), ("c.add a1, a2", DATA), ("c.addi a1, 4", DATA + 4),
    ("c.li a1, 5", 5), ("c.lui a1, 1", 0x1000), ("c.slli a1, 1", (DATA << 1) % (1 << 32)),
    ("c.srli a1, 4", DATA >> 4), ("c.srai a1, 4", 0xF8002000), ("c.andi a1, -1", DATA),
    ("c.sub a1, a2", DATA), ("c.xor a1, a2", DATA), ("c.or a1, a2", DATA),
    ("c.and a1, a1", DATA),
])
def test_integer_forms_clear_tags(mode: str, instruction: str, value: int) -> None:
    """C.MV and the other integer forms write NULL-derived values (§6, §1.2)."""
    body = f"cmove ca1, ca4\nli a2, 0\n{instruction}\n"
    result = expect_done(run(mode, body))
    assert result.triple("ca1") == (0, value, 0)


def test_hint_forms_write_nothing(mode: str) -> None:
    """C.ADDI with a zero immediate and C.NOP are RVC HINTs: no register changes, so the
    capability survives (RISC-V unprivileged spec, as the Sail model executes them)."""
    body = "cmove ca1, ca4\n.half 0x0581\n c.nop\n"   # c.addi a1, 0
    result = expect_done(run(mode, body))
    assert result.triple("ca1") == (1, DATA, DATA_META)


def test_gas_compresses_stack_arithmetic(mode: str) -> None:
    """With C, gas turns `addi sp, sp, N` into C.ADDI16SP when N does not fit C.ADDI's six
    bits, and `addi rd', sp, N` into C.ADDI4SPN: CHERIoT executes both as CIncAddrImm (§6).
    `addi sp, sp, -16` becomes C.ADDI and 32-bit ADDI is integer: both destroy csp (§5.20)."""
    body = """
l1: addi sp, sp, -64
    cmove ca1, csp
l2: addi a0, sp, 8
    .option push
    .option norvc
    addi a2, sp, 8
    .option pop
l3: addi sp, sp, -16
    """
    result = expect_done(run(mode, body))
    half = {label: result.word(result.sym(label), 2) for label in ("l1", "l2", "l3")}
    assert half["l1"] & 0xE003 == 0x6001 and (half["l1"] >> 7) & 31 == 2   # C.ADDI16SP
    assert half["l2"] & 0xE003 == 0x0000                                    # C.ADDI4SPN
    assert half["l3"] & 0xE003 == 0x0001 and (half["l3"] >> 7) & 31 == 2   # C.ADDI sp
    assert result.triple("ca1") == (1, STACK_TOP - 64, STACK_META)
    assert result.triple("ca0") == (1, STACK_TOP - 56, STACK_META)
    assert result.triple("a2") == (0, STACK_TOP - 56, 0)
    assert result.triple("csp") == (0, STACK_TOP - 80, 0)


def test_compressed_loads_and_stores(mode: str) -> None:
    body = """
    li a0, 0x12345678
    c.sw a0, 12(a4)
    c.lw a1, 12(a4)
    c.cincaddr16csp csp, -16
    c.swsp a0, 4(sp)
    c.lwsp a2, 4(sp)
    """
    result = expect_done(run(mode, body))
    assert result.word(DATA + 12) == 0x12345678
    assert result.triple("a1") == (0, 0x12345678, 0)
    assert result.triple("a2") == (0, 0x12345678, 0)
    assert result.word(STACK_TOP - 12) == 0x12345678
