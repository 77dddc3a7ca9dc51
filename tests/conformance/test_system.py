"""Machine-mode state: CSpecialRW and SCR legalisation (isa.md §5.19, §1.4), CSRs and the SR
allow-list (§1.5), trap entry and MRET (§7.5), interrupts (§7.6) and reset state (§7.7)."""

from __future__ import annotations

import pytest

from cheriot_gdbserver.core.engine import Catch, Engine
from cheriot_gdbserver.core.hart import IRQ_MEI, IRQ_MSI, IRQ_MTI

from .harness import (
    DATA,
    DATA_META,
    EXE_ROOT,
    MCAUSE_CHERI,
    MCAUSE_ECALL,
    MCAUSE_ILLEGAL,
    MEM_ROOT,
    PCC,
    SEAL_ROOT,
    SYSREG,
    TAG,
    Result,
    expect_cheri,
    expect_done,
    expect_handled,
    expect_trap,
    mtval,
    run,
)

MSTATUS_M = 0x1800


def illegal(result: Result, at: str = "fault") -> Result:
    """Illegal instruction; mtval holds the instruction bits (the engine's documented platform
    choice, as CHERIoT-Ibex; isa.md §7.2 leaves it to the platform)."""
    word = result.word(result.sym(at))
    bits = word if word & 3 == 3 else word & 0xFFFF
    return expect_trap(result, MCAUSE_ILLEGAL, bits, at)


# --- CSpecialRW --------------------------------------------------------------------------------

def test_cspecialrw_swaps(mode: str) -> None:
    body = """
    cspecialrw ca0, mscratchc, ca4  # old value out, new value in
    cspecialr ca1, mscratchc
    cspecialrw ca2, mtdc, ca2       # writing NULL needs a register holding NULL
    cspecialr cs0, mtdc
    cmove cs1, ca4
    cspecialrw cs1, mtdc, cs1       # source read before the destination is written
    cspecialr ct2, mtdc
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == (1, 0, SEAL_ROOT)
    assert result.triple("ca1") == (1, DATA, DATA_META)
    assert result.triple("ca2") == (1, 0, MEM_ROOT)
    assert result.triple("cs0") == (0, 0, 0)
    assert result.triple("cs1") == (0, 0, 0)
    assert result.triple("ct2") == (1, DATA, DATA_META)


@pytest.mark.parametrize(("scr", "prep", "offset", "tag"), [
    ("mtcc", "", 0, 1), ("mtcc", "", 2, 0), ("mtcc", "", 1, 0), ("mtcc", "", 3, 0),
    ("mepcc", "", 0, 1), ("mepcc", "", 2, 1), ("mepcc", "", 1, 0), ("mepcc", "", 3, 0),
    ("mtcc", "li tp, 1\n csetaddr ct1, ca3, tp\n cseal ca0, ca0, ct1", 0, 0),   # sealed
    ("mepcc", "li tp, 1\n csetaddr ct1, ca3, tp\n cseal ca0, ca0, ct1", 0, 0),
    ("mtcc", "li tp, 0xeff\n candperm ca0, ca0, tp", 0, 0),                   # no EX
    ("mepcc", "li tp, 0xeff\n candperm ca0, ca0, tp", 0, 0),
])
def test_code_scr_legalisation(mode: str, scr: str, prep: str, offset: int, tag: int) -> None:
    """MTCC forces address[1:0] = 0, MEPCC address[0] = 0; tag cleared if those bits were set,
    or the value is sealed or lacks EX (§1.4, §5.19)."""
    body = f"""
    cllc ca0, target
    {prep}
    {f"cincoffset ca1, ca0, {offset}" if offset else "cmove ca1, ca0"}
    cspecialw {scr}, ca1
    cspecialr ca2, {scr}
    j done
.p2align 3
target:
    nop
    """
    result = expect_done(run(mode, body))
    low = 3 if scr == "mtcc" else 1
    value = result.cap("ca1")
    assert value.tag
    assert result.triple("ca2") == (tag, value.address & ~low, value.meta)


def test_mtdc_and_mscratchc_store_unchanged(mode: str) -> None:
    body = """
    li tp, 9
    csetaddr ct1, ca3, tp
    cseal ca0, ca4, ct1
    cincoffset ca1, ca4, 3
    cspecialw mtdc, ca0
    cspecialw mscratchc, ca1
    cspecialr ca2, mtdc
    cspecialr cs0, mscratchc
    """
    result = expect_done(run(mode, body))
    assert result.triple("ca2") == result.triple("ca0")
    assert result.triple("cs0") == (1, DATA + 3, DATA_META)


@pytest.mark.parametrize("scr", [0, 1, 5, 24, 27])
def test_cspecialrw_illegal_numbers(mode: str, scr: int) -> None:
    illegal(run(mode, f"fault:\n cspecialrw ca0, {scr}, cnull\n"))


# Code after this runs with PCC = the executable root without SR (0xF7F, §9.5).
NO_SR = """
    cllc ct0, nosr
    li tp, 0xf7f
    candperm ct0, ct0, tp
    cjr ct0
.p2align 2
nosr:
"""


@pytest.mark.parametrize(("scr", "value"), [
    ("mtcc", 0x798), ("mtdc", 0x7B8), ("mscratchc", 0x7D8), ("mepcc", 0x7F8)])
@pytest.mark.parametrize("access", ["cspecialr ca0, {}", "cspecialw {}, ca4"])
def test_cspecialrw_needs_sr(mode: str, scr: str, value: int, access: str) -> None:
    """Without SR: CHERI(0x18) naming the SCR, mtval = 0x400 | scr << 5 | 0x18 (§5.19, §7.2)."""
    result = run(mode, NO_SR + "fault:\n " + access.format(scr) + "\n")
    expect_trap(result, MCAUSE_CHERI, value, "fault")


def test_illegal_scr_checked_before_sr(mode: str) -> None:
    illegal(run(mode, NO_SR + "fault:\n cspecialrw ca0, 3, cnull\n"))


# --- CSRs --------------------------------------------------------------------------------------

def test_csr_values_with_sr(mode: str) -> None:
    body = """
    cllc ct0, mepc_target
    cspecialw mepcc, ct0
    csrr a0, mtvec                  # MTCC.address
    csrr a1, mepc                   # MEPCC.address
    csrr a2, 0xbc0                  # mccsr: reads 3
    li tp, 0
    csrw 0xbc0, tp                  # writes have no effect
    csrr a3, 0xbc0
    li tp, 0x80020017
    csrw 0xbc1, tp                  # mshwm: rounded down to 16
    csrr s0, 0xbc1
    li tp, 0x8002002f
    csrw 0xbc2, tp                  # mshwmb
    csrr s1, 0xbc2
    csrsi mstatus, 8
    csrr t2, mstatus
    j done
mepc_target:
    """
    result = expect_done(run(mode, body))
    assert result.x("a0") == result.sym("trap_handler")
    assert result.x("a1") == result.sym("mepc_target")
    assert (result.x("a2"), result.x("a3")) == (3, 3)
    assert (result.x("s0"), result.x("s1")) == (0x80020010, 0x80020020)
    assert result.x("t2") == MSTATUS_M | 0x8


@pytest.mark.parametrize("instruction", [
    "csrw mtvec, a0", "csrw mepc, a0", "csrs mtvec, a0", "csrrwi a0, mepc, 0",
    "csrr a0, 0x8c0", "csrr a0, 0x9c0",          # uccsr/sccsr do not exist (§1.5)
    "csrw cycle, a0", "csrw mhartid, a0",        # read-only numbers
])
def test_illegal_csr_accesses(mode: str, instruction: str) -> None:
    """Writes to mtvec/mepc are illegal (the recommendation of §1.5)."""
    illegal(run(mode, f"li a0, 1\nfault:\n {instruction}\n"))


@pytest.mark.parametrize("instruction", [
    "csrr a0, cycle", "csrr a0, time", "csrr a0, instret", "csrr a0, cycleh",
    "csrr a0, timeh", "csrr a0, instreth", "csrr a0, mcycle", "csrr a0, minstret",
    "csrr a0, mcycleh", "csrr a0, minstreth", "csrrs a0, mcycle, zero", "csrrsi a0, mcycle, 0",
])
def test_csr_reads_allowed_without_sr(mode: str, instruction: str) -> None:
    expect_done(run(mode, NO_SR + instruction + "\n"))


@pytest.mark.parametrize("instruction", [
    "csrr a0, mstatus", "csrr a0, 0xbc1", "csrr a0, 0xbc2", "csrr a0, 0xbc0", "csrr a0, mepc",
    "csrr a0, mtvec", "csrr a0, mscratch", "csrw mcycle, zero", "csrrs a0, mcycle, a1",
    "csrrsi a0, mcycle, 1", "csrsi mstatus, 8", "mret",
])
def test_sr_required(mode: str, instruction: str) -> None:
    """Everything else needs SR: CHERI(0x18, PCC), mtval 0x418 (§1.5, §7.5)."""
    result = run(mode, NO_SR + "li a1, 0\nfault:\n " + instruction + "\n")
    expect_trap(result, MCAUSE_CHERI, 0x418, "fault")
    assert mtval(SYSREG, PCC) == 0x418


@pytest.mark.parametrize("instruction", ["csrr a0, 0x8c0", "csrw cycle, a0", "csrr a0, 0x7c0"])
def test_csr_legality_checked_before_sr(mode: str, instruction: str) -> None:
    illegal(run(mode, NO_SR + "fault:\n " + instruction + "\n"))


# --- trap entry and MRET -----------------------------------------------------------------------

def test_trap_entry(mode: str) -> None:
    """mcause, mtval, MPIE <- MIE, MIE <- 0, MEPCC = PCC at the faulting instruction (not
    sealed), PCC <- MTCC (§7.5). The default handler collects them."""
    body = "csrsi mstatus, 8\nfault:\n clw a0, 0(ca0)\n"
    result = expect_handled(run(mode, body, catch=Catch.NONE))
    fault = result.sym("fault")
    assert result.triple("cs0") == (1, fault, EXE_ROOT)
    assert (result.x("s1"), result.x("t2"), result.x("t1")) == (MCAUSE_CHERI, 0x142,
                                                               MSTATUS_M | 0x80)
    assert (result.hart.mcause, result.hart.mtval) == (MCAUSE_CHERI, 0x142)
    assert result.scr(31).address == fault


def test_trap_from_bounded_pcc(mode: str) -> None:
    """MEPCC is the faulting PCC, with its own bounds; the handler runs on MTCC."""
    body = """
    cllc ct0, region
    li t1, 64
    csetbounds ct0, ct0, t1
    cjalr cra, ct0
.p2align 6
region:
    nop
fault:
    ecall
    """
    result = expect_handled(run(mode, body, catch=Catch.NONE))
    region = result.sym("region")
    meta = 0x5E00_0000 | ((region + 64) & 0x1FF) << 9 | (region & 0x1FF)
    assert result.triple("cs0") == (1, result.sym("fault"), meta)
    assert (result.x("s1"), result.x("t2")) == (MCAUSE_ECALL, 0)


MRET_HANDLER = """
.p2align 2
trap_handler:
    cspecialr ct2, mepcc
    csrr s1, mstatus
    cincoffset ct2, ct2, 4
    cspecialw mepcc, ct2
    mret
trap_done:
    ebreak
"""


@pytest.mark.parametrize(("mie", "inside", "after"), [(1, 0x1880, 0x1888), (0, 0x1800, 0x1880)])
def test_mret_returns(mode: str, mie: int, inside: int, after: int) -> None:
    """MRET: PCC <- MEPCC, MIE <- MPIE, MPIE <- 1 (§7.5)."""
    body = ("csrsi mstatus, 8\n" if mie else "") + """
fault:
    ecall
    csrr a1, mstatus
    auipcc ca2, 0
    """
    result = expect_done(run(mode, body, catch=Catch.NONE, handler=MRET_HANDLER))
    fault = result.sym("fault")
    assert result.triple("ct2") == (1, fault + 4, EXE_ROOT)
    assert (result.x("s1"), result.x("a1")) == (inside, after)
    assert result.triple("ca2") == (1, fault + 8, EXE_ROOT)
    assert (result.hart.mcause, result.hart.mtval) == (MCAUSE_ECALL, 0)


def test_mret_installs_mepcc(mode: str) -> None:
    """MRET without a trap: PCC becomes MEPCC, bounds included."""
    body = """
    cllc ct0, region
    li t1, 64
    csetbounds ct0, ct0, t1
    cspecialw mepcc, ct0
    mret
    j done
.p2align 6
region:
    auipcc ca0, 0
    """
    result = expect_done(run(mode, body))
    region = result.sym("region")
    meta = 0x5E00_0000 | ((region + 64) & 0x1FF) << 9 | (region & 0x1FF)
    assert result.triple("ca0") == (1, region, meta)


def test_mret_untagged_mepcc(mode: str) -> None:
    """An untagged MEPCC gives a tag violation at the next fetch, against PCC (§7.5)."""
    body = """
    cllc ct0, fault
    ccleartag ct0, ct0
    cspecialw mepcc, ct0
    mret
    j done
fault:
    nop
    """
    expect_cheri(run(mode, body), TAG, PCC)


def test_interrupt_entry(mode: str) -> None:
    """A pending enabled interrupt is taken before the next instruction once MIE is set:
    mcause has bit 31, mtval 0, MEPCC = the next instruction (§7.5, §7.6)."""
    body = """
    li tp, 8
    csrw mie, tp
    csrsi mstatus, 8
next:
    nop
    """
    result = run(mode, body, setup=lambda engine: engine.set_irq_line(IRQ_MSI, True))
    expect_handled(result)
    assert result.triple("cs0") == (1, result.sym("next"), EXE_ROOT)
    assert (result.x("s1"), result.x("t2"), result.x("t1")) == (0x8000_0003, 0,
                                                               MSTATUS_M | 0x80)


@pytest.mark.parametrize(("lines", "code"), [
    ((IRQ_MTI, IRQ_MSI), 3), ((IRQ_MTI, IRQ_MSI, IRQ_MEI), 11), ((IRQ_MTI,), 7)])
def test_interrupt_priority(mode: str, lines: tuple[int, ...], code: int) -> None:
    """Highest priority first: external 11, then software 3, then timer 7 (§7.6)."""
    def raise_lines(engine: Engine) -> None:
        for line in lines:
            engine.set_irq_line(line, True)

    body = "li tp, 0x888\ncsrw mie, tp\ncsrsi mstatus, 8\nnop\n"
    result = expect_handled(run(mode, body, setup=raise_lines))
    assert result.x("s1") == 0x8000_0000 | code


# --- reset state (§7.7) ------------------------------------------------------------------------

def test_reset_state(mode: str) -> None:
    body = """
here:
    auipcc ca0, 0
    cspecialr ca1, mtcc
    cspecialr ca2, mtdc
    cspecialr ca3, mscratchc
    cspecialr ca4, mepcc
    csrr a5, mstatus
    csrr s0, mie
    csrr s1, mip
    csrr t0, mcause
    csrr t1, mtval
    csrr t2, 0xbc1
    csrr tp, 0xbc2
    """
    result = expect_done(run(mode, body, bare=True))
    assert result.triple("ca0") == (1, result.sym("here"), EXE_ROOT)
    assert result.triple("ca1") == (1, 0, EXE_ROOT)
    assert result.triple("ca2") == (1, 0, MEM_ROOT)
    assert result.triple("ca3") == (1, 0, SEAL_ROOT)
    assert result.triple("ca4") == (1, 0, EXE_ROOT)
    assert result.x("a5") == MSTATUS_M
    for reg in ("s0", "s1", "t0", "t1", "t2", "tp"):   # mshwm/mshwmb: 0 as MPACT
        assert result.triple(reg) == (0, 0, 0), reg
    for reg in ("cra", "csp", "cgp"):
        assert result.triple(reg) == (0, 0, 0), reg
