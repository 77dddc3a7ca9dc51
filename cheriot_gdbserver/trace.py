"""The instruction trace of ``cheriot-gdbserver run --trace FILE`` (format: docs/run.md).

One line per instruction started, in execution order::

    0x80000010 <_start+16>  csetbounds csp, csp, 1024  ; csp={tag=1 address=... meta=0x...}

The tracer is the engine's ``tracer`` hook, which sees each instruction before it executes
(the machine runs in reference mode so that every instruction passes through Python). The
line is completed when the next instruction, a trap or the end of the run is seen: the
general-purpose registers are compared with their values before the instruction, so the
effects of instructions Unicorn executes natively are reported too. A register holding an
integer (untagged, metadata 0) prints as ``a0=0x0000002a``; anything else as a capability
``ca0={...}`` in ``capability.describe``'s notation. Traps and interrupts get a line of their
own starting with ``--``, as does the end of the run.
"""

from __future__ import annotations

from typing import TextIO

from .boards.machine import Machine
from .core.capability import Cap, describe
from .core.decode import Instr, disassemble
from .core.hart import CAP_REG_NAMES, INT_REG_NAMES
from .core.stops import TrapInfo
from .report import cause_words, where

Registers = list[tuple[int, int, int]]  # (address, metadata, tag) of c1-c15


class Tracer:
    """Writes the trace of ``machine``'s run to ``out``; ``attach`` before running."""

    def __init__(self, machine: Machine, out: TextIO) -> None:
        self.machine = machine
        self.out = out
        self.lines = 0
        self._pending: str | None = None
        self._before: Registers = []

    def attach(self) -> None:
        engine = self.machine.engine
        engine.tracer = self
        engine.trap_listeners.append(self.on_trap)

    def detach(self) -> None:
        engine = self.machine.engine
        engine.tracer = None
        if self.on_trap in engine.trap_listeners:
            engine.trap_listeners.remove(self.on_trap)

    # --- engine hooks ------------------------------------------------------------------------

    def __call__(self, pc: int, instr: Instr) -> None:
        """An instruction is about to execute (the engine's ``tracer`` hook)."""
        self._complete()
        self._before = self._registers()
        self._pending = f"{where(self.machine.image, pc)}  {disassemble(instr, pc)}"

    def on_trap(self, trap: TrapInfo) -> None:
        """A trap was taken (a trap listener); the handler's address is the hart's next PC."""
        self._complete()
        cause = cause_words(trap.mcause, trap.mtval)
        what = f"interrupt: {cause}" if trap.interrupt else f"trap: {trap.description}; {cause}"
        handler = self.machine.engine.hart.next_pc
        self._write(f"-- {what}; at {where(self.machine.image, trap.pc)} -> "
                    f"{where(self.machine.image, handler)}")

    def finish(self, ending: str) -> None:
        """The run is over: complete the last instruction and say how it ended."""
        self._complete()
        self._write(f"-- {ending}")
        self.out.flush()

    # --- lines -------------------------------------------------------------------------------

    def _complete(self) -> None:
        if self._pending is None:
            return
        after = self._registers()
        effects = [_effect(i + 1, new) for i, (old, new) in enumerate(zip(self._before, after,
                                                                           strict=True))
                   if old != new]
        line = self._pending
        if effects:
            line += "  ; " + " ".join(effects)
        self._pending = None
        self._write(line)

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")
        self.lines += 1

    def _registers(self) -> Registers:
        # The shadow register file is current here: the fast path copies Unicorn's registers
        # into it before every slow-path call, and the engine syncs it when a run ends.
        core = self.machine.engine.core
        return [(core.x[i], core.meta[i], core.tag[i]) for i in range(1, 16)]


def _effect(index: int, value: tuple[int, int, int]) -> str:
    address, meta, tag = value
    if not tag and not meta:
        return f"{INT_REG_NAMES[index]}={address:#010x}"
    return f"{CAP_REG_NAMES[index]}={{{describe(Cap(bool(tag), address, meta))}}}"
