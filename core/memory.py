"""Guest memory: RAM buffers with one tag per 8-byte granule, MMIO windows, the revocation bitmap.

``Memory`` is the bus the semantics module uses (``hart.Bus``) and the debugger's view of memory.
RAM is host memory shared with Unicorn (mapped by pointer) and with the fast path, so all three
see the same bytes. Every write that is not a capability store clears the tags it touches
(isa.md §8.1), whoever makes it: CPU, device, loader or debugger.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import MemoryAccessError
from .hart import AccessFault
from .state import MAX_REGIONS, REGION_MMIO, REGION_RAM, CoreState, DecodedInsn

GRANULE = 8


class MmioDevice(Protocol):
    """What memory needs of a device model (boards/devices implement it)."""

    def read(self, offset: int, size: int) -> int: ...
    def write(self, offset: int, size: int, value: int) -> None: ...
    def peek(self, offset: int, size: int) -> int | None: ...


@dataclass
class RamRegion:
    name: str
    base: int
    size: int
    tagged: bool = True
    executable: bool = True
    buffer: ctypes.Array = field(init=False, repr=False)  # type: ignore[type-arg]
    tags: ctypes.Array | None = field(init=False, repr=False)  # type: ignore[type-arg]
    dtab: ctypes.Array | None = field(init=False, repr=False)  # type: ignore[type-arg]
    view: memoryview = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.buffer = (ctypes.c_uint8 * self.size)()
        self.view = memoryview(self.buffer).cast("B")
        self.tags = (ctypes.c_uint8 * (self.size // GRANULE))() if self.tagged else None
        self.dtab = (DecodedInsn * (self.size // 2))() if self.executable else None

    def contains(self, address: int, length: int = 1) -> bool:
        return self.base <= address and address + length <= self.base + self.size


@dataclass
class MmioRegion:
    name: str
    base: int
    size: int          # the device's own size; the mapping is rounded up to whole pages
    device: MmioDevice

    def contains(self, address: int, length: int = 1) -> bool:
        return self.base <= address and address + length <= self.base + self.size


Region = RamRegion | MmioRegion


@dataclass(frozen=True)
class Revocation:
    """The revocation bitmap of isa.md §8.2: one bit per 8 bytes at and above ``revocable_base``."""

    revocable_base: int
    shadow_base: int
    shadow_size: int


class Memory:
    """The address space: RAM and MMIO regions, tags, revocation bits and the decode cache."""

    def __init__(self, regions: list[Region], revocation: Revocation | None = None) -> None:
        self.regions = sorted(regions, key=lambda r: r.base)
        for a, b in zip(self.regions, self.regions[1:], strict=False):
            if a.base + a.size > b.base:
                raise ValueError(f"memory regions {a.name} and {b.name} overlap")
        self.revocation = revocation
        self.flush_code: Callable[[int, int], None] = lambda lo, hi: None
        self.on_code_write: Callable[[int, int], None] = lambda lo, hi: None
        # Called after Python-side writes overlapping a range (HTIF tohost); the engine routes
        # CPU stores to such ranges through Python so that none is missed.
        self.on_mmio_write: Callable[[], None] = lambda: None
        self.write_listeners: list[tuple[int, int, Callable[[int, bytes], None]]] = []

    def describe_into(self, core: CoreState) -> None:
        """Publish the regions to the fast path: RAM first (the common case of its linear
        search), then device windows as far as slots remain. An aligned access to a published
        device window runs natively (Unicorn calls the device through the engine's MMIO
        callbacks); anything else there, and every access to a window left out, takes the
        Python path."""
        ram = [r for r in self.regions if isinstance(r, RamRegion)]
        mmio = [r for r in self.regions if isinstance(r, MmioRegion)]
        if len(ram) > MAX_REGIONS:
            raise ValueError(f"at most {MAX_REGIONS} RAM regions are supported")
        published: list[Region] = [*ram]
        published = (published + mmio)[:len(core.regions)]
        core.nregions = len(published)
        for slot, region in zip(core.regions, published, strict=False):
            slot.base, slot.size = region.base, region.size
            if isinstance(region, MmioRegion):
                slot.kind, slot.host, slot.tags, slot.dtab = REGION_MMIO, None, None, None
                continue
            slot.kind = REGION_RAM
            slot.host = ctypes.addressof(region.buffer)
            slot.tags = ctypes.addressof(region.tags) if region.tags is not None else None
            slot.dtab = ctypes.addressof(region.dtab) if region.dtab is not None else None

    def find(self, address: int, length: int = 1) -> Region | None:
        for region in self.regions:
            if region.contains(address, length):
                return region
        return None

    def ram_at(self, address: int) -> RamRegion | None:
        region = self.find(address)
        return region if isinstance(region, RamRegion) else None

    # --- the bus of the semantics module (raises AccessFault) -------------------------------

    def load(self, address: int, size: int) -> int:
        region = self.find(address, size)
        if isinstance(region, RamRegion):
            off = address - region.base
            return int.from_bytes(region.view[off:off + size], "little")
        if isinstance(region, MmioRegion):
            return region.device.read(address - region.base, size) & ((1 << (8 * size)) - 1)
        raise AccessFault(address)

    def store(self, address: int, size: int, value: int) -> None:
        region = self.find(address, size)
        if isinstance(region, RamRegion):
            data = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
            self._write_ram(region, address, data)
            return
        if isinstance(region, MmioRegion):
            region.device.write(address - region.base, size, value & ((1 << (8 * size)) - 1))
            self.on_mmio_write()
            return
        raise AccessFault(address)

    def load_cap(self, address: int) -> tuple[int, bool]:
        """64-bit image and tag of the granule at ``address`` (8-aligned); MMIO gives tag 0."""
        region = self.find(address, GRANULE)
        if isinstance(region, RamRegion):
            off = address - region.base
            bits = int.from_bytes(region.view[off:off + GRANULE], "little")
            tag = bool(region.tags[off // GRANULE]) if region.tags is not None else False
            return bits, tag
        if isinstance(region, MmioRegion):
            lo = region.device.read(address - region.base, 4)
            hi = region.device.read(address - region.base + 4, 4)
            return (hi << 32) | lo, False
        raise AccessFault(address)

    def store_cap(self, address: int, bits: int, tag: bool) -> None:
        region = self.find(address, GRANULE)
        if isinstance(region, RamRegion):
            self._write_ram(region, address, bits.to_bytes(GRANULE, "little"))
            if region.tags is not None:  # untagged memory drops the tag (§8.1)
                region.tags[(address - region.base) // GRANULE] = 1 if tag else 0
            return
        if isinstance(region, MmioRegion):
            region.device.write(address - region.base, 4, bits & 0xFFFF_FFFF)
            region.device.write(address - region.base + 4, 4, bits >> 32)
            return
        raise AccessFault(address)

    def revoked(self, address: int) -> bool:
        """The revocation bit for ``address`` (isa.md §8.2); outside the bitmap: not revoked."""
        rev = self.revocation
        if rev is None or address < rev.revocable_base:
            return False
        off = address - rev.revocable_base
        byte_index = off >> 6
        if byte_index >= rev.shadow_size:
            return False
        region = self.ram_at(rev.shadow_base + byte_index)
        if region is None:
            return False
        byte = region.view[rev.shadow_base + byte_index - region.base]
        return bool((byte >> ((off >> 3) & 7)) & 1)

    def is_ram(self, address: int) -> bool:
        return self.ram_at(address) is not None

    # --- writes that are not capability stores ----------------------------------------------

    def _write_ram(self, region: RamRegion, address: int, data: bytes) -> None:
        off = address - region.base
        region.view[off:off + len(data)] = data
        if region.tags is not None and data:
            for g in range(off // GRANULE, (off + len(data) - 1) // GRANULE + 1):
                region.tags[g] = 0
        if region.dtab is not None and data:
            self._invalidate_code(region, off, off + len(data))
        for lo, length, listener in self.write_listeners:
            if address < lo + length and address + len(data) > lo:
                listener(address, data)

    def _invalidate_code(self, region: RamRegion, lo: int, hi: int) -> None:
        """Forget decoded instructions overlapping [lo, hi) (offsets) and flush translations."""
        dtab = region.dtab
        assert dtab is not None
        first = max(lo // 2 - 1, 0)
        last = min((hi + 1) // 2, len(dtab))
        dirty = False
        for h in range(first, last):
            if dtab[h].kind:
                dtab[h].kind = 0
                dirty = True
        if dirty:
            self.flush_code(region.base + first * 2, region.base + last * 2)
            self.on_code_write(region.base + first * 2, region.base + last * 2)

    # --- the debugger's and the loader's view (raise MemoryAccessError) ---------------------

    def read(self, address: int, length: int) -> bytes:
        """Bytes as the debugger sees them. MMIO is read only where the device can peek."""
        out = bytearray()
        pos = address
        end = address + length
        while pos < end:
            region = self.find(pos)
            if isinstance(region, RamRegion):
                n = min(end, region.base + region.size) - pos
                off = pos - region.base
                out += region.view[off:off + n]
                pos += n
            elif isinstance(region, MmioRegion):
                value = region.device.peek(pos - region.base, 1)
                if value is None:
                    raise MemoryAccessError(
                        pos, end - pos,
                        f"{region.name} is a device; debugger reads of device registers are "
                        "refused because they could change device state")
                out.append(value & 0xFF)
                pos += 1
            else:
                raise MemoryAccessError(pos, end - pos)
        return bytes(out)

    def write(self, address: int, data: bytes) -> None:
        """A debugger or loader write: clears tags and drops stale translated code. All or
        nothing: a write that runs past mapped memory is refused before any byte is written."""
        self._check_mapped(address, len(data))
        pos = 0
        while pos < len(data):
            region = self.find(address + pos)
            if isinstance(region, RamRegion):
                n = min(len(data) - pos, region.base + region.size - (address + pos))
                self._write_ram(region, address + pos, data[pos:pos + n])
                pos += n
            elif isinstance(region, MmioRegion):
                region.device.write(address + pos - region.base, 1, data[pos])
                pos += 1
            else:
                raise MemoryAccessError(address + pos, len(data) - pos)

    def _check_mapped(self, address: int, length: int) -> None:
        pos = address
        while pos < address + length:
            region = self.find(pos)
            if region is None:
                raise MemoryAccessError(pos, address + length - pos)
            pos = region.base + region.size

    def tags(self, address: int, length: int) -> list[bool | None]:
        """Tag of each granule overlapping [address, address+length); None where untagged."""
        first = address & ~(GRANULE - 1)
        result: list[bool | None] = []
        for granule in range(first, address + length, GRANULE):
            region = self.ram_at(granule)
            if region is None or region.tags is None:
                result.append(None)
            else:
                result.append(bool(region.tags[(granule - region.base) // GRANULE]))
        return result
