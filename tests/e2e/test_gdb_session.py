"""gdb-multiarch (pygdbmi, MI) debugging tests/e2e/firmware/debugee.S on a real daemon.

Addresses come from the firmware's symbols and its documented layout (every instruction is
4 bytes: the store in bump is at bump + 8, the faulting store in overflow at overflow + 20).
"""

from __future__ import annotations

import pytest
from cheriot_gdbmi import Daemon, Gdb, GdbError

from tests.capfields import CapFields, assert_cap, assert_lines
from tests.debugger.test_commands import HELP

from .conftest import (
    COUNTER_CAP,
    COUNTER_META,
    FIRMWARE,
    RESET_PCC_CAP,
    Firmware,
    fault_lines,
    indented,
)

SEGV_HINT = ("  (continue delivers it to the trap handler; 'signal 0' retries the instruction; "
             "'monitor fault' repeats this)")


def frame_of(stop: dict) -> tuple[str, int, int | None]:
    frame = stop["frame"]
    return frame["func"], int(frame["addr"], 16), int(frame["line"]) if "line" in frame else None


def counter(gdb: Gdb) -> int:
    return int(gdb.evaluate("*(int *)&counter"))


def traps(gdb: Gdb) -> int:
    return int(gdb.evaluate("*(int *)&traps"))


def fault_explanation(fw: Firmware) -> list[str | tuple[str, CapFields]]:
    """The console text of the stop at that fault (tests.capfields.assert_lines)."""
    return ["CHERI bounds violation on store through ca0", *indented(fault_lines(fw), "  "),
            SEGV_HINT]


# --- connecting, breaking, stepping ---------------------------------------------------------------

def test_connect_finds_the_target_halted_at_the_entry(gdb: Gdb, firmware: Firmware) -> None:
    assert gdb.address_of("$pc") == firmware.symbols["_start"]
    assert gdb.console("info registers pc") == (
        f"pc             {firmware.symbols['_start']:#x}\t"
        f"{firmware.symbols['_start']:#x} <_start>\n")
    assert counter(gdb) == 0


def test_break_on_a_symbol_continue_finish_step_next(gdb: Gdb, firmware: Firmware) -> None:
    bump, count_to = firmware.symbols["bump"], firmware.symbols["count_to"]
    gdb.mi("-break-insert bump")
    stop = gdb.run("-exec-continue")
    assert stop.payload["reason"] == "breakpoint-hit"
    assert frame_of(stop.payload) == ("bump", bump, firmware.line_of("clw t0, 0(cs1)"))
    assert gdb.console("bt") == (
        f"#0  bump () at {FIRMWARE}:{firmware.line_of('clw t0, 0(cs1)')}\n"
        f"#1  {count_to + 16:#010x} in count_to () at {FIRMWARE}:"
        f"{firmware.line_of('2:	cjal bump')}\n"
        f"#2  {firmware.symbols['main'] + 8:#010x} in main () at {FIRMWARE}:"
        f"{firmware.line_of('cjal count_to')}\n")

    stop = gdb.run("-exec-finish")  # returns to count_to, just after its call of bump
    assert stop.payload["reason"] == "function-finished"
    assert frame_of(stop.payload) == ("count_to", count_to + 16,
                                      firmware.line_of("clw a0, 0(csp)"))
    assert counter(gdb) == 1

    stop = gdb.run("-exec-step")
    assert frame_of(stop.payload) == ("count_to", count_to + 20,
                                      firmware.line_of("addi a0, a0, -1"))
    stop = gdb.run("-exec-next")
    assert frame_of(stop.payload) == ("count_to", count_to + 24,
                                      firmware.line_of("csw a0, 0(csp)"))
    gdb.mi("-break-delete")
    gdb.run("-exec-next")
    stop = gdb.run("-exec-next")  # bnez back to the loop head
    assert frame_of(stop.payload) == ("count_to", count_to + 12,
                                      firmware.line_of("2:	cjal bump"))
    stop = gdb.run("-exec-step")  # into bump
    assert frame_of(stop.payload) == ("bump", bump, firmware.line_of("clw t0, 0(cs1)"))
    assert stop.payload["reason"] == "end-stepping-range"


def test_stepi_over_a_faulting_instruction_stops_with_sigsegv(gdb: Gdb,
                                                             firmware: Firmware) -> None:
    store = firmware.symbols["overflow"] + 20
    gdb.mi(f"-break-insert *{store:#x}")
    gdb.run("-exec-continue")
    gdb.mi("-break-delete")
    stop = gdb.run("-exec-step-instruction")
    assert stop.payload["reason"] == "signal-received"
    assert stop.payload["signal-name"] == "SIGSEGV"
    assert frame_of(stop.payload)[:2] == ("overflow", store)  # not executed, not yet taken
    assert_lines(stop.target, fault_explanation(firmware))
    assert traps(gdb) == 0

    # Stepping on delivers the exception: the step ends on the handler's first instruction.
    stop = gdb.run("-exec-step-instruction")
    assert stop.payload["reason"] == "end-stepping-range"
    assert frame_of(stop.payload)[:2] == ("trap_handler", firmware.symbols["trap_handler"])
    assert stop.target == "entered the trap handler: CHERI bounds violation on store through ca0\n"
    assert gdb.evaluate("$mcause") == "28"
    assert gdb.address_of("$mepcc.address") == store

    gdb.mi("-break-insert spin")
    stop = gdb.run("-exec-continue")  # the handler skips the store and returns
    assert frame_of(stop.payload)[:2] == ("spin", firmware.symbols["spin"])
    assert traps(gdb) == 1


def test_continue_stops_at_a_cheri_fault_and_signal_0_retries_it(gdb: Gdb,
                                                                 firmware: Firmware) -> None:
    store = firmware.symbols["overflow"] + 20
    stop = gdb.run("-exec-continue")
    assert (stop.payload["reason"], stop.payload["signal-name"]) == ("signal-received", "SIGSEGV")
    assert frame_of(stop.payload)[:2] == ("overflow", store)
    assert_lines(stop.target, fault_explanation(firmware))
    assert counter(gdb) == 3

    stop = gdb.run('-interpreter-exec console "signal 0"')  # resume without the exception
    assert stop.payload["signal-name"] == "SIGSEGV"
    assert frame_of(stop.payload)[:2] == ("overflow", store)
    assert traps(gdb) == 0

    gdb.mi("-break-insert spin")
    stop = gdb.run("-exec-continue")  # passes SIGSEGV: the handler takes it
    assert frame_of(stop.payload)[:2] == ("spin", firmware.symbols["spin"])
    assert traps(gdb) == 1
    assert_lines(gdb.monitor("fault"), ["last exception (taken):", *fault_lines(firmware)])


def test_catch_modes(gdb: Gdb, firmware: Firmware) -> None:
    assert gdb.monitor("catch").splitlines()[:2] == [
        "catch cheri: CHERI exceptions (mcause 0x1c) stop the target before they are taken",
        "modes:"]
    assert gdb.monitor("catch everything") == (
        "error: catch: argument MODE: 'everything' is not one of: none, cheri, all, unhandled\n"
        "usage: catch [MODE]\n")
    # Code written by gdb takes effect: an illegal instruction at spin.
    gdb.console("set {int}spin = 0")
    assert gdb.monitor("catch all") == (
        "catch all: every exception stops the target before it is taken\n")
    stop = gdb.run("-exec-continue")
    assert stop.payload["signal-name"] == "SIGSEGV"
    stop = gdb.run("-exec-continue")
    assert stop.payload["signal-name"] == "SIGILL"
    assert frame_of(stop.payload)[:2] == ("spin", firmware.symbols["spin"])
    assert stop.target.startswith("illegal instruction")

    gdb.monitor("reset")
    gdb.console("maintenance flush register-cache")
    assert gdb.monitor("catch none") == (
        "catch none: no exception stops the target (the firmware handles its own)\n")
    gdb.mi("-break-insert spin")
    stop = gdb.run("-exec-continue")  # the bounds fault goes to the firmware's handler
    assert stop.payload["reason"] == "breakpoint-hit"
    assert traps(gdb) == 1
    gdb.monitor("catch cheri")


def test_watchpoints_stop_at_the_accessing_instruction(gdb: Gdb, firmware: Firmware) -> None:
    bump = firmware.symbols["bump"]
    assert gdb.console("watch *(int *)&counter") == "Hardware watchpoint 1: *(int *)&counter\n"
    stop = gdb.run("-exec-continue")
    # The engine stops before the store; gdb steps over it and reports just after it.
    assert stop.payload["reason"] == "watchpoint-trigger"
    assert stop.payload["value"] == {"old": "0", "new": "1"}
    assert frame_of(stop.payload) == ("bump", bump + 12, firmware.line_of("bump returns"))
    gdb.mi("-break-delete")

    gdb.console("rwatch *(int *)&counter")
    stop = gdb.run("-exec-continue")
    assert stop.payload["reason"] == "read-watchpoint-trigger"
    assert stop.payload["value"] == {"value": "1"}
    assert frame_of(stop.payload)[:2] == ("bump", bump + 4)
    gdb.mi("-break-delete")

    gdb.console("awatch *(int *)&counter")
    stop = gdb.run("-exec-continue")
    assert stop.payload["reason"] == "access-watchpoint-trigger"
    assert stop.payload["value"] == {"old": "1", "new": "2"}
    assert frame_of(stop.payload)[:2] == ("bump", bump + 12)


def test_stepi_onto_a_watched_store_reports_the_watchpoint(gdb: Gdb, firmware: Firmware) -> None:
    # A data trigger of timing "before" (RISC-V debug spec 0.13, mcontrol.timing = 0, which gdb
    # assumes for riscv: nonsteppable watchpoints) fires on the access itself, whether the hart
    # got there by a step or by running: stepi over bump's store reports it, then is past it.
    bump = firmware.symbols["bump"]
    gdb.mi(f"-break-insert *{bump + 8:#x}")
    assert gdb.run("-exec-continue").payload["reason"] == "breakpoint-hit"
    gdb.mi("-break-delete")
    gdb.console("watch *(int *)&counter")
    stop = gdb.run("-exec-step-instruction")
    assert stop.payload["reason"] == "watchpoint-trigger", stop.payload
    assert stop.payload["value"] == {"old": "0", "new": "1"}
    assert frame_of(stop.payload)[:2] == ("bump", bump + 12)


def test_a_read_watchpoint_ignores_writes(gdb: Gdb, firmware: Firmware) -> None:
    # cap_slot is stored to once (_start's csc) and never read by the firmware; gdb's read
    # watchpoint must not stop there (a watchpoint that ignored its kind would stop at the
    # csc). counter is read first by bump's clw, where the other one stops.
    gdb.console("rwatch *(long long *)&cap_slot")
    stop = gdb.run("-exec-continue")
    assert (stop.payload["reason"], stop.payload["signal-name"]) == (
        "signal-received", "SIGSEGV")
    assert frame_of(stop.payload)[:2] == ("overflow", firmware.symbols["overflow"] + 20)
    gdb.monitor("reset")
    gdb.console("maintenance flush register-cache")
    gdb.console("rwatch *(int *)&counter")
    stop = gdb.run("-exec-continue")
    assert stop.payload["reason"] == "read-watchpoint-trigger"
    assert stop.payload["value"] == {"value": "0"}
    # gdb steps over the clw at bump before reporting, as for the write watchpoint.
    assert frame_of(stop.payload)[:2] == ("bump", firmware.symbols["bump"] + 4)


def test_ctrl_c_interrupts_a_spinning_firmware(gdb: Gdb, daemon: Daemon,
                                               firmware: Firmware) -> None:
    gdb.monitor("catch none")
    seen = len(daemon.uart)
    gdb.start("-exec-continue")
    daemon.wait_for_uart(b"recovered\n\n", start=seen)  # in spin's loop from now on
    stop = gdb.interrupt()
    assert (stop.payload["reason"], stop.payload["signal-name"]) == ("signal-received", "SIGINT")
    func, pc, _ = frame_of(stop.payload)
    loop = firmware.symbols["spin"] + 12
    assert func == "spin" and pc in (loop, loop + 4)
    gdb.monitor("catch cheri")


# --- registers ------------------------------------------------------------------------------------

def test_capability_registers_read_naturally(gdb: Gdb, firmware: Firmware) -> None:
    gdb.mi("-break-insert main")
    gdb.run("-exec-continue")
    stack = firmware.symbols["stack"]
    counter_address = firmware.symbols["counter"]
    assert gdb.console("p $csp") == (
        f"$1 = {{address = {stack + 0x400:#x}, base = {stack:#x}, top = {stack + 0x400}, "
        "length = 1024, perms = [ GL LG SD LM SL LD MC ], otype = unsealed, tag = true}\n")
    assert gdb.console("p $csp.perms") == "$2 = [ GL LG SD LM SL LD MC ]\n"
    assert gdb.console("p/x $csp.length") == "$3 = 0x400\n"
    assert gdb.console("p $cs1") == (
        f"$4 = {{address = {counter_address:#x} <counter>, base = {counter_address:#x} <counter>, "
        f"top = {counter_address + 4}, length = 4, perms = [ GL LG SD LM SL LD MC ], "
        "otype = unsealed, tag = true}\n")
    assert gdb.console("p $pcc.perms") == "$5 = [ GL LG LM LD MC SR EX ]\n"
    assert gdb.console("p $mscratchc.perms") == "$6 = [ GL US SE U0 ]\n"
    assert gdb.console("p $mtcc.address") == (
        f"$7 = (void (*)()) {firmware.symbols['trap_handler']:#x} <trap_handler>\n")
    names = [line.split()[0] for line in gdb.console("info registers cheri").splitlines()]
    assert names == ["cra", "csp", "cgp", "ctp", "ct0", "ct1", "ct2", "cs0", "cs1", "ca0", "ca1",
                     "ca2", "ca3", "ca4", "ca5", "pcc", "mtcc", "mtdc", "mscratchc", "mepcc"]
    assert gdb.console("p/x $sp") == f"$8 = {stack + 0x400:#x}\n"  # the integer view


def test_register_writes_work_exactly_or_are_refused(gdb: Gdb, firmware: Firmware) -> None:
    gdb.mi("-break-insert main")
    gdb.run("-exec-continue")
    counter_address = firmware.symbols["counter"]
    gdb.console("set $a2 = 0x1234")
    assert gdb.console("p/x $a2") == "$1 = 0x1234\n"
    gdb.console("set $cs1.length = 2")  # narrowing keeps the tag
    assert gdb.console("p $cs1") == (
        f"$2 = {{address = {counter_address:#x} <counter>, base = {counter_address:#x} <counter>, "
        f"top = {counter_address + 2}, length = 2, perms = [ GL LG SD LM SL LD MC ], "
        "otype = unsealed, tag = true}\n")
    refused = 'Could not write register "cs1"; remote failure reply \'E0d\''
    for widen in ("set $cs1.length = 64", "set $cs1.base = 0", "set $cs1.otype = 1"):
        with pytest.raises(GdbError) as excinfo:
            gdb.console(widen)
        assert str(excinfo.value) == refused
    gdb.console("set $cs1.tag = 0")
    with pytest.raises(GdbError) as excinfo:
        gdb.console("set $cs1.tag = 1")  # the debugger never mints a capability
    assert str(excinfo.value) == refused
    assert gdb.console("p $cs1.tag") == "$3 = false\n"
    gdb.console("set $pc = bump")
    assert gdb.address_of("$pcc.address") == firmware.symbols["bump"]
    # The pcc's bounds and permissions are not the debugger's to change.
    with pytest.raises(GdbError, match='Could not write register "pcc"'):
        gdb.console("set $pcc.tag = 0")


# --- memory ---------------------------------------------------------------------------------------

def test_memory_reads_writes_and_tags(gdb: Gdb, firmware: Firmware) -> None:
    gdb.mi("-break-insert main")
    gdb.run("-exec-continue")
    slot, counter_address = firmware.symbols["cap_slot"], firmware.symbols["counter"]
    # The granule holds cs1 as isa.md §2.3 lays it out: address word, then metadata word.
    assert gdb.console("x/2xw &cap_slot") == (
        f"0x80000160 <cap_slot>:\t0x80000158\t{COUNTER_META:#010x}\n")
    assert gdb.monitor(f"tags {slot:#x} 8") == (
        f"{slot:#010x}: 1\n1 of 1 granules tagged (1: tagged, 0: untagged, -: memory without "
        "tags)\n")
    shown = gdb.monitor(f"cap {slot:#x}")
    assert shown.startswith("0x80000160: ") and shown.endswith("\n")
    assert_cap(shown, COUNTER_CAP)
    gdb.mi(f"-data-write-memory-bytes {slot + 7:#x} 7e")  # the same byte: still clears the tag
    assert gdb.monitor(f"tags {counter_address:#x} 16") == (
        f"{counter_address:#010x}: 00\n0 of 2 granules tagged (1: tagged, 0: untagged, -: "
        "memory without tags)\n")
    gdb.console("set {int}&counter = 40")
    gdb.mi("-break-insert bump")
    gdb.run("-exec-continue")
    gdb.run("-exec-finish")
    assert counter(gdb) == 41
    memory = gdb.mi(f"-data-read-memory-bytes {counter_address:#x} 4").payload["memory"]
    assert memory == [{"begin": f"{counter_address:#010x}", "offset": "0x00000000",
                       "end": f"{counter_address + 4:#010x}", "contents": "29000000"}]
    with pytest.raises(GdbError, match="Cannot access memory at address 0x1000"):
        gdb.console("x/xw 0x1000")


def test_code_written_by_gdb_takes_effect(gdb: Gdb, firmware: Firmware) -> None:
    bump = firmware.symbols["bump"]
    gdb.mi("-break-insert bump")
    gdb.run("-exec-continue")
    gdb.run("-exec-continue")  # bump has run once: its code has been translated
    assert counter(gdb) == 1
    gdb.console(f"set {{int}}{bump + 4:#x} = 0x00a28293")  # addi t0, t0, 1 -> addi t0, t0, 10
    gdb.run("-exec-finish")
    assert counter(gdb) == 11


def test_device_reads_have_no_side_effects(gdb: Gdb) -> None:
    # The sail UART (16550, registers 4 bytes apart): IIR says nothing pending, LSR 0x60.
    window = ("0x10000000:\t0x00000000\t0x00000000\t0x00000001\t0x00000000\n"
              "0x10000010:\t0x00000000\t0x00000060\t0x00000000\t0x00000000\n")
    assert gdb.console("x/8xw 0x10000000") == window
    assert gdb.console("x/8xw 0x10000000") == window


# --- monitor commands -----------------------------------------------------------------------------

def test_monitor_help_lists_every_command(gdb: Gdb) -> None:
    # The RTOS commands are listed on every image (on this one they say "no RTOS view").
    assert gdb.monitor("help") == HELP  # the listing the command tests pin
    assert gdb.monitor("") == gdb.monitor("help")
    assert gdb.monitor("frob") == (
        "error: unknown command 'frob'; 'monitor help' lists the commands\n")


def test_monitor_cap_fault_stats_uart_reset(gdb: Gdb, firmware: Firmware) -> None:
    assert gdb.monitor("fault") == "no exception has been taken since reset\n"
    assert gdb.monitor("uart") == "(no UART output yet)\n"
    shown = gdb.monitor("cap pcc")
    assert shown.startswith("pcc: ") and shown.endswith("\n")
    assert_cap(shown, RESET_PCC_CAP)
    # The RTOS's own notation of the same capability (cheriot-rtos's capability printer).
    assert shown.splitlines()[1] == (
        f"  rtos: {firmware.symbols['_start']:#x} (v:1 0x0-0x100000000 l:0x100000000 o:0x0 "
        "p: G R-cgm- Xa ---)")
    assert gdb.monitor("cap foo") == (
        "error: cap: argument REG_OR_ADDR: 'foo' is not a number, a symbol of the image or a "
        "register (try 0x80000000, main, csp, $sp, mtdc ...)\nusage: cap REG_OR_ADDR\n")
    assert gdb.monitor("cap 0x10000000") == (
        "error: cannot access 8 byte(s) at 0x10000000: capabilities are only stored in "
        "memory\n")
    gdb.mi("-break-insert count_to")
    gdb.run("-exec-continue")
    assert gdb.monitor("uart") == "hello from the e2e firmware\n"
    assert gdb.monitor("cap sp") == gdb.monitor("cap csp")
    stats = gdb.monitor("stats").splitlines()
    assert stats[0] == "instructions retired: 169"
    assert [line.split(":")[0] for line in stats] == [
        "instructions retired", "  on the fast path", "  on the slow path or skipped in wfi",
        "slow-path entries", "run time", "instructions per second"]
    assert gdb.monitor("reset") == (
        "reset done; gdb still shows the old registers: 'maintenance flush register-cache'\n")
    gdb.console("maintenance flush register-cache")
    assert gdb.address_of("$pc") == firmware.symbols["_start"]
    assert gdb.monitor("uart") == "(no UART output yet)\n"
    assert gdb.monitor("stats").splitlines()[0] == "instructions retired: 0"


def test_steps_take_no_interrupt_continue_does(gdb: Gdb, firmware: Firmware) -> None:
    bump = firmware.symbols["bump"]
    gdb.mi("-break-insert bump")
    gdb.run("-exec-continue")
    gdb.mi("-break-delete")
    # Make a machine-timer interrupt pending and enabled: mtimecmp far away, then 0 <= mtime.
    gdb.console("set {int}0x02004004 = -1")
    assert not int(gdb.evaluate("$mip")) & 0x80
    gdb.console("set {int}0x02004004 = 0")
    gdb.console("set $mie = 0x80")
    gdb.console("set $mstatus = $mstatus | 8")
    assert int(gdb.evaluate("$mip")) & 0x80
    for offset in (4, 8, 12):  # each stepi retires exactly the next instruction
        stop = gdb.run("-exec-step-instruction")
        assert frame_of(stop.payload)[:2] == ("bump", bump + offset)
    assert traps(gdb) == 0
    assert counter(gdb) == 1
    gdb.mi("-break-insert trap_handler")
    stop = gdb.run("-exec-continue")  # a continue takes it at once
    assert frame_of(stop.payload)[:2] == ("trap_handler", firmware.symbols["trap_handler"])
    assert gdb.address_of("$mcause") == 0x80000007
    assert gdb.address_of("$mepcc.address") == bump + 12
