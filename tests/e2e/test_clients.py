"""Clients come and go; the daemon keeps serving and the next client finds a documented state:

  detach        halted where it was, breakpoints and watchpoints removed
  dropped link  the same, a running target interrupted first (its state kept)
  kill          the machine reset: halted at the entry, memory reloaded

Raw RSP clients (tests/gdbstub/rsp_client.py) cover what gdb does not do on purpose: a bare
Ctrl-C byte, a packet cut in the middle, a breakpoint left behind by a vanished client.
"""

from __future__ import annotations

import pytest
from cheriot_gdbmi import Daemon

from tests.gdb_support import attach, reset
from tests.gdbstub.rsp_client import RspClient

from .conftest import Firmware


def monitor(client: RspClient, command: str) -> str:
    return client.monitor(command)


def register(client: RspClient, regnum: int) -> int:
    return int.from_bytes(bytes.fromhex(client.ask(b"p%x" % regnum).decode()), "little")


def read_word(client: RspClient, address: int) -> int:
    return int.from_bytes(bytes.fromhex(client.ask(b"m%x,4" % address).decode()), "little")


PC = 0x20
A3 = 13


@pytest.fixture
def raw(daemon: Daemon) -> RspClient:
    client = RspClient(daemon.host, daemon.port)
    monitor(client, "reset")
    monitor(client, "catch cheri")
    yield client
    client.close()


def test_detach_then_reconnect(firmware: Firmware, daemon: Daemon) -> None:
    first = attach(firmware.elf, daemon)
    reset(first)
    first.mi("-break-insert bump")
    first.run("-exec-continue")
    assert first.console("detach") == (
        f"Detaching from program: {firmware.elf}, Remote target\n"
        "Ending remote debugging.\n"
        "[Inferior 1 (Remote target) detached]\n")
    first.close()

    second = attach(firmware.elf, daemon)
    try:
        assert second.address_of("$pc") == firmware.symbols["bump"]  # halted where it was
        assert int(second.evaluate("*(int *)&counter")) == 0
        second.monitor("catch none")
        second.mi("-break-insert spin")
        stop = second.run("-exec-continue")  # the first client's breakpoint is gone
        assert stop.payload["reason"] == "breakpoint-hit"
        assert second.address_of("$pc") == firmware.symbols["spin"]
        assert int(second.evaluate("*(int *)&counter")) == 3
    finally:
        second.monitor("catch cheri")
        second.close()


def test_kill_resets_the_machine_for_the_next_client(firmware: Firmware,
                                                     daemon: Daemon) -> None:
    first = attach(firmware.elf, daemon)
    reset(first)
    first.mi("-break-insert count_to")
    first.run("-exec-continue")
    first.console("set {int}&counter = 7")
    assert first.console("kill") == "[Inferior 1 (Remote target) killed]\n"
    first.close()

    second = attach(firmware.elf, daemon)
    try:
        assert second.address_of("$pc") == firmware.symbols["_start"]
        assert int(second.evaluate("*(int *)&counter")) == 0
        assert second.monitor("uart") == "(no UART output yet)\n"
    finally:
        second.close()


def test_a_client_dropped_mid_run_loses_nothing(firmware: Firmware, daemon: Daemon) -> None:
    first = attach(firmware.elf, daemon)
    reset(first)
    first.monitor("catch none")
    seen = len(daemon.uart)
    first.start("-exec-continue")
    daemon.wait_for_uart(b"recovered\n\n", start=seen)  # in spin's loop from now on
    first.controller.gdb_process.kill()  # no detach, no goodbye: the socket just closes
    first.controller.gdb_process.wait(60)
    first.close()

    second = attach(firmware.elf, daemon)
    try:
        loop = firmware.symbols["spin"] + 12
        pc = second.address_of("$pc")
        assert pc in (loop, loop + 4)  # interrupted in the loop
        assert int(second.evaluate("*(int *)&counter")) == 3
        assert int(second.evaluate("*(int *)&traps")) == 1
        a3 = int(second.evaluate("$a3"))
        second.mi(f"-break-insert *{loop:#x}")
        second.run("-exec-continue")  # it runs on from where it was, back to the loop head
        assert second.address_of("$pc") == loop
        assert int(second.evaluate("$a3")) == a3 + (pc == loop)  # one more addi from there
    finally:
        second.monitor("catch cheri")
        second.close()


def test_raw_ctrl_c_byte_interrupts_a_spinning_firmware(raw: RspClient, daemon: Daemon,
                                                       firmware: Firmware) -> None:
    monitor(raw, "catch none")
    seen = len(daemon.uart)
    raw.send(b"c")
    daemon.wait_for_uart(b"recovered\n\n", start=seen)  # in spin's loop from now on
    raw.send_raw(b"\x03")
    reply = raw.reply()
    assert reply.startswith(b"T02") and reply.endswith(b"thread:1;")
    loop = firmware.symbols["spin"] + 12
    assert register(raw, PC) in (loop, loop + 4)
    monitor(raw, "catch cheri")


def test_a_packet_cut_in_the_middle_changes_nothing(raw: RspClient, daemon: Daemon,
                                                   firmware: Firmware) -> None:
    assert raw.ask(b"Z0,%x,4" % firmware.symbols["bump"]) == b"OK"
    raw.send(b"c")
    assert raw.reply().startswith(b"T05")
    assert register(raw, PC) == firmware.symbols["bump"]
    raw.send_raw(b"$M%x,4:2a00" % firmware.symbols["counter"])  # cut short: never applied
    raw.close()

    again = RspClient(daemon.host, daemon.port)
    try:
        assert again.ask(b"?").startswith(b"T05")
        assert register(again, PC) == firmware.symbols["bump"]
        assert read_word(again, firmware.symbols["counter"]) == 0
        # The vanished client's breakpoint was removed: the next bump call does not stop.
        monitor(again, "catch none")
        assert again.ask(b"Z0,%x,4" % firmware.symbols["spin"]) == b"OK"
        again.send(b"c")
        assert again.reply().startswith(b"T05")
        assert register(again, PC) == firmware.symbols["spin"]
        assert read_word(again, firmware.symbols["counter"]) == 3
    finally:
        monitor(again, "catch cheri")
        again.close()


def test_device_reads_are_side_effect_free_and_holes_are_refused(raw: RspClient) -> None:
    assert raw.ask(b"m10000014,1") == b"60"          # UART LSR: THR empty, transmitter empty
    assert raw.ask(b"m10000008,4") == b"01000000"    # IIR: nothing pending, read or not
    assert raw.ask(b"m10000008,4") == b"01000000"
    assert raw.ask(b"m1000,4") == b"E0e"             # nothing mapped there
    assert raw.ask(b"m8003fffe,4") == b"0000"        # the readable prefix, then the end of RAM
