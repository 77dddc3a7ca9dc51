"""Capability pointers as values: tag, bounds, permissions and seal next to the address.

On CHERIoT a pointer is a capability: the debug information of CHERIoT firmware gives pointer
types 8 bytes (the address in the low word, the metadata in the high word), and the tag lives
beside memory, where gdb cannot see it. This pretty-printer shows every 8-byte pointer as gdb
would show the address (symbol, string), followed by the capability in the RTOS's own notation
(core.capability.rtos_notation, ``v:1 base-top l:len o:otype p: ...``); a pointer whose
capability is not tagged says ``UNTAGGED`` first, so a forged or cleared pointer stands out.

Where the tag comes from:
- a value in memory (a variable, a structure field, an array element): the daemon's
  ``monitor caps`` reads the granule with its tag. The first miss after a stop fetches every
  granule of the selected frame's locals and arguments in the same round trip, so ``info
  locals`` costs one exchange with the daemon;
- a value gdb read from two integer registers (a register variable, the value ``finish``
  returns: gdb's RISC-V ABI reads an 8-byte value from the pair xN, xN+1): when the pair matches
  and capability register cN holds the same address, that register's capability, read from the
  daemon, is shown (innermost frame only: outer frames' capability registers are not unwound);
- anything else: the metadata word alone, its tag shown as ``v:?``.

The cache lives for one stop: any resume, memory or register write forgets it.

Capability registers (``$csp``, ``$pcc``, ``info registers``) are structures the daemon's target
description defines; gdb prints their ``top`` and ``length`` (64-bit integers, since top may be
2**32) in decimal beside a hex address and base. Their printer writes them in hex, the rest as
gdb does; fields stay addressable (``$csp.top``).
"""

from __future__ import annotations

from typing import Any

import gdb
import gdb.printing

from ..core.capability import Cap, rtos_notation
from . import session
from .daemon import DaemonError, monitor_json

NAME = "cheriot-capabilities"
CAPABILITY_BYTES = 8
GRANULE = 8
MAX_PREFETCH = 256            # granules of a frame's locals fetched with the first miss
MAX_VALUE_BYTES = 512         # larger locals (buffers) are not prefetched
MAX_STRING = 64               # bytes of a char * shown, as gdb's default print elements
CAP_REGS = ("cnull", "cra", "csp", "cgp", "ctp", "ct0", "ct1", "ct2", "cs0", "cs1", "ca0",
            "ca1", "ca2", "ca3", "ca4", "ca5")
INT_REGS = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2",
            "a3", "a4", "a5")


class CapabilityCache:
    """Capabilities read from the daemon during one stop, by granule address or register."""

    def __init__(self) -> None:
        self.entries: dict[int | str, Cap | None] = {}
        self.round_trips = 0   # for the measurements in docs/gdb.md

    def clear(self, _event: object = None) -> None:
        self.entries.clear()

    def fetch(self, keys: list[int | str]) -> None:
        """Read every key not cached yet in one ``monitor caps``; unreadable ones cache None."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self.entries]
        if not wanted:
            return
        words = [k if isinstance(k, str) else f"{k:#x}" for k in wanted]
        self.round_trips += 1
        try:
            document = monitor_json("caps " + ",".join(words))
        except DaemonError:
            self.entries.update((k, None) for k in wanted)
            return
        for key, entry in zip(wanted, document.get("caps", ()), strict=False):
            self.entries[key] = (Cap(bool(entry["tag"]), entry["address"], entry["meta"])
                                 if "error" not in entry else None)
        self.entries.update((k, None) for k in wanted if k not in self.entries)

    def get(self, key: int | str, also: list[int | str] | None = None) -> Cap | None:
        if key not in self.entries:
            self.fetch([key, *(also or [])])
        return self.entries.get(key)


CACHE = CapabilityCache()


def _frame_granules() -> list[int | str]:
    """The granules of the selected frame's locals and arguments (what ``info locals`` and
    ``bt full`` are about to print), as far as gdb knows their addresses."""
    try:
        frame = gdb.selected_frame()
        block = frame.block()
    except RuntimeError:  # no frame, or no debug information for it
        return []
    granules: list[int | str] = []
    while block is not None:
        for symbol in block:
            if not (symbol.is_variable or symbol.is_argument):
                continue
            try:
                value = symbol.value(frame)
                if value.address is None or value.type.sizeof > MAX_VALUE_BYTES:
                    continue
                start = int(value.address)
            except gdb.error:
                continue
            end = start + value.type.sizeof
            granules += range(start & ~(GRANULE - 1), end, GRANULE)
            if len(granules) >= MAX_PREFETCH:
                return granules[:MAX_PREFETCH]
        if block.function is not None:
            break
        block = block.superblock
    return granules


def _register_pair(low: int, high: int) -> str | None:
    """The capability register gdb's pair xN:xN+1 read stands for, if exactly one matches."""
    try:
        frame = gdb.selected_frame()
        if frame.level() != 0:
            return None
        words = [int(frame.read_register(name)) & 0xFFFFFFFF for name in INT_REGS]
    except gdb.error:
        return None
    matches = [n for n in range(1, 15) if words[n] == low and words[n + 1] == high]
    return CAP_REGS[matches[0]] if len(matches) == 1 else None


def capability_of(value: gdb.Value) -> tuple[Cap, str] | None:
    """(capability, where it was read) for an 8-byte pointer value, None if unknown."""
    raw = int(value.cast(gdb.lookup_type("unsigned long long"))) & (1 << 64) - 1
    low, high = raw & 0xFFFFFFFF, raw >> 32
    address = value.address
    if address is not None:
        where = int(address)
        if where % GRANULE:
            return None  # not a granule: the hardware could not hold a tag for it
        cap = CACHE.get(where, _frame_granules())
        if cap is None or (cap.address, cap.meta) != (low, high):
            return None  # no tags there, or gdb's copy is not what memory holds now
        return cap, "memory"
    register = _register_pair(low, high)
    if register is not None:
        cap = CACHE.get(register)
        if cap is not None and cap.address == low:
            return cap, register
    return None


def _notation(cap: Cap) -> str:
    """rtos_notation without its leading address (the printer shows gdb's own rendering)."""
    text = rtos_notation(cap)
    return text[text.index("(") :]


class CapabilityPrinter:
    """One 8-byte pointer: gdb's rendering of its address, then the capability."""

    def __init__(self, value: gdb.Value) -> None:
        self.value = value

    def to_string(self) -> str:
        value = self.value
        raw = int(value.cast(gdb.lookup_type("unsigned long long"))) & (1 << 64) - 1
        low, high = raw & 0xFFFFFFFF, raw >> 32
        shown = _address_text(value, low)
        try:
            found = capability_of(value)
        except (gdb.error, DaemonError) as exc:
            return f"{shown} (capability unreadable: {exc})"
        if found is None:  # the metadata word alone: say that the tag is not known
            return f"{shown} (v:?{_notation(Cap(False, low, high))[len('(v:0'):]}"
        cap, _where = found
        flag = "" if cap.tag else "UNTAGGED "
        return f"{shown} {flag}{_notation(cap)}"


def _address_text(value: gdb.Value, address: int) -> str:
    """The address as gdb writes a data or code address (``0x80000140 <counter>``), with the
    string for a ``char *``. (Casting to a 4-byte pointer would not do: gdb keeps the 8-byte
    pointer type from the debug information as the target type's pointer type.)"""
    text = gdb.format_address(address)
    target = value.type.strip_typedefs().target().strip_typedefs()
    if target.code == gdb.TYPE_CODE_INT and target.sizeof == 1 and address:
        try:
            data = bytes(gdb.selected_inferior().read_memory(address, MAX_STRING))
        except gdb.MemoryError:
            return text
        shown = data.split(b"\0", 1)[0]
        more = "..." if len(shown) == MAX_STRING else ""
        text += ' "' + shown.decode("latin-1").encode("unicode_escape").decode() + '"' + more
    return text


# the capability register types of the daemon's target description (debugger/registers.py)
REGISTER_TYPES = ("cheriot_code_cap", "cheriot_data_cap")
HEX_FIELDS = ("top", "length")


class RegisterPrinter:
    """A capability register: gdb's own rendering of each field, with top and length in hex."""

    def __init__(self, value: gdb.Value) -> None:
        self.value = value

    def to_string(self) -> str:
        parts = []
        for f in self.value.type.strip_typedefs().fields():
            item = self.value[f.name]
            text = f"{int(item):#x}" if f.name in HEX_FIELDS else item.format_string()
            parts.append(f"{f.name} = {text}")
        return "{" + ", ".join(parts) + "}"


class CapabilityPrinters(gdb.printing.PrettyPrinter):
    """Matches every pointer type of capability size (CHERIoT's ``T *``) and the capability
    register types."""

    def __init__(self) -> None:
        super().__init__(NAME)

    def __call__(self, value: gdb.Value) -> Any:
        if not self.enabled or not session.active():
            return None
        kind = value.type.strip_typedefs()
        if kind.code == gdb.TYPE_CODE_PTR and kind.sizeof == CAPABILITY_BYTES:
            return CapabilityPrinter(value)
        if kind.code == gdb.TYPE_CODE_STRUCT and kind.name in REGISTER_TYPES:
            return RegisterPrinter(value)
        return None


def install() -> None:
    for event in (gdb.events.stop, gdb.events.cont, gdb.events.memory_changed,
                  gdb.events.register_changed, gdb.events.new_objfile):
        event.connect(CACHE.clear)
    gdb.printing.register_pretty_printer(None, CapabilityPrinters(), replace=True)
