"""When the extension switches itself on: once gdb is connected to a CHERIoT target.

A CHERIoT target is one whose registers include the capability registers of our target
description (feature ``org.cheriot.gdbserver.cap``: ``pcc``, ``csp``...). Anything else (a
plain RV32 target, another architecture, no target at all) gets one line saying the extension
stays off, and gdb is left exactly as it was. The check runs once per connection: when this
module starts (if gdb is already connected), else when a thread appears, at a stop or before a
prompt. Features installed for an earlier CHERIoT connection step aside (``active()``) while
gdb is connected to something else.

Features are the modules in ``FEATURES``, each with ``install() -> None``.
"""

from __future__ import annotations

import importlib

import gdb

FEATURES = ("disasm", "values", "info", "commands", "unwind", "stepping")
CAPABILITY_REGISTERS = ("pcc", "csp", "cra")  # what our target description always has

PREFIX = "cheriot:"
_state: dict[str, object] = {"installed": False, "checked": None, "active": False}


def active() -> bool:
    """Whether the current connection is to a CHERIoT target (features that change what gdb
    shows, such as the disassembler, step aside when it is not)."""
    return bool(_state["active"])


def target_registers() -> set[str] | None:
    """Register names of the current target, or None when gdb has no live target."""
    try:
        if not gdb.selected_inferior().pid:
            return None
        frame = gdb.selected_frame()
    except gdb.error:
        return None
    return {reg.name for reg in frame.architecture().registers()}


def is_cheriot() -> bool | None:
    """True on a CHERIoT target, False on another one, None with no target."""
    names = target_registers()
    if names is None:
        return None
    return all(name in names for name in CAPABILITY_REGISTERS)


def _connection() -> object:
    inferior = gdb.selected_inferior()
    return getattr(inferior, "connection_num", None), inferior.pid


def check() -> None:
    """Decide once per connection: install the features on the first CHERIoT target, say
    once if a target is not CHERIoT."""
    connection = _connection()
    if _state["checked"] == connection:
        return
    verdict = is_cheriot()
    if verdict is None:
        return
    _state["checked"], _state["active"] = connection, verdict
    if not verdict:
        print(f"{PREFIX} the target is not CHERIoT (no capability registers); "
              "the CHERIoT extension stays off")
        return
    if _state["installed"]:
        return
    _state["installed"] = True
    for name in FEATURES:
        importlib.import_module(f"{__package__}.{name}").install()
    print(f"{PREFIX} CHERIoT target: extension on ({', '.join(FEATURES)}); "
          "'info cheriot' summarises the current thread")


def _before_prompt() -> None:
    try:
        check()
    except Exception as exc:  # a broken feature must not break every prompt
        print(f"{PREFIX} error while switching the extension on: {exc}")
        _state["installed"] = True  # do not retry at every prompt
        _state["checked"] = _connection()


def _new_thread(_event: object) -> None:
    # A new connection announces its thread before gdb has fetched its registers; check once
    # gdb is back in its event loop (batch and MI sessions may never show a prompt). Only
    # for a connection not decided yet (the RTOS's threads appear at every continue): an event
    # still queued when gdb exits runs after Python has gone, and crashes gdb.
    if _state["checked"] != _connection():
        gdb.post_event(_before_prompt)


def _stopped(_event: object) -> None:
    _before_prompt()


def start() -> None:
    """Called by the entry script: check now, and again for each new connection (seen at a
    new thread, a stop or a prompt)."""
    if not _state.get("hooked"):
        _state["hooked"] = True
        gdb.events.before_prompt.connect(_before_prompt)
        gdb.events.new_thread.connect(_new_thread)
        gdb.events.stop.connect(_stopped)
    check()
