"""The image follows the layout of an official CHERIoT RTOS image of the current tree
(rtos.md 1.3, 1.4, 2.2, 2.5, 2.6): decoded here from the ELF alone with the documented
recipes, the way RTOS-aware tools read official images."""

from __future__ import annotations

import struct
from pathlib import Path

from .support import candidates, records, section, symbols, thread_records

COMPARTMENTS = ["console", "queue", "producer", "consumer", "demo", "faulty", "uaf",
                "flaky", "echo"]
LIBRARIES = ["crt"]


def test_header_is_detected_as_generation_f_with_three_privileged_records(rtos_elf: Path) -> None:
    address, header = section(rtos_elf, ".compartment_headers")
    assert address == symbols(rtos_elf)["__compart_headers"]
    assert candidates(header) == [("F", 3)]          # exactly one candidate (2.6)
    magic, nlib, ncomp, init, init_size = struct.unpack_from("<IHHIH", header, 112)
    assert (magic, nlib, ncomp) == (0xB0531162, len(LIBRARIES), len(COMPARTMENTS))
    syms = symbols(rtos_elf)
    assert (init, init_size) == (syms[".initialiser_start"], 0)
    assert ".software_revoker_start" not in syms     # n == 4 iff a software revoker exists


def test_switcher_and_privileged_records_match_the_boundary_symbols(rtos_elf: Path) -> None:
    _, header = section(rtos_elf, ".compartment_headers")
    syms = symbols(rtos_elf)
    start, size, ret, keys, pcc, cgp, csp, exports, exports_size = struct.unpack_from(
        "<IHHHHHHIH", header, 0)
    assert start == syms[".compartment_switcher_start"]
    assert size == syms[".compartment_switcher_end"] - start
    assert start + ret == syms["switcher_after_compartment_call"]
    assert start + keys == syms["compartment_switcher_sealing_key"]
    assert (start + pcc, start + cgp, start + csp) == (
        syms["switcher_scheduler_entry_pcc"], syms["switcher_scheduler_entry_cgp"],
        syms["switcher_scheduler_entry_csp"])
    assert exports == syms[".switcher_export_table"]
    entry = struct.unpack_from("<HBB", section(rtos_elf, ".library_export_tables")[1],
                               exports - section(rtos_elf, ".library_export_tables")[0] + 20)
    assert start + entry[0] == syms["__Z26compartment_switcher_entryz"] and entry[2] == 0x10
    for i, name in enumerate(["scheduler", "allocator", "token_library"]):
        code, code_size, glob, glob4, imp, imp_size, exp, exp_size, _s, _ss = struct.unpack_from(
            "<IHIHIHIHIH", header, 22 + 30 * i)
        assert code == syms[f".{name}_start"]
        assert code + code_size == syms[f".{name}_end"]
        assert (imp, imp + imp_size) == (syms[f".{name}_import_start"], syms[f".{name}_import_end"])
        assert (exp, exp + exp_size) == (syms[f".{name}_export_table"],
                                         syms[f".{name}_export_table_end"])
        if name == "token_library":
            assert (glob, glob4) == (0, 0)          # a privileged library
        else:
            assert glob == syms[f".{name}_globals"] and glob4 > 0


def test_records_name_every_library_and_compartment(rtos_elf: Path) -> None:
    _, header = section(rtos_elf, ".compartment_headers")
    syms = symbols(rtos_elf)
    by_address = {v: k for k, v in syms.items() if k.startswith(".") and k.endswith("_code_start")}
    nlib, recs = records(header)
    names = [by_address[r.code].removeprefix(".").removesuffix("_code_start") for r in recs]
    assert names == LIBRARIES + COMPARTMENTS
    for name, rec in zip(names, recs, strict=True):
        assert rec.code + rec.import_size == syms[f".{name}_imports_end"]
        assert (rec.exports, rec.exports + rec.exports_size) == (
            syms[f".{name}_export_table"], syms[f".{name}_export_table_end"])
        if name in LIBRARIES:
            assert (rec.globals, rec.globals_size) == (0, 0)
        else:
            assert rec.globals == syms[f".{name}_globals"]
        assert rec.code_size % 8 == 0 and rec.code >= syms["__compart_pccs"]
        assert rec.code + rec.code_size <= syms["__compart_pccs_end"]


def test_export_entries_decode_with_their_symbols(rtos_elf: Path) -> None:
    syms = symbols(rtos_elf)
    base, tables = section(rtos_elf, ".compartment_export_tables")

    def entry(name: str) -> tuple[int, int, int]:
        return struct.unpack_from("<HBB", tables, syms[name] - base)

    start = syms[".console_code_start"]
    offset, stack, flags = entry("__export_console_console_print")
    assert start + offset == syms["console_print"]
    assert (stack, flags) == (8, 0x12)           # 64 bytes; interrupts disabled, 2 arguments
    table = syms[".scheduler_export_table"]
    # exception_entry comes first: the loader hands it to the switcher's scheduler slot.
    assert syms["__export_scheduler_exception_entry"] == table + 20
    # The compartments' tables survive boot (below the heap); library tables do not.
    assert syms[".console_export_table"] < syms["__export_mem_heap"]
    assert syms[".crt_export_table"] >= syms["__export_mem_heap"]


def test_thread_records_point_at_entry_exports(rtos_elf: Path) -> None:
    syms = symbols(rtos_elf)
    address, data = section(rtos_elf, ".thread_config")
    assert address == syms["__thread_count"]
    threads = thread_records(data)
    entries = {v: k for k, v in syms.items() if k.startswith("__export_")}
    assert [(prio, entries[entry]) for prio, entry, *_ in threads] == [
        (0, "__export_demo_demo_main"), (1, "__export_producer_producer_run"),
        (2, "__export_consumer_consumer_run")]
    for i, (_p, _e, stack, stack_size, ts, ts_size) in enumerate(threads, start=1):
        assert (stack, stack + stack_size) == (syms[f".thread_{i}_stack_start"],
                                               syms[f".thread_{i}_stack_end"])
        assert (ts, ts + ts_size) == (syms[f".thread_{i}_trusted_stack_start"],
                                      syms[f".thread_{i}_trusted_stack_end"])
        assert ts_size == 192 + 24 * 4 and stack % 16 == 0


def test_section_order_follows_the_linker_script_of_the_current_tree(rtos_elf: Path) -> None:
    syms = symbols(rtos_elf)
    order = ["_start", ".compartment_export_tables", "__compart_pccs",
             ".compartment_switcher_start", ".scheduler_start", ".allocator_start",
             ".token_library_start", ".crt_code_start", "__compart_pccs_end",
             "__stack_space_start", "bootTStack", ".thread_1_trusted_stack_start", "bootStack",
             ".thread_1_stack_start", "__stack_space_end", "__compart_cgps",
             ".scheduler_globals", ".allocator_globals", "__compart_cgps_end",
             "__cheriot_shared_object_allocator_epoch",
             "__cheriot_shared_object_allocator_hazard_pointers", "__export_mem_heap",
             "__compart_headers", "__thread_count", ".loader_code_start",
             ".token_library_export_table", ".switcher_export_table"]
    addresses = [syms[name] if not name.startswith(".compartment_export") else
                 section(rtos_elf, name)[0] for name in order]
    assert addresses == sorted(addresses)
    assert syms["__compart_cgps"] % 64 == 0 and syms["__export_mem_heap"] % 64 == 0
