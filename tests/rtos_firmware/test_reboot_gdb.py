"""Micro-reboots as gdb shows and triggers them (issue 10 item 7), through real gdb-multiarch on
the bundled firmware over a real socket.

What a reboot does is the firmware's design (docs/firmware.md, "Micro-reboots"); the expected
values below come from the firmware's sources (flaky's initial globals, the demo's and the
consumer's messages) and from the image through binutils (nm), never from the RTOS model.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gdb_support import MISSING, Daemon, Gdb, attach, nm

from ..e2e.test_rtos_gdb import source_line

pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}")


INITIAL_CALLS = 100      # flaky.S: flaky_initial_globals, `calls` counts from 100




@pytest.fixture
def gdb(rtos_elf: Path, rtos_daemon: Daemon) -> Iterator[Gdb]:
    session = attach(rtos_elf, rtos_daemon, fresh=True)
    session.monitor("catch none")     # the demo's own faults are the firmware's to handle
    yield session
    session.close()


def record(listing: str, name: str) -> dict[str, str]:
    """The key=value fields of ``compartment NAME:`` in a compartments listing."""
    line = next(x for x in listing.splitlines() if x.startswith(f"compartment {name}:"))
    return dict(f.split("=", 1) for f in shlex.split(line)[2:])


def stop_at(gdb: Gdb, where: str) -> dict:
    gdb.mi(f"-break-insert {where}")
    stop = gdb.run("-exec-continue").payload
    gdb.mi("-break-delete")
    assert stop["reason"] == "breakpoint-hit", stop
    return stop


def test_monitor_reboot_resets_the_compartment_while_the_system_runs(
        gdb: Gdb, rtos_daemon: Daemon, rtos_elf: Path) -> None:
    symbols = nm(rtos_elf)
    calls = symbols["flaky_globals_start"]       # flaky's first global, `calls`
    before = record(gdb.monitor("compartments"), "flaky")
    assert (before["reboots"], before["last_cause"]) == ("0", "-")
    # The demo's second flaky_work call (the first raised `calls` to 101); the consumer is
    # waiting inside flaky_wait meanwhile.
    gdb.mi("-break-insert -i 1 flaky_work")
    stop = gdb.run("-exec-continue").payload
    gdb.mi("-break-delete")
    assert stop["reason"] == "breakpoint-hit" and stop["thread-id"] == "1", stop
    assert gdb.address_of(f"*(unsigned int *){calls:#x}") == INITIAL_CALLS + 1
    start = len(rtos_daemon.uart)

    answer = gdb.monitor("reboot flaky")
    assert answer.startswith("reboot flaky: requested"), answer
    # The consumer (thread 3) was unwound out of flaky_wait to its caller with an error.
    unwound = source_line("consumer/consumer.S", "neg a1, a0")
    stop = stop_at(gdb, f"consumer.S:{unwound}")
    assert stop["thread-id"] == "3", stop
    assert gdb.address_of("$a0") == 0xFFFFFFFF                     # -ECOMPARTMENTFAIL (-1)
    assert gdb.address_of(f"*(unsigned int *){calls:#x}") == INITIAL_CALLS  # restored
    during = record(gdb.monitor("compartments"), "flaky")
    assert (during["reboots"], during["last_cause"]) == ("1", "debugger")
    assert "closed_until_mtime" in during
    # The demo's interrupted call returns -1, and so does its next call, made while flaky is
    # still closed.
    result = source_line("demo/demo.S", "mv a1, a0")
    gdb.mi(f"-break-insert demo.S:{result}")
    for _ in range(2):
        stop = gdb.run("-exec-continue").payload
        assert stop["reason"] == "breakpoint-hit" and stop["thread-id"] == "1", stop
        assert gdb.address_of("$a0") == 0xFFFFFFFF
    assert "closed_until_mtime" in record(gdb.monitor("compartments"), "flaky")
    gdb.mi("-break-delete")
    # Once it reopens, its first call frees what it held on the heap (its own allocator
    # capability) and counts from the restored value again.
    done = gdb.run("-exec-continue").payload
    assert done["reason"] == "exited-normally", done
    out = rtos_daemon.wait_for_uart(b"demo: done, exiting\n", start).decode()
    assert "consumer: flaky_wait() = -1 (unwound by flaky's micro-reboot), exiting\n" in out
    assert "flaky: first call since a reboot: heap_free_all released 40 bytes\n" in out
    assert "demo: after the reboot flaky_work() = 101 (its globals were restored)\n" in out
    assert "flaky: call number 102" not in out


def test_reboot_refuses_unknown_and_unrebootable_compartments(gdb: Gdb, rtos_elf: Path) -> None:
    symbols = nm(rtos_elf)
    request = symbols["micro_reboot_request"]
    assert "error: no compartment or library 'nope'" in gdb.monitor("reboot nope")
    assert "error: console cannot be micro-rebooted: the firmware keeps reboot records for " \
           "flaky only" in gdb.monitor("reboot console")
    assert gdb.address_of(f"*(unsigned int *){request:#x}") == 0          # nothing written
    gdb.monitor("reboot flaky")
    assert gdb.address_of(f"*(unsigned int *){request:#x}") == symbols[".flaky_export_table"]
    assert "is requested already" in gdb.monitor("reboot flaky")
