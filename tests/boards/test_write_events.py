"""After a device write the machine re-evaluates only the written device's events (and those of
devices whose events reads can move, the OpenTitan UART's receive timeout), not every
device's: that must always give what asking every device gives. Checked at every device write
of the bundled RTOS demo (timer and UART writes)."""

from __future__ import annotations

import os

import pytest

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.devices.device_set import DeviceSet
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.rtos import bundled


def test_a_write_re_evaluates_what_every_device_gives(monkeypatch) -> None:  # noqa: ANN001
    board = bundled.DEFAULT_BOARD
    try:
        elf = bundled.build(bundled.DEFAULT_FIRMWARE, board=board)
    except Exception as exc:  # noqa: BLE001 - no toolchain: nothing to run
        pytest.skip(f"the bundled firmware cannot be built here: {exc}")
    partial = DeviceSet.next_event_after_write
    writes = []

    def checked(self: DeviceSet, device) -> int | None:  # noqa: ANN001
        got = partial(self, device)
        due = dict(self._due or {})
        assert got == self.next_event(), type(device).__name__
        self._due = due  # leave the cache as the partial re-evaluation made it
        writes.append(type(device).__name__)
        return got

    monkeypatch.setattr(DeviceSet, "next_event_after_write", checked)
    with open(os.devnull, "wb") as sink:
        machine = Machine(load_board(board), load_elf(elf), uart_output=sink)
        machine.engine.catch = Catch.NONE
        stop = machine.engine.run(2_000_000)
    assert stop.kind.value in ("exit", "budget")
    assert len(writes) > 100 and len(set(writes)) >= 2, set(writes)


def test_a_read_that_moves_a_uarts_events_is_seen_at_the_next_write() -> None:
    # OpenTitan UART (lowRISC opentitan hw/ip/uart, the RX timeout restarts when the FIFO
    # level changes): reading the last byte ends the pending receive timeout, with no write
    # to that UART; a later write to another device must not bring the stale instant back.
    import io

    from cheriot_gdbserver.boards.devices.base import ManualClock
    from cheriot_gdbserver.boards.devices.opentitan_uart import OpenTitanUart

    ctrl, rdata, timeout_ctrl = 0x10, 0x18, 0x30
    clock = ManualClock()
    reader, other = (OpenTitanUart(clock, output=io.BytesIO()) for _ in range(2))
    reader.write(ctrl, 4, 0x1000 << 16 | 2)          # RX enabled, a bit time of 256 clocks
    reader.write(timeout_ctrl, 4, 1 << 31 | 3)
    reader.feed(b"q")
    devices = DeviceSet(devices={"uart": reader, "uart1": other}, regions=[])
    assert devices.next_event() == 768
    assert reader.read(rdata, 4) == ord("q")         # the FIFO is empty: no timeout any more
    assert devices.next_event_after_write(other) is None
    assert devices.next_event() is None

    reader.events_follow_reads = False               # without the declaration: stale
    reader.feed(b"r")
    assert devices.next_event() == 768
    reader.read(rdata, 4)
    assert devices.next_event_after_write(other) == 768
