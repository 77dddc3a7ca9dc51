"""The per-board ISA configuration (``emulator.isa``): shipped defaults, validation, and the
instructions each board's core accepts when it runs real machine code.

Expected sets: the current Sail model enables Zba, Zbb, Zbs, Zbkb, Zbc and Zbkx and sets misa.B
(CHERIoT-Platform/cheriot-sail, isa.md §1.1); CHERIoT LLVM's ``-mcpu=cheriot-ibex`` (used by the
RTOS for ibex-safe-simulator and sonata) enables B (Zba, Zbb, Zbs) plus Zbkb and Zbkc
(CHERIoT-Platform/llvm-project ``llvm/lib/Target/RISCV/RISCVProcessors.td``, ``CHERIOT_IBEX``),
and the core has the ZTOPC SCR 27 (cheriot-ibex ``rtl/cheri_stkz.sv``, isa.md §1.4).
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
from cheriot_gdbserver.errors import BoardError

SAIL_SET = {"zba", "zbb", "zbs", "zbkb", "zbc", "zbkx"}
IBEX_SET = {"zba", "zbb", "zbs", "zbkb", "zbkc"}


@pytest.mark.parametrize(("board", "extensions", "registers"), [
    ("sail", SAIL_SET, set()),
    ("ibex-safe-simulator", IBEX_SET, {"ztopc"}),
    ("sonata", IBEX_SET, {"ztopc"}),
])
def test_shipped_boards_have_their_cores_isa(board: str, extensions: set[str],
                                             registers: set[str]) -> None:
    isa = load_board(board).isa
    assert (set(isa.extensions), set(isa.scrs)) == (extensions, registers)
    assert isa.misa == 0x4000_1016  # RV32 | M | E | C | B


BASE_BOARD = """{
    "devices": {},
    "instruction_memory": { "start": 0x80000000, "end": 0x80010000 },
    "heap": { "end": 0x80010000 },
    %s
}"""


def board_file(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "board.json"
    path.write_text(BASE_BOARD % extra)
    return path


@pytest.mark.parametrize(("extra", "extensions", "registers"), [
    ('"cpu": "cheriot-ibex"', IBEX_SET, {"ztopc"}),   # default from the RTOS cpu field
    ('"cpu": "cheriot"', SAIL_SET, set()),
    ('"simulation": true', SAIL_SET, set()),
    ('"emulator": { "isa": "base" }', set(), set()),
    ('"emulator": { "isa": { "extensions": ["Zba", "zbs"], "registers": [] } }',
     {"zba", "zbs"}, set()),
    ('"emulator": { "isa": { "registers": ["ztopc"] } }', set(), {"ztopc"}),
])
def test_isa_forms(tmp_path: Path, extra: str, extensions: set[str],
                   registers: set[str]) -> None:
    isa = load_board(board_file(tmp_path, extra)).isa
    assert (set(isa.extensions), set(isa.scrs)) == (extensions, registers)


@pytest.mark.parametrize(("extra", "message"), [
    ('"emulator": { "isa": "rocket" }',
     "field 'emulator.isa': unknown core 'rocket' (known: base, cheriot, cheriot-ibex, sail"),
    ('"emulator": { "isa": 3 }', "field 'emulator.isa': expected a core name"),
    ('"emulator": { "isa": { "extensions": ["zbx"] } }',
     "field 'emulator.isa.extensions': unknown name \"zbx\" (known: zba, zbb, zbs, zbkb, zbkc, "
     "zbc, zbkx)"),
    ('"emulator": { "isa": { "extensions": "zba" } }',
     "field 'emulator.isa.extensions': expected a list"),
    ('"emulator": { "isa": { "registers": ["depcc"] } }',
     "field 'emulator.isa.registers': unknown name \"depcc\" (known: ztopc)"),
    ('"emulator": { "isa": { "extension": [] } }',
     "field 'emulator.isa.extension': unknown field (known: extensions, registers)"),
])
def test_bad_isa_is_a_clear_error(tmp_path: Path, extra: str, message: str) -> None:
    path = board_file(tmp_path, extra)
    with pytest.raises(BoardError) as caught:
        load_board(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


# --- running real code on each board --------------------------------------------------------

PROGRAM = """
.include "cheriot.inc"
.option arch, rv32emc_zicsr_zifencei_zba_zbb_zbs_zbkb_zbkc_zbc_zbkx
.section .text.start, "ax"
.globl _start
_start:
    {insn}
    ebreak
"""

TEXT_BASE = {"sail": 0x8000_0000, "ibex-safe-simulator": 0x2004_0000, "sonata": 0x4000_0000}


def first_trap(board_name: str, insn: str, tmp_path: Path) -> int:
    """mcause of the first exception: 3 (the ebreak) when ``insn`` ran, 2 when illegal."""
    if shutil.which(AS) is None:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")
    board = load_board(board_name)
    elf = assemble(PROGRAM.format(insn=insn), tmp_path, text_address=TEXT_BASE[board_name])
    machine = Machine(board, load_elf(elf))
    machine.engine.catch = Catch.ALL
    stop = machine.engine.run(100)
    assert stop.kind is StopKind.EXCEPTION and stop.trap is not None
    return stop.trap.mcause


@pytest.mark.parametrize(("insn", "legal_on"), [
    ("sh2add a0, a1, a2", {"sail", "ibex-safe-simulator", "sonata"}),   # Zba
    ("cpop a0, a1", {"sail", "ibex-safe-simulator", "sonata"}),         # Zbb
    ("bseti a0, a1, 3", {"sail", "ibex-safe-simulator", "sonata"}),     # Zbs
    ("zip a0, a1", {"sail", "ibex-safe-simulator", "sonata"}),          # Zbkb
    ("clmul a0, a1, a2", {"sail", "ibex-safe-simulator", "sonata"}),    # Zbc / Zbkc
    ("clmulr a0, a1, a2", {"sail"}),                                    # Zbc only
    ("xperm8 a0, a1, a2", {"sail"}),                                    # Zbkx
    ("cspecialr ca0, 27", {"ibex-safe-simulator", "sonata"}),           # ZTOPC
])
@pytest.mark.parametrize("board", ["sail", "ibex-safe-simulator", "sonata"])
def test_instructions_outside_the_core_are_illegal(board: str, insn: str, legal_on: set[str],
                                                   tmp_path: Path) -> None:
    assert first_trap(board, insn, tmp_path) == (3 if board in legal_on else 2)
