"""CSRs the current Sail model defines for an M-mode-only RV32 core, beyond isa.md §1.5.

Expected values from the RISC-V privileged specification as sail-riscv implements it (the base
of CHERIoT-Platform/cheriot-sail): ``mstatush`` (0x310) is all zero on a little-endian core and
its writes are ignored; ``mcountinhibit`` (0x320) keeps only CY (bit 0) and IR (bit 2)
(``legalize_mcountinhibit``), and a set bit stops ``mcycle`` / ``minstret`` (and their user
read-only views) from counting; ``mconfigptr`` (0xF15) is read-only zero.
"""

from __future__ import annotations

from .harness import MCAUSE_ILLEGAL, expect_done, expect_trap, run


def test_mstatush_reads_zero_and_ignores_writes(mode: str) -> None:
    body = """
    li t0, -1
    csrw 0x310, t0
    csrr a0, 0x310
    csrr a1, 0xf15      # mconfigptr
    """
    result = expect_done(run(mode, body))
    assert (result.x("a0"), result.x("a1")) == (0, 0)


def test_mconfigptr_is_read_only(mode: str) -> None:
    body = """
    li t0, 1
fault:
    csrw 0xf15, t0
    """
    result = run(mode, body)
    word = result.word(result.sym("fault"))
    expect_trap(result, MCAUSE_ILLEGAL, word, "fault")


def test_mcountinhibit_keeps_cy_and_ir_and_stops_the_counters(mode: str) -> None:
    body = """
    li t0, -1
    csrw mcountinhibit, t0
    csrr a0, mcountinhibit
    csrr a1, minstret
    csrr a2, mcycle
    nop
    nop
    nop
    csrr a3, minstret    # stopped: the same as a1
    csrr a4, cycle       # the user view stops too
    csrw mcountinhibit, zero
    csrr a5, minstret    # counting again from where it stopped
    csrr s0, instret
    """
    result = expect_done(run(mode, body))
    x = result.x
    assert x("a0") == 0b101
    assert x("a3") == x("a1")
    assert x("a4") == x("a2")
    assert x("a5") - x("a1") == 1        # only the csrw that cleared the inhibit counted
    assert x("s0") - x("a5") == 1        # and then one per instruction
