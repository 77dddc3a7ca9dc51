"""16550 UART (isa.md §8.4): transmit, DLAB, LSR/IIR, receive, exit byte, history."""

from __future__ import annotations

import io

from cheriot_gdbserver.boards.devices.uart16550 import Uart16550


def make(**kwargs):
    out = io.BytesIO()
    return Uart16550(output=out, **kwargs), out


def test_transmit_and_history():
    uart, out = make(history=4)
    for byte in b"Hello\n":
        uart.write(0x00, 4, 0xFFFF_FF00 | byte)   # only the low byte counts
    assert out.getvalue() == b"Hello\n"
    assert uart.recent_output() == b"llo\n"
    assert uart.recent_output(2) == b"o\n"
    assert uart.recent_output(0) == b""


def test_rtos_init_sequence_with_dlab():
    uart, out = make()
    uart.write(0x04, 1, 0x00)        # IER
    uart.write(0x0C, 1, 0x83)        # LCR: DLAB, 8N1
    uart.write(0x00, 1, 0x1B)        # divisor low
    uart.write(0x04, 1, 0x02)        # divisor high
    assert uart.divisor == 0x021B
    assert uart.read(0x00, 1) == 0x1B
    assert uart.read(0x04, 1) == 0x02
    uart.write(0x0C, 1, 0x03)
    uart.write(0x08, 1, 0x01)        # FCR: FIFOs on
    assert out.getvalue() == b""
    assert uart.read(0x04, 1) == 0x00
    assert uart.read(0x0C, 1) == 0x03
    assert uart.read(0x08, 1) == 0xC1   # FIFOs enabled, no interrupt
    uart.write(0x00, 1, ord("x"))
    assert out.getvalue() == b"x"


def test_lsr_and_receive_from_feed():
    uart, _ = make()
    assert uart.read(0x14, 1) == 0x60   # THR empty, transmitter empty
    uart.feed(b"ab")
    assert uart.read(0x14, 1) == 0x61   # data ready
    assert uart.peek(0x00, 1) == ord("a")
    assert uart.read(0x00, 1) == ord("a")
    assert uart.read(0x00, 1) == ord("b")
    assert uart.read(0x14, 1) == 0x60
    assert uart.read(0x00, 1) == 0


def test_receive_polls_the_input_on_request():
    chunks = [b"", b"hi", b""]
    uart, _ = make(rx_source=lambda: chunks.pop(0) if chunks else b"")
    assert uart.read(0x14, 1) == 0x60   # first poll: nothing yet
    assert uart.read(0x14, 1) == 0x61
    assert uart.read(0x00, 1) == ord("h")
    assert uart.read(0x00, 1) == ord("i")
    assert uart.read(0x14, 1) == 0x60


def test_exit_byte():
    codes: list[int] = []
    uart, out = make(on_exit=codes.append)
    uart.write(0x00, 1, ord("A"))
    uart.write(0x00, 1, 0x80 + 3)
    assert codes == [3]
    assert out.getvalue() == b"A"
    plain, plain_out = make()
    plain.write(0x00, 1, 0x83)          # without an exit handler the byte is just data
    assert plain_out.getvalue() == b"\x83"


def test_interrupts_and_iir():
    levels: list[bool] = []
    uart, _ = make(irq=levels.append)
    uart.write(0x04, 1, 0x01)           # receive-data interrupt
    assert levels == []
    uart.feed(b"z")
    assert levels == [True]
    assert uart.read(0x08, 1) == 0x04
    uart.read(0x00, 1)
    assert levels == [True, False]
    uart.write(0x04, 1, 0x03)           # THR-empty interrupt: pending at once
    assert levels == [True, False, True]
    assert uart.peek(0x08, 1) == 0x02
    assert uart.read(0x08, 1) == 0x02   # reading IIR clears it
    assert levels == [True, False, True, False]
    uart.write(0x00, 1, ord("."))       # sent at once: THR empty again
    assert levels[-1] is True


def test_other_byte_lanes_and_registers():
    uart, out = make()
    uart.write(0x01, 1, ord("q"))       # not the low lane of THR: ignored
    assert out.getvalue() == b""
    assert uart.read(0x01, 1) == 0
    uart.write(0x1C, 1, 0x5A)
    assert uart.read(0x1C, 1) == 0x5A   # scratch
    uart.write(0x10, 1, 0xFF)
    assert uart.read(0x10, 1) == 0x1F   # MCR
    assert uart.read(0x18, 1) == 0      # MSR
