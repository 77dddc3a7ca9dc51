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
              "all": "every exception stops the target before it is taken"}
RESYNC = "maintenance flush register-cache"


def catch_mode(text: str, context: DebugContext) -> Catch:
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
    return "\n".join([f"last exception ({state}):", *explain_trap(context.machine, trap)]) + "\n"


def catch(context: DebugContext, args: argparse.Namespace) -> str:
    engine = context.machine.engine
    if args.mode is not None:
        engine.catch = args.mode
    return f"catch {engine.catch.value}: {CATCH_HELP[engine.catch.value]}\n"


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
    Command("fault", "explain the last trap", fault),
    Command("catch", "show or set which traps stop the target", catch,
            (Argument("MODE", f"one of {', '.join(CATCH_HELP)}; without it, show the current "
                      "setting", catch_mode, optional=True),)),
    Command("reset", "reset the machine to its power-on state", reset),
    Command("stats", "show execution statistics since reset", stats),
    Command("uart", "show what the firmware wrote to the UART", uart),
))
