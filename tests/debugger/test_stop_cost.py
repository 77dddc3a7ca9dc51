"""What a stop and a monitor command read on an RTOS image (issue 13's spirit): the stop reply
names the running thread from the scheduler's ``current`` pointer and the block it names; the
save areas and call chains are read once, when gdb first asks for the thread list; commands
that only read keep this stop's caches, and nothing cached outlives a command that changes
the target. Real firmware (the bundled RTOS, rtos/firmware/), a real socket, counted reads."""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.debugger.commands.base import Command, CommandFamily, CommandRegistry
from cheriot_gdbserver.debugger.commands.catalog import FAMILIES, default_registry
from cheriot_gdbserver.debugger.rtos_threads import RtosThreads
from cheriot_gdbserver.debugger.target import DebugTarget
from cheriot_gdbserver.debugger.threads import HART_THREAD_ID
from cheriot_gdbserver.debugger.view import MachineView
from cheriot_gdbserver.gdbstub.server import GdbServer
from cheriot_gdbserver.rtos.cheriot import RtosImage, RtosState
from tests.gdbstub.rsp_client import TIMEOUT, RspClient

READ_ONLY = {"help", "cap", "caps", "tags", "fault", "stats", "uart", "compartments",
             "compartment", "exports", "imports", "threads", "callchain", "futexes", "sealed",
             "heap", "where", "audit"}



@pytest.fixture
def machine(rtos_elf: Path) -> Iterator[Machine]:
    image = load_elf(rtos_elf)
    yield Machine(load_board("sail"), image, uart_output=io.BytesIO())
    image.close()


class Counted:
    """Counts what the target is asked for: reads through the RTOS model's view (memory and
    capabilities) and register-file snapshots of the engine."""

    def __init__(self, target: DebugTarget) -> None:
        self.counts: Counter[str] = Counter()
        view, engine = target.context.view, target.machine.engine
        for obj, name in ((view, "read_memory"), (view, "read_capability"),
                          (engine, "read_registers")):
            setattr(obj, name, self._counting(name, getattr(obj, name)))

    def _counting(self, name, method):
        def counted(*args, **kwargs):
            self.counts[name] += 1
            return method(*args, **kwargs)
        return counted

    def take(self) -> Counter[str]:
        out, self.counts = self.counts, Counter()
        return out

    @staticmethod
    def reads(counts: Counter[str]) -> int:
        return counts["read_memory"] + counts["read_capability"]


def serve(target: DebugTarget) -> tuple[RspClient, GdbServer, threading.Thread]:
    server = GdbServer(target, port=0)
    host, port = server.bind()
    thread = threading.Thread(target=server.serve_one, daemon=True)
    thread.start()
    return RspClient(host, port), server, thread


@pytest.fixture
def at_fault(machine: Machine) -> Iterator[tuple[DebugTarget, RspClient, Counted]]:
    """Stopped at faulty_read with the three threads made (thread 1 runs)."""
    target = DebugTarget(machine)
    client, server, thread = serve(target)
    address = machine.image.symbols["faulty_read"]
    assert client.ask(b"Z0,%x,4" % address) == b"OK"
    assert client.ask(b"vCont;c").startswith(b"T05")
    assert client.ask(b"z0,%x,4" % address) == b"OK"
    yield target, client, Counted(target)
    client.close()
    server.close()
    thread.join(TIMEOUT)


def _thread_ids(client: RspClient) -> list[int]:
    reply = client.ask(b"qfThreadInfo")
    assert client.ask(b"qsThreadInfo") == b"l"
    return [int(x, 16) for x in reply[1:].split(b",")]


def test_a_stop_reads_two_words_and_each_thread_at_most_once(at_fault) -> None:
    target, client, counted = at_fault
    reply = client.ask(b"vCont;s")
    step = counted.take()
    # the scheduler's current pointer and the block it names: no save area, no call chain
    assert reply.startswith(b"T05") and b"thread:1;" in reply
    assert Counted.reads(step) == 2, step
    client.ask(b"Hg1")  # gdb selects the thread the stop named: still no thread list
    client.ask(b"g")
    assert Counted.reads(counted.take()) == 0
    # the list (what gdb reads at every stop): each thread's block, trusted-stack pointer and
    # top frame, no save area (16 capabilities each)
    assert _thread_ids(client) == [1, 2, 3]
    listed = Counted.reads(counted.take())
    assert 0 < listed <= 1 + 3 * 5, listed
    for packet in (b"qfThreadInfo", b"qsThreadInfo", b"qThreadExtraInfo,2",
                   b"qXfer:threads:read::0,fff", b"T3"):
        assert not client.ask(packet).startswith(b"E"), packet
    assert Counted.reads(counted.take()) == 0
    # a waiting thread's registers: its save area, read once in this stop
    assert client.ask(b"Hg2") == b"OK"
    client.ask(b"g")
    assert Counted.reads(counted.take()) >= 17
    for packet in (b"g", b"p20", b"Hg1", b"g", b"Hg2", b"g"):
        assert not client.ask(packet).startswith(b"E"), packet
    assert Counted.reads(counted.take()) == 0
    # the list agrees with the stop reply; the next stop reads afresh and, as in gdbserver
    # (prepare_resume_reply sets the general thread in all-stop), selects the thread it
    # names: its expedited pc is the CPU's, not thread 2's saved one
    assert b"thread:1;" in client.ask(b"?")
    reply = client.ask(b"vCont;s")
    assert Counted.reads(counted.take()) == 2
    pc = reply.split(b"20:")[1][:8]
    assert int.from_bytes(bytes.fromhex(pc.decode()), "little") == target.machine.engine.pc
    assert _thread_ids(client) == [1, 2, 3]
    assert Counted.reads(counted.take()) == listed


def test_the_running_thread_from_current_agrees_with_the_thread_list(machine: Machine) -> None:
    """At stops all over the firmware's run (boot code before the scheduler, then its threads
    in turn), the two-read answer is the one the whole list gives; with ``current`` null (the
    idle loop, rtos.md 4.1) both name the idle thread."""
    model = RtosImage.from_elf(machine.image.elf)
    seen: Counter[int] = Counter()
    started = []
    for _ in range(400):
        machine.engine.run(max_instructions=1009)
        source = RtosThreads(RtosState(model, MachineView(machine)))
        cheap = source.running()
        listed = source.threads()
        assert cheap == next((t.id for t in listed if t.context is None), listed[0].id)
        seen[cheap] += 1
        started.append(len(listed) > 1)
    assert not started[0] and started[-1]  # the hart alone, then the RTOS threads
    assert {1, 2, 3} <= set(seen)
    state = RtosState(model, MachineView(machine))
    current = state.thread_reader.symbols["current"]
    machine.engine.write_memory(current, bytes(8))  # a null capability: no thread runs
    source = RtosThreads(RtosState(model, MachineView(machine)))
    assert source.running() == 4
    assert [t.id for t in source.threads() if t.context is None] == [4]


def test_read_only_commands_keep_this_stops_caches(at_fault) -> None:
    target, client, counted = at_fault
    commands = ("threads", "caps csp,cra", "futexes", "where $csp", "fault")
    first = [client.monitor(c) for c in commands]
    assert "thread: 1 demo.demo_main" in first[-1]  # the fault's RTOS lines (the last ecall)
    assert Counted.reads(counted.take()) > 20
    again = [client.monitor(c) for c in commands]
    assert again == first
    assert _thread_ids(client) == [1, 2, 3]
    client.ask(b"g")
    kept = counted.take()
    assert Counted.reads(kept) == 0 and kept["read_registers"] == 0, kept


def test_nothing_cached_outlives_a_command_that_changes_the_target(at_fault) -> None:
    target, client, counted = at_fault
    before = client.monitor("threads")
    assert "thread 1 demo.demo_main: state=running" in before
    registers = client.ask(b"g")
    assert _thread_ids(client) == [1, 2, 3]
    client.monitor("reset")
    counted.take()
    after = client.monitor("threads")
    assert "state=not-started" in after and "state=running" not in after
    assert Counted.reads(counted.take()) > 0
    assert _thread_ids(client) == [HART_THREAD_ID]
    assert client.ask(b"g") != registers
    assert counted.take()["read_registers"] == 1


def test_a_command_declared_as_changing_the_target_invalidates(machine: Machine) -> None:
    """The declaration is what counts: the same write, as a command that changes the target,
    is seen by the next thread list."""
    def idle(context, args) -> str:
        sp = context.registers.capability("csp").address  # gdb's thread's, read before
        current = context.rtos.thread_reader.symbols["current"]
        context.machine.engine.write_memory(current, bytes(8))
        return f"current = NULL (csp was {sp:#x})"
    registry = CommandRegistry([*FAMILIES, CommandFamily("test", (
        Command("idle", "make the scheduler's current pointer null", idle),))])
    target = DebugTarget(machine, commands=registry)
    client, server, thread = serve(target)
    try:
        address = machine.image.symbols["faulty_read"]
        client.ask(b"Z0,%x,4" % address)
        client.ask(b"vCont;c")
        assert _thread_ids(client) == [1, 2, 3]
        assert client.ask(b"Hg3") == b"OK"  # its save area is read when the command asks
        said = client.monitor("idle")
        saved_sp = target.context.rtos.context(3)["csp"].address  # the write left it alone
        assert said == f"current = NULL (csp was {saved_sp:#x})\n"
        assert _thread_ids(client) == [1, 2, 3, 4]
        assert "state=running" not in client.monitor("threads")
        assert b"thread:4;" in client.ask(b"?")
    finally:
        client.close()
        server.close()
        thread.join(TIMEOUT)


def test_every_command_declares_whether_it_changes_the_target() -> None:
    commands = default_registry().commands
    assert {n for n, c in commands.items() if not c.changes_target} == READ_ONLY
    assert {"reset", "reboot", "catch"} <= {n for n, c in commands.items() if c.changes_target}
    registry = default_registry()
    assert registry.changes_target("reset") and not registry.changes_target("caps csp")
    assert not registry.changes_target("") and not registry.changes_target("nosuch 1")


def test_a_thread_read_at_an_earlier_stop_reads_no_later_state(machine: Machine) -> None:
    """Save areas and call chains are read on first use: a Thread kept past its stop refuses,
    rather than mixing this stop's thread block with a later stop's save area."""
    model = RtosImage.from_elf(machine.image.elf)
    state = RtosState(model, MachineView(machine))
    machine.engine.run(max_instructions=200_000)
    early, kept = state.thread(2), state.thread(3)
    assert kept.context is not None  # read at its own stop
    state.invalidate()
    with pytest.raises(RuntimeError, match="earlier stop"):
        _ = early.call_chain
    assert kept.context is not None  # what was read at its stop stays


def test_the_halt_reason_selects_the_thread_it_names(at_fault) -> None:
    """``?`` is a stop reply too: as gdbserver's (its handle_status sets the general thread to
    the event's), it names the running thread and selects it, so its expedited registers are
    the CPU's even after ``Hg`` chose a waiting thread."""
    target, client, _ = at_fault
    assert client.ask(b"Hg2") == b"OK"
    saved = client.ask(b"p20")
    reply = client.ask(b"?")
    assert b"thread:1;" in reply
    pc = reply.split(b"20:")[1][:8]
    assert int.from_bytes(bytes.fromhex(pc.decode()), "little") == target.machine.engine.pc
    assert client.ask(b"p20") != saved      # and later reads are the running thread's too
