"""``cheriot-gdbserver monitor``: gdb's monitor commands without gdb (docs/gdb.md, "Monitor
commands").

Loads the firmware, optionally runs it to a breakpoint (``--break``) or for a budget of
instructions, then runs each ``-c`` command line through the same registry as gdb's ``monitor``
and prints the outputs in order on stdout. UART output goes to stderr unless ``--uart-output``
says otherwise. Exit status 0, or 1 when a command answered with an error.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

from .boards.machine import Machine
from .core.engine import Catch
from .core.stops import Stop
from .debugger.commands.args import ArgumentError, number, symbol
from .debugger.commands.catalog import default_registry
from .debugger.debug_context import DebugContext
from .errors import CheriotGdbError
from .firmware_args import add_firmware_arguments, open_machine, resolve_firmware
from .interruptible import run_interruptibly
from .report import locate

EXAMPLES = """\
examples:
  cheriot-gdbserver monitor fw.elf -c help
  cheriot-gdbserver monitor fw.elf --break main -c 'cap csp' -c 'tags $sp 64'
exit status: 0; 1 when a command answered 'error: ...'; 2 when the firmware cannot be loaded"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "monitor", help="run monitor commands on firmware, without gdb",
        description="Load firmware, optionally run it to a breakpoint, then run gdb's monitor "
                    "commands on it ('monitor help' lists them).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_firmware_arguments(parser)
    parser.add_argument("-c", "--command", action="append", default=[], metavar="LINE",
                        dest="lines", help="a monitor command line (repeatable; default: help)")
    parser.add_argument("--break", dest="break_at", default=None, metavar="SYMBOL|ADDR",
                        help="run until the firmware reaches SYMBOL or ADDR first")
    parser.add_argument("--max-instructions", type=int, default=None, metavar="N",
                        help="run at most N instructions first")
    parser.add_argument("--catch", choices=[c.value for c in Catch], default=Catch.CHERI.value,
                        help="which exceptions stop the run before they are taken "
                             "(default: %(default)s)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    registry = default_registry()
    given = str(args.firmware or "")
    if given.split(" ")[0] in registry.commands and not Path(given).exists():
        raise CheriotGdbError(f"no firmware file '{given}'; monitor commands go after -c: "
                              f"cheriot-gdbserver monitor [FIRMWARE] -c '{given}'")
    firmware = resolve_firmware(args)
    with ExitStack() as stack:
        machine = open_machine(firmware, args, stack, sys.stderr.buffer)
        machine.engine.catch = Catch(args.catch)
        context = DebugContext(machine)  # with the RTOS model on an RTOS image
        if args.break_at is not None or args.max_instructions is not None:
            stop = _run(machine, _breakpoint(args.break_at, context), args.max_instructions)
            context.live.invalidate()
            print(f"cheriot-gdbserver: stopped ({stop.kind.value}) at "
                  f"{locate(machine.image, stop.pc)}", file=sys.stderr, flush=True)
        failed = False
        for line in args.lines or ["help"]:
            output = registry.run(line, context)
            failed |= output.startswith("error:")
            sys.stdout.write(output)
        sys.stdout.flush()
    return 1 if failed else 0


def _breakpoint(where: str | None, context: DebugContext) -> int | None:
    if where is None:
        return None
    found = symbol(where, context)
    if found is not None:
        return found
    try:
        return number(where)
    except ArgumentError:
        raise CheriotGdbError(f"--break {where}: no such symbol in the image, and not an "
                              "address") from None


def _run(machine: Machine, breakpoint: int | None, budget: int | None) -> Stop:
    """Run to ``breakpoint`` (or for ``budget`` instructions); Ctrl-C or SIGTERM stops the
    engine wherever it is, and the commands then run on the state it stopped in."""
    engine = machine.engine
    if breakpoint is not None:
        engine.add_breakpoint(breakpoint)
    try:
        return run_interruptibly(engine, budget)[0]
    finally:
        if breakpoint is not None:
            engine.remove_breakpoint(breakpoint)
