"""gdbstub/monitor.py: registry, generated help, argument parsing, stable error text."""

from __future__ import annotations

import pytest

from cheriot_gdbserver.gdbstub.monitor import CommandRegistry, MonitorCommand

from .fakes import FakeMonitor

HELP = (
    "cap REG_OR_ADDR     show a capability register, or the capability stored at ADDR\n"
    "catch [MODE]        show or set which traps stop the target\n"
    "fault               explain the last trap\n"
    "help [COMMAND]      list the commands, or describe one\n"
    "reset               reset the machine to its power-on state\n"
    "stats               show execution statistics\n"
    "tags ADDR [LENGTH]  show the capability tags of the memory from ADDR\n"
    "uart                show what the firmware wrote to the UART\n"
)


@pytest.fixture
def run():
    registry = CommandRegistry()
    target = FakeMonitor()

    def run(line: str) -> tuple[str, list]:
        out = registry.run(line, target)
        calls = list(target.calls)
        target.calls.clear()
        return out, calls
    return run


def test_help_lists_every_command_on_one_line(run) -> None:
    assert run("help") == (HELP, [])
    assert run("") == (HELP, [])


def test_help_for_one_command(run) -> None:
    assert run("help tags") == (
        "usage: tags ADDR [LENGTH]\n"
        "tags: show the capability tags of the memory from ADDR\n"
        "  ADDR    start address\n"
        "  LENGTH  number of bytes (default 64)\n", [])
    assert run("help fault") == ("usage: fault\nfault: explain the last trap\n", [])


def test_unknown_command_suggests_help(run) -> None:
    expected = "error: unknown command 'frob'; 'monitor help' lists the commands\n"
    assert run("frob 1 2") == (expected, [])
    assert run("help frob") == (expected, [])


def test_arguments_are_parsed_and_typed(run) -> None:
    assert run("tags 0x80000000") == ("tags 0x80000000 64\n", [("tags", (0x8000_0000, 64))])
    assert run("tags 2147483648 0x10") == ("tags 0x80000000 16\n", [("tags", (0x8000_0000, 16))])
    assert run("cap csp") == ("cap 'csp'\n", [("cap", ("csp",))])  # newline added
    assert run("cap 0x80001000") == ("cap 2147487744\n", [("cap", (0x8000_1000,))])
    assert run("catch") == ("catch None\n", [("catch", (None,))])
    assert run("catch 'cheri'") == ("catch cheri\n", [("catch", ("cheri",))])


def test_reset_output(run) -> None:
    assert run("reset") == (
        "reset done; gdb still shows the old registers: 'maintenance flush register-cache'\n",
        [("reset", ())])


def test_usage_errors_are_text(run) -> None:
    assert run("tags zz") == (
        "error: tags: argument ADDR: not a number: 'zz'\nusage: tags ADDR [LENGTH]\n",
        [])
    assert run("fault now") == (
        "error: fault: unrecognized arguments: now\nusage: fault\n", [])
    assert run("tags") == (
        "error: tags: the following arguments are required: ADDR\nusage: tags ADDR [LENGTH]\n",
        [])
    assert run("cap 'unterminated") == ("error: No closing quotation\n", [])


def test_registry_rejects_duplicates_and_odd_names() -> None:
    cmd = MonitorCommand("x", "x", lambda t, a: "")
    with pytest.raises(ValueError, match="registered twice"):
        CommandRegistry((cmd, cmd))
    with pytest.raises(ValueError, match="not a plain word"):
        CommandRegistry((MonitorCommand("a-b", "x", lambda t, a: ""),))
