#!/usr/bin/env python3
"""List every tagged capability stored in a memory range, decoded.

    scripts/examples/tagged_caps.py FIRMWARE.elf START LENGTH [--break SYMBOL] [--board sail]
    scripts/examples/tagged_caps.py FIRMWARE.elf '&cap_table' 256 --remote 127.0.0.1:3333

START and LENGTH are gdb expressions (``0x80000000``, ``&cap_table``, ``sizeof(table)``).
With --break the firmware first runs to SYMBOL (a fresh daemon holds the firmware at its entry,
where memory holds no capabilities yet). One line per tagged 8-byte granule:

    0x80000158 <cap_slot>: address=0x80000150 base=... perms=[...] otype=unsealed tag=1

The tags come from ``monitor tags`` and each capability from ``monitor cap ADDR``, so the
output is what the daemon's own decoder says. Run with the project's Python (.venv/bin/python).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from cheriot_gdbmi import Gdb, connect

GRANULE = 8
CHUNK = 0x2000  # bytes per `monitor tags` call: keeps each reply small
ROW = re.compile(r"^0x(?P<address>[0-9a-f]+): (?P<cells>[01\- ]+)$")


def tagged_granules(gdb: Gdb, start: int, length: int) -> list[int]:
    """Addresses of the tagged granules overlapping [start, start + length)."""
    found = []
    end = start + length
    chunk_start = start & ~(GRANULE - 1)
    while chunk_start < end:
        size = min(CHUNK, end - chunk_start)
        for line in gdb.monitor(f"tags {chunk_start:#x} {size}").splitlines():
            match = ROW.match(line)
            if match is None:
                continue  # the summary line
            row = int(match.group("address"), 16)
            cells = match.group("cells").replace(" ", "")
            found += [row + i * GRANULE for i, cell in enumerate(cells) if cell == "1"]
        chunk_start += size
    return found


def symbol_of(gdb: Gdb, address: int) -> str:
    """`` <name+offset>`` for ``address`` when gdb knows a symbol there, else ``""``."""
    text = gdb.console(f"info symbol {address:#x}").strip()
    match = re.match(r"^(?P<name>\S+)(?: \+ (?P<offset>\d+))? in section ", text)
    if match is None:
        return ""
    offset = match.group("offset")
    return f" <{match.group('name')}{'+' + offset if offset else ''}>"


def listing(gdb: Gdb, start: int, length: int) -> list[str]:
    lines = []
    for address in tagged_granules(gdb, start, length):
        decoded = gdb.monitor(f"cap {address:#x}").splitlines()[0].split(": ", 1)[1]
        lines.append(f"{address:#010x}{symbol_of(gdb, address)}: {decoded}")
    lines.append(f"{len(lines)} tagged capabilities in {start:#010x}-{start + length:#010x}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("firmware", type=Path, help="the firmware ELF (symbols for gdb)")
    parser.add_argument("start", help="start address (a gdb expression)")
    parser.add_argument("length", help="length in bytes (a gdb expression)")
    parser.add_argument("--break", dest="stop_at", metavar="SYMBOL", default=None,
                        help="run the firmware to SYMBOL first")
    parser.add_argument("--board", default=None, help="board for the daemon (default: sail)")
    parser.add_argument("--remote", metavar="HOST:PORT", default=None,
                        help="attach to a running daemon instead of starting one")
    args = parser.parse_args(argv)

    daemon, gdb = connect(args.firmware, args.remote,
                          ["--board", args.board] if args.board else [])
    try:
        if args.stop_at is not None:
            gdb.mi(f"-break-insert -t {args.stop_at}")
            stop = gdb.run("-exec-continue").payload
            if stop.get("reason") != "breakpoint-hit":
                print(f"did not reach {args.stop_at}: {stop.get('reason')}", file=sys.stderr)
                return 1
        lines = listing(gdb, gdb.address_of(args.start), gdb.address_of(args.length))
    finally:
        gdb.close()
        if daemon is not None:
            daemon.stop()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
