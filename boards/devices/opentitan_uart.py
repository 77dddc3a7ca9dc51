"""The OpenTitan UART (lowRISC ``hw/ip/uart`` 2.0, as Sonata vendors it): Sonata's ``uart``,
``uart1`` and ``uart2``.

Registers (32 bits each; 0x34-byte window):

| Offset | Register | Fields |
|---|---|---|
| 0x00 | INTR_STATE | interrupt bits (below) |
| 0x04 | INTR_ENABLE | interrupt bits |
| 0x08 | INTR_TEST | interrupt bits (write only) |
| 0x0C | ALERT_TEST | write only |
| 0x10 | CTRL | TX 0, RX 1, NF 2, SLPBK 4, LLPBK 5, parity 7:6, RXBLVL 9:8, NCO 31:16 |
| 0x14 | STATUS | TXFULL 0, RXFULL 1, TXEMPTY 2, TXIDLE 3, RXIDLE 4, RXEMPTY 5 |
| 0x18 | RDATA | read: the head of the RX FIFO, popped |
| 0x1C | WDATA | write: a byte into the TX FIFO |
| 0x20 | FIFO_CTRL | RXRST 0, TXRST 1 (write 1; read 0), RXILVL 4:2, TXILVL 7:5 |
| 0x24 | FIFO_STATUS | TX level 7:0, RX level 23:16 |
| 0x28 | OVRD | TXEN 0, TXVAL 1 |
| 0x2C | VAL | oversampled RX line 15:0 |
| 0x30 | TIMEOUT_CTRL | VAL 23:0 (bit times), EN 31 |

Interrupts (INTR_STATE/ENABLE/TEST bit order): tx_watermark 0, rx_watermark 1, tx_done 2,
rx_overflow 3, rx_frame_err 4, rx_break_err 5, rx_timeout 6, rx_parity_err 7, tx_empty 8.
tx_watermark, rx_watermark and tx_empty are *status* interrupts: INTR_STATE shows the condition
(TX level below the TXILVL threshold, RX level at or above the RXILVL threshold, TX FIFO
empty) ORed with the bit last written to INTR_TEST; writes to INTR_STATE do not change them.
The others are *events*: sticky, cleared by writing 1, set by writing 1 to INTR_TEST. The
output line (``irq``) is high while any enabled state bit is set; Sonata gives each UART one
PLIC source.

Modelling choices:

* Time: transmission and reception are instantaneous; the baud rate (CTRL.NCO) only sets the
  length of a bit time for the receive timeout, ``2**20 / NCO`` instruction times (one
  instruction is one clock).
* Transmit: WDATA puts the byte into the TX FIFO (``fifo_depth`` bytes, 8 on Sonata; a byte
  written to a full FIFO is lost, as in hardware). While CTRL.TX is set the FIFO empties at
  once, so a driver that enabled TX (the RTOS's init does) never sees TXFULL and never waits;
  each time it empties, tx_done is raised. While CTRL.TX is clear the bytes wait in the FIFO,
  as in hardware, and go when TX is enabled. Bytes on the line go to ``output`` (flushed at
  each newline and on ``flush()``); the last ``history`` bytes are kept for ``monitor uart``.
  OVRD.TXEN holds the line, so bytes sent meanwhile are lost; CTRL.SLPBK sends them to the
  receiver instead of the line; CTRL.LLPBK puts the received line on the TX line instead.
* Receive: bytes from ``feed()`` and from polling ``rx_source`` (non-blocking, as for
  ``Uart16550``) wait on the host side and enter the RX FIFO while CTRL.RX is set and the FIFO
  has room: the host side is flow-controlled, nothing it sends is lost. ``rx_source`` is polled
  on guest reads of INTR_STATE, STATUS, RDATA and FIFO_STATUS and on ``update()``, only while
  the receiver takes bytes. rx_overflow arises only from system loopback into a full FIFO;
  framing, break and parity errors never occur. RDATA of an empty FIFO reads 0.
* Receive timeout: while TIMEOUT_CTRL.EN, CTRL.RX and NCO are set and the RX FIFO holds bytes,
  rx_timeout is raised every TIMEOUT_CTRL.VAL bit times that the FIFO level stays the same
  (with VAL = 0, at once and continually, as the hardware's counter comparison does). Writing
  CTRL or TIMEOUT_CTRL restarts the count.
* VAL reads 0xFFFF (an idle line) once the baud generator has run (TX or RX enabled with a
  non-zero NCO), 0 before. ALERT_TEST writes are ignored.
* Exit (optional ``on_exit``): the Sonata simulator ends, with status 0, when its UART sends
  the magic string ``EXIT_MAGIC`` (the RTOS's ``platform_simulation_exit`` for Sunburst boards
  writes it; the string carries no exit code). Here the run ends the same way; the text part
  is printed, the eight non-text bytes that follow are held back while they match and printed
  only if the match fails.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import BinaryIO

from .base import Clock, ConsoleOutput, ExitHandler, LineSetter, RegisterDevice

INTR_STATE, INTR_ENABLE, INTR_TEST, ALERT_TEST = 0x00, 0x04, 0x08, 0x0C
CTRL, STATUS, RDATA, WDATA = 0x10, 0x14, 0x18, 0x1C
FIFO_CTRL, FIFO_STATUS, OVRD, VAL, TIMEOUT_CTRL = 0x20, 0x24, 0x28, 0x2C, 0x30
SIZE = 0x34

TX_WATERMARK, RX_WATERMARK, TX_DONE, RX_OVERFLOW = 1 << 0, 1 << 1, 1 << 2, 1 << 3
RX_FRAME_ERR, RX_BREAK_ERR, RX_TIMEOUT, RX_PARITY_ERR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
TX_EMPTY = 1 << 8
INTR_MASK = 0x1FF
STATUS_INTRS = TX_WATERMARK | RX_WATERMARK | TX_EMPTY
EVENT_INTRS = INTR_MASK & ~STATUS_INTRS

CTRL_TX, CTRL_RX, CTRL_SLPBK, CTRL_LLPBK = 1 << 0, 1 << 1, 1 << 4, 1 << 5
CTRL_MASK = 0xFFFF_03F7
ST_TXFULL, ST_RXFULL, ST_TXEMPTY, ST_TXIDLE, ST_RXIDLE, ST_RXEMPTY = (1 << i for i in range(6))
FIFO_RXRST, FIFO_TXRST, FIFO_LEVELS = 1 << 0, 1 << 1, 0xFC
OVRD_TXEN, OVRD_MASK = 1 << 0, 0x3
TIMEOUT_EN, TIMEOUT_VAL, TIMEOUT_MASK = 1 << 31, 0xFF_FFFF, 0x80FF_FFFF

EXIT_MAGIC = b"Safe to exit simulator." + bytes.fromhex("d8affba0c7e1a9d7")
_MAGIC_TEXT = len(b"Safe to exit simulator.")   # printed as it is sent


def _clog2(n: int) -> int:
    return (n - 1).bit_length()


class OpenTitanUart(RegisterDevice, ConsoleOutput):
    events_follow_reads = True   # an RX FIFO read restarts the receive timeout

    def __init__(self, clock: Clock, *, output: BinaryIO | None = None,
                 rx_source: Callable[[], bytes] | None = None,
                 on_exit: ExitHandler | None = None, irq: LineSetter | None = None,
                 fifo_depth: int = 8, size: int = SIZE, history: int = 4096) -> None:
        if not 2 <= fifo_depth <= 255:
            raise ValueError("fifo_depth must be from 2 to 255 (the FIFO_STATUS level fields)")
        self.size = size
        self.clock = clock
        ConsoleOutput.__init__(self, output, history)
        self.rx_source = rx_source
        self.on_exit = on_exit
        self._irq = irq
        self.fifo_depth = fifo_depth
        self._host: deque[int] = deque()   # sent by the host, not yet in the RX FIFO
        self._rx: deque[int] = deque()
        self._tx: deque[int] = deque()
        self.intr_enable = 0
        self.ctrl = 0
        self.fifo_ctrl = 0                 # RXILVL and TXILVL only (the resets read 0)
        self.ovrd = 0
        self.timeout_ctrl = 0
        self.val = 0
        self._events = 0                   # event interrupt state bits
        self._test = 0                     # status interrupt bits forced by INTR_TEST
        self._rx_mark = 0                  # the instant the receive-timeout count restarted
        self._matched = 0                  # how much of EXIT_MAGIC the latest bytes sent are
        self._held: list[int] = []         # magic bytes not printed yet
        self._irq_out = False

    # --- host side -------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Bytes the host sends to the guest (received as soon as the receiver takes them)."""
        self._host.extend(data)
        self.update()



    def _to_line(self, byte: int) -> None:
        """A byte on the TX line: printed, unless it continues the simulator's exit string."""
        if self.on_exit is None:
            self.emit(byte)
            return
        if byte != EXIT_MAGIC[self._matched]:
            for held in self._held:
                self.emit(held)
            self._held.clear()
            self._matched = 0
        if byte == EXIT_MAGIC[self._matched]:
            self._matched += 1
            if self._matched > _MAGIC_TEXT:
                self._held.append(byte)
            else:
                self.emit(byte)
            if self._matched == len(EXIT_MAGIC):
                self._matched = 0
                self._held.clear()
                self.flush()
                self.on_exit(0)
            return
        self.emit(byte)

    # --- the FIFOs ---------------------------------------------------------------------------

    def _restart_timeout(self) -> None:
        """The RX FIFO level changed (or the timeout settings did): count from now."""
        self._rx_mark = self.clock.now()

    def _receive(self) -> None:
        """Move what the host sent into the RX FIFO, or onto the TX line in line loopback."""
        if self.ctrl & CTRL_LLPBK:
            self._poll_host()
            while self._host:
                self._to_line(self._host.popleft())
            return
        if self.ctrl & CTRL_SLPBK or not self.ctrl & CTRL_RX:
            return
        if len(self._rx) >= self.fifo_depth:
            return
        self._poll_host()
        moved = False
        while self._host and len(self._rx) < self.fifo_depth:
            self._rx.append(self._host.popleft())
            moved = True
        if moved:
            self._restart_timeout()

    def _poll_host(self) -> None:
        if self.rx_source is not None:
            self._host.extend(self.rx_source())

    def _transmit(self) -> None:
        """Empty the TX FIFO while TX is enabled (instantaneous transmission)."""
        if not self._tx or not self.ctrl & CTRL_TX:
            return
        while self._tx:
            byte = self._tx.popleft()
            if self.ctrl & CTRL_SLPBK:
                self._loop_back(byte)
            elif not self.ctrl & CTRL_LLPBK and not self.ovrd & OVRD_TXEN:
                self._to_line(byte)
        self._events |= TX_DONE

    def _loop_back(self, byte: int) -> None:
        if not self.ctrl & CTRL_RX:
            return
        if len(self._rx) >= self.fifo_depth:
            self._events |= RX_OVERFLOW
            return
        self._rx.append(byte)
        self._restart_timeout()

    # --- interrupts --------------------------------------------------------------------------

    def _tx_threshold(self) -> int:
        level = (self.fifo_ctrl >> 5) & 7
        width = _clog2(self.fifo_depth) + 1
        return self.fifo_depth // 2 if level >= width - 2 else 1 << level

    def _rx_threshold(self) -> int:
        level = (self.fifo_ctrl >> 2) & 7
        width = _clog2(self.fifo_depth) + 1
        if level > width - 1:
            return (1 << width) - 1      # above any level the FIFO can reach: never
        return self.fifo_depth - 2 if level == width - 1 else 1 << level

    def _status_intrs(self) -> int:
        bits = 0
        if len(self._tx) < self._tx_threshold():
            bits |= TX_WATERMARK
        if len(self._rx) >= self._rx_threshold():
            bits |= RX_WATERMARK
        if not self._tx:
            bits |= TX_EMPTY
        return bits | self._test

    def _timeout_period(self) -> int | None:
        """Instruction times between receive timeouts now, 0 for "continually", or None."""
        if not self.timeout_ctrl & TIMEOUT_EN:
            return None
        count = self.timeout_ctrl & TIMEOUT_VAL
        if count == 0:
            return 0
        nco = self.ctrl >> 16
        if not self.ctrl & CTRL_RX or nco == 0 or not self._rx:
            return None
        return -(-(count << 20) // nco)

    def _timeout_due(self) -> int:
        """How many receive timeouts have come since ``_rx_mark`` (0 if none)."""
        period = self._timeout_period()
        if period is None:
            return 0
        if period == 0:
            return 1
        return (self.clock.now() - self._rx_mark) // period

    def _catch_up(self) -> None:
        due = self._timeout_due()
        if due:
            self._events |= RX_TIMEOUT
            period = self._timeout_period()
            if period:
                self._rx_mark += due * period

    def _intr_state(self) -> int:
        timeout = RX_TIMEOUT if self._timeout_due() else 0
        return self._events | timeout | self._status_intrs()

    def next_event(self) -> int | None:
        if self._events & RX_TIMEOUT:
            return None   # raised already: a new timeout changes nothing until it is cleared
        period = self._timeout_period()
        return self._rx_mark + period if period else None

    def update(self) -> None:
        self._receive()
        self._catch_up()
        level = bool(self._intr_state() & self.intr_enable)
        if level != self._irq_out:
            self._irq_out = level
            if self._irq is not None:
                self._irq(level)

    # --- registers ---------------------------------------------------------------------------

    def _peek_word(self, offset: int) -> int:
        if offset == INTR_STATE:
            return self._intr_state()
        if offset == INTR_ENABLE:
            return self.intr_enable
        if offset == CTRL:
            return self.ctrl
        if offset == STATUS:
            tx, rx, depth = len(self._tx), len(self._rx), self.fifo_depth
            return ((ST_TXFULL if tx >= depth else 0) | (ST_RXFULL if rx >= depth else 0)
                    | (ST_TXEMPTY | ST_TXIDLE if not tx else 0) | ST_RXIDLE
                    | (ST_RXEMPTY if not rx else 0))
        if offset == RDATA:
            return self._rx[0] if self._rx else 0
        if offset == FIFO_CTRL:
            return self.fifo_ctrl
        if offset == FIFO_STATUS:
            return len(self._tx) | len(self._rx) << 16
        if offset == OVRD:
            return self.ovrd
        if offset == VAL:
            return self.val
        if offset == TIMEOUT_CTRL:
            return self.timeout_ctrl
        return 0   # INTR_TEST, ALERT_TEST and WDATA are write-only; nothing past 0x30

    def _read_word(self, offset: int) -> int:
        if offset in (INTR_STATE, STATUS, RDATA, FIFO_STATUS):
            self._receive()
            self._catch_up()
        value = self._peek_word(offset)
        if offset == RDATA and self._rx:
            self._rx.popleft()
            self._restart_timeout()
        self.update()
        return value

    def _write_word(self, offset: int, value: int) -> None:
        self._catch_up()   # timeouts up to now count under the old settings
        if offset == INTR_STATE:
            self._events &= ~(value & EVENT_INTRS)
        elif offset == INTR_ENABLE:
            self.intr_enable = value & INTR_MASK
        elif offset == INTR_TEST:
            self._events |= value & EVENT_INTRS
            self._test = value & STATUS_INTRS
        elif offset == CTRL:
            self.ctrl = value & CTRL_MASK
            if self.ctrl & (CTRL_TX | CTRL_RX) and self.ctrl >> 16:
                self.val = 0xFFFF
            self._restart_timeout()
            self._transmit()
        elif offset == WDATA:
            if len(self._tx) < self.fifo_depth:
                self._tx.append(value & 0xFF)
            self._transmit()
        elif offset == FIFO_CTRL:
            if value & FIFO_RXRST:
                self._rx.clear()
                self._restart_timeout()
            if value & FIFO_TXRST:
                self._tx.clear()
            self.fifo_ctrl = value & FIFO_LEVELS
        elif offset == OVRD:
            self.ovrd = value & OVRD_MASK
        elif offset == TIMEOUT_CTRL:
            self.timeout_ctrl = value & TIMEOUT_MASK
            self._restart_timeout()
        self.update()
