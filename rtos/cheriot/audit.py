"""A report shaped like the CHERIoT linker's audit report (rtos.md 8), from the image alone.

Fields the linker takes from object files (input file names, section hashes, ``provided_by``)
are not in the final ELF and are left out; everything else follows the report's schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Component, Import, ImportKind, Kind

if TYPE_CHECKING:
    from .image import RtosImage

_PERMITS = (("LD", "permits_load"), ("SD", "permits_store"),
            ("MC", "permits_load_store_capabilities"), ("LM", "permits_load_mutable"),
            ("LG", "permits_load_global"))


def contents(payload: bytes) -> str:
    """Two hex digits per byte in memory order, four bytes per group (cheriot-audit's form)."""
    hexed = payload.hex()
    return " ".join(hexed[i:i + 8] for i in range(0, len(hexed), 8))


def _import(imp: Import) -> dict[str, Any] | None:
    if imp.kind == ImportKind.SWITCHER:
        return None
    if imp.kind in (ImportKind.COMPARTMENT_CALL, ImportKind.SEALING_KEY):
        return {"kind": "CompartmentExport", "export_symbol": imp.export_symbol,
                "compartment_name": imp.compartment, "function": imp.function}
    if imp.kind in (ImportKind.LIBRARY_CALL, ImportKind.SWITCHER_CALL,
                    ImportKind.LOCAL_CALLBACK):
        return {"kind": "LibraryFunction", "export_symbol": imp.export_symbol,
                "compartment_name": imp.compartment, "function": imp.function}
    if imp.kind == ImportKind.SEALED_OBJECT and imp.sealed_object is not None:
        obj = imp.sealed_object
        st = obj.sealing_type
        return {"kind": "SealedObject", "contents": contents(obj.payload),
                "sealing_type": {"compartment": st.compartment if st else None,
                                 "key": st.key if st else None,
                                 "symbol": st.symbol if st else None}}
    entry: dict[str, Any] = {"kind": "SharedObject" if imp.kind == ImportKind.SHARED_OBJECT
                             else "MMIO"}
    if imp.kind == ImportKind.SHARED_OBJECT:
        entry["shared_object"] = imp.device
    entry.update(start=imp.start, length=imp.length)
    for perm, key in _PERMITS:
        entry[key] = perm in imp.permits
    return entry


def _export(comp: Component) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for exp in comp.exports:
        if exp.is_sealing_type:
            out.append({"kind": "SealingKey", "export_symbol": exp.symbol,
                        "exported": exp.exported})
        else:
            out.append({"kind": "Function", "export_symbol": exp.symbol,
                        "exported": exp.exported, "interrupt_status": exp.interrupts.value,
                        "register_arguments": exp.register_arguments,
                        "start_offset": exp.function_start})
    return out


def build_report(image: RtosImage, name: str | None = None) -> dict[str, Any]:
    comps: dict[str, Any] = {}
    for comp in image.components:
        if comp.kind == Kind.LOADER or (name is not None and comp.name != name):
            continue   # the report lists the loader under "core", from object-file sections
        section = {Kind.SWITCHER: "compartment_switcher_code"}.get(comp.kind)
        if section is None:
            section = f"{comp.name}_code" if comp.kind in (Kind.PRIVILEGED_COMPARTMENT,
                                                           Kind.PRIVILEGED_LIBRARY) \
                else f".{comp.name}_code"
        entry: dict[str, Any] = {
            "kind": comp.kind.value,
            "code": {"name": section, "start": comp.code.start, "size": comp.code.size},
            "exports": _export(comp),
            "imports": [i for i in map(_import, comp.imports) if i is not None],
        }
        if comp.globals:
            entry["data"] = {"name": f".{comp.name}_globals", "start": comp.globals.start,
                             "size": comp.globals.size}
        comps[comp.name] = entry
    report: dict[str, Any] = {"compartments": comps}
    if name is None:
        report["threads"] = [{
            "entry_point": {"compartment_name": t.compartment, "function": t.function},
            "priority": t.priority,
            "stack": {"start": t.stack.start, "length": t.stack.size},
            "trusted_stack": {"start": t.trusted_stack.start, "length": t.trusted_stack.size},
        } for t in image.threads]
        report["sharedObjects"] = [{"name": o.name, "start": o.start, "end": o.end}
                                   for o in image.shared_objects]
        report["generation"] = image.generation
    return report
