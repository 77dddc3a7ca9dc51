"""Bytes of the image at link-time addresses, straight from the ELF's allocated sections.

Image metadata (header, thread records, library export tables) is zeroed by the loader at boot,
so it is always read here, never from the target (rtos.md 1.6).
"""

from __future__ import annotations

import bisect
import struct
from functools import cached_property

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import Section

SHF_ALLOC = 0x2


class ImageMemory:
    def __init__(self, elf: ELFFile) -> None:
        self._elf = elf
        self._cache: dict[int, bytes] = {}

    @cached_property
    def _sections(self) -> list[tuple[int, int, Section]]:
        found: list[tuple[int, int, Section]] = []
        for section in self._elf.iter_sections():
            if section["sh_flags"] & SHF_ALLOC and section["sh_size"]:
                found.append((section["sh_addr"], section["sh_size"], section))
        found.sort(key=lambda item: item[0])
        return found

    @cached_property
    def _starts(self) -> list[int]:
        return [start for start, _, _ in self._sections]

    def _data(self, section) -> bytes:
        key = section["sh_addr"]
        if key not in self._cache:
            nobits = section["sh_type"] == "SHT_NOBITS"
            self._cache[key] = bytes(section["sh_size"]) if nobits else section.data()
        return self._cache[key]

    def read(self, address: int, length: int) -> bytes | None:
        """``length`` bytes at ``address`` from one section, or None when not all inside one."""
        i = bisect.bisect_right(self._starts, address) - 1
        while i >= 0:
            start, size, section = self._sections[i]
            if start <= address and address + length <= start + size:
                return self._data(section)[address - start:address - start + length]
            if start + size <= address and i < len(self._sections) - 1:
                break
            i -= 1
        return None

    def u8(self, address: int) -> int | None:
        data = self.read(address, 1)
        return None if data is None else data[0]

    def u16(self, address: int) -> int | None:
        data = self.read(address, 2)
        return None if data is None else struct.unpack("<H", data)[0]

    def u32(self, address: int) -> int | None:
        data = self.read(address, 4)
        return None if data is None else struct.unpack("<I", data)[0]

    def section(self, name: str):
        return self._elf.get_section_by_name(name)
