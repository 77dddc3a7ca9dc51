"""Bad input through the real CLI: one line on stderr saying what is wrong, exit status 2, never
a traceback (issue 7, item 5)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from .support import Build, cli

SAIL = Path(__file__).resolve().parents[2] / "boards" / "sail.json"


def refused(*args: str) -> str:
    done = cli("run", *args, "--max-instructions", "1000")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def patched_elf(build: Build, tmp_path: Path, patch) -> Path:  # noqa: ANN001 - a callable
    data = bytearray(build("daemon_states.S", "sail").read_bytes())
    patch(data)
    path = tmp_path / "patched.elf"
    path.write_bytes(data)
    return path


def first_load_header(data: bytearray) -> int:
    phoff = struct.unpack_from("<I", data, 28)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    for i in range(phnum):
        if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1:  # PT_LOAD
            return phoff + i * phentsize
    raise AssertionError("no PT_LOAD")


def board_patch(tmp_path: Path, *ops: dict) -> Path:
    path = tmp_path / "board.json"
    path.write_text(json.dumps({"base": str(SAIL), "patch": list(ops)}))
    return path


def test_a_segment_with_a_huge_memory_size(build: Build, tmp_path: Path) -> None:
    def huge(data: bytearray) -> None:
        struct.pack_into("<I", data, first_load_header(data) + 20, 0xFFFF_F000)  # p_memsz

    elf = patched_elf(build, tmp_path, huge)
    assert refused(str(elf)) == (
        f"cheriot-gdbserver: error: {elf}: program header 0 (0xfffff000 bytes at 0x80000000) "
        "is larger than any board's memory")


def test_a_shared_object_is_not_firmware(build: Build, tmp_path: Path) -> None:
    elf = patched_elf(build, tmp_path, lambda data: struct.pack_into("<H", data, 16, 3))
    assert refused(str(elf)) == (
        f"cheriot-gdbserver: error: {elf}: not an executable ELF (ET_DYN); firmware is linked "
        "at fixed addresses (link without -shared/-pie)")


def test_more_ram_regions_than_the_engine_has(build: Build, tmp_path: Path) -> None:
    extra = [{"op": "add", "path": f"/emulator/memory/extra{i}",
              "value": {"start": 0x9000_0000 + i * 0x1000, "length": 0x1000}} for i in range(8)]
    board = board_patch(tmp_path, *extra)
    assert refused(str(build("daemon_states.S", "sail")), "--board", str(board)) == (
        f"cheriot-gdbserver: error: {board}: field 'emulator.memory': 9 RAM and ROM regions: "
        "the emulator supports at most 8")


def test_a_ram_region_of_gigabytes(build: Build, tmp_path: Path) -> None:
    board = board_patch(tmp_path, {"op": "add", "path": "/emulator/memory/huge",
                                   "value": {"start": 0x9000_0000, "end": 0xF000_0000}})
    assert refused(str(build("daemon_states.S", "sail")), "--board", str(board)) == (
        f"cheriot-gdbserver: error: {board}: field 'emulator.memory.huge': 0x60040000 bytes "
        "of RAM and ROM in all (0x60000000 here): the emulator supports at most 64 MiB")


def test_a_board_file_nested_too_deeply(tmp_path: Path) -> None:
    board = tmp_path / "deep.json"
    board.write_text("[" * 100_000 + "]" * 100_000)
    assert refused("--board", str(board)) == (
        f"cheriot-gdbserver: error: {board}: not a board description: its JSON nests too "
        "deeply")


def test_an_exit_symbol_the_image_lacks(build: Build, tmp_path: Path) -> None:
    board = board_patch(tmp_path, {"op": "replace", "path": "/emulator/exit",
                                   "value": {"kind": "htif", "symbol": "finished"}})
    elf = build("daemon_states.S", "sail")
    assert refused(str(elf), "--board", str(board)) == (
        f"cheriot-gdbserver: error: {elf}: board 'board' ends the simulation through the HTIF "
        "word 'finished', which the image does not define (link it in, or use a board whose "
        "exit suits the firmware)")
    # Without a named symbol (sail's own exit), firmware without `tohost` runs as before.
    done = cli("run", str(elf), "--max-instructions", "1000")
    assert (done.returncode, done.stdout) == (124, "spinning\n")
