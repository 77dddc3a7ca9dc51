"""Peripherals of the CHERIoT-SAFE APB bus (ibex-safe-simulator), from microsoft/cheriot-safe.

The bus decoder (``src/msft_cheri_subsystem/msftDvIp_periph_axi2apb_decode_decoder.sv``) maps
the interrupt controller at 0x8f000600, timers at 0x8f000800 and 0x8f000840, DMA 0x8f009000,
JTAG 0x8f00a000, UART 0x8f00b000, SPI 0x8f00c000, I2C 0x8f00d000 and GPIO at 0x8f00f000 and
0x8f00f800; an address no device claims gets a slave error (``psuberr`` with ``psel_def``),
which the core takes as a load/store access fault. This module models two of them:

* ``SafeIntc``, ``src/msft_cheri_subsystem/msftDvIp_creg_intc.sv``: +0x00 ``int_status``
  (write 1 to clear; set by its ``irqs`` inputs), +0x04 ``irq_enable``, +0x08 ``fiq_enable``,
  +0x0C ``irqx0_enable``, +0x10 ``irqx1_enable``, +0x14 ``system_timer``, a free-running
  counter incremented every clock and writable. No interrupt source is wired to it here and
  its outputs drive nothing (as in the CHERIoT-SAFE core, whose interrupts go through the
  PLIC), so ``int_status`` reads 0.
* ``SafeGpio``, ``src/msft_cheri_subsystem/msftDvIp_gpio.sv``: +0x00 pin inputs (no pin is
  driven here: 0), +0x04 output, +0x08 output enable, +0x0C alternate function select,
  +0x10 open-drain, +0x14 open-source, +0x18 pull-up, +0x1C rising-edge and +0x20
  falling-edge latches (write 1 to clear; with undriven inputs they stay 0), +0x24 SPI-clock
  event (cleared by reading), +0x28 second alternate function select. ``outputs`` records each
  new output value (the LEDs of the Arty A7 board) with the instant it was written.

Time: one clock is one instruction time (as ``mtime`` on this board).
"""

from __future__ import annotations

import structlog

from .base import MASK32, Clock, RegisterDevice

log = structlog.get_logger(__name__)

INTC_SIZE = 0x40
GPIO_SIZE = 0x800

INT_STATUS, IRQ_ENABLE, FIQ_ENABLE, IRQX0_ENABLE, IRQX1_ENABLE, SYSTEM_TIMER = range(0, 0x18, 4)


class SafeIntc(RegisterDevice):
    def __init__(self, clock: Clock, *, size: int = INTC_SIZE) -> None:
        self.size = size
        self.clock = clock
        self.status = 0
        self.enables = {IRQ_ENABLE: 0, FIQ_ENABLE: 0, IRQX0_ENABLE: 0, IRQX1_ENABLE: 0}
        self._timer_offset = 0  # system_timer = offset + clock.now()

    def _peek_word(self, offset: int) -> int:
        if offset == INT_STATUS:
            return self.status
        if offset in self.enables:
            return self.enables[offset]
        if offset == SYSTEM_TIMER:
            return (self._timer_offset + self.clock.now()) & MASK32
        return 0

    def _read_word(self, offset: int) -> int:
        return self._peek_word(offset)

    def _write_word(self, offset: int, value: int) -> None:
        if offset == INT_STATUS:
            self.status &= ~value & MASK32
        elif offset in self.enables:
            self.enables[offset] = value
        elif offset == SYSTEM_TIMER:
            self._timer_offset = (value - self.clock.now()) & MASK32


GPIO_IN, GPIO_OUT, GPIO_OE, GPIO_ALT, GPIO_OD, GPIO_OS, GPIO_PU = range(0, 0x1C, 4)
GPIO_RISE, GPIO_FALL, GPIO_SPI_EVENT, GPIO_ALT1 = 0x1C, 0x20, 0x24, 0x28
_GPIO_PLAIN = (GPIO_OUT, GPIO_OE, GPIO_ALT, GPIO_OD, GPIO_OS, GPIO_PU, GPIO_ALT1)


class SafeGpio(RegisterDevice):
    def __init__(self, clock: Clock, *, size: int = GPIO_SIZE) -> None:
        self.size = size
        self.clock = clock
        self.registers = dict.fromkeys(_GPIO_PLAIN, 0)
        self.inputs = 0
        self.rising = self.falling = self.spi_event = 0
        self.outputs: list[tuple[int, int]] = []   # (instant, new output value)

    def _peek_word(self, offset: int) -> int:
        if offset == GPIO_IN:
            return self.inputs
        if offset in self.registers:
            return self.registers[offset]
        return {GPIO_RISE: self.rising, GPIO_FALL: self.falling,
                GPIO_SPI_EVENT: self.spi_event}.get(offset, 0)

    def _read_word(self, offset: int) -> int:
        value = self._peek_word(offset)
        if offset == GPIO_SPI_EVENT:
            self.spi_event = 0
        return value

    def _write_word(self, offset: int, value: int) -> None:
        if offset in self.registers:
            if offset == GPIO_OUT and value != self.registers[GPIO_OUT]:
                self.outputs.append((self.clock.now(), value))
                log.debug("gpio.out", value=hex(value))
            self.registers[offset] = value
        elif offset == GPIO_RISE:
            self.rising &= ~value & MASK32
        elif offset == GPIO_FALL:
            self.falling &= ~value & MASK32
