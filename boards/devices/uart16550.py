"""16550-style UART as the CHERIoT RTOS drives it (isa.md §8.4).

Registers are 8-bit values at a ``1 << reg_shift`` stride (4 bytes on every CHERIoT board);
only the low byte lane of each register is decoded, other lanes read 0 and ignore writes.

| Offset (stride 4) | DLAB = 0                        | DLAB = 1            |
|-------------------|---------------------------------|---------------------|
| 0x00              | RBR (read) / THR (write)        | divisor latch low   |
| 0x04              | IER (bits 0-3)                  | divisor latch high  |
| 0x08              | IIR (read) / FCR (write)        |                     |
| 0x0C              | LCR (bit 7 = DLAB)              |                     |
| 0x10 / 0x14 / 0x18 / 0x1C | MCR / LSR / MSR / scratch |                   |

Transmission is instantaneous: LSR always reports THR empty and transmitter empty, and every
byte written to THR goes to ``output`` at once (flushed at each newline and on ``flush()``).
The last ``history`` bytes are kept for ``monitor uart``. With ``on_exit`` given, a byte of
0x80 or more is not printed but ends the run with code ``byte - 0x80`` (the CHERIoT-SAFE
simulator's exit convention, isa.md §8.4).

Reception: bytes come from ``feed()`` and, when a ``rx_source`` is given, from polling it
(it must not block, and returns the bytes available, possibly none) whenever the guest reads
RBR, IIR or LSR and on ``update()``. LSR bit 0 (data ready) is set while the receive FIFO holds
data. Interrupt output (optional ``irq``): IIR's pending conditions, received data (IER bit 0)
and THR empty (IER bit 1; set when enabled or after a write, cleared by a THR write or an IIR
read that reports it). Line-status and modem-status interrupts never occur.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import BinaryIO

from .base import ConsoleOutput, Device, ExitHandler, LineSetter

RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR = range(8)
LCR_DLAB = 0x80
LSR_DR, LSR_THRE, LSR_TEMT = 0x01, 0x20, 0x40
IIR_NONE, IIR_THRE, IIR_RDA, IIR_FIFO = 0x01, 0x02, 0x04, 0xC0
EXIT_BYTE_BASE = 0x80


class Uart16550(Device, ConsoleOutput):
    def __init__(self, *, output: BinaryIO | None = None,
                 rx_source: Callable[[], bytes] | None = None,
                 on_exit: ExitHandler | None = None, irq: LineSetter | None = None,
                 reg_shift: int = 2, size: int = 0x100, history: int = 4096) -> None:
        self.size = size
        ConsoleOutput.__init__(self, output, history)
        self.rx_source = rx_source
        self.on_exit = on_exit
        self._irq = irq
        self.reg_shift = reg_shift
        self._rx: deque[int] = deque()
        self.ier = 0
        self.lcr = 0
        self.mcr = 0
        self.scr = 0
        self.divisor = 0
        self.fifo_enabled = False
        self._thre_pending = False
        self._irq_out = False

    # --- host side -------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Queue bytes for the guest to receive."""
        self._rx.extend(data)
        self.update()



    def _poll_input(self) -> None:
        if self.rx_source is not None:
            self._rx.extend(self.rx_source())

    def _transmit(self, byte: int) -> None:
        if self.on_exit is not None and byte >= EXIT_BYTE_BASE:
            self.flush()
            self.on_exit(byte - EXIT_BYTE_BASE)
            return
        self.emit(byte)

    # --- interrupt --------------------------------------------------------------------------

    def _iir(self) -> int:
        fifo = IIR_FIFO if self.fifo_enabled else 0
        if self.ier & 1 and self._rx:
            return fifo | IIR_RDA
        if self.ier & 2 and self._thre_pending:
            return fifo | IIR_THRE
        return fifo | IIR_NONE

    def update(self) -> None:
        self._poll_input()
        level = not self._iir() & IIR_NONE
        if level != self._irq_out:
            self._irq_out = level
            if self._irq is not None:
                self._irq(level)

    # --- registers ---------------------------------------------------------------------------

    def _register(self, offset: int) -> int | None:
        if offset & ((1 << self.reg_shift) - 1):
            return None  # not the low byte lane
        return offset >> self.reg_shift

    def _value(self, reg: int) -> int:
        dlab = self.lcr & LCR_DLAB
        if reg == RBR_THR:
            return self.divisor & 0xFF if dlab else (self._rx[0] if self._rx else 0)
        if reg == IER:
            return self.divisor >> 8 if dlab else self.ier
        if reg == IIR_FCR:
            return self._iir()
        if reg == LCR:
            return self.lcr
        if reg == MCR:
            return self.mcr
        if reg == LSR:
            return LSR_THRE | LSR_TEMT | (LSR_DR if self._rx else 0)
        if reg == SCR:
            return self.scr
        return 0  # MSR: no modem lines

    def peek(self, offset: int, size: int) -> int | None:
        reg = self._register(offset)
        return 0 if reg is None else self._value(reg)

    def read(self, offset: int, size: int) -> int:
        reg = self._register(offset)
        if reg is None:
            return 0
        if reg in (RBR_THR, IIR_FCR, LSR) and not self._rx:
            self._poll_input()
        value = self._value(reg)
        if reg == RBR_THR and not self.lcr & LCR_DLAB and self._rx:
            self._rx.popleft()
        elif reg == IIR_FCR and value & 0x0F == IIR_THRE:
            self._thre_pending = False
        self.update()
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        reg = self._register(offset)
        if reg is None:
            return
        value &= 0xFF
        dlab = self.lcr & LCR_DLAB
        if reg == RBR_THR:
            if dlab:
                self.divisor = (self.divisor & 0xFF00) | value
            else:
                self._transmit(value)
                self._thre_pending = True  # sent at once, so THR is empty again
        elif reg == IER:
            if dlab:
                self.divisor = (self.divisor & 0x00FF) | (value << 8)
            else:
                if value & 2 and not self.ier & 2:
                    self._thre_pending = True
                self.ier = value & 0x0F
        elif reg == IIR_FCR:
            self.fifo_enabled = bool(value & 1)
            if value & 2:
                self._rx.clear()
        elif reg == LCR:
            self.lcr = value
        elif reg == MCR:
            self.mcr = value & 0x1F
        elif reg == SCR:
            self.scr = value
        self.update()


def nonblocking_reader(fd: int) -> Callable[[], bytes]:
    """A ``rx_source`` for the UART: whatever a file descriptor has ready (POSIX, no wait)."""
    import os
    import select

    def poll() -> bytes:
        ready, _, _ = select.select([fd], [], [], 0)
        return os.read(fd, 4096) if ready else b""

    return poll
