"""Issue 11 item 5 (optional part): the daemon's monitor commands as ``cheriot COMMAND`` gdb
commands with completion, on the bundled RTOS firmware (compartment names from its sources,
rtos/firmware/*; threads demo, producer, consumer)."""

from __future__ import annotations

import json

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


def test_a_thread_command_is_about_the_selected_thread(rtos_gdb: Gdb) -> None:
    """``info threads`` reads every thread's registers, leaving the daemon's register thread
    (``Hg``) at the last one; ``cheriot callchain`` still answers for the selected thread."""
    run_to(rtos_gdb, "consumer_run")
    # "[Current thread is N (Thread ID) ...]": ID is the RTOS's thread id
    selected = rtos_gdb.console("thread").split("(Thread ")[1].split(")")[0]
    rtos_gdb.console("info threads")
    assert rtos_gdb.console("cheriot callchain").startswith(f"thread {selected} ")
    assert json.loads(rtos_gdb.console("cheriot callchain --json"))["thread"] == int(selected)
    other = "2" if selected != "2" else "1"
    assert rtos_gdb.console(f"cheriot callchain {other}").startswith(f"thread {other} ")


def test_cheriot_reset_shows_the_reset_machine(rtos_gdb: Gdb) -> None:
    """``monitor reset`` leaves gdb with the registers it had read (the daemon has no way to
    tell it); ``cheriot reset`` flushes them, so gdb shows the entry point at once."""
    entry = int(next(line for line in rtos_gdb.console("info files").splitlines()
                     if "Entry point:" in line).split()[-1], 16)
    run_to(rtos_gdb, "faulty_read")
    before = rtos_gdb.address_of("$pc")
    assert before != entry
    rtos_gdb.monitor("reset")
    assert rtos_gdb.address_of("$pc") == before          # gdb's stale cache
    run_to(rtos_gdb, "faulty_read")
    assert rtos_gdb.console("cheriot reset") == "reset done; gdb's registers and frames re-read\n"
    assert rtos_gdb.address_of("$pc") == entry
