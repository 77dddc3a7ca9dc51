"""Issue 11 item 4: pointers print with their capability: tag, bounds, permissions, otype, in
the RTOS's notation (``v:1 base-top l:length o:otype p: G RWcgml Xa SU0``), and untagged ones
say ``UNTAGGED``, also inside structures, for locals and for ``finish``'s value.

Expected capabilities are derived by hand from isa.md, not from the project's codec: the
firmware (firmware/pointers.S) bounds every pointer from the memory root, whose permissions
(isa.md §2.11) are GL LG SD LM SL LD MC: in the RTOS's letters ``G RWcgml -- ---`` (G global;
R load, W store, c load/store capabilities, g load global, m load mutable, l store local; no X
execute or a system registers; no S seal, U unseal or 0 user permission). CSetBounds keeps the
permissions and, for lengths this small, gives exact bounds (§2.8). A copy made with ordinary
word stores has the same bits and no tag (§3.3: integer stores clear the granule's tag)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from cheriot_gdbmi import Daemon, Gdb, GdbError

from .conftest import nm, run_to

PERMS = "p: G RWcgml -- ---"


@pytest.fixture(scope="module")
def symbols(pointers_elf: Path) -> dict[str, int]:
    return nm(pointers_elf)


def capability(address: int, base: int, length: int, tagged: bool = True) -> str:
    flag = "" if tagged else "UNTAGGED "
    return (f"{address:#x} {flag}(v:{int(tagged)} {base:#x}-{base + length:#x} "
            f"l:{length:#x} o:0x0 {PERMS})")


def value_of(gdb: Gdb, expression: str) -> str:
    text = gdb.console(f"output {expression}")
    return text.strip()


def round_trips(gdb: Gdb) -> int:
    return int(gdb.console("python print(__import__('cheriot_gdbserver.gdb_extension.values', "
                           "fromlist=['CACHE']).CACHE.round_trips)"))


def test_a_tagged_and_an_untagged_global(pointers_gdb: Gdb, symbols: dict[str, int]) -> None:
    run_to(pointers_gdb, "locals_ready")
    counter = symbols["counter"]
    assert value_of(pointers_gdb, "g_tagged") == capability(counter, counter, 4)
    assert value_of(pointers_gdb, "g_untagged") == capability(counter, counter, 4, False)


def test_pointers_inside_a_structure(pointers_gdb: Gdb, symbols: dict[str, int]) -> None:
    run_to(pointers_gdb, "locals_ready")
    buffer = symbols["buffer"]
    assert value_of(pointers_gdb, "g_pair") == (
        f"{{first = {capability(buffer, buffer, 16)}, "
        f"second = {capability(buffer, buffer, 16, False)}}}")


def test_info_locals_reads_every_capability_in_one_round_trip(pointers_gdb: Gdb,
                                                              symbols: dict[str, int]) -> None:
    run_to(pointers_gdb, "locals_ready")
    buffer = symbols["buffer"]
    before = round_trips(pointers_gdb)
    text = pointers_gdb.console("info locals")
    assert round_trips(pointers_gdb) == before + 1
    want = [f"p{n} = {capability(buffer + n, buffer, 16)}" for n in range(6)]
    want += [f"q{n} = {capability(buffer + n, buffer, 16, False)}" for n in range(6)]
    assert text.splitlines() == want
    pointers_gdb.console("info locals")  # the same stop: nothing new to read
    assert round_trips(pointers_gdb) == before + 1


def test_finish_shows_the_returned_capability(pointers_gdb: Gdb,
                                              symbols: dict[str, int]) -> None:
    run_to(pointers_gdb, "get_pointer")
    stop = pointers_gdb.run("-exec-finish")
    counter = symbols["counter"]
    assert int(stop.payload["frame"]["addr"], 16) == symbols["after_get_pointer"]
    assert stop.payload["return-value"] == capability(counter, counter, 4)


def test_a_pointer_in_a_capability_register(pointers_gdb: Gdb,
                                            symbols: dict[str, int]) -> None:
    # `result` is DW_OP_reg10: gdb reads its 8 bytes from x10 and x11; the capability is ca0's.
    run_to(pointers_gdb, "*get_pointer_return")
    counter = symbols["counter"]
    assert value_of(pointers_gdb, "result") == capability(counter, counter, 4)
    # Clearing ca0's tag (as CClearTag would; the daemon allows it) makes it UNTAGGED, and the
    # printer's cache must see the register write.
    pointers_gdb.console("set var $ca0.tag = 0")
    assert value_of(pointers_gdb, "result").startswith(f"{counter:#x} UNTAGGED (v:0")


def test_a_debugger_write_clears_the_tag_and_the_cache_sees_it(pointers_gdb: Gdb,
                                                               symbols: dict[str, int]) -> None:
    run_to(pointers_gdb, "locals_ready")
    counter = symbols["counter"]
    assert value_of(pointers_gdb, "g_tagged") == capability(counter, counter, 4)
    # gdb writes the same 8 bytes back; a data write clears the granule's tag (isa.md §3.3;
    # the daemon's write policy), and the printer must not show the stale tag.
    pointers_gdb.console("set var g_tagged = g_tagged")
    assert value_of(pointers_gdb, "g_tagged") == capability(counter, counter, 4, False)


def test_a_pointer_with_no_known_location_says_its_tag_is_unknown(pointers_gdb: Gdb,
                                                                   symbols: dict[str, int]) -> None:
    run_to(pointers_gdb, "locals_ready")
    text = value_of(pointers_gdb, "(int *) 0")  # gdb's own 4-byte pointer: left alone
    assert text == "(int *) 0x0"
    copied = value_of(pointers_gdb, "$copy = g_tagged")
    assert re.fullmatch(r"0x[0-9a-f]+ \(v:\? .*\)", copied), copied



def test_dereferencing_an_8_byte_pointer(pointers_gdb: Gdb) -> None:
    """gdb takes an 8-byte pointer's whole value (metadata word above the address word, isa.md
    §2.1) as the address to read. Its packets carry the low 32 bits only; the memory map must
    let such an address through, so that ``*ptr`` reads what the capability points at."""
    run_to(pointers_gdb, "locals_ready")
    assert value_of(pointers_gdb, "*g_tagged") == "7"
    assert value_of(pointers_gdb, "*g_pair.first@4") == "{0, 0, 0, 0}"
    pointers_gdb.console("set var *g_tagged = 9")
    assert value_of(pointers_gdb, "counter") == "9"


def test_dereferencing_without_the_extension(pointers_elf: Path, pointers_daemon: Daemon) -> None:
    """The same in plain gdb: it is the daemon's memory map, not the extension, that allows it,
    and an address the board does not map is still refused."""
    gdb = Gdb(pointers_elf)
    try:
        gdb.connect(pointers_daemon.address)
        gdb.monitor("reset")
        gdb.console("maintenance flush register-cache")
        run_to(gdb, "locals_ready")
        assert value_of(gdb, "*g_tagged") == "7"
        with pytest.raises(GdbError, match="Cannot access memory"):
            gdb.console("output *(int *)0x100000004")  # address 4: nothing there on the board
    finally:
        gdb.close()


def test_capability_registers_print_top_and_length_in_hex(pointers_gdb: Gdb,
                                                          symbols: dict[str, int]) -> None:
    """ca0 holds &counter bounded to 4 bytes (firmware/pointers.S); gdb alone prints the
    register's 64-bit top and length in decimal."""
    from cheriot_gdbserver.debugger.registers import CODE_CAP_TYPE, DATA_CAP_TYPE
    values = Path(__file__).parents[2] / "cheriot_gdbserver/gdb_extension/values.py"
    source = ast.parse(values.read_text())  # it imports gdb: read, not imported
    names = next(ast.literal_eval(node.value) for node in source.body
                 if isinstance(node, ast.Assign) and node.targets[0].id == "REGISTER_TYPES")
    assert names == (CODE_CAP_TYPE.id, DATA_CAP_TYPE.id)
    run_to(pointers_gdb, "*get_pointer_return")
    counter = symbols["counter"]
    fields = ("perms = [ GL LG SD LM SL LD MC ], otype = unsealed, tag = true}")
    assert value_of(pointers_gdb, "$ca0") == (
        f"{{address = {counter:#x}, base = {counter:#x}, top = {counter + 4:#x}, length = 0x4, "
        + fields)
    pointers_gdb.console("disable pretty-printer global cheriot-capabilities")
    try:
        assert value_of(pointers_gdb, "$ca0") == (
            f"{{address = {counter:#x}, base = {counter:#x}, top = {counter + 4}, length = 4, "
            + fields)
    finally:
        pointers_gdb.console("enable pretty-printer global cheriot-capabilities")
    assert value_of(pointers_gdb, "$ca0.length") == "4"       # fields are still values
    assert value_of(pointers_gdb, "$pcc").startswith("{address = 0x")
