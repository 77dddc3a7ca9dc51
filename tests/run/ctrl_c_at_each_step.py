"""Child process of test_ctrl_c_race.py (run as a script: an escaped KeyboardInterrupt must not
end the pytest session). For step = 0, 1, 2, ...: a fresh run of the firmware's endless loop
through ``run_machine`` on the main thread, with SIGINT raised on that thread at its step-th
Python trace event after it starts the engine's thread, so that every bytecode the main thread
runs while the engine runs gets its Ctrl-C. Prints one JSON line per run and ends when a step
comes after the main thread has nothing left to do but wait (the budget then ends the run).

Usage: ctrl_c_at_each_step.py FIRMWARE.elf ENTRY MAX_STEPS
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.logs import configure
from cheriot_gdbserver.run_command import RunResult, run_machine

BUDGET = 2_000_000  # ends a run whose signal would come too late (a few ms of fast path)
Tracer = Any  # sys.settrace's callback type


def run_interrupted_at(elf: Path, entry: int, step: int) -> tuple[RunResult, bool]:
    """Run with SIGINT raised at the main thread's step-th trace event (call, line or return)
    from the start of ``Thread.start``. Returns the result and whether the signal was raised."""
    image = load_elf(elf)
    image.entry = entry
    machine = Machine(load_board("sail"), image, uart_output=io.BytesIO())
    original_start = threading.Thread.start
    events = 0
    sent = False

    def start(thread: threading.Thread) -> None:
        def tracer(frame: FrameType, event: str, arg: object) -> Tracer:
            nonlocal events, sent
            if sent:
                return None
            events += 1
            # Only while the engine's thread is starting or running: a Ctrl-C after the run is
            # no part of this race.
            if events > step and (thread.ident is None or thread.is_alive()):
                sent = True
                sys.settrace(None)
                signal.raise_signal(signal.SIGINT)
                return None
            return tracer

        sys.settrace(tracer)
        original_start(thread)

    threading.Thread.start = start  # type: ignore[method-assign]
    try:
        result = run_machine(machine, BUDGET)
    except KeyboardInterrupt:
        print(json.dumps({"step": step, "escaped": True}), flush=True)
        # The worker still runs the engine: leave without the interpreter's shutdown, which is
        # exactly what crashes (the regression this script exposes).
        os._exit(3)
    finally:
        sys.settrace(None)
        threading.Thread.start = original_start  # type: ignore[method-assign]
        image.close()
    return result, sent


def main() -> int:
    elf, entry, max_steps = Path(sys.argv[1]), int(sys.argv[2], 0), int(sys.argv[3])
    configure("warning")  # as the CLI does: logs to stderr, info and below off
    for step in range(max_steps):
        result, sent = run_interrupted_at(elf, entry, step)
        print(json.dumps({"step": step, "sent": sent, "stop": result.stop.kind.value,
                          "status": result.status, "headline": result.report[0]}), flush=True)
        if not sent:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
