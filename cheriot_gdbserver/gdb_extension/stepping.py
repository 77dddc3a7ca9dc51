"""``step`` and ``next`` across compartment calls, skipping the switcher as gdb skips a
trampoline (docs/gdb.md, "Backtraces and stepping across compartments").

``finish`` and ``next`` over a call need nothing here: the unwinder (unwind.py) gives a
compartment's entry frame the calling compartment as its caller, so gdb's own step-resume
breakpoint at the return address does the work. What gdb cannot do alone is follow a ``step``
*into* the callee (the switcher's jump target is in a sealed export entry, rtos.md 3.2) or a
``step``/``next`` over the callee's return (the switcher's return path, then the caller).

So ``step`` and ``next`` are hooked (gdb's ``hook-step``/``hookpost-step`` and the same for
``next``). While one runs, two silent breakpoints sit on the switcher's call entry and return
point. When the stepped invocation reaches one of them (the trusted stack is as deep as when
the command started), the breakpoint stops, and after the command the hook runs on to where
the switcher will go: the callee's first instruction (from ``ct1``'s export entry, decoded by
the daemon) or the caller's return address (from the spill), then stops there as ``step``
would, finishing the caller's line with the same command. Nothing is inserted while the
target simply runs.
"""

from __future__ import annotations

from typing import Any

import gdb

from ..core.decode import decode
from . import unwind
from .daemon import Document

_state: dict[str, Any] = {"command": None, "depth": None, "targets": None, "phase": None,
                          "points": [], "stops": None, "deferred": False}


def _depth() -> int | None:
    doc = unwind.DOCUMENTS.current()
    return len(doc["frames"]) if doc else None


class _Target(gdb.Breakpoint):
    """Where the switcher goes next: a silent, temporary stop."""

    def __init__(self, address: int, thread: int) -> None:
        super().__init__(f"*{address:#x}", internal=True, temporary=True)
        self.silent = True
        self.thread = thread


class SwitcherPoint(gdb.Breakpoint):
    """The switcher's call entry or return point, armed only while ``step``/``next`` runs."""

    def __init__(self, address: int, kind: str) -> None:
        super().__init__(f"*{address:#x}", internal=True)
        self.silent = True
        self.kind = kind
        self.enabled = False

    def stop(self) -> bool:
        command = _state["command"]
        if command is None or _state["targets"] is not None:
            return False
        unwind.DOCUMENTS.invalidate()
        doc = unwind.DOCUMENTS.current()
        if doc is None:
            return False
        depth = len(doc["frames"])
        frame = gdb.newest_frame()
        if self.kind == "entry":
            # a call made by the stepped invocation; ``next`` steps over it by itself
            if command != "step" or depth != _state["depth"]:
                return False
            targets = []
            if doc.get("call_target"):
                targets.append(doc["call_target"]["entry"])
            caller = frame.older()
            if caller is not None:
                targets.append(caller.pc())        # a call the switcher refuses returns
        else:
            if depth != _state["depth"] or not doc["frames"] or \
                    doc["frames"][0]["caller"] is None:
                return False                       # a nested call returning (next), or exit
            targets = [doc["frames"][0]["caller"]["pc"]]
        _state["targets"] = (self.kind, targets)
        _state["phase"] = "redirect"
        return True


def return_points(image: Document) -> list[int]:
    """Where a callee's return sentry can lead: just after each ``cjalr cra, ...`` of the
    switcher's call path (the link the callee returns through, rtos.md 3.2), and the return
    label when the image has one."""
    start = image.get("switcher_entry")
    if start is None:
        return []
    ends = [a for a in (image.get("switcher_return"), image.get("trap_entry"),
                        image["switcher_code"][1]) if a is not None and a > start]
    end = min(ends)
    code = bytes(gdb.selected_inferior().read_memory(start, end - start))
    found = {image["switcher_return"]} if image.get("switcher_return") else set()
    offset = 0
    while offset + 2 <= len(code):
        word = int.from_bytes(code[offset:offset + 4].ljust(4, b"\0"), "little")
        instr = decode(word)
        if instr.op == "cjalr" and instr.rd == 1:
            found.add(start + offset + instr.length)
        offset += instr.length
    return sorted(found)


def _points() -> list[SwitcherPoint]:
    if not _state["points"]:
        image = unwind.DOCUMENTS.image()
        if image is None or image.get("switcher_entry") is None:
            return []
        _state["points"].append(SwitcherPoint(image["switcher_entry"], "entry"))
        for address in return_points(image):
            _state["points"].append(SwitcherPoint(address, "return"))
    return _state["points"]


def before(command: str) -> None:
    """hook-step / hook-next: arm the switcher points for this command."""
    if not gdb.selected_inferior().pid or _state["command"] is not None:
        return
    try:
        points = _points()
        depth = _depth()
    except gdb.error:
        return
    if not points or depth is None:
        return
    _state.update(command=command, depth=depth, targets=None, phase="armed", deferred=False)
    for point in points:
        point.enabled = True


def _disarm() -> None:
    for point in _state["points"]:
        point.enabled = False
    for bp in _state.get("stops") or ():
        if bp.is_valid():
            bp.delete()
    _state.update(command=None, depth=None, targets=None, phase=None, stops=None,
                  deferred=False)


def _plant() -> None:
    _kind, targets = _state["targets"]
    thread = gdb.selected_thread().global_num
    _state["stops"] = [_Target(address, thread) for address in dict.fromkeys(targets)]
    _state["phase"] = "running on"


def _arrived(command: str, kind: str | None, sync: bool) -> None:
    """At the switcher's destination: finish the caller's line as gdb would after a return,
    else show where we are as ``step`` shows a new function."""
    pc = gdb.selected_frame().pc()
    if kind == "return" and gdb.find_pc_line(pc).pc != pc:
        if sync:
            gdb.execute(command)
        else:
            gdb.post_event(lambda: gdb.execute(command))
        return
    text = gdb.execute("frame 0", to_string=True)
    gdb.write(text[4:] if text.startswith("#0  ") else text)


def after(command: str) -> None:
    """hookpost-step / hookpost-next. With the CLI the command has finished: run on through
    the switcher now. Under MI (or ``step&``) the target still runs: the stop handler does it."""
    if _state["command"] != command:
        return
    thread = gdb.selected_thread()
    if thread is not None and thread.is_running():
        _state["deferred"] = True
        return
    if _state["phase"] != "redirect":
        _disarm()
        return
    kind = _state["targets"][0]
    try:
        _plant()
        for point in _state["points"]:
            point.enabled = False
        gdb.execute("continue")
        arrived = _at_target()
    finally:
        _disarm()
    if arrived:
        _arrived(command, kind, sync=True)


def _at_target() -> bool:
    pc = gdb.selected_frame().pc()
    return any(bp.is_valid() is False or int(bp.location[1:], 0) == pc
               for bp in _state.get("stops") or ())


def on_stop(event: gdb.StopEvent) -> None:
    """The asynchronous half of ``after``."""
    if not _state.get("deferred") or _state["command"] is None:
        return
    command, phase = _state["command"], _state["phase"]
    if phase == "redirect":
        kind = _state["targets"][0]

        def run_on() -> None:
            _plant()
            for point in _state["points"]:
                point.enabled = False
            _state["kind"] = kind
            gdb.execute("continue")
        gdb.post_event(run_on)
        return
    arrived = phase == "running on" and _at_target()
    kind = _state.get("kind")
    _disarm()
    if arrived:
        _arrived(command, kind, sync=False)


HOOKS = """define hook-{0}
python __import__("{1}", fromlist=["before"]).before("{0}")
end
define hookpost-{0}
python __import__("{1}", fromlist=["after"]).after("{0}")
end"""


def install() -> None:
    gdb.events.stop.connect(on_stop)
    confirm = gdb.parameter("confirm")
    gdb.execute("set confirm off")
    try:
        for command in ("step", "next"):
            gdb.execute(HOOKS.format(command, __name__), to_string=True)
    finally:
        gdb.execute(f"set confirm {'on' if confirm else 'off'}")
