"""scripts/bench_rsp runs against a real daemon (and QEMU when it is installed) and reports
every figure under its JSON key. Speed itself is never asserted: the benchmark measures it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench_rsp"
ROUND_TRIPS = ("vcont_s_us", "g_us", "p_cap_us", "m64_us", "echo_us")

pytestmark = pytest.mark.skipif(shutil.which("riscv64-unknown-elf-as") is None,
                                reason="needs riscv64-unknown-elf-as")


def test_bench_rsp_reports_every_figure() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--json", "--count", "40",
                           "--stepis", "5", "--repeat", "1"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert set(figures) == {*ROUND_TRIPS, "stepis", "gdb_stepi_s", "qemu_gdb_stepi_s",
                            "stepi_ratio_to_qemu"}
    for key in ROUND_TRIPS:
        assert figures[key] > 0
    assert figures["stepis"] == 5
    has_gdb = shutil.which("gdb-multiarch") is not None
    has_qemu = has_gdb and shutil.which("qemu-system-riscv32") is not None
    assert (figures["gdb_stepi_s"] is not None) == has_gdb
    assert (figures["qemu_gdb_stepi_s"] is not None) == has_qemu
    if has_qemu:
        ratio = figures["gdb_stepi_s"] / figures["qemu_gdb_stepi_s"]
        assert figures["stepi_ratio_to_qemu"] == pytest.approx(ratio)
