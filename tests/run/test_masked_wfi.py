"""wfi and the interrupt enables (tests/firmware/masked_wfi.S): the hart resumes when an
interrupt is pending and enabled in mie even with interrupts globally off, and nothing resumes
it with mie = 0 (RISC-V privileged spec, "Wait for Interrupt"), however soon a timer fires."""

from __future__ import annotations

import pytest

from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.core.stops import StopKind

from .support import Build, run_in_process


@pytest.mark.parametrize("reference", [False, True], ids=["fast", "reference"])
def test_a_masked_wfi_halts_and_an_enabled_one_wakes(build: Build, reference: bool) -> None:
    elf = build("masked_wfi.S", "sail")
    run = run_in_process(elf, "sail", reference=reference)
    assert run.uart == b"woke\n"
    stop = run.result.stop
    assert (stop.kind, stop.pc) == (StopKind.HALTED, load_elf(elf).symbols["second_wait"])
    assert stop.message == "wfi with every interrupt masked (mie = 0)"
    # the first wait lasts 100 ticks of 100 instructions; the second timer is due 100 ticks later
    assert 10_000 < run.machine.engine.core.instret < 20_000
