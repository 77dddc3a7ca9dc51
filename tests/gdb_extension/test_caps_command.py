"""``monitor caps``: many capabilities in one exchange, as JSON (the gdb extension's source of
tags). Run through the ``cheriot-gdbserver monitor`` CLI on firmware/pointers.S stopped at
``locals_ready``, where g_tagged holds a capability stored by csc and g_untagged the same bits
stored as two words (isa.md §3.3: integer stores clear the granule's tag)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import nm


def monitor(elf: Path, *commands: str) -> list[str]:
    args = [sys.executable, "-m", "cheriot_gdbserver.cli", "monitor", str(elf),
            "--break", "locals_ready"]
    for command in commands:
        args += ["-c", command]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr  # 1: a command answered with an error
    return [line for line in (done.stdout + done.stderr).splitlines()
            if line.startswith(("{", "error", "cheriot-gdbserver: error"))]


def test_many_locations_in_one_document(pointers_elf: Path) -> None:
    symbols = nm(pointers_elf)
    (line,) = monitor(pointers_elf, "caps g_tagged,g_untagged,0x%x,csp,nowhere,0x10"
                      % (symbols["g_pair"] + 12))
    entries = json.loads(line)["caps"]
    tagged, untagged, pair_second, csp, nowhere, device = entries
    assert tagged["at"] == "g_tagged" and tagged["granule"] == symbols["g_tagged"]
    assert tagged["tag"] is True and tagged["address"] == symbols["counter"]
    # The copy: the same address and metadata words, no tag.
    assert untagged["tag"] is False
    assert (untagged["address"], untagged["meta"]) == (tagged["address"], tagged["meta"])
    assert pair_second["granule"] == symbols["g_pair"] + 8  # the granule holding the address
    assert pair_second["tag"] is False
    assert csp["at"] == "csp" and "granule" not in csp and csp["tag"] is True
    assert nowhere == {"at": "nowhere", "error": nowhere["error"]}
    assert "not a number, a symbol of the image or a register" in nowhere["error"]
    assert "capabilities are only stored in memory" in device["error"]


def test_too_many_locations_is_an_error(pointers_elf: Path) -> None:
    (line,) = monitor(pointers_elf, "caps " + ",".join(["csp"] * 513))
    assert line == "error: caps: argument LOCATIONS: 513 locations: at most 512 a call"
