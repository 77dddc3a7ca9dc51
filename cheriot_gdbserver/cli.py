"""The ``cheriot-gdbserver`` command line: ``run`` (headless), ``serve`` (gdb), ``monitor``
(the monitor commands without gdb) and ``gdb-extension`` (where gdb's ``-x`` script is).
Each subcommand lives in its own module; the firmware arguments they share are in
firmware_args.py. Errors become one-line messages and status 2."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import CheriotGdbError
from .logs import configure


def _gdb_extension(args: argparse.Namespace) -> int:
    from .gdb_extension import ENTRY_SCRIPT

    print(ENTRY_SCRIPT)
    return 0


def _register_gdb_extension(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "gdb-extension", help="print the path of the gdb extension (gdb-multiarch -x PATH)",
        description="Print the path of the CHERIoT gdb extension's entry script, for "
                    "'gdb-multiarch -x PATH' or 'source PATH' in gdb (docs/gdb.md).")
    parser.set_defaults(handler=_gdb_extension, log_level="warning")


# The module of each subcommand, imported only when it is the one asked for: each brings its
# own layers (the gdb stub and asyncio for serve, the monitor commands), tens of milliseconds
# of start-up that `run` has no use for.
_MODULES = {"run": "run_command", "serve": "serve_command", "monitor": "monitor_command"}


def _wanted(argv: Sequence[str]) -> list[str]:
    """The subcommands to register: the one named, or all of them (for the top-level help, or
    to let argparse name the choices when the name is missing or wrong)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    if first in _MODULES or first == "gdb-extension":
        return [first]
    return [*_MODULES, "gdb-extension"]


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="cheriot-gdbserver",
        description="Emulate a CHERIoT microcontroller: run firmware headless or serve it to gdb.")
    # the metavar names every subcommand, also when only the one asked for is registered
    commands = parser.add_subparsers(dest="command", required=True,
                                     metavar="{" + ",".join([*_MODULES, "gdb-extension"]) + "}")
    for name in _wanted(argv):
        if name == "gdb-extension":
            _register_gdb_extension(commands)
        else:
            importlib.import_module(f".{_MODULES[name]}", __package__).register(commands)
    args, extra = parser.parse_known_args(argv)
    if extra:  # said with the subcommand's usage, not the top level's
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    configure(args.log_level)
    try:
        return int(args.handler(args))
    except CheriotGdbError as exc:
        print(f"cheriot-gdbserver: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"cheriot-gdbserver: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
