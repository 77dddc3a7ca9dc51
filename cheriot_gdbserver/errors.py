"""The project's typed errors. Library code raises these; the CLI and the gdb stub turn them into
clear messages and error replies (one mapping each), never tracebacks."""

from __future__ import annotations


class CheriotGdbError(Exception):
    """Root of every error this project raises on purpose."""


class ElfLoadError(CheriotGdbError):
    """A firmware image cannot be loaded (not an ELF, not RV32, segment outside memory, ...)."""


class BoardError(CheriotGdbError):
    """A board description is malformed or names something we do not model."""


class MemoryAccessError(CheriotGdbError):
    """A debugger-side memory access touched an address with no memory behind it."""

    def __init__(self, address: int, length: int, why: str = "no memory is mapped there") -> None:
        super().__init__(f"cannot access {length} byte(s) at {address:#010x}: {why}")
        self.address = address
        self.length = length


class RegisterUnavailableError(CheriotGdbError):
    """The selected thread's context does not hold this register (gdb shows <unavailable>)."""


class RegisterWriteError(CheriotGdbError):
    """A debugger write to a register was refused (for example it would mint a capability)."""


class EngineError(CheriotGdbError):
    """The execution engine hit a condition it cannot model (host-side failure)."""
