"""The register table a target supplies, and the gdb target description (target.xml) built from it.

One table drives everything register-shaped in the stub: the ``g`` block, ``p``/``P`` lookup, the
registers expedited in stop replies and target.xml. Nothing here names an architecture; the table
says which one (GDB manual, "Target Descriptions" and "Predefined Target Types").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

# Sizes in bytes of gdb's predefined types ("Predefined Target Types"); pointers are sized by the
# table's ``pointer_bits``. "int" and "float" are register-only types sized by ``bitsize``.
PREDEFINED_SIZES = {
    "bool": 1, "int8": 1, "int16": 2, "int24": 3, "int32": 4, "int64": 8, "int128": 16,
    "uint8": 1, "uint16": 2, "uint24": 3, "uint32": 4, "uint64": 8, "uint128": 16,
    "ieee_half": 2, "bfloat16": 2, "ieee_single": 4, "ieee_double": 8,
    "i387_ext": 10, "arm_fpa_ext": 12,
}
POINTER_TYPES = frozenset({"code_ptr", "data_ptr"})
SIZED_BY_REGISTER = frozenset({"int", "float"})


class TdescError(ValueError):
    """A register table that gdb would reject (it drops the whole description on one bad type)."""


@dataclass(frozen=True, slots=True)
class BitField:
    name: str
    start: int
    end: int  # inclusive, as in the XML


@dataclass(frozen=True, slots=True)
class FlagsType:
    """``<flags>``: named bits, printed by gdb as ``[ GL LD ]``."""

    id: str
    size: int
    fields: tuple[BitField, ...]


@dataclass(frozen=True, slots=True)
class EnumType:
    """``<enum>``: values printed by name; values without a name print as numbers."""

    id: str
    size: int
    values: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class StructType:
    """``<struct>`` without ``size``: typed fields laid out one after another, no padding."""

    id: str
    fields: tuple[tuple[str, str], ...]  # (field name, type id)


TdescType = FlagsType | EnumType | StructType


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    types: tuple[TdescType, ...] = ()


@dataclass(frozen=True, slots=True)
class RegisterSpec:
    """One register as gdb sees it.

    ``regnum`` is the number on the wire (``p``/``P`` and the order of the ``g`` block).
    ``in_g_packet`` registers form the ``g``/``G`` block; ``expedite`` ones are sent in every
    stop reply so gdb can unwind without another round trip.
    """

    name: str
    bitsize: int
    type: str
    regnum: int
    feature: str
    group: str | None = None
    in_g_packet: bool = False
    expedite: bool = False

    @property
    def size(self) -> int:
        return self.bitsize // 8


@dataclass(frozen=True)
class RegisterTable:
    """A validated register table: unique names and numbers, declared types, consistent sizes."""

    architecture: str
    features: tuple[Feature, ...]
    registers: tuple[RegisterSpec, ...]
    pointer_bits: int = 32
    _by_regnum: dict[int, RegisterSpec] = field(init=False, repr=False, compare=False)
    _g_block: tuple[RegisterSpec, ...] = field(init=False, repr=False, compare=False)
    _expedited: tuple[RegisterSpec, ...] = field(init=False, repr=False, compare=False)
    _g_regnums: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _expedited_regnums: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _expedited_sizes: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _validate(self)
        # Computed once: the stub consults them for every g packet and stop reply.
        object.__setattr__(self, "_by_regnum", {r.regnum: r for r in self.registers})
        object.__setattr__(self, "_g_block", tuple(sorted(
            (r for r in self.registers if r.in_g_packet), key=lambda r: r.regnum)))
        object.__setattr__(self, "_expedited", tuple(sorted(
            (r for r in self.registers if r.expedite), key=lambda r: r.regnum)))
        object.__setattr__(self, "_g_regnums", tuple(r.regnum for r in self._g_block))
        object.__setattr__(self, "_expedited_regnums",
                           tuple(r.regnum for r in self._expedited))
        object.__setattr__(self, "_expedited_sizes", tuple(r.size for r in self._expedited))

    def by_regnum(self, regnum: int) -> RegisterSpec | None:
        return self._by_regnum.get(regnum)

    @property
    def g_block(self) -> tuple[RegisterSpec, ...]:
        return self._g_block

    @property
    def expedited(self) -> tuple[RegisterSpec, ...]:
        return self._expedited

    @property
    def g_regnums(self) -> tuple[int, ...]:
        return self._g_regnums

    @property
    def expedited_regnums(self) -> tuple[int, ...]:
        return self._expedited_regnums

    @property
    def expedited_sizes(self) -> tuple[int, ...]:
        """The byte size of each of ``expedited_regnums``."""
        return self._expedited_sizes

    def type_size(self, feature: Feature, type_id: str) -> int:
        """Size in bytes of a type as gdb lays it out, resolving the feature's own types."""
        if type_id in PREDEFINED_SIZES:
            return PREDEFINED_SIZES[type_id]
        if type_id in POINTER_TYPES:
            return self.pointer_bits // 8
        declared = {t.id: t for t in feature.types}
        if type_id not in declared:
            raise TdescError(f"feature {feature.name}: type {type_id!r} is neither predefined "
                             f"nor declared in the feature")
        t = declared[type_id]
        if isinstance(t, StructType):
            return sum(self.type_size(feature, ftype) for _, ftype in t.fields)
        return t.size


def _validate(table: RegisterTable) -> None:
    features = {f.name: f for f in table.features}
    if len(features) != len(table.features):
        raise TdescError("duplicate feature names in the register table")
    names: set[str] = set()
    numbers: set[int] = set()
    for reg in table.registers:
        if reg.name in names:
            raise TdescError(f"register name {reg.name!r} appears twice")
        if reg.regnum in numbers:
            raise TdescError(f"register number {reg.regnum} ({reg.name}) appears twice")
        names.add(reg.name)
        numbers.add(reg.regnum)
        if reg.feature not in features:
            raise TdescError(f"register {reg.name}: feature {reg.feature!r} is not declared")
        if reg.bitsize <= 0 or reg.bitsize % 8:
            raise TdescError(f"register {reg.name}: bitsize {reg.bitsize} is not whole bytes")
        if reg.type not in SIZED_BY_REGISTER:
            # gdb sizes a register from its type, so bitsize must agree or p/P replies misalign.
            size = table.type_size(features[reg.feature], reg.type)
            if size * 8 != reg.bitsize:
                raise TdescError(f"register {reg.name}: bitsize {reg.bitsize} but type "
                                 f"{reg.type} is {size * 8} bits")
    g_numbers = sorted(r.regnum for r in table.registers if r.in_g_packet)
    if g_numbers and any(r.regnum < g_numbers[-1] and not r.in_g_packet for r in table.registers):
        raise TdescError("the g block must be the registers with the lowest numbers: gdb lays "
                         "out g by increasing register number")


def _type_element(t: TdescType) -> ET.Element:
    if isinstance(t, FlagsType):
        el = ET.Element("flags", id=t.id, size=str(t.size))
        for f in t.fields:
            ET.SubElement(el, "field", name=f.name, start=str(f.start), end=str(f.end))
    elif isinstance(t, EnumType):
        el = ET.Element("enum", id=t.id, size=str(t.size))
        for name, value in t.values:
            ET.SubElement(el, "evalue", name=name, value=str(value))
    else:
        el = ET.Element("struct", id=t.id)
        for name, ftype in t.fields:
            ET.SubElement(el, "field", name=name, type=ftype)
    return el


def target_xml(table: RegisterTable) -> str:
    """The target description document, features in table order, registers in table order."""
    root = ET.Element("target", version="1.0")
    ET.SubElement(root, "architecture").text = table.architecture
    for feature in table.features:
        fel = ET.SubElement(root, "feature", name=feature.name)
        for t in feature.types:
            fel.append(_type_element(t))
        for reg in table.registers:
            if reg.feature != feature.name:
                continue
            attrs = {"name": reg.name, "bitsize": str(reg.bitsize), "type": reg.type,
                     "regnum": str(reg.regnum)}
            if reg.group:
                attrs["group"] = reg.group
            ET.SubElement(fel, "reg", attrs)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'
            + body + "\n")
