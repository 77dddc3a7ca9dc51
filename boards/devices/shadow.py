"""The revocation bitmap ("shadow" device) and where a granule's bit lives (isa.md §8.2).

The bitmap is plain memory that the allocator writes; this module only computes, for the load
filter and the hardware revoker, which bit belongs to an address:

    off = x - R;  byte = shadow_base + (off >> 6);  bit = (off >> 3) & 7

Addresses below ``R`` (the revocable base) and beyond the bitmap's coverage are never revoked
(CHERIoT-Ibex's range check; isa.md recommends it over Sail's unbounded lookup).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RevocationMap:
    revocable_base: int   # R: the first address the bitmap covers
    shadow_base: int      # address of the bitmap
    shadow_size: int      # bytes of bitmap; each covers 64 bytes of memory

    @property
    def covered_end(self) -> int:
        """First address past the bitmap's coverage."""
        return self.revocable_base + 64 * self.shadow_size

    def locate(self, address: int) -> tuple[int, int] | None:
        """(bitmap byte address, bit number) for ``address``, or None if it is not covered."""
        if not self.revocable_base <= address < self.covered_end:
            return None
        off = address - self.revocable_base
        return self.shadow_base + (off >> 6), (off >> 3) & 7

    def is_revoked(self, read_byte: Callable[[int], int], address: int) -> bool:
        """Whether the granule of ``address`` is revoked, reading the bitmap with ``read_byte``."""
        where = self.locate(address)
        if where is None:
            return False
        byte_address, bit = where
        return bool((read_byte(byte_address) >> bit) & 1)
