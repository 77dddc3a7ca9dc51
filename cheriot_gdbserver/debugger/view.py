"""``rtos.view.TargetView`` over a Machine: what RTOS awareness reads a halted target through.

Read-only by construction: every method reads (memory through the engine's debugger path,
device windows through their side-effect-free ``peek``), and nothing here writes. Errors are
``ViewError`` with the reason, never an engine exception.
"""

from __future__ import annotations

from ..boards.machine import Machine
from ..core.capability import Cap
from ..errors import CheriotGdbError
from ..rtos.view import ViewError
from .contexts import CSR_BY_NAME, LiveContext, capability_register_name


class MachineView:
    """A ``TargetView`` of ``machine`` as it is now (call between runs, never during one).

    Registers come from ``live``, the live register context whose per-stop snapshot the gdb
    target invalidates (the DebugContext passes its own); without one, the view has a fresh
    context of its own and is meant for one stop.
    """

    def __init__(self, machine: Machine, live: LiveContext | None = None) -> None:
        self.machine = machine
        self._live = live or LiveContext(machine)

    def read_memory(self, address: int, length: int) -> bytes:
        try:
            return self.machine.engine.read_memory(address, length)
        except CheriotGdbError as e:
            raise ViewError(str(e)) from None

    def read_capability(self, address: int) -> Cap:
        if address & 7:
            raise ViewError(f"a capability is 8-aligned: {address:#010x} is not")
        if self.machine.memory.ram_at(address) is None:
            raise ViewError(f"no capability at {address:#010x}: capabilities are only stored "
                            "in RAM")
        return self.machine.engine.read_cap_memory(address)

    def register(self, name: str) -> Cap:
        canonical = capability_register_name(name)
        if canonical is None:
            raise ViewError(f"no capability register {name!r}")
        return self._live.capability(canonical)

    def csr(self, name: str) -> int:
        if name not in CSR_BY_NAME:
            raise ViewError(f"no CSR {name!r}")
        return self._live.csr(name)
