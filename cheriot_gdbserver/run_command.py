"""``cheriot-gdbserver run``: run firmware headless (docs/run.md).

The UART goes to stdout as the firmware writes it; logs and the end-of-run report go to
stderr. The process exits with the firmware's own status when it exits (HTIF ``tohost`` on
``sail``, the UART exit byte on ``ibex-safe-simulator``), and with one of the statuses of
``report.py`` when the run ends any other way, after printing a report.

Ctrl-C and SIGTERM stop the engine wherever it is (interruptible.py); both end the run with
the same report, and SIGTERM (what CI runners send on a time-out) exits 143.
"""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import structlog

from . import report
from .boards.machine import Machine
from .core.engine import Catch
from .core.stops import Stop, StopKind
from .errors import CheriotGdbError
from .firmware_args import (
    add_firmware_arguments,
    open_machine,
    resolve_firmware,
)
from .interruptible import run_interruptibly
from .rtos.cheriot import RtosState
from .trace import Tracer

log = structlog.get_logger(__name__)

EXIT_TERMINATED = 128 + signal.SIGTERM  # as a shell reports a process ended by SIGTERM

EXIT_STATUS_HELP = f"""\
exit status:
  0-255  the firmware exited with this status (HTIF tohost or the UART exit byte),
         truncated to its low 8 bits
  {report.EXIT_UNHANDLED_FAULT}    unhandled fault: no trap handler can run (report on stderr)
  {report.EXIT_DOUBLE_FAULT}    double fault: the trap handler faulted on its first instruction
  {report.EXIT_HALTED}    halted: wfi with nothing that can ever raise an interrupt
  {report.EXIT_BUDGET}    the --max-instructions budget was used up
  {report.EXIT_INTERRUPTED}    interrupted (Ctrl-C)
  {EXIT_TERMINATED}    terminated (SIGTERM), with the same report as Ctrl-C
  2      the firmware or board could not be loaded (message on stderr)
A firmware may exit with one of these numbers too: the report on stderr tells them apart."""


def _positive(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "run", help="run firmware headless, UART to stdout",
        description="Run firmware without a debugger: the UART goes to stdout, the process\n"
                    "exits with the firmware's status, and a fault, a lock-up or an exhausted\n"
                    "budget ends the run with a report on stderr (docs/run.md).",
        epilog=EXIT_STATUS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_firmware_arguments(parser)
    parser.add_argument("--max-instructions", type=_positive, default=None, metavar="N",
                        help="stop after N instructions (default: no limit); time skipped in "
                             "wfi counts, as the emulated clock does")
    parser.add_argument("--trace", type=Path, default=None, metavar="FILE",
                        help="write an instruction trace to FILE (one line per instruction; "
                             "several times slower than a plain run)")
    parser.set_defaults(handler=handle)


@dataclass(frozen=True, slots=True)
class RunResult:
    stop: Stop
    status: int              # the process exit status
    instructions: int        # instret at the end (instruction times, wfi skips included)
    report: list[str]        # empty when the firmware exited by itself


def run_machine(machine: Machine, max_instructions: int | None = None, *,
                trace: Tracer | None = None) -> RunResult:
    """Run ``machine`` until the firmware exits or something else ends the run. Whatever the
    firmware does ends in a ``RunResult``; only the emulator's own failures raise."""
    engine = machine.engine
    engine.catch = Catch.NONE  # the firmware's trap handler takes its faults (docs/run.md)
    if trace is not None:
        trace.attach()
    log.info("running", board=machine.board.name, entry=hex(machine.image.entry or 0),
             budget=max_instructions)
    try:
        stop, signalled = run_interruptibly(engine, max_instructions)
    finally:
        if trace is not None:
            trace.detach()
        if machine.devices.uart is not None:
            machine.devices.uart.flush()
    instructions = engine.core.instret
    if stop.kind is StopKind.EXIT:
        code = stop.exit_code or 0
        if not 0 <= code <= 0xFF:
            log.warning("exit status truncated to 8 bits", exit_code=code, status=code & 0xFF)
        result = RunResult(stop, code & 0xFF, instructions, [])
        ending = f"exit {code}"
    else:
        end = report.ending(machine, stop, instructions)
        status = EXIT_TERMINATED if signalled == signal.SIGTERM else end.status
        result = RunResult(stop, status, instructions,
                           report.report(machine, stop, instructions, _rtos(machine)))
        ending = end.headline
    if trace is not None:
        trace.finish(ending)
    log.info("run ended", stop=stop.kind.value, status=result.status,
             instructions=instructions, **{k: v for k, v in engine.stats.items()
                                           if k != "instructions"})
    return result


def _rtos(machine: Machine) -> RtosState | None:
    """The RTOS model for the report (None on an image that is not an RTOS image)."""
    from .debugger.rtos_threads import attach_rtos
    from .debugger.view import MachineView

    return attach_rtos(machine, MachineView(machine)).state


def handle(args: argparse.Namespace) -> int:
    firmware = resolve_firmware(args)
    stdout: BinaryIO = sys.stdout.buffer
    with ExitStack() as stack:
        machine = open_machine(firmware, args, stack, stdout)
        tracer = None
        if args.trace is not None:
            try:
                trace_file = stack.enter_context(open(args.trace, "w", encoding="utf-8"))
            except OSError as exc:
                raise CheriotGdbError(f"{args.trace}: cannot write the trace: "
                                      f"{exc.strerror}") from None
            tracer = Tracer(machine, trace_file)
        log.info("loaded", firmware=firmware.description, board=firmware.board.name)
        result = run_machine(machine, args.max_instructions, trace=tracer)
    stdout.flush()
    if result.report:
        print("\n".join(result.report), file=sys.stderr, flush=True)
    return result.status
