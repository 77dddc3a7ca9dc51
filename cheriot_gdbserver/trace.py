"""The instruction trace of ``cheriot-gdbserver run --trace FILE`` (format: docs/run.md).

One line per instruction started, in execution order::

    0x80000010 <_start+16>  csetbounds csp, csp, 1024  ; csp={tag=1 address=... meta=0x...}

The records are made by compiled code (the engine's ``record_trace``: fastpath.c appends the
address and bits of each instruction it runs, and the registers it changed), so tracing runs
at the fast path's speed; instructions that reach the slow path arrive through the engine's
``tracer`` hook and are recorded in the same stream. This module turns the records into lines
in batches (when the buffer fills, at each trap, at the end), with one disassembly per
address and instruction bits. A register's effect is its value after the instruction compared
with before it: an integer (untagged, metadata 0) prints as ``a0=0x0000002a``, anything else
as a capability ``ca0={...}`` in ``capability.describe``'s notation. Traps and interrupts get a
line of their own starting with ``--``, as does the end of the run.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, TextIO

from .boards.machine import Machine
from .core.capability import Cap, describe
from .core.decode import Instr, decode, disassemble
from .core.fastpath import TraceFormatter
from .core.hart import CAP_REG_NAMES, INT_REG_NAMES
from .core.state import TRACE_INSN, TRACE_WORDS
from .core.stops import TrapInfo
from .report import cause_words, where

if TYPE_CHECKING:
    from .core.fastpath import TraceRecorder

assert TRACE_WORDS == 4, "Tracer._drain reads records four words at a time"


class Tracer:
    """Writes the trace of ``machine``'s run to ``out``; ``attach`` before running.
    ``compiled``: lines made by core/tracefmt.c (the default), else by ``_drain`` here, the
    Python formatter that is its oracle."""

    def __init__(self, machine: Machine, out: TextIO, *, compiled: bool = True) -> None:
        self.machine = machine
        self.out = out
        self._lines = 0  # written here (the compiled formatter counts its own)
        self._compiled = compiled
        self._format: TraceFormatter | None = None
        self._recorder: TraceRecorder | None = None
        self._open: str | None = None   # the last line, still open for its effects
        self._more = "  ; "             # what goes before its next effect
        self._prefixes: dict[tuple[int, int], str] = {}   # (pc, bits) -> its line's start
        self._caps: dict[tuple[int, int, int, int], str] = {}  # capability effects seen

    @property
    def lines(self) -> int:
        """Lines written so far."""
        return self._lines + (self._format.lines if self._format is not None else 0)

    def attach(self) -> None:
        engine = self.machine.engine
        if self._compiled:
            self._start_formatter()
        self._recorder = engine.record_trace(self._drain_compiled if self._compiled
                                             else self._drain)
        engine.tracer = self
        engine.trap_listeners.append(self.on_trap)

    def _start_formatter(self, capacity: int = 1 << 20) -> None:
        if self._format is None:
            self._format = TraceFormatter(self._prefix, INT_REG_NAMES, CAP_REG_NAMES, _tails(),
                                          capacity)

    def detach(self) -> None:
        engine = self.machine.engine
        engine.tracer = None
        if self.on_trap in engine.trap_listeners:
            engine.trap_listeners.remove(self.on_trap)
        if self._recorder is not None:
            self._drain_any()
            self._recorder.close()
            self._recorder = None
        if self._format is not None:  # an open line's text is out, its newline still owed
            still_open = self._format.close_line()
            self._lines += self._format.lines - still_open
            self._open = "" if still_open else None
            self._format.free()
            self._format = None

    # --- engine hooks ------------------------------------------------------------------------

    def __call__(self, pc: int, instr: Instr) -> None:
        """The slow path is about to execute ``instr`` (the engine's ``tracer`` hook)."""
        assert self._recorder is not None
        self._recorder.slow(pc, instr.length, instr.raw)

    def on_trap(self, trap: TrapInfo) -> None:
        """A trap was taken (a trap listener); the handler's address is the hart's next PC."""
        self._settle()
        cause = cause_words(trap.mcause, trap.mtval)
        what = f"interrupt: {cause}" if trap.interrupt else f"trap: {trap.description}; {cause}"
        handler = self.machine.engine.hart.next_pc
        self._write(f"-- {what}; at {where(self.machine.image, trap.pc)} -> "
                    f"{where(self.machine.image, handler)}")

    def finish(self, ending: str) -> None:
        """The run is over: complete the last instruction and say how it ended."""
        self._settle()
        self._write(f"-- {ending}")
        self.out.flush()

    # --- lines -------------------------------------------------------------------------------

    def _settle(self) -> None:
        """Every record made so far as lines, the last instruction's included."""
        if self._recorder is not None:
            self._recorder.settle()
            self._drain_any()
        self._close()

    def _drain_any(self) -> None:
        if self._format is not None:
            self._drain_compiled()
        else:
            self._drain()

    def _drain_compiled(self) -> None:
        """The records in the buffer as lines, made by compiled code."""
        assert self._recorder is not None and self._format is not None
        text = self._format.format(self._recorder)
        if text:
            self.out.write(text.decode())

    def _drain(self) -> None:
        """The records in the buffer as lines; the last line stays open for its effects.
        (The hot loop of tracing: one pass, locals only, most lines one concatenation.)"""
        assert self._recorder is not None
        words = self._recorder.take()
        out: list[str] = []
        line, more, prefixes, caps = self._open, self._more, self._prefixes, self._caps
        names = INT_REG_NAMES
        records = iter(words)
        for head, a, b, c in zip(records, records, records, records, strict=True):
            if head & 0xFF == TRACE_INSN:  # a: pc, b: the instruction bits
                if line is not None:
                    out.append(line)
                line = prefixes.get((a, b))
                if line is None:
                    line = prefixes[(a, b)] = self._prefix(a, b)
                more = "  ; "
            elif line is not None:  # an effect of the open line's instruction: x, meta, tag
                if not b and not c:
                    line += "%s%s=0x%08x" % (more, names[head >> 8], a)  # noqa: UP031 - speed
                else:
                    key = (head, a, b, c)
                    effect = caps.get(key)
                    if effect is None:
                        if len(caps) > 1 << 16:
                            caps.clear()
                        effect = caps[key] = _effect(head >> 8, a, b, c)
                    line += more + effect
                more = " "
        self._open, self._more = line, more
        if out:
            self.out.write("\n".join(out) + "\n")
            self._lines += len(out)

    def _prefix(self, pc: int, bits: int) -> str:
        instr = decode(bits, self.machine.engine.isa)
        return f"{where(self.machine.image, pc)}  {disassemble(instr, pc)}"

    def _close(self) -> None:
        if self._format is not None:
            if self._format.close_line():
                self.out.write("\n")
            return
        if self._open is not None:
            self._write(self._open)
            self._open = None

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")
        self._lines += 1


def _tail(field: int) -> str:
    """What ``describe`` writes after the bounds, for meta bits 22-30 (permissions, otype)."""
    text = describe(Cap(False, 0, field << 22))
    return text[text.index(" perms="):text.index(" tag=")]


@functools.cache
def _tails() -> tuple[str, ...]:
    return tuple(_tail(field) for field in range(512))


def _effect(index: int, address: int, meta: int, tag: int) -> str:
    if not tag and not meta:
        return f"{INT_REG_NAMES[index]}={address:#010x}"
    return f"{CAP_REG_NAMES[index]}={{{describe(Cap(bool(tag), address, meta))}}}"
