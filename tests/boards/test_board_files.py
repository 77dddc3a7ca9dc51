"""Board JSON: the shipped boards' maps, user files, patches, and every error message."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheriot_gdbserver.boards.board import (
    SHIPPED_DIR,
    ExitMechanism,
    Extent,
    Interrupt,
    load_board,
)
from cheriot_gdbserver.errors import BoardError


def spans(board):
    return {r.name: (r.base, r.size, r.kind, r.tagged, r.model) for r in board.regions}


def test_sail_map_matches_isa_8_4():
    board = load_board("sail")
    assert board.name == "sail"
    assert board.path == SHIPPED_DIR / "sail.json"
    assert spans(board) == {
        "clint": (0x02000000, 0x10000, "mmio", False, "clint"),
        "uart": (0x10000000, 0x100, "mmio", False, "uart16550"),
        "ram": (0x80000000, 0x40000, "ram", True, None),
        "shadow": (0x83000000, 0x1000, "ram", False, "shadow"),
    }
    assert board.region("clint").options == {"variant": "standard"}
    assert board.interrupts == (Interrupt("FakeInterrupt", 4, 2, False),)
    assert (board.timer_hz, board.tickrate_hz) == (2000, 10)
    assert board.revoker == "software"
    assert board.revocable_base == 0x80000000
    assert board.shadow is board.region("shadow")
    assert board.exit == ExitMechanism("htif", symbol="tohost")
    assert board.instructions_per_tick == 100
    assert board.instruction_memory == Extent(0x80000000, 0x80040000)
    assert board.data_memory is None
    assert board.heap_end == 0x80040000
    assert board.simulation is True
    assert board.raw["cpu"] == "cheriot"
    assert board.mmio_spans() == [(0x02000000, 0x10000), (0x10000000, 0x1000)]


def test_ibex_safe_simulator_map_matches_isa_8_4():
    board = load_board("ibex-safe-simulator")
    assert spans(board) == {
        "plic": (0x10000000, 0x400000, "mmio", False, "plic"),
        "revoker": (0x14000000, 0x1000, "mmio", False, "revoker"),
        "clint": (0x14001000, 0x1000, "mmio", False, "clint"),
        "irom": (0x20000000, 0x40000, "rom", False, None),
        "iram": (0x20040000, 0x80000, "ram", True, None),
        "dram": (0x200F0000, 0xE000, "ram", True, None),
        "shadow": (0x200FE000, 0x2000, "ram", False, "shadow"),
        "uart": (0x8F00B000, 0x100, "mmio", False, "uart16550"),
        # The APB peripheral bus (cheriot-safe msftDvIp_periph_axi2apb_decode_decoder.sv).
        "intc": (0x8F000600, 0x40, "mmio", False, "cheriot-safe-intc"),
        "timer0": (0x8F000800, 0x40, "mmio", False, "cheriot-safe-timer"),
        "timer1": (0x8F000840, 0x40, "mmio", False, "cheriot-safe-timer"),
        "dma": (0x8F009000, 0x1000, "mmio", False, "memory"),
        "jtag": (0x8F00A000, 0x1000, "mmio", False, "memory"),
        "spi": (0x8F00C000, 0x1000, "mmio", False, "memory"),
        "i2c": (0x8F00D000, 0x1000, "mmio", False, "memory"),
        "gpio_led0": (0x8F00F000, 0x800, "mmio", False, "cheriot-safe-gpio"),
        "gpio1": (0x8F00F800, 0x800, "mmio", False, "cheriot-safe-gpio"),
    }
    assert board.region("clint").options == {"variant": "cheriot-safe"}
    assert board.region("revoker").options == {"irq": 1, "variant": "cheriot-safe"}
    assert board.interrupts == (Interrupt("RevokerInterrupt", 1, 2, True),)
    # The UART's interrupt is PLIC source 2 (cheriot-safe msftDvIp_tcdev_wrapper.sv).
    assert next(r for r in board.regions if r.device == "uart").options["irq"] == 2
    assert (board.timer_hz, board.tickrate_hz) == (100000, 10)
    assert board.revoker == "hardware"
    assert board.revocable_base == 0x20040000
    assert board.exit == ExitMechanism("uart", device="uart")
    assert board.instructions_per_tick == 1
    assert [r.name for r in board.memory] == ["irom", "iram", "dram"]
    assert board.mmio_spans() == [(0x10000000, 0x400000), (0x14000000, 0x2000),
                                  (0x8F000000, 0x1000), (0x8F009000, 0x5000),
                                  (0x8F00F000, 0x1000)]


def test_sonata_map_matches_rtos_7_3():
    board = load_board("sonata")
    regions = spans(board)
    assert len(board.devices) == 27
    assert regions["sram"] == (0x00100000, 0x20000, "ram", True, None)
    assert regions["hyperram"] == (0x40000000, 0x100000, "ram", True, None)
    assert regions["shadow"] == (0x30000000, 0x800, "ram", False, "shadow")
    assert regions["revoker"] == (0x8000A000, 0x1000, "mmio", False, "revoker")
    assert regions["clint"] == (0x80040000, 0x10000, "mmio", False, "clint")
    assert regions["plic"] == (0x88000000, 0x400000, "mmio", False, "plic")
    assert regions["pinmux_pins_sinks"] == (0x80005000, 0x55, "mmio", False, "memory")
    assert regions["uart"] == (0x80100000, 0x34, "mmio", False, "opentitan-uart")
    assert board.instruction_memory == Extent(0x40000000, 0x40100000)
    assert board.data_memory == Extent(0x00101000, 0x00120000)
    assert board.revocable_base == 0x00100000
    assert [i.number for i in board.interrupts] == [1, 2, 3, 8, 9, 10, 16, 17, 24, 25, 26,
                                                     27, 28]
    assert board.interrupts[0] == Interrupt("RevokerInterrupt", 1, 2, True)
    assert board.exit == ExitMechanism("none")
    assert (board.timer_hz, board.tickrate_hz) == (40000000, 100)
    # Sub-page devices share pages: the MMIO spans are merged and page aligned.
    assert board.mmio_spans()[:3] == [(0x80000000, 0x2000), (0x80005000, 0x1000),
                                      (0x80009000, 0x3000)]


def test_revocation_map_from_board():
    rmap = load_board("ibex-safe-simulator").revocation_map()
    assert (rmap.revocable_base, rmap.shadow_base, rmap.covered_end) == (
        0x20040000, 0x200FE000, 0x200C0000)


def test_region_lookup():
    board = load_board("sail")
    assert board.region_at(0x1000_00FF).name == "uart"
    assert board.region_at(0x1000_0100) is None
    assert board.region("nothing") is None
    uart = board.region("uart")
    assert (uart.map_base, uart.map_end, uart.map_size) == (0x10000000, 0x10001000, 0x1000)


# --- user board files ----------------------------------------------------------------------

PLAIN = """
// A board in the plain RTOS format: comments, hex literals, a trailing comma.
{
    devices: {
        clint: { start: 0x02000000, length: 0x10000 },
        uart: { start: "0x10000000", end: 0x10000100 },  /* a hex string works too */
        shadow: { start: 0x83000000, end: 0x83001000 },
    },
    instruction_memory: { start: 0x80000000, end: 0x80010000 },
    heap: { end: 0x80020000 },
    interrupts: [ { name: "Tick", number: 3, priority: 1, edge_triggered: true } ],
    timer_hz: 1000,
    tickrate_hz: 10,
    simulation: true,
}
"""


def write(tmp_path: Path, text: str, name: str = "board.json") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_plain_rtos_board_gets_defaults(tmp_path):
    path = write(tmp_path, PLAIN)
    board = load_board(str(path))
    assert board.name == "board"
    assert spans(board) == {
        "clint": (0x02000000, 0x10000, "mmio", False, "clint"),
        "uart": (0x10000000, 0x100, "mmio", False, "uart16550"),
        # code RAM extended to the heap's end
        "instruction_memory": (0x80000000, 0x20000, "ram", True, None),
        "shadow": (0x83000000, 0x1000, "ram", False, "shadow"),
    }
    assert board.region("clint").options == {"variant": "standard"}
    assert board.interrupts == (Interrupt("Tick", 3, 1, True),)
    assert board.revocable_base == 0x80000000
    assert board.revoker is None
    assert board.exit == ExitMechanism("htif", symbol="tohost")  # simulation, no define
    assert board.instructions_per_tick == 1


def test_plain_board_with_data_memory_and_safe_defines(tmp_path):
    text = PLAIN.replace("simulation: true,", """simulation: true,
        defines: ["MICROSOFT_CHERIOT_SAFE"],
        data_memory: { start: 0x80010000, end: 0x80018000 },
        revokable_memory_start: 0x80008000,""")
    board = load_board(write(tmp_path, text))
    assert spans(board)["instruction_memory"] == (0x80000000, 0x10000, "ram", True, None)
    assert spans(board)["data_memory"] == (0x80010000, 0x10000, "ram", True, None)
    assert board.region("clint").options == {"variant": "cheriot-safe"}
    assert board.exit == ExitMechanism("uart", device="uart")
    assert board.revocable_base == 0x80008000


def test_patch_file_applies_to_shipped_base(tmp_path):
    path = write(tmp_path, """{
        base: "ibex-safe-simulator",
        patch: [
            { op: "add", path: "/devices/gpio_led0",
              value: { start: 0x8f00f000, end: 0x8f00f800 } },
            { op: "add", path: "/emulator/devices/gpio_led0", value: "memory" },
            { op: "add", path: "/interrupts/-",
              value: { name: "UARTInterrupt", number: 2, priority: 3, edge_triggered: true } },
            { op: "replace", path: "/timer_hz", value: 33000000 },
            { op: "remove", path: "/simulation" },
        ],
    }""", "arty.patch")
    board = load_board(path)
    assert board.region("gpio_led0").model == "memory"
    assert [i.name for i in board.interrupts] == ["RevokerInterrupt", "UARTInterrupt"]
    assert board.timer_hz == 33000000
    assert board.simulation is False


# --- errors: each names the file and the field --------------------------------------------

def error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(BoardError) as info:
        load_board(str(path))
    return str(info.value).replace(str(path), "FILE")


def test_unknown_shipped_name_lists_the_boards():
    with pytest.raises(BoardError) as info:
        load_board("arty")
    assert str(info.value) == ("unknown board 'arty': the shipped boards are "
                               "ibex-safe-simulator, sail, sonata (or give the path of a "
                               "board file)")


def test_missing_file(tmp_path):
    with pytest.raises(BoardError) as info:
        load_board(str(tmp_path / "nope.json"))
    assert str(info.value) == f"{tmp_path / 'nope.json'}: no such board file"


def test_bare_file_name_in_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path, PLAIN, "myboard")
    monkeypatch.chdir(tmp_path)
    assert load_board("myboard").name == "myboard"


def test_malformed_json(tmp_path):
    assert error(tmp_path, '{\n  "devices": {\n}') == (
        "FILE: not valid JSON5: line 3: Unexpected end of input at column 2")


def test_bad_hex_literal(tmp_path):
    text = PLAIN.replace("start: 0x02000000", "start: 0x0200G000")
    assert error(tmp_path, text) == "FILE: not valid JSON5: line 5: Unexpected \"G\" at column 31"


def test_bad_hex_string(tmp_path):
    text = PLAIN.replace('"0x10000000"', '"0x1000zz00"')
    assert error(tmp_path, text) == (
        "FILE: field 'devices.uart.start': '0x1000zz00' is not a number (write an integer or "
        "a hex literal such as 0x80000000)")


def test_duplicate_key(tmp_path):
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, timer_hz: 2000,")
    assert error(tmp_path, text).startswith("FILE: not valid JSON5: ")


def test_unknown_device(tmp_path):
    text = PLAIN.replace("devices: {", "devices: {\n gpio: { start: 0x3000, end: 0x3100 },")
    assert error(tmp_path, text) == (
        "FILE: field 'devices.gpio': no device model for 'gpio': map it in 'emulator.devices' "
        "to one of clint, plic, uart16550, opentitan-uart, revoker, cheriot-safe-intc, "
        "cheriot-safe-timer, cheriot-safe-gpio, shadow, memory "
        "(\"memory\": plain registers)")


def test_unknown_device_mapped_to_memory_loads(tmp_path):
    text = PLAIN.replace("devices: {", "devices: {\n gpio: { start: 0x3000, end: 0x3100 },")
    text = text.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { devices: { gpio: "
                        "'memory' } },")
    assert load_board(write(tmp_path, text)).region("gpio").model == "memory"


def test_overlapping_regions(tmp_path):
    text = PLAIN.replace("end: 0x10000100", "end: 0x10000100 },\n"
                         "  plic: { start: 0x10000080, end: 0x10400000")
    assert error(tmp_path, text) == (
        "FILE: field 'devices.plic': 0x10000080-0x10400000 overlaps 'devices.uart' "
        "(0x10000000-0x10000100)")


def test_device_overlapping_ram(tmp_path):
    text = PLAIN.replace("start: 0x83000000, end: 0x83001000", "start: 0x8001f000, end: 0x80021000")
    assert error(tmp_path, text) == (
        "FILE: field 'devices.shadow': 0x8001f000-0x80021000 overlaps 'instruction_memory' "
        "(0x80000000-0x80020000)")


def test_ram_sharing_a_page_with_a_device(tmp_path):
    text = PLAIN.replace("heap: { end: 0x80020000 }", "heap: { end: 0x80020400 }")
    text = text.replace('start: "0x10000000", end: 0x10000100',
                        "start: 0x80020800, end: 0x80020900")
    assert error(tmp_path, text) == (
        "FILE: field 'instruction_memory': 0x80000000-0x80020400 shares a 4 KiB page with "
        "'devices.uart' (0x80020800-0x80020900); RAM and ROM are mapped in whole pages")


def test_missing_field(tmp_path):
    text = PLAIN.replace("instruction_memory: { start: 0x80000000, end: 0x80010000 },", "")
    assert error(tmp_path, text) == "FILE: field 'instruction_memory': missing"


def test_missing_start(tmp_path):
    text = PLAIN.replace('start: "0x10000000", ', "")
    assert error(tmp_path, text) == "FILE: field 'devices.uart.start': missing"


def test_end_and_length_disagree(tmp_path):
    text = PLAIN.replace("length: 0x10000", "length: 0x10000, end: 0x02020000")
    assert error(tmp_path, text) == (
        "FILE: field 'devices.clint.end': 0x2020000 disagrees with start + length (0x2010000)")


def test_end_below_start(tmp_path):
    text = PLAIN.replace("end: 0x10000100", "end: 0x0fff0000")
    assert error(tmp_path, text) == (
        "FILE: field 'devices.uart.end': 0xfff0000 is not above start (0x10000000)")


def test_wrong_type(tmp_path):
    text = PLAIN.replace("simulation: true", "simulation: 'yes'")
    assert error(tmp_path, text) == (
        "FILE: field 'simulation': expected true or false, found \"yes\"")


def test_device_too_small_for_its_model(tmp_path):
    text = PLAIN.replace("length: 0x10000", "length: 0x1000")
    assert error(tmp_path, text) == (
        "FILE: field 'devices.clint': 0x1000 bytes is too small for the clint model (it needs "
        "0xc000)")


def test_heap_outside_memory(tmp_path):
    text = PLAIN.replace("heap: { end: 0x80020000 }", "heap: { end: 0x80020000 },\n"
                         "emulator: { memory: { ram: { start: 0x80000000, end: 0x80010000 } } }")
    assert error(tmp_path, text) == (
        "FILE: field 'heap.end': 0x8001ffff-0x80020000 is not inside one memory region "
        "('emulator.memory.ram' (0x80000000-0x80010000))")


def test_unknown_emulator_field(tmp_path):
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { ticks: 3 },")
    assert error(tmp_path, text) == (
        "FILE: field 'emulator.ticks': unknown field (known: devices, exit, "
        "instructions_per_tick, isa, memory)")


def test_unknown_model_and_option(tmp_path):
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { devices: "
                         "{ uart: 'ns16550' } },")
    assert error(tmp_path, text) == (
        "FILE: field 'emulator.devices.uart.model': unknown model 'ns16550' (known: clint, "
        "plic, uart16550, opentitan-uart, revoker, cheriot-safe-intc, cheriot-safe-timer, "
        "cheriot-safe-gpio, shadow, memory)")
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { devices: "
                         "{ clint: { model: 'clint', variant: 'sifive' } } },")
    assert error(tmp_path, text) == (
        "FILE: field 'emulator.devices.clint.variant': must be one of standard, cheriot-safe")
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { devices: "
                         "{ clint: { model: 'clint', irq: 3 } } },")
    assert error(tmp_path, text) == (
        "FILE: field 'emulator.devices.clint.irq': not an option of the clint model "
        "(options: variant)")


def test_hardware_revoker_needs_a_device(tmp_path):
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, revoker: 'hardware',")
    assert error(tmp_path, text) == (
        "FILE: field 'revoker': is \"hardware\" but no device uses the revoker model")


def test_duplicate_interrupt_number(tmp_path):
    text = PLAIN.replace('number: 3, priority: 1, edge_triggered: true } ]',
                         'number: 3, priority: 1 }, { name: "B", number: 3, priority: 1 } ]')
    assert error(tmp_path, text) == "FILE: field 'interrupts[1].number': 3 is used twice"


def test_uart_exit_needs_a_uart(tmp_path):
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { exit: "
                         "{ kind: 'uart', device: 'clint' } },")
    assert error(tmp_path, text) == (
        "FILE: field 'emulator.exit.device': 'clint' is not a uart16550 device")


def test_bad_patch_operation(tmp_path):
    text = '{ base: "sail", patch: [ { op: "remove", path: "/devices/gpio" } ] }'
    assert error(tmp_path, text) == (
        "FILE: field 'patch[0]': cannot apply: nothing at '/devices/gpio' in the base board")
    text = '{ base: "sail", patch: [ { op: "move", from: "/a", path: "/b" } ] }'
    assert error(tmp_path, text) == (
        "FILE: field 'patch[0]': cannot apply: only add, remove and replace operations are "
        "supported")
    text = '{ base: "kudu", patch: [] }'
    assert error(tmp_path, text) == "FILE: field 'base': no board 'kudu' next to it or shipped"


def test_option_out_of_range(tmp_path):
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { devices: "
                         "{ uart: { model: 'uart16550', reg_shift: 9 } } },")
    assert error(tmp_path, text) == (
        "FILE: field 'emulator.devices.uart.reg_shift': must be from 0 to 4")


def test_irq_without_a_plic(tmp_path):
    text = PLAIN.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { devices: "
                         "{ uart: { model: 'uart16550', irq: 2 } } },")
    assert error(tmp_path, text) == (
        "FILE: field 'emulator.devices.uart.irq': there is no PLIC device to wire it to")


def test_interrupt_beyond_the_plic_sources(tmp_path):
    text = PLAIN.replace("devices: {", "devices: {\n plic: { start: 0x0c000000, end: 0x0c400000 },")
    text = text.replace("number: 3,", "number: 40,")
    text = text.replace("timer_hz: 1000,", "timer_hz: 1000, emulator: { devices: "
                        "{ plic: { model: 'plic', sources: 31 } } },")
    assert error(tmp_path, text) == (
        "FILE: field 'interrupts[0].number': 40 is above the PLIC's 31 sources "
        "(emulator.devices.plic.sources)")


def test_sunburst_simulation_exit_through_the_console_uart(tmp_path):
    """A Sonata simulator board (simulation + SUNBURST, no explicit exit) ends through the magic
    UART string; naming that exit explicitly needs an opentitan-uart device."""
    sonata = (Path(__file__).resolve().parents[2] / "boards" / "sonata.json").read_text()
    sim = sonata.replace('"simulation": false', '"simulation": true', 1)
    sim = sim.replace('"exit": { "kind": "none" },', "", 1)
    assert sim.count("simulation\": true") == 1 and '"exit"' not in sim
    board = load_board(str(write(tmp_path, sim)))
    assert (board.exit.kind, board.exit.device) == ("uart-magic", "uart")
    text = PLAIN.replace("timer_hz: 1000,",
                         "timer_hz: 1000, emulator: { exit: { kind: 'uart-magic' } },")
    assert error(tmp_path, text) == (
        "FILE: field 'emulator.exit.device': 'uart' is not a opentitan-uart device")
