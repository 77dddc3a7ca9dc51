"""``cheriot-gdbserver run``'s budget report on the bundled RTOS image names the running thread,
its compartment and its compartment call chain (issue 9 part 6).

The budget is the instruction count at which a first run reached ``faulty_read`` (the emulator
is deterministic), so the second run ends in the demo thread's call into faulty. The expected
names come from the firmware's sources (demo.S: ``export demo, demo_main``, the call of
faulty_read followed by ``mv s1, a0``).
"""

from __future__ import annotations

import re
from pathlib import Path

from cheriot_gdbserver.rtos import bundled

from ..rtos_firmware.support import boot
from .support import cli


def test_budget_report_names_thread_compartment_and_call_chain(tmp_path: Path) -> None:
    elf = bundled.build("rtos", out_dir=tmp_path, board="sail")
    first = boot(elf)
    first.run_to("faulty_read")
    budget = first.machine.engine.core.instret
    done = cli("run", str(elf), "--max-instructions", str(budget))
    assert done.returncode == 124, done.stderr
    report = done.stderr
    assert "  thread: 1 demo.demo_main\n  compartment: faulty\n  call chain:\n" in report
    demo = (bundled.FIRMWARE_DIR / "demo" / "demo.S").read_text().splitlines()
    line = demo.index("\tmv s1, a0") + 1
    assert re.search(rf"\n    #1 faulty\.faulty_read called from 0x[0-9a-f]{{8}} "
                     rf"<demo_main\+\d+> at \S+demo\.S:{line}\n    #0 demo\.demo_main\n",
                     report), report
    assert "switcher:" not in report   # no fault: nothing for the switcher to do


def test_a_non_rtos_budget_report_is_unchanged(tmp_path: Path) -> None:
    elf = bundled.build("hello", out_dir=tmp_path, board="sail")
    done = cli("run", str(elf), "--max-instructions", "5")
    assert done.returncode == 124, done.stderr
    assert "thread:" not in done.stderr and "call chain" not in done.stderr
