"""``cheriot COMMAND ...``: the daemon's monitor commands as gdb commands, with completion.

``cheriot threads`` runs ``monitor threads``; ``help cheriot`` lists them all, each with the
daemon's own summary and usage (read from ``monitor help`` when the extension switches on, so
the list is always the daemon's). Completion knows what each argument takes, from the usage
line's placeholder: NAME completes compartment and library names (``monitor compartments``),
THREAD the RTOS thread ids, MODE the catch modes (from ``monitor help catch``), and addresses,
registers and locations complete as gdb expressions (symbols, ``$csp``...).
"""

from __future__ import annotations

import re

import gdb

from .daemon import DaemonError, monitor

PREFIX = "cheriot"
_HELP_LINE = re.compile(r"^(\S+)((?: \S+)*?)\s{2,}(.*)$")
_CHOICES = re.compile(r"one of ([\w, ]+?)(?:;|$)")


def _words_after(text: str, pattern: str) -> list[str]:
    return [m.group(1) for m in re.finditer(pattern, text, re.M)]


class _Choices:
    """Completion lists read from the daemon once per session (the image does not change)."""

    def __init__(self) -> None:
        self.cache: dict[str, list[str]] = {}

    def get(self, placeholder: str) -> list[str] | int:
        if placeholder in ("REG_OR_ADDR", "ADDR", "LOCATIONS"):
            return gdb.COMPLETE_EXPRESSION
        if placeholder == "COMMAND":
            return sorted(n for n, _, _ in _daemon_commands())
        if placeholder == "THREAD":  # threads come and go: asked each time
            return self._read(placeholder)
        if placeholder not in self.cache:
            self.cache[placeholder] = self._read(placeholder)
        return self.cache[placeholder]

    @staticmethod
    def _read(placeholder: str) -> list[str]:
        try:
            if placeholder == "NAME":
                return _words_after(monitor("compartments"), r"^\S+ (\S+): code=")
            if placeholder == "THREAD":
                return _words_after(monitor("threads"), r"^thread (\d+) ")
            if placeholder == "MODE":
                m = _CHOICES.search(monitor("help catch"))
                return [w.strip() for w in m.group(1).split(",")] if m else []
        except DaemonError:
            pass
        return []


CHOICES = _Choices()


def _daemon_commands() -> list[tuple[str, list[str], str]]:
    """(name, argument placeholders, summary) of every monitor command."""
    found = []
    for line in monitor("help").splitlines():
        m = _HELP_LINE.match(line)
        if m:
            arguments = [w.strip("[]") for w in m.group(2).split()]
            found.append((m.group(1), arguments, m.group(3)))
    return found


class CheriotPrefix(gdb.Command):
    """CHERIoT daemon commands (the monitor commands, with completion).
Usage: cheriot COMMAND [ARGUMENTS]; 'help cheriot' lists them."""

    def __init__(self) -> None:
        super().__init__(PREFIX, gdb.COMMAND_USER, gdb.COMPLETE_COMMAND, prefix=True)


class DaemonCommand(gdb.Command):
    """One monitor command (its doc string is set per instance from the daemon's help)."""

    def __init__(self, name: str, arguments: list[str], summary: str) -> None:
        usage = " ".join([f"{PREFIX} {name}", *arguments])
        self.__doc__ = f"{summary[:1].upper()}{summary[1:]}.\nUsage: {usage}"
        super().__init__(f"{PREFIX} {name}", gdb.COMMAND_USER)
        self.name = name
        self.arguments = arguments

    def invoke(self, argument: str, from_tty: bool) -> None:
        try:
            text = monitor(f"{self.name} {self._with_thread(argument)}".strip())
        except DaemonError as exc:
            raise gdb.GdbError(str(exc)) from None
        if self.name == "reset":
            # gdb keeps the registers and frames it read before: the daemon cannot tell it
            gdb.execute("maintenance flush register-cache", to_string=True)
            text = "reset done; gdb's registers and frames re-read\n"
        gdb.write(text)

    def _with_thread(self, argument: str) -> str:
        """A command with an optional THREAD is about gdb's selected thread when none is named.
        The daemon knows only the thread of gdb's last register access (``Hg``), which gdb sends
        lazily: after ``info threads`` it is the last thread listed, not the selected one."""
        if "THREAD" not in self.arguments or any(w.isdigit() for w in argument.split()):
            return argument
        thread = gdb.selected_thread()
        if thread is None or not thread.ptid[1]:
            return argument
        return f"{thread.ptid[1]} {argument}".strip()

    def complete(self, text: str, word: str) -> list[str] | int:
        position = len(text.split()) - (0 if text.endswith(" ") or not text else 1)
        if position >= len(self.arguments):
            return gdb.COMPLETE_NONE
        choices = CHOICES.get(self.arguments[position])
        if isinstance(choices, int):
            return choices
        return [c for c in choices if c.startswith(word or "")]


def install() -> None:
    CheriotPrefix()
    for name, arguments, summary in _daemon_commands():
        DaemonCommand(name, arguments, summary)
