"""The image's symbol table keyed by address (rtos.md section 0).

The RTOS's boundary symbols are local, several are absolute (SHN_ABS), and distinct objects
share one local name (every compartment has its own ``__default_malloc_capability``), so nothing
is filtered out and lookups by name return every address. Built once, lazily, with one pass over
``.symtab`` (real images have ~26k symbols).
"""

from __future__ import annotations

import bisect
import re
import struct
from functools import cached_property
from typing import NamedTuple

from elftools.elf.elffile import ELFFile

STT_FUNC, STT_SECTION, STT_FILE = 2, 3, 4
STB_LOCAL = 0


class Symbol(NamedTuple):
    address: int   # first, so that symbols sort by address then name as plain tuples
    name: str
    size: int
    is_function: bool
    is_global: bool


class Symbols:
    def __init__(self, elf: ELFFile) -> None:
        self._elf = elf

    @cached_property
    def _all(self) -> list[Symbol]:
        # Decoded straight from the section bytes: pyelftools' per-symbol objects cost ~0.1 ms
        # each, seconds for a real image.
        found: list[Symbol] = []
        section = self._elf.get_section_by_name(".symtab")
        if section is None or section["sh_type"] != "SHT_SYMTAB":
            return found
        strtab = self._elf.get_section(section["sh_link"]).data()
        data = section.data()
        entsize = section["sh_entsize"] or 16
        for name_off, value, size, info, _other, _shndx in struct.iter_unpack(
                "<IIIBBH", data[:len(data) - len(data) % entsize]):
            kind = info & 0xF
            if not name_off or kind in (STT_SECTION, STT_FILE):
                continue
            name = strtab[name_off:strtab.index(b"\0", name_off)].decode(errors="replace")
            if name[0] == "$":   # $x/$d are RISC-V mapping symbols, not names of anything
                continue
            found.append(Symbol(value, name, size, kind == STT_FUNC, info >> 4 != STB_LOCAL))
        found.sort()
        return found

    @cached_property
    def _by_name(self) -> dict[str, list[Symbol]]:
        table: dict[str, list[Symbol]] = {}
        for sym in self._all:
            table.setdefault(sym.name, []).append(sym)
        return table

    @cached_property
    def _addresses(self) -> list[int]:
        return [s.address for s in self._all]

    def __len__(self) -> int:
        return len(self._all)

    def named(self, name: str) -> list[Symbol]:
        return self._by_name.get(name, [])

    def address(self, name: str) -> int | None:
        """The address of a name that must be unique; None when absent or ambiguous."""
        found = {s.address for s in self.named(name)}
        return found.pop() if len(found) == 1 else None

    def at(self, address: int) -> list[Symbol]:
        """Every symbol whose value is exactly ``address``."""
        i = bisect.bisect_left(self._addresses, address)
        out = []
        while i < len(self._all) and self._all[i].address == address:
            out.append(self._all[i])
            i += 1
        return out

    def at_with_prefix(self, address: int, *prefixes: str) -> Symbol | None:
        for sym in self.at(address):
            if sym.name.startswith(prefixes):
                return sym
        return None

    @cached_property
    def _names(self) -> list[str]:
        return sorted(self._by_name)

    def with_prefix(self, prefix: str) -> list[Symbol]:
        """Every symbol whose name starts with ``prefix``, by address."""
        i = bisect.bisect_left(self._names, prefix)
        out: list[Symbol] = []
        while i < len(self._names) and self._names[i].startswith(prefix):
            out.extend(self._by_name[self._names[i]])
            i += 1
        return sorted(out)

    def matching(self, pattern: str, lo: int = 0, hi: int = 1 << 32) -> list[Symbol]:
        """Symbols whose name matches the regular expression and whose address is in [lo, hi)."""
        rx = re.compile(pattern)
        i = bisect.bisect_left(self._addresses, lo)
        out = []
        while i < len(self._all) and self._all[i].address < hi:
            if rx.search(self._all[i].name):
                out.append(self._all[i])
            i += 1
        return out

    def containing(self, address: int) -> Symbol | None:
        """The sized data/function symbol covering ``address`` (the innermost, latest start)."""
        i = bisect.bisect_right(self._addresses, address)
        best: Symbol | None = None
        for sym in reversed(self._all[max(0, i - 64):i]):
            if sym.size and sym.address <= address < sym.address + sym.size and \
                    not sym.name.startswith("."):
                if best is None or sym.address > best.address:
                    best = sym
        return best
