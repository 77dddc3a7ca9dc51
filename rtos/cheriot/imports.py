"""Import tables decoded by kind with the loader's classification order (rtos.md 2.3), and
each component's static sealed objects (5.4, 5.5)."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from .header import Span
from .model import (
    Component,
    Export,
    Import,
    ImportKind,
    InterruptRights,
    Kind,
    SealingType,
    StaticSealedObject,
)

if TYPE_CHECKING:
    from .image import RtosImage

PERMIT_BITS = (("LD", 31), ("SD", 30), ("MC", 29), ("LM", 28), ("LG", 27))


class ImportDecoder:
    def __init__(self, image: RtosImage, components: list[Component]) -> None:
        self.image = image
        self.components = components
        self.libraries = [c for c in components
                          if c.kind in (Kind.LIBRARY, Kind.PRIVILEGED_LIBRARY)]
        self.switcher = next(c for c in components if c.kind == Kind.SWITCHER)
        self.callable = [c for c in components
                         if c.kind in (Kind.COMPARTMENT, Kind.PRIVILEGED_COMPARTMENT)]

    def complete(self, comp: Component) -> Component:
        if comp.kind == Kind.SWITCHER or not comp.imports_range:
            return comp
        imports, sealed = self._imports(comp)
        return Component(comp.name, comp.kind, comp.code, comp.globals, comp.imports_range,
                         comp.export_table, comp.sealed_objects_range, comp.exports,
                         tuple(imports), tuple(sealed), comp.error_handler,
                         comp.stackless_error_handler)

    # ------------------------------------------------------------------------------------------

    def _export_at(self, address: int, among: list[Component]) -> tuple[Component, Export] | None:
        for comp in among:
            if address in comp.export_table:
                exp = next((e for e in comp.exports if e.address == address), None)
                if exp is not None:
                    return comp, exp
        return None

    def sealing_type(self, export_address: int) -> SealingType | None:
        hit = self._export_at(export_address, self.components)
        if hit is None:
            return None
        comp, exp = hit
        if not exp.is_sealing_type:
            return None
        return SealingType(comp.name, exp.function, exp.address, exp.symbol)

    def _imports(self, comp: Component) -> tuple[list[Import], list[StaticSealedObject]]:
        mem = self.image.memory
        rng = comp.imports_range
        raw = mem.read(rng.start, rng.size) or b""
        out: list[Import] = []
        sealed: dict[int, StaticSealedObject] = {}
        for off in range(0, len(raw) - 7, 8):
            address = rng.start + off
            target, size_perms = struct.unpack_from("<II", raw, off)
            sym = self.image.symbols.at_with_prefix(address, "__import", "__library_import")
            symbol = sym.name if sym else None
            if off == 0:
                out.append(Import(address, symbol or ".compartment_switcher",
                                  ImportKind.SWITCHER, target, size_perms,
                                  compartment="compartment_switcher"))
                continue
            entry = self._classify(comp, address, symbol, target, size_perms)
            if entry.kind == ImportKind.SEALED_OBJECT and entry.sealed_object is not None:
                sealed[entry.sealed_object.address] = entry.sealed_object
            out.append(entry)
        for obj in self._unimported_objects(comp, sealed):
            sealed[obj.address] = obj
        return out, sorted(sealed.values(), key=lambda o: o.address)

    def _classify(self, comp: Component, address: int, symbol: str | None, target: int,
                  size_perms: int) -> Import:
        size = size_perms & 0xFFFFFF
        if target & 1:
            a = target - 1
            for among, kind in ((self.libraries, ImportKind.LIBRARY_CALL),
                                ([self.switcher], ImportKind.SWITCHER_CALL),
                                ([comp], ImportKind.LOCAL_CALLBACK)):
                hit = self._export_at(a, among)
                if hit is not None:
                    owner, exp = hit
                    return Import(address, symbol, kind, target, size_perms,
                                  compartment=owner.name, function=exp.function,
                                  export_symbol=exp.symbol)
            return self._mmio(address, symbol, target, size_perms)
        if comp.sealed_objects_range and target in comp.sealed_objects_range and \
                target + size <= comp.sealed_objects_range.end:
            obj = self.sealed_object(comp, target, size)
            return Import(address, symbol, ImportKind.SEALED_OBJECT, target, size_perms,
                          compartment=comp.name, sealed_object=obj,
                          sealing_type=obj.sealing_type, start=target, length=size)
        hit = self._export_at(target, self.callable)
        if hit is not None:
            owner, exp = hit
            if exp.is_sealing_type:
                st = SealingType(owner.name, exp.function, exp.address, exp.symbol)
                return Import(address, symbol, ImportKind.SEALING_KEY, target, size_perms,
                              compartment=owner.name, function=exp.function,
                              export_symbol=exp.symbol, sealing_type=st)
            return Import(address, symbol, ImportKind.COMPARTMENT_CALL, target, size_perms,
                          compartment=owner.name, function=exp.function,
                          export_symbol=exp.symbol)
        return self._mmio(address, symbol, target, size_perms)

    def _mmio(self, address: int, symbol: str | None, target: int, size_perms: int) -> Import:
        image = self.image
        size = size_perms & 0xFFFFFF
        permits = tuple(name for name, bit in PERMIT_BITS if size_perms >> bit & 1)
        heap = image.heap
        if heap and target >= heap.start and (target == heap.start or
                                              image.symbols.at_with_prefix(target,
                                                                           "__export_mem_heap")):
            return Import(address, symbol, ImportKind.HEAP, target, size_perms,
                          device="heap", start=target, length=size, permits=permits)
        for obj in image.shared_objects:
            if obj.start <= target < obj.end:
                return Import(address, symbol, ImportKind.SHARED_OBJECT, target, size_perms,
                              device=obj.name, start=target, length=size, permits=permits)
        found = image.device_at(target)
        device = found[0] if found else None
        if device is None:
            sym = image.symbols.at_with_prefix(target, "__export_mem_")
            if sym is not None:
                device = sym.name[len("__export_mem_"):]
        return Import(address, symbol, ImportKind.MMIO, target, size_perms, device=device,
                      start=target, length=size, permits=permits)

    # --- static sealed objects ----------------------------------------------------------------

    def sealed_object(self, comp: Component, address: int, size: int) -> StaticSealedObject:
        image = self.image
        data = image.memory.read(address, size) or bytes(size)
        type_word = struct.unpack_from("<I", data, 0)[0] if size >= 4 else 0
        st = self.sealing_type(type_word)
        # The object's own symbol is sized; boundary symbols (__compart_cgps_end, a bss start)
        # can share its address.
        named = [s for s in image.symbols.at(address)
                 if not s.name.startswith((".", "__import", "__export"))]
        sym = next((s for s in named if s.size), named[0] if named else None)
        payload = data[8:]
        interrupt = quota = None
        if st is not None and st.key == "InterruptKey" and len(payload) >= 4:
            number, wait, complete = struct.unpack_from("<HBB", payload, 0)
            interrupt = InterruptRights(number, bool(wait), bool(complete),
                                        image.interrupt_name(number))
        elif st is not None and st.key == "MallocKey" and len(payload) >= 4:
            quota = struct.unpack_from("<I", payload, 0)[0]
        return StaticSealedObject(address, size, sym.name if sym else None, comp.name, st,
                                  type_word, payload, interrupt, quota)

    def _unimported_objects(self, comp: Component,
                            known: dict[int, StaticSealedObject]) -> list[StaticSealedObject]:
        """Objects in the range nobody imports: sized by their symbol (the range's start symbol
        can precede alignment padding, so every object start is aligned up to 8)."""
        rng = comp.sealed_objects_range
        if not rng:
            return []
        out = []
        covered = [Span(o.address, o.size) for o in known.values()]
        for sym in self.image.symbols.matching(r"^[^.]", rng.start, rng.end):
            if sym.size < 8 or sym.name.startswith(("__import", "__export")):
                continue
            start = (sym.address + 7) & ~7
            if any(start in c for c in covered):
                continue
            covered.append(Span(start, sym.size))
            out.append(self.sealed_object(comp, start, sym.size))
        return out
