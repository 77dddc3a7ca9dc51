"""Execution commands: ``fault``, ``catch``, ``reset``, ``stats``, ``uart``."""

from __future__ import annotations

import argparse

from ...core.engine import Catch
from ...report import explain_trap
from ..debug_context import DebugContext
from .args import ArgumentError
from .base import Argument, Command, CommandFamily

CATCH_HELP = {"none": "no exception stops the target (the firmware handles its own)",
              "cheri": "CHERI exceptions (mcause 0x1c) stop the target before they are taken",
              "all": "every exception stops the target before it is taken",
              "unhandled": "RTOS images: only faults the firmware does not handle stop the "
                           "target (forced unwind without an error handler, thread exit by "
                           "fault, a fault in an error handler)"}
UNHANDLED = "unhandled"
RESYNC = "maintenance flush register-cache"


def catch_mode(text: str, context: DebugContext) -> Catch | str:
    if text == UNHANDLED:
        return UNHANDLED
    try:
        return Catch(text)
    except ValueError:
        raise ArgumentError(f"{text!r} is not one of: {', '.join(CATCH_HELP)}") from None


def fault(context: DebugContext, args: argparse.Namespace) -> str:
    engine = context.machine.engine
    trap = engine.pending_trap or engine.last_trap
    if trap is None:
        return "no exception has been taken since reset\n"
    state = "pending, not yet taken" if engine.pending_trap else "taken"
    lines = explain_trap(context.machine, trap, context.rtos)
    return "\n".join([f"last exception ({state}):", *lines]) + "\n"


def catch(context: DebugContext, args: argparse.Namespace) -> str:
    engine = context.machine.engine
    if args.mode == UNHANDLED:
        if context.rtos is None:
            return f"{context.no_rtos}\n"
        engine.catch, context.catch_unhandled = Catch.ALL, True
    elif args.mode is not None:
        engine.catch, context.catch_unhandled = args.mode, False
    mode = UNHANDLED if context.catch_unhandled else engine.catch.value
    line = f"catch {mode}: {CATCH_HELP[mode]}\n"
    if args.mode is not None:
        return line
    return line + "modes:\n" + "".join(f"  {name}: {text}\n" for name, text in CATCH_HELP.items())


def reset(context: DebugContext, args: argparse.Namespace) -> str:
    context.reset()
    return f"reset done; gdb still shows the old registers: '{RESYNC}'\n"


def stats(context: DebugContext, args: argparse.Namespace) -> str:
    """Counters since the last reset. minstret counts every retired instruction plus the cycles
    skipped in wfi; the fast path retires its instructions itself, so the rest of minstret is
    the slow path's work and wfi time. Slow-path entries also count instructions that trapped or
    stopped without retiring."""
    s, base = context.machine.engine.stats, context.baseline
    retired = int(s["instructions"])
    fast = int(s["fast"]) - base.fast
    seconds = float(s["seconds"]) - base.seconds
    rate = f"{retired / seconds:.0f}" if seconds > 0 else "- (not run since reset)"
    return (f"instructions retired: {retired}\n"
            f"  on the fast path: {fast}\n"
            f"  on the slow path or skipped in wfi: {retired - fast}\n"
            f"slow-path entries: {int(s['slow']) - base.slow}\n"
            f"run time: {seconds:.3f} s\n"
            f"instructions per second: {rate}\n")


def uart(context: DebugContext, args: argparse.Namespace) -> str:
    data = context.machine.uart_history
    if not data:
        return "(no UART output yet)\n"
    text = data.decode("utf-8", errors="replace")
    return text if text.endswith("\n") else text + "\n"


FAMILY = CommandFamily("execution", (
    Command("fault", "explain the last trap", fault, changes_target=False),
    Command("catch", "show or set which traps stop the target", catch,
            (Argument("MODE", f"one of {', '.join(CATCH_HELP)}; without it, show the current "
                      "setting", catch_mode, optional=True),)),
    Command("reset", "reset the machine to its power-on state", reset),
    Command("stats", "show execution statistics since reset", stats, changes_target=False),
    Command("uart", "show what the firmware wrote to the UART", uart, changes_target=False),
))
