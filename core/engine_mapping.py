"""The board's memory map in Unicorn: RAM mapped over the regions' own buffers, device pages as
MMIO callbacks that dispatch to the device holding each address.

Unicorn maps whole 4 KiB pages; several small devices may share one (Sonata), so device windows
are merged into page spans and each access finds its window. The callbacks run only for an
access the fast path let run natively (aligned, authorised, inside a published device window:
memory.describe_into); the reference does the same access in Memory.load/store, and to match it
exactly the device sees the instruction count before the instruction retires (the hook has
already counted it) and a write re-evaluates device events, as Memory.on_mmio_write does.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from unicorn import UC_PROT_ALL, Uc

from ..errors import EngineError
from .memory import Memory, MmioRegion, RamRegion
from .state import CoreState

PAGE = 0x1000


def map_memory(uc: Uc, memory: Memory, core: CoreState,
               failed: Callable[[BaseException], None],
               wrote: Callable[[object], None]) -> list[object]:
    """Map ``memory`` into ``uc``. A device that raises is reported to ``failed`` (the access
    reads as zero); ``wrote`` follows every device write. Returns the callbacks, which must
    stay referenced while ``uc`` lives."""
    for region in memory.regions:
        if isinstance(region, RamRegion):
            if region.base % PAGE or region.size % PAGE:
                raise EngineError(f"RAM region {region.name} must be 4 KiB aligned")
            uc.mem_map_ptr(region.base, region.size, UC_PROT_ALL,
                           ctypes.addressof(region.buffer))
    spans: list[list[int]] = []
    for region in memory.regions:
        if isinstance(region, MmioRegion):
            lo = region.base & ~(PAGE - 1)
            hi = -(-(region.base + region.size) // PAGE) * PAGE
            if spans and lo <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], hi)
            else:
                spans.append([lo, hi])
    return [_map_span(uc, memory, core, lo, hi - lo, failed, wrote) for lo, hi in spans]


def _map_span(uc: Uc, memory: Memory, core: CoreState, base: int, size: int,
              failed: Callable[[BaseException], None],
              wrote: Callable[[object], None]) -> object:
    windows = [r for r in memory.regions
               if isinstance(r, MmioRegion) and r.base < base + size and r.base + r.size > base]

    def window(address: int, width: int) -> MmioRegion | None:
        for region in windows:
            if region.base <= address and address + width <= region.base + region.size:
                return region
        return None

    def read(_uc: object, offset: int, width: int, _data: object) -> int:
        region = window(base + offset, width)
        if region is None:
            return 0  # a hole in a device page reads as zero
        core.instret -= 1
        try:
            value = region.device.read(base + offset - region.base, width)
        except BaseException as exc:  # noqa: BLE001 - a device bug must not kill the run
            failed(exc)
            value = 0
        finally:
            core.instret += 1
        return value & ((1 << (8 * width)) - 1)

    def write(_uc: object, offset: int, width: int, value: int, _data: object) -> None:
        region = window(base + offset, width)
        if region is None:
            return
        core.instret -= 1
        try:
            device = region.device
            device.write(base + offset - region.base, width, value & ((1 << (8 * width)) - 1))
            wrote(device)
        except BaseException as exc:  # noqa: BLE001 - as above
            failed(exc)
        finally:
            core.instret += 1

    from .fastpath import map_mmio  # the binding needs the library built

    return map_mmio(uc, base, size, read, write)
