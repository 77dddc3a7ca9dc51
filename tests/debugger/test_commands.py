"""debugger/commands: the registry, the shared argument grammar and the command families, over a
real machine running the e2e firmware."""

from __future__ import annotations

import argparse

import pytest

from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.core.capability import describe, rtos_notation
from cheriot_gdbserver.debugger.commands.base import (
    Argument,
    Command,
    CommandFamily,
    CommandRegistry,
)
from cheriot_gdbserver.debugger.commands.capabilities import MAX_TAGS_BYTES
from cheriot_gdbserver.debugger.commands.catalog import FAMILIES, default_registry
from cheriot_gdbserver.debugger.debug_context import DebugContext

HELP = (
    "audit [NAME]                 the image as JSON shaped like the linker's audit report\n"
    "callchain [THREAD] [--json]  a thread's compartment call chain (default: gdb's thread)\n"
    "cap REG_OR_ADDR              show a capability register, or the capability stored at ADDR\n"
    "caps LOCATIONS               capabilities of many registers or addresses, as one JSON line\n"
    "catch [MODE]                 show or set which traps stop the target\n"
    "compartment NAME             one compartment: ranges, exports, imports, threads inside it"
    " now\n"
    "compartments                 list the RTOS image's compartments and libraries\n"
    "exports NAME                 the export table of a compartment or library\n"
    "fault                        explain the last trap\n"
    "futexes                      every futex word with a waiter, and its waiters\n"
    "heap [ADDR]                  the heap: totals, quotas, chunks; or the chunk holding ADDR\n"
    "help [COMMAND]               list the commands, or describe one\n"
    "imports NAME                 the import table of a compartment or library, decoded by kind\n"
    "reboot NAME                  ask the firmware to micro-reboot a compartment (when the"
    " target runs)\n"
    "reset                        reset the machine to its power-on state\n"
    "sealed REG_OR_ADDR           what a sealed capability (a register, or the one at ADDR) is\n"
    "stats                        show execution statistics since reset\n"
    "tags ADDR [LENGTH]           show the capability tags of the memory from ADDR\n"
    "threads                      the RTOS threads: state, compartment, priority, stack use\n"
    "uart                         show what the firmware wrote to the UART\n"
    "where REG_OR_ADDR            which compartment, stack, heap chunk, device... an address"
    " belongs to\n"
)
TAGS_LEGEND = "(1: tagged, 0: untagged, -: memory without tags)"


@pytest.fixture
def context(machine: Machine) -> DebugContext:
    return DebugContext(machine)


@pytest.fixture
def run(context: DebugContext):
    registry = default_registry()
    return lambda line: registry.run(line, context)


def run_to(context: DebugContext, symbol: str) -> None:
    engine = context.machine.engine
    engine.add_breakpoint(context.image.symbols[symbol])
    engine.run()
    engine.remove_breakpoint(context.image.symbols[symbol])


def test_help_lists_every_command_of_every_family(run) -> None:
    assert run("help") == HELP
    assert run("") == HELP
    names = {c.name for f in FAMILIES for c in f.commands}
    assert {line.split()[0] for line in HELP.splitlines()} == names | {"help"}


def test_help_for_one_command(run) -> None:
    assert run("help tags") == (
        "usage: tags ADDR [LENGTH]\n"
        "tags: show the capability tags of the memory from ADDR\n"
        "  ADDR    start: address, symbol or register ($sp)\n"
        f"  LENGTH  number of bytes (default 64, at most {MAX_TAGS_BYTES:#x} shown)\n")
    assert run("help fault") == "usage: fault\nfault: explain the last trap\n"


def test_unknown_command_and_usage_errors_are_text(run) -> None:
    expected = "error: unknown command 'frob'; 'monitor help' lists the commands\n"
    assert run("frob 1 2") == expected
    assert run("help frob") == expected
    assert run("fault now") == "error: fault: unrecognized arguments: now\nusage: fault\n"
    assert run("tags") == ("error: tags: the following arguments are required: ADDR\n"
                           "usage: tags ADDR [LENGTH]\n")
    assert run("tags 0x80000000 -4") == ("error: tags: argument LENGTH: not a positive number: "
                                         "'-4'\nusage: tags ADDR [LENGTH]\n")
    assert run("cap 'unterminated") == "error: No closing quotation\n"
    assert run("catch bogus") == ("error: catch: argument MODE: 'bogus' is not one of: none, "
                                  "cheri, all, unhandled\nusage: catch [MODE]\n")


def test_one_argument_grammar_for_registers_symbols_and_numbers(run, context) -> None:
    """`tags $sp` takes what `cap $sp` takes (issue 7 item 8): registers with or without '$',
    integer and capability names, symbols with offsets, numbers in any base."""
    run_to(context, "count_to")
    csp = context.registers.capability("csp")
    assert run("cap $sp") == run("cap sp") == run("cap csp") == run("cap $csp") == run("cap x2")
    assert run("cap $sp").startswith(f"csp: {describe(csp)}\n")
    sp_tags = run(f"tags {csp.address:#x} 16")
    assert run("tags $sp 16") == run("tags csp 16") == run(f"tags {csp.address} 0x10") == sp_tags
    slot = context.image.symbols["cap_slot"]
    assert run("tags cap_slot 8") == run(f"tags {slot:#x} 8")
    assert run("cap buffer+8").startswith(f"{context.image.symbols['buffer'] + 8:#010x}: ")
    assert run("cap nowhere") == (
        "error: cap: argument REG_OR_ADDR: 'nowhere' is not a number, a symbol of the image or "
        "a register (try 0x80000000, main, csp, $sp, mtdc ...)\nusage: cap REG_OR_ADDR\n")


def test_cap_shows_the_field_view_the_rtos_notation_and_what_the_bounds_cover(run, context):
    run_to(context, "count_to")  # bump's caller has stored a capability to counter in cap_slot
    slot, counter = context.image.symbols["cap_slot"], context.image.symbols["counter"]
    stored = context.machine.engine.read_cap_memory(slot)
    assert stored.tag and stored.bounds == (counter, counter + 4)
    assert run(f"cap {slot:#x}") == (
        f"{slot:#010x}: {describe(stored)}\n"
        f"  rtos: {rtos_notation(stored)}\n"
        f"  meta: {stored.meta:#010x}\n"
        "  covers: counter\n")
    assert run("cap pcc") == (
        f"pcc: {describe(context.registers.capability('pcc'))}\n"
        f"  rtos: {context.machine.engine.pc:#x} (v:1 0x0-0x100000000 l:0x100000000 o:0x0 "
        "p: G R-cgm- Xa ---)\n"
        "  meta: 0x5e3e0000\n")  # bounds of the whole space: no symbol, no section


def test_cap_of_device_memory_is_refused(run) -> None:
    assert run("cap 0x10000000") == ("error: cannot access 8 byte(s) at 0x10000000: "
                                     "capabilities are only stored in memory\n")


def test_tags_are_capped_with_a_continuation(run, context) -> None:
    start = 0x8000_0000
    out = run(f"tags {start:#x} 0x1000000").splitlines()
    assert len(out) == MAX_TAGS_BYTES // 512 + 2
    assert out[-2] == f"0 of {MAX_TAGS_BYTES // 8} granules tagged {TAGS_LEGEND}"
    assert out[-1] == (f"showing the first {MAX_TAGS_BYTES:#x} of 0x1000000 bytes (the most one "
                       f"command shows); continue with 'tags {start + MAX_TAGS_BYTES:#x} "
                       f"{0x1000000 - MAX_TAGS_BYTES:#x}'")
    assert run(f"tags {start:#x} {MAX_TAGS_BYTES:#x}").splitlines()[-1].startswith("0 of 4096")


def test_stats_are_consistent_and_count_from_reset(run, context) -> None:
    """issue 7 item 8: fast + the rest = retired, and a fresh reset reports no rate, not 0."""
    run_to(context, "count_to")

    def numbers() -> dict[str, str]:
        return dict(line.strip().split(": ", 1) for line in run("stats").splitlines())

    stats = numbers()
    retired = int(stats["instructions retired"])
    assert retired == context.machine.engine.core.instret > 0
    assert int(stats["on the fast path"]) + int(stats["on the slow path or skipped in wfi"]) \
        == retired
    assert int(stats["instructions per second"]) > 0
    run("reset")
    assert numbers() == {"instructions retired": "0", "on the fast path": "0",
                         "on the slow path or skipped in wfi": "0", "slow-path entries": "0",
                         "run time": "0.000 s",
                         "instructions per second": "- (not run since reset)"}
    run_to(context, "count_to")
    assert numbers()["instructions retired"] == str(retired)
    assert numbers()["on the fast path"] == stats["on the fast path"]


def test_reset_tells_its_listeners(run, context) -> None:
    heard = []
    context.reset_listeners.append(lambda: heard.append("reset"))
    assert run("reset") == ("reset done; gdb still shows the old registers: "
                            "'maintenance flush register-cache'\n")
    assert heard == ["reset"]


def test_a_command_is_one_entry_in_a_family() -> None:
    echo = Command("echo", "say WORD back", lambda c, a: a.word,
                   (Argument("WORD", "anything"),), changes_target=False)
    registry = CommandRegistry((CommandFamily("test", (echo,)),))
    assert registry.run("echo hi", None) == "hi\n"  # type: ignore[arg-type]
    assert "echo WORD" in registry.help()


def test_registry_rejects_duplicates_and_odd_names() -> None:
    cmd = Command("x", "x", lambda c, a: "")
    with pytest.raises(ValueError, match="registered twice"):
        CommandRegistry((CommandFamily("f", (cmd, cmd)),))
    with pytest.raises(ValueError, match="not a plain word"):
        CommandRegistry((CommandFamily("f", (Command("a-b", "x", lambda c, a: ""),)),))


def test_refusals_inside_a_command_are_error_text() -> None:
    from cheriot_gdbserver.errors import RegisterWriteError

    def refuse(context: DebugContext, args: argparse.Namespace) -> str:
        raise RegisterWriteError("no")

    registry = CommandRegistry((CommandFamily("f", (Command("no", "refuses", refuse,
                                                            changes_target=False),)),))
    assert registry.run("no", None) == "error: no\n"  # type: ignore[arg-type]


def test_names_in_reports_and_covers_are_demangled() -> None:
    """A C++ symbol reads as gdb prints it in fault reports, traces and `monitor cap`."""
    from pathlib import Path

    from cheriot_gdbserver.boards.image import Image, Symbol
    from cheriot_gdbserver.debugger.symbols import covering_name
    from cheriot_gdbserver.report import where

    image = Image(Path("fw.elf"), [], 0x8000_0000, [
        Symbol("__export_sched__Z15scheduler_entryPK16ThreadLoaderInfo", 0x8000_0100, 0x40,
               "STT_FUNC", "STB_GLOBAL"),
        Symbol("_ZN4heap6bufferE", 0x8000_1000, 0x100, "STT_OBJECT", "STB_GLOBAL")])
    assert where(image, 0x8000_0108) == (
        "0x80000108 <__export_sched_scheduler_entry(ThreadLoaderInfo const*)+8>")
    assert covering_name(image, 0x8000_1010, 0x8000_1020) == "heap::buffer+16"
    assert covering_name(image, 0x8000_1010, 0x8000_1200) == ""  # raw image: no sections
