"""debugger/target.py through real gdb-multiarch over a real socket, on a real machine: thread
selection with a saved register context, and the write policy on special registers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.capability import ROOT_MEM, Cap, set_cap_bounds, with_bounds_fields
from cheriot_gdbserver.debugger.contexts import SavedContext
from cheriot_gdbserver.debugger.target import DebugTarget
from cheriot_gdbserver.debugger.threads import DebugThread
from tests.gdbstub.test_gdb_e2e import GDB, run_gdb

pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed")

SAVED_CSP = Cap(True, 0x8000_0400,
                with_bounds_fields(ROOT_MEM.meta, set_cap_bounds(0x8000_0200, 0x400)[0]))


class TwoThreads:
    """A ThreadSource as the RTOS layer will supply one: the running thread and a waiting one
    whose registers come from its (synthetic) save area."""

    def __init__(self, saved_pc: int) -> None:
        self.calls = 0
        self.saved = SavedContext({"pcc": Cap(False, saved_pc, 0), "csp": SAVED_CSP,
                                   "ca0": Cap.integer(42)}, owner="thread 7")

    def threads(self) -> Sequence[DebugThread]:
        self.calls += 1
        return (DebugThread(3, "main", "running"), DebugThread(7, "sleeper", "waiting", self.saved))


def test_thread_selection_swaps_the_register_context(machine: Machine) -> None:
    bump = machine.image.symbols["bump"]
    source = TwoThreads(bump)
    target = DebugTarget(machine, threads=source)
    out = run_gdb(target, [
        "mark", "info threads",
        "mark", "thread 2",
        "mark", "p/x $pc",
        "p/x $sp",
        "p $a0",
        "p $csp.length",
        "p $mtdc",
        "mark", "set $a0 = 1",
        "mark", "monitor cap csp",
        "mark", "thread 1",
        "mark", "p/x $pc",
        "p $a0",
        "mark",
    ])
    entry = machine.image.entry
    assert out[0] == ("  Id   Target Id                    Frame \n"
                      f"* 1    Thread 3 \"main\" (running)    {entry:#x} in ?? ()\n"
                      f"  2    Thread 7 \"sleeper\" (waiting) {bump:#x} in ?? ()\n")
    assert out[1] == f"[Switching to thread 2 (Thread 7)]\n#0  {bump:#x} in ?? ()\n"
    assert out[2] == (f"$1 = {bump:#x}\n$2 = 0x80000400\n$3 = 42\n$4 = 1024\n"
                      "$5 = <unavailable>\n")
    assert out[3] == ("Could not write register \"a0\"; remote failure reply 'E0d'\n")
    assert out[4].startswith("csp: address=0x80000400 base=0x80000200 top=0x80000600 ")
    assert out[5] == f"[Switching to thread 1 (Thread 3)]\n#0  {entry:#x} in ?? ()\n"
    assert out[6] == f"$6 = {entry:#x}\n$7 = 0\n"
    assert machine.engine.read_cap(10) == Cap.integer(0)  # the refused write changed nothing


def test_threads_are_read_once_per_stop(machine: Machine) -> None:
    source = TwoThreads(machine.image.entry)
    target = DebugTarget(machine, threads=source)
    for _ in range(3):
        target.threads()
        target.read_register(2)
    target.select_thread(7)
    assert target.read_register(2) == SAVED_CSP.address.to_bytes(4, "little")
    assert source.calls == 1
    target.write_memory(machine.image.symbols["counter"], b"\x01")  # state changed: read again
    target.threads()
    assert source.calls == 2


def test_mtdc_cannot_be_given_inverted_bounds_by_gdb(machine: Machine) -> None:
    """issue 7 item 2, as a user does it: narrow mtdc's top, then raise its base above the top.
    The second write is refused and mtdc keeps the narrowed bounds."""
    out = run_gdb(DebugTarget(machine), [
        "mark", "set $mtdc.top = 0x80000000",
        "p/x $mtdc.top",
        "mark", "set $mtdc.base = 0x90000000",
        "mark", "p/x $mtdc.base",
        "p/x $mtdc.top",
        "p $mtdc.tag",
        "mark",
    ])
    assert out == ["$1 = 0x80000000\n",
                   "Could not write register \"mtdc\"; remote failure reply 'E0d'\n",
                   "$2 = 0x0\n$3 = 0x80000000\n$4 = true\n",
                   "[Inferior 1 (Remote target) detached]\n"]
    mtdc = machine.engine.hart.scr[29]
    assert mtdc.tag and mtdc.bounds == (0, 0x8000_0000)


def test_the_register_cache_is_never_stale(machine: Machine) -> None:
    """Registers are read once per stop (issue 13) and re-read after any resume, register or
    memory write, monitor command or reset."""
    from cheriot_gdbserver.gdbstub.target import ResumeAction

    target = DebugTarget(machine)
    engine = machine.engine

    def pc() -> int:
        return int.from_bytes(target.read_register(32), "little")

    def a0() -> int:
        return int.from_bytes(target.read_register(10), "little")

    entry = machine.image.entry
    assert pc() == entry
    target.resume(ResumeAction(step=True))
    assert pc() == engine.pc != entry
    target.write_register(10, (1234).to_bytes(4, "little"))
    assert a0() == 1234 == engine.read_cap(10).address
    engine.write_int(10, 99)  # behind the target's back: only the target's own paths count,
    target.write_memory(machine.image.symbols["counter"], b"\0")  # and a write re-reads
    assert a0() == 99
    target.insert_breakpoint(machine.image.symbols["count_to"], 2, False)
    target.resume(ResumeAction(step=False))
    assert pc() == machine.image.symbols["count_to"]
    assert a0() == engine.read_cap(10).address == 3
    assert target.monitor("reset").startswith("reset done")
    assert pc() == entry and a0() == 0


def test_the_rtos_view_sees_each_stop_afresh(machine: Machine) -> None:
    """The DebugContext's TargetView shares the live context the target invalidates."""
    from cheriot_gdbserver.gdbstub.target import ResumeAction

    target = DebugTarget(machine)
    view = target.context.view
    assert view.register("pcc").address == machine.image.entry
    target.resume(ResumeAction(step=True))
    assert view.register("pcc").address == machine.engine.pc != machine.image.entry
    assert view.register("csp") == machine.engine.read_cap(2)
