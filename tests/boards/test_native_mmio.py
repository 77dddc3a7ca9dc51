"""Device accesses the fast path lets Unicorn run natively behave exactly as the reference's.

An aligned load or store through a valid capability into a device window runs natively: Unicorn
calls the device through the engine's MMIO callbacks, with no slow-path call. The device must
see the same access at the same time as under the reference semantics (Memory.load/store in
Python): the same clock value (the instruction count before the access retires), the same
values, the same side effects. Misaligned accesses, and accesses to a page's hole between
device windows, stay with the reference.

The timer is the CHERIoT-SAFE interrupt controller's ``system_timer`` (microsoft/cheriot-safe
``msftDvIp_creg_intc.sv``: +0x14, counts every clock; ibex-safe-simulator ticks once per
instruction), so a read shows exactly when the device saw it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import AS, assemble
from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.devices.cheriot_safe_periph import SafeGpio
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.engine import Catch

PROGRAM = """
.include "cheriot.inc"
.section .text.start, "ax"
.globl _start
_start:
    cspecialr ca5, mtdc            # memory root
    li t0, 0x8f000600
    csetaddr ca4, ca5, t0          # the interrupt controller
    li t0, 0x8f00f000
    csetaddr ca3, ca5, t0          # GPIO 0
    li a5, 40
loop:
    clw s0, 0x14(ca4)              # system_timer, aligned: native
    clhu s1, 0x14(ca4)             # halfword, aligned: native
    clw a0, 0x16(ca4)              # misaligned: the reference
    csw s0, 4(ca3)                 # LEDs: the timer's low bits
    csb a5, 5(ca3)                 # a byte into the same register (merged)
    clw a1, 4(ca3)
    addi a5, a5, -1
    bnez a5, loop
    clw a2, 0x14(ca4)
    ebreak
"""


def _run(elf: Path, reference: bool):
    machine = Machine(load_board("ibex-safe-simulator"), load_elf(elf), reference=reference)
    machine.engine.catch = Catch.ALL
    stop = machine.engine.run(10_000)
    assert stop.trap is not None and stop.trap.mcause == 3  # the ebreak
    return machine


def test_native_device_accesses_match_the_reference(tmp_path: Path) -> None:
    if shutil.which(AS) is None:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")
    elf = assemble(PROGRAM, tmp_path, text_address=0x2004_0000)
    fast, ref = _run(elf, False), _run(elf, True)
    fx, rx = fast.engine.hart.read_x, ref.engine.hart.read_x
    fast.engine.read_caps()
    ref.engine.read_caps()
    assert [fx(i) for i in range(16)] == [rx(i) for i in range(16)]
    assert fast.engine.core.instret == ref.engine.core.instret
    gpio_fast, gpio_ref = fast.devices.devices["gpio_led0"], ref.devices.devices["gpio_led0"]
    assert isinstance(gpio_fast, SafeGpio) and isinstance(gpio_ref, SafeGpio)
    assert gpio_fast.outputs == gpio_ref.outputs and len(gpio_fast.outputs) >= 40
    # A timer read is the count of instructions retired before it: the last load follows 7
    # set-up instructions and 40 iterations of 8.
    assert fx(12) == 7 + 8 * 40
    # Only the misaligned loads (one per iteration) and the ebreak left the fast path.
    assert fast.engine.core.n_slow <= 40 + 5


def test_a_hole_between_device_windows_still_faults(tmp_path: Path) -> None:
    if shutil.which(AS) is None:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")
    program = PROGRAM.replace("clw a2, 0x14(ca4)", "clw a2, 0x40(ca4)")  # psel_def: psuberr
    elf = assemble(program, tmp_path, text_address=0x2004_0000)
    for reference in (False, True):
        machine = Machine(load_board("ibex-safe-simulator"), load_elf(elf), reference=reference)
        machine.engine.catch = Catch.ALL
        stop = machine.engine.run(10_000)
        assert stop.trap is not None and stop.trap.mcause == 5  # load access fault
        assert stop.trap.mtval == 0x8f00_0640
