"""``cheriot-gdbserver serve``: serve firmware to gdb over the remote serial protocol (docs/gdb.md).

stdout: the first line is always ``listening on HOST:PORT`` (scripts wait for it; ``--port 0``
picks a free port and this line says which), the second says how to attach gdb, and everything
after that is the firmware's UART output. Logs and warnings go to stderr.

The server runs on a worker thread so that Ctrl-C (or SIGTERM), which Python delivers to the main
thread, always ends the daemon cleanly, even while the firmware spins in a loop that never calls
back into Python: closing the server ends the session, which interrupts the target. The main
thread waits at most ``STOP_SECONDS`` for that; a worker stuck elsewhere (a monitor command that
does not return) does not keep the daemon alive: it then exits with status 1.
"""

from __future__ import annotations

import argparse
import faulthandler
import ipaddress
import os
import shlex
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

import structlog

from .core.engine import Catch
from .debugger.registers import ARCHITECTURE
from .debugger.target import DebugTarget
from .firmware_args import (
    SIGNAL_POLL_SECONDS,
    add_firmware_arguments,
    open_machine,
    resolve_firmware,
)
from .gdb_extension import ENTRY_SCRIPT
from .gdbstub.server import DEFAULT_HOST, DEFAULT_PORT, GdbServer

log = structlog.get_logger(__name__)

GDB = "gdb-multiarch"
STOP_SECONDS = 0.8  # SIGTERM must end the daemon within a second, whatever it is doing

DESCRIPTION = """\
Serve firmware to gdb over the GDB remote serial protocol, one client at a time.
The target waits halted at the firmware's entry until gdb resumes it.

stdout: line 1 is always 'listening on HOST:PORT', line 2 the gdb command line to
attach; after that comes the firmware's UART output. Logs go to stderr.
Ctrl-C (or SIGTERM) stops the daemon. See docs/gdb.md."""

CLIENT_STATES = """\
when a client leaves, the next one finds:
  detach            the target halted where it was, breakpoints and watchpoints removed
  dropped link      the same (a running target is interrupted first)
  kill              the machine reset: firmware reloaded, halted at its entry
  firmware exited   the machine reset, as after kill"""


def _port(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 0 <= value <= 0xFFFF:
        raise argparse.ArgumentTypeError(f"port {value} is not in 0-65535")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve", help="serve firmware to gdb (GDB remote protocol over TCP)",
        description=DESCRIPTION, epilog=CLIENT_STATES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_firmware_arguments(parser)
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on (default: %(default)s). The protocol has no "
                             "authentication: anything else exposes the machine to the network")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help="TCP port (default: %(default)s; 0 picks a free port)")
    parser.add_argument("--catch", choices=[c.value for c in Catch], default=Catch.CHERI.value,
                        help="which exceptions stop the target before they are taken "
                             "(default: %(default)s; 'monitor catch' changes it later)")
    parser.set_defaults(handler=handle)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: we cannot tell without resolving it, so warn


def format_address(host: str, port: int) -> str:
    """``HOST:PORT`` as gdb's ``target remote`` takes it (IPv6 addresses in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def attach_command(elf: Path | None, address: str) -> str:
    """The gdb command line that attaches to this daemon with the firmware's symbols and loads
    the gdb extension (after connecting, so it finds the CHERIoT target at once)."""
    words = [GDB]
    if elf is not None:
        words.append(str(elf.resolve()))
    else:  # raw images: no ELF to tell gdb the architecture
        words += ["-ex", f"set architecture {ARCHITECTURE}"]
    words += ["-ex", f"target remote {address}", "-x", str(ENTRY_SCRIPT)]
    return shlex.join(words)


def _firmware_elf(args: argparse.Namespace) -> Path | None:
    """The ELF gdb should load for symbols (None for raw ``--load`` images)."""
    from .rtos import bundled

    if args.load:
        return None
    if args.firmware is not None:
        return args.firmware
    return bundled.build(board=args.board or bundled.DEFAULT_BOARD)  # cached build


def handle(args: argparse.Namespace) -> int:
    firmware = resolve_firmware(args)
    elf = _firmware_elf(args)
    with ExitStack() as stack:
        machine = open_machine(firmware, args, stack, sys.stdout.buffer)
        machine.engine.catch = Catch(args.catch)
        target = DebugTarget(machine)
        return _serve(target, args.host, args.port, elf, firmware.description)


def _serve(target: DebugTarget, host: str, port: int, elf: Path | None,
           description: str) -> int:
    def announce(bound_host: str, bound_port: int) -> None:
        address = format_address(bound_host, bound_port)
        # One write, flushed at once: whoever waits for the first line must not see a partial
        # line, and UART output (written to the buffer underneath) must come after it.
        sys.stdout.write(f"listening on {address}\n"
                         f"attach with: {attach_command(elf, address)}\n")
        sys.stdout.flush()

    faulthandler.enable()  # a crash in the emulator's native code still names the thread
    if not is_loopback(host):
        print(f"cheriot-gdbserver: warning: listening on {host}, not loopback: the gdb remote "
              "protocol has no authentication, so anyone who can reach the port controls the "
              "emulated machine", file=sys.stderr, flush=True)
    server = GdbServer(target, host=host, port=port, on_listening=announce)
    failure: list[BaseException] = []
    wake = threading.Event()  # the worker ended, or SIGINT/SIGTERM asked the daemon to stop

    def work() -> None:
        try:
            while server.serve_one():
                target.client_gone()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failure.append(exc)
        finally:
            wake.set()

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        # Never raise here: an exception can arrive inside worker.start() or threading's own
        # locks, and one that escapes lets the interpreter shut down under a worker running
        # the emulator (a crash; see interruptible.py). A second signal during
        # the clean-up below only sets the event again.
        log.info("stopping", signal=signal.Signals(signum).name)
        wake.set()

    worker = threading.Thread(target=work, name="gdb-server", daemon=True)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    handled = [s for s, handler in saved.items() if handler not in (None, signal.SIG_IGN)]
    for number in handled:
        signal.signal(number, stop_on_signal)
    try:
        try:
            server.bind()
        except OSError as exc:
            print(f"cheriot-gdbserver: error: cannot listen on {format_address(host, port)}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            return 2
        log.info("serving", firmware=description, board=target.machine.board.name,
                 entry=hex(target.machine.image.entry or 0))
        worker.start()
        # Polled: the kernel may deliver SIGTERM to any thread, and Python runs the handler
        # only when this one next runs bytecode, which a wait with no timeout never does.
        while not wake.wait(SIGNAL_POLL_SECONDS):
            pass
    finally:
        server.close()  # ends the session: a running target is interrupted
        if worker.ident is not None:
            worker.join(STOP_SECONDS)
        sys.stdout.flush()
        if worker.is_alive():
            log.error("worker_stuck", thread=worker.name)
            print(f"cheriot-gdbserver: error: the emulator did not stop within {STOP_SECONDS} s; "
                  "exiting without it (where each thread was, for a bug report:)",
                  file=sys.stderr, flush=True)
            faulthandler.dump_traceback(sys.stderr, all_threads=True)
            os._exit(1)  # the stuck thread cannot be joined, and must not outlive the daemon
        for number in handled:
            signal.signal(number, saved[number])
    if failure:
        raise failure[0]
    print("cheriot-gdbserver: stopped", file=sys.stderr, flush=True)
    return 0
