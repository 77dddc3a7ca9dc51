"""``bt``, ``up``, ``frame N``, ``info frame`` and ``finish`` across compartment calls and trap
frames, in real gdb-multiarch with the extension, on the bundled RTOS firmware.

What is pinned is the switcher's contract (rtos.md 3.2-3.4, cheriot-rtos
sdk/core/switcher/entry.S): a cross-compartment call spills the caller's cs0, cs1, cgp and cra
below its csp and returns to the instruction after the caller's ``cjalr``, with ``csp`` as it
was at the call; the trap entry swaps ``csp`` with MTDC first, then saves the interrupted
registers, and MEPCC holds the faulting instruction (isa.md 7.5).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from . import unwind_support
from .unwind_support import (
    DEMO,
    FAULTY,
    SOURCES,
    attach,
    disassembly,
    frames,
    line_of,
    needs_tools,
    nm,
    pc,
    run_to,
    where,
)

pytestmark = needs_tools
rtos_gdb = unwind_support.rtos_gdb          # the module's fixture

FIRST_CALL = line_of(DEMO, "ccall __import_faulty_faulty_read", 0)
SECOND_CALL = line_of(DEMO, "ccall __import_faulty_faulty_read", 1)
FAULT_LINE = line_of(FAULTY, "a bounds fault for an index past the end")


def call_site(gdb, elf: Path, line: int) -> tuple[int, int]:
    """Run to demo.S:LINE (a ccall) and return ($sp, the address after its cjalr)."""
    run_to(gdb, f"demo.S:{line}")
    sp = gdb.address_of("$sp")
    start = pc(gdb)
    # objdump spells CHERIoT's cjalr as RV32's jalr (the same encoding)
    after = next(a for a, text in disassembly(elf, start, start + 64)
                 if text.startswith("jalr"))
    return sp, after + 4


def test_bt_in_a_callee_compartment_shows_the_caller_compartment(rtos_gdb, rtos_elf) -> None:
    symbols = nm(rtos_elf)
    sp, ret = call_site(rtos_gdb, rtos_elf, FIRST_CALL)
    run_to(rtos_gdb, "faulty_read")
    assert pc(rtos_gdb) == symbols["faulty_read"]
    bt = frames(rtos_gdb)
    assert len(bt) == 2, bt           # the thread's entry function is the outermost frame
    assert bt[0].startswith("#0  faulty_read [faulty] () at ") and bt[0].endswith(
        f"faulty.S:{line_of(FAULTY, 'gaddr ca1, table')}"), bt
    assert bt[1].startswith(f"#1  {ret:#010x} in demo_main [demo] () at ") and \
        bt[1].endswith(f"demo.S:{FIRST_CALL}"), bt
    assert "Backtrace stopped" not in rtos_gdb.console("bt")
    # up / frame N / info frame: the caller's registers as the switcher will restore them
    assert "demo_main () at" in rtos_gdb.console("up")
    assert pc(rtos_gdb) == ret
    assert rtos_gdb.address_of("$sp") == sp
    info = rtos_gdb.console("info frame")
    assert "Stack level 1" in info and "demo_main" in info, info
    assert "Initial frame selected; you cannot go up" not in rtos_gdb.console("frame 1")
    assert where(rtos_gdb) == ("demo_main", FIRST_CALL)
    rtos_gdb.console("frame 0")
    assert where(rtos_gdb) == ("faulty_read", line_of(FAULTY, "gaddr ca1, table"))


def test_finish_from_a_compartment_entry_returns_to_the_caller(rtos_gdb, rtos_elf) -> None:
    sp, ret = call_site(rtos_gdb, rtos_elf, FIRST_CALL)
    run_to(rtos_gdb, "faulty_read")
    out = rtos_gdb.console("finish")
    assert "Run till exit from #0" in out and "entry.S" not in out, out
    assert pc(rtos_gdb) == ret
    assert rtos_gdb.address_of("$sp") == sp
    assert where(rtos_gdb)[0] == "demo_main"
    # faulty_read(2) returned table[2] (faulty.S's table)
    assert rtos_gdb.address_of("$a0") == table_word(2)


def table_word(index: int) -> int:
    text = FAULTY.read_text()
    start = text.index("table:")
    words = [int(w, 0) for w in text[start:].split(".word", 1)[1].splitlines()[0]
             .split("#")[0].replace(",", " ").split()]
    return words[index]


def test_bt_at_the_trap_handlers_first_instruction_shows_the_faulting_line(rtos_gdb,
                                                                           rtos_elf) -> None:
    symbols = nm(rtos_elf)
    _, ret = call_site(rtos_gdb, rtos_elf, SECOND_CALL)
    stop = rtos_gdb.run("-exec-continue")          # catch cheri: stops on the bounds fault
    assert stop.payload.get("signal-name") == "SIGSEGV", stop.payload
    fault_pc, fault_sp = pc(rtos_gdb), rtos_gdb.address_of("$sp")
    fault_a1 = rtos_gdb.address_of("$a1")
    assert where(rtos_gdb) == ("faulty_read", FAULT_LINE)
    rtos_gdb.mi(f"-break-insert *{symbols['exception_entry_asm']:#x}")
    stop = rtos_gdb.run("-exec-continue")          # delivers it: the handler's first instruction
    assert pc(rtos_gdb) == symbols["exception_entry_asm"]

    def check() -> None:
        bt = frames(rtos_gdb)
        assert bt[0].startswith("#0  exception_entry_asm [compartment_switcher]"), bt
        assert bt[1].startswith(f"#1  {fault_pc:#010x} in faulty_read [faulty, trapped here]") \
            and bt[1].endswith(f"faulty.S:{FAULT_LINE}"), bt
        assert bt[2].startswith(f"#2  {ret:#010x} in demo_main [demo]") and \
            bt[2].endswith(f"demo.S:{SECOND_CALL}"), bt
        assert len(bt) == 3, bt
        rtos_gdb.console("frame 1")
        assert pc(rtos_gdb) == fault_pc
        assert rtos_gdb.address_of("$sp") == fault_sp
        assert rtos_gdb.address_of("$a1") == fault_a1
        rtos_gdb.console("frame 0")

    check()                                        # nothing saved yet: the live registers
    rtos_gdb.console("stepi")                      # csp swapped with MTDC
    check()
    # on to where MTDC is null and the save area holds the registers: the first csrr after
    # the switcher stored MEPCC (rtos/firmware/switcher/entry.S)
    code = disassembly(rtos_elf, symbols["exception_entry_asm"],
                       symbols["exception_entry_asm"] + 0x80)
    later = next(a for a, text in code if text.startswith("csrr") and "mshwm" in text.lower()
                 or text.startswith("csrr") and "0xbc1" in text)
    rtos_gdb.mi(f"-break-insert *{later:#x}")
    rtos_gdb.run("-exec-continue")
    assert pc(rtos_gdb) == later
    check()


def test_the_json_callchain_names_what_the_unwinder_uses(rtos_gdb, rtos_elf) -> None:
    symbols = nm(rtos_elf)
    sp, ret = call_site(rtos_gdb, rtos_elf, FIRST_CALL)
    run_to(rtos_gdb, "faulty_read")
    doc = json.loads(rtos_gdb.monitor("callchain --json"))
    assert doc["thread"] == 1 and doc["compartment"] == "faulty"
    inner, outer = doc["frames"]
    assert (inner["index"], inner["compartment"], inner["function"]) == (1, "faulty",
                                                                         "faulty_read")
    assert inner["entry"] == symbols["faulty_read"]
    assert inner["caller"]["pc"] == ret and inner["caller"]["csp"] == sp
    assert inner["spill"] == sp - 32
    assert inner["caller"]["cra"]["tag"] and inner["caller"]["cra"]["otype"] in (4, 5)
    assert outer["entry"] == symbols["demo_main"] and outer["caller"] is None
    image = doc["image"]
    assert image["switcher_entry"] == symbols["__Z26compartment_switcher_entryz"]
    assert image["trap_entry"] == symbols["exception_entry_asm"]
    assert image["switcher_return"] == symbols["switcher_after_compartment_call"]
    assert symbols["thread_id_get"] in image["switcher_library"]
    assert symbols["faulty_read"] in image["entries"]


def test_a_cheriot_image_without_an_rtos_unwinds_as_before(tmp_path: Path) -> None:
    from cheriot_gdbmi import Daemon

    from cheriot_gdbserver.asm.build import assemble

    debugee = Path(__file__).resolve().parents[1] / "e2e" / "firmware" / "debugee.S"
    elf = assemble([debugee], tmp_path, name="debugee", debug=True)
    daemon = Daemon(elf)
    try:
        outputs = []
        for extension in (False, True):
            gdb = attach(elf, daemon, extension)
            try:
                run_to(gdb, "bump")
                outputs.append((gdb.console("bt"), gdb.console("next"), gdb.console("bt")))
                assert "no RTOS view" not in gdb.console("bt")
            finally:
                gdb.close()
        plain, extended = outputs
        assert [o.replace(" [", "@").split("@")[0] for o in extended[0].splitlines()] == \
            plain[0].splitlines()
        assert extended[1] == plain[1]
    finally:
        assert daemon.stop() == 0, daemon.stderr


def test_bt_of_a_waiting_thread_reaches_its_entry_function(rtos_gdb) -> None:
    """The consumer thread waits in the scheduler's futex_timed_wait, called from
    queue.queue_get, called from its entry consumer.consumer_run (rtos/firmware/)."""
    queue = SOURCES / "queue" / "queue.S"
    consumer = SOURCES / "consumer" / "consumer.S"
    run_to(rtos_gdb, "faulty_read")
    rtos_gdb.console("thread 3")
    bt = frames(rtos_gdb)
    assert [b.split(" (")[0].split(" in ")[-1].split("  ")[-1] for b in bt] == [
        "futex_timed_wait [scheduler]", "queue_get [queue]", "consumer_run [consumer]"], bt
    assert bt[1].endswith(f"queue.S:{line_of(queue, 'ccall __import_scheduler_futex_timed_wait')}")
    assert bt[2].endswith(f"consumer.S:{line_of(consumer, 'ccall __import_queue_queue_get')}")


def local_symbol(elf: Path, obj: str, name: str) -> int:
    """The address of the local symbol ``name`` of object file ``obj`` (readelf)."""
    out = subprocess.run(["riscv64-unknown-elf-readelf", "-sW", str(elf)], check=True,
                         text=True, capture_output=True).stdout
    current = None
    for fields in (line.split() for line in out.splitlines()):
        if len(fields) == 8 and fields[3] == "FILE":
            current = fields[7]
        elif len(fields) == 8 and fields[7] == name and current and obj in current:
            return int(fields[1], 16)
    raise AssertionError(f"no {name} in {obj}")


def test_bt_in_an_error_handler_reaches_the_faulting_function(rtos_gdb, rtos_elf) -> None:
    """The switcher calls faulty's stackful handler from its trap path (rtos.md 3.5): the
    handler's caller is the switcher, whose caller is the faulting instruction."""
    _, ret = call_site(rtos_gdb, rtos_elf, SECOND_CALL)
    rtos_gdb.monitor("catch none")
    try:
        handler = local_symbol(rtos_elf, "faulty", "compartment_error_handler")
        run_to(rtos_gdb, f"*{handler:#x}")
        bt = frames(rtos_gdb)
    finally:
        rtos_gdb.monitor("catch cheri")
    assert bt[0].startswith("#0  compartment_error_handler [faulty]"), bt
    assert " in exception_entry_asm [compartment_switcher] " in bt[1], bt
    assert " in faulty_read [faulty, trapped here] " in bt[2] and \
        bt[2].endswith(f"faulty.S:{FAULT_LINE}"), bt
    assert bt[3].startswith(f"#3  {ret:#010x} in demo_main [demo]"), bt
    assert len(bt) == 4, bt


def test_every_instruction_of_the_switchers_call_and_return_paths_has_the_caller_above(
        rtos_gdb, rtos_elf) -> None:
    """stepi through the whole switcher, call path and return path: at each instruction the
    frame above is demo_main at the return address with the stack pointer of the call."""
    symbols = nm(rtos_elf)
    sp, ret = call_site(rtos_gdb, rtos_elf, FIRST_CALL)
    switcher = (symbols["__Z26compartment_switcher_entryz"], symbols["exception_entry_asm"])
    seen = {"call": 0, "return": 0}
    for path in ("call", "return"):
        while not switcher[0] <= pc(rtos_gdb) < switcher[1]:
            rtos_gdb.console("stepi")
        while switcher[0] <= pc(rtos_gdb) < switcher[1]:
            at = pc(rtos_gdb)
            rtos_gdb.console("frame 1")
            assert (pc(rtos_gdb), rtos_gdb.address_of("$sp")) == (ret, sp), (path, hex(at))
            assert where(rtos_gdb)[0] == "demo_main", (path, hex(at))
            rtos_gdb.console("frame 0")
            rtos_gdb.console("stepi")
            seen[path] += 1
        if path == "call":
            assert pc(rtos_gdb) == symbols["faulty_read"]
        else:
            assert pc(rtos_gdb) == ret and rtos_gdb.address_of("$sp") == sp
    assert seen["call"] > 40 and seen["return"] > 20, seen
