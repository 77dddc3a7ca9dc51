"""debugger/registers.py and register_file.py: CHERIoT's register table, target.xml, encodings,
and gdb's register numbers over a register context."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheriot_gdbserver.core.capability import ROOT_EXE, Cap
from cheriot_gdbserver.core.stops import TrapInfo
from cheriot_gdbserver.debugger import registers as cr
from cheriot_gdbserver.debugger.register_file import RegisterFile
from cheriot_gdbserver.gdbstub.tdesc import target_xml
from tests.gdbstub.fakes import FakeRegisters

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
    rf = RegisterFile()
    assert rf.read(regs, 2) == bytes.fromhex("f0100080")
    assert rf.read(regs, 32) == bytes.fromhex("00000080")
    assert rf.read(regs, 65 + 0x300) == bytes.fromhex("00180000")
    rf.write(regs, 0x2002, rf.read(regs, 0x2002))  # unchanged: not passed on
    rf.write(regs, 2, rf.read(regs, 2))
    assert regs.writes == []
    rf.write(regs, 32, bytes.fromhex("10000080"))
    rf.write(regs, 65 + 0x300, bytes.fromhex("08000000"))
    assert regs.writes == [("pcc", ROOT_EXE.with_address(0x8000_0010)), ("mstatus", 8)]
    cleared = cr.capability_fields(regs.caps["csp"])
    rf.write(regs, 0x2002, cr.encode_capability(
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
