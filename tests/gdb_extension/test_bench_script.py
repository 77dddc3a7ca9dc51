"""scripts/bench_gdb_extension runs and measures what it says (docs/gdb.md quotes it): each
figure is there, and the per-pointer mode really asks the daemon once per pointer (twelve
locals in firmware/pointers.S), which the extension's prefetch avoids."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT


def test_the_benchmark_prints_every_figure() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_gdb_extension"),
                           "--json", "--count", "2"], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert set(figures) == {"info_locals_cold_ms", "info_locals_warm_ms",
                            "info_locals_per_pointer_ms", "round_trips_per_pointer_mode",
                            "info_locals_plain_gdb_ms", "monitor_caps_ms"}
    assert figures["round_trips_per_pointer_mode"] == 12
    assert all(value > 0 for value in figures.values())
