"""A pure-Python ``Bus`` (core/hart.py) for unit tests of the semantics: one RAM region, no MMIO.

RAM is a bytearray with one tag per 8-byte granule (isa.md §8.1): a capability store sets the
granule's tag, every other store clears the tag of each granule it touches. Any access that is
not entirely inside RAM raises ``AccessFault``. Revocation is a set of granule addresses the test
chooses; every lookup is recorded so tests can check which address the load filter asked about.
"""

from __future__ import annotations

from cheriot_gdbserver.core.capability import Cap
from cheriot_gdbserver.core.hart import AccessFault

GRANULE = 8


class FakeBus:
    def __init__(self, base: int = 0x8000_0000, size: int = 0x1_0000) -> None:
        self.base = base
        self.size = size
        self.ram = bytearray(size)
        self.tags = bytearray(size // GRANULE)
        self.revoked_granules: set[int] = set()
        self.revocation_queries: list[int] = []

    def _offset(self, address: int, size: int) -> int:
        if not (self.base <= address and address + size <= self.base + self.size):
            raise AccessFault(address)
        return address - self.base

    def _clear_tags(self, offset: int, size: int) -> None:
        for granule in range(offset // GRANULE, (offset + size - 1) // GRANULE + 1):
            self.tags[granule] = 0

    # --- the Bus protocol ------------------------------------------------------------------

    def load(self, address: int, size: int) -> int:
        offset = self._offset(address, size)
        return int.from_bytes(self.ram[offset:offset + size], "little")

    def store(self, address: int, size: int, value: int) -> None:
        offset = self._offset(address, size)
        self.ram[offset:offset + size] = value.to_bytes(size, "little")
        self._clear_tags(offset, size)

    def load_cap(self, address: int) -> tuple[int, bool]:
        offset = self._offset(address, GRANULE)
        bits = int.from_bytes(self.ram[offset:offset + GRANULE], "little")
        return bits, bool(self.tags[offset // GRANULE])

    def store_cap(self, address: int, bits: int, tag: bool) -> None:
        offset = self._offset(address, GRANULE)
        self.ram[offset:offset + GRANULE] = bits.to_bytes(GRANULE, "little")
        self.tags[offset // GRANULE] = 1 if tag else 0

    def revoked(self, address: int) -> bool:
        self.revocation_queries.append(address)
        return address in self.revoked_granules

    def is_ram(self, address: int) -> bool:
        return self.base <= address < self.base + self.size

    # --- test conveniences -----------------------------------------------------------------

    def put_cap(self, address: int, cap: Cap) -> None:
        self.store_cap(address, cap.bits, cap.tag)

    def get_cap(self, address: int) -> Cap:
        bits, tag = self.load_cap(address)
        return Cap.from_bits(bits, tag)

    def tag_at(self, address: int) -> bool:
        return bool(self.tags[self._offset(address, 1) // GRANULE])
