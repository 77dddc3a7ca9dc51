"""The pygdbmi examples on firmware that faults by design (issue 7, item 7):
tests/firmware/handled_faults.S faults twice, its trap handler takes both, and it exits 0. The
fault report shows both faults and ends with the firmware's own success, as a CHERIoT RTOS image
(which ends a returning thread with a fault) needs."""

from __future__ import annotations

from pathlib import Path

from tests.serve.examples import needs_gdb, script

pytestmark = needs_gdb



def test_fault_report_continues_past_handled_faults(faulting: Path) -> None:
    done = script("fault_report.py", str(faulting))
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert [line.split(" at ")[0] for line in lines if line.startswith("fault ")] == [
        "fault 1: stopped by SIGSEGV (Segmentation fault)",
        "fault 2: stopped by SIGSEGV (Segmentation fault)"]
    assert lines.count("mcause 0x1c (CHERI exception), mtval 0x141 (bounds violation, "
                       "register ca0)") == 2
    assert lines.count("(continuing: the firmware's trap handler takes it)") == 2
    assert lines[-1] == "the firmware exited with status 0 after its trap handler took 2 fault(s)"


def test_fault_report_first_stops_at_the_first_fault(faulting: Path) -> None:
    done = script("fault_report.py", str(faulting), "--first")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.startswith("stopped by SIGSEGV (Segmentation fault) at ")
    assert "the firmware exited" not in done.stdout
