"""debugger/view.py: the read-only TargetView over a real machine stopped in the e2e firmware."""

from __future__ import annotations

import hashlib

import pytest

from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.capability import ROOT_MEM
from cheriot_gdbserver.debugger.view import MachineView
from cheriot_gdbserver.rtos.view import TargetView, ViewError


@pytest.fixture
def stopped(machine: Machine) -> Machine:
    """At count_to: a capability to counter is in cap_slot, csp is the bounded stack."""
    machine.engine.add_breakpoint(machine.image.symbols["count_to"])
    machine.engine.run()
    return machine


def snapshot(machine: Machine) -> tuple:
    engine = machine.engine
    ram = b"".join(engine.read_memory(r.base, r.size) for r in machine.memory.regions
                   if hasattr(r, "dtab"))
    return (engine.pc, tuple(engine.read_cap(i) for i in range(16)),
            tuple(sorted(engine.hart.scr.items())), engine.core.instret,
            hashlib.sha256(ram).hexdigest(), engine.memory.tags(0x8000_0000, 0x1000))


def test_reads_memory_capabilities_registers_and_csrs(stopped: Machine) -> None:
    view: TargetView = MachineView(stopped)
    engine, symbols = stopped.engine, stopped.image.symbols
    assert view.read_memory(symbols["greeting"], 5) == b"hello"
    slot = view.read_capability(symbols["cap_slot"])
    assert slot == engine.read_cap_memory(symbols["cap_slot"])
    assert slot.tag and slot.bounds == (symbols["counter"], symbols["counter"] + 4)
    assert view.register("csp") == view.register("c2") == engine.read_cap(2)
    assert view.register("pcc").address == symbols["count_to"]
    assert view.register("mtdc") == ROOT_MEM
    assert view.csr("mstatus") == engine.hart.mstatus
    assert view.csr("minstret") == engine.core.instret


def test_refusals_are_view_errors(stopped: Machine) -> None:
    view = MachineView(stopped)
    with pytest.raises(ViewError, match="cannot access 4 byte"):
        view.read_memory(0x7000_0000, 4)
    with pytest.raises(ViewError, match="8-aligned"):
        view.read_capability(stopped.image.symbols["cap_slot"] + 4)
    with pytest.raises(ViewError, match="only stored in RAM"):
        view.read_capability(0x1000_0000)
    with pytest.raises(ViewError, match="no capability register 'cq9'"):
        view.register("cq9")
    with pytest.raises(ViewError, match="no CSR 'bogus'"):
        view.csr("bogus")


def test_reading_changes_nothing(stopped: Machine) -> None:
    before = snapshot(stopped)
    view = MachineView(stopped)
    for name in ("pcc", "csp", "ca0", "mtcc", "mtdc", "mscratchc", "mepcc"):
        view.register(name)
    for name in ("mstatus", "mcause", "mtval", "mshwm", "mshwmb", "mcycle"):
        view.csr(name)
    view.read_memory(0x1000_0000, 8)  # a device window: its side-effect-free view
    view.read_capability(stopped.image.symbols["cap_slot"])
    assert snapshot(stopped) == before
