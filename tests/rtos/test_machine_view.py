"""The model through the gdb layer's real TargetView (debugger/view.py) over a real Machine: a
synthetic image loaded on the sail board, scheduler state written into its RAM with tags, read
back through the engine's memory, tag shadow and special registers."""

from __future__ import annotations

import struct

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.capability import Cap
from cheriot_gdbserver.debugger.view import MachineView
from cheriot_gdbserver.rtos.cheriot import RtosState
from cheriot_gdbserver.rtos.cheriot.threads import ThreadState

from .conftest import open_image
from .target import Scenario, ThreadSpec, cap


class MachineWriter:
    """The test's own writes into the machine's memory (the model only reads)."""

    def __init__(self, machine: Machine) -> None:
        self.memory = machine.engine.memory

    def write(self, address: int, data: bytes) -> None:
        self.memory.write(address, data)

    def u8(self, address: int, v: int) -> None:
        self.write(address, bytes([v]))

    def u16(self, address: int, v: int) -> None:
        self.write(address, struct.pack("<H", v))

    def u32(self, address: int, v: int) -> None:
        self.write(address, struct.pack("<I", v))

    def u64(self, address: int, v: int) -> None:
        self.write(address, struct.pack("<Q", v))

    def cap(self, address: int, c: Cap) -> None:
        self.memory.store_cap(address, c.address | c.meta << 32, c.tag)


def test_threads_and_futexes_through_the_machine_view(synth_image):
    path, lay = synth_image("A")
    machine = Machine(load_board("sail"), load_elf(path))
    writer = MachineWriter(machine)
    scen = Scenario(writer, lay)
    scen.thread(1, ThreadSpec(state=1, queue="futex", futex=lay.symbols["hello_lock"],
                              expiry=900, priority=2, base_priority=2, pc=0x80001100, mcause=11,
                              frames=[(lay.exports["hello"][0], None),
                                      (lay.entries["scheduler.futex_timed_wait"], 0x80005090)]))
    scen.thread(2, ThreadSpec(pc=0x80006040, frames=[(lay.exports["worker"][0], None)]))
    scen.current(2)
    writer.u32(lay.symbols["hello_lock"], 1)
    state = RtosState(open_image(path), MachineView(machine))
    t1, t2 = state.threads()
    assert (t1.state, t1.futex, t1.wake_time) == (ThreadState.FUTEX, lay.symbols["hello_lock"],
                                                  900)
    assert [(f.compartment, f.function, f.caller_pc) for f in t1.call_chain] == \
        [("hello", "say_hello", None), ("scheduler", "futex_timed_wait", 0x80005090)]
    # Tags come from the machine's tag shadow: the saved csp is tagged, a plain word is not.
    assert t1.context["csp"].tag and not t1.context["ca0"].tag
    assert t2.state == ThreadState.RUNNING and state.current_thread_id() == 2
    (futex,) = [f for f in state.futexes() if f.waiters]
    assert (futex.address, futex.value, [w.thread for w in futex.waiters]) == \
        (lay.symbols["hello_lock"], 1, [1])
    ts, size = lay.trusted_stacks[0]
    assert state.sealed(cap(ts, size, otype=10)).thread == 1
    assert state.where(lay.symbols["hello_lock"]).owner == "hello"


def test_an_image_without_micro_reboots_says_so_in_one_word(synth_image):
    # The synthetic images follow the official RTOS layout, which has no micro-reboot table
    # (rtos.md 3.8): the counts are not zeros but "unsupported", and reboot is refused.
    from cheriot_gdbserver.debugger.commands.catalog import default_registry
    from cheriot_gdbserver.debugger.debug_context import DebugContext

    path, lay = synth_image("F")
    machine = Machine(load_board("sail"), load_elf(path))
    context = DebugContext(machine)
    assert context.require_rtos().reboots() is None
    registry = default_registry()
    listing = registry.run("compartments", context)
    assert "micro_reboots=unsupported" in listing.splitlines()[0]
    compartments = [line for line in listing.splitlines() if line.startswith("compartment ")]
    assert compartments and all(line.endswith(" reboots=unsupported") for line in compartments)
    assert "reboots=0" not in listing
    before = machine.engine.read_memory(0x80000000, 0x40000)
    answer = registry.run("reboot hello", context)
    assert answer.startswith("error: this image cannot micro-reboot compartments"), answer
    assert machine.engine.read_memory(0x80000000, 0x40000) == before
