"""Issue 11 item 5: ``info cheriot`` on the bundled RTOS firmware (demo calls
faulty.faulty_read, rtos/firmware/demo/demo.S) and on firmware without the RTOS. Expected
values come from the image through binutils (nm, readelf) and the firmware's sources."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from cheriot_gdbmi import Gdb

from .conftest import nm, run_to


def section(elf: Path, name: str) -> tuple[int, int]:
    """(start, end) of a section, from readelf -S."""
    out = subprocess.run(["riscv64-unknown-elf-readelf", "-SW", str(elf)], check=True,
                         text=True, capture_output=True).stdout
    m = re.search(rf"\] {re.escape(name)}\s+\S+\s+([0-9a-f]{{8}})\s+[0-9a-f]+\s+([0-9a-f]+)",
                  out)
    assert m, name
    return int(m.group(1), 16), int(m.group(1), 16) + int(m.group(2), 16)


def test_in_a_compartment_call(rtos_gdb: Gdb, rtos_elf: Path) -> None:
    run_to(rtos_gdb, "faulty_read")
    lines = rtos_gdb.console("info cheriot").splitlines()
    start, end = section(rtos_elf, ".faulty_code")
    pc = nm(rtos_elf)["faulty_read"]
    assert lines[0].startswith("thread 1 demo.demo_main: state=running compartment=faulty ")
    assert lines[1] == "compartments: demo -> faulty (2 frames on the trusted stack)"
    # PCC: the faulty compartment's code capability (the loader bounds it to the code
    # section, executable, unsealed), at the entry point.
    assert re.fullmatch(rf"pcc: {pc:#x} <faulty_read> \(v:1 {start:#x}-{end:#x} "
                        rf"l:{end - start:#x} o:0x0 p: . R.*X. ...\)", lines[2]), lines[2]
    assert lines[3].strip() == f"code of faulty [{start:#010x}, {end:#010x}): compartment"


def test_without_the_rtos(pointers_gdb: Gdb, pointers_elf: Path) -> None:
    lines = pointers_gdb.console("info cheriot").splitlines()
    assert lines[0].startswith("thread: no RTOS view: not a CHERIoT RTOS image"), lines
    entry = nm(pointers_elf)["_start"]
    # PCC at reset: the executable root (isa.md §2.11), G R-cgm- Xa ---.
    assert lines[1] == (f"pcc: {entry:#x} <_start> (v:1 0x0-0x100000000 l:0x100000000 o:0x0 "
                        "p: G R-cgm- Xa ---)")
