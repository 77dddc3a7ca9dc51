"""gdbstub/tdesc.py: register-table validation and target.xml, with no architecture in it."""

from __future__ import annotations

import pytest

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
