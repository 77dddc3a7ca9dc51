"""Reference semantics of every CHERIoT instruction the engine does not hand to Unicorn.

One function per instruction (thin wrappers where a family shares one body), each with a
docstring of the same shape as the Sail model's: a summary, ``Exceptions:`` in the order the
checks are made (the first failing one wins, isa.md §7.3) and ``Notes:``. Section numbers refer to
``/work/shared/spec/isa.md``; the machine-mode parts (fetch check, traps, MRET, CSpecialRW,
CSRs) live in ``csr.py``.

Rules every function follows:

* All source operands are read before any destination is written (§5.2).
* Integer results are NULL-derived: ``hart.write_int`` clears tag and metadata (§1.2).
* Capability manipulations never trap: a failed one clears the result's tag (§5.2).
* Faults raise ``Trap`` with ``mcause``/``mtval`` exactly as §7.1/§7.2 define them.

Operand conventions of ``decode()``: ``imm`` is the value the instruction uses, already
extended and scaled: a byte offset for loads, stores, ``CLC``, ``CSC``, ``CJAL``, ``CJALR`` and
``CIncAddrImm``; the unsigned length for ``CSetBoundsImm``; ``sext(imm20) << 11`` for
``AUIPCC``/``AUICGP``; ``zimm`` for the immediate CSR forms. ``rs2`` holds the SCR number for
``CSpecialRW``, ``csr`` the CSR number, ``width``/``signed`` describe ordinary loads and
stores.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from ..errors import EngineError
from . import bitmanip as _bitmanip
from .capability import (
    ALL_PERMS,
    MASK32,
    SEALING_PERMS,
    TOP_LIMIT,
    Cap,
    Perm,
    get_cap_bounds,
    representable_alignment_mask,
    representable_length,
    set_cap_bounds,
    set_cap_bounds_round_down,
    with_bounds_fields,
    with_otype,
    with_perms,
)
from .csr import (
    MCAUSE_LOAD_ACCESS,
    MCAUSE_LOAD_MISALIGNED,
    MCAUSE_STORE_ACCESS,
    MCAUSE_STORE_MISALIGNED,
    CheriCause,
    check_fetch,
    cheri_trap,
    cspecialrw,
    csr_instruction,
    describe_trap,
    ebreak,
    ecall,
    fence,
    illegal_instruction,
    mret,
    pending_interrupt,
    take_trap,
    wfi,
)
from .decode import Instr, Kind
from .hart import AccessFault, Hart, Trap

__all__ = ["INSTRUCTIONS", "Outcome", "check_fetch", "describe_trap", "execute",
           "pending_interrupt", "take_trap"]

CRA, CGP = 1, 3


class Outcome(Enum):
    """What ``execute`` did with an instruction."""

    NATIVE = "native"  # the engine lets Unicorn execute it (integer and other native kinds)
    DONE = "done"      # completed here; continue at ``hart.next_pc``
    WFI = "wfi"        # completed here; idle until an interrupt is pending


# --- inspection (isa.md §5.3): integer results, no checks, any bit pattern ------------------------

def cgetperm(hart: Hart, instr: Instr) -> None:
    """CGetPerm rd, cs1: the 12-bit architectural permissions of cs1 (isa.md §5.3, §3.1).

    Exceptions: none.  Notes: the result is an integer; untagged values are decoded too.
    """
    hart.write_int(instr.rd, hart.read_cap(instr.rs1).perms)


def cgettype(hart: Hart, instr: Instr) -> None:
    """CGetType rd, cs1: the 4-bit object type of cs1 (isa.md §5.3, §4.1).

    Exceptions: none.  Notes: OT is expanded by format, so sealed data reads 9-15.
    """
    hart.write_int(instr.rd, hart.read_cap(instr.rs1).otype)


def cgetbase(hart: Hart, instr: Instr) -> None:
    """CGetBase rd, cs1: the decoded base of cs1 (isa.md §5.3, §2.5).

    Exceptions: none.  Notes: bounds are decoded at cs1's current address.
    """
    hart.write_int(instr.rd, hart.read_cap(instr.rs1).base)


def cgetlen(hart: Hart, instr: Instr) -> None:
    """CGetLen rd, cs1: (top - base) mod 2**33, saturated to 0xFFFFFFFF (isa.md §5.3).

    Exceptions: none.  Notes: a 2**32-long capability reports 0xFFFFFFFF.
    """
    hart.write_int(instr.rd, min(hart.read_cap(instr.rs1).length, MASK32))


def cgettag(hart: Hart, instr: Instr) -> None:
    """CGetTag rd, cs1: 1 if cs1 is tagged, else 0 (isa.md §5.3).

    Exceptions: none.  Notes: none.
    """
    hart.write_int(instr.rd, int(hart.read_cap(instr.rs1).tag))


def cgettop(hart: Hart, instr: Instr) -> None:
    """CGetTop rd, cs1: the decoded top of cs1, saturated to 0xFFFFFFFF (isa.md §5.3).

    Exceptions: none.  Notes: a top of 2**32 reads 0xFFFFFFFF.
    """
    hart.write_int(instr.rd, min(hart.read_cap(instr.rs1).top, TOP_LIMIT - 1))


def cgethigh(hart: Hart, instr: Instr) -> None:
    """CGetHigh rd, cs1: the metadata word of cs1 (isa.md §5.3, §2.2).

    Exceptions: none.  Notes: 0 for every integer (NULL-derived) value.
    """
    hart.write_int(instr.rd, hart.read_cap(instr.rs1).meta)


def cgetaddr(hart: Hart, instr: Instr) -> None:
    """CGetAddr rd, cs1: the address of cs1 (isa.md §5.3).

    Exceptions: none.  Notes: none.
    """
    hart.write_int(instr.rd, hart.read_cap(instr.rs1).address)


# --- copies and comparisons (isa.md §5.4 - §5.6, §5.13 - §5.15) -----------------------------------

def csethigh(hart: Hart, instr: Instr) -> None:
    """CSetHigh cd, cs1, rs2: cs1's address with metadata word x[rs2], untagged (isa.md §5.4).

    Exceptions: none.  Notes: equivalent to rewriting the high word of cs1 stored in memory.
    """
    cs1, meta = hart.read_cap(instr.rs1), hart.read_x(instr.rs2)
    hart.write_cap(instr.rd, Cap(False, cs1.address, meta))


def cmove(hart: Hart, instr: Instr) -> None:
    """CMove cd, cs1: copy all 65 bits (isa.md §5.5).

    Exceptions: none.  Notes: the only register-to-register copy that keeps the tag.
    """
    hart.write_cap(instr.rd, hart.read_cap(instr.rs1))


def ccleartag(hart: Hart, instr: Instr) -> None:
    """CClearTag cd, cs1: copy with the tag cleared (isa.md §5.5).

    Exceptions: none.  Notes: address and metadata are kept bit for bit.
    """
    hart.write_cap(instr.rd, hart.read_cap(instr.rs1).with_tag(False))


def csub(hart: Hart, instr: Instr) -> None:
    """CSub rd, cs1, cs2: (cs1.address - cs2.address) mod 2**32 (isa.md §5.6).

    Exceptions: none.  Notes: an integer result.
    """
    a, b = hart.read_cap(instr.rs1).address, hart.read_cap(instr.rs2).address
    hart.write_int(instr.rd, (a - b) & MASK32)


def ctestsubset(hart: Hart, instr: Instr) -> None:
    """CTestSubset rd, cs1, cs2: 1 iff cs2 is a subset of cs1 (isa.md §5.13).

    Subset means: equal tags, ``base(cs1) <= base(cs2)``, ``top(cs2) <= top(cs1)`` and cs2's
    permissions contained in cs1's.

    Exceptions: none.  Notes: otypes are ignored; note the operand order.
    """
    cs1, cs2 = hart.read_cap(instr.rs1), hart.read_cap(instr.rs2)
    (base1, top1), (base2, top2) = cs1.bounds, cs2.bounds
    subset = (cs1.tag == cs2.tag and base1 <= base2 and top2 <= top1
              and (cs2.perms & cs1.perms) == cs2.perms)
    hart.write_int(instr.rd, int(subset))


def cseqx(hart: Hart, instr: Instr) -> None:
    """CSEQX rd, cs1, cs2: 1 iff tags and 64-bit images are equal (isa.md §5.14).

    Exceptions: none.  Notes: also spelt CSetEqualExact; the reserved bit R takes part.
    """
    cs1, cs2 = hart.read_cap(instr.rs1), hart.read_cap(instr.rs2)
    hart.write_int(instr.rd, int(cs1.tag == cs2.tag and cs1.bits == cs2.bits))


def crrl(hart: Hart, instr: Instr) -> None:
    """CRRL rd, rs1: the representable length for x[rs1] (isa.md §5.15, §2.10).

    Exceptions: none.  Notes: wraps to 0 for lengths close to 2**32.
    """
    hart.write_int(instr.rd, representable_length(hart.read_x(instr.rs1)))


def cram(hart: Hart, instr: Instr) -> None:
    """CRAM rd, rs1: the alignment mask for a base of length x[rs1] (isa.md §5.15, §2.10).

    Exceptions: none.  Notes: none.
    """
    hart.write_int(instr.rd, representable_alignment_mask(hart.read_x(instr.rs1)))


# --- address arithmetic (isa.md §5.7 - §5.9, §2.7) ------------------------------------------------

def _move_address(hart: Hart, rd: int, source: Cap, address: int) -> None:
    """``source`` at ``address``: untagged if sealed or not representable (§2.7)."""
    moved = source.set_address(address)
    hart.write_cap(rd, moved.with_tag(moved.tag and not source.sealed))


def csetaddr(hart: Hart, instr: Instr) -> None:
    """CSetAddr cd, cs1, rs2: cs1 with address x[rs2] (isa.md §5.7).

    Exceptions: none.
    Notes: the tag is cleared if cs1 is sealed or the new address is not representable; the
    metadata word is kept, so an unrepresentable result decodes to different bounds.
    """
    cs1, address = hart.read_cap(instr.rs1), hart.read_x(instr.rs2)
    _move_address(hart, instr.rd, cs1, address)


def cincaddr(hart: Hart, instr: Instr) -> None:
    """CIncAddr cd, cs1, rs2: cs1 with address cs1.address + x[rs2] (isa.md §5.7).

    Exceptions: none.  Notes: as CSetAddr (sealed or unrepresentable -> untagged).
    """
    cs1, offset = hart.read_cap(instr.rs1), hart.read_x(instr.rs2)
    _move_address(hart, instr.rd, cs1, cs1.address + offset)


def cincaddrimm(hart: Hart, instr: Instr) -> None:
    """CIncAddrImm cd, cs1, imm: cs1 with address cs1.address + imm (isa.md §5.7).

    Exceptions: none.
    Notes: also the expansion of C.CIncAddr16CSP and C.CIncAddr4CSPN (§6); as CSetAddr.
    """
    cs1 = hart.read_cap(instr.rs1)
    _move_address(hart, instr.rd, cs1, cs1.address + instr.imm)


def auipcc(hart: Hart, instr: Instr) -> None:
    """AUIPCC cd, imm20: PCC with address PC + (imm20 << 11) (isa.md §5.8).

    Exceptions: none.
    Notes: the shift is 11, not 12. The tag is cleared if the address is not representable
    within the bounds PCC was installed with (PCC is never sealed).
    """
    pcc = hart.pcc
    address = (hart.pc + instr.imm) & MASK32  # imm = sext(imm20) << 11
    representable = get_cap_bounds(pcc.meta, address) == hart.pcc_bounds
    hart.write_cap(instr.rd, Cap(pcc.tag and representable, address, pcc.meta))


def auicgp(hart: Hart, instr: Instr) -> None:
    """AUICGP cd, imm20: cgp with address cgp.address + (imm20 << 11) (isa.md §5.9).

    Exceptions: none.  Notes: as CIncAddr with cgp (c3) as the source.
    """
    cgp = hart.read_cap(CGP)
    _move_address(hart, instr.rd, cgp, cgp.address + instr.imm)  # imm = sext(imm20) << 11


# --- bounds (isa.md §5.10, §2.8, §2.9) ------------------------------------------------------------

def _set_bounds(hart: Hart, instr: Instr, length: int, *, exact: bool = False,
                round_down: bool = False) -> None:
    """The shared body of the CSetBounds family (§5.10).

    The monotonicity check is made on the *requested* range [address, address + length): safe
    because the encoder's rounding is minimal (Sail's note on CSetBounds).
    """
    cs1 = hart.read_cap(instr.rs1)
    base = cs1.address
    in_bounds = cs1.in_bounds(base, length)
    if round_down:
        fields, is_exact = set_cap_bounds_round_down(base, length), True
    else:
        fields, is_exact = set_cap_bounds(base, length)
    tag = cs1.tag and not cs1.sealed and in_bounds and (is_exact or not exact)
    hart.write_cap(instr.rd, Cap(tag, base, with_bounds_fields(cs1.meta, fields)))


def csetbounds(hart: Hart, instr: Instr) -> None:
    """CSetBounds cd, cs1, rs2: bounds [cs1.address, +x[rs2]) rounded outwards (isa.md §5.10).

    Exceptions: none.
    Notes: the tag is cleared if cs1 is sealed or the requested range is not inside cs1's
    bounds (a range past 2**32 never is); cs1's tag is propagated, not checked.
    """
    _set_bounds(hart, instr, hart.read_x(instr.rs2))


def csetboundsimm(hart: Hart, instr: Instr) -> None:
    """CSetBoundsImm cd, cs1, uimm12: CSetBounds with a zero-extended length (isa.md §5.10).

    Exceptions: none.  Notes: the immediate is 0..4095.
    """
    _set_bounds(hart, instr, instr.imm & 0xFFF)


def csetboundsexact(hart: Hart, instr: Instr) -> None:
    """CSetBoundsExact cd, cs1, rs2: as CSetBounds, untagged unless exact (isa.md §5.10).

    Exceptions: none.  Notes: the bounds are still rounded when the tag is cleared.
    """
    _set_bounds(hart, instr, hart.read_x(instr.rs2), exact=True)


def csetboundsrounddown(hart: Hart, instr: Instr) -> None:
    """CSetBoundsRoundDown cd, cs1, rs2: exact base, length rounded down (isa.md §5.10).

    Exceptions: none.  Notes: the encoding of §2.9; lengths above 511 * 2**14 are capped there.
    """
    _set_bounds(hart, instr, hart.read_x(instr.rs2), round_down=True)


# --- permissions and sealing (isa.md §5.11, §5.12, §4.2, §4.3) ------------------------------------

def candperm(hart: Hart, instr: Instr) -> None:
    """CAndPerm cd, cs1, rs2: cs1 with perms ``perms & x[rs2][11:0]``, legalised (isa.md §5.11).

    Exceptions: none.
    Notes: the result is re-encoded by §3.3, which may drop more than asked (clearing SD from
    a read-write capability also drops SL). On a sealed cs1 only clearing GL keeps the tag.
    """
    cs1, mask = hart.read_cap(instr.rs1), hart.read_x(instr.rs2) & ALL_PERMS
    keep = cs1.tag and (not cs1.sealed or (mask | Perm.GL) == ALL_PERMS)
    hart.write_cap(instr.rd, Cap(keep, cs1.address, with_perms(cs1.meta, cs1.perms & mask)))


def cseal(hart: Hart, instr: Instr) -> None:
    """CSeal cd, cs1, cs2: cs1 sealed with otype cs2.address (isa.md §5.12, §4.2).

    Exceptions: none.
    Notes: the tag survives only if cs2 is tagged, unsealed, has SE and holds its address in
    bounds, the otype suits cs1 (1-7 with EX, 9-15 without) and cs1 is unsealed. Only
    ``otype[2:0]`` is stored, so a refused otype may leave the result looking unsealed.
    """
    cs1, cs2 = hart.read_cap(instr.rs1), hart.read_cap(instr.rs2)
    otype = cs2.address
    suits = 1 <= otype <= 7 if cs1.has(Perm.EX) else 9 <= otype <= 15
    permitted = (cs2.tag and not cs2.sealed and cs2.has(Perm.SE)
                 and cs2.in_bounds(otype, 1) and suits and not cs1.sealed)
    hart.write_cap(instr.rd, Cap(cs1.tag and permitted, cs1.address, with_otype(cs1.meta, otype)))


def cunseal(hart: Hart, instr: Instr) -> None:
    """CUnseal cd, cs1, cs2: cs1 unsealed, GL = cs1.GL & cs2.GL (isa.md §5.12, §4.3).

    Exceptions: none.
    Notes: the tag survives only if cs2 is tagged, unsealed, has US, cs1 is sealed and cs1's
    otype lies within cs2's bounds; cs2's address is irrelevant since ISA 1.0.
    """
    cs1, cs2 = hart.read_cap(instr.rs1), hart.read_cap(instr.rs2)
    permitted = (cs2.tag and not cs2.sealed and cs1.sealed and cs2.has(Perm.US)
                 and cs2.in_bounds(cs1.otype, 1))
    perms = cs1.perms if cs2.has(Perm.GL) else cs1.perms & ~Perm.GL
    meta = with_otype(with_perms(cs1.meta, perms), 0)
    hart.write_cap(instr.rd, Cap(cs1.tag and permitted, cs1.address, meta))


# --- jumps (isa.md §4.4, §5.16, §5.17) ------------------------------------------------------------

def _link(hart: Hart, instr: Instr) -> Cap:
    """PCC at the next instruction; sealed as a backward sentry (5 if MIE else 4) for cra."""
    pcc = hart.pcc
    link = Cap(pcc.tag, (hart.pc + instr.length) & MASK32, pcc.meta)
    if instr.rd == CRA:
        link = link.with_meta(with_otype(link.meta, 5 if hart.mie_enabled else 4))
    return link


def _allowed_target_otypes(cd: int, cs1: int) -> tuple[int, ...]:
    """Target otypes CJALR accepts for this operand combination (isa.md §4.4 table)."""
    if cd == 0:
        return (4, 5) if cs1 == CRA else (0, 1)   # function return / tail call
    return (0, 1, 2, 3) if cd == CRA else (0, 1)  # function call / other call


def cjal(hart: Hart, instr: Instr) -> None:
    """CJAL cd, imm: jump to PC + imm, linking cd (isa.md §5.16).

    Exceptions: none.
    Notes: the target is not bounds-checked (the next fetch is); the link into cra is a
    backward sentry, any other link is unsealed; MIE is unchanged. C.J and C.CJAL land here.
    """
    link = _link(hart, instr)
    hart.write_cap(instr.rd, link)
    hart.next_pc = (hart.pc + instr.imm) & MASK32


def cjalr(hart: Hart, instr: Instr) -> None:
    """CJALR cd, imm(cs1): jump to cs1 (unsealed) at (cs1.address + imm) & ~1 (isa.md §5.17).

    Exceptions:
        1. cs1 untagged -> CHERI(0x02, cs1).
        2. cs1 sealed with imm != 0, or an otype the §4.4 table refuses for this cd/cs1
           pair -> CHERI(0x03, cs1).
        3. cs1 lacks EX -> CHERI(0x11, cs1).

    Notes:
        The link is computed with the old MIE; then sentries 2/4 clear MIE and 3/5 set it. PCC
        becomes cs1 with otype 0, its bounds decoded at cs1's own address. The target is not
        bounds-checked: an out-of-bounds target faults at the next fetch.
    """
    target = hart.read_cap(instr.rs1)
    address = (target.address + instr.imm) & MASK32 & ~1
    what = "on jump through"
    if not target.tag:
        raise cheri_trap(CheriCause.TAG, instr.rs1, what, target)
    if ((target.sealed and instr.imm != 0)
            or target.otype not in _allowed_target_otypes(instr.rd, instr.rs1)):
        raise cheri_trap(CheriCause.SEAL, instr.rs1, what, target)
    if not target.has(Perm.EX):
        raise cheri_trap(CheriCause.PERMIT_EXECUTE, instr.rs1, what, target)
    hart.write_cap(instr.rd, _link(hart, instr))
    hart.set_pcc(target.with_meta(with_otype(target.meta, 0)))
    hart.next_pc = address
    if target.otype in (2, 4):
        hart.set_mie_enabled(False)
    elif target.otype in (3, 5):
        hart.set_mie_enabled(True)


# --- loads and stores (isa.md §5.20 - §5.22, §1.5, §8) --------------------------------------------

def _authorise(auth: Cap, reg: int, address: int, size: int, need: Perm, what: str,
               storing_tag: bool = False) -> None:
    """The data-access checks of §5.20/§5.21/§5.22 in their order (Sail ext_data_get_addr)."""
    if not auth.tag:
        raise cheri_trap(CheriCause.TAG, reg, what, auth)
    if auth.sealed:
        raise cheri_trap(CheriCause.SEAL, reg, what, auth)
    if not auth.has(need):
        cause = CheriCause.PERMIT_LOAD if need == Perm.LD else CheriCause.PERMIT_STORE
        raise cheri_trap(cause, reg, what, auth)
    if storing_tag and not auth.has(Perm.MC):
        raise cheri_trap(CheriCause.PERMIT_STORE_CAPABILITY, reg, what, auth)
    if not auth.in_bounds(address, size):
        raise cheri_trap(CheriCause.BOUNDS, reg, what, auth)


def _update_mshwm(hart: Hart, address: int) -> None:
    """Stack high-water mark (§1.5): a store at mshwmb <= A < mshwm lowers mshwm to A & ~0xF."""
    core = hart.core
    if hart.bus.is_ram(address) and core.mshwmb <= address < core.mshwm:
        core.mshwm = address & ~0xF & MASK32


def load(hart: Hart, instr: Instr) -> None:
    """LB, LH, LW, LBU, LHU rd, imm(cs1): load through capability cs1 (isa.md §5.20).

    Exceptions:
        1. cs1 untagged -> CHERI(0x02, cs1).
        2. cs1 sealed -> CHERI(0x03, cs1).
        3. cs1 lacks LD -> CHERI(0x12, cs1).
        4. [va, va + width) outside cs1's bounds -> CHERI(0x01, cs1).
        5. no memory at va -> load access fault (mcause 5), mtval = va.

    Notes:
        Misaligned accesses are allowed (the Sail simulator's default, §5.20). The result is an
        integer, sign-extended for LB/LH.
    """
    auth = hart.read_cap(instr.rs1)
    va = (auth.address + instr.imm) & MASK32
    _authorise(auth, instr.rs1, va, instr.width, Perm.LD, "on load through")
    try:
        value = hart.bus.load(va, instr.width)
    except AccessFault:
        raise Trap(MCAUSE_LOAD_ACCESS, va, f"load access fault at {va:#010x}", auth) from None
    bits = 8 * instr.width
    if instr.signed and value >> (bits - 1) & 1:
        value -= 1 << bits
    hart.write_int(instr.rd, value & MASK32)


def store(hart: Hart, instr: Instr) -> None:
    """SB, SH, SW rs2, imm(cs1): store x[rs2] through capability cs1 (isa.md §5.20).

    Exceptions:
        1. cs1 untagged -> CHERI(0x02, cs1).
        2. cs1 sealed -> CHERI(0x03, cs1).
        3. cs1 lacks SD -> CHERI(0x13, cs1).
        4. [va, va + width) outside cs1's bounds -> CHERI(0x01, cs1).
        5. no memory at va -> store access fault (mcause 7), mtval = va.

    Notes:
        The bus clears the tag of every granule the store touches (§8.1); a store to RAM
        updates mshwm (§1.5). Misaligned accesses are allowed.
    """
    auth, value = hart.read_cap(instr.rs1), hart.read_x(instr.rs2)
    va = (auth.address + instr.imm) & MASK32
    _authorise(auth, instr.rs1, va, instr.width, Perm.SD, "on store through")
    try:
        hart.bus.store(va, instr.width, value & ((1 << (8 * instr.width)) - 1))
    except AccessFault:
        raise Trap(MCAUSE_STORE_ACCESS, va, f"store access fault at {va:#010x}", auth) from None
    _update_mshwm(hart, va)


def clc(hart: Hart, instr: Instr) -> None:
    """CLC cd, imm(cs1): load a capability through cs1 (isa.md §5.21).

    Exceptions:
        1. cs1 untagged -> CHERI(0x02, cs1).
        2. cs1 sealed -> CHERI(0x03, cs1).
        3. cs1 lacks LD -> CHERI(0x12, cs1).
        4. [va, va + 8) outside cs1's bounds -> CHERI(0x01, cs1).
        5. va not 8-byte aligned -> load address misaligned (mcause 4), mtval = va.
        6. no memory at va -> load access fault (mcause 5), mtval = va.

    Notes:
        Without MC the value loads untagged and unattenuated. Otherwise a tagged value loses GL
        (and LG if unsealed) when cs1 lacks LG, and SD and LM if unsealed when cs1 lacks LM;
        the permissions are re-legalised (§3.3). Finally a tagged non-sealing capability
        (none of SE, US, U0) whose base granule is marked in the revocation bitmap loses its
        tag (the load filter, §8.2).
    """
    auth = hart.read_cap(instr.rs1)
    va = (auth.address + instr.imm) & MASK32
    _authorise(auth, instr.rs1, va, 8, Perm.LD, "on capability load through")
    if va & 7:
        raise Trap(MCAUSE_LOAD_MISALIGNED, va, f"capability load misaligned at {va:#010x}", auth)
    try:
        bits, tag = hart.bus.load_cap(va)
    except AccessFault:
        raise Trap(MCAUSE_LOAD_ACCESS, va, f"load access fault at {va:#010x}", auth) from None
    value = Cap.from_bits(bits, tag and auth.has(Perm.MC))
    if value.tag:
        perms = value.perms
        if not auth.has(Perm.LG):
            perms &= (~Perm.GL) if value.sealed else ~(Perm.GL | Perm.LG)
        if not auth.has(Perm.LM) and not value.sealed:
            perms &= ~(Perm.SD | Perm.LM)
        value = value.with_meta(with_perms(value.meta, perms))
        if not value.perms & SEALING_PERMS and hart.bus.revoked(value.base & ~7):
            value = value.with_tag(False)
    hart.write_cap(instr.rd, value)


def csc(hart: Hart, instr: Instr) -> None:
    """CSC cs2, imm(cs1): store capability cs2 through cs1 (isa.md §5.22).

    Exceptions:
        1. cs1 untagged -> CHERI(0x02, cs1).
        2. cs1 sealed -> CHERI(0x03, cs1).
        3. cs1 lacks SD -> CHERI(0x13, cs1).
        4. cs2 tagged and cs1 lacks MC -> CHERI(0x15, cs1).
        5. [va, va + 8) outside cs1's bounds -> CHERI(0x01, cs1).
        6. va not 8-byte aligned -> store address misaligned (mcause 6), mtval = va.
        7. no memory at va -> store access fault (mcause 7), mtval = va.

    Notes:
        Store-local rule: if cs1 lacks SL and cs2 lacks GL the stored copy is untagged, with no
        trap (0x16 is reserved since ISA 1.0). The granule's tag becomes the stored tag
        (dropped by untagged memory); a store to RAM updates mshwm (§1.5).
    """
    auth, value = hart.read_cap(instr.rs1), hart.read_cap(instr.rs2)
    va = (auth.address + instr.imm) & MASK32
    _authorise(auth, instr.rs1, va, 8, Perm.SD, "on capability store through",
               storing_tag=value.tag)
    if va & 7:
        raise Trap(MCAUSE_STORE_MISALIGNED, va, f"capability store misaligned at {va:#010x}",
                   auth)
    tag = value.tag and (auth.has(Perm.SL) or value.has(Perm.GL))
    try:
        hart.bus.store_cap(va, value.bits, tag)
    except AccessFault:
        raise Trap(MCAUSE_STORE_ACCESS, va, f"store access fault at {va:#010x}", auth) from None
    _update_mshwm(hart, va)


# --- bit manipulation (Zba, Zbb, Zbs, Zbkb, Zbkc, Zbc, Zbkx; results in bitmanip.py) -----------

def bitmanip(hart: Hart, instr: Instr) -> None:
    """SH1ADD ... XPERM8 rd, rs1, rs2 / shamt: an integer result (isa.md §1.1; bitmanip.py).

    Exceptions: none (decode() has already made it illegal on a core without the extension).
    Notes: the result is NULL-derived like every integer result (§1.2): the tag is cleared.
    """
    a = hart.read_x(instr.rs1)
    b = instr.imm if instr.op in _bitmanip.IMMEDIATE else hart.read_x(instr.rs2)
    hart.write_int(instr.rd, _bitmanip.result(instr.op, a, b))


# --- dispatch -------------------------------------------------------------------------------------

Handler = Callable[[Hart, Instr], None]

INSTRUCTIONS: dict[str, Handler] = {
    "cgetperm": cgetperm, "cgettype": cgettype, "cgetbase": cgetbase, "cgetlen": cgetlen,
    "cgettag": cgettag, "cgettop": cgettop, "cgethigh": cgethigh, "cgetaddr": cgetaddr,
    "csethigh": csethigh, "cmove": cmove, "ccleartag": ccleartag, "csub": csub,
    "ctestsubset": ctestsubset, "cseqx": cseqx, "csetequalexact": cseqx,
    "crrl": crrl, "cram": cram,
    "csetaddr": csetaddr, "cincaddr": cincaddr, "cincaddrimm": cincaddrimm,
    "auipcc": auipcc, "auicgp": auicgp,
    "csetbounds": csetbounds, "csetboundsimm": csetboundsimm,
    "csetboundsexact": csetboundsexact, "csetboundsrounddown": csetboundsrounddown,
    "candperm": candperm, "cseal": cseal, "cunseal": cunseal,
    "cjal": cjal, "cjalr": cjalr, "cspecialrw": cspecialrw,
    "lb": load, "lh": load, "lw": load, "lbu": load, "lhu": load,
    "sb": store, "sh": store, "sw": store,
    "clc": clc, "csc": csc,
    "csrrw": csr_instruction, "csrrs": csr_instruction, "csrrc": csr_instruction,
    "csrrwi": csr_instruction, "csrrsi": csr_instruction, "csrrci": csr_instruction,
    "mret": mret, "ecall": ecall, "ebreak": ebreak, "wfi": wfi,
    "fence": fence, "fence.i": fence,
    **dict.fromkeys(_bitmanip.OPERATIONS, bitmanip),
}


def execute(hart: Hart, instr: Instr) -> Outcome:
    """Execute one instruction at ``hart.pc`` (already fetch-checked), or hand it to Unicorn.

    Returns ``NATIVE`` for the native kinds (for NATIVE_INT, ``rd`` is first made
    NULL-derived: Unicorn then overwrites its address); the engine counts those as retired.
    ``DONE``: the instruction completed here and retired (``core.instret`` += 1);
    ``hart.next_pc`` says where to continue. ``WFI``: completed, ``next_pc`` is the next
    instruction; the engine idles and then counts it as retired. Raises ``Trap`` (nothing
    retired, no register written) when the instruction faults.
    """
    kind = instr.kind
    if kind is Kind.NATIVE_INT:
        hart.write_cap(instr.rd, Cap.integer(hart.read_x(instr.rd)))
        return Outcome.NATIVE
    if kind is Kind.NATIVE_OTHER:
        return Outcome.NATIVE
    if kind is Kind.ILLEGAL:
        raise illegal_instruction(instr)
    handler = INSTRUCTIONS.get(instr.op)
    if handler is None:
        raise EngineError(
            f"no semantics for operation {instr.op!r} ({instr.name or instr.op}, "
            f"bits {instr.raw:#x}) at {hart.pc:#010x}: decode() and semantics.INSTRUCTIONS "
            "disagree; add the operation to INSTRUCTIONS or make decode() mark it ILLEGAL")
    hart.next_pc = (hart.pc + instr.length) & MASK32
    handler(hart, instr)
    if handler is wfi:
        return Outcome.WFI  # retired by the engine once it stops idling
    hart.core.instret += 1
    return Outcome.DONE
