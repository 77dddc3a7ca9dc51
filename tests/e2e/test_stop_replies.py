"""Stop replies of the real daemon, byte for byte, over a raw socket (no gdb in between).

gdb's MI output does not show which stop reason the stub sent (a read watchpoint reported as
``awatch`` still reads as a watchpoint stop), so these tests read the packets themselves. The
expected forms come from the GDB manual, "Stop Reply Packets":

  T AA n1:r1;n2:r2;...   AA the signal number (gdb's numbering, include/gdb/signals.def:
                         SIGINT 2, SIGILL 4, SIGTRAP 5, SIGSEGV 11); ``n:r`` a register number
                         and its value in target byte order; ``thread:ID``; then at most one
                         reason: ``watch:ADDR`` (write), ``rwatch:ADDR``, ``awatch:ADDR``, the
                         watched data address, or ``swbreak:``/``hwbreak:`` (only when gdb
                         offered them in qSupported)
  W AA                   the process exited with status AA (two hex digits)

Registers use gdb's RISC-V numbering (x1 ra = 0x1, x2 sp = 0x2, x8 s0 = 0x8, pc = 0x20), and
the expected values come from the firmware's source (firmware/debugee.S) and its ELF symbols.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cheriot_gdbmi import Daemon

from cheriot_gdbserver.asm.build import assemble
from tests.gdbstub.rsp_client import RspClient

from .conftest import Firmware

SIGINT, SIGILL, SIGTRAP, SIGSEGV = 0x02, 0x04, 0x05, 0x0B
RA, SP, S0, PC = 0x1, 0x2, 0x8, 0x20
UART_BASE = 0x10000000      # cs0 from _start on (debugee.S)
STACK_SIZE = 0x400


@dataclass(frozen=True)
class StopReply:
    signal: int
    registers: dict[int, int]
    fields: list[tuple[str, str]]   # the non-register fields, in order

    @property
    def field_names(self) -> list[str]:
        return [name for name, _ in self.fields]


def parse(reply: bytes) -> StopReply:
    """Split a ``T`` reply by the manual's grammar, keeping field order."""
    text = reply.decode()
    assert text[0] == "T" and len(text) >= 3, text
    signal = int(text[1:3], 16)
    body = text[3:]
    assert body.endswith(";"), f"every field ends with ';': {text}"
    registers: dict[int, int] = {}
    fields: list[tuple[str, str]] = []
    for item in body[:-1].split(";"):
        name, _, value = item.partition(":")
        if all(c in "0123456789abcdef" for c in name):
            assert not fields, f"registers come before the named fields: {text}"
            registers[int(name, 16)] = int.from_bytes(bytes.fromhex(value), "little")
        else:
            fields.append((name, value))
    return StopReply(signal, registers, fields)


def monitor(client: RspClient, command: str) -> str:
    return client.monitor(command)


@pytest.fixture
def raw(daemon: Daemon) -> Iterator[RspClient]:
    """A client that offered swbreak and hwbreak, on a freshly reset machine."""
    client = RspClient(daemon.host, daemon.port)
    features = client.ask(b"qSupported:swbreak+;hwbreak+").split(b";")
    assert b"swbreak+" in features and b"hwbreak+" in features
    monitor(client, "reset")
    monitor(client, "catch cheri")
    yield client
    client.close()  # the session removes the points it inserted


def stop_reply(client: RspClient) -> StopReply:
    """The next stop reply, past the console text (``O`` packets) explaining it."""
    while (reply := client.reply()).startswith(b"O"):
        pass
    return parse(reply)


def resume(client: RspClient, packet: bytes = b"c") -> StopReply:
    client.send(packet)
    return stop_reply(client)


def test_the_initial_stop_is_sigtrap_with_pc_and_thread(raw: RspClient,
                                                        firmware: Firmware) -> None:
    stop = parse(raw.ask(b"?"))
    assert stop.signal == SIGTRAP
    assert stop.registers[PC] == firmware.symbols["_start"]
    assert stop.fields == [("thread", "1")]  # no reason: nothing was hit


def test_a_software_breakpoint_stop(raw: RspClient, firmware: Firmware) -> None:
    bump, count_to, stack = (firmware.symbols[n] for n in ("bump", "count_to", "stack"))
    assert raw.ask(b"Z0,%x,4" % bump) == b"OK"
    stop = resume(raw)
    assert stop.signal == SIGTRAP
    assert stop.fields == [("thread", "1"), ("swbreak", "")]
    # The registers gdb needs to unwind, expedited: count_to called bump (cjal at count_to+12),
    # count_to's frame is 16 bytes under the top of the 1 KiB stack, s0 holds the UART.
    assert stop.registers == {RA: count_to + 16, SP: stack + STACK_SIZE - 16, S0: UART_BASE,
                              PC: bump}
    # The expedited values are the registers' values.
    assert raw.ask(b"p20") == bump.to_bytes(4, "little").hex().encode()


def test_a_hardware_breakpoint_stop(raw: RspClient, firmware: Firmware) -> None:
    assert raw.ask(b"Z1,%x,4" % firmware.symbols["overflow"]) == b"OK"
    stop = resume(raw)
    assert (stop.signal, stop.registers[PC]) == (SIGTRAP, firmware.symbols["overflow"])
    assert stop.fields == [("thread", "1"), ("hwbreak", "")]


@pytest.mark.parametrize(("z_type", "reason", "offset"), [
    (2, "watch", 8),     # bump + 8: csw t0, 0(cs1), the first write of counter
    (3, "rwatch", 0),    # bump + 0: clw t0, 0(cs1), the first read
    (4, "awatch", 0),    # the first access is the read
])
def test_watchpoint_stops_name_their_kind_and_address(raw: RspClient, firmware: Firmware,
                                                      z_type: int, reason: str,
                                                      offset: int) -> None:
    counter = firmware.symbols["counter"]
    assert raw.ask(b"Z%d,%x,4" % (z_type, counter)) == b"OK"
    stop = resume(raw)
    assert stop.signal == SIGTRAP
    assert stop.registers[PC] == firmware.symbols["bump"] + offset
    assert stop.fields == [("thread", "1"), (reason, f"{counter:x}")]


def test_a_read_watchpoint_on_a_location_only_written_never_reports(raw: RspClient,
                                                                    firmware: Firmware) -> None:
    # cap_slot is written once by _start's csc and never read by the firmware: the first stop
    # is the bounds fault in overflow (SIGSEGV), with no watchpoint reason.
    assert raw.ask(b"Z3,%x,8" % firmware.symbols["cap_slot"]) == b"OK"
    stop = resume(raw)
    assert stop.signal == SIGSEGV
    assert stop.registers[PC] == firmware.symbols["overflow"] + 20
    assert stop.fields == [("thread", "1")]


def test_a_write_watchpoint_on_a_location_only_read_never_reports(raw: RspClient,
                                                                  firmware: Firmware) -> None:
    # The greeting is only ever read (by print's clbu); the first stop is the bounds fault.
    greeting = firmware.symbols["greeting"]
    assert raw.ask(b"Z2,%x,4" % greeting) == b"OK"
    stop = resume(raw)
    assert (stop.signal, stop.registers[PC]) == (SIGSEGV, firmware.symbols["overflow"] + 20)
    assert stop.fields == [("thread", "1")]
    assert raw.ask(b"z2,%x,4" % greeting) == b"OK"
    assert raw.ask(b"Z3,%x,4" % greeting) == b"OK"   # a read one stops in print at once
    monitor(raw, "reset")
    stop = resume(raw)
    assert stop.registers[PC] == firmware.symbols["print"]
    assert stop.fields == [("thread", "1"), ("rwatch", f"{greeting:x}")]


def test_an_illegal_instruction_is_sigill(raw: RspClient, firmware: Firmware) -> None:
    monitor(raw, "catch all")
    spin = firmware.symbols["spin"]
    assert raw.ask(b"M%x,4:00000000" % spin) == b"OK"   # all zeros: illegal (isa.md, RV32)
    assert resume(raw).signal == SIGSEGV                 # the bounds fault comes first
    stop = resume(raw, b"C%02x" % SIGSEGV)               # delivered: the handler skips it
    assert (stop.signal, stop.registers[PC]) == (SIGILL, spin)
    assert stop.fields == [("thread", "1")]


def test_a_stop_request_is_sigint(raw: RspClient, daemon: Daemon) -> None:
    monitor(raw, "catch none")
    seen = len(daemon.uart)
    raw.send(b"c")
    daemon.wait_for_uart(b"recovered\n\n", start=seen)
    raw.send_raw(b"\x03")
    stop = stop_reply(raw)
    assert stop.signal == SIGINT
    assert stop.fields == [("thread", "1")]


EXITING = """\
.include "cheriot.inc"
.section .text.start, "ax"
.globl _start
_start:
	cspecialr ca5, mtdc
	lui t0, %hi(tohost)
	addi t0, t0, %lo(tohost)
	csetaddr ca1, ca5, t0
	li a0, 85                    # HTIF exit: tohost = 1 | status << 1, status 42
	csw zero, 4(ca1)
	csw a0, 0(ca1)
spin:
	j spin
.section .data
.balign 8
.globl tohost
tohost: .dword 0
"""


def test_an_exit_is_a_w_reply_with_the_status(tmp_path: Path) -> None:
    source = tmp_path / "exit.S"
    source.write_text(EXITING)
    elf = assemble([source], tmp_path, name="exit")
    server = Daemon(elf, "--board", "sail")
    try:
        client = RspClient(server.host, server.port)
        client.send(b"c")
        assert client.reply() == b"W2a"
        client.close()
    finally:
        assert server.stop() == 0, server.stderr
