"""extended-remote as OpenOCD and pyOCD users use it, with real gdb-multiarch over a real socket:
``run`` restarts the firmware (``!`` then ``vKill``/``vRun``), ``kill`` keeps the connection, and
``run`` works again after the firmware stopped anywhere (issue 7 item 9)."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.debugger.target import DebugTarget
from cheriot_gdbserver.gdbstub.server import GdbServer
from tests.gdbstub.rsp_client import TIMEOUT
from tests.gdbstub.test_gdb_e2e import GDB, MARK

pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed")


def run_extended(machine: Machine, elf: Path, commands: list[str]) -> list[str]:
    server = GdbServer(DebugTarget(machine), port=0)
    host, port = server.bind()
    thread = threading.Thread(target=server.serve_one, daemon=True)
    thread.start()
    args = [GDB, "-batch", "-nx", str(elf), "-ex", "set confirm off",
            "-ex", f"target extended-remote {host}:{port}"]
    for command in commands:
        args += ["-ex", 'echo =====\\n' if command == "mark" else command]
    done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60, check=True)
    server.close()
    thread.join(TIMEOUT)
    return done.stdout.split(MARK)[1:]


def test_run_and_kill_restart_the_firmware(machine: Machine, debugee: Path) -> None:
    count_to = machine.image.symbols["count_to"]
    out = run_extended(machine, debugee, [
        "break count_to",
        "mark", "run",
        "mark", "monitor uart",
        "set $a0 = 77",
        "mark", "kill",
        "mark", "run",
        "mark", "p $a0",
        "monitor uart",
        "monitor stats",
        "mark", "continue",
        "mark", "run",
        "mark", "p/x $pc",
        "mark",
    ])
    hit = "\nBreakpoint 1, count_to () at "
    assert out[0].startswith(hit)
    assert out[1] == "hello from the e2e firmware\n"
    assert out[2] == "[Inferior 1 (Remote target) killed]\n"
    assert out[3].startswith(hit)
    lines = out[4].splitlines()
    assert lines[0] == "$1 = 3"  # count_to(3) as from power-on, not the 77 written before kill
    assert lines[1] == "hello from the e2e firmware"  # printed once: UART history restarted
    assert lines[2] == "instructions retired: 169"  # the same run from power-on
    assert "Program received signal SIGSEGV" in out[5]  # the firmware runs on into its fault
    assert out[6].startswith(hit)  # and run restarts it from there too
    assert out[7] == f"$2 = {count_to:#x}\n"
