"""``monitor`` commands: one explicit registry with typed metadata and generated help.

Each command declares its name, a one-line summary and its arguments; the line is split with
``shlex`` and parsed with ``argparse``, and the body calls one method of ``MonitorTarget`` (the
machine implements it). ``monitor help`` lists one command per line as ``USAGE  SUMMARY`` (two or
more spaces between), so scripts can split it. Output always ends with a newline; mistakes are
reported as text starting with ``error:``, never as protocol errors.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol


class MonitorTarget(Protocol):
    """What the commands need from the machine. Each returns the text to show."""

    def cap(self, what: str | int) -> str:
        """A capability register by name, or the capability stored at an address."""
        ...

    def tags(self, address: int, length: int) -> str: ...
    def fault(self) -> str: ...
    def catch(self, mode: str | None) -> str:
        """Show (None) or set which traps stop the target."""
        ...

    def reset(self) -> None: ...
    def stats(self) -> str: ...
    def uart(self) -> str: ...


def parse_int(text: str) -> int:
    """An address or length: decimal, or hex/octal/binary with 0x/0o/0b."""
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def register_or_address(text: str) -> str | int:
    try:
        return int(text, 0)
    except ValueError:
        return text


@dataclass(frozen=True, slots=True)
class Argument:
    name: str                         # shown upper-case in usage lines
    help: str
    type: Callable[[str], Any] = str
    optional: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class MonitorCommand:
    name: str
    summary: str
    run: Callable[[MonitorTarget, argparse.Namespace], str]
    arguments: tuple[Argument, ...] = ()

    @property
    def usage(self) -> str:
        words = [self.name]
        for a in self.arguments:
            words.append(f"[{a.name}]" if a.optional else a.name)
        return " ".join(words)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print and exit the process
        raise _UsageError(message)


def _parser(command: MonitorCommand) -> _Parser:
    parser = _Parser(prog=command.name, add_help=False, exit_on_error=False)
    for a in command.arguments:
        kwargs: dict[str, Any] = {"type": a.type, "metavar": a.name, "help": a.help}
        if a.optional:
            kwargs.update(nargs="?", default=a.default)
        parser.add_argument(a.name.lower(), **kwargs)
    return parser


def _reset(target: MonitorTarget, args: argparse.Namespace) -> str:
    target.reset()
    return "reset done; gdb still shows the old registers: 'maintenance flush register-cache'\n"


COMMANDS: tuple[MonitorCommand, ...] = (
    MonitorCommand(
        "cap", "show a capability register, or the capability stored at ADDR",
        lambda t, a: t.cap(a.reg_or_addr),
        (Argument("REG_OR_ADDR", "register name (csp, pcc, mtdc...) or address",
                  register_or_address),)),
    MonitorCommand(
        "tags", "show the capability tags of the memory from ADDR",
        lambda t, a: t.tags(a.addr, a.length),
        (Argument("ADDR", "start address", parse_int),
         Argument("LENGTH", "number of bytes (default 64)", parse_int, True, 64))),
    MonitorCommand("fault", "explain the last trap", lambda t, a: t.fault()),
    MonitorCommand(
        "catch", "show or set which traps stop the target",
        lambda t, a: t.catch(a.mode),
        (Argument("MODE", "what to catch; without it, show the current setting",
                  optional=True),)),
    MonitorCommand("reset", "reset the machine to its power-on state", _reset),
    MonitorCommand("stats", "show execution statistics", lambda t, a: t.stats()),
    MonitorCommand("uart", "show what the firmware wrote to the UART", lambda t, a: t.uart()),
)

_HELP = MonitorCommand("help", "list the commands, or describe one",
                       lambda t, a: "", (Argument("COMMAND", "a command name", optional=True),))


class CommandRegistry:
    """The monitor commands, looked up by exact name."""

    def __init__(self, commands: Sequence[MonitorCommand] = COMMANDS) -> None:
        self.commands: dict[str, MonitorCommand] = {}
        for cmd in (*commands, _HELP):
            if cmd.name in self.commands:
                raise ValueError(f"monitor command {cmd.name!r} is registered twice")
            if not cmd.name.isidentifier():
                raise ValueError(f"monitor command name {cmd.name!r} is not a plain word")
            self.commands[cmd.name] = cmd

    def help(self, name: str | None = None) -> str:
        if name is None:
            width = max(len(c.usage) for c in self.commands.values()) + 2
            return "".join(f"{c.usage:<{width}}{c.summary}\n"
                           for c in sorted(self.commands.values(), key=lambda c: c.name))
        cmd = self.commands.get(name)
        if cmd is None:
            return self._unknown(name)
        lines = [f"usage: {cmd.usage}", f"{cmd.name}: {cmd.summary}"]
        if cmd.arguments:
            width = max(len(a.name) for a in cmd.arguments) + 2
            lines += [f"  {a.name:<{width}}{a.help}" for a in cmd.arguments]
        return "\n".join(lines) + "\n"

    def run(self, line: str, target: MonitorTarget) -> str:
        """Run one ``monitor`` line and return its output text."""
        try:
            words = shlex.split(line)
        except ValueError as e:
            return f"error: {e}\n"
        if not words:
            return self.help()
        name, rest = words[0], words[1:]
        cmd = self.commands.get(name)
        if cmd is None:
            return self._unknown(name)
        try:
            args = _parser(cmd).parse_args(rest)
        except (_UsageError, argparse.ArgumentError) as e:
            return f"error: {name}: {e}\nusage: {cmd.usage}\n"
        if cmd is _HELP:
            return self.help(args.command)
        output = cmd.run(target, args)
        return output if output.endswith("\n") or not output else output + "\n"

    @staticmethod
    def _unknown(name: str) -> str:
        return f"error: unknown command {name!r}; 'monitor help' lists the commands\n"
