"""Micro-reboots: the per-compartment reboot records of a firmware that supports them.

No CHERIoT RTOS tree resets compartments (rtos.md 3.8); the bundled firmware does
(docs/firmware.md, "Micro-reboots"). Its scheduler keeps one record per rebootable compartment
in the table ``micro_reboots`` and takes debugger requests through the word
``micro_reboot_request``. An image without the table does not support micro-reboots: the
readers answer None, never a zero count.

Record layout: a DWARF struct ``MicroReboot`` when the image has one (members ``table``,
``count``, ``cause``, ``reopen``), else the record's field labels (``mr_table``, ``mr_count``,
``mr_cause``, ``mr_reopen``, offsets from ``micro_reboots``) and the absolute symbol
``micro_reboot_record_size``; the table's symbol size divided by the record size is the
number of records.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layouts import Field, StructLayout

# mr_cause of a reboot the debugger asked for (scheduler.S MR_CAUSE_DEBUGGER).
CAUSE_DEBUGGER = 0xFFFFFFFF
_FIELDS = ("table", "count", "cause", "reopen")


@dataclass(frozen=True)
class RebootTable:
    """Where the records are and how they are laid out (from the image alone)."""

    address: int
    records: int
    layout: StructLayout
    request: int | None          # the debugger's request word, None: requests unsupported


@dataclass(frozen=True)
class MicroReboot:
    """One rebootable compartment's record, read at this stop."""

    compartment: str             # the compartment whose export table the record names
    export_table: int
    count: int                   # reboots since boot
    cause: int | None            # mcause of the fault that asked for the last one; None: none yet
    reopens_at: int | None       # mtime at which calls are accepted again; None: open

    @property
    def by_debugger(self) -> bool:
        return self.cause == CAUSE_DEBUGGER


def find_table(image) -> RebootTable | None:  # noqa: ANN001 - RtosImage (import cycle)
    """The image's reboot table, or None when the image does not support micro-reboots."""
    symbols = image.symbols
    found = symbols.named("micro_reboots")
    if len(found) != 1:
        return None
    table = found[0]
    layout = image.dwarf.get("micro_reboot")
    if layout is not None:
        layout = StructLayout(layout.name, layout.size, dict(layout.fields), "dwarf")
        if not all(layout.has(name) for name in _FIELDS):
            return None
    else:
        size = symbols.address("micro_reboot_record_size")
        fields = {}
        for name in _FIELDS:
            at = symbols.address(f"mr_{name}")
            if at is None or size is None or not 0 <= at - table.address < size:
                return None
            fields[name] = Field(at - table.address, 4)
        layout = StructLayout("micro_reboots", size, fields, "symbols")
    if not layout.size or table.size % layout.size:
        return None
    return RebootTable(table.address, table.size // layout.size, layout,
                       symbols.address("micro_reboot_request"))


def read_reboots(state) -> tuple[MicroReboot, ...] | None:  # noqa: ANN001 - RtosState
    """Every record, or None when the image does not support micro-reboots."""
    table = state.image.reboot_table
    if table is None:
        return None
    out = []
    for n in range(table.records):
        data = state.reader.bytes(table.address + n * table.layout.size, table.layout.size)
        export_table = table.layout.get(data, "table")
        owner = state.image.owner_of_export(export_table)
        count = table.layout.get(data, "count")
        reopen = table.layout.get(data, "reopen")
        out.append(MicroReboot(owner.name if owner else f"{export_table:#010x}", export_table,
                               count, table.layout.get(data, "cause") if count else None,
                               reopen or None))
    return tuple(out)
