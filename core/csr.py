"""Machine-mode privileged architecture: causes, fetch check, traps, MRET, SCRs and CSRs.

The companion of ``semantics.py`` (which dispatches to the instructions defined here and
re-exports the public names): everything here is about the hart's machine-mode state rather than
about capability values. References are to
``/work/shared/spec/isa.md`` (§1.5 CSRs, §5.18 system instructions, §7 exceptions and traps) and,
for the parts isa.md leaves to standard RISC-V, to the Sail RISC-V model it builds on.

Platform choices (isa.md leaves these open or lists a divergence):

* Illegal-instruction ``mtval`` holds the instruction bits, as CHERIoT-Ibex writes them (§7.2;
  Sail makes it a platform option, MPACT writes 0).
* ``misa`` reads MXL = 1 (RV32), E, M and C, plus B when the core has Zba, Zbb and Zbs
  (``Isa.misa``: 0x40001016 on the shipped boards, as the current Sail model sets it). Writes
  are accepted and ignored (``misa`` is WARL).
* ``mtvec``/``mepc`` read the address of ``MTCC``/``MEPCC``; writing them is an illegal
  instruction (the recommendation of §1.5; Sail stops with a model error, Ibex ignores it).
* ``mcycle``/``minstret`` and the user counters all read ``core.instret``: every retired
  instruction counts as one cycle. Writes to ``mcycle``/``minstret`` (which need ``SR``) are
  accepted and ignored, because the engine uses the counter for its own scheduling.
* ``mstatush`` (0x310) reads 0 (little-endian only; writes ignored, WARL), ``mcountinhibit``
  (0x320) keeps CY and IR (Sail's ``legalize_mcountinhibit``) and stops ``mcycle``/``cycle``
  or ``minstret``/``instret`` while set, ``mconfigptr`` (0xF15) reads 0: the CSRs the current
  Sail model defines for an M-mode-only RV32 core.
* ``mip`` is read-only here (its M-mode bits are set by devices through ``hart.mip``); writes are
  ignored, as for any read-only WARL field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from .capability import MASK32, NULL, Cap, Perm
from .hart import (
    IRQ_MEI,
    IRQ_MSI,
    IRQ_MTI,
    MCAUSE_CHERI,
    MSTATUS_MIE,
    MSTATUS_MPIE,
    MSTATUS_MPP,
    SCR_MEPCC,
    SCR_MTCC,
    SCR_NAMES,
    AccessFault,
    Hart,
    Trap,
    register_name,
)
from .isa import SCR_ZTOPC

if TYPE_CHECKING:
    from .decode import Instr

# Standard exception codes that remain reachable on CHERIoT (isa.md §7.1).
MCAUSE_FETCH_ACCESS = 1
MCAUSE_ILLEGAL = 2
MCAUSE_BREAKPOINT = 3
MCAUSE_LOAD_MISALIGNED = 4
MCAUSE_LOAD_ACCESS = 5
MCAUSE_STORE_MISALIGNED = 6
MCAUSE_STORE_ACCESS = 7
MCAUSE_ECALL_M = 11
INTERRUPT = 1 << 31

REG_PCC = 0x20  # the 6-bit register number mtval uses for PCC (isa.md §7.2)


class CheriCause(IntEnum):
    """CHERI exception codes CHERIoT raises, carried in ``mtval[4:0]`` (isa.md §7.1)."""

    BOUNDS = 0x01
    TAG = 0x02
    SEAL = 0x03
    PERMIT_EXECUTE = 0x11
    PERMIT_LOAD = 0x12
    PERMIT_STORE = 0x13
    PERMIT_STORE_CAPABILITY = 0x15
    PERMIT_ACCESS_SYSTEM_REGISTERS = 0x18

    @property
    def words(self) -> str:
        """The specification's name: ``bounds violation``, ``permit-load violation``..."""
        return self.name.lower().replace("_", "-") + " violation"


_EXCEPTION_WORDS = {
    MCAUSE_FETCH_ACCESS: "instruction access fault",
    MCAUSE_ILLEGAL: "illegal instruction",
    MCAUSE_BREAKPOINT: "breakpoint",
    MCAUSE_LOAD_MISALIGNED: "load address misaligned",
    MCAUSE_LOAD_ACCESS: "load access fault",
    MCAUSE_STORE_MISALIGNED: "store address misaligned",
    MCAUSE_STORE_ACCESS: "store access fault",
    MCAUSE_ECALL_M: "environment call from M-mode",
}
_INTERRUPT_WORDS = {
    IRQ_MSI: "machine software interrupt",
    IRQ_MTI: "machine timer interrupt",
    IRQ_MEI: "machine external interrupt",
}
_ADDRESS_CAUSES = {MCAUSE_FETCH_ACCESS, MCAUSE_BREAKPOINT, MCAUSE_LOAD_MISALIGNED,
                   MCAUSE_LOAD_ACCESS, MCAUSE_STORE_MISALIGNED, MCAUSE_STORE_ACCESS}


def cheri_cause_words(code: int) -> str:
    """Words for a CHERI cause code (mtval[4:0], isa.md §7.1), e.g. "bounds violation"."""
    try:
        return CheriCause(code).words
    except ValueError:
        return f"exception code {code:#04x}"


def describe_trap(mcause: int, mtval: int) -> str:
    """Words for a trap, from ``mcause``/``mtval`` alone (the gdb stub reuses this).

    CHERI exceptions name the register that ``mtval`` designates (isa.md §7.2), e.g.
    ``describe_trap(0x1C, 0x162)`` is ``"CHERI tag violation on ca1"``.
    """
    code = mcause & ~INTERRUPT & MASK32
    if mcause & INTERRUPT:
        return _INTERRUPT_WORDS.get(code, f"interrupt {code}")
    if code == MCAUSE_CHERI:
        return f"CHERI {cheri_cause_words(mtval & 0x1F)} on {register_name((mtval >> 5) & 0x3F)}"
    words = _EXCEPTION_WORDS.get(code, f"exception {code:#x}")
    if code in _ADDRESS_CAUSES:
        return f"{words} at {mtval:#010x}"
    if code == MCAUSE_ILLEGAL:
        return f"{words} {mtval:#x}"
    return words


def cheri_trap(cause: CheriCause, reg6: int, what: str, capability: Cap | None) -> Trap:
    """A CHERI exception: mcause 0x1C, ``mtval = reg6 << 5 | cause`` (isa.md §7.2).

    ``what`` completes the description, e.g. ``"on load through"`` gives
    ``"CHERI bounds violation on load through ca1"``.
    """
    description = f"CHERI {cause.words} {what} {register_name(reg6)}"
    return Trap(MCAUSE_CHERI, (reg6 << 5) | cause, description, capability)


def illegal_instruction(instr: Instr, why: str = "") -> Trap:
    """Illegal instruction (mcause 2) with the instruction bits in ``mtval`` (module docstring)."""
    detail = why or instr.reason
    text = f"illegal instruction {instr.raw:#x}" + (f": {detail}" if detail else "")
    return Trap(MCAUSE_ILLEGAL, instr.raw, text)


def _pcc_has_sr(hart: Hart) -> bool:
    return bool(hart.core.pcc_perms & Perm.SR)


# --- trap entry, MRET, interrupts (isa.md §7.5, §7.6) ---------------------------------------------

def take_trap(hart: Hart, mcause: int, mtval: int, epc: int) -> None:
    """Enter the trap handler (isa.md §7.5); interrupts pass ``mcause`` with bit 31 set.

    ``MEPCC`` receives PCC verbatim with address ``epc`` (not sealed as a sentry); PCC becomes
    ``MTCC``. An untagged ``MTCC`` is installed as it is: the next fetch faults (§7.5 step 4).
    """
    core = hart.core
    hart.mcause = mcause & MASK32
    hart.mtval = mtval & MASK32
    mpie = MSTATUS_MPIE if core.mstatus & MSTATUS_MIE else 0
    core.mstatus = (core.mstatus & ~(MSTATUS_MIE | MSTATUS_MPIE) & MASK32) | mpie | MSTATUS_MPP
    hart.scr[SCR_MEPCC] = Cap(bool(core.pcc_tag), epc & MASK32, core.pcc_meta)
    mtcc = hart.scr[SCR_MTCC]
    hart.set_pcc(mtcc)
    hart.next_pc = mtcc.address


def pending_interrupt(hart: Hart) -> int | None:
    """The interrupt to take before the next instruction, or None (isa.md §7.6).

    Taken only while ``mstatus.MIE`` is set; among the pending and enabled ones (``mip & mie``)
    the priority is external (11), then software (3), then timer (7).
    """
    if not hart.mie_enabled:
        return None
    pending = hart.mip & hart.mie
    for code in (IRQ_MEI, IRQ_MSI, IRQ_MTI):
        if pending & (1 << code):
            return code
    return None


def mret(hart: Hart, instr: Instr) -> None:
    """MRET: return from the trap handler (isa.md §7.5).

    PCC becomes ``MEPCC`` and execution continues at its address; ``MIE <- MPIE``,
    ``MPIE <- 1``, ``MPP <- M``.

    Exceptions:
        1. PCC lacks SR -> CHERI(0x18, PCC), mtval 0x418.

    Notes:
        An untagged ``MEPCC`` is installed anyway; the next fetch raises the tag violation.
    """
    if not _pcc_has_sr(hart):
        raise cheri_trap(CheriCause.PERMIT_ACCESS_SYSTEM_REGISTERS, REG_PCC, "on mret by",
                         hart.pcc)
    core = hart.core
    mie = MSTATUS_MIE if core.mstatus & MSTATUS_MPIE else 0
    core.mstatus = (core.mstatus & ~MSTATUS_MIE & MASK32) | mie | MSTATUS_MPIE | MSTATUS_MPP
    mepcc = hart.scr[SCR_MEPCC]
    hart.set_pcc(mepcc)
    hart.next_pc = mepcc.address


def ecall(hart: Hart, instr: Instr) -> None:
    """ECALL: environment call from M-mode (isa.md §5.18).

    Exceptions:
        1. always -> mcause 11, mtval 0.

    Notes:
        The trapping instruction does not retire; ``MEPCC`` points at it.
    """
    raise Trap(MCAUSE_ECALL_M, 0, "environment call from M-mode")


def ebreak(hart: Hart, instr: Instr) -> None:
    """EBREAK: breakpoint exception (isa.md §5.18).

    Exceptions:
        1. always -> mcause 3, mtval = PC (Sail and MPACT).

    Notes:
        A debugger's software breakpoints are handled by the engine before execution; this is
        the architectural exception the firmware's own ``ebreak`` raises.
    """
    raise Trap(MCAUSE_BREAKPOINT, hart.pc, f"breakpoint at {hart.pc:#010x}")


def wfi(hart: Hart, instr: Instr) -> None:
    """WFI: wait for an interrupt (isa.md §5.18).

    Exceptions:
        None.

    Notes:
        ``execute`` returns ``Outcome.WFI`` for it and the engine idles until an interrupt is
        pending, then retires it and continues at the next instruction.
    """


# --- instruction fetch (isa.md §7.4) --------------------------------------------------------------

def check_fetch(hart: Hart, length: int) -> None:
    """Check that PCC authorises fetching ``length`` bytes at PC (isa.md §7.4).

    Exceptions:
        1. PCC untagged -> CHERI(0x02, PCC), mtval 0x402.
        2. a 16-bit parcel outside PCC's bounds -> CHERI(0x01, PCC), mtval 0x401; PCC's tag is
           cleared first, so ``MEPCC`` receives an untagged copy.

    Notes:
        Only the tag is checked: sealing and EX are invariants of a tagged PCC (§1.3). Bounds
        are those decoded when PCC was installed. Checking both parcels of a 32-bit instruction
        is the same as checking the whole instruction against [base, top).
    """
    pcc = hart.pcc
    if not pcc.tag:
        raise cheri_trap(CheriCause.TAG, REG_PCC, "on instruction fetch through", pcc)
    base, top = hart.pcc_bounds
    if not (base <= hart.pc and hart.pc + length <= top):
        hart.set_pcc(pcc.with_tag(False))
        raise cheri_trap(CheriCause.BOUNDS, REG_PCC, "on instruction fetch through",
                         pcc.with_tag(False))



# --- special capability registers (isa.md §5.19, §1.4) --------------------------------------------

def cspecialrw(hart: Hart, instr: Instr) -> None:
    """CSpecialRW cd, scr, cs1: cd <- SCR; SCR <- cs1 unless cs1 is cnull (isa.md §5.19).

    Exceptions:
        1. scr not in 28..31 (nor 27 on a core with ZTOPC) -> illegal instruction.
        2. PCC lacks SR -> CHERI(0x18, SCR scr), mtval 0x400 | scr << 5 | 0x18.

    Notes:
        Writes legalise MTCC (address[1:0] forced to 0) and MEPCC (address[0] forced to 0),
        clearing the tag if those bits were set, or the value is sealed or lacks EX. cs1 = 0
        means "read only"; writing NULL needs a register that holds NULL. SCR 27 is
        CHERIoT-Ibex's ZTOPC (``_write_ztopc``).
    """
    scr = instr.rs2
    ztopc = scr == SCR_ZTOPC and "ztopc" in hart.isa.scrs
    if scr not in SCR_NAMES and not ztopc:
        raise illegal_instruction(instr, f"no special capability register {scr}")
    if not (hart.core.pcc_perms & Perm.SR):
        raise cheri_trap(CheriCause.PERMIT_ACCESS_SYSTEM_REGISTERS, REG_PCC | scr,
                         "on access to", hart.pcc)
    old = hart.scr.get(scr, NULL)
    if instr.rs1 != 0:
        value = hart.read_cap(instr.rs1)
        if ztopc:
            _write_ztopc(hart, value)
        else:
            if scr in (SCR_MTCC, SCR_MEPCC):
                low = 0b11 if scr == SCR_MTCC else 0b1
                bad = bool(value.address & low) or value.sealed or not value.has(Perm.EX)
                value = Cap(value.tag and not bad, value.address & ~low, value.meta)
            hart.scr[scr] = value
    hart.write_cap(instr.rd, old)


def _write_ztopc(hart: Hart, value: Cap) -> None:
    """ZTOPC, CHERIoT-Ibex's stack-zeroing engine (cheriot-ibex ``rtl/cheri_stkz.sv``).

    A write of a tagged capability with SD whose top is at or above its address starts zeroing
    the words from the address down to the base (word-aligned, tags cleared); NULL stops it;
    anything else is ignored (a WARL SCR). A write whose address equals its base zeroes
    nothing and reads back untagged. When zeroing ends the register reads back the last word
    zeroed (the base), untagged.

    Divergence: the hardware zeroes one word per cycle in the background and an interrupt can
    abort it part way; here the whole range is zeroed at the write, before the next instruction.
    """
    if not value.tag and value.bits == 0:
        hart.scr[SCR_ZTOPC] = NULL
        return
    base, top = value.bounds
    if not (value.tag and value.has(Perm.SD) and top >= (value.address & ~3)):
        return
    start, end = base & ~3 & MASK32, value.address & ~3 & MASK32
    for address in range(end - 4, start - 1, -4):
        try:
            hart.bus.store(address, 4, 0)
        except AccessFault:
            break  # the RTL records a bus error (stkz_err, not architecturally visible) and ends
    hart.scr[SCR_ZTOPC] = Cap(False, start if end > start else value.address, value.meta)


def fence(hart: Hart, instr: Instr) -> None:
    """FENCE / FENCE.I: no architectural effect on a single in-order hart (isa.md §5.18).

    Exceptions: none.  Notes: decode() normally gives these to Unicorn (NATIVE_OTHER).
    """


# --- CSRs (isa.md §1.5 and the standard machine-mode CSRs) ----------------------------------------

MCCSR_VALUE = 0x3   # legacy CHERI control register: d and e hardwired to 1 (§1.5)
MIE_WRITABLE = (1 << IRQ_MSI) | (1 << IRQ_MTI) | (1 << IRQ_MEI)

# Reads that code without SR may perform (Sail's allow-list, isa.md §1.5).
UNPRIVILEGED_READS = frozenset({0xC00, 0xC01, 0xC02, 0xC80, 0xC81, 0xC82,
                                0xB00, 0xB02, 0xB80, 0xB82})


@dataclass(frozen=True, slots=True)
class Csr:
    """One CSR: how it reads and writes. ``write`` None means writing it is illegal."""

    name: str
    read: Callable[[Hart], int]
    write: Callable[[Hart, int], None] | None = None


def _ignore(hart: Hart, value: int) -> None:
    """WARL field with nothing writable (misa, mip, mccsr) or a write we ignore (counters)."""


def _write_mstatus(hart: Hart, value: int) -> None:
    # Only MIE and MPIE exist to be written; MPP is fixed at M (machine mode only).
    hart.core.mstatus = (value & (MSTATUS_MIE | MSTATUS_MPIE)) | MSTATUS_MPP


def _write_mie(hart: Hart, value: int) -> None:
    hart.mie = value & MIE_WRITABLE


def _set(attr: str) -> Callable[[Hart, int], None]:
    def write(hart: Hart, value: int) -> None:
        setattr(hart, attr, value & MASK32)
    return write


def _write_mshwm(hart: Hart, value: int) -> None:
    hart.core.mshwm = value & ~0xF & MASK32


def _write_mshwmb(hart: Hart, value: int) -> None:
    hart.core.mshwmb = value & ~0xF & MASK32


def _low(counter: Callable[[Hart], int]) -> Callable[[Hart], int]:
    return lambda hart: counter(hart) & MASK32


def _high(counter: Callable[[Hart], int]) -> Callable[[Hart], int]:
    return lambda hart: (counter(hart) >> 32) & MASK32


def _counter(bit: int) -> Callable[[Hart], int]:
    """mcycle (bit 0) or minstret (bit 2) as software sees it: stopped while inhibited."""
    def read(hart: Hart) -> int:
        if hart.mcountinhibit >> bit & 1:
            return hart.counter_frozen[bit]
        return int(hart.core.instret) - hart.counter_lag[bit]
    return read


MCOUNTINHIBIT_WRITABLE = 0b101  # CY and IR; bit 1 (TM) is read-only zero, no hpm counters


def _write_mcountinhibit(hart: Hart, value: int) -> None:
    """Sail's legalize_mcountinhibit keeps CY and IR; a stopped counter keeps its value."""
    value &= MCOUNTINHIBIT_WRITABLE
    for bit in (0, 2):
        was, now = hart.mcountinhibit >> bit & 1, value >> bit & 1
        if now and not was:
            hart.counter_frozen[bit] = _counter(bit)(hart)
        elif was and not now:
            hart.counter_lag[bit] = int(hart.core.instret) - hart.counter_frozen[bit]
    hart.mcountinhibit = value


def _time(hart: Hart) -> int:
    return int(hart.time_source())


CSRS: dict[int, Csr] = {
    0x300: Csr("mstatus", lambda h: h.core.mstatus | MSTATUS_MPP, _write_mstatus),
    0x301: Csr("misa", lambda h: h.isa.misa, _ignore),
    0x304: Csr("mie", lambda h: h.mie, _write_mie),
    0x305: Csr("mtvec", lambda h: h.scr[SCR_MTCC].address),
    0x340: Csr("mscratch", lambda h: h.mscratch, _set("mscratch")),
    0x341: Csr("mepc", lambda h: h.scr[SCR_MEPCC].address),
    0x342: Csr("mcause", lambda h: h.mcause, _set("mcause")),
    0x343: Csr("mtval", lambda h: h.mtval, _set("mtval")),
    0x344: Csr("mip", lambda h: h.mip, _ignore),
    0x310: Csr("mstatush", lambda h: 0, _ignore),
    0x320: Csr("mcountinhibit", lambda h: h.mcountinhibit, _write_mcountinhibit),
    0xB00: Csr("mcycle", _low(_counter(0)), _ignore),
    0xB02: Csr("minstret", _low(_counter(2)), _ignore),
    0xB80: Csr("mcycleh", _high(_counter(0)), _ignore),
    0xB82: Csr("minstreth", _high(_counter(2)), _ignore),
    0xBC0: Csr("mccsr", lambda h: MCCSR_VALUE, _ignore),
    0xBC1: Csr("mshwm", lambda h: h.core.mshwm & ~0xF & MASK32, _write_mshwm),
    0xBC2: Csr("mshwmb", lambda h: h.core.mshwmb & ~0xF & MASK32, _write_mshwmb),
    0xC00: Csr("cycle", _low(_counter(0))),
    0xC01: Csr("time", _low(_time)),
    0xC02: Csr("instret", _low(_counter(2))),
    0xC80: Csr("cycleh", _high(_counter(0))),
    0xC81: Csr("timeh", _high(_time)),
    0xC82: Csr("instreth", _high(_counter(2))),
    0xF11: Csr("mvendorid", lambda h: 0),
    0xF12: Csr("marchid", lambda h: 0),
    0xF13: Csr("mimpid", lambda h: 0),
    0xF14: Csr("mhartid", lambda h: 0),
    0xF15: Csr("mconfigptr", lambda h: 0),
}


def _is_read_only_number(number: int) -> bool:
    """CSR numbers with bits [11:10] = 11 are read-only by the RISC-V numbering convention."""
    return (number >> 10) & 0b11 == 0b11


def csr_instruction(hart: Hart, instr: Instr) -> None:
    """CSRRW, CSRRS, CSRRC and their immediate forms (Zicsr; CHERIoT rules of isa.md §1.5).

    ``rd <- old value`` (an integer: tag and metadata cleared); the CSR receives the source
    (CSRRW), ``old | source`` (CSRRS) or ``old & ~source`` (CSRRC). The source is ``x[rs1]``, or
    the 5-bit ``zimm`` (``instr.imm``) for the immediate forms.

    Exceptions:
        1. unknown CSR (including 0x8C0 ``uccsr`` and 0x9C0 ``sccsr``) -> illegal instruction.
        2. write to a read-only CSR number (0xCxx, 0xFxx) or to ``mtvec``/``mepc``
           -> illegal instruction.
        3. PCC lacks SR, unless the access is a read of a counter on the allow-list
           -> CHERI(0x18, PCC), mtval 0x418.

    Notes:
        The instruction writes the CSR when it is CSRRW[I], or CSRRS/CSRRC[I] with a non-zero
        ``rs1`` field or immediate; otherwise it is a read only and needs no write permission.
        Writes to ``mstatus`` keep only MIE and MPIE; ``mshwm``/``mshwmb`` round down to 16.
    """
    op = instr.op
    immediate = op.endswith("i")
    field = instr.imm & 0x1F if immediate else instr.rs1
    source = field if immediate else hart.read_x(instr.rs1)
    swap = op.startswith("csrrw")
    writes = swap or field != 0
    number = instr.csr
    csr = CSRS.get(number)
    if csr is None:
        raise illegal_instruction(instr, f"no CSR {number:#05x}")
    if writes and (_is_read_only_number(number) or csr.write is None):
        raise illegal_instruction(instr, f"CSR {csr.name} cannot be written")
    if not _pcc_has_sr(hart) and (writes or number not in UNPRIVILEGED_READS):
        raise cheri_trap(CheriCause.PERMIT_ACCESS_SYSTEM_REGISTERS, REG_PCC,
                         f"on access to CSR {csr.name} by", hart.pcc)
    old = csr.read(hart) & MASK32
    if writes and csr.write is not None:  # never None here: rejected as illegal above
        if swap:
            new = source
        elif op.startswith("csrrs"):
            new = old | source
        else:
            new = old & ~source
        csr.write(hart, new & MASK32)
    hart.write_int(instr.rd, old)
