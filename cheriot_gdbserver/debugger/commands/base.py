"""Commands as data: a name, a summary, typed arguments and one function over a DebugContext.

Commands come in families (one module each: capabilities.py, execution.py...), and catalog.py
registers the families in one place. The same registry answers gdb's ``monitor`` and the
``cheriot-gdbserver monitor`` CLI. A line is split with ``shlex`` and counted with ``argparse``;
each argument is then resolved by its own parser from args.py (numbers, symbols, registers),
the one argument grammar every command shares.

Output is text that always ends with a newline. ``help`` lists one command per line as
``USAGE  SUMMARY`` (two or more spaces between), so scripts can split it. Mistakes and refusals
are reported as text starting with ``error:``, never as protocol errors.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from ...errors import CheriotGdbError
from ..debug_context import DebugContext
from .args import ArgumentError, word

Parser = Callable[[str, DebugContext], Any]


@dataclass(frozen=True, slots=True)
class Argument:
    name: str                # shown upper-case in usage lines; the namespace key is lower-case
    help: str
    parse: Parser = word
    optional: bool = False
    default: Any = None
    flag: bool = False       # ``--NAME`` (lower-case), a switch: True when given


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    summary: str
    run: Callable[[DebugContext, argparse.Namespace], str]
    arguments: tuple[Argument, ...] = ()
    # Whether running it may change target state (memory, registers, devices, the machine
    # itself). False only for commands that just read: the per-stop caches (registers, the
    # RTOS model's threads...) then stay valid across them.
    changes_target: bool = True

    @property
    def usage(self) -> str:
        words = [self.name]
        for a in self.arguments:
            if a.flag:
                words.append(f"[--{a.name.lower()}]")
            else:
                words.append(f"[{a.name}]" if a.optional else a.name)
        return " ".join(words)


@dataclass(frozen=True, slots=True)
class CommandFamily:
    """Commands that belong together (capabilities, execution, RTOS...)."""

    name: str
    commands: tuple[Command, ...]


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print and exit the process
        raise _UsageError(message)


def _splitter(command: Command) -> _Parser:
    parser = _Parser(prog=command.name, add_help=False, exit_on_error=False)
    for a in command.arguments:
        if a.flag:
            parser.add_argument(f"--{a.name.lower()}", action="store_true", help=a.help)
            continue
        kwargs: dict[str, Any] = {"metavar": a.name, "help": a.help}
        if a.optional:
            kwargs.update(nargs="?", default=None)
        parser.add_argument(a.name.lower(), **kwargs)
    return parser


HELP = Command("help", "list the commands, or describe one", lambda c, a: "",
               (Argument("COMMAND", "a command name", optional=True),), changes_target=False)


class CommandRegistry:
    """Commands looked up by exact name."""

    def __init__(self, families: Sequence[CommandFamily]) -> None:
        self.commands: dict[str, Command] = {}
        for cmd in (*(c for f in families for c in f.commands), HELP):
            if cmd.name in self.commands:
                raise ValueError(f"command {cmd.name!r} is registered twice")
            if not cmd.name.isidentifier():
                raise ValueError(f"command name {cmd.name!r} is not a plain word")
            self.commands[cmd.name] = cmd
        self._splitters = {name: _splitter(cmd) for name, cmd in self.commands.items()}

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
            shown = [(f"--{a.name.lower()}" if a.flag else a.name, a.help)
                     for a in cmd.arguments]
            width = max(len(name) for name, _ in shown) + 2
            lines += [f"  {name:<{width}}{text}" for name, text in shown]
        return "\n".join(lines) + "\n"

    def command_for(self, line: str) -> Command | None:
        """The command a line would run (None: an empty, unsplittable or unknown line, which
        runs nothing)."""
        try:
            words = shlex.split(line)
        except ValueError:
            return None
        return self.commands.get(words[0]) if words else None

    def changes_target(self, line: str) -> bool:
        """Whether running ``line`` may change target state (see ``Command.changes_target``)."""
        cmd = self.command_for(line)
        return cmd is not None and cmd.changes_target

    def run(self, line: str, context: DebugContext) -> str:
        """Run one command line and return its output text. A command that changes the target
        ends with ``context.state_changed()``: nothing read before or during it is served
        after it (what it reads after its own change, it reads after its own
        ``state_changed()``)."""
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
        if not cmd.changes_target:
            return self._run(cmd, name, rest, context)
        try:
            return self._run(cmd, name, rest, context)
        finally:
            context.state_changed()

    def _run(self, cmd: Command, name: str, rest: list[str], context: DebugContext) -> str:
        try:
            raw = self._splitters[name].parse_args(rest)
        except (_UsageError, argparse.ArgumentError) as e:
            return f"error: {name}: {e}\nusage: {cmd.usage}\n"
        if cmd is HELP:
            return self.help(raw.command)
        args = argparse.Namespace()
        for a in cmd.arguments:
            text = getattr(raw, a.name.lower())
            if a.flag:
                setattr(args, a.name.lower(), bool(text))
                continue
            try:
                value = a.default if text is None else a.parse(text, context)
            except ArgumentError as e:
                return f"error: {name}: argument {a.name}: {e}\nusage: {cmd.usage}\n"
            except CheriotGdbError as e:  # e.g. a register the selected thread has not saved
                return f"error: {name}: argument {a.name}: {e}\n"
            setattr(args, a.name.lower(), value)
        try:
            output = cmd.run(context, args)
        except CheriotGdbError as e:  # a refusal is the command's output
            return f"error: {e}\n"
        return output if output.endswith("\n") or not output else output + "\n"

    @staticmethod
    def _unknown(name: str) -> str:
        return f"error: unknown command {name!r}; 'monitor help' lists the commands\n"
