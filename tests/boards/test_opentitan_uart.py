"""OpenTitan UART (Sonata): registers, FIFOs, interrupts, receive timeout, simulator exit string,
and how device_set builds and wires Sonata's three UARTs."""

from __future__ import annotations

import dataclasses
import io

import pytest

from cheriot_gdbserver.boards.board import ExitMechanism, load_board
from cheriot_gdbserver.boards.devices.base import ManualClock
from cheriot_gdbserver.boards.devices.device_set import Wiring, build_devices
from cheriot_gdbserver.boards.devices.opentitan_uart import EXIT_MAGIC, OpenTitanUart

from .test_device_set import NoMemory

INTR_STATE, INTR_ENABLE, INTR_TEST, ALERT_TEST = 0x00, 0x04, 0x08, 0x0C
CTRL, STATUS, RDATA, WDATA = 0x10, 0x14, 0x18, 0x1C
FIFO_CTRL, FIFO_STATUS, OVRD, VAL, TIMEOUT_CTRL = 0x20, 0x24, 0x28, 0x2C, 0x30
NCO = 24159 << 16                 # 921600 baud at 40 MHz: (921600 << 20) // 40_000_000
TX, RX, SLPBK, LLPBK = 1, 2, 0x10, 0x20


def make(**kwargs):
    out, clock = io.BytesIO(), ManualClock()
    return OpenTitanUart(clock, output=out, **kwargs), out, clock


def enabled(**kwargs):
    uart, out, clock = make(**kwargs)
    uart.write(CTRL, 4, NCO | TX | RX)
    return uart, out, clock


def test_reset_values():
    uart, out, _ = make()
    assert uart.size == 0x34
    assert uart.read(INTR_STATE, 4) == 0x101      # tx_watermark and tx_empty: TX FIFO empty
    assert uart.read(STATUS, 4) == 0x3C           # TXEMPTY, TXIDLE, RXIDLE, RXEMPTY
    for offset in (INTR_ENABLE, INTR_TEST, ALERT_TEST, CTRL, RDATA, WDATA, FIFO_CTRL,
                   FIFO_STATUS, OVRD, VAL, TIMEOUT_CTRL):
        assert uart.read(offset, 4) == 0, hex(offset)
    assert out.getvalue() == b""


def test_rtos_style_init_and_transmit():
    uart, out, _ = make(history=4)
    uart.write(CTRL, 4, 0xFFFF_FFFF)
    assert uart.read(CTRL, 4) == 0xFFFF_03F7      # reserved bits 3 and 15:10 read 0
    uart.write(CTRL, 4, NCO | TX | RX)
    assert uart.read(CTRL, 4) == 0x5E5F_0003
    for byte in b"Hello\n":
        assert uart.read(STATUS, 4) & 1 == 0      # TXFULL never set: the FIFO drains at once
        uart.write(WDATA, 4, 0xFFFF_FF00 | byte)  # only bits 7:0 are data
    assert out.getvalue() == b"Hello\n"
    assert uart.recent_output() == b"llo\n"
    assert uart.recent_output(2) == b"o\n"
    assert uart.recent_output(0) == b""
    assert uart.read(STATUS, 4) == 0x3C
    assert uart.read(FIFO_STATUS, 4) == 0
    assert uart.read(VAL, 4) == 0xFFFF            # the baud generator ran: an idle line


def test_transmit_waits_for_tx_enable_and_a_full_fifo_drops_bytes():
    uart, out, _ = make()
    for byte in b"0123456789":
        uart.write(WDATA, 1, byte)
    assert out.getvalue() == b""
    assert uart.read(FIFO_STATUS, 4) == 8         # eight bytes held, two lost
    assert uart.read(STATUS, 4) == 0x31           # TXFULL, RXIDLE, RXEMPTY
    assert uart.read(INTR_STATE, 4) == 0          # not below any watermark, not empty
    uart.write(CTRL, 4, TX)                       # TX enabled: everything goes at once
    assert out.getvalue() == b"01234567"
    assert uart.read(STATUS, 4) == 0x3C
    assert uart.read(INTR_STATE, 4) == 0x105      # tx_watermark, tx_done, tx_empty


def test_tx_fifo_reset():
    uart, out, _ = make()
    uart.write(WDATA, 4, ord("x"))
    uart.write(WDATA, 4, ord("y"))
    assert uart.read(FIFO_STATUS, 4) == 2
    uart.write(FIFO_CTRL, 4, 0x02)                # TXRST
    assert uart.read(FIFO_STATUS, 4) == 0
    assert uart.read(FIFO_CTRL, 4) == 0           # the reset bits read 0
    uart.write(CTRL, 4, TX)
    assert out.getvalue() == b""
    assert uart.read(INTR_STATE, 4) == 0x101      # nothing was sent: no tx_done


def test_receive_from_feed_and_peek():
    uart, _, _ = enabled()
    uart.feed(b"ab")
    assert uart.read(STATUS, 4) == 0x0C | 0x10    # TXEMPTY, TXIDLE, RXIDLE; RXEMPTY clear
    assert uart.read(FIFO_STATUS, 4) == 2 << 16
    assert uart.peek(RDATA, 4) == ord("a")
    assert uart.peek(RDATA, 4) == ord("a")        # peek does not pop
    assert uart.peek(FIFO_STATUS, 4) == 2 << 16
    assert uart.read(RDATA, 4) == ord("a")
    assert uart.read(RDATA, 1) == ord("b")
    assert uart.read(STATUS, 4) == 0x3C
    assert uart.read(RDATA, 4) == 0               # empty FIFO reads 0


def test_receive_needs_rx_enabled_and_is_flow_controlled():
    chunks = [b"0123456789AB"]
    polls: list[int] = []

    def source() -> bytes:
        polls.append(1)
        return chunks.pop() if chunks else b""

    uart, _, _ = make(rx_source=source)
    assert uart.read(STATUS, 4) & 0x20 == 0x20    # RX disabled: RXEMPTY, the host not polled
    assert polls == []
    uart.write(CTRL, 4, NCO | RX)
    assert uart.read(FIFO_STATUS, 4) == 8 << 16   # a full FIFO; four bytes wait on the host side
    assert uart.read(STATUS, 4) & 0x22 == 0x02    # RXFULL
    assert bytes(uart.read(RDATA, 4) for _ in range(12)) == b"0123456789AB"
    assert uart.read(STATUS, 4) & 0x20 == 0x20
    assert uart.read(INTR_STATE, 4) & 0x08 == 0   # nothing was lost: no rx_overflow


def test_rx_fifo_reset_and_later_input():
    uart, _, _ = enabled()
    uart.feed(b"0123456789")
    assert uart.read(FIFO_STATUS, 4) == 8 << 16
    uart.write(FIFO_CTRL, 4, 0x01)                # RXRST: the FIFO is emptied, then refilled
    assert uart.read(FIFO_STATUS, 4) == 2 << 16   # from the two bytes still on the host side
    assert uart.read(RDATA, 4) == ord("8")
    uart.write(FIFO_CTRL, 4, 0x01)
    assert uart.read(FIFO_STATUS, 4) == 0


def test_status_interrupts_follow_the_fifo_levels():
    uart, _, _ = make()
    uart.write(CTRL, 4, NCO | RX)
    uart.write(FIFO_CTRL, 4, 1 << 2 | 2 << 5)     # RXILVL 2 bytes, TXILVL 4 bytes
    assert uart.read(FIFO_CTRL, 4) == 0x44
    uart.feed(b"a")
    assert uart.read(INTR_STATE, 4) & 0x103 == 0x101
    uart.feed(b"b")
    assert uart.read(INTR_STATE, 4) & 0x103 == 0x103   # rx_watermark: 2 >= 2
    uart.write(INTR_STATE, 4, 0x1FF)              # status bits ignore writes
    assert uart.read(INTR_STATE, 4) & 0x103 == 0x103
    for byte in b"wxy":
        uart.write(WDATA, 4, byte)                # TX disabled: held in the FIFO
    assert uart.read(INTR_STATE, 4) & 0x103 == 0x003   # 3 < 4: still below the TX watermark
    uart.write(WDATA, 4, ord("z"))
    assert uart.read(INTR_STATE, 4) & 0x103 == 0x002
    uart.read(RDATA, 4)
    assert uart.read(INTR_STATE, 4) & 0x103 == 0x000


def test_watermark_thresholds_of_an_eight_byte_fifo():
    uart, _, _ = make()
    uart.write(CTRL, 4, NCO | RX)
    uart.write(FIFO_CTRL, 4, 3 << 2)              # RXILVL 3: saturates at depth - 2 = 6
    uart.feed(b"12345")
    assert uart.read(INTR_STATE, 4) & 0x2 == 0
    uart.feed(b"6")
    assert uart.read(INTR_STATE, 4) & 0x2 == 0x2
    uart.write(FIFO_CTRL, 4, 4 << 2)              # RXILVL 4 and above: never
    uart.feed(b"78")
    assert uart.read(FIFO_STATUS, 4) == 8 << 16
    assert uart.read(INTR_STATE, 4) & 0x2 == 0
    uart.write(FIFO_CTRL, 4, 7 << 5)              # TXILVL 2 and above: half the FIFO, 4
    for byte in b"abcd":
        uart.write(WDATA, 4, byte)
    assert uart.read(INTR_STATE, 4) & 0x1 == 0
    uart.write(FIFO_CTRL, 4, 0x02)                # TXRST
    assert uart.read(INTR_STATE, 4) & 0x101 == 0x101


def test_event_interrupts_enable_test_and_clear():
    levels: list[bool] = []
    uart, _, _ = make(irq=levels.append)
    uart.update()
    assert levels == []                           # state 0x101 but nothing enabled
    uart.write(INTR_ENABLE, 4, 0xFFFF_FFFF)
    assert uart.read(INTR_ENABLE, 4) == 0x1FF
    assert levels == [True]                       # tx_watermark and tx_empty are enabled
    uart.write(INTR_ENABLE, 4, 0x0FC)             # events only
    assert levels == [True, False]
    uart.write(INTR_TEST, 4, 0x0F8)               # force rx_overflow .. rx_parity_err
    assert uart.read(INTR_STATE, 4) == 0x1F9
    assert uart.read(INTR_TEST, 4) == 0           # write-only
    assert levels == [True, False, True]
    uart.write(INTR_STATE, 4, 0x0F0)              # write 1 to clear
    assert uart.read(INTR_STATE, 4) == 0x109
    uart.write(INTR_STATE, 4, 0x008)
    assert uart.read(INTR_STATE, 4) == 0x101
    assert levels == [True, False, True, False]
    uart.write(CTRL, 4, TX)
    uart.write(WDATA, 4, ord("!"))                # sent: tx_done
    assert uart.read(INTR_STATE, 4) == 0x105
    assert levels[-1] is True


def test_interrupt_test_forces_status_bits_until_rewritten():
    uart, _, _ = make()
    uart.write(WDATA, 4, ord("x"))                # TX disabled: one byte waits
    assert uart.read(INTR_STATE, 4) == 0          # not empty, not below the 1-byte watermark
    uart.write(INTR_TEST, 4, 0x102)               # force rx_watermark and tx_empty
    assert uart.read(INTR_STATE, 4) == 0x102
    uart.write(INTR_STATE, 4, 0x102)              # not cleared by writing 1
    assert uart.read(INTR_STATE, 4) == 0x102
    uart.write(INTR_TEST, 4, 0)                   # the next INTR_TEST write releases them
    assert uart.read(INTR_STATE, 4) == 0


def test_receive_timeout_counts_bit_times():
    levels: list[bool] = []
    uart, _, clock = make(irq=levels.append)
    nco = 0x1000                                  # a bit time is 2**20 / 0x1000 = 256 clocks
    uart.write(CTRL, 4, nco << 16 | RX)
    uart.write(INTR_ENABLE, 4, 0x40)
    uart.write(TIMEOUT_CTRL, 4, 0xFFFF_FFFF)
    assert uart.read(TIMEOUT_CTRL, 4) == 0x80FF_FFFF
    uart.write(TIMEOUT_CTRL, 4, 1 << 31 | 3)      # three bit times
    assert uart.next_event() is None              # the RX FIFO is empty
    clock.set(100)
    uart.feed(b"q")
    assert uart.next_event() == 100 + 768
    clock.set(867)
    uart.update()
    assert uart.peek(INTR_STATE, 4) & 0x40 == 0
    clock.set(868)
    assert uart.peek(INTR_STATE, 4) & 0x40 == 0x40   # peek sees it due...
    assert levels == []                               # ...but only update() drives the line
    uart.update()
    assert levels == [True]
    assert uart.next_event() is None              # raised: nothing new until it is cleared
    clock.set(2000)
    uart.write(INTR_STATE, 4, 0x40)               # cleared; it fired again at 1636
    assert uart.read(INTR_STATE, 4) & 0x40 == 0
    assert levels == [True, False]
    assert uart.next_event() == 2404
    clock.set(2100)
    assert uart.read(RDATA, 4) == ord("q")        # FIFO empty: no more timeouts
    assert uart.next_event() is None


def test_receive_timeout_needs_a_baud_rate_and_zero_means_at_once():
    uart, _, _ = make()
    uart.write(CTRL, 4, RX)                       # NCO 0: no bit times ever pass
    uart.write(TIMEOUT_CTRL, 4, 1 << 31 | 1)
    uart.feed(b"x")
    assert uart.next_event() is None
    uart.write(TIMEOUT_CTRL, 4, 1 << 31)          # VAL 0: the comparison holds at once
    assert uart.read(INTR_STATE, 4) & 0x40 == 0x40
    uart.write(INTR_STATE, 4, 0x40)
    assert uart.read(INTR_STATE, 4) & 0x40 == 0x40
    assert uart.next_event() is None


def test_system_loopback_and_overflow():
    uart, out, _ = make()
    uart.write(CTRL, 4, NCO | TX | RX | SLPBK)
    for byte in b"0123456789":
        uart.write(WDATA, 4, byte)
    assert out.getvalue() == b""                  # the line stays idle
    assert uart.read(FIFO_STATUS, 4) == 8 << 16
    assert uart.read(INTR_STATE, 4) & 0x08 == 0x08   # rx_overflow: two bytes lost
    assert bytes(uart.read(RDATA, 4) for _ in range(8)) == b"01234567"


def test_line_loopback_and_override():
    uart, out, _ = make()
    uart.write(CTRL, 4, NCO | TX | RX | LLPBK)
    uart.feed(b"echo")
    assert out.getvalue() == b"echo"              # the received line goes out on TX
    assert uart.read(STATUS, 4) & 0x20 == 0x20    # the receiver sees nothing
    uart.write(WDATA, 4, ord("x"))                # the transmitter is cut off the line
    uart.write(CTRL, 4, NCO | TX | RX)
    uart.write(OVRD, 4, 0xFF)
    assert uart.read(OVRD, 4) == 0x3
    uart.write(WDATA, 4, ord("y"))                # the line is held by the override
    uart.write(OVRD, 4, 0)
    uart.write(WDATA, 4, ord("z"))
    assert out.getvalue() == b"echoz"


def test_alert_test_and_unknown_offsets():
    uart, _, _ = enabled()
    uart.write(ALERT_TEST, 4, 1)
    assert uart.read(ALERT_TEST, 4) == 0
    assert uart.read(WDATA, 4) == 0
    uart.write(STATUS, 4, 0)                      # read-only
    assert uart.read(STATUS, 4) == 0x3C
    assert uart.read(0x12, 2) == 0x5E5F           # the NCO half of CTRL


def test_simulator_exit_string():
    codes: list[int] = []
    uart, out, _ = enabled(on_exit=codes.append)
    for byte in b"done\n" + EXIT_MAGIC[:-1]:
        uart.write(WDATA, 4, byte)
    assert codes == []
    assert out.getvalue() == b"done\nSafe to exit simulator."   # the binary tail is held
    uart.write(WDATA, 4, EXIT_MAGIC[-1])
    assert codes == [0]
    assert out.getvalue() == b"done\nSafe to exit simulator."
    assert uart.recent_output() == b"done\nSafe to exit simulator."


def test_a_broken_exit_string_is_printed():
    codes: list[int] = []
    uart, out, _ = enabled(on_exit=codes.append)
    sent = b"SSafe to exit simulator.\xd8\xafX" + EXIT_MAGIC
    for byte in sent[:-1]:
        uart.write(WDATA, 4, byte)
    assert out.getvalue() == b"SSafe to exit simulator.\xd8\xafXSafe to exit simulator."
    uart.write(WDATA, 4, sent[-1])
    assert codes == [0]
    plain, plain_out, _ = enabled()              # without on_exit it is just data
    for byte in EXIT_MAGIC:
        plain.write(WDATA, 4, byte)
    assert plain_out.getvalue() == EXIT_MAGIC


def test_fifo_depth_is_checked():
    with pytest.raises(ValueError, match="fifo_depth must be from 2 to 255"):
        OpenTitanUart(ManualClock(), fifo_depth=256)


# --- device_set: Sonata's UARTs ----------------------------------------------------------

def wiring(events: list, out: io.BytesIO, source=None) -> Wiring:
    return Wiring(ManualClock(), lambda v: events.append(("mtip", v)),
                  lambda v: events.append(("msip", v)),
                  lambda v: events.append(("meip", v)),
                  lambda code: events.append(("exit", code)),
                  bus=NoMemory(), uart_output=out, uart_input=source)



def test_sonata_uarts_console_and_plic_sources():
    events: list = []
    out = io.BytesIO()
    devices = build_devices(load_board("sonata"), wiring(events, out, lambda: b"in"))
    uart, uart1, uart2 = (devices.devices[n] for n in ("uart", "uart1", "uart2"))
    assert all(isinstance(u, OpenTitanUart) for u in (uart, uart1, uart2))
    assert devices.uart is uart
    assert devices.find(0x8010_1014) == (uart1, 0x14)
    for u in (uart, uart1, uart2):
        u.write(CTRL, 4, NCO | TX | RX)
    uart.write(WDATA, 1, ord("0"))
    uart1.write(WDATA, 1, ord("1"))               # not the console: not printed
    uart2.write(WDATA, 1, ord("2"))
    assert out.getvalue() == b"0"
    assert uart1.recent_output() == b"1"
    assert uart.read(RDATA, 4) == ord("i")        # only the console receives the host's input
    assert uart1.read(STATUS, 4) & 0x20 == 0x20
    plic = devices.plic
    assert plic is not None
    uart1.write(INTR_ENABLE, 4, 0x100)            # tx_empty: PLIC source 9
    assert plic.read(0x1000, 4) == 1 << 9
    uart2.write(INTR_ENABLE, 4, 0x100)            # source 10 (9 stays pending until claimed)
    assert plic.read(0x1000, 4) == 1 << 9 | 1 << 10
    assert not any(e[0] == "exit" for e in events)


def test_uart_magic_exit_is_wired_to_the_named_uart():
    board = dataclasses.replace(load_board("sonata"),
                                exit=ExitMechanism("uart-magic", device="uart"))
    events: list = []
    out = io.BytesIO()
    devices = build_devices(board, wiring(events, out))
    uart = devices.devices["uart"]
    uart.write(CTRL, 4, NCO | TX)
    for byte in EXIT_MAGIC:
        uart.write(WDATA, 4, byte)
    assert events[-1] == ("exit", 0)
    assert out.getvalue() == b"Safe to exit simulator."
