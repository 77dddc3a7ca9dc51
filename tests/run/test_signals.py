"""``run`` ended by a signal: SIGTERM (what CI runners send on a time-out) prints the same report
as Ctrl-C and exits 143, 128 + SIGTERM as a shell reports it (issue 7, item 6; docs/run.md)."""

from __future__ import annotations

import signal
import subprocess

import pytest

from .support import COMMAND, Build, symbol


def stopped_by(sig: signal.Signals, build: Build) -> tuple[int, str, list[str]]:
    elf = build("sail_devices.S", "sail")
    command = [*COMMAND, "run", str(elf), "--entry", hex(symbol(elf, "hang"))]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == "hanging\n"   # the engine is running
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr.splitlines()


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_the_run_with_the_report(build: Build, sig: signal.Signals,
                                               status: int) -> None:
    returncode, stdout, report = stopped_by(sig, build)
    assert (returncode, stdout) == (status, "")
    assert report[0].startswith("cheriot-gdbserver: interrupted after ")
    assert report[1].startswith("  pc 0x")
    assert "  last instructions:" in report


def test_the_statuses_are_documented() -> None:
    done = subprocess.run([*COMMAND, "run", "--help"], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "  143    terminated (SIGTERM), with the same report as Ctrl-C" in \
        done.stdout.splitlines()
