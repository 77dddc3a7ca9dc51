"""gdbstub/tdesc.py and gdbstub/cheriot_registers.py: the register table, target.xml, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheriot_gdbserver.core.capability import ROOT_EXE, Cap
from cheriot_gdbserver.core.stops import TrapInfo
from cheriot_gdbserver.gdbstub import cheriot_registers as cr
from cheriot_gdbserver.gdbstub.tdesc import (
    BitField,
    EnumType,
    Feature,
    FlagsType,
    RegisterSpec,
    RegisterTable,
    StructType,
    TdescError,
    target_xml,
)

from .fakes import FakeRegisters

GOLDEN = Path(__file__).parent / "data" / "cheriot_target.xml"


def test_cheriot_target_xml_matches_the_golden_file() -> None:
    """The file gdb 13 was shown to accept (test_gdb_e2e.py); regenerate it deliberately."""
    assert target_xml(cr.build_register_table()) == GOLDEN.read_text()


def test_cheriot_table_layout() -> None:
    table = cr.build_register_table()
    assert [r.name for r in table.g_block] == [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
        "a0", "a1", "a2", "a3", "a4", "a5", "pc"]
    assert [r.regnum for r in table.g_block] == [*range(16), 32]
    assert [r.name for r in table.expedited] == ["ra", "sp", "s0", "pc"]
    caps = {r.name: r.regnum for r in table.registers if r.group == "cheri"}
    assert caps == {
        "cra": 0x2001, "csp": 0x2002, "cgp": 0x2003, "ctp": 0x2004, "ct0": 0x2005,
        "ct1": 0x2006, "ct2": 0x2007, "cs0": 0x2008, "cs1": 0x2009, "ca0": 0x200A,
        "ca1": 0x200B, "ca2": 0x200C, "ca3": 0x200D, "ca4": 0x200E, "ca5": 0x200F,
        "pcc": 0x2020, "mtcc": 0x203C, "mtdc": 0x203D, "mscratchc": 0x203E, "mepcc": 0x203F}
    assert table.by_regnum(65 + 0x342).name == "mcause"
    assert cr.CAP_BYTES == 28
    assert all(r.bitsize == 224 for r in table.registers if r.group == "cheri")


def test_perms_flags_use_the_architectural_bit_positions() -> None:
    assert [(f.name, f.start) for f in cr.PERMS_TYPE.fields] == [
        ("GL", 0), ("LG", 1), ("SD", 2), ("LM", 3), ("SL", 4), ("LD", 5), ("MC", 6),
        ("SR", 7), ("EX", 8), ("US", 9), ("SE", 10), ("U0", 11)]
    assert cr.OTYPE_TYPE.values == (
        ("unsealed", 0), ("sentry", 1), ("sentry_disable_irq", 2), ("sentry_enable_irq", 3),
        ("return_sentry_disable_irq", 4), ("return_sentry_enable_irq", 5))


def test_capability_encoding() -> None:
    cap = ROOT_EXE.with_address(0x8000_0040)
    data = cr.encode_capability(cr.capability_fields(cap))
    assert data.hex() == ("40000080" "00000000" "0000000001000000" "0000000001000000"
                          "eb01" "00" "01")
    assert cr.decode_capability(data) == cr.CapFields(
        0x8000_0040, 0, 1 << 32, 1 << 32, 0x1EB, 0, True)


def test_register_file_reads_and_skips_unchanged_writes() -> None:
    regs = FakeRegisters()
    rf = cr.CheriotRegisterFile(regs)
    assert rf.read_register(2) == bytes.fromhex("f0100080")
    assert rf.read_register(32) == bytes.fromhex("00000080")
    assert rf.read_register(65 + 0x300) == bytes.fromhex("00180000")
    rf.write_register(0x2002, rf.read_register(0x2002))  # unchanged: not passed on
    rf.write_register(2, rf.read_register(2))
    assert regs.writes == []
    rf.write_register(32, bytes.fromhex("10000080"))
    rf.write_register(65 + 0x300, bytes.fromhex("08000000"))
    assert regs.writes == [("pc", 0x8000_0010), ("mstatus", 8)]
    cleared = cr.capability_fields(regs.caps["csp"])
    rf.write_register(0x2002, cr.encode_capability(
        cr.CapFields(cleared.address, cleared.base, cleared.top, cleared.length,
                     cleared.perms, cleared.otype, False)))
    assert regs.caps["csp"] == Cap(False, regs.caps["csp"].address, regs.caps["csp"].meta)


@pytest.mark.parametrize(("mcause", "interrupt", "signal"), [
    (0x1C, False, 11), (1, False, 11), (5, False, 11), (7, False, 11),
    (2, False, 4), (3, False, 5), (0, False, 10), (4, False, 10), (6, False, 10),
    (11, False, 5), (0x8000_0007, True, 5),
])
def test_exception_signal(mcause: int, interrupt: bool, signal: int) -> None:
    trap = TrapInfo(mcause=mcause, mtval=0, pc=0, interrupt=interrupt, description="")
    assert cr.exception_signal(trap) == signal


# --- generic table validation ---------------------------------------------------------------------

CPU = Feature("cpu")


def table(*regs: RegisterSpec, features: tuple[Feature, ...] = (CPU,)) -> RegisterTable:
    return RegisterTable("arch", features, regs)


def test_validation_errors() -> None:
    r0 = RegisterSpec("r0", 32, "int", 0, "cpu", in_g_packet=True)
    cases = [
        ((r0, RegisterSpec("r0", 32, "int", 1, "cpu")), "register name 'r0' appears twice"),
        ((r0, RegisterSpec("r1", 32, "int", 0, "cpu")), "register number 0 (r1) appears twice"),
        ((RegisterSpec("r1", 32, "int", 1, "other"),),
         "register r1: feature 'other' is not declared"),
        ((RegisterSpec("r1", 12, "int", 1, "cpu"),), "register r1: bitsize 12 is not whole bytes"),
        ((RegisterSpec("r1", 32, "word", 1, "cpu"),),
         "feature cpu: type 'word' is neither predefined nor declared in the feature"),
        ((RegisterSpec("r1", 64, "uint32", 1, "cpu"),),
         "register r1: bitsize 64 but type uint32 is 32 bits"),
        ((RegisterSpec("r1", 32, "int", 1, "cpu", in_g_packet=True),
          RegisterSpec("r0", 32, "int", 0, "cpu")),
         "the g block must be the registers with the lowest numbers: gdb lays out g by "
         "increasing register number"),
    ]
    for regs, message in cases:
        with pytest.raises(TdescError) as info:
            table(*regs)
        assert str(info.value) == message


def test_generic_types_and_xml() -> None:
    flags = FlagsType("fl", 1, (BitField("A", 0, 0), BitField("B", 3, 4)))
    enum = EnumType("en", 1, (("x", 0), ("y", 7)))
    struct = StructType("st", (("p", "data_ptr"), ("f", "fl"), ("e", "en"), ("w", "uint64")))
    feat = Feature("ext", (flags, enum, struct))
    t = table(RegisterSpec("r0", 32, "int", 0, "cpu", in_g_packet=True),
              RegisterSpec("s", 112, "st", 0x100, "ext", group="grp"),
              features=(CPU, feat))
    assert t.type_size(feat, "st") == 14
    assert target_xml(t) == (
        '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'
        '<target version="1.0">\n'
        '  <architecture>arch</architecture>\n'
        '  <feature name="cpu">\n'
        '    <reg name="r0" bitsize="32" type="int" regnum="0" />\n'
        '  </feature>\n'
        '  <feature name="ext">\n'
        '    <flags id="fl" size="1">\n'
        '      <field name="A" start="0" end="0" />\n'
        '      <field name="B" start="3" end="4" />\n'
        '    </flags>\n'
        '    <enum id="en" size="1">\n'
        '      <evalue name="x" value="0" />\n'
        '      <evalue name="y" value="7" />\n'
        '    </enum>\n'
        '    <struct id="st">\n'
        '      <field name="p" type="data_ptr" />\n'
        '      <field name="f" type="fl" />\n'
        '      <field name="e" type="en" />\n'
        '      <field name="w" type="uint64" />\n'
        '    </struct>\n'
        '    <reg name="s" bitsize="112" type="st" regnum="256" group="grp" />\n'
        '  </feature>\n'
        '</target>\n')
