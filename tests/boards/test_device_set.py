"""Devices built from a board and wired to the hart, the PLIC and the exit handler."""

from __future__ import annotations

import io

import pytest

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.devices.base import ManualClock, PlainMemory
from cheriot_gdbserver.boards.devices.clint import Clint
from cheriot_gdbserver.boards.devices.device_set import Wiring, build_devices
from cheriot_gdbserver.boards.devices.opentitan_uart import OpenTitanUart
from cheriot_gdbserver.boards.devices.plic import Plic
from cheriot_gdbserver.boards.devices.revoker import Revoker
from cheriot_gdbserver.boards.devices.uart16550 import Uart16550


class NoMemory:
    def load_cap(self, address: int) -> tuple[int, bool]:
        return 0, False

    def store_cap(self, address: int, bits: int, tag: bool) -> None:
        raise AssertionError("nothing is tagged")

    def revoked(self, address: int) -> bool:
        return False


class Hart:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.clock = ManualClock()
        self.out = io.BytesIO()

    def wiring(self) -> Wiring:
        return Wiring(self.clock, lambda v: self.events.append(("mtip", v)),
                      lambda v: self.events.append(("msip", v)),
                      lambda v: self.events.append(("meip", v)),
                      lambda code: self.events.append(("exit", code)),
                      bus=NoMemory(), uart_output=self.out)


def test_sail_devices_and_htif():
    hart = Hart()
    devices = build_devices(load_board("sail"), hart.wiring(), tohost=0x8000_2000)
    assert sorted(devices.devices) == ["clint", "tohost", "uart"]
    assert isinstance(devices.clint, Clint) and devices.clint.instructions_per_tick == 100
    assert devices.plic is None and devices.revoker is None
    assert devices.htif_address == 0x8000_2000
    device, offset = devices.find(0x0200_BFF8)
    assert device is devices.clint and offset == 0xBFF8
    assert devices.find(0x8000_0000) is None        # RAM is not a device
    devices.uart.write(0, 1, 0x80)                  # no exit byte on sail: printed
    assert hart.out.getvalue() == b"\x80"
    devices.htif.write(0, 8, 1 | (2 << 1))
    assert hart.events == [("exit", 2)]
    devices.update()
    assert hart.events[-1] == ("mtip", True)        # mtimecmp resets to 0
    devices.clint.write(0x4000, 4, 5)
    assert devices.next_event() == 500


def test_ibex_revoker_interrupt_reaches_meip_through_the_plic():
    hart = Hart()
    devices = build_devices(load_board("ibex-safe-simulator"), hart.wiring())
    assert isinstance(devices.plic, Plic) and devices.plic.sources == 31
    assert devices.plic.edge == frozenset({1})
    assert isinstance(devices.revoker, Revoker)
    assert devices.clint.layout.name == "cheriot-safe"
    assert devices.htif is None
    plic, revoker = devices.plic, devices.revoker
    plic.write(4, 4, 2)                             # RevokerInterrupt priority 2
    plic.write(0x2000, 4, 0b10)
    revoker.write(0x04, 4, 0x20)                    # granules 0 to 0x20: top's is swept too
    revoker.write(0x14, 4, 1)
    revoker.write(0x08, 4, 1)
    assert revoker.next_event() == 5
    assert devices.next_event() == 1                # the CLINT: mtime 1 > mtimecmp 0
    hart.clock.set(5)
    devices.update()
    assert ("meip", True) in hart.events
    assert plic.read(0x200004, 4) == 1
    assert hart.events[-1] == ("meip", False)
    devices.uart.write(0, 1, 0x80 + 5)              # the SAFE simulator's exit byte
    assert hart.events[-1] == ("exit", 5)


def test_sonata_unmodelled_devices_are_plain_memory():
    hart = Hart()
    devices = build_devices(load_board("sonata"), hart.wiring())
    gpio, offset = devices.find(0x8000_0044)
    assert isinstance(gpio, PlainMemory) and offset == 4
    gpio.write(offset, 4, 0xDEAD_BEEF)
    assert gpio.read(offset, 2) == 0xBEEF
    assert isinstance(devices.uart, OpenTitanUart) and devices.uart is devices.devices["uart"]
    assert devices.clint.layout.name == "standard"


def test_hardware_revoker_needs_the_bus():
    hart = Hart()
    wiring = hart.wiring()
    wiring.bus = None
    with pytest.raises(ValueError, match="needs the machine's bus"):
        build_devices(load_board("ibex-safe-simulator"), wiring)


def test_uart_default_output_is_stdout():
    assert Uart16550().output is __import__("sys").stdout.buffer
