"""Exceptions that are not capability checks: ECALL, EBREAK (isa.md §5.18), illegal encodings
including registers x16-x31 (§1.1) and the reserved compressed slots (§6), instruction access
faults, and an untagged MTCC (§7.5)."""

from __future__ import annotations

import pytest

from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.core.hart import IRQ_MSI
from cheriot_gdbserver.core.stops import StopKind

from .harness import (
    DATA,
    MCAUSE_BREAKPOINT,
    MCAUSE_CHERI,
    MCAUSE_ECALL,
    MCAUSE_ILLEGAL,
    UNMAPPED,
    expect_done,
    expect_handled,
    expect_trap,
    run,
)


def enc_r(f7: int, rs2: int, rs1: int, f3: int, rd: int, op: int) -> int:
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op


def enc_i(imm: int, rs1: int, f3: int, rd: int, op: int) -> int:
    return (imm & 0xFFF) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op


def enc_s(imm: int, rs2: int, rs1: int, f3: int, op: int) -> int:
    return (imm >> 5 & 0x7F) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1F) << 7 | op


def test_ecall(mode: str) -> None:
    expect_trap(run(mode, "fault:\n ecall\n"), MCAUSE_ECALL, 0, "fault")


@pytest.mark.parametrize("instruction", ["ebreak", ".half 0x9002"], ids=["ebreak", "c.ebreak"])
def test_ebreak(mode: str, instruction: str) -> None:
    """EBREAK: mcause 3, mtval = PC; taken, MEPCC points at it (§5.18, §7.5)."""
    body = f"fault:\n {instruction}\n"
    result = run(mode, body)
    expect_trap(result, MCAUSE_BREAKPOINT, result.sym("fault"), "fault")
    taken = expect_handled(run(mode, body, catch=Catch.NONE))
    fault = taken.sym("fault")
    assert (taken.x("cs0"), taken.x("s1"), taken.x("t2")) == (fault, MCAUSE_BREAKPOINT, fault)


# Registers 16-31 in every operand position that the instruction uses (§1.1): illegal, and
# rejected before anything happens (the recommended decode-time rejection).
HIGH_REGISTERS = {
    "addi-rd": enc_i(1, 0, 0, 16, 0x13),
    "addi-rs1": enc_i(1, 17, 0, 10, 0x13),
    "add-rs2": enc_r(0, 20, 10, 0, 10, 0x33),
    "mul-rd": enc_r(1, 10, 10, 0, 16, 0x33),
    "slli-rd": enc_i(1, 10, 1, 16, 0x13),
    "lui-rd": 1 << 12 | 31 << 7 | 0x37,
    "lw-rd": enc_i(0, 14, 2, 16, 0x03),
    "lw-auth": enc_i(0, 18, 2, 10, 0x03),
    "sw-rs2": enc_s(0, 16, 14, 2, 0x23),
    "beq-rs1": 16 << 15 | 4 << 8 | 0x63,
    "clc-cd": enc_i(0, 14, 3, 16, 0x03),
    "csc-cs2": enc_s(0, 17, 14, 3, 0x23),
    "cmove-cd": enc_r(0x7F, 0x0A, 14, 0, 16, 0x5B),
    "cincaddrimm-cs1": enc_i(4, 20, 1, 10, 0x5B),
    "csetbounds-rs2": enc_r(0x08, 16, 14, 0, 10, 0x5B),
    "cspecialrw-cd": enc_r(0x01, 29, 0, 0, 16, 0x5B),
    "auipcc-cd": 16 << 7 | 0x17,
    "cjal-cd": 4 << 21 | 16 << 7 | 0x6F,
    "cjalr-cs1": enc_i(0, 17, 0, 0, 0x67),
    "csrrw-rd": enc_i(0x340, 1, 1, 16, 0x73),
    "csrrw-rs1": enc_i(0x340, 16, 1, 0, 0x73),
}

# Compressed forms naming x16-x31 in their 5-bit fields.
HIGH_REGISTERS_16 = {
    "c.mv": 0x882A, "c.addi": 0x0885, "c.li": 0x4A0D, "c.jr": 0x8802, "c.jalr": 0x9802,
    "c.lwsp": 0x4802, "c.swsp": 0xC042, "c.add": 0x9542, "c.slli": 0x0806, "c.clcsp": 0x6802,
}

# Reserved or non-CHERIoT compressed encodings (§6).
RESERVED_16 = {
    "all-zero": 0x0000, "c.cincaddr4cspn-0": 0x0008, "c.fld": 0x2408, "q0-100": 0x8408,
    "c.fsd": 0xA408, "c.fldsp": 0x2502, "c.fsdsp": 0xA02A, "c.clcsp-cnull": 0x6002,
    "c.lwsp-x0": 0x4002, "c.jr-x0": 0x8002, "c.lui-0": 0x6501, "c.cincaddr16csp-0": 0x6101,
    "c.slli-shamt5": 0x1502, "c.srli-shamt5": 0x9101, "c.subw": 0x9D0D,
}

# Other illegal 32-bit encodings (§5.1 and the extensions CHERIoT does not have, §1.1).
ILLEGAL_32 = {
    **{f"5b-funct3-{f3}": enc_i(0, 10, f3, 10, 0x5B) for f3 in range(3, 8)},
    **{f"5b-1src-{sel:#x}": enc_r(0x7F, sel, 10, 0, 10, 0x5B) for sel in (0x05, 0x10, 0x1F)},
    **{f"5b-funct7-{f7:#x}": enc_r(f7, 11, 10, 0, 10, 0x5B) for f7 in (0x02, 0x0E, 0x7E)},
    "lr.w": enc_r(0x08, 0, 10, 2, 10, 0x2F),
    "flw": enc_i(0, 10, 2, 10, 0x07),
    "addiw": enc_i(1, 10, 0, 10, 0x1B),
    "jalr-funct3": enc_i(0, 10, 1, 0, 0x67),
    "load-funct3-6": enc_i(0, 14, 6, 10, 0x03),
    "store-funct3-4": enc_s(0, 10, 14, 4, 0x23),
}

CASES = ([(name, f".word {word:#010x}", word) for name, word in HIGH_REGISTERS.items()]
         + [(name, f".half {h:#06x}", h) for name, h in HIGH_REGISTERS_16.items()]
         + [(name, f".half {h:#06x}", h) for name, h in RESERVED_16.items()]
         + [(name, f".word {word:#010x}", word) for name, word in ILLEGAL_32.items()])


@pytest.mark.parametrize(("raw", "bits"), [(raw, bits) for _, raw, bits in CASES],
                         ids=[name for name, _, _ in CASES])
def test_illegal(mode: str, raw: str, bits: int) -> None:
    """mcause 2; mtval = the instruction bits (the engine's documented platform choice, as
    CHERIoT-Ibex, §7.2). Nothing is written: registers, memory and CSRs keep their values."""
    body = f"""
    li a0, 0x55
    li tp, 7
    csrw mscratch, tp
    cincoffset ca4, ca4, 0
fault:
    {raw}
    """
    result = expect_trap(run(mode, body), MCAUSE_ILLEGAL, bits, "fault")
    assert result.triple("a0") == (0, 0x55, 0)
    assert result.triple("cra") == (0, 0, 0)
    assert result.word(DATA) == 0
    assert result.hart.mscratch == 7


def test_illegal_taken(mode: str) -> None:
    body = "fault:\n .word 0x00100813\n"   # addi x16, x0, 1
    result = expect_handled(run(mode, body, catch=Catch.NONE))
    assert (result.x("cs0"), result.x("s1"), result.x("t2")) == (
        result.sym("fault"), MCAUSE_ILLEGAL, 0x00100813)


def test_fetch_from_unmapped_memory(mode: str) -> None:
    """A jump to an address with no memory: the jump succeeds, the fetch raises an instruction
    access fault (mcause 1, mtval = the address, §7.1)."""
    body = f"""
    cspecialr ct0, mepcc
    li tp, {UNMAPPED:#x}
    csetaddr ct0, ct0, tp
    cjr ct0
    """
    result = run(mode, body)
    expect_trap(result, 1, UNMAPPED, UNMAPPED)


def test_untagged_mtcc_cannot_take_traps(mode: str) -> None:
    """With an untagged MTCC the first trap cannot be delivered: the engine stops (§7.5 step 4:
    an unrecoverable loop; the Sail model stops too)."""
    body = """
    cspecialw mtcc, ca4             # no EX: stored untagged
fault:
    clw a0, 0(cnull)
    """
    result = run(mode, body, catch=Catch.NONE)
    assert result.stop.kind is StopKind.LOCKUP
    assert result.stop.trap is not None
    assert (result.stop.trap.mcause, result.stop.trap.mtval) == (MCAUSE_CHERI, 0x02)


def test_fence_has_no_effect(mode: str) -> None:
    body = "cmove ca0, ca4\nfence\nfence.i\nfence rw, rw\n"
    result = expect_done(run(mode, body))
    assert result.triple("ca0") == result.triple("ca4")


def test_wfi_wakes_on_pending_interrupt_even_with_mie_clear(mode: str) -> None:
    """WFI resumes when an enabled interrupt is pending, even with MIE 0; nothing is taken."""
    body = "li tp, 8\ncsrw mie, tp\nwfi\nli a0, 1\n"
    result = expect_done(run(mode, body, catch=Catch.NONE,
                             setup=lambda engine: engine.set_irq_line(IRQ_MSI, True)))
    assert result.x("a0") == 1 and result.hart.mcause == 0


def test_wfi_without_any_wake_source(mode: str) -> None:
    """Nothing can ever wake the hart: the engine reports it instead of spinning."""
    result = run(mode, "fault:\n wfi\n")
    assert result.stop.kind is StopKind.HALTED and result.stop.pc == result.sym("fault")
