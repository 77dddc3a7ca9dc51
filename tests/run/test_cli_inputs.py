"""What `cheriot-gdbserver run` runs: the bundled firmware, raw images, and inputs it refuses
(one clear line on stderr and exit status 2)."""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import pytest

from cheriot_gdbserver.rtos import bundled

from .support import Build, cli
from .test_board_firmware import IBEX_OUTPUT

BUNDLED_OUTPUT = (
    "Hello from CHERIoT! (cheriot-gdbserver bundled firmware)\n"
    "timer interrupt taken\n"
    "goodbye\n"
)


def test_hello_test_image_greets_and_exits_0(tmp_path: Path) -> None:
    # The small test image (the default firmware is the RTOS demo, tests/rtos_firmware/): a
    # fresh cache directory, so it is assembled from rtos/firmware/hello.S.
    elf = bundled.build("hello", out_dir=tmp_path)
    done = cli("run", str(elf))
    assert done.stdout == BUNDLED_OUTPUT
    assert done.stderr == ""
    assert done.returncode == 0
    assert len(list(tmp_path.glob("hello-sail-*/hello.elf"))) == 1


def test_a_cached_image_is_never_older_than_its_sources(tmp_path: Path) -> None:
    """Sources newer by date but not by content (a checkout, a merge) reuse the cached image,
    made newer than them: else gdb warns for each that it is "more recent than executable"."""
    elf = bundled.build("hello", out_dir=tmp_path)
    built = elf.read_bytes()
    os.utime(elf, (1_000_000, 1_000_000))     # 1970: older than any source
    assert bundled.build("hello", out_dir=tmp_path) == elf
    assert elf.read_bytes() == built            # reused, not rebuilt
    assert elf.stat().st_mtime >= (bundled.FIRMWARE_DIR / "hello.S").stat().st_mtime


def test_raw_binary_with_load_and_entry(build: Build, tmp_path: Path) -> None:
    elf = build("ibex_devices.S", "ibex-safe-simulator", exit_status=3)
    raw = tmp_path / "ibex.bin"
    subprocess.run(["riscv64-unknown-elf-objcopy", "-O", "binary", str(elf), str(raw)],
                   check=True, timeout=60)
    done = cli("run", "--board", "ibex-safe-simulator", "--load", f"{raw}@0x20040000",
               "--entry", "0x20040000")
    assert done.stdout == IBEX_OUTPUT
    assert done.stderr == ""
    assert done.returncode == 3


def _refused(*args: str) -> str:
    done = cli("run", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    return lines[0]


def test_not_an_elf(tmp_path: Path) -> None:
    path = tmp_path / "firmware.txt"
    path.write_text("hello world\n")
    assert _refused(str(path)) == (
        f"cheriot-gdbserver: error: {path}: not an ELF file (it starts with b'hell'); "
        "for a raw binary use --load FILE@ADDRESS")


def test_an_x86_elf(tmp_path: Path) -> None:
    # A minimal ELF32 header for EM_386 (3): an executable for the wrong machine.
    header = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x8048000, 0, 0, 0, 52, 32, 0, 40, 0, 0)
    path = tmp_path / "x86.elf"
    path.write_bytes(header)
    assert _refused(str(path)) == (
        f"cheriot-gdbserver: error: {path}: not a 32-bit RISC-V ELF (EM_386, 32-bit); "
        "build the firmware for CHERIoT (rv32)")


def test_missing_firmware(tmp_path: Path) -> None:
    path = tmp_path / "missing.elf"
    assert _refused(str(path)) == (
        f"cheriot-gdbserver: error: {path}: cannot read: No such file or directory")


def test_malformed_board_file_names_file_and_field(build: Build, tmp_path: Path) -> None:
    board = tmp_path / "bad.json"
    board.write_text("""{
        "devices": { "uart": { "start": 0x10000000, "end": "soon" } },
        "instruction_memory": { "start": 0x80000000, "end": 0x80040000 },
        "heap": { "end": 0x80040000 },
    }""")
    line = _refused(str(build("sail_devices.S", "sail")), "--board", str(board))
    assert line == (f"cheriot-gdbserver: error: {board}: field 'devices.uart.end': 'soon' is "
                    "not a number (write an integer or a hex literal such as 0x80000000)")


def test_raw_image_needs_an_entry(tmp_path: Path) -> None:
    raw = tmp_path / "fw.bin"
    raw.write_bytes(b"\x01\x00")
    assert _refused("--load", f"{raw}@0x80000000") == (
        "cheriot-gdbserver: error: raw images need --entry ADDR (where the CPU starts)")


def test_unwritable_trace_file(build: Build, tmp_path: Path) -> None:
    trace = tmp_path / "no-such-directory" / "trace.txt"
    assert _refused(str(build("sail_devices.S", "sail")), "--trace", str(trace)) == (
        f"cheriot-gdbserver: error: {trace}: cannot write the trace: No such file or directory")


@pytest.mark.parametrize("budget", ["0", "-5", "many"])
def test_budget_must_be_a_positive_number(budget: str) -> None:
    done = cli("run", "--max-instructions", budget)
    assert done.returncode == 2
    assert "argument --max-instructions:" in done.stderr.splitlines()[-1]


def test_help_documents_the_exit_statuses() -> None:
    done = cli("run", "--help")
    assert done.returncode == 0
    for line in ("  120    unhandled fault: no trap handler can run (report on stderr)",
                 "  121    double fault: the trap handler faulted on its first instruction",
                 "  122    halted: wfi with nothing that can ever raise an interrupt",
                 "  124    the --max-instructions budget was used up",
                 "  130    interrupted (Ctrl-C)"):
        assert line in done.stdout.splitlines()


def test_an_unknown_option_is_refused_with_the_subcommands_usage() -> None:
    done = cli("run", "--bogus")
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith("usage: cheriot-gdbserver run [-h]")
    assert lines[-1] == "cheriot-gdbserver run: error: unrecognized arguments: --bogus"
