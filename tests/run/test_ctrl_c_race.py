"""Ctrl-C at any instant of a run ends it with the interrupted report, never with a crash.

The regression: a KeyboardInterrupt raised on the main thread while it was still inside
``Thread.start`` of the engine's worker escaped ``run``, the interpreter shut down with the worker
inside ``uc.emu_start``, and the worker's next call into Python ended the thread with
``pthread_exit``, whose unwinding through Unicorn's generated code is a SIGSEGV (the CLI died
with -11 about once in 30 Ctrl-Cs, more on a loaded machine). ctrl_c_at_each_step.py makes the
instant deterministic: it raises SIGINT at each Python step of the main thread in turn, from the
start of the worker until the main thread only waits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .support import Build, symbol

CHILD = Path(__file__).with_name("ctrl_c_at_each_step.py")
MAX_STEPS = 1000  # a safety net: the main thread runs about 130 steps before it only waits
DEADLINE = 120.0  # seconds, against hangs only (the whole sweep takes a few seconds)


def test_ctrl_c_at_every_step_of_the_main_thread_ends_the_run_with_a_report(
        build: Build) -> None:
    elf = build("sail_devices.S", "sail")
    done = subprocess.run(
        [sys.executable, str(CHILD), str(elf), hex(symbol(elf, "hang")), str(MAX_STEPS)],
        capture_output=True, text=True, timeout=DEADLINE)
    runs = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, (f"status {done.returncode} after {runs[-1:]}\n"
                                  f"{done.stderr[-3000:]}")
    *interrupted, last = runs
    assert not last["sent"] and last["stop"] == "budget"   # the sweep reached the waiting
    assert len(interrupted) > 20                           # and covered the steps before it
    for run in interrupted:
        assert run["sent"], run
        assert (run["stop"], run["status"]) == ("interrupted", 130), run
        assert run["headline"].startswith("cheriot-gdbserver: interrupted after "), run
