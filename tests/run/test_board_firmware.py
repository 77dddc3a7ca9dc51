"""Each board's test firmware (tests/firmware/*_devices.S) under `cheriot-gdbserver run`.

The firmware checks each device itself and prints one line per check that passed; a failed
check prints ``FAIL: ...`` and exits with 10 or more. The tests compare the whole output and
the exit status, and then look at the machine to confirm the effects the firmware cannot
observe directly (what the PLIC and the revoker did, tags in memory).
"""

from __future__ import annotations

import pytest

from cheriot_gdbserver.core.hart import IRQ_MEI, IRQ_MTI
from cheriot_gdbserver.core.stops import StopKind

from .support import Build, cli, run_in_process, symbol

SAIL_OUTPUT = (
    "sail: uart output\n"
    "timer interrupt taken\n"
    "load filter cleared the tag of a revoked capability\n"
    "the capability in memory kept its tag\n"
    "done\n"
)
IBEX_OUTPUT = (
    "ibex-safe-simulator: uart output\n"
    "timer interrupt taken\n"
    "load filter cleared the tag of a revoked capability\n"
    "revoker interrupt: PLIC source 1 claimed and completed\n"
    "revoker sweep cleared the revoked capability in memory\n"
    "done\n"
)
BOARDS = {
    "sail": ("sail_devices.S", SAIL_OUTPUT),
    "ibex-safe-simulator": ("ibex_devices.S", IBEX_OUTPUT),
}


@pytest.mark.parametrize("board", sorted(BOARDS))
@pytest.mark.parametrize("status", [0, 5])
def test_cli_runs_the_board_firmware_to_its_output_and_status(build: Build, board: str,
                                                              status: int) -> None:
    source, expected = BOARDS[board]
    elf = build(source, board, exit_status=status)
    done = cli("run", str(elf), "--board", board)
    assert done.stdout == expected
    assert done.stderr == ""
    assert done.returncode == status


def test_sail_firmware_effects(build: Build) -> None:
    elf = build("sail_devices.S", "sail")
    run = run_in_process(elf, "sail")
    assert run.uart.decode() == SAIL_OUTPUT
    assert run.result.stop.kind is StopKind.EXIT and run.result.status == 0
    engine = run.machine.engine
    # The software-revoker path: memory kept the tag, only the loads were filtered.
    assert engine.read_cap_memory(symbol(elf, "slot")).tag
    assert engine.read_cap_memory(symbol(elf, "slot")).address == symbol(elf, "obj")
    assert engine.hart.mip & (1 << IRQ_MTI) == 0  # the handler parked mtimecmp
    assert engine.last_trap is not None and engine.last_trap.mcause == 0x8000_0007


def test_ibex_firmware_effects(build: Build) -> None:
    elf = build("ibex_devices.S", "ibex-safe-simulator")
    run = run_in_process(elf, "ibex-safe-simulator")
    assert run.uart.decode() == IBEX_OUTPUT
    assert run.result.status == 0
    devices, engine = run.machine.devices, run.machine.engine
    assert devices.revoker is not None and devices.plic is not None
    assert devices.revoker.completed == 1
    assert devices.revoker.swept == 1                       # exactly the revoked capability
    assert devices.plic.in_service == set()                 # claimed, then completed
    assert devices.plic.pending == set()
    assert engine.hart.mip & (1 << IRQ_MEI) == 0
    assert not engine.read_cap_memory(symbol(elf, "slot")).tag
    kept = engine.read_cap_memory(symbol(elf, "kept_slot"))
    assert kept.tag and kept.address == symbol(elf, "kept")


def test_exit_status_above_255_is_truncated_with_a_warning(build: Build) -> None:
    elf = build("sail_devices.S", "sail", exit_status=300)
    done = cli("run", str(elf))
    assert done.returncode == 300 & 0xFF
    assert done.stdout == SAIL_OUTPUT
    assert "exit status truncated to 8 bits" in done.stderr
    assert "exit_code=300" in done.stderr


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_runs_are_deterministic(build: Build, board: str) -> None:
    source, expected = BOARDS[board]
    elf = build(source, board)
    first, second = run_in_process(elf, board), run_in_process(elf, board)
    assert first.uart == second.uart == expected.encode()
    assert first.result.status == second.result.status == 0
    assert first.result.instructions == second.result.instructions
    assert first.result.stop == second.result.stop
    one, two = cli("run", str(elf), "--board", board), cli("run", str(elf), "--board", board)
    assert (one.stdout, one.returncode) == (two.stdout, two.returncode) == (expected, 0)


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_reference_mode_gives_the_same_run(build: Build, board: str) -> None:
    """--trace runs everything through the reference semantics: same output, same time."""
    source, expected = BOARDS[board]
    elf = build(source, board)
    fast, reference = run_in_process(elf, board), run_in_process(elf, board, reference=True)
    assert reference.uart == fast.uart == expected.encode()
    assert reference.result.instructions == fast.result.instructions
    assert reference.result.stop == fast.result.stop
    assert reference.machine.engine.core.n_fast == 0
