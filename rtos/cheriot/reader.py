"""Little-endian reads through a TargetView, with the field layouts of layouts.py."""

from __future__ import annotations

import builtins
import struct

from ...core.capability import Cap
from ..view import TargetView, ViewError
from .layouts import Field, StructLayout


class Reader:
    def __init__(self, view: TargetView) -> None:
        self.view = view

    def bytes(self, address: int, length: int) -> bytes:
        data = self.view.read_memory(address, length)
        if len(data) != length:
            raise ViewError(f"short read of {length} bytes at {address:#010x}")
        return data

    def u8(self, address: int) -> int:
        return self.bytes(address, 1)[0]

    def u16(self, address: int) -> int:
        return struct.unpack("<H", self.bytes(address, 2))[0]

    def u32(self, address: int) -> int:
        return struct.unpack("<I", self.bytes(address, 4))[0]

    def u64(self, address: int) -> int:
        return struct.unpack("<Q", self.bytes(address, 8))[0]

    def cap(self, address: int) -> Cap:
        return self.view.read_capability(address)

    def field(self, base: int, fld: Field) -> int:
        return fld.get(self.bytes(base + fld.offset, fld.size), -fld.offset)

    def struct(self, base: int, layout: StructLayout, size: int | None = None) -> builtins.bytes:
        return self.bytes(base, size or layout.size)

    def maybe(self, fn, *args):
        """``fn(*args)``, or None where the target cannot be read."""
        try:
            return fn(*args)
        except ViewError:
            return None
