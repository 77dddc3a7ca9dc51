"""Capability commands: ``cap`` (one capability, decoded), ``caps`` (many, as JSON, for the gdb
extension) and ``tags`` (a memory range's tags)."""

from __future__ import annotations

import argparse
import json

from ...core.capability import Cap, describe, rtos_notation
from ...errors import CheriotGdbError, MemoryAccessError
from ..debug_context import DebugContext
from ..symbols import covering_name
from .args import ArgumentError, RegisterRef, address, location, number
from .base import Argument, Command, CommandFamily

MAX_CAPS = 512       # one answer of ``caps``: about 40 KiB of JSON
MAX_TAGS_BYTES = 0x8000  # one answer: 64 rows of 64 granules (a few KiB of text)
GRANULES_PER_ROW = 64


def _read(context: DebugContext, where: RegisterRef | int) -> tuple[str, Cap]:
    """(label, capability) of a register or of the granule holding address ``where``."""
    if isinstance(where, RegisterRef):
        return where.name, context.registers.capability(where.name)
    granule = where & ~7
    if context.machine.memory.ram_at(granule) is None:  # devices: no peeking through loads
        raise MemoryAccessError(granule, 8, "capabilities are only stored in memory")
    return f"{granule:#010x}", context.machine.engine.read_cap_memory(granule)


def cap(context: DebugContext, args: argparse.Namespace) -> str:
    """``NAME: fields`` (gdb's view), then the RTOS's notation, the metadata word and what the
    bounds cover."""
    label, value = _read(context, args.reg_or_addr)
    lines = [f"{label}: {describe(value)}", f"  rtos: {rtos_notation(value)}",
             f"  meta: {value.meta:#010x}"]
    rtos = context.rtos
    regions = rtos.image.static_regions() if rtos is not None else ()
    base, top = value.bounds
    covers = covering_name(context.image, base, top, regions)
    if covers:
        lines.append(f"  covers: {covers}")
    return "\n".join(lines) + "\n"


def _locations(text: str, context: DebugContext) -> list[str]:
    """The comma-separated words of ``caps`` (each resolved later, on its own)."""
    words = [w for w in text.split(",") if w]
    if len(words) > MAX_CAPS:
        raise ArgumentError(f"{len(words)} locations: at most {MAX_CAPS} a call")
    return words


def caps(context: DebugContext, args: argparse.Namespace) -> str:
    """One JSON document for many locations: ``{"caps": [ENTRY...]}`` in the order asked, each
    ENTRY ``{"at": WORD, "granule": ADDR, "tag": BOOL, "address": N, "meta": N}`` (``granule``
    only for memory; ``core.capability.Cap(tag, address, meta)`` decodes the rest), or
    ``{"at": WORD, "error": TEXT}`` for a location that cannot be read. Made for the gdb
    extension, which reads every pointer of a stop in one round trip."""
    entries: list[dict[str, object]] = []
    for text in args.locations:
        try:
            label, value = _read(context, location(text, context))
        except (ArgumentError, CheriotGdbError) as exc:
            entries.append({"at": text, "error": str(exc)})
            continue
        entry: dict[str, object] = {"at": text}
        if label.startswith("0x"):
            entry["granule"] = int(label, 16)
        entry.update(tag=value.tag, address=value.address, meta=value.meta)
        entries.append(entry)
    return json.dumps({"caps": entries}, separators=(",", ":")) + "\n"


def tags(context: DebugContext, args: argparse.Namespace) -> str:
    """Rows of 64 granules: 1 tagged, 0 untagged, - no tags; at most MAX_TAGS_BYTES a call."""
    start, length = args.addr, max(args.length, 1)
    shown = min(length, MAX_TAGS_BYTES)
    bits = context.machine.engine.memory.tags(start, shown)
    first = start & ~7
    lines = []
    for row in range(0, len(bits), GRANULES_PER_ROW):
        chunk = bits[row:row + GRANULES_PER_ROW]
        cells = "".join("-" if t is None else ("1" if t else "0") for t in chunk)
        grouped = " ".join(cells[i:i + 8] for i in range(0, len(cells), 8))
        lines.append(f"{first + row * 8:#010x}: {grouped}")
    tagged = sum(1 for t in bits if t)
    lines.append(f"{tagged} of {len(bits)} granules tagged "
                 "(1: tagged, 0: untagged, -: memory without tags)")
    if shown < length:
        lines.append(f"showing the first {shown:#x} of {length:#x} bytes (the most one command "
                     f"shows); continue with 'tags {start + shown:#x} {length - shown:#x}'")
    return "\n".join(lines) + "\n"


FAMILY = CommandFamily("capabilities", (
    Command("cap", "show a capability register, or the capability stored at ADDR", cap,
            (Argument("REG_OR_ADDR", "register ($csp, pcc, mtdc...), address or symbol",
                      location),), changes_target=False),
    Command("caps", "capabilities of many registers or addresses, as one JSON line",
            caps, (Argument("LOCATIONS", "comma-separated registers, addresses or symbols "
                            f"(at most {MAX_CAPS})", _locations),), changes_target=False),
    Command("tags", "show the capability tags of the memory from ADDR", tags,
            (Argument("ADDR", "start: address, symbol or register ($sp)", address),
             Argument("LENGTH", f"number of bytes (default 64, at most {MAX_TAGS_BYTES:#x} "
                      "shown)", number, True, 64)), changes_target=False),
))
