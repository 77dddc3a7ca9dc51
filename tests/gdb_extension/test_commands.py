"""Issue 11 item 5 (optional part): the daemon's monitor commands as ``cheriot COMMAND`` gdb
commands with completion, on the bundled RTOS firmware (compartment names from its sources,
rtos/firmware/*; threads demo, producer, consumer)."""

from __future__ import annotations

from cheriot_gdbmi import Gdb

from .conftest import run_to


def completions(gdb: Gdb, line: str) -> list[str]:
    return gdb.console(f"complete {line}").splitlines()


def test_a_command_answers_as_the_monitor_command(rtos_gdb: Gdb) -> None:
    run_to(rtos_gdb, "faulty_read")
    assert rtos_gdb.console("cheriot threads") == rtos_gdb.monitor("threads")
    assert rtos_gdb.console("cheriot compartment faulty") == rtos_gdb.monitor(
        "compartment faulty")
    assert rtos_gdb.console("cheriot compartment nosuch").startswith(
        "error: no compartment or library 'nosuch'")


def test_every_monitor_command_is_there_with_its_usage(rtos_gdb: Gdb) -> None:
    names = sorted(line.split()[0] for line in rtos_gdb.monitor("help").splitlines() if line)
    assert completions(rtos_gdb, "cheriot ") == [f"cheriot {n}" for n in names]
    assert rtos_gdb.console("help cheriot where").splitlines()[-1] == (
        "Usage: cheriot where REG_OR_ADDR")


def test_arguments_complete_from_the_image_and_the_daemon(rtos_gdb: Gdb) -> None:
    run_to(rtos_gdb, "faulty_read")
    assert completions(rtos_gdb, "cheriot compartment fa") == ["cheriot compartment faulty"]
    assert completions(rtos_gdb, "cheriot exports con") == ["cheriot exports console",
                                                            "cheriot exports consumer"]
    assert completions(rtos_gdb, "cheriot catch un") == ["cheriot catch unhandled"]
    assert completions(rtos_gdb, "cheriot callchain ") == [
        "cheriot callchain 1", "cheriot callchain 2", "cheriot callchain 3"]
    assert completions(rtos_gdb, "cheriot where faulty_r") == ["cheriot where faulty_read"]
