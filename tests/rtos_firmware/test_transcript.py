"""The demo as a user runs it: the whole headless transcript through the real CLI, twice (the
run is deterministic), `scripts/run run` with no firmware, and source-level debug information."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ..run.support import cli
from .support import TRANSCRIPT

ROOT = Path(__file__).resolve().parents[2]


def test_headless_transcript_line_by_line_twice(rtos_elf: Path) -> None:
    expected = TRANSCRIPT.read_text().splitlines()
    for _ in range(2):
        done = cli("run", str(rtos_elf))
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        got = done.stdout.splitlines()
        for number, (line, want) in enumerate(zip(got, expected, strict=False), start=1):
            assert line == want, f"transcript line {number}"
        assert len(got) == len(expected)


def test_scripts_run_run_prints_the_bundled_transcript(tmp_path: Path) -> None:
    # What README tells a new user to type; a fresh cache, so the firmware is assembled.
    done = subprocess.run(["bash", str(ROOT / "scripts" / "run"), "run"], capture_output=True,
                          text=True, timeout=900, check=False,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert (done.returncode, done.stdout) == (0, TRANSCRIPT.read_text()), done.stderr
    built = list((tmp_path / "cheriot-gdbserver" / "firmware").glob("rtos-sail-*/rtos.elf"))
    assert len(built) == 1


def test_the_build_cache_is_keyed_by_checkout(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 7 item 11: another checkout with the same sources gets its own image, whose DWARF
    # names its own files.
    from cheriot_gdbserver.rtos import bundled

    cache = tmp_path / "cache"
    here = bundled.build("rtos", out_dir=cache)
    assert bundled.build("rtos", out_dir=cache) == here              # cached
    other = tmp_path / "other-checkout" / "firmware"
    shutil.copytree(bundled.FIRMWARE_DIR, other)
    monkeypatch.setattr(bundled, "FIRMWARE_DIR", other)
    there = bundled.build("rtos", out_dir=cache)
    assert there != here
    assert str(other).encode() in there.read_bytes()
    assert str(ROOT / "rtos" / "firmware").encode() not in there.read_bytes()


def test_gdb_lists_and_breaks_on_source_lines(rtos_elf: Path) -> None:
    source = ROOT / "rtos" / "firmware" / "queue" / "queue.S"
    line = next(n for n, text in enumerate(source.read_text().splitlines(), start=1)
                if text.startswith("1:\tgclw t1, count"))
    done = subprocess.run(
        ["gdb-multiarch", "-batch", "-nx", str(rtos_elf),
         "-ex", f"break queue.S:{line}", "-ex", "list queue_get", "-ex", "info line console_print"],
        capture_output=True, text=True, timeout=60, check=False)
    assert f"file {source}, line {line}." in done.stdout, done.stdout + done.stderr
    assert "func queue_get" in done.stdout
    assert 'Line ' in done.stdout and 'console.S' in done.stdout


def test_the_demo_runs_on_the_cheriot_safe_simulator_too(tmp_path: Path) -> None:
    # Built for the board's memory map and CLINT; exits through the UART exit byte. Timing
    # differs (one instruction per mtime tick), so the lines interleave differently.
    done = cli("run", "--board", "ibex-safe-simulator", env={"XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == sorted(TRANSCRIPT.read_text().splitlines())


# The Sonata simulator's exit (docs/boards.md, "uart-magic"): what a board file for it says.
SONATA_SIMULATOR = """{ base: "sonata", patch: [
    { op: "replace", path: "/emulator/exit", value: { kind: "uart-magic", device: "uart" } },
    { op: "replace", path: "/simulation", value: true } ] }"""


def test_the_demo_runs_on_sonata_and_exits_through_the_simulator_string(tmp_path: Path) -> None:
    # Built for Sonata's memory map (code in HyperRAM, data in SRAM), its OpenTitan UART and
    # PLIC; the firmware ends with the string after which the Sonata simulator exits.
    board = tmp_path / "sonata-simulator.json"
    board.write_text(SONATA_SIMULATOR)
    done = cli("run", "--board", str(board), env={"XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "Safe to exit simulator."
    assert sorted(lines[:-1]) == sorted(TRANSCRIPT.read_text().splitlines())


def test_on_sonata_hardware_the_demo_runs_to_its_end_and_then_waits(tmp_path: Path) -> None:
    # The shipped sonata board is the FPGA board: nothing ends the run, so the budget does.
    done = cli("run", "--board", "sonata", "--max-instructions", "40000000",
               env={"XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 124, done.stderr
    assert sorted(done.stdout.splitlines()) == sorted(TRANSCRIPT.read_text().splitlines())
    assert "in simulation_exit" in done.stderr or "<simulation_exit" in done.stderr
    # most of the budget is time the hart slept in wfi (skipped to each timer compare), and the
    # report says so rather than counting it as instructions run
    found = re.search(r"budget exhausted after 40000000 instructions \((\d+) run, (\d+) asleep "
                      r"in wfi\)", done.stderr)
    assert found, done.stderr
    ran, asleep = int(found[1]), int(found[2])
    assert ran + asleep == 40_000_000 and ran < 2_000_000
    # Without a budget: the last wfi waits for a timer the scheduler parked in the far future
    # (mtimecmp's high word all ones), which the run reports as halted instead of skipping
    # minstret to within reach of 2**64.
    done = cli("run", "--board", "sonata", env={"XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 122, done.stderr
    assert done.stderr.splitlines()[0] == ("cheriot-gdbserver: halted: wfi with no interrupt due "
                                           "within 2**62 instruction times (the timer is parked)")
    assert sorted(done.stdout.splitlines()) == sorted(TRANSCRIPT.read_text().splitlines())
