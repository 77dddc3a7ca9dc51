"""RTOS threads in gdb (issue 9 item 4's plumbing): real gdb-multiarch over a real socket, on the
bundled CHERIoT RTOS firmware (rtos/firmware/, docs/firmware.md) on the sail board."""

from __future__ import annotations

import io
import subprocess
import threading
from pathlib import Path

import pytest

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.debugger.rtos_threads import RtosThreads
from cheriot_gdbserver.debugger.target import DebugTarget
from cheriot_gdbserver.debugger.threads import HartThreads
from cheriot_gdbserver.gdbstub.server import GdbServer
from cheriot_gdbserver.rtos.cheriot import RtosImage, RtosState
from tests.gdbstub.rsp_client import TIMEOUT
from tests.gdbstub.test_gdb_e2e import GDB, MARK

pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed")



@pytest.fixture
def rtos_machine(rtos_elf: Path):
    image = load_elf(rtos_elf)
    yield Machine(load_board("sail"), image, uart_output=io.BytesIO())
    image.close()


def gdb_session(target: DebugTarget, elf: Path, commands: list[str]) -> list[str]:
    server = GdbServer(target, port=0)
    host, port = server.bind()
    thread = threading.Thread(target=server.serve_one, daemon=True)
    thread.start()
    args = [GDB, "-batch", "-nx", str(elf), "-ex", f"target remote {host}:{port}"]
    for command in commands:
        args += ["-ex", 'echo =====\\n' if command == "mark" else command]
    done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120, check=True)
    server.close()
    thread.join(TIMEOUT)
    return done.stdout.split(MARK)[1:]


def test_gdb_lists_rtos_threads_and_shows_a_waiting_threads_registers(
        rtos_machine: Machine, rtos_elf: Path) -> None:
    target = DebugTarget(rtos_machine)
    assert isinstance(target.thread_source, RtosThreads)
    out = gdb_session(target, rtos_elf, [
        "mark", "info threads",
        "break faulty_read", "continue",
        "mark", "info threads",
        "mark", "thread 3", "p/x $pc", "p/x $sp",
        "mark", "set $a0 = 1",
        "mark", "thread 1", "p/x $pc",
        "mark",
    ])
    # before the scheduler has made its threads: the hart alone
    assert out[0].splitlines()[1].startswith(
        '* 1    Thread 1 "hart0" (CHERIoT hart (the RTOS has not started its threads yet)) '
        '_start ()')
    # at the breakpoint: every thread by name and state, the running one current
    state = RtosState(RtosImage.from_elf(rtos_machine.image.elf), target.context.view)
    threads = {t.id: t for t in state.threads()}
    rows = out[1].splitlines()[1:]
    assert [row.split('"')[1] for row in rows] == [threads[i].name for i in (1, 2, 3)]
    assert rows[0].startswith("* 1    Thread 1 ") and "(running, in faulty, priority 0" in rows[0]
    assert (f"({threads[3].describe()}, in {threads[3].compartment}, "
            f"priority {threads[3].base_priority}") in rows[2]
    # thread 3 waits: its pc and sp are its save area's, not the CPU's
    saved = state.context(3)
    assert saved is not None and not saved.live
    assert out[2].splitlines()[-2:] == [f"$1 = {saved['pcc'].address:#x}",
                                        f"$2 = {saved['csp'].address:#x}"]
    assert saved["pcc"].address != rtos_machine.engine.pc
    assert out[3] == "Could not write register \"a0\"; remote failure reply 'E0d'\n"
    assert out[4].splitlines()[-1] == f"$3 = {rtos_machine.image.symbols['faulty_read']:#x}"


def test_an_image_without_the_rtos_shows_the_hart(machine: Machine) -> None:
    assert isinstance(DebugTarget(machine).thread_source, HartThreads)


class BrokenView:
    """A target that answers nothing (every read refused) or misbehaves (a model bug)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read_memory(self, address: int, length: int) -> bytes:
        raise self.error

    def read_capability(self, address: int):
        raise self.error

    def register(self, name: str):
        raise self.error

    def csr(self, name: str) -> int:
        raise self.error


@pytest.mark.parametrize("error", [ValueError("model bug"), RuntimeError("boom")])
def test_an_unreadable_target_falls_back_to_the_hart(rtos_machine: Machine, error) -> None:
    from cheriot_gdbserver.rtos.view import ViewError

    image = RtosImage.from_elf(rtos_machine.image.elf)
    for failure in (ViewError("unmapped"), error):
        threads = RtosThreads(RtosState(image, BrokenView(failure))).threads()
        assert [(t.id, t.name, t.context) for t in threads] == [(1, "hart0", None)]


def test_capability_bounds_are_named_by_compartment(rtos_elf: Path) -> None:
    """issue 7 item 8: on an RTOS image the bounds read as the compartment's code, globals,
    stack or trusted stack (rtos.md's regions), not as the nearest symbol below the base."""
    from tests.run.support import cli

    done = cli("monitor", str(rtos_elf), "--break", "faulty_read",
               "-c", "cap pcc", "-c", "cap cgp", "-c", "cap csp", "-c", "cap mtdc")
    assert done.returncode == 0, done.stderr
    covers = [line for line in done.stdout.splitlines() if line.startswith("  covers: ")]
    assert covers == ["  covers: code of faulty", "  covers: globals of faulty",
                      "  covers: stack of thread 1 (demo.demo_main)",
                      "  covers: trusted stack of thread 1 (demo.demo_main)"]


def test_monitor_threads(rtos_elf: Path, debugee: Path) -> None:
    from tests.run.support import cli

    done = cli("monitor", str(rtos_elf), "--break", "faulty_read", "-c", "threads")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "thread 1 demo.demo_main", "thread 2 producer.producer_run",
        "thread 3 consumer.consumer_run"]
    # the running thread's pc is the CPU's (stopped at the breakpoint), not its save area's
    image = load_elf(rtos_elf)
    faulty_read = image.symbols["faulty_read"]
    image.close()
    assert lines[0].split(": ", 1)[1].startswith(
        "state=running compartment=faulty priority=0 ")
    assert f" pc={faulty_read:#010x} " in lines[0]
    assert lines[2].split(": ", 1)[1].startswith("state=futex compartment=scheduler ")
    plain = cli("monitor", str(debugee), "-c", "threads")
    assert plain.returncode == 0
    assert plain.stdout == ("no RTOS view: not a CHERIoT RTOS image: it has no "
                            ".compartment_headers section (the loader's image header)\n")


def test_an_image_the_model_cannot_read_is_still_served(rtos_machine: Machine,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A model failure on the image (not just 'not an RTOS image') costs the RTOS view only:
    the context says why, gdb sees the hart, and the RTOS commands answer that line."""
    def broken(*args, **kwargs):
        raise IndexError("a table the model misread")

    monkeypatch.setattr(RtosImage, "from_elf", broken)
    target = DebugTarget(rtos_machine)
    assert target.context.rtos is None
    assert target.context.no_rtos == ("no RTOS view: the RTOS model could not read this image "
                                      "(IndexError: a table the model misread)")
    assert isinstance(target.thread_source, HartThreads)
    assert target.monitor("threads") == target.context.no_rtos + "\n"
