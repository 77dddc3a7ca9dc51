"""Names for the memory a capability's bounds cover.

The nearest symbol below a base is often misleading (a PCC whose base is the start of ``.text``
would read as ``<__sealingkey>``), so a name is only given when it holds the whole range: the
sized symbol that covers ``[base, top)``, else, on an RTOS image, the compartment's or
library's code, globals or table that does (``code of sched``), else the allocated ELF section.
"""

from __future__ import annotations

from collections.abc import Sequence

from elftools.elf.constants import SH_FLAGS

from ..boards.image import Image
from ..core.demangle import demangle
from ..rtos.cheriot import Region


def covering_name(image: Image, base: int, top: int,
                  regions: Sequence[Region] = ()) -> str:
    """``buffer``, ``buffer+16``, ``code of sched``, ``section .data+0x10`` or ``""`` for
    ``[base, top)``; ``regions`` are the RTOS image's static regions, if it is one."""
    if top <= base:
        return ""
    symbol = image.symbol_containing(base)
    if symbol is not None and top <= symbol.address + symbol.size:
        offset = base - symbol.address
        return demangle(symbol.name) + (f"+{offset}" if offset else "")
    holding = [r for r in regions if r.start <= base and top <= r.end]
    if holding:
        region = min(holding, key=lambda r: r.end - r.start)
        offset = base - region.start
        return f"{region.kind} of {region.owner}" + (f"+{offset:#x}" if offset else "")
    if not image.is_elf:
        return ""
    for section in image.elf.iter_sections():
        start, size = section["sh_addr"], section["sh_size"]
        if section["sh_flags"] & SH_FLAGS.SHF_ALLOC and start <= base and top <= start + size:
            offset = base - start
            return f"section {section.name}" + (f"+{offset:#x}" if offset else "")
    return ""
