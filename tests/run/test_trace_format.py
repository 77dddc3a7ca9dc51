"""Differential fuzz of the trace's compiled formatter (core/tracefmt.c) against trace.py's
Python formatter, its oracle: random record streams (instructions, integer and capability
effects of every register, any metadata, effects before the first instruction), cut into
batches at random points, and a tiny output buffer, must give the same text byte for byte."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from cheriot_gdbserver.core import fastpath
from cheriot_gdbserver.core.state import TRACE_EFFECT, TRACE_INSN, CoreState
from cheriot_gdbserver.trace import Tracer

u32 = st.integers(0, 0xFFFF_FFFF)
insn = st.tuples(st.just(TRACE_INSN), st.sampled_from([2, 4]),
                 st.sampled_from([0x8000_0000, 0x8000_0004, 0x2000_1002, 0]),
                 st.sampled_from([0x0001, 0x0000_0013, 0xFFFF_FFFF, 0x1234_5678]), st.just(0))
effect = st.tuples(st.just(TRACE_EFFECT), st.integers(0, 15), u32,
                   st.one_of(st.just(0), u32), st.sampled_from([0, 1]))
streams = st.lists(st.one_of(insn, effect), max_size=60)


def _format(records, cuts: list[int], compiled: bool, out_capacity: int) -> str:
    out = io.StringIO()
    tracer = Tracer(None, out, compiled=compiled)  # type: ignore[arg-type]
    tracer._prefix = lambda pc, bits: f"<{pc:#x}> op{bits:x} \u00e9"  # type: ignore[method-assign]
    core = CoreState()
    recorder = fastpath.TraceRecorder(core, lambda: None, capacity=max(len(records), 1))
    tracer._recorder = recorder
    if compiled:
        tracer._start_formatter(out_capacity)
    start = 0
    for cut in [*sorted(cuts), len(records)]:
        batch = records[start:max(cut, start)]
        for i, (kind, a, b, c, d) in enumerate(batch):
            head = kind | a << 8
            recorder._view[4 * i:4 * i + 4] = memoryview(
                bytes(_words(head, b, c, d))).cast("I")
        core.trace_len = len(batch)
        tracer._drain_any()
        start = max(cut, start)
    tracer._close()
    lines = tracer.lines
    recorder.close()
    assert lines == out.getvalue().count("\n")
    return out.getvalue()


def _words(*words: int) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in words)


@settings(max_examples=300, deadline=None)
@given(streams, st.lists(st.integers(0, 60), max_size=4), st.sampled_from([1024, 1 << 16]))
def test_compiled_formatter_matches_python(records, cuts, out_capacity) -> None:
    assert _format(records, cuts, True, out_capacity) == _format(records, cuts, False, 0)
