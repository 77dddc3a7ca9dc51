"""Unit tests of the reference semantics (core/semantics.py, core/csr.py) against isa.md.

Instructions are built directly as ``Instr`` objects and run on a ``Hart`` over a fresh
``CoreState`` and a ``FakeBus``. Expected values come from isa.md (§9 tables where they exist).
"""

from __future__ import annotations

import re

import pytest

from cheriot_gdbserver.core import csr as csr_module
from cheriot_gdbserver.core import semantics
from cheriot_gdbserver.core.capability import (
    NULL,
    ROOT_EXE,
    ROOT_EXE_META,
    ROOT_MEM,
    ROOT_MEM_META,
    ROOT_SEAL,
    ROOT_SEAL_META,
    Cap,
    Perm,
    set_cap_bounds,
    with_bounds_fields,
    with_otype,
    with_perms,
)
from cheriot_gdbserver.core.decode import Instr, Kind, decode
from cheriot_gdbserver.core.hart import SCR_MEPCC, SCR_MTCC, SCR_MTDC, Hart, Trap
from cheriot_gdbserver.core.semantics import (
    Outcome,
    check_fetch,
    describe_trap,
    execute,
    pending_interrupt,
    take_trap,
)
from cheriot_gdbserver.core.state import CoreState
from cheriot_gdbserver.errors import EngineError
from tests.core.fakes import FakeBus

RAM = 0x8000_0000
PC = 0x8000_0100
RAW = 0x0BAD_C0DE          # recognisable instruction bits for mtval checks
TIME = 0x1_2345_6789       # what the time source reports
CRA, CSP, CGP, CT0, CA0, CA1, CA2 = 1, 2, 3, 5, 10, 11, 12


def ins(op: str, kind: Kind = Kind.EMULATED, length: int = 4, **fields: int) -> Instr:
    return Instr(op=op, kind=kind, length=length, raw=RAW, name=op, **fields)  # type: ignore[arg-type]


def memcap(base: int, length: int, perms: int | None = None, address: int | None = None,
           otype: int = 0, tag: bool = True, root: int = ROOT_MEM_META) -> Cap:
    """A capability for [base, base+length) derived from a root, as CSetBounds would make it."""
    fields, _ = set_cap_bounds(base, length)
    meta = with_bounds_fields(root, fields)
    if perms is not None:
        meta = with_perms(meta, perms)
    return Cap(tag, base if address is None else address, with_otype(meta, otype))


def execcap(base: int, length: int, otype: int = 0, address: int | None = None) -> Cap:
    return memcap(base, length, address=address, otype=otype, root=ROOT_EXE_META)


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus(RAM, 0x1_0000)


@pytest.fixture
def hart(bus: FakeBus) -> Hart:
    h = Hart(CoreState(), bus, lambda: TIME)
    h.reset(PC)
    return h


def trap(hart: Hart, instr: Instr) -> Trap:
    with pytest.raises(Trap) as info:
        execute(hart, instr)
    return info.value


def assert_trap(hart: Hart, instr: Instr, mcause: int, mtval: int) -> Trap:
    before = hart.core.instret
    t = trap(hart, instr)
    assert (t.mcause, t.mtval) == (mcause, mtval)
    assert hart.core.instret == before  # a trapping instruction does not retire
    return t


def drop_sr(hart: Hart) -> None:
    hart.set_pcc(Cap(True, PC, with_perms(ROOT_EXE_META, ROOT_EXE.perms & ~Perm.SR)))


# --- execute: kinds, retirement, dispatch ---------------------------------------------------------

def test_native_int_makes_rd_null_derived_and_leaves_the_value(hart: Hart) -> None:
    hart.write_cap(CA0, memcap(0x80001000, 0x10))
    assert execute(hart, ins("add", Kind.NATIVE_INT, rd=CA0)) is Outcome.NATIVE
    assert hart.read_cap(CA0) == Cap(False, 0x80001000, 0)
    assert hart.core.instret == 0  # the engine counts native instructions


def test_native_other_changes_nothing(hart: Hart) -> None:
    hart.write_cap(CA0, ROOT_MEM)
    assert execute(hart, ins("beq", Kind.NATIVE_OTHER, rs1=CA0)) is Outcome.NATIVE
    assert hart.read_cap(CA0) == ROOT_MEM


def test_illegal_kind_traps_with_instruction_bits(hart: Hart) -> None:
    t = assert_trap(hart, Instr("illegal", Kind.ILLEGAL, 4, RAW, reason="x16 used"), 2, RAW)
    assert t.description == f"illegal instruction {RAW:#x}: x16 used"


def test_unknown_operation_is_an_engine_error(hart: Hart) -> None:
    with pytest.raises(EngineError, match="'frobnicate'"):
        execute(hart, ins("frobnicate"))


@pytest.mark.parametrize("length", [2, 4])
def test_done_retires_and_continues_after_the_instruction(hart: Hart, length: int) -> None:
    assert execute(hart, ins("cmove", length=length, rd=CA0, rs1=CA1)) is Outcome.DONE
    assert (hart.next_pc, hart.core.instret) == (PC + length, 1)


# --- integer results are NULL-derived (§1.2) ------------------------------------------------------

INTEGER_RESULTS = ["cgetperm", "cgettype", "cgetbase", "cgetlen", "cgettag", "cgettop",
                   "cgethigh", "cgetaddr", "csub", "ctestsubset", "cseqx", "crrl", "cram"]


@pytest.mark.parametrize("op", INTEGER_RESULTS)
def test_integer_results_clear_tag_and_metadata(hart: Hart, op: str) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_address(0x1234))
    hart.write_cap(CA0, ROOT_MEM)
    execute(hart, ins(op, rd=CA0, rs1=CA1, rs2=CA1))
    result = hart.read_cap(CA0)
    assert (result.tag, result.meta) == (False, 0)


def test_csr_and_load_results_are_null_derived(hart: Hart, bus: FakeBus) -> None:
    bus.store(0x80001000, 4, 0xCAFEF00D)
    hart.write_cap(CA1, memcap(0x80001000, 0x10))
    hart.write_cap(CA0, ROOT_MEM)
    execute(hart, ins("lw", Kind.LOAD, rd=CA0, rs1=CA1, width=4))
    assert hart.read_cap(CA0) == Cap(False, 0xCAFEF00D, 0)
    hart.write_cap(CA0, ROOT_MEM)
    execute(hart, ins("csrrs", rd=CA0, csr=0x301))
    assert hart.read_cap(CA0) == Cap(False, 0x40001016, 0)  # RV32 E M C + B (Sail)


# --- inspection (§5.3) ----------------------------------------------------------------------------

@pytest.mark.parametrize(("op", "cap", "expected"), [
    ("cgetperm", memcap(0x80001000, 0x10), 0x07F),
    ("cgetperm", ROOT_SEAL, 0xE01),
    ("cgettype", memcap(0x80001000, 0x10, otype=9), 9),
    ("cgettype", ROOT_EXE.with_meta(0x5F408000), 5),
    ("cgetbase", memcap(0x80001000, 0x10, address=0x80001008), 0x80001000),
    ("cgetbase", Cap.integer(0x80001234), 0x80001200),
    ("cgetlen", memcap(0x80001000, 0x10), 0x10),
    ("cgetlen", ROOT_MEM, 0xFFFFFFFF),                     # 2**32 saturates
    ("cgetlen", Cap(False, 0, 0x0000_0100), 0xFFFFFFFF),   # garbage: base > top, mod 2**33
    ("cgettag", ROOT_MEM, 1),
    ("cgettag", ROOT_MEM.with_tag(False), 0),
    ("cgettop", memcap(0x80001000, 0x10), 0x80001010),
    ("cgettop", ROOT_MEM, 0xFFFFFFFF),
    ("cgethigh", memcap(0x80001000, 0x10), 0x7E002000),
    ("cgethigh", Cap.integer(0x1234), 0),
    ("cgetaddr", memcap(0x80001000, 0x10, address=0x80001004), 0x80001004),
])
def test_inspection(hart: Hart, op: str, cap: Cap, expected: int) -> None:
    hart.write_cap(CA1, cap)
    execute(hart, ins(op, rd=CA0, rs1=CA1))
    assert hart.read_x(CA0) == expected


def test_csethigh_replaces_metadata_and_clears_tag(hart: Hart) -> None:
    hart.write_cap(CA1, memcap(0x80001000, 0x10))
    hart.write_int(CA2, 0xDEADBEEF)
    execute(hart, ins("csethigh", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_cap(CA0) == Cap(False, 0x80001000, 0xDEADBEEF)
    execute(hart, ins("cgethigh", rd=CA0, rs1=CA0))
    assert hart.read_x(CA0) == 0xDEADBEEF


def test_cmove_ccleartag_and_cnull(hart: Hart) -> None:
    cap = memcap(0x80001000, 0x10)
    hart.write_cap(CA1, cap)
    execute(hart, ins("cmove", rd=CA0, rs1=CA1))
    assert hart.read_cap(CA0) == cap
    execute(hart, ins("ccleartag", rd=CA0, rs1=CA1))
    assert hart.read_cap(CA0) == cap.with_tag(False)
    execute(hart, ins("cmove", rd=0, rs1=CA1))
    assert hart.read_cap(0) == NULL


def test_csub(hart: Hart) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_address(0x10))
    hart.write_cap(CA2, ROOT_MEM.with_address(0x20))
    execute(hart, ins("csub", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_x(CA0) == 0xFFFFFFF0


@pytest.mark.parametrize(("cs1", "cs2", "expected"), [
    (ROOT_MEM, memcap(0x80001000, 0x10), 1),
    (memcap(0x80001000, 0x10), ROOT_MEM, 0),                          # operand order
    (ROOT_MEM, memcap(0x80001000, 0x10, tag=False), 0),               # tags differ
    (memcap(0x80001000, 0x10).with_tag(False), memcap(0x80001000, 0x10, tag=False), 1),
    (memcap(0x80001000, 0x10, perms=0x06E), memcap(0x80001000, 0x10), 0),  # cs2 has more perms
    (ROOT_MEM, memcap(0x80001000, 0x10, otype=9), 1),                  # otypes are ignored
    (ROOT_EXE, memcap(0x80001000, 0x10), 0),                           # SD, SL not in ROOT_EXE
])
def test_ctestsubset(hart: Hart, cs1: Cap, cs2: Cap, expected: int) -> None:
    hart.write_cap(CA1, cs1)
    hart.write_cap(CA2, cs2)
    execute(hart, ins("ctestsubset", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_x(CA0) == expected


@pytest.mark.parametrize(("cs2", "expected"), [
    (ROOT_MEM.with_address(8), 1),
    (ROOT_MEM.with_address(8).with_tag(False), 0),
    (Cap(True, 8, ROOT_MEM_META | 0x8000_0000), 0),                   # the R bit counts
    (ROOT_MEM.with_address(9), 0),
])
def test_cseqx(hart: Hart, cs2: Cap, expected: int) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_address(8))
    hart.write_cap(CA2, cs2)
    execute(hart, ins("csetequalexact", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_x(CA0) == expected


@pytest.mark.parametrize(("length", "cram", "crrl"), [  # §9.4
    (0x0, 0xFFFFFFFF, 0x0), (0x1FF, 0xFFFFFFFF, 0x1FF), (0x200, 0xFFFFFFFE, 0x200),
    (0x201, 0xFFFFFFFE, 0x202), (0x3FE, 0xFFFFFFFE, 0x3FE), (0x3FF, 0xFFFFFFFC, 0x400),
    (0x1000, 0xFFFFFFF0, 0x1000), (0x1001, 0xFFFFFFF0, 0x1010), (0x12345, 0xFFFFFF00, 0x12400),
    (0x7FC000, 0xFFFFC000, 0x7FC000), (0x7FC001, 0xFF000000, 0x1000000),
    (0xFFFFFFFF, 0xFF000000, 0x0),
])
def test_cram_crrl(hart: Hart, length: int, cram: int, crrl: int) -> None:
    hart.write_int(CA1, length)
    execute(hart, ins("cram", rd=CA0, rs1=CA1))
    execute(hart, ins("crrl", rd=CA2, rs1=CA1))
    assert (hart.read_x(CA0), hart.read_x(CA2)) == (cram, crrl)


# --- address arithmetic (§5.7 - §5.9) -------------------------------------------------------------

OBJECT = memcap(0x80001000, 0x10)  # metadata 0x7E002000, representable up to 0x800011FF


@pytest.mark.parametrize(("address", "tag"), [
    (0x80001010, True),    # one past the end
    (0x800011FF, True),    # last representable address
    (0x80001200, False),   # not representable: bounds would change
    (0x80000FFF, False),   # below the base
])
def test_csetaddr_representability(hart: Hart, address: int, tag: bool) -> None:
    hart.write_cap(CA1, OBJECT)
    hart.write_int(CA2, address)
    execute(hart, ins("csetaddr", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_cap(CA0) == Cap(tag, address, OBJECT.meta)


def test_cincaddr_and_imm(hart: Hart) -> None:
    hart.write_cap(CA1, OBJECT)
    hart.write_int(CA2, 0x1F0)
    execute(hart, ins("cincaddr", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_cap(CA0) == Cap(True, 0x800011F0, OBJECT.meta)
    execute(hart, ins("cincaddrimm", rd=CA0, rs1=CA1, imm=0x200))
    assert hart.read_cap(CA0) == Cap(False, 0x80001200, OBJECT.meta)
    execute(hart, ins("cincaddrimm", rd=CSP, rs1=CA1, imm=-1))
    assert hart.read_cap(CSP) == Cap(False, 0x80000FFF, OBJECT.meta)


@pytest.mark.parametrize("op", ["csetaddr", "cincaddr", "cincaddrimm"])
def test_address_change_of_sealed_cap_clears_tag(hart: Hart, op: str) -> None:
    sealed = memcap(0x80001000, 0x10, otype=9)
    hart.write_cap(CA1, sealed)
    hart.write_int(CA2, 0x80001000)
    execute(hart, ins(op, rd=CA0, rs1=CA1, rs2=CA2, imm=0))
    assert hart.read_cap(CA0).tag is False


def test_auipcc_shifts_by_11(hart: Hart) -> None:
    execute(hart, ins("auipcc", rd=CA0, imm=1 << 11))   # decode() scales: sext(imm20) << 11
    assert hart.read_cap(CA0) == Cap(True, PC + 0x800, ROOT_EXE_META)
    execute(hart, ins("auipcc", rd=CA0, imm=-2 << 11))
    assert hart.read_cap(CA0) == Cap(True, PC - 0x1000, ROOT_EXE_META)


def test_auipcc_unrepresentable_clears_tag(hart: Hart) -> None:
    code = execcap(0x80000000, 0x1000, address=PC)   # e=4: representable below 0x80002000
    hart.set_pcc(code)
    execute(hart, ins("auipcc", rd=CA0, imm=0x1800))
    assert hart.read_cap(CA0) == Cap(True, PC + 0x1800, code.meta)
    execute(hart, ins("auipcc", rd=CA0, imm=0x2000))
    assert hart.read_cap(CA0) == Cap(False, PC + 0x2000, code.meta)


def test_auicgp(hart: Hart) -> None:
    globals_ = memcap(0x80004000, 0x4000)
    hart.write_cap(CGP, globals_)
    execute(hart, ins("auicgp", rd=CA0, rs1=CGP, imm=0x800))
    assert hart.read_cap(CA0) == Cap(True, 0x80004800, globals_.meta)
    hart.write_cap(CGP, memcap(0x80004000, 0x4000, otype=9))
    execute(hart, ins("auicgp", rd=CA0, rs1=CGP, imm=0x800))
    assert hart.read_cap(CA0).tag is False


# --- bounds (§5.10, §9.2, §9.3) -------------------------------------------------------------------

SET_BOUNDS = [  # (base, length, metadata, exact) from §9.2
    (0x80001000, 0x10, 0x7E002000, True),
    (0x80001003, 0x1FF, 0x7E000403, True),
    (0x80001003, 0x200, 0x7E060401, False),
    (0x80000004, 0x1000, 0x7E120200, False),
    (0x80000100, 0x3FF, 0x7E0A8040, False),
    (0x80000FF8, 0x1FF8, 0x7E17007F, False),
    (0x80000000, 0x7FC000, 0x7E3BFE00, True),
    (0x80000000, 0x7FC001, 0x7E3D0280, False),
    (0x20040000, 0x800000, 0x7E3C4220, False),
    (0x00000000, 0xFFFFFFFF, 0x7E3E0000, False),
    (0x00001000, 0x0, 0x7E000000, True),
]


@pytest.mark.parametrize(("base", "length", "meta", "exact"), SET_BOUNDS)
def test_csetbounds_and_exact(hart: Hart, base: int, length: int, meta: int, exact: bool) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_address(base))
    hart.write_int(CA2, length)
    execute(hart, ins("csetbounds", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_cap(CA0) == Cap(True, base, meta)
    execute(hart, ins("csetboundsexact", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_cap(CA0) == Cap(exact, base, meta)


@pytest.mark.parametrize(("base", "length", "meta"), [  # §9.3
    (0x80001000, 0x10, 0x7E002000),
    (0x80001003, 0x1000, 0x7E000403),
    (0x80001000, 0x1234, 0x7E104700),
    (0x80000000, 0x12345678, 0x7E3BFE00),
    (0x80001000, 0x0, 0x7E000000),
])
def test_csetboundsrounddown(hart: Hart, base: int, length: int, meta: int) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_address(base))
    hart.write_int(CA2, length)
    execute(hart, ins("csetboundsrounddown", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_cap(CA0) == Cap(True, base, meta)


def test_csetboundsimm_is_zero_extended(hart: Hart) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_address(0x80001000))
    execute(hart, ins("csetboundsimm", rd=CA0, rs1=CA1, imm=2048))
    result = hart.read_cap(CA0)
    assert (result.tag, result.bounds) == (True, (0x80001000, 0x80001800))


@pytest.mark.parametrize(("source", "length"), [
    (memcap(0x80001000, 0x10), 0x11),                       # past the top
    (memcap(0x80001000, 0x10, address=0x80000FFF), 0x1),    # below the base
    (ROOT_MEM.with_address(0xFFFFFFF0), 0x11),              # past 2**32
    (memcap(0x80001000, 0x10, otype=9), 0x8),               # sealed
    (memcap(0x80001000, 0x10, tag=False), 0x8),             # untagged: propagated
])
def test_csetbounds_failures_clear_tag(hart: Hart, source: Cap, length: int) -> None:
    hart.write_cap(CA1, source)
    hart.write_int(CA2, length)
    for op in ("csetbounds", "csetboundsexact", "csetboundsrounddown"):
        execute(hart, ins(op, rd=CA0, rs1=CA1, rs2=CA2))
        assert hart.read_cap(CA0).tag is False


def test_csetbounds_reads_sources_before_writing(hart: Hart) -> None:
    hart.write_cap(CA0, ROOT_MEM.with_address(0x80001000))
    hart.write_int(CA1, 0x10)
    execute(hart, ins("csetbounds", rd=CA0, rs1=CA0, rs2=CA1))
    assert hart.read_cap(CA0) == Cap(True, 0x80001000, 0x7E002000)


# --- permissions and sealing (§5.11, §5.12, §9.5, §9.7) -------------------------------------------

@pytest.mark.parametrize(("meta", "address", "mask", "result", "tag"), [  # §9.5
    (0x7E3E0000, 0, 0xFFB, 0x6E3E0000, True),
    (0x7E3E0000, 0, 0xFDF, 0x603E0000, True),
    (0x7E3E0000, 0, 0xFFE, 0x3E3E0000, True),
    (0x5E3E0000, 0, 0xF7F, 0x563E0000, True),
    (0x5E3E0000, 0, 0xEFF, 0x6E3E0000, True),
    (0x5E3E0000, 0, 0xFDF, 0x403E0000, True),
    (0x4E3E0000, 0, 0x801, 0x483E0000, True),
    (0x7E402000, 0x80001000, 0xFFE, 0x3E402000, True),
    (0x7E402000, 0x80001000, 0xFFD, 0x7C402000, False),
    (0x5E7E0000, 0, 0xFFE, 0x1E7E0000, True),
])
def test_candperm(hart: Hart, meta: int, address: int, mask: int, result: int,
                  tag: bool) -> None:
    hart.write_cap(CA1, Cap(True, address, meta))
    hart.write_int(CA2, 0xFFFFF000 | mask)  # bits above 11 are ignored
    execute(hart, ins("candperm", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_cap(CA0) == Cap(tag, address, result)


def test_candperm_keeps_untagged_untagged(hart: Hart) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_tag(False))
    hart.write_int(CA2, 0xFFF)
    execute(hart, ins("candperm", rd=CA0, rs1=CA1, rs2=CA2))
    assert hart.read_cap(CA0) == ROOT_MEM.with_tag(False)


def run_seal(hart: Hart, op: str, cs1: Cap, cs2: Cap) -> Cap:
    hart.write_cap(CA1, cs1)
    hart.write_cap(CA2, cs2)
    execute(hart, ins(op, rd=CA0, rs1=CA1, rs2=CA2))
    return hart.read_cap(CA0)


SEALER = ROOT_SEAL.with_address(9)


@pytest.mark.parametrize(("cs1", "cs2", "expected"), [  # §4.2, §9.7
    (OBJECT, SEALER, Cap(True, 0x80001000, 0x7E402000)),
    (OBJECT, ROOT_SEAL.with_address(8), Cap(False, 0x80001000, 0x7E002000)),
    (OBJECT, ROOT_SEAL.with_address(16), Cap(False, 0x80001000, 0x7E002000)),
    (ROOT_EXE, ROOT_SEAL.with_address(1), Cap(True, 0, 0x5E7E0000)),
    (ROOT_EXE, SEALER, Cap(False, 0, 0x5E7E0000)),
    (OBJECT, SEALER.with_tag(False), Cap(False, 0x80001000, 0x7E402000)),
    (OBJECT, Cap(True, 9, with_perms(ROOT_SEAL_META, 0xA01)), Cap(False, 0x80001000, 0x7E402000)),
    (OBJECT, memcap(0, 9, address=9, root=ROOT_SEAL_META), Cap(False, 0x80001000, 0x7E402000)),
    (OBJECT.with_meta(0x7E402000), ROOT_SEAL.with_address(10),
     Cap(False, 0x80001000, 0x7E802000)),                            # already sealed
    (OBJECT, memcap(0, 16, address=9, otype=9, root=ROOT_SEAL_META),
     Cap(False, 0x80001000, 0x7E402000)),                            # sealed authority
])
def test_cseal(hart: Hart, cs1: Cap, cs2: Cap, expected: Cap) -> None:
    assert run_seal(hart, "cseal", cs1, cs2) == expected


UNSEALER = memcap(9, 1, address=0x200, root=ROOT_SEAL_META)  # bounds [9, 10), address unused


@pytest.mark.parametrize(("cs1", "cs2", "expected"), [  # §4.3, §9.7
    (Cap(True, 0x80001000, 0x7E402000), UNSEALER, Cap(True, 0x80001000, 0x7E002000)),
    (Cap(True, 0x80001000, 0x7E402000), UNSEALER.with_meta(UNSEALER.meta & ~(1 << 30)),
     Cap(True, 0x80001000, 0x3E002000)),                             # authority lacks GL
    (Cap(True, 0x80001000, 0x7E402000), UNSEALER.with_meta(with_perms(UNSEALER.meta, 0x401)),
     Cap(False, 0x80001000, 0x7E002000)),                            # no US
    (Cap(True, 0x80001000, 0x7E802000), UNSEALER,
     Cap(False, 0x80001000, 0x7E002000)),                            # otype 10 outside [9, 10)
    (OBJECT, UNSEALER, Cap(False, 0x80001000, 0x7E002000)),          # not sealed
    (Cap(True, 0x80001000, 0x7E402000), UNSEALER.with_tag(False),
     Cap(False, 0x80001000, 0x7E002000)),
])
def test_cunseal(hart: Hart, cs1: Cap, cs2: Cap, expected: Cap) -> None:
    assert run_seal(hart, "cunseal", cs1, cs2) == expected


# --- jumps (§4.4, §5.16, §5.17, §9.8) -------------------------------------------------------------

@pytest.mark.parametrize(("mie", "otype"), [(True, 5), (False, 4)])
def test_cjal_links_backward_sentry_into_cra(hart: Hart, mie: bool, otype: int) -> None:
    hart.set_mie_enabled(mie)
    execute(hart, ins("cjal", rd=CRA, imm=-0x100))
    assert hart.read_cap(CRA) == Cap(True, PC + 4, with_otype(ROOT_EXE_META, otype))
    assert hart.next_pc == PC - 0x100
    assert hart.mie_enabled is mie


def test_cjal_other_links_unsealed_and_compressed_link(hart: Hart) -> None:
    execute(hart, ins("cjal", length=2, rd=CT0, imm=8))
    assert hart.read_cap(CT0) == Cap(True, PC + 2, ROOT_EXE_META)
    execute(hart, ins("cjal", rd=0, imm=0x7FFFF000))  # C.J / j: no link, no bounds check
    assert hart.next_pc == PC + 0x7FFFF000


JALR_PC = 0x20040100
SENTRY = execcap(0x20040000, 0x100, address=0x20040020)


def sentry(otype: int) -> Cap:
    return SENTRY.with_meta(with_otype(SENTRY.meta, otype))


@pytest.mark.parametrize(("rd", "rs1", "imm", "target", "mtval"), [  # §9.8 faults
    (0, CRA, 0, SENTRY, 0x23),                 # cret through an unsealed cra
    (0, CA0, 0, sentry(2), 0x143),             # tail call takes 0/1 only
    (CT0, CA0, 0, sentry(3), 0x143),           # non-cra link takes 0/1 only
    (CRA, CA0, 4, sentry(1), 0x143),           # sealed target with an offset
    (CRA, CA0, 0, memcap(0x80001000, 0x10), 0x151),   # no EX
    (CRA, CA0, 0, SENTRY.with_tag(False), 0x142),     # untagged
    (CRA, CA0, 0, sentry(4), 0x143),           # calls cannot take backward sentries
    (CRA, CA0, 0, sentry(6), 0x143),           # software types are never jump targets
    (CRA, CA0, 0, memcap(0x80001000, 0x10, otype=9), 0x143),  # seal is checked before EX
    (0, 0, 0, NULL, 0x002),                    # cjalr through cnull
])
def test_cjalr_faults(hart: Hart, rd: int, rs1: int, imm: int, target: Cap, mtval: int) -> None:
    hart.reset(JALR_PC)
    hart.set_mie_enabled(True)
    hart.write_cap(rs1, target)
    hart.write_cap(CT0, ROOT_MEM)
    t = assert_trap(hart, ins("cjalr", rd=rd, rs1=rs1, imm=imm), 0x1C, mtval)
    assert t.capability == hart.read_cap(rs1)
    assert hart.read_cap(CT0) == ROOT_MEM and hart.core.pcc_meta == ROOT_EXE_META


@pytest.mark.parametrize(("rd", "rs1", "otype", "link_otype", "mie_after"), [  # §9.8
    (CRA, CA0, 2, 5, False),   # call through a disabling sentry
    (0, CRA, 5, None, True),   # return through an enabling backward sentry
    (0, CRA, 4, None, False),
    (CT0, CA0, 0, 0, True),    # other link: unsealed, MIE unchanged
    (0, CA0, 1, None, True),   # tail call through an inheriting sentry
    (CRA, CA0, 3, 5, True),
])
def test_cjalr_scenarios(hart: Hart, rd: int, rs1: int, otype: int, link_otype: int | None,
                         mie_after: bool) -> None:
    hart.reset(JALR_PC)
    hart.set_mie_enabled(True)
    target = sentry(otype)
    hart.write_cap(rs1, target)
    assert execute(hart, ins("cjalr", rd=rd, rs1=rs1)) is Outcome.DONE
    if link_otype is not None:
        assert hart.read_cap(rd) == Cap(True, JALR_PC + 4, with_otype(ROOT_EXE_META, link_otype))
    assert hart.core.pcc_meta == SENTRY.meta and hart.core.pcc_tag == 1
    assert hart.pcc_bounds == (0x20040000, 0x20040100)
    assert hart.next_pc == 0x20040020
    assert hart.mie_enabled is mie_after


def test_cjalr_clears_bit0_and_uses_old_cra(hart: Hart) -> None:
    target = execcap(0x80000000, 0x1000, address=0x80000041)
    hart.write_cap(CRA, target)
    hart.set_mie_enabled(False)
    execute(hart, ins("cjalr", length=2, rd=CRA, rs1=CRA, imm=0))
    assert hart.next_pc == 0x80000040
    assert hart.read_cap(CRA) == Cap(True, PC + 2, with_otype(ROOT_EXE_META, 4))
    assert hart.pcc_bounds == (0x80000000, 0x80001000)


def test_cjalr_target_not_bounds_checked_until_fetch(hart: Hart) -> None:
    hart.write_cap(CA0, execcap(0x80000000, 0x100))
    execute(hart, ins("cjalr", rd=0, rs1=CA0, imm=0x200))
    hart.pc = hart.next_pc
    with pytest.raises(Trap) as info:
        check_fetch(hart, 2)
    assert (info.value.mcause, info.value.mtval, hart.core.pcc_tag) == (0x1C, 0x401, 0)


# --- instruction fetch (§7.4) ---------------------------------------------------------------------

def test_check_fetch(hart: Hart) -> None:
    hart.set_pcc(execcap(0x80000000, 0x102, address=PC))
    check_fetch(hart, 2)                       # [0x80000100, 0x80000102) is in bounds
    with pytest.raises(Trap) as info:
        check_fetch(hart, 4)                   # the second parcel is not
    assert (info.value.mcause, info.value.mtval) == (0x1C, 0x401)
    assert hart.core.pcc_tag == 0 and info.value.capability is not None
    assert info.value.capability.tag is False
    with pytest.raises(Trap) as info:
        check_fetch(hart, 2)                   # now untagged
    assert (info.value.mtval, info.value.description) == (
        0x402, "CHERI tag violation on instruction fetch through pcc")


# --- special capability registers (§5.19) ---------------------------------------------------------

def test_cspecialrw_reads_and_swaps(hart: Hart) -> None:
    hart.write_cap(CA0, memcap(0x80001000, 0x10))
    execute(hart, ins("cspecialrw", rd=CA0, rs1=CA0, rs2=SCR_MTDC))
    assert hart.read_cap(CA0) == ROOT_MEM
    assert hart.scr[SCR_MTDC] == memcap(0x80001000, 0x10)
    execute(hart, ins("cspecialrw", rd=CA1, rs1=0, rs2=SCR_MTDC))  # cnull: read only
    assert hart.read_cap(CA1) == hart.scr[SCR_MTDC] == memcap(0x80001000, 0x10)


@pytest.mark.parametrize(("scr", "value", "stored"), [
    (SCR_MTCC, execcap(0x80000000, 0x1000, address=0x80000040),
     execcap(0x80000000, 0x1000, address=0x80000040)),
    (SCR_MTCC, execcap(0x80000000, 0x1000, address=0x80000042),
     execcap(0x80000000, 0x1000, address=0x80000040).with_tag(False)),
    (SCR_MTCC, execcap(0x80000000, 0x1000, address=0x80000040, otype=1),
     execcap(0x80000000, 0x1000, address=0x80000040, otype=1).with_tag(False)),
    (SCR_MTCC, memcap(0x80000000, 0x1000), memcap(0x80000000, 0x1000).with_tag(False)),
    (SCR_MEPCC, execcap(0x80000000, 0x1000, address=0x80000042),
     execcap(0x80000000, 0x1000, address=0x80000042)),
    (SCR_MEPCC, execcap(0x80000000, 0x1000, address=0x80000043),
     execcap(0x80000000, 0x1000, address=0x80000042).with_tag(False)),
    (SCR_MEPCC, memcap(0x80000000, 0x1000), memcap(0x80000000, 0x1000).with_tag(False)),
])
def test_cspecialrw_legalises_mtcc_and_mepcc(hart: Hart, scr: int, value: Cap,
                                             stored: Cap) -> None:
    hart.write_cap(CA1, value)
    execute(hart, ins("cspecialrw", rd=0, rs1=CA1, rs2=scr))
    assert hart.scr[scr] == stored


@pytest.mark.parametrize("scr", [0, 1, 27])
def test_cspecialrw_unknown_scr_is_illegal_before_sr_check(hart: Hart, scr: int) -> None:
    drop_sr(hart)
    assert_trap(hart, ins("cspecialrw", rd=CA0, rs2=scr), 2, RAW)


@pytest.mark.parametrize(("scr", "mtval"), [(SCR_MTCC, 0x798), (SCR_MTDC, 0x7B8),
                                            (30, 0x7D8), (SCR_MEPCC, 0x7F8)])
def test_cspecialrw_without_sr(hart: Hart, scr: int, mtval: int) -> None:
    drop_sr(hart)
    hart.write_cap(CA0, ROOT_MEM)
    assert_trap(hart, ins("cspecialrw", rd=CA0, rs1=0, rs2=scr), 0x1C, mtval)
    assert hart.read_cap(CA0) == ROOT_MEM


# --- ordinary loads and stores (§5.20) ------------------------------------------------------------

DATA = memcap(0x80001000, 0x10)


@pytest.mark.parametrize(("op", "width", "signed", "expected"), [
    ("lb", 1, True, 0xFFFFFF80), ("lbu", 1, False, 0x80), ("lh", 2, True, 0xFFFF8180),
    ("lhu", 2, False, 0x8180), ("lw", 4, True, 0x83828180),
])
def test_loads(hart: Hart, bus: FakeBus, op: str, width: int, signed: bool,
               expected: int) -> None:
    bus.store(0x80001004, 4, 0x83828180)
    hart.write_cap(CA1, DATA)
    execute(hart, ins(op, Kind.LOAD, rd=CA0, rs1=CA1, imm=4, width=width, signed=signed))
    assert hart.read_x(CA0) == expected


def test_misaligned_load_is_allowed(hart: Hart, bus: FakeBus) -> None:
    bus.store(0x80001000, 8, 0x0807060504030201)
    hart.write_cap(CA1, DATA)
    execute(hart, ins("lw", Kind.LOAD, rd=CA0, rs1=CA1, imm=3, width=4))
    assert hart.read_x(CA0) == 0x07060504


NO_LD = memcap(0x80001000, 0x10, perms=0x005)   # GL SD
NO_SD = memcap(0x80001000, 0x10, perms=0x06B)   # read-only


@pytest.mark.parametrize(("auth", "imm", "mtval"), [
    (DATA.with_tag(False), 0, 0x162),
    (DATA.with_tag(False).with_address(0x80002000), 0, 0x162),   # tag beats bounds
    (memcap(0x80001000, 0x10, otype=9), 0, 0x163),
    (NO_LD, 0, 0x172),
    (DATA, 0xD, 0x161),                                           # va + 4 > top
    (DATA, -1, 0x161),
])
def test_load_faults(hart: Hart, auth: Cap, imm: int, mtval: int) -> None:
    hart.write_cap(CA1, auth)
    t = assert_trap(hart, ins("lw", Kind.LOAD, rd=CA0, rs1=CA1, imm=imm, width=4), 0x1C, mtval)
    assert t.capability == auth


def test_load_fault_description(hart: Hart) -> None:
    hart.write_cap(CA1, DATA)
    t = trap(hart, ins("lw", Kind.LOAD, rd=CA0, rs1=CA1, imm=0x10, width=4))
    assert t.description == "CHERI bounds violation on load through ca1"


def test_load_access_fault(hart: Hart) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_address(0x1000))
    assert_trap(hart, ins("lw", Kind.LOAD, rd=CA0, rs1=CA1, imm=4, width=4), 5, 0x1004)


@pytest.mark.parametrize(("op", "width", "stored"), [
    ("sb", 1, 0xEF), ("sh", 2, 0xBEEF), ("sw", 4, 0xDEADBEEF)])
def test_stores(hart: Hart, bus: FakeBus, op: str, width: int, stored: int) -> None:
    bus.put_cap(0x80001000, ROOT_MEM)
    hart.write_cap(CA1, DATA)
    hart.write_int(CA2, 0xDEADBEEF)
    execute(hart, ins(op, Kind.STORE, rs1=CA1, rs2=CA2, imm=4, width=width))
    assert bus.load(0x80001004, width) == stored
    assert bus.tag_at(0x80001000) is False


def test_straddling_store_clears_two_tags(hart: Hart, bus: FakeBus) -> None:
    bus.put_cap(0x80001000, ROOT_MEM)
    bus.put_cap(0x80001008, ROOT_MEM)
    hart.write_cap(CA1, DATA)
    execute(hart, ins("sw", Kind.STORE, rs1=CA1, rs2=CA2, imm=6, width=4))
    assert (bus.tag_at(0x80001000), bus.tag_at(0x80001008)) == (False, False)


@pytest.mark.parametrize(("auth", "imm", "mtval"), [
    (DATA.with_tag(False), 0, 0x162),
    (memcap(0x80001000, 0x10, otype=9), 0, 0x163),
    (NO_SD, 0, 0x173),
    (DATA, 0xE, 0x161),
])
def test_store_faults(hart: Hart, bus: FakeBus, auth: Cap, imm: int, mtval: int) -> None:
    hart.write_cap(CA1, auth)
    assert_trap(hart, ins("sh", Kind.STORE, rs1=CA1, rs2=CA2, imm=imm, width=4), 0x1C, mtval)
    assert bus.load(0x80001000, 8) == 0


def test_store_access_fault(hart: Hart) -> None:
    hart.write_cap(CA1, ROOT_MEM.with_address(0x1000))
    assert_trap(hart, ins("sw", Kind.STORE, rs1=CA1, rs2=CA2, imm=-4, width=4), 7, 0xFFC)


@pytest.mark.parametrize(("address", "mshwm"), [
    (0x80001FF4, 0x80001FF0),   # inside [mshwmb, mshwm): lowered to a multiple of 16
    (0x80001000, 0x80001000),   # at mshwmb
    (0x80000FFC, 0x80002000),   # below mshwmb: unchanged
    (0x80002000, 0x80002000),   # at mshwm: unchanged
])
def test_store_updates_mshwm(hart: Hart, address: int, mshwm: int) -> None:
    hart.core.mshwmb, hart.core.mshwm = 0x80001000, 0x80002000
    hart.write_cap(CA1, ROOT_MEM.with_address(address))
    execute(hart, ins("sw", Kind.STORE, rs1=CA1, rs2=CA2, width=4))
    assert hart.core.mshwm == mshwm


# --- CLC (§5.21, §9.6, §8.2) ----------------------------------------------------------------------

GRANULE_AT = 0x80002000
LOADED = Cap(True, 0x80001000, 0x7E002000)
LOADED_SEALED = Cap(True, 0x80001000, 0x7E402000)


def clc(hart: Hart, bus: FakeBus, stored: Cap, auth_perms: int) -> Cap:
    bus.put_cap(GRANULE_AT, stored)
    hart.write_cap(CSP, memcap(GRANULE_AT, 0x100, perms=auth_perms))
    execute(hart, ins("clc", rd=CA0, rs1=CSP, width=8))
    return hart.read_cap(CA0)


@pytest.mark.parametrize(("auth", "unsealed", "sealed"), [  # §9.6
    (Perm.LD | Perm.MC | Perm.LG | Perm.LM, LOADED, LOADED_SEALED),
    (Perm.LD | Perm.MC | Perm.LM, Cap(True, 0x80001000, 0x3C002000),
     Cap(True, 0x80001000, 0x3E402000)),
    (Perm.LD | Perm.MC | Perm.LG, Cap(True, 0x80001000, 0x6A002000), LOADED_SEALED),
    (Perm.LD | Perm.MC, Cap(True, 0x80001000, 0x28002000), Cap(True, 0x80001000, 0x3E402000)),
    (Perm.LD, LOADED.with_tag(False), LOADED_SEALED.with_tag(False)),
])
def test_clc_attenuation(hart: Hart, bus: FakeBus, auth: int, unsealed: Cap,
                         sealed: Cap) -> None:
    assert clc(hart, bus, LOADED, auth) == unsealed
    assert clc(hart, bus, LOADED_SEALED, auth) == sealed


def test_clc_untagged_granule_and_offset(hart: Hart, bus: FakeBus) -> None:
    bus.put_cap(GRANULE_AT + 8, LOADED.with_tag(False))
    hart.write_cap(CSP, memcap(GRANULE_AT, 0x100))
    execute(hart, ins("clc", rd=CA0, rs1=CSP, imm=8, width=8))
    assert hart.read_cap(CA0) == LOADED.with_tag(False)
    assert bus.revocation_queries == []


def test_clc_load_filter_uses_the_base(hart: Hart, bus: FakeBus) -> None:
    value = memcap(0x80001043, 0x20, address=0x80001050)
    bus.revoked_granules = {0x80001040}
    assert clc(hart, bus, value, 0x7F) == value.with_tag(False)
    assert bus.revocation_queries == [0x80001040]
    bus.revoked_granules = {0x80001050}
    assert clc(hart, bus, value, 0x7F) == value


def test_clc_load_filter_exempts_sealing_caps(hart: Hart, bus: FakeBus) -> None:
    bus.revoked_granules = {0}
    assert clc(hart, bus, ROOT_SEAL, 0x7F) == ROOT_SEAL
    assert clc(hart, bus, ROOT_MEM, 0x7F) == ROOT_MEM.with_tag(False)


@pytest.mark.parametrize(("auth", "imm", "mcause", "mtval"), [
    (memcap(GRANULE_AT, 0x10, tag=False), 0, 0x1C, 0x042),
    (memcap(GRANULE_AT, 0x10, otype=9), 0, 0x1C, 0x043),
    (memcap(GRANULE_AT, 0x10, perms=0x044), 0, 0x1C, 0x052),    # write-only
    (memcap(GRANULE_AT, 0x10), 0x9, 0x1C, 0x041),               # bounds beat alignment
    (memcap(GRANULE_AT, 0x10), 0x4, 4, GRANULE_AT + 4),
    (ROOT_MEM.with_address(0x1000), 0, 5, 0x1000),
])
def test_clc_faults(hart: Hart, auth: Cap, imm: int, mcause: int, mtval: int) -> None:
    hart.write_cap(CSP, auth)
    hart.write_cap(CA0, ROOT_MEM)
    assert_trap(hart, ins("clc", rd=CA0, rs1=CSP, imm=imm, width=8), mcause, mtval)
    assert hart.read_cap(CA0) == ROOT_MEM


# --- CSC (§5.22) ----------------------------------------------------------------------------------

def test_csc_stores_bits_and_tag(hart: Hart, bus: FakeBus) -> None:
    hart.core.mshwmb, hart.core.mshwm = RAM, 0x80003000
    hart.write_cap(CSP, memcap(GRANULE_AT, 0x100))
    hart.write_cap(CA0, LOADED)
    execute(hart, ins("csc", rs1=CSP, rs2=CA0, imm=0x18, width=8))
    assert bus.get_cap(GRANULE_AT + 0x18) == LOADED
    assert hart.core.mshwm == GRANULE_AT + 0x10


@pytest.mark.parametrize(("auth_perms", "value", "tag"), [
    (0x06E, LOADED.with_meta(0x3E002000), False),   # no SL, value local: stored untagged
    (0x06E, LOADED, True),                          # no SL, value global
    (0x07E, LOADED.with_meta(0x3E002000), True),    # SL: local values keep their tag
    (0x004, LOADED.with_tag(False), False),         # untagged data through a data-only cap
])
def test_csc_store_local_rule(hart: Hart, bus: FakeBus, auth_perms: int, value: Cap,
                              tag: bool) -> None:
    hart.write_cap(CSP, memcap(GRANULE_AT, 0x100, perms=auth_perms))
    hart.write_cap(CA0, value)
    execute(hart, ins("csc", rs1=CSP, rs2=CA0, width=8))
    assert bus.get_cap(GRANULE_AT) == value.with_tag(tag)


@pytest.mark.parametrize(("auth", "imm", "mcause", "mtval"), [
    (memcap(GRANULE_AT, 0x10, tag=False), 0, 0x1C, 0x042),
    (memcap(GRANULE_AT, 0x10, otype=9), 0, 0x1C, 0x043),
    (memcap(GRANULE_AT, 0x10, perms=0x06B), 0, 0x1C, 0x053),
    (memcap(GRANULE_AT, 0x10, perms=0x005), 0, 0x1C, 0x055),    # tagged value, no MC
    (memcap(GRANULE_AT, 0x10), 0xC, 0x1C, 0x041),               # bounds beat alignment
    (memcap(GRANULE_AT, 0x10), 0x4, 6, GRANULE_AT + 4),
    (ROOT_MEM.with_address(0x1000), 0, 7, 0x1000),
])
def test_csc_faults(hart: Hart, bus: FakeBus, auth: Cap, imm: int, mcause: int,
                    mtval: int) -> None:
    hart.write_cap(CSP, auth)
    hart.write_cap(CA0, LOADED)
    assert_trap(hart, ins("csc", rs1=CSP, rs2=CA0, imm=imm, width=8), mcause, mtval)
    assert bus.get_cap(GRANULE_AT) == NULL


# --- CSRs (§1.5) ----------------------------------------------------------------------------------

def csr(hart: Hart, op: str, number: int, rs1: int = 0, imm: int = 0) -> int:
    execute(hart, ins(op, rd=CA0, rs1=rs1, imm=imm, csr=number))
    return hart.read_x(CA0)


@pytest.mark.parametrize(("number", "expected"), [
    (0x300, 0x1800), (0x301, 0x40001016), (0x304, 0), (0x305, 0), (0x340, 0), (0x341, 0),
    (0x342, 0), (0x343, 0), (0x344, 0), (0xBC0, 3), (0xBC1, 0), (0xBC2, 0),
    (0xC01, 0x23456789), (0xC81, 1), (0xF11, 0), (0xF12, 0), (0xF13, 0), (0xF14, 0),
])
def test_csr_reset_reads(hart: Hart, number: int, expected: int) -> None:
    assert csr(hart, "csrrs", number) == expected


@pytest.mark.parametrize("number", [0xB00, 0xB02, 0xC00, 0xC02])
def test_counters_read_instret(hart: Hart, number: int) -> None:
    hart.core.instret = 0x1_0000_0005
    assert csr(hart, "csrrs", number) == 5
    assert csr(hart, "csrrs", number + 0x80) == 1


@pytest.mark.parametrize(("number", "write", "read"), [
    (0x300, 0xFFFFFFFF, 0x1888),          # only MIE, MPIE; MPP stays M
    (0x301, 0, 0x40001016),               # misa: WARL; B with Zba Zbb Zbs (Sail)
    (0x304, 0xFFFFFFFF, 0x888),           # MSIE, MTIE, MEIE
    (0x340, 0x12345678, 0x12345678),
    (0x342, 0x8000000B, 0x8000000B),
    (0x343, 0xCAFE, 0xCAFE),
    (0x344, 0xFFFFFFFF, 0),               # mip: read-only here
    (0xBC0, 0, 3),
    (0xBC1, 0x80001237, 0x80001230),
    (0xBC2, 0x8000123F, 0x80001230),
    (0xB00, 0x1234, 1),                   # write ignored; the csrrw itself retired
])
def test_csr_writes(hart: Hart, number: int, write: int, read: int) -> None:
    hart.write_int(CA1, write)
    csr(hart, "csrrw", number, rs1=CA1)
    assert csr(hart, "csrrs", number) == read


def test_mtvec_and_mepc_read_scr_addresses(hart: Hart) -> None:
    hart.scr[SCR_MTCC] = ROOT_EXE.with_address(0x80000040)
    hart.scr[SCR_MEPCC] = ROOT_EXE.with_address(0x80000122)
    assert (csr(hart, "csrrs", 0x305), csr(hart, "csrrs", 0x341)) == (0x80000040, 0x80000122)


def test_csrrs_csrrc_and_immediates(hart: Hart) -> None:
    hart.write_int(CA1, 0x8)
    assert csr(hart, "csrrs", 0x340, rs1=CA1) == 0
    assert csr(hart, "csrrsi", 0x340, imm=0x3) == 0x8
    assert csr(hart, "csrrci", 0x340, imm=0x9) == 0xB
    assert csr(hart, "csrrwi", 0x340, imm=0x1F) == 0x2
    assert csr(hart, "csrrc", 0x340, rs1=CA1) == 0x1F
    assert csr(hart, "csrrs", 0x340) == 0x17


def test_csrrw_reads_source_before_writing_rd(hart: Hart) -> None:
    hart.write_int(CA0, 0x55)
    execute(hart, ins("csrrw", rd=CA0, rs1=CA0, csr=0x340))
    assert (hart.read_x(CA0), hart.mscratch) == (0, 0x55)


@pytest.mark.parametrize(("op", "number", "rs1", "imm"), [
    ("csrrs", 0x7C0, 0, 0),      # unknown
    ("csrrs", 0x8C0, 0, 0),      # uccsr: no U-mode
    ("csrrs", 0x9C0, 0, 0),      # sccsr: no S-mode
    ("csrrw", 0xC00, 0, 0),      # cycle is read-only, even writing x0
    ("csrrsi", 0xF14, 0, 1),
    ("csrrw", 0x305, CA1, 0),    # mtvec
    ("csrrc", 0x341, CA1, 0),    # mepc
])
def test_illegal_csr_accesses(hart: Hart, op: str, number: int, rs1: int, imm: int) -> None:
    drop_sr(hart)                # illegal is checked before SR
    hart.write_int(CA1, 1)
    assert_trap(hart, ins(op, rd=CA0, rs1=rs1, imm=imm, csr=number), 2, RAW)


@pytest.mark.parametrize("number", [0xC00, 0xC01, 0xC02, 0xC80, 0xC81, 0xC82,
                                    0xB00, 0xB02, 0xB80, 0xB82])
def test_counter_reads_need_no_sr(hart: Hart, number: int) -> None:
    drop_sr(hart)
    hart.core.instret = 0x2_0000_0003
    low, high = (0x23456789, 1) if number & 0x7F == 1 else (3, 2)
    assert csr(hart, "csrrs", number) == (high if number & 0x80 else low)


@pytest.mark.parametrize(("op", "number", "rs1"), [
    ("csrrs", 0x300, 0), ("csrrs", 0xBC1, 0), ("csrrs", 0xBC2, 0), ("csrrs", 0xBC0, 0),
    ("csrrw", 0xB00, 0), ("csrrs", 0xB02, CA1), ("csrrs", 0xF14, 0),
])
def test_csr_without_sr(hart: Hart, op: str, number: int, rs1: int) -> None:
    drop_sr(hart)
    t = assert_trap(hart, ins(op, rd=CA0, rs1=rs1, csr=number), 0x1C, 0x418)
    assert t.capability == hart.pcc


# --- MRET, ECALL, EBREAK, WFI (§5.18, §7.5) -------------------------------------------------------

def test_mret(hart: Hart) -> None:
    hart.core.mstatus = 0x1880  # MPIE set, MIE clear
    hart.scr[SCR_MEPCC] = execcap(0x80000000, 0x1000, address=0x80000200)
    assert execute(hart, ins("mret")) is Outcome.DONE
    assert (hart.next_pc, hart.core.mstatus) == (0x80000200, 0x1888)
    assert hart.core.pcc_meta == hart.scr[SCR_MEPCC].meta
    assert hart.pcc_bounds == (0x80000000, 0x80001000)


def test_mret_without_sr_and_with_untagged_mepcc(hart: Hart) -> None:
    drop_sr(hart)
    assert_trap(hart, ins("mret"), 0x1C, 0x418)
    hart.set_pcc(ROOT_EXE.with_address(PC))
    hart.scr[SCR_MEPCC] = ROOT_EXE.with_address(0x80000200).with_tag(False)
    execute(hart, ins("mret"))
    hart.pc = hart.next_pc
    with pytest.raises(Trap) as info:
        check_fetch(hart, 4)
    assert info.value.mtval == 0x402


def test_fence_has_no_effect(hart: Hart) -> None:
    hart.write_cap(CA0, ROOT_MEM)
    assert execute(hart, ins("fence.i", rd=CA0)) is Outcome.DONE
    assert (hart.read_cap(CA0), hart.next_pc) == (ROOT_MEM, PC + 4)


def test_ecall_ebreak_wfi(hart: Hart) -> None:
    assert_trap(hart, ins("ecall"), 11, 0)
    assert_trap(hart, ins("ebreak"), 3, PC)
    assert execute(hart, ins("wfi")) is Outcome.WFI
    assert (hart.next_pc, hart.core.instret) == (PC + 4, 0)  # the engine retires it


# --- trap entry and interrupts (§7.5, §7.6) -------------------------------------------------------

def test_take_trap(hart: Hart) -> None:
    hart.core.mstatus = 0x1808
    hart.scr[SCR_MTCC] = execcap(0x80000000, 0x1000, address=0x80000040)
    take_trap(hart, 0x1C, 0x162, PC)
    assert (hart.mcause, hart.mtval, hart.core.mstatus) == (0x1C, 0x162, 0x1880)
    assert hart.scr[SCR_MEPCC] == ROOT_EXE.with_address(PC)
    assert hart.core.pcc_meta == hart.scr[SCR_MTCC].meta and hart.next_pc == 0x80000040
    take_trap(hart, (1 << 31) | 7, 0, 0x80000040)
    assert (hart.mcause, hart.core.mstatus) == (0x80000007, 0x1800)


def test_take_trap_after_fetch_fault_saves_untagged_pcc(hart: Hart) -> None:
    hart.set_pcc(execcap(0x80000000, 0x100, address=PC))
    with pytest.raises(Trap) as info:
        check_fetch(hart, 2)
    take_trap(hart, info.value.mcause, info.value.mtval, PC)
    assert hart.scr[SCR_MEPCC] == execcap(0x80000000, 0x100, address=PC).with_tag(False)


@pytest.mark.parametrize(("mie", "mip", "enabled", "expected"), [
    (0x888, 0x888, True, 11), (0x888, 0x088, True, 3), (0x888, 0x080, True, 7),
    (0x080, 0x808, True, None), (0x888, 0x888, False, None), (0x888, 0, True, None),
])
def test_pending_interrupt(hart: Hart, mie: int, mip: int, enabled: bool,
                           expected: int | None) -> None:
    hart.mie, hart.mip = mie, mip
    hart.set_mie_enabled(enabled)
    assert pending_interrupt(hart) == expected


@pytest.mark.parametrize(("mcause", "mtval", "words"), [
    (0x1C, 0x162, "CHERI tag violation on ca1"),
    (0x1C, 0x401, "CHERI bounds violation on pcc"),
    (0x1C, 0x7B8, "CHERI permit-access-system-registers violation on mtdc"),
    (0x1C, 0x055, "CHERI permit-store-capability violation on csp"),
    (0x1C, 0x016, "CHERI exception code 0x16 on cnull"),
    (2, 0x5B, "illegal instruction 0x5b"),
    (3, 0x80000100, "breakpoint at 0x80000100"),
    (5, 0x1000, "load access fault at 0x00001000"),
    (6, 0x80002004, "store address misaligned at 0x80002004"),
    (11, 0, "environment call from M-mode"),
    ((1 << 31) | 7, 0, "machine timer interrupt"),
    ((1 << 31) | 11, 0, "machine external interrupt"),
])
def test_describe_trap(mcause: int, mtval: int, words: str) -> None:
    assert describe_trap(mcause, mtval) == words


# --- the docstrings are specifications (aesthetics §7 habit 6) ------------------------------------

@pytest.mark.parametrize("op", sorted(semantics.INSTRUCTIONS))
def test_every_instruction_has_a_spec_shaped_docstring(op: str) -> None:
    doc = semantics.INSTRUCTIONS[op].__doc__ or ""
    assert re.search(r"isa\.md §\d", doc), op
    assert "Exceptions:" in doc and "Notes:" in doc, op
    assert doc.index("Exceptions:") < doc.index("Notes:"), op


def test_check_fetch_and_csr_docstrings() -> None:
    for function in (check_fetch, csr_module.csr_instruction):
        doc = function.__doc__ or ""
        assert "Exceptions:" in doc and "Notes:" in doc


# --- agreement with decode() ---------------------------------------------------------------------

def test_every_operation_decode_emits_has_semantics() -> None:
    words = [(f7 << 25) | (rs2 << 20) | (11 << 15) | (f3 << 12) | (10 << 7) | 0x5B
             for f7 in range(128) for rs2 in range(32) for f3 in range(3)]
    words += [0x73, 0x00100073, 0x30200073, 0x10500073, 0x34029073, 0x3400D073,
              0x00813503, 0x00A13423, 0x0045A503, 0x00001517, 0x0000157B, 0x010000EF,
              0x000500E7]
    ops = {decode(w).op for w in words
           if decode(w).kind in (Kind.EMULATED, Kind.LOAD, Kind.STORE)}
    assert ops - set(semantics.INSTRUCTIONS) == set()
    assert {"cjal", "cjalr", "mret", "wfi", "ecall", "ebreak", "csrrwi", "clc", "csc", "lw",
            "auipcc", "auicgp", "cspecialrw", "csetboundsrounddown", "cgettop"} <= ops


@pytest.mark.parametrize(("word", "register", "expected"), [  # §9.10 words, decoded
    (0x00001517, CA0, Cap(True, PC + 0x800, ROOT_EXE_META)),         # auipcc ca0, 1
    (0x0000157B, CA0, Cap(True, 0x80004800, ROOT_MEM_META)),         # auicgp ca0, 1
    (0x0105255B, CA0, Cap(True, 0x80004000, 0x7E002000)),            # csetboundsimm ca0, ca0, 16
    (0xFF01115B, CSP, Cap(True, 0x80003FF0, ROOT_MEM_META)),         # cincaddrimm csp, csp, -16
    (0x00813503, CA0, ROOT_SEAL),                                    # clc ca0, 8(csp)
])
def test_decoded_instructions(hart: Hart, bus: FakeBus, word: int, register: int,
                              expected: Cap) -> None:
    hart.write_cap(CGP, ROOT_MEM.with_address(0x80004000))
    hart.write_cap(CA0, ROOT_MEM.with_address(0x80004000))
    hart.write_cap(CSP, ROOT_MEM.with_address(0x80004000))
    bus.put_cap(0x80004008, ROOT_SEAL)
    execute(hart, decode(word))
    assert hart.read_cap(register) == expected
