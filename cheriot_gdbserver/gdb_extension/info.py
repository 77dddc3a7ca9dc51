"""``info cheriot``: where the program is, in CHERIoT terms, in three lines.

    thread 1 demo.demo_main: state=running compartment=faulty priority=0 ...
    compartments: demo -> faulty (2 frames on the trusted stack)
    pcc: 0x80002296 <faulty_read> (v:1 0x800021c0-0x80002340 l:0x180 o:0x0 p: G R-cgm- X- ---)
         code of faulty [0x800021c0, 0x80002340): compartment

The thread and its compartment chain come from the daemon's RTOS commands (``monitor threads``
and ``monitor callchain``, docs/rtos.md), PCC from ``monitor caps`` and ``monitor where``. On
an image without the RTOS the first lines say why (the daemon's own reason) and PCC is still
shown.
"""

from __future__ import annotations

import re

import gdb

from ..core.capability import Cap, rtos_notation
from .daemon import DaemonError, monitor, monitor_json

_HEADER = re.compile(r"^thread (\d+) (\S+): frames=(\d+)")
_FRAME = re.compile(r"^\s+#\d+ (\S+?)\.")


def _thread_lines() -> list[str]:
    try:
        chain = monitor("callchain")
    except DaemonError as exc:
        return [f"thread: {exc}"]
    lines = chain.splitlines()
    header = _HEADER.match(lines[0]) if lines else None
    if header is None:  # no RTOS, or no thread running: the daemon's sentence says which
        return [f"thread: {chain.strip().removeprefix('error: ')}"]
    thread_id = header.group(1)
    state = next((line for line in monitor("threads").splitlines()
                  if line.startswith(f"thread {thread_id} ")), lines[0])
    compartments = [m.group(1) for m in map(_FRAME.match, lines[1:]) if m]
    chain_text = " -> ".join(reversed(compartments)) or "-"
    return [state, f"compartments: {chain_text} ({header.group(3)} frames on the trusted "
                   "stack)"]


def _pcc_lines() -> list[str]:
    (entry,) = monitor_json("caps pcc")["caps"]
    if "error" in entry:
        return [f"pcc: {entry['error']}"]
    pcc = Cap(bool(entry["tag"]), entry["address"], entry["meta"])
    notation = rtos_notation(pcc)
    lines = [f"pcc: {gdb.format_address(pcc.address)} {notation[notation.index('('):]}"]
    where = monitor("where pcc").strip()
    if where.startswith("pcc: "):
        lines.append("     " + where.removeprefix("pcc: ").split(" ", 1)[1])
    return lines


class InfoCheriot(gdb.Command):
    """Summarise the current thread, its compartments and PCC (CHERIoT extension).
Usage: info cheriot"""

    def __init__(self) -> None:
        super().__init__("info cheriot", gdb.COMMAND_STATUS)

    def invoke(self, argument: str, from_tty: bool) -> None:
        if argument.strip():
            raise gdb.GdbError("info cheriot takes no argument")
        try:
            lines = _thread_lines() + _pcc_lines()
        except DaemonError as exc:
            raise gdb.GdbError(str(exc)) from None
        gdb.write("\n".join(lines) + "\n")


def install() -> None:
    InfoCheriot()
