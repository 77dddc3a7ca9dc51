"""``cheriot-gdbserver monitor``: the monitor commands from the command line, as a user runs it."""

from __future__ import annotations

from pathlib import Path

from cheriot_gdbserver.boards.image import load_elf
from tests.run.support import cli


def test_commands_run_after_the_breakpoint(debugee: Path) -> None:
    count_to = load_elf(debugee).symbols["count_to"]
    done = cli("monitor", str(debugee), "--board", "sail", "--break", "count_to",
               "-c", "tags $sp 16", "-c", "uart")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1:] == ["0 of 2 granules tagged (1: tagged, 0: untagged, -: memory without "
                         "tags)", "hello from the e2e firmware"]
    assert lines[0].endswith(": 00")
    assert done.stderr.splitlines()[-1].startswith(
        f"cheriot-gdbserver: stopped (breakpoint) at {count_to:#010x} <count_to+0> at ")


def test_help_by_default_and_errors_set_the_status(debugee: Path) -> None:
    done = cli("monitor", str(debugee))
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].startswith("audit [NAME] ")
    bad = cli("monitor", str(debugee), "-c", "cap nowhere")
    assert bad.returncode == 1
    assert bad.stdout.startswith("error: cap: argument REG_OR_ADDR: 'nowhere' is not a number")
    missing = cli("monitor", str(debugee), "--break", "nowhere")
    assert missing.returncode == 2
    assert missing.stderr == ("cheriot-gdbserver: error: --break nowhere: no such symbol in the "
                              "image, and not an address\n")


def test_a_command_given_as_the_firmware_says_where_commands_go() -> None:
    done = cli("monitor", "threads")
    assert done.returncode == 2
    assert done.stderr == ("cheriot-gdbserver: error: no firmware file 'threads'; monitor commands "
                           "go after -c: cheriot-gdbserver monitor [FIRMWARE] -c 'threads'\n")
