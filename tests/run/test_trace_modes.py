"""The trace made by compiled code (the fast path's records) is the reference mode's trace, and
the lines made by compiled code (core/tracefmt.c) are the Python formatter's.

In reference mode every instruction reaches the Python slow path and is traced from there; in
the fast mode fastpath.c records the instructions it runs and the registers they change. Both
feed the same formatter, so the two traces of one run must be the same, byte for byte, on real
firmware (the bundled RTOS demo: compartment calls, traps, interrupts, device accesses), and a
small buffer (many batches, a line's effects split across two of them) changes nothing.
"""

from __future__ import annotations

import io
import os

import pytest

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core import fastpath
from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.rtos import bundled
from cheriot_gdbserver.trace import Tracer


def _trace(elf, reference: bool, budget: int | None, *, compiled: bool = True) -> tuple[str, int]:
    with open(os.devnull, "wb") as sink:
        machine = Machine(load_board(bundled.DEFAULT_BOARD), load_elf(elf), uart_output=sink,
                          reference=reference)
        machine.engine.catch = Catch.NONE
        out = io.StringIO()
        tracer = Tracer(machine, out, compiled=compiled)
        tracer.attach()
        stop = machine.engine.run(budget)
        tracer.finish(stop.kind.value)
        tracer.detach()
    return out.getvalue(), machine.engine.core.n_slow


@pytest.fixture(scope="module")
def demo():
    try:
        return bundled.build(bundled.DEFAULT_FIRMWARE)
    except Exception as exc:  # noqa: BLE001 - no toolchain: nothing to trace
        pytest.skip(f"the bundled firmware cannot be built here: {exc}")


def test_fast_and_reference_traces_are_identical(demo) -> None:
    # The whole demo (its first timer interrupt comes after 400,000 instructions).
    fast, fast_slow = _trace(demo, False, None)
    reference, _ = _trace(demo, True, None)
    assert fast.count("\n") > 500_000 and "-- trap: " in fast and "-- interrupt: " in fast
    assert fast.endswith("-- exit\n")
    assert fast == reference
    assert fast_slow < 1_000  # the fast one really ran compiled


def test_a_small_buffer_changes_nothing(demo, monkeypatch) -> None:
    whole, _ = _trace(demo, False, 30_000)
    real = fastpath.TraceRecorder.__init__

    def small(self, core, on_full, capacity: int = 0) -> None:  # noqa: ANN001
        real(self, core, on_full, capacity=7)

    monkeypatch.setattr(fastpath.TraceRecorder, "__init__", small)
    batched, _ = _trace(demo, False, 30_000)
    assert batched == whole


def test_compiled_lines_are_the_python_formatters(demo) -> None:
    # The oracle: trace.py's own formatter, over the same records of the whole demo.
    compiled, _ = _trace(demo, False, None)
    python, _ = _trace(demo, False, None, compiled=False)
    assert compiled.count("\n") > 500_000 and "={address=" in compiled
    assert compiled == python


def test_compiled_lines_with_a_small_buffer(demo, monkeypatch) -> None:
    python, _ = _trace(demo, False, 30_000, compiled=False)
    real = fastpath.TraceRecorder.__init__

    def small(self, core, on_full, capacity: int = 0) -> None:  # noqa: ANN001
        real(self, core, on_full, capacity=5)

    monkeypatch.setattr(fastpath.TraceRecorder, "__init__", small)
    batched, _ = _trace(demo, False, 30_000)
    assert batched == python
