"""ELF and raw image loading: segments, entry, symbols, DWARF lines, errors, board fit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import (
    Symbol,
    check_fits,
    load_elf,
    load_raw,
    parse_load_spec,
)
from cheriot_gdbserver.errors import ElfLoadError

AS, LD = "riscv64-unknown-elf-as", "riscv64-unknown-elf-ld"
needs_binutils = pytest.mark.skipif(shutil.which(AS) is None or shutil.which(LD) is None,
                                    reason="RISC-V binutils not installed")

SOURCE = """\
    .text
    .globl _start
    .type _start, @function
_start:
    addi a0, zero, 1
    addi a1, zero, 2
    j inner
    .size _start, .-_start
    .type inner, @function
inner:
    j _start
    .size inner, .-inner
    .data
    .globl tohost
    .type tohost, @object
tohost:
    .word 0x11223344, 0x55667788
    .size tohost, 8
    .bss
    .type buf, @object
buf: .space 16
    .size buf, 16
"""

SCRIPT = """\
ENTRY(_start)
PHDRS { text PT_LOAD; data PT_LOAD; }
SECTIONS {
  . = TEXT;
  .text : { *(.text) } :text
  . = TEXT + 0x1000;
  .data : { *(.data) } :data
  .bss : { *(.bss) } :data
}
"""


def build(tmp_path: Path, text: int = 0x8000_0000, dwarf: str = "--gdwarf-5") -> Path:
    (tmp_path / "t.S").write_text(SOURCE)
    (tmp_path / "t.ld").write_text(SCRIPT.replace("TEXT", hex(text)))
    subprocess.run([AS, "-march=rv32e", "-mabi=ilp32e", dwarf, "-o", "t.o", "t.S"],
                   cwd=tmp_path, check=True, timeout=60)
    subprocess.run([LD, "-m", "elf32lriscv", "-T", "t.ld", "-o", "t.elf", "t.o"],
                   cwd=tmp_path, check=True, timeout=60)
    return tmp_path / "t.elf"


@needs_binutils
def test_segments_entry_and_symbols(tmp_path):
    image = load_elf(build(tmp_path))
    assert image.is_elf and image.entry == 0x8000_0000
    assert [(s.address, len(s.data), s.flags) for s in image.segments] == [
        (0x8000_0000, 16, 5), (0x8000_1000, 24, 6)]
    data = image.segments[1].data
    assert data[:8] == bytes.fromhex("4433221188776655")
    assert data[8:] == bytes(16)                      # .bss zero-filled
    assert image.symbols == {"_start": 0x8000_0000, "inner": 0x8000_000C,
                             "tohost": 0x8000_1000, "buf": 0x8000_1008}
    assert image.symbol_containing(0x8000_0004) == Symbol(
        "_start", 0x8000_0000, 12, "STT_FUNC", "STB_GLOBAL")
    assert image.symbol_containing(0x8000_000E).name == "inner"
    assert image.symbol_containing(0x8000_1017) == Symbol(
        "buf", 0x8000_1008, 16, "STT_OBJECT", "STB_LOCAL")
    assert image.symbol_containing(0x8000_1018) is None
    assert image.symbol_containing(0x7FFF_FFFF) is None
    assert image.nearest_symbol(0x8000_0FFF).name == "inner"
    image.close()


@pytest.mark.parametrize("dwarf", ["--gdwarf-5", "--gdwarf-3"])
@needs_binutils
def test_line_for_address(tmp_path, dwarf):
    image = load_elf(build(tmp_path, dwarf=dwarf))
    name = f"{tmp_path}/t.S" if dwarf == "--gdwarf-5" else "t.S"
    assert [image.line_for_address(a) for a in (0x8000_0000, 0x8000_0006, 0x8000_0008,
                                                0x8000_000C)] == [
        (name, 5), (name, 6), (name, 7), (name, 11)]
    assert image.line_for_address(0x8000_0010) is None     # past the end of the sequence
    assert image.line_for_address(0x7FFF_FFFE) is None
    image.close()


@needs_binutils
def test_check_fits_against_a_board(tmp_path):
    board = load_board("sail")
    check_fits(load_elf(build(tmp_path)), board)
    outside = load_elf(build(tmp_path, text=0x8003_F000))
    with pytest.raises(ElfLoadError) as info:
        check_fits(outside, board)
    assert str(info.value) == (
        f"{tmp_path}/t.elf: segment 2 (0x80040000-0x80040018, 24 bytes) is outside the memory "
        "of board 'sail' (ram 0x80000000-0x80040000)")


def test_not_an_elf(tmp_path):
    path = tmp_path / "fw.bin"
    path.write_bytes(b"\x13\x05\x10\x00")
    with pytest.raises(ElfLoadError) as info:
        load_elf(path)
    assert str(info.value) == (f"{path}: not an ELF file (it starts with b'\\x13\\x05\\x10\\x00'); "
                               "for a raw binary use --load FILE@ADDRESS")


def test_not_rv32():
    host = Path("/bin/true").resolve()
    with pytest.raises(ElfLoadError) as info:
        load_elf(host)
    assert str(info.value).startswith(f"{host}: not a 32-bit RISC-V ELF (EM_")
    assert str(info.value).endswith(", 64-bit); build the firmware for CHERIoT (rv32)")


@needs_binutils
def test_no_loadable_segments(tmp_path):
    (tmp_path / "t.S").write_text(SOURCE)
    subprocess.run([AS, "-march=rv32e", "-mabi=ilp32e", "-o", "t.o", "t.S"], cwd=tmp_path,
                   check=True, timeout=60)
    with pytest.raises(ElfLoadError) as info:
        load_elf(tmp_path / "t.o")                 # relocatable: no program headers
    assert str(info.value) == f"{tmp_path}/t.o: no loadable (PT_LOAD) segments; was it linked?"


def test_missing_file(tmp_path):
    with pytest.raises(ElfLoadError) as info:
        load_elf(tmp_path / "nope.elf")
    assert str(info.value) == f"{tmp_path}/nope.elf: cannot read: No such file or directory"


def test_raw_image(tmp_path):
    path = tmp_path / "fw.bin"
    path.write_bytes(b"\x01\x02\x03")
    image = load_raw(path, 0x2004_0000)
    assert [(s.address, s.data) for s in image.segments] == [(0x2004_0000, b"\x01\x02\x03")]
    assert image.entry is None and image.symbols == {} and not image.is_elf
    assert image.line_for_address(0x2004_0000) is None
    check_fits(image, load_board("ibex-safe-simulator"))
    with pytest.raises(ElfLoadError) as info:
        load_raw(path, 0xFFFF_FFFE)
    assert str(info.value) == (f"{path}: 3 bytes at 0xfffffffe do not fit in the 32-bit "
                               "address space")
    with pytest.raises(ElfLoadError) as info:
        _ = image.elf
    assert str(info.value) == f"{path}: a raw image has no ELF information"


def test_parse_load_spec():
    assert parse_load_spec("out/fw.bin@0x20040000") == (Path("out/fw.bin"), 0x20040000)
    with pytest.raises(ElfLoadError) as info:
        parse_load_spec("fw.bin")
    assert str(info.value) == "--load fw.bin: expected FILE@ADDRESS, e.g. fw.bin@0x80000000"
    with pytest.raises(ElfLoadError) as info:
        parse_load_spec("fw.bin@here")
    assert str(info.value) == "--load fw.bin@here: 'here' is not an address"
