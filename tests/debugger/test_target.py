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

    def running(self) -> int | None:
        return None  # only the list tells (as a source that cannot tell cheaply)


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


def test_cached_registers_follow_every_write_step_and_selection(machine: Machine) -> None:
    """The per-stop register bytes (issue 13): a capability register, the g block and the
    expedited registers are served from the cache only until something could change them."""
    from cheriot_gdbserver.debugger.registers import (
        CAP_REGNUM_BASE,
        capability_fields,
        decode_capability,
        encode_capability,
    )
    from cheriot_gdbserver.gdbstub.target import ResumeAction

    target = DebugTarget(machine)
    engine = machine.engine
    g_block = target.register_table().g_block
    g = [spec.regnum for spec in g_block]
    csp_regnum = CAP_REGNUM_BASE + 2

    def csp() -> Cap:
        fields = decode_capability(target.read_register(csp_regnum))
        cap = engine.read_cap(2)
        assert fields == capability_fields(cap)  # what gdb sees is the engine's register
        return cap

    # Step until the stack capability is set up (cincoffset csp, as a user would with stepi).
    while not engine.read_cap(2).tag:
        before = target.read_registers(g)
        target.resume(ResumeAction(step=True))
        after = target.read_registers(g)
        assert after[-1] == engine.pc.to_bytes(4, "little") != before[-1]  # pc, read afresh
    assert target.read_registers(g)[2] == engine.read_cap(2).address.to_bytes(4, "little")
    tagged = csp()
    # Narrow csp's bounds through P (gdb's 'set $csp.length = ...'): the next read shows it.
    fields = capability_fields(tagged)
    low = max(fields.base, min(fields.address, fields.top - 0x100))  # the address stays inside
    narrower = type(fields)(fields.address, low, low + 0x100, 0x100, fields.perms, fields.otype,
                            fields.tag)
    target.write_register(csp_regnum, encode_capability(narrower))
    assert csp().length == 0x100 and csp().tag
    # An integer write to sp (its g-block view) changes the capability view too.
    target.write_register(2, (tagged.address - 16).to_bytes(4, "little"))
    assert target.read_registers(g)[2] == (tagged.address - 16).to_bytes(4, "little")
    assert csp().address == tagged.address - 16
    # A memory write reaches memory at once (memory is never cached) and drops the registers.
    counter = machine.image.symbols["counter"]
    target.write_memory(counter, b"\x2a\0\0\0")
    assert target.read_memory(counter, 4) == b"\x2a\0\0\0"
    # Thread selection swaps the context: the cache must not answer for the other thread.
    saved = TwoThreads(0x8000_0042)
    threaded = DebugTarget(machine, threads=saved)
    live_sp = threaded.read_register(2)
    threaded.select_thread(7)
    assert threaded.read_register(2) == SAVED_CSP.address.to_bytes(4, "little") != live_sp
    threaded.select_thread(3)
    assert threaded.read_register(2) == live_sp


def test_the_stop_reply_carries_the_registers_of_the_new_stop(machine: Machine) -> None:
    """Expedited registers come from the cache filled at the stop, never from the last one."""
    from cheriot_gdbserver.gdbstub.target import ResumeAction

    target = DebugTarget(machine)
    engine = machine.engine
    table = target.register_table()
    for _ in range(12):
        target.resume(ResumeAction(step=True))
        values = target.read_registers(table.expedited_regnums)
        expected = [engine.read_cap(spec.regnum).address if spec.regnum < 16 else engine.pc
                    for spec in table.expedited]
        assert [int.from_bytes(v or b"", "little") for v in values] == expected
