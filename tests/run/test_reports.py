"""The reports of `cheriot-gdbserver run` and its exit statuses (docs/run.md), line by line.

The firmware is tests/firmware/faults.S on the `sail` board (code at 0x80000000, `buf` at
0x80000070); each scenario is an entry point. Addresses in the expected text follow from that
source, and the `faults.c:N` lines from its `.loc` directives.
"""

from __future__ import annotations

import io
import select
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.stops import StopKind
from cheriot_gdbserver.report import explain_trap
from cheriot_gdbserver.run_command import RunResult, run_machine

from .support import COMMAND, Build, cli, run_in_process, symbol

ROOT_MEM = ("address=0x00000000 base=0x00000000 top=0x100000000 length=0x100000000 "
            "perms=[GL LG SD LM SL LD MC] otype=unsealed tag=1")
BUF_CAP = ("address=0x80000070 base=0x80000070 top=0x80000080 length=0x10 "
           "perms=[GL LG SD LM SL LD MC] otype=unsealed")
DEADLINE = 60.0  # seconds: a safety net against hangs, never a synchronisation device
NO_HANDLER = ("  trap handler at 0x00000000 cannot run (instruction access fault: no memory at "
              "0x00000000)")

BOUNDS_REPORT = [
    "cheriot-gdbserver: unhandled fault: CHERI bounds violation on store through ca0",
    "  mcause 0x1c (CHERI exception), mtval 0x141 (bounds violation, register ca0)",
    "  pc 0x80000018 <bounds_fault+24> at faults.c:12",
    "  instruction: csw a1, 16(ca0)",
    "  access: 4 bytes at 0x80000080",
    f"  capability ca0: {BUF_CAP} tag=1",
    NO_HANDLER,
    "  last instructions:",
    "    0x80000000 <bounds_fault+0>  cspecialr ca5, mtdc",
    "    0x80000004 <bounds_fault+4>  lui t0, 0x80000",
    "    0x80000008 <bounds_fault+8>  addi t0, t0, 112",
    "    0x8000000c <bounds_fault+12>  csetaddr ca0, ca5, t0",
    "    0x80000010 <bounds_fault+16>  csetbounds ca0, ca0, 16",
    "    0x80000014 <bounds_fault+20>  li a1, 42",
    "    0x80000018 <bounds_fault+24>  csw a1, 16(ca0)",
]

TAG_REPORT = [
    "cheriot-gdbserver: unhandled fault: CHERI tag violation on load through ca1",
    "  mcause 0x1c (CHERI exception), mtval 0x162 (tag violation, register ca1)",
    "  pc 0x80000036 <tag_fault+24> at faults.c:22",
    "  instruction: clw a0, 4(ca1)",
    "  access: 4 bytes at 0x80000074",
    f"  capability ca1: {BUF_CAP} tag=0",
    NO_HANDLER,
    "  last instructions:",
    "    0x8000001e <tag_fault+0>  cspecialr ca5, mtdc",
    "    0x80000022 <tag_fault+4>  lui t0, 0x80000",
    "    0x80000026 <tag_fault+8>  addi t0, t0, 112",
    "    0x8000002a <tag_fault+12>  csetaddr ca1, ca5, t0",
    "    0x8000002e <tag_fault+16>  csetbounds ca1, ca1, 16",
    "    0x80000032 <tag_fault+20>  ccleartag ca1, ca1",
    "    0x80000036 <tag_fault+24>  clw a0, 4(ca1)",
]

DOUBLE_FAULT_REPORT = [
    "cheriot-gdbserver: double fault: breakpoint at 0x80000048",
    "  mcause 0x3 (breakpoint), mtval 0x80000048",
    "  pc 0x80000048 <double_fault+12> at faults.c:31",
    "  instruction: ebreak",
    "  trap handler at 0x8000004c cannot run (CHERI tag violation on load through cnull)",
    "  last instructions:",
    "    0x8000003c <double_fault+0>  auipcc ct0, 0x0",
    "    0x80000040 <double_fault+4>  cincoffset ct0, ct0, 16",
    "    0x80000044 <double_fault+8>  cspecialw mtcc, ct0",
    "    0x80000048 <double_fault+12>  ebreak",
    "    0x8000004c <broken_handler+0>  clw a0, 0(cnull)",
]

HALT_REPORT = [
    "cheriot-gdbserver: halted: wfi with every interrupt masked (mie = 0)",
    "  pc 0x80000058 <halt+4> at faults.c:41",
    "  instruction: wfi",
    "  last instructions:",
    "    0x80000054 <halt+0>  csrw mie, zero",
    "    0x80000058 <halt+4>  wfi",
]

# `li` then 500 times `addi`, `j`: the next instruction is the `addi`.
BUDGET_REPORT = [
    "cheriot-gdbserver: instruction budget exhausted after 1001 instructions",
    "  pc 0x80000060 <spin+2> at faults.c:50",
    "  instruction: addi a0, a0, 1",
    "  last instructions:",
    *["    0x80000062 <spin+4>  j 0x80000060",
      "    0x80000060 <spin+2>  addi a0, a0, 1"] * 5,
]


@pytest.fixture(scope="module")
def faults(build: Build) -> Path:
    return build("faults.S", "sail")


def run_entry(elf: Path, entry: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("run", str(elf), "--entry", hex(symbol(elf, entry)), *extra)


@pytest.mark.parametrize(("entry", "status", "expected"), [
    ("bounds_fault", 120, BOUNDS_REPORT),
    ("tag_fault", 120, TAG_REPORT),
    ("double_fault", 121, DOUBLE_FAULT_REPORT),
    ("halt", 122, HALT_REPORT),
])
def test_report_and_status(faults: Path, entry: str, status: int, expected: list[str]) -> None:
    done = run_entry(faults, entry, "--max-instructions", "1000")
    assert done.stderr.splitlines() == expected
    assert done.stdout == ""
    assert done.returncode == status


def test_budget_exhausted(faults: Path) -> None:
    done = run_entry(faults, "spin", "--max-instructions", "1001")
    assert done.stderr.splitlines() == BUDGET_REPORT
    assert done.returncode == 124


def test_explain_trap_is_the_fault_part_of_the_report(faults: Path) -> None:
    run = run_in_process(faults, "sail", entry=symbol(faults, "bounds_fault"))
    stop = run.result.stop
    assert stop.kind is StopKind.LOCKUP and stop.trap is not None
    assert explain_trap(run.machine, stop.trap) == [line[2:] for line in BOUNDS_REPORT[1:6]]
    assert run.result.report == BOUNDS_REPORT


def test_explain_trap_of_an_interrupt(build: Build) -> None:
    elf = build("sail_devices.S", "sail")
    run = run_in_process(elf, "sail")
    trap = run.machine.engine.last_trap
    assert trap is not None
    lines = explain_trap(run.machine, trap)
    assert lines[0] == "mcause 0x80000007 (machine timer interrupt)"
    assert lines[1].startswith(f"pc {trap.pc:#010x} <_start+")
    assert lines[2] == "interrupted instruction: j 0x8000006c"  # the wait loop after wfi


def test_trace_of_a_fault(faults: Path, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    done = cli("run", str(faults), "--trace", str(trace))
    assert done.returncode == 120
    assert done.stderr.splitlines() == BOUNDS_REPORT
    assert trace.read_text().splitlines() == [
        f"0x80000000 <bounds_fault+0>  cspecialr ca5, mtdc  ; ca5={{{ROOT_MEM}}}",
        "0x80000004 <bounds_fault+4>  lui t0, 0x80000  ; t0=0x80000000",
        "0x80000008 <bounds_fault+8>  addi t0, t0, 112  ; t0=0x80000070",
        "0x8000000c <bounds_fault+12>  csetaddr ca0, ca5, t0  ; ca0={address=0x80000070 "
        "base=0x00000000 top=0x100000000 length=0x100000000 perms=[GL LG SD LM SL LD MC] "
        "otype=unsealed tag=1}",
        f"0x80000010 <bounds_fault+16>  csetbounds ca0, ca0, 16  ; ca0={{{BUF_CAP} tag=1}}",
        "0x80000014 <bounds_fault+20>  li a1, 42  ; a1=0x0000002a",
        "0x80000018 <bounds_fault+24>  csw a1, 16(ca0)",
        "-- trap: CHERI bounds violation on store through ca0; mcause 0x1c (CHERI exception), "
        "mtval 0x141 (bounds violation, register ca0); at 0x80000018 <bounds_fault+24> -> "
        "0x00000000",
        "-- unhandled fault: CHERI bounds violation on store through ca0",
    ]


def test_trace_of_a_device_run(build: Build, tmp_path: Path) -> None:
    elf = build("sail_devices.S", "sail")
    trace = tmp_path / "trace.txt"
    done = cli("run", str(elf), "--trace", str(trace))
    assert done.returncode == 0
    lines = trace.read_text().splitlines()
    assert lines[-1] == "-- exit 0"
    assert lines[-2].endswith("csw zero, 4(ca1)")   # the HTIF command runs on the high word
    handler = symbol(elf, "trap_handler")
    events = [line for line in lines if line.startswith("--")]
    assert len(events) == 2
    assert events[0].startswith("-- interrupt: mcause 0x80000007 (machine timer interrupt); at ")
    assert events[0].endswith(f"-> {handler:#010x} <trap_handler+0>")
    # The revoked capability comes back untagged from CLC: its load shows ca1 with tag=0.
    obj = symbol(elf, "obj")
    untagged = [line for line in lines if "clc ca1, 0(ca4)" in line and "tag=0" in line]
    assert len(untagged) == 1 and f"address={obj:#010x} base={obj:#010x}" in untagged[0]


def test_ctrl_c_ends_the_run_with_a_report(build: Build) -> None:
    elf = build("sail_devices.S", "sail")
    command = [*COMMAND, "run", str(elf), "--entry", hex(symbol(elf, "hang"))]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], DEADLINE)
        if not ready:
            process.kill()
        assert ready, f"the firmware printed nothing in {DEADLINE} s"
        assert process.stdout.readline() == "hanging\n"   # the engine is running
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stdout == ""
    report = stderr.splitlines()
    assert report[0].startswith("cheriot-gdbserver: interrupted after ")
    # Where it stopped depends on when the signal arrived: the tail of `print` or the loop.
    assert report[1].startswith("  pc 0x")
    assert "  last instructions:" in report


def test_request_stop_ends_a_loop_that_never_calls_python(build: Build) -> None:
    """Ctrl-C calls request_stop on the main thread while the engine runs on its worker; the
    compiled fast path must notice it inside a loop it runs without ever calling Python."""
    elf = build("sail_devices.S", "sail")
    image = load_elf(elf)
    image.entry = symbol(elf, "hang")
    machine = Machine(load_board("sail"), image, uart_output=io.BytesIO())
    results: list[RunResult] = []
    runner = threading.Thread(target=lambda: results.append(run_machine(machine)),
                              daemon=True)
    runner.start()
    deadline = time.monotonic() + DEADLINE
    while machine.engine.core.instret < 100_000:   # wait (busily) until deep in the loop
        assert runner.is_alive(), f"the run ended early: {results}"
        assert time.monotonic() < deadline, f"fewer than 100000 instructions in {DEADLINE} s"
    machine.engine.request_stop()
    runner.join(timeout=DEADLINE)
    assert not runner.is_alive(), f"request_stop did not end the run in {DEADLINE} s"
    (result,) = results
    loop = symbol(elf, "hang_loop")
    assert result.stop.kind is StopKind.INTERRUPTED
    assert result.status == 130
    assert result.instructions > 100_000
    assert result.report[0] == (
        f"cheriot-gdbserver: interrupted after {result.instructions} instructions")
    assert result.report[1:4] == [f"  pc {loop:#010x} <hang_loop+0>",
                                  f"  instruction: j {loop:#x}", "  last instructions:"]


@pytest.mark.parametrize("board", ["ibex-safe-simulator", "sonata"])
def test_faults_end_the_run_on_every_board(build: Build, board: str) -> None:
    elf = build("faults.S", board)
    buf = symbol(elf, "buf")
    done = cli("run", str(elf), "--board", board, "--entry", hex(symbol(elf, "tag_fault")))
    assert done.returncode == 120
    report = done.stderr.splitlines()
    assert report[0] == ("cheriot-gdbserver: unhandled fault: CHERI tag violation on load "
                         "through ca1")
    assert report[5] == (
        f"  capability ca1: address={buf:#010x} base={buf:#010x} top={buf + 16:#010x} "
        "length=0x10 perms=[GL LG SD LM SL LD MC] otype=unsealed tag=0")
