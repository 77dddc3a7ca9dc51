"""The read-only view of a halted target that RTOS awareness reads through.

rtos/ never sees the Machine, the engine or Unicorn: the gdb layer implements ``TargetView``
over a Machine (outside rtos/), tests implement it over a bytes buffer. Implementations never
change target state.
"""

from __future__ import annotations

from typing import Protocol

from ..core.capability import Cap
from ..errors import CheriotGdbError


class ViewError(CheriotGdbError):
    """An address (or register) the target cannot read."""


class TargetView(Protocol):
    """Read-only access to a halted target. Implementations never change target state."""

    def read_memory(self, address: int, length: int) -> bytes:
        """``length`` bytes at ``address``; raises ViewError where nothing is mapped."""
        ...

    def read_capability(self, address: int) -> Cap:
        """The 8-aligned capability at ``address`` with its tag (core.capability.Cap)."""
        ...

    def register(self, name: str) -> Cap:
        """A live CPU capability register: "pcc", "c0".."c15" or ABI names ("cra", "csp",
        "cgp", "ca0"...), and the special registers "mtcc", "mtdc", "mscratchc", "mepcc"."""
        ...

    def csr(self, name: str) -> int:
        """A CSR by name: "mcause", "mtval", "mstatus", "mshwm", "mshwmb", ..."""
        ...
