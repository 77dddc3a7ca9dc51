"""``step`` and ``next`` across compartment calls in real gdb-multiarch with the extension, on
the bundled RTOS firmware: into the callee's first line, over the call, and over the callee's
return into the caller, never stopping in the switcher (rtos/firmware/switcher/entry.S).

The switcher's contract pinned here (rtos.md 3.2, cheriot-rtos sdk/core/switcher/entry.S): it
jumps to the export entry's function (the compartment's PCC plus ``functionStart``) and returns
to the instruction after the caller's ``cjalr``. Most tests drive gdb's command line as a user
does (``-batch``); one drives MI, where the command runs asynchronously.
"""

from __future__ import annotations

import re

from . import unwind_support
from .unwind_support import DEMO, FAULTY, cli, line_of, needs_tools, nm, pc, run_to, where

pytestmark = needs_tools
rtos_gdb = unwind_support.rtos_gdb          # the module's fixture

FIRST_CALL = line_of(DEMO, "ccall __import_faulty_faulty_read", 0)
AFTER_CALL = FIRST_CALL + 1                 # demo.S: `mv s1, a0`, the result
FIRST_LINE = line_of(FAULTY, "gaddr ca1, table")
RETURN_LINE = next(n for n, line in enumerate(FAULTY.read_text().splitlines(), 1)
                   if n > FIRST_LINE and line.strip() == "cret")    # faulty_read's return
STOP_AT_CALL = (f"break demo.S:{FIRST_CALL}", "continue", "delete")


def session(out: str) -> str:
    """What gdb printed from the first breakpoint on (before it: where the target was)."""
    return out.split("hit Breakpoint 1, ", 1)[1]


def located(out: str) -> list[tuple[str, int]]:
    """Every ``function () at file:line`` gdb printed from the first breakpoint on."""
    out = session(out)
    return [(m.group(1), int(m.group(2))) for m in
            re.finditer(r"(\w+) \(\) at \S+:(\d+)", out)]


def test_step_into_a_compartment_call_stops_at_the_callees_first_line(rtos_elf,
                                                                      rtos_daemon) -> None:
    out = cli(rtos_elf, rtos_daemon, *STOP_AT_CALL, "step", "p/x $pc", "bt")
    assert "entry.S" not in session(out), out
    assert located(out)[:2] == [("demo_main", FIRST_CALL), ("faulty_read", FIRST_LINE)], out
    assert re.search(r"#0  faulty_read \[faulty\] \(\) at \S+faulty\.S:" + str(FIRST_LINE), out)
    assert f"$1 = {nm(rtos_elf)['faulty_read']:#x}" in out, out
    assert re.search(r"#1 .* in demo_main \[demo\] \(\) at \S+demo\.S:" + str(FIRST_CALL), out)


def test_next_over_a_compartment_call_stays_in_the_caller(rtos_elf, rtos_daemon) -> None:
    out = cli(rtos_elf, rtos_daemon, *STOP_AT_CALL, "next", "frame")
    assert "entry.S" not in session(out) and "faulty.S" not in session(out), out
    assert f"\n{AFTER_CALL}\t" in out and located(out)[-1] == ("demo_main", AFTER_CALL), out


def test_step_and_next_over_the_callees_return_land_in_the_caller(rtos_elf,
                                                                   rtos_daemon) -> None:
    steps = RETURN_LINE - FIRST_LINE
    for command in ("step", "next"):
        out = cli(rtos_elf, rtos_daemon, *STOP_AT_CALL, "step", *["next"] * steps, command,
                  "frame", "info breakpoints")
        assert "entry.S" not in session(out), (command, out)
        assert f"\n{RETURN_LINE}\t" in out, out                 # we were on the cret
        assert located(out)[-1] == ("demo_main", AFTER_CALL), (command, out)
        assert "No breakpoints or watchpoints." in out, out     # nothing of ours is left


def test_continue_runs_past_compartment_calls_after_stepping(rtos_elf, rtos_daemon) -> None:
    second = line_of(DEMO, "ccall __import_faulty_faulty_read", 1)
    out = cli(rtos_elf, rtos_daemon, *STOP_AT_CALL, "next", f"break demo.S:{second}",
              "continue")
    assert "Breakpoint 2, demo_main () at " in out and f"demo.S:{second}" in out, out


def test_step_into_a_compartment_call_under_mi(rtos_gdb, rtos_elf) -> None:
    """MI runs the command asynchronously: the switcher stop and the callee stop are two
    ``*stopped`` records; the second is at the callee's first line."""
    run_to(rtos_gdb, f"demo.S:{FIRST_CALL}")
    rtos_gdb.start("-interpreter-exec console step")
    rtos_gdb.wait_stopped()              # silent, in the switcher
    rtos_gdb.wait_stopped()
    assert pc(rtos_gdb) == nm(rtos_elf)["faulty_read"]
    assert where(rtos_gdb) == ("faulty_read", FIRST_LINE)
