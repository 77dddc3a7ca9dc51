"""Peripherals of the CHERIoT-SAFE APB bus (ibex-safe-simulator), from microsoft/cheriot-safe.

The bus decoder (``src/msft_cheri_subsystem/msftDvIp_periph_axi2apb_decode_decoder.sv``) maps
the interrupt controller at 0x8f000600, timers at 0x8f000800 and 0x8f000840, DMA 0x8f009000,
JTAG 0x8f00a000, UART 0x8f00b000, SPI 0x8f00c000, I2C 0x8f00d000 and GPIO at 0x8f00f000 and
0x8f00f800; an address no device claims gets a slave error (``psuberr`` with ``psel_def``),
which the core takes as a load/store access fault. This module models three of them:

* ``SafeIntc``, ``src/msft_cheri_subsystem/msftDvIp_creg_intc.sv``: +0x00 ``int_status``
  (write 1 to clear; set by its ``irqs`` inputs), +0x04 ``irq_enable``, +0x08 ``fiq_enable``,
  +0x0C ``irqx0_enable``, +0x10 ``irqx1_enable``, +0x14 ``system_timer``, a free-running
  counter incremented every clock and writable. Its only source here is timer 0 on bit 17
  (``irqs[17] = tmr0_irq`` in ``msftDvIp_periph_wrapper_v0.sv``); a source sets its bit until
  software clears it. Its outputs drive nothing (the CHERIoT-SAFE core's interrupts come
  through the PLIC).
* ``SafeTimer``, ``src/msft_cheri_subsystem/msftDvIp_creg_timer.sv``: +0x00 control (bit 0
  start, 1 clear, 2 count down, 3 interrupt enable, 4/5 error enables), +0x04 control 1
  (write-only: bit 0 time-slice reload), +0x08 bit 0 auto-increment, +0x0C compare, +0x10
  count (read-only), +0x14 saturation value, +0x18 status (write 1 to clear), +0x1C divider
  (writable while stopped). While started, the count moves once every ``divider + 1`` clocks;
  at such a step, counting down and equal to the saturation value stops the timer, equal to
  the compare value with auto-increment adds the first compare value to it again, and
  counting down at 0 with time-slice reloads the compare value; each of these sets status and,
  with the interrupt enabled, raises the timer's interrupt. Its error outputs are not
  modelled.
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


TIMER_SIZE = 0x40
TIMER0_IRQ_BIT = 17


class SafeIntc(RegisterDevice):
    def __init__(self, clock: Clock, *, size: int = INTC_SIZE,
                 sources: dict[int, SafeTimer] | None = None) -> None:
        self.size = size
        self.clock = clock
        self.sources = sources or {}  # int_status bit -> device raising it
        self.status = 0
        self.enables = {IRQ_ENABLE: 0, FIQ_ENABLE: 0, IRQX0_ENABLE: 0, IRQX1_ENABLE: 0}
        self._timer_offset = 0  # system_timer = offset + clock.now()

    def update(self) -> None:
        for bit, source in self.sources.items():
            if source.take_interrupt():
                self.status |= 1 << bit

    def _peek_word(self, offset: int) -> int:
        if offset == INT_STATUS:
            pending = sum(1 << bit for bit, source in self.sources.items()
                          if source.interrupt_pending())
            return self.status | pending
        if offset in self.enables:
            return self.enables[offset]
        if offset == SYSTEM_TIMER:
            return (self._timer_offset + self.clock.now()) & MASK32
        return 0

    def _read_word(self, offset: int) -> int:
        self.update()
        return self._peek_word(offset)

    def _write_word(self, offset: int, value: int) -> None:
        self.update()
        if offset == INT_STATUS:
            self.status &= ~value & MASK32
        elif offset in self.enables:
            self.enables[offset] = value
        elif offset == SYSTEM_TIMER:
            self._timer_offset = (value - self.clock.now()) & MASK32


T_CTRL0, T_CTRL1, T_INC, T_OCMP0, T_CNT, T_SAT, T_STAT, T_DIV = range(0, 0x20, 4)


class SafeTimer(RegisterDevice):
    def __init__(self, clock: Clock, *, size: int = TIMER_SIZE) -> None:
        self.size = size
        self.clock = clock
        self.ctrl0 = 0            # bits 5:2 (bit 0, start, is `started`)
        self.started = False
        self.tslice = False
        self.auto_inc = 0
        self.ocmp0 = self.shadow = 0
        self.count = 0
        self.saturation = MASK32
        self.status = 0
        self.divider = MASK32
        self.div_count = 0
        self._irq_latched = False  # an interrupt since the controller last looked
        self._last = clock.now()

    @property
    def dec(self) -> bool:
        return bool(self.ctrl0 & 4)

    def interrupt_pending(self) -> bool:
        self._advance()
        return self._irq_latched

    def take_interrupt(self) -> bool:
        self._advance()
        raised, self._irq_latched = self._irq_latched, False
        return raised

    def _advance(self) -> None:
        now = self.clock.now()
        clocks, self._last = now - self._last, now
        period = self.divider + 1
        if not self.started or clocks <= 0:
            return
        if not self.dec and not self.auto_inc & 1:
            # Counting up with no compare action: nothing but the count can happen.
            steps, self.div_count = divmod(self.div_count + clocks, period)
            self.count = (self.count + steps) & MASK32
            return
        while clocks > 0 and self.started:
            wait = self.divider - self.div_count     # clocks before the next step
            if wait >= clocks:
                self.div_count += clocks
                return
            clocks -= wait + 1
            self.div_count = 0
            self._step()

    def _step(self) -> None:
        """One clock at which the divider matches (the RTL's tmr_div_match)."""
        reload = self.tslice and self.dec and self.count == 0
        stop = self.dec and self.count == self.saturation
        bump = bool(self.auto_inc & 1) and self.count == self.ocmp0
        if stop:
            self.started = False
        if bump:
            self.ocmp0 = (self.ocmp0 + self.shadow) & MASK32
        if reload:
            self.count = self.ocmp0
        else:
            self.count = (self.count + (-1 if self.dec else 1)) & MASK32
        if reload or stop or bump:
            self.status = 1
            if self.ctrl0 & 8:
                self._irq_latched = True

    def _peek_word(self, offset: int) -> int:
        return {T_CTRL0: self.ctrl0 | int(self.started), T_INC: self.auto_inc,
                T_OCMP0: self.ocmp0, T_CNT: self.count, T_SAT: self.saturation,
                T_STAT: self.status, T_DIV: self.divider}.get(offset, 0)

    def _read_word(self, offset: int) -> int:
        self._advance()
        return self._peek_word(offset)

    def _write_word(self, offset: int, value: int) -> None:
        self._advance()
        if offset == T_CTRL0:
            self.ctrl0 = value & 0x3C
            if value & 2:  # clear: the count, and the divider while started
                self.count = 0
                if value & 1:
                    self.div_count = 0
            self.started = bool(value & 1)
        elif offset == T_CTRL1:
            self.tslice = bool(value & 1)
        elif offset == T_INC:
            self.auto_inc = value & 0xF
        elif offset == T_OCMP0:
            self.ocmp0 = self.shadow = value
        elif offset == T_SAT:
            self.saturation = value
        elif offset == T_STAT and value & 1:
            self.status = 0
        elif offset == T_DIV and not self.started:
            self.divider = value


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
