"""An ELF image reads its symbol table on first use; one symbol can be found without it.

``Image.symbol_address(name)`` (what a machine needs at start-up: the HTIF word) must give
exactly what the full table gives, ``Image.symbols.get(name)``: global symbols first, then
the lowest address, for names several compartments define; nothing for section, file and
mapping symbols.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import AS, assemble
from cheriot_gdbserver.boards.image import load_elf

SOURCE = """
.section .text.start, "ax"
.globl _start
_start:
    ebreak
.local twice
twice:
    nop
.globl later
later:
    nop
"""


def _elf(tmp_path: Path, source: str) -> Path:
    if shutil.which(AS) is None:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")
    return assemble(source, tmp_path, name="syms")


def test_one_symbol_without_the_table_agrees_with_the_table(tmp_path: Path) -> None:
    path = _elf(tmp_path, SOURCE)
    names = [s.name for s in load_elf(path).symbol_list]
    assert {"_start", "twice", "later"} <= set(names)
    for name in [*names, "missing", "", "$x", "tohost", "_star", "tart"]:
        lazy = load_elf(path)
        found = lazy.symbol_address(name)
        assert lazy._symbols is None, "the whole table was read"
        assert found == load_elf(path).symbols.get(name), name


def test_the_bundled_firmware_symbols(tmp_path: Path) -> None:
    """A real image: many compartments define the same local names."""
    from cheriot_gdbserver.rtos import bundled

    try:
        path = bundled.build(bundled.DEFAULT_FIRMWARE)
    except Exception as exc:  # noqa: BLE001 - no toolchain here: nothing to compare
        pytest.skip(f"the bundled firmware cannot be built here: {exc}")
    table = load_elf(path).symbols
    assert len(table) > 100
    for name in table:
        assert load_elf(path).symbol_address(name) == table[name], name


def test_the_table_is_read_on_first_use(tmp_path: Path) -> None:
    image = load_elf(_elf(tmp_path, SOURCE))
    assert image._symbols is None
    assert image.nearest_symbol(image.symbols["later"]).name == "later"
    assert image._symbols is not None


OVERLAPS = """
.section .text.start, "ax"
.globl _start
.type _start, @function
_start:
    nop
.local inner
.type inner, @function
inner:
.local alias
.type alias, @function
alias:
    nop
    nop
.size inner, 4
.size alias, 4
.size _start, 10
unsized:
    nop
.globl after
.type after, @function
after:
    nop
.size after, 2
"""


def _probes(image) -> list[int]:  # noqa: ANN001
    points = {0, 0xFFFF_FFFF}
    for sym in image.symbol_list:
        for at in (sym.address - 1, sym.address, sym.address + 1, sym.address + sym.size - 1,
                   sym.address + sym.size):
            points.add(at & 0xFFFF_FFFF)
    return sorted(points)


def _agree_without_the_table(path: Path) -> None:
    full = load_elf(path)
    for address in _probes(full):
        lazy = load_elf(path)
        containing, nearest = lazy.symbol_containing(address), lazy.nearest_symbol(address)
        assert lazy._symbols is None, "the whole table was read"
        assert containing == full.symbol_containing(address), hex(address)
        assert nearest == full.nearest_symbol(address), hex(address)


def test_address_lookups_without_the_table_agree_with_the_table(tmp_path: Path) -> None:
    # Same-address symbols of the same size (the tie goes to the later name), nesting,
    # unsized ones, gaps.
    _agree_without_the_table(_elf(tmp_path, OVERLAPS))


def test_address_lookups_on_the_bundled_firmware() -> None:
    from cheriot_gdbserver.rtos import bundled

    try:
        path = bundled.build(bundled.DEFAULT_FIRMWARE)
    except Exception as exc:  # noqa: BLE001 - no toolchain here: nothing to compare
        pytest.skip(f"the bundled firmware cannot be built here: {exc}")
    _agree_without_the_table(path)


def test_many_address_lookups_read_the_table(tmp_path: Path) -> None:
    image = load_elf(_elf(tmp_path, OVERLAPS))
    for _ in range(8):
        image.symbol_containing(0)
    assert image._symbols is None
    image.nearest_symbol(0)
    assert image._symbols is not None
