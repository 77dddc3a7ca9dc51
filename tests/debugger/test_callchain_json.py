"""``monitor callchain --json``: the machine-readable call chain the gdb extension unwinds with
(docs/gdb.md, "RTOS commands"), on the bundled RTOS firmware and on an image without an RTOS.
Expected addresses come from the image's symbols (binutils' nm), not from the RTOS model."""

from __future__ import annotations

import io
import json
from pathlib import Path

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.image import load_elf
from cheriot_gdbserver.boards.machine import Machine
from cheriot_gdbserver.debugger.commands.catalog import default_registry
from cheriot_gdbserver.debugger.debug_context import DebugContext
from tests.gdb_support import nm


def test_the_document_at_a_compartment_call(rtos_elf: Path) -> None:
    symbols = nm(rtos_elf)
    image = load_elf(rtos_elf)
    try:
        machine = Machine(load_board("sail"), image, uart_output=io.BytesIO())
        machine.engine.add_breakpoint(symbols["faulty_read"])
        machine.engine.run()
        context = DebugContext(machine)
        run = default_registry().run
        doc = json.loads(run("callchain --json", context))
        assert run("callchain 1 --json", context) == run("callchain --json 1", context) == \
            json.dumps(doc, sort_keys=True) + "\n"
        csp = context.live.capability("csp").address
    finally:
        image.close()
    assert (doc["thread"], doc["name"], doc["on_cpu"]) == (1, "demo.demo_main", True)
    inner, outer = doc["frames"]
    assert inner["entry"] == symbols["faulty_read"] and outer["entry"] == symbols["demo_main"]
    assert inner["export"] == symbols["__export_faulty_faulty_read"]
    # the caller's return address lies in demo_main, after the call; its csp is above the spill
    assert symbols["demo_main"] < inner["caller"]["pc"] < symbols["demo_main"] + 0x400
    assert inner["caller"]["csp"] == inner["spill"] + 32
    assert inner["caller"]["cra"]["otype"] in (4, 5)      # a return sentry (isa.md 4.4)
    assert set(doc["saved"]["registers"]) == {"pcc", "cra", "csp", "cgp", "ctp", "ct0", "ct1",
                                              "ct2", "cs0", "cs1", "ca0", "ca1", "ca2", "ca3",
                                              "ca4", "ca5"}
    assert doc["image"]["switcher_entry"] == symbols["__Z26compartment_switcher_entryz"]
    assert doc["image"]["trap_entry"] == symbols["exception_entry_asm"]
    assert doc["stack"][0] <= csp < inner["spill"] < doc["stack"][1]   # the callee's below


def test_without_an_rtos_the_json_form_says_so(machine: Machine) -> None:
    out = default_registry().run("callchain --json", DebugContext(machine))
    assert out.startswith("no RTOS view: ") and out.count("\n") == 1, out


def test_the_flag_in_help_and_an_unknown_flag() -> None:
    registry = default_registry()
    assert registry.help("callchain") == (
        "usage: callchain [THREAD] [--json]\n"
        "callchain: a thread's compartment call chain (default: gdb's thread)\n"
        "  THREAD  an RTOS thread ID\n"
        "  --json  one JSON document (what the gdb extension unwinds with)\n")
    out = registry.run("callchain --yaml", None)  # refused before any target access
    assert out.startswith("error: callchain: unrecognized arguments: --yaml"), out
