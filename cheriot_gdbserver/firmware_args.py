"""What the subcommands of ``cheriot-gdbserver`` share: how firmware, board and raw images are
chosen on the command line, where the UART goes, the machine made of them, and how often a
waiting main thread looks for a signal's handler to run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .boards.board import Board, load_board, shipped_boards
from .boards.image import Image, load_elf, load_raw, parse_load_spec
from .boards.machine import Machine
from .errors import CheriotGdbError

SIGNAL_POLL_SECONDS = 0.05  # a main thread waiting for a worker wakes this often (see serve)


@dataclass
class Firmware:
    board: Board
    image: Image
    description: str


def add_firmware_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("firmware", nargs="?", type=Path,
                        help="ELF image to run (default: the bundled firmware on the sail board)")
    parser.add_argument("--board", default=None,
                        help=f"board name ({', '.join(shipped_boards())}) or a board JSON file "
                             "(default: sail)")
    parser.add_argument("--load", action="append", default=[], metavar="FILE@ADDR",
                        help="load a raw binary image at ADDR (repeatable); needs --entry")
    parser.add_argument("--entry", type=lambda s: int(s, 0), default=None,
                        help="entry address for raw images (overrides the ELF entry)")
    parser.add_argument("--uart-output", type=Path, default=None, metavar="FILE",
                        help="write what the firmware sends on the UART to FILE instead of stdout")
    parser.add_argument("--uart-input", default=None, metavar="stdin|FILE",
                        help="feed the UART's receiver from standard input (as it arrives) or "
                             "from FILE (all of it, at once); off by default so that runs are "
                             "reproducible")
    parser.add_argument("--log-level", default="warning",
                        choices=("debug", "info", "warning", "error"),
                        help="structured log level (logs go to stderr)")


def uart_streams(args: argparse.Namespace, stack: ExitStack,
                 default: BinaryIO) -> tuple[BinaryIO, Callable[[], bytes] | None]:
    """The UART's output stream and receive source that ``--uart-output``/``--uart-input`` ask
    for; files are closed by ``stack``."""
    from .boards.devices.uart16550 import nonblocking_reader

    output = default
    if args.uart_output is not None:
        try:
            output = stack.enter_context(args.uart_output.open("wb", buffering=0))
        except OSError as exc:
            raise CheriotGdbError(f"cannot write the UART output to {args.uart_output}: "
                                  f"{exc.strerror}") from None
    source: Callable[[], bytes] | None = None
    if args.uart_input == "stdin":
        source = nonblocking_reader(sys.stdin.fileno())
    elif args.uart_input is not None:
        try:
            pending = [Path(args.uart_input).read_bytes()]
        except OSError as exc:
            raise CheriotGdbError(f"cannot read UART input from {args.uart_input}: "
                                  f"{exc.strerror}") from None
        source = lambda: pending.pop() if pending else b""  # noqa: E731 - one-shot source
    return output, source


def resolve_firmware(args: argparse.Namespace) -> Firmware:
    """The board and image the arguments name (the bundled firmware when none is given)."""
    from .rtos import bundled

    board = load_board(args.board or bundled.DEFAULT_BOARD)
    if args.load:
        if args.firmware is not None:
            raise CheriotGdbError("give either an ELF file or --load FILE@ADDR images, not both")
        if args.entry is None:
            raise CheriotGdbError("raw images need --entry ADDR (where the CPU starts)")
        images = [load_raw(*parse_load_spec(spec)) for spec in args.load]
        image = images[0]
        for extra in images[1:]:
            image.segments.extend(extra.segments)
        image.entry = args.entry
        return Firmware(board, image, ", ".join(args.load))
    if args.firmware is None:
        path = bundled.build(board=board)
        description = f"bundled firmware ({path})"
    else:
        path = args.firmware
        description = str(path)
    image = load_elf(path)
    if args.entry is not None:
        image.entry = args.entry
    return Firmware(board, image, description)


def open_machine(firmware: Firmware, args: argparse.Namespace, stack: ExitStack,
                 uart_default: BinaryIO) -> Machine:
    """The machine running ``firmware``, its UART where the arguments say (``uart_default``
    otherwise); ``stack`` closes the image and any UART file."""
    stack.callback(firmware.image.close)
    uart_output, uart_input = uart_streams(args, stack, uart_default)
    return Machine(firmware.board, firmware.image, uart_output=uart_output, uart_input=uart_input)
