"""The one way the extension talks to the daemon: its monitor commands.

``monitor(command)`` returns what the command printed; machine-readable forms of our monitor
commands print one JSON document, which ``monitor_json`` parses. Errors from the daemon (a
command it refuses) raise ``DaemonError`` with the daemon's own message.
"""

from __future__ import annotations

import json
from typing import Any

import gdb

Document = dict[str, Any]  # a machine-readable monitor command's answer, parsed


class DaemonError(Exception):
    """The daemon refused a monitor command or printed something that is not JSON."""


def monitor(command: str) -> str:
    """Run ``monitor COMMAND`` on the connected daemon and return its output."""
    try:
        return gdb.execute(f"monitor {command}", to_string=True)
    except gdb.error as exc:
        raise DaemonError(f"monitor {command}: {exc}") from None


def monitor_json(command: str) -> Any:
    """Run a machine-readable monitor command and parse the one JSON document it prints."""
    text = monitor(command)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise DaemonError(f"monitor {command} printed no JSON: {text.strip()[:200]!r}") from None
