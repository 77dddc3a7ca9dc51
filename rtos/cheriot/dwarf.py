"""Struct layouts read from the image's DWARF (pyelftools), for the structs the model reads.

DWARF 4 bit-fields (the CHERIoT toolchain's) carry ``DW_AT_bit_offset`` counted from the most
significant bit of a ``DW_AT_byte_size`` storage unit; on this little-endian target the LSB
position is ``8 * byte_size - bit_offset - bit_size`` (rtos.md section 0). DWARF 5's
``DW_AT_data_bit_offset`` is accepted too. Anonymous struct/union members are flattened into
their parent, so the thread block's futex union reads as plain fields. One pass over the
debug information finds every wanted struct, on first use only.
"""

from __future__ import annotations

import re
from functools import cached_property

import structlog
from elftools.elf.elffile import ELFFile

from .layouts import Field, StructLayout

log = structlog.get_logger(__name__)

# Logical struct -> regular expression on its DW_AT_name.
WANTED = {
    "thread": r"^ThreadImpl<",
    "trusted_stack": r"^(TrustedStackGeneric<|TrustedStack$)",
    "frame": r"^TrustedStackFrame$",
    "mstate": r"^MState$",
    "chunk": r"^MChunkHeader$",
    "interrupt_controller": r"^InterruptController$",
    "multiwaiter": r"^MultiWaiterInternal$",
    "micro_reboot": r"^MicroReboot$",   # the bundled firmware's reboot record (reboots.py)
}
_CORE_UNIT = re.compile(r"(scheduler|allocator|switcher|loader)")
_QUALIFIERS = {"DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type",
               "DW_TAG_restrict_type", "DW_TAG_atomic_type"}
_CONTAINERS = {"DW_TAG_namespace", "DW_TAG_structure_type", "DW_TAG_class_type",
               "DW_TAG_compile_unit", "DW_TAG_partial_unit"}
_AGGREGATES = {"DW_TAG_structure_type", "DW_TAG_class_type", "DW_TAG_union_type"}


def _name(die) -> str | None:
    attr = die.attributes.get("DW_AT_name")
    if attr is None:
        return None
    value = attr.value
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _uleb(data: list[int]) -> int:
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value


def _member_offset(die) -> int:
    attr = die.attributes.get("DW_AT_data_member_location")
    if attr is None:
        return 0
    value = attr.value
    if isinstance(value, int):
        return value
    if isinstance(value, list) and value and value[0] == 0x23:  # DW_OP_plus_uconst
        return _uleb(value[1:])
    return 0


def _type(die):
    return die.get_DIE_from_attribute("DW_AT_type") if "DW_AT_type" in die.attributes else None


def _strip(die):
    while die is not None and die.tag in _QUALIFIERS:
        die = _type(die)
    return die


def type_size(die) -> int:
    die = _strip(die)
    if die is None:
        return 0
    if "DW_AT_byte_size" in die.attributes:
        return die.attributes["DW_AT_byte_size"].value
    if die.tag == "DW_TAG_array_type":
        count = 1
        for sub in die.iter_children():
            if sub.tag != "DW_TAG_subrange_type":
                continue
            if "DW_AT_count" in sub.attributes:
                count *= sub.attributes["DW_AT_count"].value
            elif "DW_AT_upper_bound" in sub.attributes:
                count *= sub.attributes["DW_AT_upper_bound"].value + 1
            else:
                count = 0
        return type_size(_type(die)) * count
    return 0


def flatten(die, base: int = 0, out: dict[str, Field] | None = None) -> dict[str, Field]:
    """Members of a struct/union DIE as fields, anonymous aggregates flattened in."""
    out = {} if out is None else out
    for member in die.iter_children():
        if member.tag != "DW_TAG_member":
            continue
        mtype = _type(member)
        name = _name(member)
        attrs = member.attributes
        if "DW_AT_bit_size" in attrs:
            bits = attrs["DW_AT_bit_size"].value
            if "DW_AT_data_bit_offset" in attrs:
                dbo = attrs["DW_AT_data_bit_offset"].value
                offset, bit = base + dbo // 8, dbo % 8
                size = (bit + bits + 7) // 8
            else:
                size = attrs["DW_AT_byte_size"].value if "DW_AT_byte_size" in attrs \
                    else type_size(mtype)
                bit = 8 * size - attrs.get("DW_AT_bit_offset").value - bits \
                    if "DW_AT_bit_offset" in attrs else 0
                offset = base + _member_offset(member)
            if name:
                out[name] = Field(offset, size, bit, bits)
            continue
        offset = base + _member_offset(member)
        inner = _strip(mtype)
        if name is None:
            if inner is not None and inner.tag in _AGGREGATES:
                flatten(inner, offset, out)
            continue
        out[name] = Field(offset, type_size(mtype))
    return out


class DwarfLayouts:
    """The wanted structs as the image's DWARF describes them (empty without DWARF)."""

    def __init__(self, elf: ELFFile) -> None:
        self._elf = elf

    @cached_property
    def structs(self) -> dict[str, StructLayout]:
        found: dict[str, StructLayout] = {}
        if not self._elf.has_dwarf_info():
            return found
        try:
            dwarf = self._elf.get_dwarf_info()
            patterns = {key: re.compile(rx) for key, rx in WANTED.items()}
            units = [cu.get_top_DIE() for cu in dwarf.iter_CUs()]
            # The RTOS core's units (scheduler, allocator, switcher, loader) define these
            # structs; the other units are walked only when no unit has a core name, so a
            # large image is never parsed whole for a struct its version does not have.
            core = [top for top in units if _CORE_UNIT.search(_name(top) or "")]
            for top in core or units:
                self._scan(top, patterns, found)
                if len(found) == len(WANTED):
                    break
        except Exception as exc:  # malformed DWARF: fall back to the documented layouts
            log.warning("rtos.dwarf_unreadable", error=str(exc))
        return found

    def _scan(self, die, patterns, found) -> None:
        for child in die.iter_children():
            if child.tag in _AGGREGATES and "DW_AT_declaration" not in child.attributes:
                name = _name(child)
                if name:
                    for key, rx in patterns.items():
                        if key not in found and rx.search(name) and \
                                "DW_AT_byte_size" in child.attributes:
                            found[key] = StructLayout(
                                name, child.attributes["DW_AT_byte_size"].value,
                                flatten(child), "dwarf")
            if child.tag in _CONTAINERS and child.has_children:
                self._scan(child, patterns, found)

    def get(self, key: str) -> StructLayout | None:
        return self.structs.get(key)
