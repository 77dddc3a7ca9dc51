"""scripts/bench runs and reports every figure (a smoke test: speed itself is never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench"


def test_bench_json_has_every_figure() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--json", "--iterations", "300"],
                          capture_output=True, text=True, timeout=300, check=True)
    figures = json.loads(done.stdout)
    assert set(figures) == {"integer_loop_ips", "load_store_loop_ips", "typical_mix_ips",
                            "raw_unicorn_ips", "raw_unicorn_integer_loop_ips",
                            "raw_unicorn_load_store_loop_ips"}
    assert all(isinstance(v, float) and v > 0 for v in figures.values())
