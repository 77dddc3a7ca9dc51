"""Struct layouts the live-state readers use: from the image's DWARF where it describes the
struct, otherwise the documented layout (rtos.md 3.3, 4.2, 4.8, 6.1, 6.2).

A field is a byte offset and storage size, optionally a bit-field inside that storage unit
(LSB-based bit position). Fields have logical names; ``aliases`` lists the other names DWARF has
used for the same member (the trusted-stack members were renamed in October 2024).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    offset: int
    size: int
    bit: int | None = None   # LSB position inside the storage unit, for bit-fields
    bits: int | None = None

    def get(self, data: bytes, base: int = 0) -> int:
        raw = int.from_bytes(data[base + self.offset:base + self.offset + self.size], "little")
        if self.bit is None:
            return raw
        return (raw >> self.bit) & ((1 << (self.bits or 1)) - 1)


@dataclass(frozen=True)
class StructLayout:
    name: str
    size: int
    fields: dict[str, Field]
    source: str  # "dwarf" or "documented" or "symbols"

    def __getitem__(self, name: str) -> Field:
        return self.fields[name]

    def has(self, name: str) -> bool:
        return name in self.fields

    def get(self, data: bytes, name: str, base: int = 0) -> int:
        return self.fields[name].get(data, base)


def _f(offset: int, size: int, bit: int | None = None, bits: int | None = None) -> Field:
    return Field(offset, size, bit, bits)


# Register save area: register n (1..15) at 8n; names as the current tree and the images spell
# them (rtos.md 3.3).
REGISTER_NAMES = ("cra", "csp", "cgp", "ctp", "ct0", "ct1", "ct2", "cs0", "cs1",
                  "ca0", "ca1", "ca2", "ca3", "ca4", "ca5")
_TS_ALIASES = {"mepcc": ("mepcc", "pcc")}
for _n, _abi in enumerate(REGISTER_NAMES, start=1):
    _TS_ALIASES[_abi] = (_abi, f"c{_n}")


def _trusted_stack(mshwm: bool) -> StructLayout:
    fields = {"mepcc": _f(0, 8)}
    for n, name in enumerate(REGISTER_NAMES, start=1):
        fields[name] = _f(8 * n, 8)
    fields.update(hazardPointers=_f(128, 8), mstatus=_f(136, 4), mcause=_f(140, 4))
    if mshwm:
        fields.update(mshwm=_f(144, 4), mshwmb=_f(148, 4), frameoffset=_f(152, 2),
                      threadID=_f(154, 2), inForcedUnwind=_f(156, 1), frames=_f(168, 24))
        return StructLayout("TrustedStack", 192, fields, "documented")
    fields.update(frameoffset=_f(144, 2), threadID=_f(146, 2), inForcedUnwind=_f(148, 1),
                  frames=_f(152, 24))
    return StructLayout("TrustedStack", 176, fields, "documented")


TRUSTED_STACK_MSHWM = _trusted_stack(True)
TRUSTED_STACK_NO_MSHWM = _trusted_stack(False)

TRUSTED_STACK_FRAME = StructLayout("TrustedStackFrame", 24, {
    "csp": _f(0, 8), "calleeExportTable": _f(8, 8), "errorHandlerCount": _f(16, 2),
}, "documented")

THREAD = StructLayout("ThreadImpl", 80, {
    "prev": _f(0, 8), "next": _f(8, 8), "timerPrev": _f(16, 8), "timerNext": _f(24, 8),
    "sleepQueue": _f(32, 8), "expiryTime": _f(40, 8), "cycles": _f(48, 8),
    "futexWaitAddress": _f(56, 4), "futexPriorityBoostedThread": _f(60, 2),
    "futexPriorityInheriting": _f(62, 1, 0, 1), "multiWaiter": _f(56, 8),
    "tStackPtr": _f(64, 8), "threadId": _f(72, 2), "priority": _f(74, 1),
    "OriginalPriority": _f(75, 1), "state": _f(76, 1, 0, 2), "isYielding": _f(76, 1, 2, 1),
}, "documented")

MSTATE = StructLayout("MState", 240, {
    "heapStart": _f(0, 8), "hazardQuarantine": _f(8, 8),
    "quarantinePendingEpoch": _f(192, 4), "smallmap": _f(212, 4), "treemap": _f(216, 4),
    "heapTotalSize": _f(220, 4), "heapFreeSize": _f(224, 4), "heapQuarantineSize": _f(228, 4),
}, "documented")

CHUNK_HEADER = StructLayout("MChunkHeader", 8, {
    "prevSize": _f(0, 2), "currSize": _f(2, 2), "ownerID": _f(4, 2, 0, 13),
    "isSealedObject": _f(4, 2, 13, 1), "isPrevInUse": _f(4, 2, 14, 1),
    "isCurrInUse": _f(4, 2, 15, 1), "claims": _f(6, 2),
}, "documented")


def interrupt_controller(has_plic: bool) -> StructLayout:
    """futexWords follow the PLIC wrapper (40 bytes) or the 1-byte no-PLIC stub (rtos.md 4.8)."""
    return StructLayout("InterruptController", 0,
                        {"futexWords": _f(40 if has_plic else 4, 4)}, "documented")


def u32(data: bytes, off: int = 0) -> int:
    return struct.unpack_from("<I", data, off)[0]


def u16(data: bytes, off: int = 0) -> int:
    return struct.unpack_from("<H", data, off)[0]
