"""The CHERIoT-SAFE APB peripherals on the ibex-safe-simulator board, from real machine code.

Expected behaviour from microsoft/cheriot-safe: the decoder
``msftDvIp_periph_axi2apb_decode_decoder.sv`` (device windows; ``psel_def`` answers every other
address with ``psuberr``, a bus error the core reports as a load/store access fault, mcause 5/7),
``msftDvIp_creg_intc.sv`` (``system_timer`` at +0x14 counts every clock and is writable;
``int_status`` at +0x00 is write-1-to-clear, bit 17 is timer 0 per
``msftDvIp_periph_wrapper_v0.sv``),
``msftDvIp_creg_timer.sv`` (divider, saturation stop, auto-increment, time-slice reload, status)
and ``msftDvIp_gpio.sv`` (+0x04 output and +0x08 output enable read back; +0x00 reads the pins).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import AS, assemble
from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.devices.base import ManualClock
from cheriot_gdbserver.boards.devices.cheriot_safe_periph import SafeGpio, SafeIntc, SafeTimer
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.core.stops import StopKind

PROGRAM = """
.include "cheriot.inc"
.section .text.start, "ax"
.globl _start
_start:
    cspecialr ca5, mtdc            # memory root
    li t0, 0x8f000600
    csetaddr ca4, ca5, t0          # the interrupt controller
    clw s0, 0x14(ca4)              # system_timer
    nop
    nop
    clw s1, 0x14(ca4)              # three instructions later
    li t0, 0x8f00f000
    csetaddr ca3, ca5, t0          # GPIO 0
    li t1, 0xa5
    csw t1, 4(ca3)                 # LEDs
    li t1, 0xff
    csw t1, 8(ca3)                 # output enable
    clw a0, 4(ca3)
    clw a1, 8(ca3)
    clw a4, 0(ca3)                 # pins: undriven
    li t0, {probe:#x}
    csetaddr ca2, ca5, t0
fault:
    clw t2, 0(ca2)
    ebreak
"""


def run(tmp_path: Path, probe: int):
    if shutil.which(AS) is None:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")
    elf = assemble(PROGRAM.format(probe=probe), tmp_path, text_address=0x2004_0000)
    machine = Machine(load_board("ibex-safe-simulator"), load_elf(elf))
    machine.engine.catch = Catch.ALL
    stop = machine.engine.run(200)
    assert stop.kind is StopKind.EXCEPTION and stop.trap is not None
    return machine, stop.trap


def test_timer_counts_and_gpio_reads_back(tmp_path: Path) -> None:
    machine, trap = run(tmp_path, 0x8f00_0610)   # irqx1_enable: a register, no fault
    x = machine.engine.hart.read_x
    assert trap.mcause == 3                       # reached the ebreak
    assert x(9) - x(8) == 3                       # one count per instruction time
    assert (x(10), x(11), x(14)) == (0xA5, 0xFF, 0)
    gpio = machine.devices.devices["gpio_led0"]
    assert isinstance(gpio, SafeGpio)
    assert [value for _, value in gpio.outputs] == [0xA5]


@pytest.mark.parametrize("probe", [0x8f00_0000, 0x8f00_0640, 0x8f00_0880, 0x8f00_e000])
def test_addresses_no_device_claims_fault(tmp_path: Path, probe: int) -> None:
    _, trap = run(tmp_path, probe)
    assert (trap.mcause, trap.mtval) == (5, probe)   # load access fault at the address


def test_intc_registers() -> None:
    clock = ManualClock(10)
    intc = SafeIntc(clock)
    assert intc.read(0x14, 4) == 10
    intc.write(0x14, 4, 100)
    clock.advance(5)
    assert intc.read(0x14, 4) == 105
    for offset in (0x04, 0x08, 0x0C, 0x10):
        intc.write(offset, 4, 0x1234_0000 + offset)
        assert intc.read(offset, 4) == 0x1234_0000 + offset
    intc.status = 0b1011
    intc.write(0x00, 4, 0b0010)                   # write 1 to clear
    assert intc.read(0x00, 4) == 0b1001


def test_gpio_edge_latches_clear_by_writing_one() -> None:
    gpio = SafeGpio(ManualClock())
    gpio.rising, gpio.falling, gpio.spi_event = 0b110, 0b011, 0b1
    gpio.write(0x1C, 4, 0b010)
    gpio.write(0x20, 4, 0b001)
    assert (gpio.read(0x1C, 4), gpio.read(0x20, 4)) == (0b100, 0b010)
    assert gpio.read(0x24, 4) == 1 and gpio.read(0x24, 4) == 0   # cleared by the read
    gpio.write(0x28, 4, 7)
    assert gpio.read(0x28, 4) == 7


# --- msftDvIp_creg_timer.sv ----------------------------------------------------------------------

def timer(start: int = 0, **registers: int) -> tuple[ManualClock, SafeTimer]:
    clock = ManualClock(start)
    t = SafeTimer(clock)
    for offset, value in registers.items():
        t.write(int(offset[1:], 16), 4, value)
    return clock, t


def test_timer_reset_values_and_divider():
    clock, t = timer()
    assert [t.read(off, 4) for off in range(0, 0x20, 4)] == [
        0, 0, 0, 0, 0, 0xFFFF_FFFF, 0, 0xFFFF_FFFF]       # tmr_sat, tmr_div reset to all ones
    t.write(0x1C, 4, 3)                                   # divide by 4 (writable while stopped)
    t.write(0x00, 4, 1)                                   # start, count up
    clock.advance(4 * 10)
    assert t.read(0x10, 4) == 10
    t.write(0x1C, 4, 0)                                   # ignored while started
    assert t.read(0x1C, 4) == 3
    t.write(0x00, 4, 0b11)                                # clear (and keep running)
    assert t.read(0x10, 4) == 0
    clock.advance(8)
    assert t.read(0x10, 4) == 2


def test_timer_counting_down_stops_at_saturation_and_interrupts():
    clock, t = timer(x1C=0, x14=5)                        # every clock, saturate at 5
    t.write(0x00, 4, 1)                                   # count up from 0 to 8 first
    clock.advance(8)
    assert t.read(0x10, 4) == 8
    t.write(0x00, 4, 0b1101)                              # start, down, interrupt enable
    clock.advance(2)
    assert (t.read(0x10, 4), t.read(0x18, 4)) == (6, 0)
    clock.advance(5)
    assert t.read(0x10, 4) == 4                           # the step at 5 stopped it
    assert t.read(0x00, 4) & 1 == 0
    assert t.read(0x18, 4) == 1                           # tmr_stat set by the irq
    assert t.take_interrupt() and not t.take_interrupt()
    t.write(0x18, 4, 1)                                   # write 1 to clear
    assert t.read(0x18, 4) == 0


def test_timer_auto_increment_reaches_the_interrupt_controller():
    clock = ManualClock()
    t = SafeTimer(clock)
    intc = SafeIntc(clock, sources={17: t})
    t.write(0x1C, 4, 0)
    t.write(0x0C, 4, 10)                                  # compare 10, shadow 10
    t.write(0x08, 4, 1)                                   # auto-increment
    t.write(0x00, 4, 0b1001)                              # start, up, interrupt enable
    clock.advance(11)                                     # the step at count 10
    assert t.read(0x0C, 4) == 20                          # compare += the first compare
    assert intc.read(0x00, 4) == 1 << 17                  # irqs[17] = tmr0_irq, latched
    intc.write(0x00, 4, 1 << 17)
    assert intc.read(0x00, 4) == 0
    clock.advance(10)
    assert intc.read(0x00, 4) == 1 << 17


def test_timer_time_slice_reloads_at_zero():
    clock, t = timer(x1C=0, x0C=3)
    t.write(0x04, 4, 1)                                   # time slice
    t.write(0x00, 4, 0b0101)                              # start, down (count 0)
    clock.advance(1)
    assert t.read(0x10, 4) == 3                           # reloaded from the compare value
    clock.advance(3)
    assert t.read(0x10, 4) == 0
    clock.advance(1)
    assert t.read(0x10, 4) == 3
    assert t.read(0x18, 4) == 1
