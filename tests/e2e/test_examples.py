"""The pygdbmi example scripts (scripts/examples), run as a user would run them."""

from __future__ import annotations

import subprocess
import sys

from cheriot_gdbmi import Daemon

from cheriot_gdbserver.core.capability import ROOT_EXE_META, Cap, OType, describe, with_otype

from .conftest import EXAMPLES, FIRMWARE, Firmware, bounded, fault_lines


def example(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / args[0]), *args[1:]],
                          capture_output=True, text=True, timeout=120, check=False)


def fault_report(fw: Firmware) -> str:
    pc = fw.symbols["overflow"] + 20
    line = fw.line_of("csw a1, 16(ca0)")
    return "\n".join([
        f"stopped by SIGSEGV (Segmentation fault) at {pc:#010x} in overflow () at "
        f"{FIRMWARE}:{line}",
        "last exception (pending, not yet taken):",
        *fault_lines(fw),
        "backtrace:",
        f"  #0  {pc:#010x} in overflow () at {FIRMWARE}:{line}",
        f"  #1  {fw.symbols['main'] + 12:#010x} in main () at {FIRMWARE}:"
        f"{fw.line_of('cjal overflow')}",
    ]) + "\n"


def test_fault_report_starts_its_own_daemon(firmware: Firmware) -> None:
    done = example("fault_report.py", str(firmware.elf), "--board", "sail", "--first")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == fault_report(firmware)


def test_tagged_caps_lists_each_tagged_granule(firmware: Firmware) -> None:
    done = example("tagged_caps.py", str(firmware.elf), "0x80000000", "0x40000",
                   "--break", "bump")
    assert (done.returncode, done.stderr) == (0, "")
    slot, stack = firmware.symbols["cap_slot"], firmware.symbols["stack"]
    # count_to keeps its return capability at csp + 8: main's cjal made it a return sentry
    # (interrupts were disabled) from the executable root.
    saved_cra = Cap(True, firmware.symbols["main"] + 8,
                    with_otype(ROOT_EXE_META, OType.RETURN_SENTRY_DISABLE))
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        f"{slot:#010x} <cap_slot>: {describe(bounded(firmware.symbols['counter'], 4))}",
        f"{stack + 0x400 - 8:#010x} <stack+{0x400 - 8}>: {describe(saved_cra)}",
    ]
    assert lines[2:] == ["2 tagged capabilities in 0x80000000-0x80040000"]


def test_examples_attach_to_a_running_daemon(firmware: Firmware, daemon: Daemon) -> None:
    done = example("fault_report.py", str(firmware.elf), "--remote", daemon.address, "--first")
    assert (done.returncode, done.stdout) == (1, fault_report(firmware))
    # The daemon kept the machine as the script left it: stopped at the fault.
    slot = firmware.symbols["cap_slot"]
    done = example("tagged_caps.py", str(firmware.elf), "&cap_slot", "8",
                   "--remote", daemon.address)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        f"{slot:#010x} <cap_slot>: {describe(bounded(firmware.symbols['counter'], 4))}\n"
        f"1 tagged capabilities in {slot:#010x}-{slot + 8:#010x}\n")
