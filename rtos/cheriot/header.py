"""The image header (``.compartment_headers``) and its generations (rtos.md 1.4, 2.6).

The layout changed five times and the magic only three times, so a generation is identified
from the structure: a known magic at the offset the generation predicts, and a header section
that ends exactly at the last library/compartment record. Exactly one candidate must fit;
anything else is an unknown layout and is reported as such, never guessed.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from .errors import NoRtosView

MAGIC_0 = 0x43F6AF90  # generation 0, older than A (read from the RTOS source, docs/rtos.md)
MAGIC_A = 0x6CEF3879  # generations A and B
MAGIC_C = 0xCA2B63DE
MAGIC_D = 0x46391DA0  # generations D and E
MAGIC_F = 0xB0531162
KNOWN_MAGICS = {MAGIC_0, MAGIC_A, MAGIC_C, MAGIC_D, MAGIC_F}
RECORD_SIZE = 34
THREAD_RECORD_SIZE = 18
PRIVILEGED_NAMES = ("scheduler", "allocator", "token_library", "software_revoker")


@dataclass(frozen=True)
class Generation:
    """One header layout: record sizes and units (rtos.md 1.4's table)."""

    name: str
    magic: int
    loader_record: int
    switcher_record: int
    privileged_record: int
    initialiser_range: bool
    globals_unit: int  # bytes per unit of a globals-size field
    period: str


GENERATIONS = (
    Generation("0", MAGIC_0, 12, 16, 20, False, 1, "before Oct 2023"),
    Generation("A", MAGIC_A, 12, 20, 26, False, 1, "Oct 2023 - Oct 2024"),
    Generation("B", MAGIC_A, 12, 20, 30, False, 1, "Oct - Nov 2024"),
    Generation("C", MAGIC_C, 12, 22, 30, False, 1, "Nov 2024 - Aug 2025"),
    Generation("D", MAGIC_D, 12, 22, 30, False, 4, "Aug 2025 - Jan 2026"),
    Generation("E", MAGIC_D, 0, 22, 30, False, 4, "Jan - Apr 2026"),
    Generation("F", MAGIC_F, 0, 22, 30, True, 4, "Apr 2026 -"),
)


@dataclass(frozen=True)
class Span:
    """An address range [start, start + size)."""

    start: int
    size: int

    @property
    def end(self) -> int:
        return self.start + self.size

    def __contains__(self, address: object) -> bool:
        return isinstance(address, int) and self.start <= address < self.start + self.size

    def __bool__(self) -> bool:
        return self.size > 0


@dataclass(frozen=True)
class SwitcherRecord:
    code: Span
    export_table: Span
    sealing_key_offset: int
    return_path_offset: int | None  # C-F only


@dataclass(frozen=True)
class PrivilegedRecord:
    name: str
    code: Span
    globals: Span
    imports: Span
    export_table: Span
    sealed_objects: Span


@dataclass(frozen=True)
class ComponentRecord:
    """A library or compartment record (34 bytes in every generation)."""

    index: int
    is_library: bool
    code: Span
    imports: Span
    export_table: Span
    globals: Span
    data_size: int
    cap_relocs: Span
    sealed_objects: Span


@dataclass(frozen=True)
class ThreadRecord:
    index: int
    priority: int
    entry_export: int
    stack: Span
    trusted_stack: Span


@dataclass(frozen=True)
class ImageHeader:
    generation: Generation
    address: int
    size: int
    privileged_count: int
    magic_offset: int
    switcher: SwitcherRecord
    privileged: tuple[PrivilegedRecord, ...]
    libraries: tuple[ComponentRecord, ...]
    compartments: tuple[ComponentRecord, ...]
    initialisers: Span | None
    loader_code: Span | None = None    # the loader record (generations 0-D): its C++ code
    loader_data: Span | None = None    # and data, both erased after boot


def _u16(data: bytes, off: int) -> int:
    return struct.unpack_from("<H", data, off)[0]


def _u32(data: bytes, off: int) -> int:
    return struct.unpack_from("<I", data, off)[0]


def _span(data: bytes, off: int, unit: int = 1) -> Span:
    return Span(_u32(data, off), _u16(data, off + 4) * unit)


def candidates(data: bytes) -> list[tuple[Generation, int]]:
    """Every (generation, privileged-record count) whose structure fits the header bytes."""
    fits = []
    for gen in GENERATIONS:
        for n in (3, 4):
            m = gen.loader_record + gen.switcher_record + gen.privileged_record * n
            if m + 8 > len(data):
                continue
            magic = _u32(data, m)
            if magic not in KNOWN_MAGICS or magic != gen.magic:
                continue
            records = m + 8 + (6 if gen.initialiser_range else 0)
            count = _u16(data, m + 4) + _u16(data, m + 6)
            if records + RECORD_SIZE * count == len(data):
                fits.append((gen, n))
    return fits


def parse(data: bytes, address: int,
          tie_breakers: Callable[[], tuple[bool | None, int | None]] | None = None
          ) -> ImageHeader:
    """Identify the generation of ``data`` (the ``.compartment_headers`` bytes) and decode it.

    ``tie_breakers`` returns (a software revoker is linked, address of ``.scheduler_start``);
    it is called only when more than one layout fits the bytes.
    """
    fits = candidates(data)
    if len(fits) > 1 and tie_breakers is not None:
        revoker_linked, scheduler_start = tie_breakers()
        fits = [c for c in fits if _consistent(data, c, revoker_linked, scheduler_start)]
    if not fits:
        magics = sorted({_u32(data, o) for o in range(0, len(data) - 3, 2)} & KNOWN_MAGICS)
        seen = ", ".join(f"{m:#010x}" for m in magics) or "none"
        raise NoRtosView(f"unknown image-header layout ({len(data)} bytes at {address:#010x}; "
                         f"known magics found: {seen}); no known generation (0, A-F) fits")
    if len(fits) > 1:
        names = ", ".join(f"{g.name} with {n} privileged records" for g, n in fits)
        raise NoRtosView(f"ambiguous image-header layout: {names} all fit")
    gen, n = fits[0]
    return _decode(data, address, gen, n)


def _consistent(data: bytes, fit: tuple[Generation, int], revoker_linked: bool | None,
                scheduler_start: int | None) -> bool:
    gen, n = fit
    if revoker_linked is not None and (n == 4) != revoker_linked:
        return False
    if scheduler_start is not None:
        off = gen.loader_record + gen.switcher_record
        return _u32(data, off) == scheduler_start
    return True


def _decode(data: bytes, address: int, gen: Generation, n: int) -> ImageHeader:
    s = gen.loader_record
    if gen.switcher_record == 16:   # 0: code range, entry, key, 3 slot offsets; no exports
        switcher = SwitcherRecord(_span(data, s), Span(0, 0), _u16(data, s + 8), None)
    elif gen.switcher_record == 20:  # A, B: code range, key offset, 3 slot offsets, exports
        switcher = SwitcherRecord(_span(data, s), _span(data, s + 14), _u16(data, s + 6), None)
    else:                           # C-F: code start/size, return path, key, 3 slots, exports
        switcher = SwitcherRecord(Span(_u32(data, s), _u16(data, s + 4)), _span(data, s + 16),
                                  _u16(data, s + 8), _u16(data, s + 6))
    privileged = []
    for i in range(n):
        off = gen.loader_record + gen.switcher_record + gen.privileged_record * i
        code = _span(data, off)
        if gen.privileged_record in (20, 26):
            # Generations 0, A: one u16 import size from code start, key slots included.
            size = _u16(data, off + 12)
            imports = Span(code.start + 16, max(0, size - 16))
            rest = off + 14
        else:
            imports = _span(data, off + 12)
            rest = off + 18
        sealed = _span(data, rest + 6) if gen.privileged_record > 20 else Span(0, 0)
        privileged.append(PrivilegedRecord(
            PRIVILEGED_NAMES[i], code, _span(data, off + 6, gen.globals_unit), imports,
            _span(data, rest), sealed))
    m = gen.loader_record + gen.switcher_record + gen.privileged_record * n
    nlib, ncomp = _u16(data, m + 4), _u16(data, m + 6)
    initialisers = _span(data, m + 8) if gen.initialiser_range else None
    first = m + 8 + (6 if gen.initialiser_range else 0)
    records = []
    for i in range(nlib + ncomp):
        off = first + RECORD_SIZE * i
        code_start = _u32(data, off)
        records.append(ComponentRecord(
            i, i < nlib, Span(code_start, _u16(data, off + 4) * 8),
            Span(code_start, _u16(data, off + 6)), _span(data, off + 8),
            _span(data, off + 14, gen.globals_unit), _u16(data, off + 20),
            _span(data, off + 22), _span(data, off + 28)))
    loader = (_span(data, 0), _span(data, 6)) if gen.loader_record else (None, None)
    return ImageHeader(gen, address, len(data), n, m, switcher, tuple(privileged),
                       tuple(records[:nlib]), tuple(records[nlib:]), initialisers, *loader)


def parse_threads(data: bytes) -> tuple[ThreadRecord, ...]:
    """The ``.thread_config`` block: a u16 count, then packed 18-byte records."""
    if len(data) < 2:
        return ()
    count = _u16(data, 0)
    if 2 + THREAD_RECORD_SIZE * count > len(data):
        raise NoRtosView(f"thread descriptor block holds {len(data)} bytes, too few for "
                         f"{count} threads")
    out = []
    for i in range(count):
        off = 2 + THREAD_RECORD_SIZE * i
        out.append(ThreadRecord(i, _u16(data, off), _u32(data, off + 2), _span(data, off + 6),
                                _span(data, off + 12)))
    return tuple(out)
