#!/usr/bin/env python3
"""Run firmware under gdb; report each fault, explained, with a backtrace, and how the run ended.

    scripts/examples/fault_report.py FIRMWARE.elf [--board sail] [--catch cheri|all] [--first]
    scripts/examples/fault_report.py FIRMWARE.elf --remote 127.0.0.1:3333

Starts ``cheriot-gdbserver serve`` itself (or attaches to a running daemon with --remote) and
lets the firmware run. Each exception the catch mode stops on is reported: what the daemon says
about it (``monitor fault``: cause, location, instruction, the capability involved) and gdb's
backtrace. The daemon stops on every CHERI fault, also those the firmware handles by design
(the CHERIoT RTOS ends a thread that returns through a null ``cra`` with a fault, and its test
suite faults on purpose), so by default the script then continues, delivering the fault to the
firmware's trap handler, until the firmware exits. ``--first`` stops at the first fault instead.

Exit status: the firmware's own success or failure when it exits (0 for status 0, else 1); 1
after a fault no trap handler could take, or at the first fault with --first; 2 if the firmware
was still running after --timeout seconds (it is interrupted and its location printed).
Run with the project's Python (.venv/bin/python), which has pygdbmi.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from cheriot_gdbmi import Gdb, SessionTimeout, connect, frame_text

UNDELIVERABLE = "SIGABRT"  # the daemon's signal for a trap no handler can take


def backtrace(gdb: Gdb) -> list[str]:
    frames = gdb.mi("-stack-list-frames").payload["stack"]
    return [frame_text(frame) for frame in frames]


def fault_lines(gdb: Gdb, stop: dict[str, Any]) -> list[str]:
    lines = [f"stopped by {stop['signal-name']} ({stop['signal-meaning']}) at "
             f"{frame_text(stop['frame'])}"]
    lines += gdb.monitor("fault").splitlines()
    lines.append("backtrace:")
    lines += [f"  {line}" for line in backtrace(gdb)]
    return lines


def report(gdb: Gdb, timeout: float, first: bool) -> tuple[int, list[str]]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    faults = 0
    while True:
        gdb.start("-exec-continue")  # after a fault: delivers it to the trap handler
        try:
            stop = gdb.wait_stopped(max(deadline - time.monotonic(), 0.01)).payload
        except SessionTimeout:
            stop = gdb.interrupt().payload
            return 2, [*lines, f"still running after {timeout:g} s ({faults} fault(s) "
                               f"handled); interrupted at {frame_text(stop['frame'])}"]
        reason = stop.get("reason", "")
        if reason.startswith("exited"):
            code = int(stop.get("exit-code", "0"), 8)  # gdb prints it in octal
            handled = f" after its trap handler took {faults} fault(s)" if faults else ""
            return (0 if code == 0 else 1), [*lines, f"the firmware exited with status "
                                                     f"{code}{handled}"]
        if reason != "signal-received":
            return 2, [*lines, f"stopped ({reason}) at {frame_text(stop['frame'])}"]
        if stop["signal-name"] == UNDELIVERABLE:
            return 1, [*lines, *fault_lines(gdb, stop), "no trap handler can take this fault"]
        if first:
            return 1, fault_lines(gdb, stop)
        faults += 1
        detail = fault_lines(gdb, stop)
        lines += [f"fault {faults}: {detail[0]}", *detail[1:],
                  "(continuing: the firmware's trap handler takes it)"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("firmware", type=Path, help="the firmware ELF (symbols for gdb)")
    parser.add_argument("--board", default=None, help="board for the daemon (default: sail)")
    parser.add_argument("--remote", metavar="HOST:PORT", default=None,
                        help="attach to a running daemon instead of starting one")
    parser.add_argument("--catch", choices=("cheri", "all"), default="cheri",
                        help="which exceptions count as a fault (default: cheri)")
    parser.add_argument("--first", action="store_true",
                        help="stop at the first fault instead of continuing past the faults "
                             "the firmware's trap handler takes")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to let the firmware run (default: 10)")
    args = parser.parse_args(argv)

    daemon_args = ["--board", args.board] if args.board else []
    with connect(args.firmware, args.remote, daemon_args) as (_daemon, gdb):
        gdb.monitor(f"catch {args.catch}")
        status, lines = report(gdb, args.timeout, args.first)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
