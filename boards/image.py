"""Firmware images: ELF files (through pyelftools) and raw binaries.

An ``Image`` is what gets written into memory (``segments``: every ``PT_LOAD`` at its load
address ``p_paddr``, zero-filled up to ``p_memsz``), where execution starts (``entry``), and
what the layers above need to explain addresses: symbols (all of them, local and absolute
ones included, since the RTOS's boundary symbols are local and often ``SHN_ABS``, rtos.md §0)
and DWARF line tables. The ELF file is opened again on demand for DWARF and closed by
``close()``.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.enums import ENUM_ST_INFO_BIND, ENUM_ST_INFO_TYPE
from elftools.elf.sections import SymbolTableSection

from cheriot_gdbserver.errors import ElfLoadError

from .board import MAX_MEMORY, Board

if TYPE_CHECKING:
    from elftools.dwarf.lineprogram import LineProgram

EM_RISCV = "EM_RISCV"


@dataclass(frozen=True, slots=True)
class Segment:
    address: int        # load (physical) address
    data: bytes         # file bytes, then zeros up to the segment's memory size
    flags: int = 0      # p_flags: PF_X 1, PF_W 2, PF_R 4
    index: int = 0      # program header number (as readelf numbers segments), for messages


class Symbol(NamedTuple):
    """A tuple, not a dataclass: a large image has tens of thousands, made at start-up."""

    name: str
    address: int
    size: int
    kind: str           # STT_FUNC, STT_OBJECT, STT_NOTYPE, ...
    binding: str        # STB_LOCAL, STB_GLOBAL, STB_WEAK


@dataclass
class Image:
    """``symbols`` (the fourth argument) is the symbol list, or a function that reads it: an
    ELF's table is parsed on first use only, since a start-up that needs one symbol (the HTIF
    word) or none should not pay for 26k of them (``symbol_address`` finds one alone)."""

    path: Path
    segments: list[Segment]
    entry: int | None
    symbol_source: InitVar[list[Symbol] | Callable[[], list[Symbol]] | None] = None
    is_elf: bool = False
    _file: IO[bytes] | None = field(default=None, repr=False)
    _elf: ELFFile | None = field(default=None, repr=False)
    _lines: tuple[list[int], list[tuple[str, int] | None]] | None = field(default=None,
                                                                          repr=False)
    _symbols: list[Symbol] | None = field(default=None, repr=False)
    _loader: Callable[[], list[Symbol]] | None = field(default=None, repr=False)
    _find_one: Callable[[str], int | None] | None = field(default=None, repr=False)
    _find_near: Callable[[int], list[Symbol]] | None = field(default=None, repr=False)
    _near_lookups: int = field(default=0, repr=False)
    _addresses: list[int] = field(default_factory=list, repr=False)
    _max_size: int = field(default=0, repr=False)

    def __post_init__(self, symbol_source: list[Symbol] | Callable[[], list[Symbol]] | None
                      ) -> None:
        if callable(symbol_source):
            self._loader = symbol_source
        else:
            self._index(list(symbol_source or []))

    def _index(self, symbols: list[Symbol]) -> None:
        symbols.sort(key=itemgetter(1, 0))  # (address, name)
        self._symbols = symbols
        self._addresses = [s.address for s in symbols]
        self._max_size = max((s.size for s in symbols), default=0)

    @property
    def symbol_list(self) -> list[Symbol]:
        """Every symbol, sorted by address (read from the file on first use)."""
        if self._symbols is None:
            assert self._loader is not None
            self._index(self._loader())
        assert self._symbols is not None
        return self._symbols

    @property
    def symbols(self) -> dict[str, int]:
        """Name -> address. Where several symbols share a name (each compartment has its own
        ``compartment_error_handler``), global ones win, then the first by address; look up
        by address (``symbol_containing``) when it matters."""
        result: dict[str, int] = {}
        for sym in sorted(self.symbol_list, key=lambda s: s.binding == "STB_LOCAL"):
            result.setdefault(sym.name, sym.address)
        return result

    def symbol_address(self, name: str) -> int | None:
        """``symbols.get(name)``, without reading the whole table when it is not read yet."""
        if self._symbols is None and self._find_one is not None:
            return self._find_one(name)
        return self.symbols.get(name)

    def symbol_containing(self, address: int) -> Symbol | None:
        """The smallest sized symbol whose [address, address + size) holds ``address``."""
        symbols, addresses, max_size = self._around(address)
        best = None
        i = bisect.bisect_right(addresses, address)
        while i > 0 and symbols[i - 1].address + max_size > address:
            i -= 1
            sym = symbols[i]
            if address < sym.address + sym.size:
                if best is None or sym.size < best.size:
                    best = sym
        return best

    def nearest_symbol(self, address: int) -> Symbol | None:
        """The last named symbol at or below ``address`` (sized or not)."""
        symbols, addresses, _ = self._around(address)
        i = bisect.bisect_right(addresses, address)
        return symbols[i - 1] if i else None

    def _around(self, address: int) -> tuple[list[Symbol], list[int], int]:
        """The sorted symbols (with their addresses and largest size) that the two lookups
        above need for ``address``: the whole table once it is read; before that, for the
        first few lookups (a `run` report's), only the symbols that can answer them, found in
        one pass over the raw table (reading and sorting all of a large table costs more
        than a tenth of a second; a pass, a few milliseconds)."""
        if self._symbols is None and self._find_near is not None and self._near_lookups < 8:
            self._near_lookups += 1
            near = self._find_near(address)
            near.sort(key=itemgetter(1, 0))
            return near, [s.address for s in near], max((s.size for s in near), default=0)
        return self.symbol_list, self._addresses, self._max_size

    @property
    def elf(self) -> ELFFile:
        """The ELF file (kept open until ``close()``), for DWARF and section lookups."""
        if not self.is_elf:
            raise ElfLoadError(f"{self.path}: a raw image has no ELF information")
        if self._elf is None:
            self._file = open(self.path, "rb")  # noqa: SIM115 - lives as long as the Image
            self._elf = ELFFile(self._file)
        return self._elf

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._elf = None

    def line_for_address(self, address: int) -> tuple[str, int] | None:
        """(source file, line) of the instruction at ``address``, from DWARF line programs."""
        if not self.is_elf:
            return None
        if self._lines is None:
            self._lines = _line_table(self.elf)
        starts, rows = self._lines
        i = bisect.bisect_right(starts, address) - 1
        return rows[i] if i >= 0 else None


def load_elf(path: str | Path) -> Image:
    """Read a 32-bit RISC-V ELF: its loadable segments, entry point and symbols."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
            if magic != b"\x7fELF":
                raise ElfLoadError(f"{path}: not an ELF file (it starts with {magic!r}); "
                                   "for a raw binary use --load FILE@ADDRESS")
            f.seek(0)
            elf = ELFFile(f)
            machine, bits = elf["e_machine"], elf.elfclass
            if machine != EM_RISCV or bits != 32:
                raise ElfLoadError(f"{path}: not a 32-bit RISC-V ELF ({machine}, {bits}-bit); "
                                   "build the firmware for CHERIoT (rv32)")
            segments = _segments(elf, path)
            if elf["e_type"] != "ET_EXEC":
                raise ElfLoadError(f"{path}: not an executable ELF ({elf['e_type']}); firmware "
                                   "is linked at fixed addresses (link without -shared/-pie)")
            table = _symbol_table(elf)
            entry = elf["e_entry"]
    except OSError as e:
        raise ElfLoadError(f"{path}: cannot read: {e.strerror}") from None
    except ELFError as e:
        raise ElfLoadError(f"{path}: malformed ELF file: {e}") from None
    image = Image(path, segments, entry, lambda: _symbols(table), is_elf=True)
    image._find_one = lambda name: _find_symbol(table, name)
    image._find_near = lambda address: _symbols_near(table, address)
    return image


def _segments(elf: ELFFile, path: Path) -> list[Segment]:
    segments = []
    for i, ph in enumerate(elf.iter_segments()):
        if ph["p_type"] != "PT_LOAD" or ph["p_memsz"] == 0:
            continue
        if ph["p_filesz"] > ph["p_memsz"]:
            raise ElfLoadError(f"{path}: program header {i} has more file bytes "
                               f"({ph['p_filesz']:#x}) than memory bytes ({ph['p_memsz']:#x})")
        if ph["p_paddr"] + ph["p_memsz"] > 1 << 32 or ph["p_memsz"] > MAX_MEMORY:
            raise ElfLoadError(f"{path}: program header {i} ({ph['p_memsz']:#x} bytes at "
                               f"{ph['p_paddr']:#x}) is larger than any board's memory")
        data = ph.data() + bytes(ph["p_memsz"] - ph["p_filesz"])
        segments.append(Segment(ph["p_paddr"], data, ph["p_flags"], i))
    if not segments:
        raise ElfLoadError(f"{path}: no loadable (PT_LOAD) segments; was it linked?")
    return segments


# st_info's two nibbles -> pyelftools' names; a value it does not name keeps its number
_SYM_TYPES = {value: name for name, value in ENUM_ST_INFO_TYPE.items() if isinstance(value, int)}
_SYM_TYPES = {n: _SYM_TYPES.get(n, f"STT_{n}") for n in range(16)}
_SYM_BINDS = {value: name for name, value in ENUM_ST_INFO_BIND.items() if isinstance(value, int)}
_SYM_BINDS = {n: _SYM_BINDS.get(n, f"STB_{n}") for n in range(16)}


@dataclass(frozen=True)
class _SymbolTable:
    """The raw .symtab and its string table, read once at load (bytes, not parsed)."""

    entries: bytes       # whole Elf32_Sym records
    strings: bytes
    layout: str          # struct format of one record


def _symbol_table(elf: ELFFile) -> _SymbolTable:
    for section in elf.iter_sections():
        if isinstance(section, SymbolTableSection) and section.name == ".symtab":
            data = section.data()
            strings = elf.get_section(section["sh_link"]).data()
            layout = ("<" if elf.little_endian else ">") + "IIIBBH"  # Elf32_Sym
            return _SymbolTable(data[:len(data) - len(data) % 16], strings, layout)
    return _SymbolTable(b"", b"", "<IIIBBH")


def _symbols(table: _SymbolTable) -> list[Symbol]:
    """The .symtab's symbols, read in one pass with ``struct``: pyelftools parses each entry
    through construct (about 30 µs a symbol, most of a large image's start-up)."""
    result = []
    strings, find, types, binds = table.strings, table.strings.find, _SYM_TYPES, _SYM_BINDS
    for name_at, value, size, info, _other, _shndx in struct.iter_unpack(table.layout,
                                                                        table.entries):
        kind = types[info & 0xF]
        # Skip file and section symbols and the psABI's mapping symbols ($x..., $d...).
        if kind == "STT_FILE" or kind == "STT_SECTION":
            continue
        end = find(b"\0", name_at)
        name = strings[name_at:end if end >= 0 else None].decode(errors="replace")
        if not name or (name[0] == "$" and _is_mapping(name)):
            continue
        result.append(Symbol(name, value, size, kind, binds[info >> 4]))
    return result


def _symbol(table: _SymbolTable, name_at: int, value: int, size: int, info: int
            ) -> Symbol | None:
    """One raw entry as ``_symbols`` makes it, or None where ``_symbols`` skips it."""
    kind = _SYM_TYPES[info & 0xF]
    if kind == "STT_FILE" or kind == "STT_SECTION":
        return None
    end = table.strings.find(b"\0", name_at)
    name = table.strings[name_at:end if end >= 0 else None].decode(errors="replace")
    if not name or (name[0] == "$" and _is_mapping(name)):
        return None
    return Symbol(name, value, size, kind, _SYM_BINDS[info >> 4])


def _symbols_near(table: _SymbolTable, address: int) -> list[Symbol]:
    """The symbols of ``_symbols(table)`` that hold ``address`` or lie at the highest address
    at or below it (all that ``symbol_containing`` and ``nearest_symbol`` look at), in one
    pass that decodes only their names."""
    result, below = [], []
    for name_at, value, size, info, _other, _shndx in struct.iter_unpack(table.layout,
                                                                        table.entries):
        if value <= address:
            if address < value + size:
                sym = _symbol(table, name_at, value, size, info)
                if sym is not None:
                    result.append(sym)
            else:
                below.append((value, name_at, size, info))
    top = max((s.address for s in result), default=-1)
    below.sort(reverse=True)
    for value, name_at, size, info in below:  # the highest first, until past the top one
        if value < top:
            break
        sym = _symbol(table, name_at, value, size, info)
        if sym is not None:
            result.append(sym)
            top = value
    return result


def _find_symbol(table: _SymbolTable, name: str) -> int | None:
    """What ``Image.symbols.get(name)`` gives (global first, then the lowest address), found
    from the string-table offsets that hold ``name`` without decoding the other names."""
    wanted = name.encode()
    if not wanted or _is_mapping(name):
        return None
    offsets, at = set(), table.strings.find(wanted + b"\0")
    while at >= 0:  # suffix-shared strings point into longer ones: no leading NUL needed
        offsets.add(at)
        at = table.strings.find(wanted + b"\0", at + 1)
    if not offsets:
        return None
    best: tuple[bool, int] | None = None
    for name_at, value, _size, info, _other, _shndx in struct.iter_unpack(table.layout,
                                                                         table.entries):
        if name_at in offsets and _SYM_TYPES[info & 0xF] not in ("STT_FILE", "STT_SECTION"):
            key = (_SYM_BINDS[info >> 4] == "STB_LOCAL", value)
            best = key if best is None or key < best else best
    return None if best is None else best[1]


def _is_mapping(name: str) -> bool:
    return name in ("$x", "$d") or name.startswith(("$x.", "$xrv", "$d."))


def _line_table(elf: ELFFile) -> tuple[list[int], list[tuple[str, int] | None]]:
    """Sorted range starts and, for each range, its (file, line) or None (a gap)."""
    if not elf.has_dwarf_info():
        return [], []
    ranges: list[tuple[int, tuple[str, int] | None]] = []
    dwarf = elf.get_dwarf_info()
    for cu in dwarf.iter_CUs():
        program = dwarf.line_program_for_CU(cu)
        if program is None:
            continue
        for entry in program.get_entries():
            state = entry.state
            if state is None:
                continue
            if state.end_sequence:
                ranges.append((state.address, None))
            else:
                ranges.append((state.address, (_file_name(program, state.file), state.line)))
    ranges.sort(key=lambda r: r[0])
    starts: list[int] = []
    rows: list[tuple[str, int] | None] = []
    for start, row in ranges:
        if starts and starts[-1] == start:
            if row is not None:          # a real row wins over an end-of-sequence marker
                rows[-1] = row
            continue
        starts.append(start)
        rows.append(row)
    return starts, rows


def _file_name(program: LineProgram, index: int) -> str:
    """A line program's file ``index`` as ``directory/name`` (DWARF 4 counts from 1, 5 from 0)."""
    version = program.header["version"]
    dirs = program.header["include_directory"]
    entry = program.header["file_entry"][index - 1 if version < 5 else index]
    filename = entry.name.decode(errors="replace")
    d = entry.dir_index - 1 if version < 5 else entry.dir_index
    if 0 <= d < len(dirs) and not filename.startswith("/"):
        return f"{dirs[d].decode(errors='replace')}/{filename}"
    return filename


def load_raw(path: str | Path, address: int, entry: int | None = None) -> Image:
    """A raw binary image, loaded at ``address``; ``entry`` defaults to none (use --entry)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ElfLoadError(f"{path}: cannot read: {e.strerror}") from None
    if not data:
        raise ElfLoadError(f"{path}: the file is empty")
    if address < 0 or address + len(data) > 1 << 32:
        raise ElfLoadError(f"{path}: {len(data)} bytes at {address:#x} do not fit in the "
                           "32-bit address space")
    return Image(path, [Segment(address, data)], entry)


def parse_load_spec(spec: str) -> tuple[Path, int]:
    """``FILE@ADDRESS`` (as --load takes it) -> (file, address)."""
    path, sep, address = spec.rpartition("@")
    if not sep or not path:
        raise ElfLoadError(f"--load {spec}: expected FILE@ADDRESS, e.g. fw.bin@0x80000000")
    try:
        return Path(path), int(address, 0)
    except ValueError:
        raise ElfLoadError(f"--load {spec}: '{address}' is not an address") from None


def check_fits(image: Image, board: Board) -> None:
    """Every segment must lie inside one RAM or ROM region of the board."""
    memory = board.memory
    for seg in image.segments:
        end = seg.address + len(seg.data)
        if not any(r.base <= seg.address and end <= r.end for r in memory):
            where = ", ".join(f"{r.name} {r.base:#010x}-{r.end:#010x}" for r in memory)
            raise ElfLoadError(f"{image.path}: segment {seg.index} ({seg.address:#010x}-"
                               f"{end:#010x}, {len(seg.data)} bytes) is outside the memory of "
                               f"board '{board.name}' ({where})")
