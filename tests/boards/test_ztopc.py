"""ZTOPC (SCR 27), CHERIoT-Ibex's stack-zeroing register, on the ibex-safe-simulator board.

Expected behaviour from cheriot-ibex ``rtl/cheri_stkz.sv``: writing a tagged capability with SD
whose top is not below its address zeroes the words from address - 4 down to its base (the
stores write 33 zero bits, so tags are cleared) and the register then reads back the last word
zeroed (the base) untagged; a capability whose address equals its base zeroes nothing and reads
back untagged; a write of any other non-NULL value is ignored; writing NULL reads back NULL.
The RTL zeroes in the background; the emulator finishes before the next instruction.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import AS, assemble
from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.core.stops import StopKind

BASE = 0x2008_0000
ROOT_MEM_META = 0x7E3E_0000  # the memory root's metadata (isa.md §2.11)

PROGRAM = """
.include "cheriot.inc"
.section .text.start, "ax"
.globl _start
_start:
    cspecialr ca5, mtdc
    li t0, {base:#x}
    csetaddr ca4, ca5, t0
    li t1, 0x40
    csetbounds ca4, ca4, t1       # [BASE, BASE + 0x40)
    li t1, {offset}
    cincoffset ca4, ca4, t1
    {prepare}
    cspecialrw ca0, 27, ca4       # ca0: the old value
    cspecialr ca1, 27             # ca1: what it reads back now
    ebreak
"""


def run(tmp_path: Path, offset: int, prepare: str = ""):
    if shutil.which(AS) is None:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")
    source = PROGRAM.format(base=BASE, offset=offset, prepare=prepare)
    elf = assemble(source, tmp_path, text_address=0x2004_0000)
    machine = Machine(load_board("ibex-safe-simulator"), load_elf(elf))
    engine = machine.engine
    engine.write_memory(BASE, b"\xff" * 0x40)
    for granule in (BASE + 0x10, BASE + 0x38):
        engine.memory.store_cap(granule, (ROOT_MEM_META << 32) | granule, True)
    engine.catch = Catch.ALL
    stop = engine.run(200)
    assert stop.kind is StopKind.EXCEPTION and stop.trap is not None
    assert stop.trap.mcause == 3, stop  # reached the ebreak
    return engine


def test_write_zeroes_from_the_address_down_to_the_base(tmp_path: Path) -> None:
    engine = run(tmp_path, 0x30)
    assert engine.read_memory(BASE, 0x30) == bytes(0x30)
    assert engine.read_memory(BASE + 0x30, 8) == b"\xff" * 8       # above the address: kept
    assert engine.memory.tags(BASE, 0x40) == [False, False, False, False, False, False, False,
                                              True]
    old, now = engine.read_cap(10), engine.read_cap(11)
    assert (old.tag, old.address, old.meta) == (False, 0, 0)        # reset value: NULL
    assert (now.tag, now.address) == (False, BASE)                   # the last word zeroed
    assert now.meta == engine.read_cap(14).meta                      # ca4's metadata


def test_address_equal_to_base_zeroes_nothing(tmp_path: Path) -> None:
    engine = run(tmp_path, 0)
    assert engine.read_memory(BASE, 8) == b"\xff" * 8
    assert engine.memory.tags(BASE + 0x10, 8) == [True]
    now = engine.read_cap(11)
    assert (now.tag, now.address) == (False, BASE)


def test_a_capability_without_store_permission_is_ignored(tmp_path: Path) -> None:
    engine = run(tmp_path, 0x30, prepare="li t0, 0x7fb\n    candperm ca4, ca4, t0  # no SD")
    assert engine.read_memory(BASE, 4) == b"\xff" * 4
    assert engine.memory.tags(BASE + 0x10, 8) == [True]
    now = engine.read_cap(11)
    assert (now.tag, now.address, now.meta) == (False, 0, 0)         # still NULL


def test_address_above_top_is_ignored(tmp_path: Path) -> None:
    engine = run(tmp_path, 0x30, prepare="ccleartag ca4, ca4  # untagged: not a command")
    assert engine.read_memory(BASE, 4) == b"\xff" * 4
    assert engine.read_cap(11).address == 0
