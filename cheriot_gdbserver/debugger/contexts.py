"""Register contexts: where the registers gdb reads and writes come from.

A context is one thread's register state. The running thread's is the live CPU
(``LiveContext``); a thread that is not running has the registers its RTOS saved for it
(``SavedContext``, filled by the RTOS layer from the thread's register save area). The target
picks the context of the thread gdb selected (``Hg``), so ``g``, ``p``, ``P`` and ``monitor cap``
work the same for every thread (the stackable contexts of pyOCD's ``DebugContext``).

Register names: ``cnull``, ``cra`` ... ``ca5`` (``core.hart.CAP_REG_NAMES``), ``pcc``, and the
special capability registers ``mtcc``, ``mtdc``, ``mscratchc``, ``mepcc``; CSRs by their names
(``mstatus``, ``mcause``...). Writes reach a context only after the write policy
(``write_policy.py``) has accepted them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from ..boards.machine import Machine
from ..core.capability import NULL, Cap
from ..core.csr import CSRS
from ..core.hart import CAP_REG_NAMES, INT_REG_NAMES, SCR_NAMES, Hart
from ..errors import RegisterUnavailableError, RegisterWriteError

SCR_BY_NAME = {name: number for number, name in SCR_NAMES.items()}
CSR_BY_NAME = {csr.name: number for number, csr in CSRS.items()}
CAPABILITY_NAMES = (*CAP_REG_NAMES, "pcc", *SCR_BY_NAME)
_GPR_INDEX = {name: i for i, name in enumerate(CAP_REG_NAMES)}
_WORD_INDEX = {**_GPR_INDEX, "pcc": len(CAP_REG_NAMES)}  # LiveContext.addresses' copy
_ALIASES = {"c0": "cnull", "czero": "cnull", "zero": "cnull", "cfp": "cs0", "fp": "cs0",
            "pc": "pcc",
            **{name: CAP_REG_NAMES[i] for i, name in enumerate(INT_REG_NAMES)},
            **{f"c{i}": name for i, name in enumerate(CAP_REG_NAMES) if i},
            **{f"x{i}": name for i, name in enumerate(CAP_REG_NAMES)}}


def capability_register_name(text: str) -> str | None:
    """The canonical name of the capability register ``text`` names (``$sp``, ``sp``, ``c2``,
    ``x2`` and ``csp`` are all ``csp``; ``pc`` is ``pcc``), or None."""
    name = text.lower().removeprefix("$")
    name = _ALIASES.get(name, name)
    return name if name in CAPABILITY_NAMES else None


class RegisterContext(Protocol):
    """One thread's registers. Reads never change target state."""

    def capability(self, name: str) -> Cap:
        """A capability register by name (see the module docstring)."""
        ...

    def address(self, name: str) -> int:
        """``capability(name).address`` (the integer register gdb sees), without building the
        capability where the context need not."""
        ...

    def addresses(self, names: Sequence[str]) -> list[int]:
        """``address`` of each (a stop reply's expedited registers in one call)."""
        ...

    def csr(self, name: str) -> int: ...

    def set_capability(self, name: str, cap: Cap) -> None:
        """Store a value the write policy accepted; raise RegisterWriteError to refuse."""
        ...

    def set_csr(self, name: str, value: int) -> None: ...


class LiveContext:
    """The CPU's registers: the running thread (or the bare hart).

    The registers are copied from the engine once per stop (``engine.read_registers``) and
    each capability is built the first time it is asked for, then kept until ``invalidate``,
    which the target calls on every resume, write and reset; this context's own writes
    invalidate it too. A stop reply needs four registers: the other twelve are never built.
    """

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self._hart: Hart | None = None  # synced with the engine at this stop
        self._caps: dict[str, Cap] = {}

    def invalidate(self) -> None:
        self._hart = None
        self._caps.clear()

    def _registers(self) -> Hart:
        hart = self._hart
        if hart is None:
            hart = self._hart = self.machine.engine.read_registers()
        return hart

    def address(self, name: str) -> int:
        index = _GPR_INDEX.get(name)
        if index is not None:
            return self._registers().read_x(index)  # a stop reply's registers: no Cap built
        if name == "pcc":
            return self._registers().pc
        return self.capability(name).address

    def addresses(self, names: Sequence[str]) -> list[int]:
        hart = self._registers()
        words = hart.core.x[:]  # x0-x15 in one copy out of the engine's state
        words[0] = 0
        words.append(hart.pc)   # _WORD_INDEX["pcc"]
        index = _WORD_INDEX
        return [words[index[name]] if name in index else self.address(name) for name in names]

    def capability(self, name: str) -> Cap:
        cap = self._caps.get(name)
        if cap is not None:
            return cap
        hart = self._registers()
        index = _GPR_INDEX.get(name)
        if index is not None:
            cap = hart.read_cap(index)
        elif name == "pcc":
            # PCC's bounds were decoded when it was installed; its address is the live PC.
            pcc = hart.pcc
            cap = Cap(pcc.tag, hart.pc, pcc.meta)
        elif name in SCR_BY_NAME:
            return hart.scr[SCR_BY_NAME[name]]  # not kept: the special registers are few
        else:
            raise RegisterUnavailableError(f"no capability register {name!r}")
        self._caps[name] = cap
        return cap

    def csr(self, name: str) -> int:
        return CSRS[CSR_BY_NAME[name]].read(self.machine.engine.hart) & 0xFFFF_FFFF

    def set_capability(self, name: str, cap: Cap) -> None:
        engine = self.machine.engine
        self.invalidate()
        if name in CAP_REG_NAMES:
            engine.write_cap(CAP_REG_NAMES.index(name), cap)  # the engine checks it again
        elif name == "pcc":
            engine.set_pc(cap.address)  # the policy allows only the address of pcc to change
        else:
            engine.hart.scr[SCR_BY_NAME[name]] = cap

    def set_csr(self, name: str, value: int) -> None:
        csr = CSRS[CSR_BY_NAME[name]]
        if csr.write is None:
            raise RegisterWriteError(f"{name} is read-only")
        self.invalidate()
        csr.write(self.machine.engine.hart, value)
        self.machine.engine.refresh()


class SavedContext:
    """A thread that is not running: the registers its RTOS saved, each a ``Cap`` with its tag.

    Registers the save area does not hold are unavailable (gdb prints ``<unavailable>``);
    ``cnull`` is always NULL. Writes are refused: RTOS awareness only reads target state.
    """

    def __init__(self, capabilities: Mapping[str, Cap], csrs: Mapping[str, int] | None = None,
                 *, owner: str = "this thread") -> None:
        unknown = set(capabilities) - set(CAPABILITY_NAMES)
        if unknown:
            raise ValueError(f"not capability registers: {', '.join(sorted(unknown))}")
        self._caps = {"cnull": NULL, **capabilities}
        self._csrs = dict(csrs or {})
        self.owner = owner

    def capability(self, name: str) -> Cap:
        try:
            return self._caps[name]
        except KeyError:
            raise RegisterUnavailableError(f"{self.owner} has no saved {name}") from None

    def address(self, name: str) -> int:
        return self.capability(name).address

    def addresses(self, names: Sequence[str]) -> list[int]:
        return [self.address(name) for name in names]

    def csr(self, name: str) -> int:
        try:
            return self._csrs[name]
        except KeyError:
            raise RegisterUnavailableError(f"{self.owner} has no saved {name}") from None

    def set_capability(self, name: str, cap: Cap) -> None:
        raise RegisterWriteError(f"{self.owner} is not running: its saved registers are "
                                 "read-only (select the running thread to change registers)")

    def set_csr(self, name: str, value: int) -> None:
        self.set_capability(name, NULL)
