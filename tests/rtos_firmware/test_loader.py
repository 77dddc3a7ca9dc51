"""What the loader leaves behind (rtos.md 1.5, 2.3, 2.4, 4.9), read through the Machine when the
first thread starts: every capability derived from the three roots with the documented bounds,
permissions and object types, and nothing of the loader's own authority left."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.core.hart import SCR_MEPCC, SCR_MSCRATCHC, SCR_MTCC, SCR_MTDC

from .support import Booted, boot, records, section

GL, LG, SD, LM, SL, LD, MC, SR, EX, US, SE, U0 = (1 << i for i in range(12))
USER_PCC = GL | EX | LD | MC | LM | LG
CGP = GL | LD | SD | MC | LM | LG


@pytest.fixture(scope="module")
def started(rtos_elf: Path) -> Booted:
    booted = boot(rtos_elf)
    booted.run_to("consumer_run")          # the highest-priority thread's first instruction
    return booted


def test_export_tables_hold_pcc_and_cgp_exactly_bounded(started: Booted, rtos_elf: Path) -> None:
    syms = started.symbols
    _, header = section(rtos_elf, ".compartment_headers")
    _, recs = records(header)
    for rec in recs[1:]:                    # the compartments (the library's table is gone)
        pcc = started.cap(rec.exports)
        assert pcc.tag and not pcc.sealed
        assert pcc.bounds == (rec.code, rec.code + rec.code_size)
        assert pcc.perms == USER_PCC
        cgp = started.cap(rec.exports + 8)
        assert cgp.tag and cgp.bounds == (rec.globals, rec.globals + rec.globals_size)
        assert cgp.perms == CGP
        assert cgp.address == rec.globals + rec.globals_size // 2
    scheduler = started.cap(syms[".scheduler_export_table"])
    assert scheduler.bounds == (syms[".scheduler_start"], syms[".scheduler_end"])


def test_import_tables_hold_the_four_kinds_of_import(started: Booted) -> None:
    syms = started.symbols
    # Slot 0: the switcher's entry as an interrupt-disabling sentry, on the switcher's PCC (SR).
    slot0 = started.cap(syms[".console_code_start"])
    assert slot0.tag and slot0.otype == 2
    assert slot0.address == syms["__Z26compartment_switcher_entryz"]
    assert slot0.perms & SR and not slot0.perms & GL
    # A cross-compartment call: the callee's export entry sealed with otype 9, bounded to the
    # callee's whole export table, without store permission.
    call = started.cap(syms["__import_queue_futex_wake"] if False else
                       syms["__import_scheduler_futex_wake"])
    assert call.tag and call.otype == 9
    assert call.address == syms["__export_scheduler_futex_wake"]
    assert call.bounds == (syms[".scheduler_export_table"], syms[".scheduler_export_table_end"])
    assert not call.perms & SD
    # A library call: a sentry to the library's code; strlen's posture is "inherit" (otype 1).
    lib = started.cap(syms["__library_import_libcalls_strlen"])
    assert lib.tag and lib.otype == 1 and lib.address == syms["strlen"]
    assert lib.bounds == (syms[".crt_code_start"], syms[".crt_code_end"])
    # MMIO: bounded to the device, with only the requested permissions (and GL).
    uart = next(r for r in load_board("sail").regions if r.device == "uart")
    mmio = started.cap(syms["__import_mem_uart_RWcm"])
    assert mmio.tag and not mmio.sealed
    assert mmio.bounds == (uart.base, uart.base + uart.size)
    assert mmio.perms == GL | LD | SD


def test_threads_start_from_their_trusted_stacks(started: Booted) -> None:
    syms = started.symbols
    engine = started.machine.engine
    ts = engine.hart.scr[SCR_MTDC]
    assert ts.tag and ts.base == syms[".thread_3_trusted_stack_start"]
    assert ts.perms == GL | LD | SD | SL | MC | LM | LG          # only trusted stacks: GL + SL
    assert started.u16(ts.base + 154) == 3                      # threadID
    assert started.u16(ts.base + 152) == 168 + 24               # one frame in use
    frame0 = started.cap(ts.base + 168 + 8)                     # calleeExportTable
    assert frame0.address == syms[".consumer_export_table"]
    csp = engine.read_cap(2)
    assert csp.perms == 0x7E and not csp.perms & GL
    assert csp.bounds == (syms[".thread_3_stack_start"], syms[".thread_3_stack_end"])
    assert csp.address == syms[".thread_3_stack_end"] - 16
    cra = engine.read_cap(1)                  # returning from the entry exits the thread
    assert cra.otype == 4 and cra.address == syms["switcher_after_compartment_call"]
    pcc = engine.hart.pcc
    assert pcc.perms == USER_PCC and pcc.base == syms[".consumer_code_start"]


def test_loader_authority_is_gone(started: Booted) -> None:
    syms = started.symbols
    scr = started.machine.engine.hart.scr
    assert not scr[SCR_MSCRATCHC].tag                       # the memory root was taken back
    mtcc = scr[SCR_MTCC]
    assert mtcc.address == syms["exception_entry_asm"] and mtcc.perms & SR
    assert not mtcc.perms & GL
    assert mtcc.bounds == (syms[".compartment_switcher_start"], syms[".compartment_switcher_end"])
    mepcc = scr[SCR_MEPCC]
    assert mepcc.base != 0 or not mepcc.tag                 # never the execute root again
    # The heap range (loader code and data, header, thread records, library export tables)
    # is zero and holds no tags.
    start, end = syms["__export_mem_heap"], syms["__export_mem_heap_end"]
    engine = started.machine.engine
    assert engine.read_memory(start, end - start) == bytes(end - start)
    assert not any(engine.read_cap_memory(a).tag for a in range(start, syms["_end"], 8))


def test_switcher_slots_and_keys(started: Booted) -> None:
    syms = started.symbols
    key = syms["compartment_switcher_sealing_key"]
    ts_key, entry_key = started.cap(key), started.cap(key + 8)
    assert (ts_key.bounds, ts_key.perms) == ((10, 11), GL | SE | US)
    assert (entry_key.bounds, entry_key.perms) == ((9, 10), GL | US)
    sched = started.cap(syms["switcher_scheduler_entry_pcc"])
    assert sched.otype == 2 and sched.address == syms["exception_entry"]
    stack = started.cap(syms["switcher_scheduler_entry_csp"])
    assert stack.bounds == (syms["bootStack"], syms["bootStack"] + 0x400)
    assert stack.address == syms["bootStack"] + 0x400
