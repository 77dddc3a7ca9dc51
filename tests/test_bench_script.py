"""scripts/bench runs, checks what its loops computed and reports every figure.

Speed itself is never asserted (benchmarks measure it); what is asserted is that each workload
computed the value its plain-RV32 twin computes on raw Unicorn, and how the instructions were
executed: the slow-path and block-exit shares come from counters in the compiled fast path.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cheriot_gdbserver.core import unicorn_build

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench"
WORKLOADS = ("integer_loop", "load_store_loop", "typical_mix", "compartment_call")
RAW = ("raw_unicorn_ips", "raw_unicorn_integer_loop_ips", "raw_unicorn_load_store_loop_ips",
       "raw_unicorn_compartment_call_ips")


def _bench(*args: str, stock: bool = False) -> dict[str, float | None]:
    env = dict(os.environ)
    if stock:
        env.pop("LIBUNICORN_PATH", None)
        env[unicorn_build.STOCK_VARIABLE] = "1"
    done = subprocess.run([sys.executable, str(BENCH), "--json", *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _load_bench_module():  # noqa: ANN202 - a script loaded as a module
    loader = importlib.machinery.SourceFileLoader("bench_script", str(BENCH))
    spec = importlib.util.spec_from_loader("bench_script", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_script"] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


def _keys() -> set[str]:
    keys = set(RAW) | {f"{k}_{suffix}" for k in (*WORKLOADS, "rtos_firmware")
                       for suffix in ("ips", "cpu_ips", "slow_share", "exit_share")}
    keys |= {r.removesuffix("_ips") + "_cpu_ips" for r in RAW}
    keys |= {f"{k}_hook_ns" for k in WORKLOADS}
    return keys | {"trace_ips", "trace_cpu_ips", "startup_run_s", "startup_serve_s"}


def test_bench_json_has_every_figure_and_the_fast_path_carries_the_loops() -> None:
    figures = _bench("--iterations", "2000")
    assert set(figures) == _keys()
    for key in (*(f"{k}_ips" for k in WORKLOADS), *(f"{k}_cpu_ips" for k in WORKLOADS), *RAW):
        value = figures[key]
        assert isinstance(value, float) and value > 0, key
    for key in WORKLOADS:  # a cost per instruction, in nanoseconds: finite, whatever its sign
        assert isinstance(figures[f"{key}_hook_ns"], float), key
    for key in ("startup_run_s", "startup_serve_s"):
        assert isinstance(figures[key], float) and 0 < figures[key] < 60, key
    if figures["rtos_firmware_ips"] is not None:  # the demo exists: its trace was measured
        assert isinstance(figures["trace_ips"], float) and figures["trace_ips"] > 0
    # Only the first execution of each instruction (decode) and the final ebreak reach Python.
    for key in ("integer_loop", "load_store_loop", "typical_mix"):
        assert figures[f"{key}_slow_share"] < 0.01, key
    assert figures["integer_loop_exit_share"] < 0.01
    if (unicorn_build.build_dir() / unicorn_build.LIBRARY).exists():
        # Our Unicorn build: capability instructions no longer end translated blocks.
        for key in ("load_store_loop", "typical_mix", "compartment_call"):
            assert figures[f"{key}_exit_share"] < 0.05, key


def test_bench_on_the_stock_unicorn_computes_the_same_with_a_block_exit_per_cap_insn() -> None:
    figures = _bench("--iterations", "2000", "--no-startup", stock=True)
    assert figures["compartment_call_slow_share"] < 0.01
    assert figures["typical_mix_exit_share"] > 0.2  # every capability instruction


def test_bench_reference_mode_sends_every_instruction_to_python() -> None:
    figures = _bench("--iterations", "300", "--reference", "--no-startup")
    for key in WORKLOADS:
        assert figures[f"{key}_slow_share"] >= 1.0, key


def test_a_wrong_loop_result_fails_the_benchmark() -> None:
    bench = _load_bench_module()
    workload = next(w for w in bench.WORKLOADS if w.key == "compartment_call")
    right = bench._call_sum(1000)["a0"]
    good = bench.Run(1.0, 1, 0.0, 0.0, {"a0": right})
    bench.check(workload, 1000, good, good)
    wrong = bench.Run(1.0, 1, 0.0, 0.0, {"a0": right + 1})
    with pytest.raises(SystemExit, match="raw Unicorn"):
        bench.check(workload, 1000, wrong, good)
    with pytest.raises(SystemExit, match="expected"):
        bench.check(workload, 1000, wrong, wrong)
