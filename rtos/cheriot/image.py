"""The RTOS image model, from the ELF alone (rtos.md 1.3-1.4, 2.2-2.6, 4.9, 5.4).

``RtosImage.from_elf`` identifies the header generation (cheap) and raises NoRtosView for
anything it cannot describe; symbols, components, tables and threads are decoded on first use.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from functools import cached_property

from elftools.elf.elffile import ELFFile

from . import header as hdr
from .dwarf import DwarfLayouts
from .errors import NoRtosView
from .header import Span
from .imports import ImportDecoder
from .layouts import (
    CHUNK_HEADER,
    MSTATE,
    THREAD,
    TRUSTED_STACK_FRAME,
    TRUSTED_STACK_MSHWM,
    Field,
    StructLayout,
    interrupt_controller,
)
from .memory import ImageMemory
from .model import (
    Component,
    Export,
    Kind,
    Posture,
    Region,
    SharedObject,
    StaticSealedObject,
    StaticThread,
)
from .names import split_entry_symbol
from .reboots import RebootTable, find_table
from .symbols import Symbols

_POSTURES = {0: Posture.INHERIT, 1: Posture.ENABLED, 2: Posture.DISABLED, 3: Posture.DISABLED}
_TS_ALIASES = {"cra": "c1", "csp": "c2", "cgp": "c3", "ctp": "c4", "ct0": "c5", "ct1": "c6",
               "ct2": "c7", "cs0": "c8", "cs1": "c9", "ca0": "c10", "ca1": "c11", "ca2": "c12",
               "ca3": "c13", "ca4": "c14", "ca5": "c15"}
SEALING_TYPE_FLAG = 0x20


class RtosImage:
    """Everything the ELF says about the CHERIoT RTOS image."""

    def __init__(self, elf: ELFFile, header: hdr.ImageHeader,
                 devices: Mapping[str, tuple[int, int]],
                 interrupts: Iterable[tuple[str, int]], revokable_start: int | None) -> None:
        self.elf = elf
        self.header = header
        self.devices = dict(devices)
        self.interrupts = tuple(interrupts)   # the board's (name, number), in array order
        self.revokable_start = revokable_start
        self.memory = ImageMemory(elf)
        self.symbols = Symbols(elf)
        self.dwarf = DwarfLayouts(elf)

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def from_elf(cls, elf: ELFFile, devices: Mapping[str, tuple[int, int]] | None = None, *,
                 interrupts: Iterable[tuple[str, int]] = (),
                 revokable_start: int | None = None) -> RtosImage:
        """The model of ``elf``. ``devices`` maps board device names to (base, top) for
        decoding MMIO imports; ``interrupts`` lists the board's (name, number) in array order
        (the interrupt futex words follow it); ``revokable_start`` is the board's revocation
        bitmap base (quarantine detection). Raises NoRtosView."""
        if elf.get_machine_arch() != "RISC-V" or elf.elfclass != 32:
            raise NoRtosView(f"not a CHERIoT RTOS image: a {elf.elfclass}-bit "
                             f"{elf.get_machine_arch()} ELF, not RV32")
        section = elf.get_section_by_name(".compartment_headers")
        if section is None or section["sh_type"] == "SHT_NOBITS":
            raise NoRtosView("not a CHERIoT RTOS image: it has no .compartment_headers section "
                             "(the loader's image header)")
        symbols = Symbols(elf)

        def tie_breakers() -> tuple[bool, int | None]:
            # Only loaded when two layouts fit: the symbol table is the slow part of a start.
            sched = symbols.named(".scheduler_start")
            revoker = bool(symbols.named(".software_revoker_start") or
                           symbols.named(".software_revoker_code_start"))
            return revoker, sched[0].address if sched else None

        header = hdr.parse(section.data(), section["sh_addr"], tie_breakers)
        image = cls(elf, header, devices or {}, interrupts, revokable_start)
        image.symbols = symbols
        return image

    @property
    def generation(self) -> str:
        return self.header.generation.name

    # --- components -------------------------------------------------------------------------

    def _name_of(self, code_start: int) -> str:
        for sym in self.symbols.at(code_start):
            if sym.name.startswith(".") and sym.name.endswith("_code_start"):
                return sym.name[1:-len("_code_start")]
        for section in self.elf.iter_sections():
            if section["sh_addr"] == code_start and section.name.endswith("_code") and \
                    section["sh_size"]:
                return section.name.lstrip(".")[:-len("_code")]
        return f"component@{code_start:#x}"

    def _section_span(self, *names: str) -> Span:
        for name in names:
            section = self.elf.get_section_by_name(name)
            if section is not None and section["sh_size"]:
                return Span(section["sh_addr"], section["sh_size"])
        return Span(0, 0)

    @cached_property
    def loader_ephemeral(self) -> tuple[Span, Span]:
        """The loader's C++ code and data, erased (made heap) after boot (1.6)."""
        h = self.header
        code = h.loader_code or self._section_span(".loader_ephemeral_code", ".loader_code")
        data = h.loader_data or self._section_span(".loader_ephemeral_data", ".loader_data")
        return code, data

    @cached_property
    def _skeletons(self) -> list[Component]:
        """Components with ranges only; tables are filled by ``components``."""
        h = self.header
        out = [Component("compartment_switcher", Kind.SWITCHER, h.switcher.code, Span(0, 0),
                         Span(0, 0), h.switcher.export_table, Span(0, 0))]
        boot = self._section_span(".loader_code_persistent", ".loader_start")
        if boot:
            out.insert(0, Component("loader", Kind.LOADER, boot, Span(0, 0), Span(0, 0),
                                    Span(0, 0), Span(0, 0)))
        for rec in h.privileged:
            if not rec.code:
                continue   # a zero-filled record for a component the image lacks
            kind = Kind.PRIVILEGED_LIBRARY if not rec.globals else Kind.PRIVILEGED_COMPARTMENT
            out.append(Component(rec.name, kind, rec.code, rec.globals, rec.imports,
                                 rec.export_table, rec.sealed_objects))
        for record in (*h.libraries, *h.compartments):
            kind = Kind.LIBRARY if record.is_library else Kind.COMPARTMENT
            out.append(Component(self._name_of(record.code.start), kind, record.code,
                                 record.globals, record.imports, record.export_table,
                                 record.sealed_objects))
        return out

    @cached_property
    def components(self) -> tuple[Component, ...]:
        """The switcher, privileged components, libraries and compartments, in header order."""
        skeletons = self._skeletons
        with_exports = [self._with_exports(c) for c in skeletons]
        decoder = ImportDecoder(self, with_exports)
        return tuple(decoder.complete(c) for c in with_exports)

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)

    @property
    def compartments(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.kind == Kind.COMPARTMENT)

    @property
    def libraries(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.kind == Kind.LIBRARY)

    @property
    def privileged(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components
                     if c.kind in (Kind.PRIVILEGED_COMPARTMENT, Kind.PRIVILEGED_LIBRARY))

    def owner_of_export(self, address: int) -> Component | None:
        """The component whose export table contains ``address``."""
        for comp in self._skeletons:
            if address in comp.export_table:
                return comp
        return None

    def owner_of_code(self, address: int) -> Component | None:
        for comp in self._skeletons:
            if address in comp.code:
                return comp
        return None

    @cached_property
    def compiler_names(self) -> dict[str, str]:
        """Compiler-level compartment name (``sched``) -> component name (``scheduler``), learnt
        from the export symbols inside each component's table."""
        out: dict[str, str] = {}
        for comp in self.components:
            for exp in comp.exports:
                if exp.symbol:
                    cname, _ = split_entry_symbol(exp.symbol)
                    if cname and cname != "libcalls":
                        out.setdefault(cname, comp.name)
        return out

    # --- export tables ----------------------------------------------------------------------

    def _with_exports(self, comp: Component) -> Component:
        table = comp.export_table
        if not table or table.size < 20:
            return comp
        raw = self.memory.read(table.start, table.size)
        if raw is None:
            return comp
        exports = []
        names = tuple(c.name for c in self._skeletons)
        for off in range(20, table.size - 3, 4):
            address = table.start + off
            start, stack, flags = struct.unpack_from("<HBB", raw, off)
            sym = self.symbols.at_with_prefix(address, "__export", "__library_export")
            symbol = sym.name if sym else None
            function = split_entry_symbol(symbol, names)[1] if symbol else f"entry{off // 4 - 5}"
            exported = symbol is not None and self._is_global(symbol, address)
            exports.append(Export(address, symbol, function, start, stack * 8, flags, flags & 7,
                                  _POSTURES[(flags >> 3) & 3], bool(flags & SEALING_TYPE_FLAG),
                                  exported))
        handler, stackless = self._error_handlers(raw, comp)
        return Component(comp.name, comp.kind, comp.code, comp.globals, comp.imports_range,
                         comp.export_table, comp.sealed_objects_range, tuple(exports),
                         error_handler=handler, stackless_error_handler=stackless)

    def _error_handlers(self, raw: bytes, comp: Component) -> tuple[int | None, int | None]:
        """Export-table handler offsets, PCC-relative. Trees before the stackless-handler work
        (September 2024) store one signed 32-bit PCC-relative offset (-1 = none); later ones
        two u16s relative to the start of ``.text`` (0xffff = none), which the loader rebases by
        the import-table size (rtos.md 2.2). Generation 0 has the old form, B-F the new one;
        in generation A, whose period holds the change, a value in [0, 0x10000) is taken as the
        old form (a new-form pair reads so only with a stackless handler at .text offset 0)."""
        if comp.kind in (Kind.LIBRARY, Kind.SWITCHER) or len(raw) < 20:
            return None, None
        word = struct.unpack_from("<i", raw, 16)[0]
        gen = self.header.generation.name
        old = gen == "0" or (gen == "A" and (word == -1 or 0 <= word < 0x10000))
        if old:
            return (None if word == -1 else word), None
        full, stackless = struct.unpack_from("<HH", raw, 16)
        base = comp.imports_range.size if comp.kind == Kind.COMPARTMENT else \
            comp.imports_range.end - comp.code.start
        return (None if full == 0xFFFF else full + base), \
            (None if stackless == 0xFFFF else stackless + base)

    def _is_global(self, symbol: str, address: int) -> bool:
        return any(s.is_global and s.address == address for s in self.symbols.named(symbol))

    # --- threads ----------------------------------------------------------------------------

    @cached_property
    def threads(self) -> tuple[StaticThread, ...]:
        section = self.elf.get_section_by_name(".thread_config")
        data: bytes | None = b""
        if section is not None and section["sh_type"] != "SHT_NOBITS":
            data = section.data()
        else:
            start = self.symbols.address(".thread_config_start") or \
                self.symbols.address("__thread_count")
            count = self.memory.u16(start) if start is not None else None
            if start is not None and count is not None:
                data = self.memory.read(start, 2 + 18 * count)
        frames_off = self.trusted_stack_layout["frames"].offset
        frame = self.frame_layout.size
        out = []
        for rec in hdr.parse_threads(data or b""):
            owner = self.owner_of_export(rec.entry_export)
            comp = next((c for c in self.components if owner and c.name == owner.name), None)
            exp = next((e for e in comp.exports if e.address == rec.entry_export), None) \
                if comp else None
            frames = max(0, (rec.trusted_stack.size - frames_off) // frame - 1)
            out.append(StaticThread(rec.index + 1, comp.name if comp else "?",
                                    exp.function if exp else f"{rec.entry_export:#x}",
                                    rec.entry_export, rec.priority, rec.stack,
                                    rec.trusted_stack, frames))
        return tuple(out)

    # --- layouts ----------------------------------------------------------------------------

    def _layout(self, key: str, documented: StructLayout,
                aliases: Mapping[str, str] | None = None,
                optional: tuple[str, ...] = ()) -> StructLayout:
        """DWARF's layout with the logical names; a member DWARF lacks keeps its documented
        place, except ``optional`` ones, whose absence is meaningful (no MSHWM)."""
        found = self.dwarf.get(key)
        if found is None:
            return documented
        fields = dict(found.fields)
        for logical, dwarf_name in (aliases or {}).items():
            if logical not in fields and dwarf_name in fields:
                fields[logical] = fields[dwarf_name]
        for name, fld in documented.fields.items():
            if name not in fields and name not in optional:
                fields[name] = fld
        return StructLayout(found.name, found.size, fields, "dwarf")

    @cached_property
    def thread_layout(self) -> StructLayout:
        return self._layout("thread", THREAD)

    @cached_property
    def trusted_stack_layout(self) -> StructLayout:
        found = self._layout("trusted_stack", TRUSTED_STACK_MSHWM,
                             {**_TS_ALIASES, "mepcc": "pcc"},
                             optional=("mshwm", "mshwmb", "inForcedUnwind"))
        if found.source == "dwarf":
            return found
        # The switcher exports its offsets as absolute TrustedStack_offset_<name> symbols.
        offsets = {s.name[len("TrustedStack_offset_"):]: s.address
                   for s in self.symbols.with_prefix("TrustedStack_offset_")}
        if "frameoffset" not in offsets:
            return found
        fields = dict(found.fields)
        for name, fld in list(fields.items()):
            alias = _TS_ALIASES.get(name, name)
            off = offsets.get(name, offsets.get(alias))
            if off is not None:
                fields[name] = Field(off, fld.size, fld.bit, fld.bits)
        if "mshwm" not in offsets:
            fields.pop("mshwm", None)
            fields.pop("mshwmb", None)
        return StructLayout("TrustedStack", found.size, fields, "symbols")

    @cached_property
    def frame_layout(self) -> StructLayout:
        return self._layout("frame", TRUSTED_STACK_FRAME)

    @cached_property
    def mstate_layout(self) -> StructLayout:
        return self._layout("mstate", MSTATE)

    @cached_property
    def chunk_layout(self) -> StructLayout:
        return self._layout("chunk", CHUNK_HEADER)

    @cached_property
    def interrupt_controller_layout(self) -> StructLayout:
        return self._layout("interrupt_controller", interrupt_controller("plic" in self.devices))

    # --- sealing ----------------------------------------------------------------------------

    @cached_property
    def reboot_table(self) -> RebootTable | None:
        """The micro-reboot records (reboots.py); None: the image cannot reboot compartments."""
        return find_table(self)

    @cached_property
    def split_token_otypes(self) -> bool:
        """True when otype 11/12 mean dynamic/static tokens (October 2024 on), False when they
        mean scheduler/allocator objects: the token library exports token_obj_unseal_static
        only in the newer scheme (rtos.md 5.6)."""
        table = next((c.export_table for c in self._skeletons if c.name == "token_library"),
                     None)
        if table:
            return bool(self.symbols.matching(r"token_obj_unseal_static", table.start,
                                              table.end))
        return bool(self.symbols.matching(r"token_obj_unseal_static"))

    @cached_property
    def sealed_objects(self) -> tuple[StaticSealedObject, ...]:
        return tuple(o for c in self.components for o in c.sealed_objects)

    def sealing_type_named(self, number: int) -> Export | None:
        """Static sealing type ``number`` as assigned at run time is only in target memory;
        this finds the entry whose image ``functionStart`` already holds it (rare)."""
        for comp in self.components:
            for exp in comp.exports:
                if exp.is_sealing_type and exp.function_start == number:
                    return exp
        return None

    # --- memory map -------------------------------------------------------------------------

    @cached_property
    def heap(self) -> Span:
        start = self.symbols.address("__export_mem_heap")
        end = self.symbols.address("__export_mem_heap_end")
        if start is None or end is None:
            return Span(0, 0)
        return Span(start, end - start)

    @cached_property
    def shared_objects(self) -> tuple[SharedObject, ...]:
        out = []
        for sym in self.symbols.with_prefix("__cheriot_shared_object_"):
            if sym.name.endswith("_end") or sym.name.startswith("__cheriot_shared_object_sec"):
                continue
            end = self.symbols.address(sym.name + "_end")
            out.append(SharedObject(sym.name[len("__cheriot_shared_object_"):], sym.address,
                                    end if end is not None else sym.address + sym.size))
        return tuple(sorted(out, key=lambda o: o.start))

    @cached_property
    def mmio_devices(self) -> dict[str, tuple[int, int]]:
        """Board devices, else the ``__export_mem_<d>``/``_end`` symbols the build emits."""
        if self.devices:
            return dict(self.devices)
        out = {}
        for sym in self.symbols.with_prefix("__export_mem_"):
            name = sym.name[len("__export_mem_"):]
            if name.endswith("_end") or name.startswith("heap"):
                continue
            end = self.symbols.address(sym.name + "_end")
            if end is not None:
                out[name] = (sym.address, end)
        return out

    def device_at(self, address: int) -> tuple[str, int, int] | None:
        for name, (base, top) in self.mmio_devices.items():
            if base <= address < top:
                return name, base, top
        return None

    def interrupt_name(self, number: int) -> str | None:
        return next((n for n, num in self.board_interrupts if num == number), None)

    @cached_property
    def board_interrupts(self) -> tuple[tuple[str | None, int], ...]:
        """The board's (name, number) in array order (= futex word order, 4.8). Without a
        board, the numbers come from the scheduler's constant ``ConfiguredInterrupts`` table
        (12-byte records, number first) and the names are unknown."""
        if self.interrupts:
            return self.interrupts
        sched = next((c for c in self._skeletons if c.name == "scheduler"), None)
        table = next((s for s in self.symbols.matching(
            r"ConfiguredInterrupts", *((sched.code.start, sched.code.end) if sched else ()))
            if s.size), None)
        if table is None:
            return ()
        out = []
        for i in range(table.size // 12):
            number = self.memory.u32(table.address + 12 * i)
            if number is None:
                break
            out.append((None, number))
        return tuple(out)

    def static_regions(self) -> list[Region]:
        """Every range the image itself defines, for ``where``."""
        regions: list[Region] = []
        for comp in self.components:
            if comp.code:
                if comp.imports_range:
                    regions.append(Region("import table", comp.name, comp.imports_range.start,
                                          comp.imports_range.end))
                regions.append(Region("code", comp.name, comp.code.start, comp.code.end,
                                      comp.kind.value))
            if comp.globals:
                regions.append(Region("globals", comp.name, comp.globals.start,
                                      comp.globals.end))
            if comp.export_table:
                regions.append(Region("export table", comp.name, comp.export_table.start,
                                      comp.export_table.end))
            for obj in comp.sealed_objects:
                what = obj.sealing_type.key if obj.sealing_type else "unknown type"
                regions.append(Region("static sealed object", comp.name, obj.address,
                                      obj.address + obj.size, f"{obj.symbol or '?'} ({what})"))
        for thread in self.threads:
            regions.append(Region("stack", f"thread {thread.id} ({thread.name})",
                                  thread.stack.start, thread.stack.end))
            regions.append(Region("trusted stack", f"thread {thread.id} ({thread.name})",
                                  thread.trusted_stack.start, thread.trusted_stack.end))
        for shared in self.shared_objects:
            regions.append(Region("shared object", shared.name, shared.start, shared.end))
        for name, (base, top) in self.mmio_devices.items():
            regions.append(Region("MMIO", name, base, top))
        for span, what in zip(self.loader_ephemeral, ("loader code (erased after boot)",
                                                     "loader data (erased after boot)"),
                              strict=True):
            if span:
                regions.append(Region(what, "loader", span.start, span.end))
        for name, what in (("bootStack", "loader/scheduler stack"),
                           ("bootTStack", "idle thread trusted stack")):
            for sym in self.symbols.named(name):
                if sym.size:
                    regions.append(Region(what, "loader", sym.address, sym.address + sym.size))
        return regions
