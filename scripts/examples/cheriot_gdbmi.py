"""Drive gdb-multiarch through pygdbmi against a cheriot-gdbserver daemon (used by the example
scripts next to this file and by tests/e2e).

``Daemon`` starts ``cheriot-gdbserver serve`` on a free loopback port and collects its UART
output; ``Gdb`` runs gdb in MI mode and waits for exactly the records a command produces:
``mi`` returns a command's result, ``run`` an execution command's ``*stopped`` record, each with
the console and target text printed on the way (``monitor`` output is target text). Nothing
sleeps: every wait is a bounded read of gdb's output with a deadline.

Neither outlives the script: ``connect`` returns a ``Connection`` to use in a ``with`` block
(gdb closed and the daemon stopped however the block ends), and each also stops at interpreter
exit (atexit) if the script raised before closing it.

Needs pygdbmi (``pip install 'cheriot-gdbserver[scripting]'``) and gdb-multiarch.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

TIMEOUT = 30.0  # seconds; a safety net against hangs, never a synchronisation device
GDB = os.environ.get("GDB", "gdb-multiarch")
LISTENING = re.compile(r"^listening on (\[(?P<v6>[^\]]+)\]|(?P<v4>[^:]+)):(?P<port>\d+)$")


class GdbError(Exception):
    """gdb answered ``^error`` (the message is gdb's)."""


class SessionTimeout(Exception):  # noqa: N818 - reads as what happened
    """gdb or the daemon did not produce what we waited for in time."""


# --- the daemon -----------------------------------------------------------------------------------

class Daemon:
    """``cheriot-gdbserver serve FIRMWARE --port 0 ...`` as a child process.

    ``address`` is ``HOST:PORT`` from the first line of its stdout; ``attach_line`` the second
    line; ``uart`` everything the firmware printed since (collected by a reader thread).
    """

    def __init__(self, firmware: Path | None, *args: str, timeout: float = TIMEOUT) -> None:
        command = [sys.executable, "-m", "cheriot_gdbserver.cli", "serve", "--port", "0"]
        if firmware is not None:
            command.append(str(firmware))
        command += args
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        atexit.register(self._at_exit)  # no orphaned daemon if the script raises
        self._lines: deque[bytes] = deque()
        self._uart = bytearray()
        self._stderr = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self._readers:
            reader.start()
        first = self._line(timeout)
        match = LISTENING.match(first)
        if match is None:
            self.stop()
            raise RuntimeError(f"cheriot-gdbserver did not start: {first!r}\n"
                               f"{self.stderr}")
        self.host = match.group("v6") or match.group("v4")
        self.port = int(match.group("port"))
        self.address = first.removeprefix("listening on ")
        self.attach_line = self._line(timeout)

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        stream = self.process.stdout
        for _ in range(2):  # the banner, then raw UART bytes
            line = stream.readline()
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        while chunk := stream.read1(4096):
            with self._cond:
                self._uart += chunk
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        while chunk := self.process.stderr.read1(4096):
            with self._cond:
                self._stderr += chunk

    def _line(self, timeout: float) -> str:
        with self._cond:
            if not self._cond.wait_for(lambda: self._lines, timeout):
                raise SessionTimeout("cheriot-gdbserver printed no banner line")
            return self._lines.popleft().decode().rstrip("\n")

    @property
    def uart(self) -> bytes:
        with self._cond:
            return bytes(self._uart)

    @property
    def stderr(self) -> str:
        with self._cond:
            return self._stderr.decode(errors="replace")

    def wait_for_uart(self, text: bytes, start: int = 0, timeout: float = TIMEOUT) -> bytes:
        """Wait until the UART output from byte ``start`` on contains ``text``; return that
        output (``start=len(daemon.uart)`` waits for new output only)."""
        def seen() -> bool:
            return self._uart.find(text, start) >= 0

        with self._cond:
            if not self._cond.wait_for(lambda: seen() or self._eof, timeout) or not seen():
                raise SessionTimeout(f"UART output never contained {text!r}: "
                                     f"{bytes(self._uart[start:])!r}")
            return bytes(self._uart[start:])

    def wait(self, timeout: float = TIMEOUT) -> int:
        """The exit status, once the process has ended and all its output has been collected
        (``subprocess.TimeoutExpired`` if it is still running after ``timeout`` seconds)."""
        status = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(TIMEOUT)  # the pipes are at EOF: this is the last bytes being read
        return status

    def _at_exit(self) -> None:
        try:
            self.stop(5.0)
        except SessionTimeout:
            pass  # killed by stop()

    def stop(self, timeout: float = TIMEOUT) -> int:
        """Ctrl-C the daemon (as a user would) and return its exit status."""
        atexit.unregister(self._at_exit)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise SessionTimeout("cheriot-gdbserver did not stop on SIGINT") from None


# --- gdb --------------------------------------------------------------------------------------

@dataclass
class Reply:
    """What one command produced: its result record's payload and the text printed meanwhile."""

    payload: dict[str, Any]
    console: str = ""     # gdb's own CLI output ('~' records)
    target: str = ""      # the stub's output: monitor replies, stop messages ('@' records)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.target + self.console


def c_string(text: str) -> str:
    """``text`` as an MI C string (for ``-interpreter-exec console "..."``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Gdb:
    """gdb-multiarch in MI mode (mi-async on, so execution commands return at once)."""

    def __init__(self, elf: Path | None = None, *, timeout: float = TIMEOUT,
                 gdb: str = GDB) -> None:
        from pygdbmi.gdbcontroller import GdbController  # here: the module imports without it

        command = [gdb, "--nx", "--quiet", "--interpreter=mi3"]
        if elf is not None:
            command.append(str(elf))
        self.controller = GdbController(command=command,
                                        time_to_check_for_additional_output_sec=0.01)
        atexit.register(self.close)
        self.timeout = timeout
        self._token = 100
        self._records: deque[dict[str, Any]] = deque()
        self._events: list[dict[str, Any]] = []   # async records since the last run started
        self.mi("-gdb-set mi-async on")
        self.mi("-gdb-set confirm off")
        self.mi("-gdb-set pagination off")
        self.mi("-gdb-set width 0")
        if elf is None:  # no ELF to say so
            self.mi("-gdb-set architecture riscv:rv32")

    # --- reading --------------------------------------------------------------------------

    def _next(self, deadline: float) -> dict[str, Any]:
        while not self._records:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SessionTimeout("gdb produced no reply in time")
            self._records.extend(self.controller.get_gdb_response(
                timeout_sec=min(left, 0.5), raise_error_on_timeout=False))
        return self._records.popleft()

    def _collect(self, until: Callable[[dict[str, Any]], bool], timeout: float | None,
                 reply: Reply) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            record = self._next(deadline)
            reply.records.append(record)
            kind = record.get("type")
            if kind == "console":
                reply.console += record["payload"] or ""
            elif kind == "target":
                reply.target += record["payload"] or ""
            if until(record):
                return record
            if kind == "notify":
                self._events.append(record)

    # --- commands -------------------------------------------------------------------------

    def mi(self, command: str, timeout: float | None = None) -> Reply:
        """Run an MI command and return its result; ``GdbError`` on ``^error``."""
        self._token += 1
        token = self._token
        self.controller.write(f"{token}{command}", read_response=False)
        reply = Reply({})
        result = self._collect(lambda r: r.get("type") == "result" and r.get("token") == token,
                               timeout, reply)
        reply.payload = result.get("payload") or {}
        if result.get("message") == "error":
            raise GdbError(reply.payload.get("msg", "error"))
        return reply

    def console(self, command: str, timeout: float | None = None) -> str:
        """Run a CLI command; return what it printed (the stub's text first, then gdb's)."""
        return self.mi(f"-interpreter-exec console {c_string(command)}", timeout).text

    def start(self, command: str) -> Reply:
        """Start an execution command (``-exec-continue`` ...): returns once gdb says
        ``^running``. Stops seen before that belong to earlier commands and are dropped."""
        reply = self.mi(command)
        if reply.records[-1].get("message") != "running":
            raise GdbError(f"{command} did not start the target: {reply.records[-1]}")
        self._events.clear()
        return reply

    def wait_stopped(self, timeout: float | None = None) -> Reply:
        """The next ``*stopped`` record (payload) and the text printed before it."""
        reply = Reply({})
        for i, event in enumerate(self._events):
            if event.get("message") == "stopped":
                del self._events[:i + 1]
                reply.payload = event.get("payload") or {}
                return reply
        record = self._collect(lambda r: r.get("type") == "notify"
                               and r.get("message") == "stopped", timeout, reply)
        reply.payload = record.get("payload") or {}
        return reply

    def run(self, command: str, timeout: float | None = None) -> Reply:
        """An execution command, to its stop: the ``*stopped`` payload and the text on the way."""
        started = self.start(command)
        stopped = self.wait_stopped(timeout)
        stopped.target = started.target + stopped.target
        stopped.console = started.console + stopped.console
        return stopped

    def interrupt(self) -> Reply:
        """Ctrl-C: ``-exec-interrupt``, then the stop it causes."""
        self.mi("-exec-interrupt")
        return self.wait_stopped()

    def connect(self, address: str) -> Reply:
        return self.mi(f"-target-select remote {address}")

    def evaluate(self, expression: str) -> str:
        return self.mi(f"-data-evaluate-expression {c_string(expression)}").payload["value"]

    def address_of(self, expression: str) -> int:
        """The numeric value of an address expression (``&counter``, ``$pc``, ``bump``)."""
        return int(self.evaluate(f"(unsigned long)({expression})"), 0)

    def monitor(self, command: str) -> str:
        return self.console(f"monitor {command}")

    def close(self) -> None:
        """Quit gdb (it detaches from the target: the daemon keeps the target halted)."""
        atexit.unregister(self.close)
        if self.controller.gdb_process is None:
            return
        try:
            self.controller.write("-gdb-exit", read_response=False)
            self.controller.gdb_process.wait(self.timeout)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.controller.exit()


class Connection(NamedTuple):
    """gdb and the daemon it is attached to (None with --remote). Unpack it, or use it in a
    ``with`` block, which closes gdb and stops the daemon however the block ends."""

    daemon: Daemon | None
    gdb: Gdb

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.gdb.close()
        finally:
            if self.daemon is not None:
                self.daemon.stop()


def connect(elf: Path | None, remote: str | None, firmware_args: Sequence[str] = ()
            ) -> Connection:
    """gdb attached to ``remote`` (HOST:PORT), or to a daemon started here for ``elf``."""
    daemon = None if remote is not None else Daemon(elf, *firmware_args)
    try:
        gdb = Gdb(elf)
    except BaseException:
        if daemon is not None:
            daemon.stop()
        raise
    try:
        gdb.connect(remote if remote is not None else daemon.address)  # type: ignore[union-attr]
    except BaseException:
        Connection(daemon, gdb).close()
        raise
    return Connection(daemon, gdb)


def frame_text(frame: dict[str, Any]) -> str:
    """``0x800000a8 in count_to () at debugee.S:92`` (with ``#1  `` in front when the record
    has a level, as in a backtrace) from an MI frame record."""
    text = f"{frame.get('addr', '?')} in {frame.get('func', '??')} ()"
    if "level" in frame:
        text = f"#{frame['level']:<2} {text}"
    if "file" in frame:
        text += f" at {frame['file']}:{frame.get('line', '?')}"
    return text
