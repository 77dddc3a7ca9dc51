#!/usr/bin/env python3
"""Run firmware under gdb until it faults; print the fault, explained, and a backtrace.

    scripts/examples/fault_report.py FIRMWARE.elf [--board sail] [--catch cheri|all]
    scripts/examples/fault_report.py FIRMWARE.elf --remote 127.0.0.1:3333

Starts ``cheriot-gdbserver serve`` itself (or attaches to a running daemon with --remote), lets
the firmware run, and when an exception stops it prints what the daemon says about it
(``monitor fault``: cause, location, instruction, the capability involved) and gdb's backtrace.

Exit status: 1 after a fault report, 0 if the firmware exited by itself, 2 if nothing stopped it
within --timeout seconds (it is interrupted and its location printed).
Run with the project's Python (.venv/bin/python), which has pygdbmi.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cheriot_gdbmi import Gdb, SessionTimeout, connect, frame_text


def backtrace(gdb: Gdb) -> list[str]:
    frames = gdb.mi("-stack-list-frames").payload["stack"]
    return [frame_text(frame) for frame in frames]


def report(gdb: Gdb, timeout: float) -> tuple[int, list[str]]:
    gdb.start("-exec-continue")
    try:
        stop = gdb.wait_stopped(timeout).payload
    except SessionTimeout:
        stop = gdb.interrupt().payload
        return 2, [f"no fault within {timeout:g} s; interrupted at "
                   f"{frame_text(stop['frame'])}"]
    reason = stop.get("reason", "")
    if reason.startswith("exited"):
        code = int(stop.get("exit-code", "0"), 8)  # gdb prints it in octal
        return 0, [f"the firmware exited with status {code}"]
    if reason != "signal-received":
        return 2, [f"stopped ({reason}) at {frame_text(stop['frame'])}"]
    lines = [f"stopped by {stop['signal-name']} ({stop['signal-meaning']}) at "
             f"{frame_text(stop['frame'])}"]
    lines += gdb.monitor("fault").splitlines()
    lines.append("backtrace:")
    lines += [f"  {line}" for line in backtrace(gdb)]
    return 1, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("firmware", type=Path, help="the firmware ELF (symbols for gdb)")
    parser.add_argument("--board", default=None, help="board for the daemon (default: sail)")
    parser.add_argument("--remote", metavar="HOST:PORT", default=None,
                        help="attach to a running daemon instead of starting one")
    parser.add_argument("--catch", choices=("cheri", "all"), default="cheri",
                        help="which exceptions count as a fault (default: cheri)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to let the firmware run (default: 10)")
    args = parser.parse_args(argv)

    daemon_args = ["--board", args.board] if args.board else []
    daemon, gdb = connect(args.firmware, args.remote, daemon_args)
    try:
        gdb.monitor(f"catch {args.catch}")
        status, lines = report(gdb, args.timeout)
    finally:
        gdb.close()
        if daemon is not None:
            daemon.stop()
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
