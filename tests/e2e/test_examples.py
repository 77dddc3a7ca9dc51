"""The pygdbmi example scripts (scripts/examples), run as a user would run them."""

from __future__ import annotations

import subprocess
import sys

from cheriot_gdbmi import Daemon

from tests.capfields import CapFields, assert_lines
from tests.gdb_support import EXAMPLES

from .conftest import COUNTER_CAP, FIRMWARE, SAVED_CRA_CAP, Firmware, fault_lines


def example(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / args[0]), *args[1:]],
                          capture_output=True, text=True, timeout=120, check=False)


def fault_report(fw: Firmware) -> list[str | tuple[str, CapFields]]:
    pc = fw.symbols["overflow"] + 20
    line = fw.line_of("csw a1, 16(ca0)")
    return [
        f"stopped by SIGSEGV (Segmentation fault) at {pc:#010x} in overflow () at "
        f"{FIRMWARE}:{line}",
        "last exception (pending, not yet taken):",
        *fault_lines(fw),
        "backtrace:",
        f"  #0  {pc:#010x} in overflow () at {FIRMWARE}:{line}",
        f"  #1  {fw.symbols['main'] + 12:#010x} in main () at {FIRMWARE}:"
        f"{fw.line_of('cjal overflow')}",
    ]


def test_fault_report_starts_its_own_daemon(firmware: Firmware) -> None:
    done = example("fault_report.py", str(firmware.elf), "--board", "sail", "--first")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.endswith("\n")
    assert_lines(done.stdout, fault_report(firmware))


def test_tagged_caps_lists_each_tagged_granule(firmware: Firmware) -> None:
    done = example("tagged_caps.py", str(firmware.elf), "0x80000000", "0x40000",
                   "--break", "bump")
    assert (done.returncode, done.stderr) == (0, "")
    # cap_slot holds _start's copy of cs1; count_to keeps its return capability (main's cjal
    # made it a return sentry) at csp + 8 = stack + 0x400 - 16 + 8.
    assert_lines(done.stdout, [
        ("0x80000160 <cap_slot>: ", COUNTER_CAP),
        ("0x80000578 <stack+1016>: ", SAVED_CRA_CAP),
        "2 tagged capabilities in 0x80000000-0x80040000",
    ])


def test_examples_attach_to_a_running_daemon(firmware: Firmware, daemon: Daemon) -> None:
    done = example("fault_report.py", str(firmware.elf), "--remote", daemon.address, "--first")
    assert done.returncode == 1
    assert_lines(done.stdout, fault_report(firmware))
    # The daemon kept the machine as the script left it: stopped at the fault.
    done = example("tagged_caps.py", str(firmware.elf), "&cap_slot", "8",
                   "--remote", daemon.address)
    assert (done.returncode, done.stderr) == (0, "")
    assert_lines(done.stdout, [("0x80000160 <cap_slot>: ", COUNTER_CAP),
                               "1 tagged capabilities in 0x80000160-0x80000168"])
