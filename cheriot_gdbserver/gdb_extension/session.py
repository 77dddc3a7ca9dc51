"""When the extension switches itself on: once gdb is connected to a CHERIoT target.

A CHERIoT target is one whose registers include the capability registers of our target
description (feature ``org.cheriot.gdbserver.cap``: ``pcc``, ``csp``...). Anything else (a
plain RV32 target, another architecture, no target at all) gets one line saying the extension
stays off, and gdb is left exactly as it was. The check runs when this module starts (if gdb is
already connected) and otherwise when a thread appears, at a stop or before a prompt, until a target
answers.

Features are the modules in ``FEATURES``, each with ``install() -> None``; the optional ones are
skipped when their module is absent (the unwinding work lives on another branch until merged).
"""

from __future__ import annotations

import importlib

import gdb

FEATURES = ("disasm", "values", "info", "commands")
OPTIONAL_FEATURES = ("unwind", "stepping")
CAPABILITY_REGISTERS = ("pcc", "csp", "cra")  # what our target description always has

PREFIX = "cheriot:"
_state: dict[str, object] = {"installed": False, "told": None}


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
    """Install the features on the first CHERIoT target; say once per target if it is not."""
    if _state["installed"]:
        return
    verdict = is_cheriot()
    if verdict is None:
        return
    if not verdict:
        connection = _connection()
        if _state["told"] != connection:
            _state["told"] = connection
            print(f"{PREFIX} the target is not CHERIoT (no capability registers); "
                  "the CHERIoT extension stays off")
        return
    _state["installed"] = True
    installed = []
    for name in FEATURES + OPTIONAL_FEATURES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if name in OPTIONAL_FEATURES and exc.name == f"{__package__}.{name}":
                continue
            raise
        module.install()
        installed.append(name)
    print(f"{PREFIX} CHERIoT target: extension on ({', '.join(installed)}); "
          "'info cheriot' summarises the current thread")


def _before_prompt() -> None:
    try:
        check()
    except Exception as exc:  # a broken feature must not break every prompt
        print(f"{PREFIX} error while switching the extension on: {exc}")
        _state["installed"] = True  # do not retry at every prompt


def _new_thread(_event: object) -> None:
    # A new connection announces its thread before gdb has fetched its registers; check once
    # gdb is back in its event loop (batch and MI sessions may never show a prompt). Only
    # while undecided: an event still queued when gdb exits runs after Python has gone, and
    # crashes gdb.
    if not _state["installed"]:
        gdb.post_event(_before_prompt)


def _stopped(_event: object) -> None:
    _before_prompt()


def start() -> None:
    """Called by the entry script: check now, and again (at each new thread or prompt) until
    a CHERIoT target has switched the extension on."""
    if not _state.get("hooked"):
        _state["hooked"] = True
        gdb.events.before_prompt.connect(_before_prompt)
        gdb.events.new_thread.connect(_new_thread)
        gdb.events.stop.connect(_stopped)
    check()
