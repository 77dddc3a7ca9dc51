"""RTOS awareness through real gdb-multiarch on the bundled RTOS firmware (issue 9 parts 4-6).

The firmware (rtos/firmware/) runs three threads: demo (priority 0) calls faulty.faulty_read,
producer (1) sleeps between items, consumer (2) waits on the queue's futex word ``count``.
Expected values come from the image through binutils (nm, objdump, readelf) and from the
firmware's sources (export names, the handler's messages), never from the model under test.
The switcher's fault paths pinned here are those of rtos.md 3.5 (cheriot-rtos
sdk/core/switcher/entry.S: no handler and an entry frame ends the thread, no handler and a
caller unwinds to it, a compartment handler runs otherwise).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cheriot_gdbmi import Daemon, Gdb, GdbError

from cheriot_gdbserver.rtos import bundled
from tests.gdb_support import attach, nm, run_to

from ..rtos_firmware.support import section, thread_records

SOURCES = Path(bundled.FIRMWARE_DIR)
THREADS = {1: "demo.demo_main", 2: "producer.producer_run", 3: "consumer.consumer_run"}
RTOS_COMMANDS = ["compartments", "compartment demo", "exports demo", "imports demo", "threads",
                 "callchain", "callchain 1", "futexes", "sealed csp", "heap", "heap 0x80000000",
                 "where csp", "audit", "audit demo"]


def sections(elf: Path) -> dict[str, tuple[int, int]]:
    """name -> (address, size), from readelf -S."""
    out = subprocess.run(["riscv64-unknown-elf-readelf", "-SW", str(elf)], check=True,
                         text=True, capture_output=True).stdout
    found = {}
    for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})\s+[0-9a-f]+\s+([0-9a-f]+)", out):
        found[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    return found


def instructions_in(elf: Path, function: str, mnemonic: str) -> list[int]:
    """The addresses of every ``mnemonic`` in ``function`` (objdump)."""
    out = subprocess.run(["riscv64-unknown-elf-objdump", "-d", f"--disassemble={function}",
                          str(elf)], check=True, text=True, capture_output=True).stdout
    return [int(m.group(1), 16) for m in
            re.finditer(rf"^\s*([0-9a-f]+):\s+[0-9a-f]+\s+{mnemonic}\s", out, re.M)]


def local_symbol(elf: Path, obj: str, name: str) -> int:
    """The address of the local symbol ``name`` of object file ``obj`` (several compartments
    have a local ``compartment_error_handler``)."""
    out = subprocess.run(["riscv64-unknown-elf-readelf", "-sW", str(elf)], check=True,
                         text=True, capture_output=True).stdout
    current = None
    for fields in (line.split() for line in out.splitlines()):
        if len(fields) == 8 and fields[3] == "FILE":
            current = fields[7]
        elif len(fields) == 8 and fields[7] == name and current == obj:
            return int(fields[1], 16)
    raise AssertionError(f"no {name} in {obj}")


def first_store(elf: Path, function: str | int) -> int:
    """The first store (opcode 0x23: csc is RV64's sd encoding, which objdump for RV32 shows
    as a .4byte) of ``function`` (a name, or its address)."""
    # by address: objdump names it by another symbol there
    start = function if isinstance(function, int) else nm(elf)[function]
    out = subprocess.run(["riscv64-unknown-elf-objdump", "-d", f"--start-address={start:#x}",
                          f"--stop-address={start + 0x40:#x}", str(elf)],
                         check=True, text=True, capture_output=True).stdout
    words = re.findall(r"^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s", out, re.M)
    return next(int(at, 16) for at, word in words if int(word, 16) & 0x7F == 0x23)


def instruction_in(elf: Path, function: str, mnemonic: str) -> int:
    """The address of the only ``mnemonic`` in ``function``."""
    hits = instructions_in(elf, function, mnemonic)
    assert len(hits) == 1, (function, mnemonic, hits)
    return hits[0]


def source_line(relative: str, text: str, occurrence: int = 0) -> int:
    lines = [n for n, line in enumerate((SOURCES / relative).read_text().splitlines(), 1)
             if line.strip() == text]
    return lines[occurrence]




@pytest.fixture
def gdb(rtos_elf: Path, rtos_daemon: Daemon) -> Iterator[Gdb]:
    session = attach(rtos_elf, rtos_daemon, fresh=True)
    yield session
    session.close()


def thread_info(gdb: Gdb) -> list[dict]:
    return gdb.mi("-thread-info").payload["threads"]


def test_one_thread_stands_for_the_hart_until_the_scheduler_made_threads(gdb: Gdb) -> None:
    (only,) = thread_info(gdb)
    assert only["id"] == "1" and only["name"] == "hart0"
    assert "has not started its threads" in only["details"]


def test_info_threads_lists_every_rtos_thread_by_name_with_its_state(
        gdb: Gdb, rtos_elf: Path) -> None:
    symbols = nm(rtos_elf)
    stop = run_to(gdb, "faulty_read")
    assert stop["thread-id"] == "1"          # the stop reply names the running thread
    threads = {int(t["id"]): t for t in thread_info(gdb)}
    assert {i: t["name"] for i, t in threads.items()} == THREADS
    assert threads[1]["details"].startswith("running, in faulty")
    assert threads[2]["details"].startswith("sleeping until cycle ")
    assert threads[3]["details"].startswith(f"waiting on futex {symbols['count']:#010x} "
                                            "until forever, in scheduler")
    # gdb's own listing, and the same IDs at the next stop.
    text = gdb.console("info threads")
    for tid, name in THREADS.items():
        assert re.search(rf"Thread {tid} \"{re.escape(name)}\"", text), text
    run_to(gdb, "console_print")
    assert {int(t["id"]) for t in thread_info(gdb)} == set(THREADS)


def test_a_waiting_thread_shows_its_own_saved_registers_and_frames(
        gdb: Gdb, rtos_elf: Path) -> None:
    symbols = nm(rtos_elf)
    run_to(gdb, "faulty_read")
    _, config = section(rtos_elf, ".thread_config")
    stacks = {i + 1: (r[2], r[2] + r[3]) for i, r in enumerate(thread_records(config))}
    # The consumer blocked in futex_timed_wait's ecall: its save area holds that PC.
    ecall = instruction_in(rtos_elf, "futex_timed_wait", "ecall")
    gdb.console("thread 3")
    assert gdb.address_of("$pc") == ecall
    sp = gdb.address_of("$sp")
    csp = gdb.console("p $csp")
    assert stacks[3][0] <= sp < stacks[3][1], (hex(sp), stacks[3])
    assert f"address = {sp:#x}" in csp and "tag = true" in csp
    bt = gdb.mi("-stack-list-frames").payload["stack"]
    assert bt[0]["func"] == "futex_timed_wait" and int(bt[0]["addr"], 16) == ecall
    assert "futex_timed_wait" in gdb.console("frame")
    regs = gdb.console("info registers pc sp")
    assert f"{ecall:#x}" in regs and f"{sp:#x}" in regs
    # Registers of a thread that is not running are read-only (docs/gdb.md).
    with pytest.raises(GdbError, match="Could not write register"):
        gdb.console("set $a0 = 1")
    # The producer sleeps in thread_sleep; the running thread has the CPU's registers.
    gdb.console("thread 2")
    assert gdb.address_of("$pc") == instruction_in(rtos_elf, "thread_sleep", "ecall")
    gdb.console("thread 1")
    assert gdb.address_of("$pc") == symbols["faulty_read"]
    assert stacks[1][0] <= gdb.address_of("$sp") < stacks[1][1]
    gdb.console("set $a0 = 3")   # the live CPU takes writes
    assert gdb.address_of("$a0") == 3


def test_an_idle_thread_has_the_cpu_while_no_rtos_thread_runs(gdb: Gdb, rtos_elf: Path) -> None:
    """The scheduler's ``current`` (scheduler.S) names no thread block while the idle thread
    runs; cleared from gdb, the running thread becomes ready and thread N+1, ``idle``, has the
    CPU's registers."""
    symbols = nm(rtos_elf)
    run_to(gdb, "faulty_read")
    gdb.console(f"set {{long long}}{symbols['current']:#x} = 0")
    threads = {int(t["id"]): t for t in thread_info(gdb)}
    assert threads[4]["name"] == "idle"
    assert threads[1]["details"].startswith("ready, in faulty")
    gdb.console("thread 4")
    assert gdb.address_of("$pc") == symbols["faulty_read"]


def test_every_rtos_command_is_in_help_and_answers(gdb: Gdb, rtos_elf: Path) -> None:
    symbols, secs = nm(rtos_elf), sections(rtos_elf)
    run_to(gdb, "faulty_read")
    listed = {line.split()[0] for line in gdb.monitor("help").splitlines()}
    assert {c.split()[0] for c in RTOS_COMMANDS} <= listed

    comps = gdb.monitor("compartments").splitlines()
    for name in ("demo", "faulty", "queue", "consumer", "producer", "console"):
        start, size = secs[f".{name}_code"]
        g_start, g_size = secs[f".{name}_globals"]
        assert any(line.startswith(f"compartment {name}: code={start:#010x}-"
                                   f"{start + size:#010x} globals={g_start:#010x}-"
                                   f"{g_start + g_size:#010x} ") for line in comps), comps
    start, size = secs["scheduler_code"]
    assert any(line.startswith(f"privileged-compartment scheduler: code={start:#010x}-"
                               f"{start + size:#010x}") for line in comps)

    faulty = gdb.monitor("compartment faulty")
    assert "error_handler=stackful" in faulty
    assert f"thread 1 {THREADS[1]}: state=running compartment=faulty" in faulty
    exports = gdb.monitor("exports faulty").splitlines()
    assert [line.split()[1] for line in exports] == ["faulty_read:", "faulty_crash:"]
    assert "stack=128 arguments=1 interrupts=enabled" in exports[0]  # faulty.S: export ...
    imports = gdb.monitor("imports demo")
    for callee in ("console.console_print", "faulty.faulty_read", "faulty.faulty_crash"):
        assert f"import {callee}: kind=compartment-call" in imports
    assert "import token_library.token_obj_unseal_static: kind=library-call" in imports
    assert "import demo.SecretKey: kind=sealing-key" in imports

    threads = gdb.monitor("threads").splitlines()
    assert [shlex.split(line)[2].rstrip(":") for line in threads] == list(THREADS.values())
    assert f"state=futex compartment=scheduler priority=2 futex={symbols['count']:#010x} " \
           "wake=forever" in threads[2]
    assert "state=sleeping compartment=scheduler priority=1" in threads[1]

    chain = gdb.monitor("callchain").splitlines()
    assert chain[0] == f"thread 1 {THREADS[1]}: frames=2 compartment=faulty"
    assert chain[1].startswith("  #1 faulty.faulty_read: caller=demo")
    line = source_line("demo/demo.S", "mv s1, a0")   # after the first ccall faulty_read
    assert re.match(rf"    called from 0x[0-9a-f]{{8}} <demo_main\+\d+> at \S+demo\.S:{line}$",
                    chain[2]), chain
    assert chain[3].startswith("  #0 demo.demo_main:")
    gdb.console("thread 3")  # without an argument: gdb's thread
    assert gdb.monitor("callchain") == gdb.monitor("callchain 3")
    gdb.console("thread 1")
    consumer = gdb.monitor("callchain 3").splitlines()
    assert [c.split()[1].rstrip(":") for c in consumer[1:] if c.startswith("  #")] == [
        "scheduler.futex_timed_wait", "queue.queue_get", "consumer.consumer_run"]

    futexes = gdb.monitor("futexes")
    assert f"futex {symbols['count']:#010x}: value=0x0 in=\"globals of queue" in futexes
    assert f"  waiter thread 3 {THREADS[3]}: priority=2 expected=- wake=forever" in futexes

    sentry = gdb.monitor("sealed cra").splitlines()  # the switcher's return sentry
    assert sentry[1].startswith("  kind=sentry otype=5: return sentry")
    assert "kind=unsealed otype=0: not sealed" in gdb.monitor("sealed csp")

    assert gdb.monitor("heap").startswith(f"heap {symbols['__export_mem_heap']:#010x}-")
    stack = gdb.monitor("where csp")
    assert f"stack of thread 1 ({THREADS[1]})" in stack
    assert gdb.monitor("where counter") == (
        f"{symbols['counter']:#010x}: address={symbols['counter']:#010x} globals of demo "
        f"[{secs['.demo_globals'][0]:#010x}, {sum(secs['.demo_globals']):#010x})\n")

    report = json.loads(gdb.monitor("audit faulty"))
    faulty_exports = report["compartments"]["faulty"]["exports"]
    assert [e["export_symbol"] for e in faulty_exports] == [
        "__export_faulty_faulty_read", "__export_faulty_faulty_crash"]
    assert set(json.loads(gdb.monitor("audit"))["compartments"]) >= {"demo", "faulty", "queue"}

    assert gdb.monitor("compartment nosuch").startswith(
        "error: no compartment or library 'nosuch' (the image has: ")
    assert gdb.monitor("callchain 9").startswith("error: no thread 9 (threads: 1, 2, 3)")


def test_a_fault_is_explained_in_rtos_terms(gdb: Gdb) -> None:
    """faulty_read(8) faults on its bounded load; faulty has an error handler, which runs."""
    gdb.mi("-break-insert faulty_read")
    run_to_fault = None
    for _ in range(3):
        stop = gdb.run("-exec-continue")
        if stop.payload["reason"] == "signal-received":
            run_to_fault = stop
            break
    assert run_to_fault is not None
    text = run_to_fault.target
    assert "CHERI bounds violation" in text
    assert "  thread: 1 demo.demo_main\n  compartment: faulty\n" in text
    assert "  switcher: run the compartment's error handler\n" in text
    line = source_line("demo/demo.S", "neg s1, a0")
    assert re.search(rf"  call chain:\n    #1 faulty\.faulty_read called from 0x[0-9a-f]{{8}} "
                     rf"<demo_main\+\d+> at \S+demo\.S:{line}\n    #0 demo\.demo_main\n",
                     text), text
    assert "switcher: run the compartment's error handler" in gdb.monitor("fault")


def test_catch_unhandled_lets_handled_faults_through(gdb: Gdb, rtos_daemon: Daemon) -> None:
    listing = gdb.monitor("catch")
    assert "  unhandled: RTOS images: only faults the firmware does not handle" in listing
    assert gdb.monitor("catch unhandled").startswith("catch unhandled: ")
    start = len(rtos_daemon.uart)
    stop = gdb.run("-exec-continue")
    assert stop.payload["reason"] == "exited-normally", stop.payload
    out = rtos_daemon.wait_for_uart(b"demo: done, exiting\n", start)
    assert b"faulty: bounds fault in faulty_read (mcause 28) handled" in out   # faulty.S
    assert b"faulty: unexpected fault (mcause 28), forcing an unwind" in out


@pytest.mark.parametrize(("function", "thread", "switcher"), [
    ("queue_get", THREADS[3], r"force-unwind to the caller \(consumer at 0x[0-9a-f]{8}\)"),
    ("consumer_run", THREADS[3], r"end the thread \(a fault in its entry compartment, which "
                                 r"has no error handler\)"),
    # entry.S: an odd errorHandlerCount means the handler runs; a fault in it unwinds.
    # (faulty's handler: uaf and flaky have one of the same name.)
    ("faulty.faulty.o:compartment_error_handler", THREADS[1],
     r"double fault \(a fault in the error handler\): force-unwind to the caller"),
])
def test_catch_unhandled_stops_on_a_fault_the_firmware_does_not_handle(
        gdb: Gdb, rtos_elf: Path, function: str, thread: str, switcher: str) -> None:
    """An untagged csp makes the prologue's first csc fault with a tag violation: in queue and
    consumer, which have no error handler (their code_begin names none), and in faulty's
    error handler itself."""
    obj, _, name = function.rpartition(":")
    start = local_symbol(rtos_elf, obj, name) if obj else nm(rtos_elf)[name]
    gdb.monitor("catch none")
    run_to(gdb, f"*{start:#x}")
    gdb.console("set $csp.tag = 0")
    gdb.monitor("catch unhandled")
    stop = gdb.run("-exec-continue")
    assert stop.payload["reason"] == "signal-received", stop.payload
    assert stop.payload["signal-name"] == "SIGSEGV"
    assert int(stop.payload["frame"]["addr"], 16) == first_store(rtos_elf, start)
    text = stop.target
    assert "tag violation" in text
    assert re.search(rf"  thread: \d+ {re.escape(thread)}\n", text), text
    assert re.search(rf"  switcher: {switcher}\n", text), text


def unknown_generation(elf: Path, out: Path) -> Path:
    """A copy of the RTOS image whose header magic (generation F's 0xb0531162, rtos.md 2.6) is
    one no generation has: the layout is unknown and must not be guessed."""
    header_offset = int(subprocess.run(
        ["riscv64-unknown-elf-readelf", "-SW", str(elf)], check=True, text=True,
        capture_output=True).stdout.split(".compartment_headers")[1].split()[2], 16)
    data = bytearray(elf.read_bytes())
    at = data.index((0xB0531162).to_bytes(4, "little"), header_offset)
    data[at:at + 4] = (0x12345678).to_bytes(4, "little")
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(("image", "reason"), [
    ("hello", "no RTOS view: not a CHERIoT RTOS image: it has no .compartment_headers section "
              "(the loader's image header)"),
    ("unknown", "no RTOS view: unknown image-header layout "),
])
def test_a_non_rtos_image_answers_no_rtos_view_and_the_rest_works(
        tmp_path_factory: pytest.TempPathFactory, rtos_elf: Path, image: str,
        reason: str) -> None:
    out = tmp_path_factory.mktemp(image)
    elf = bundled.build("hello", out_dir=out, board="sail") if image == "hello" else \
        unknown_generation(rtos_elf, out / "unknown.elf")
    server = Daemon(elf)
    try:
        session = attach(elf, server)
        try:
            (only,) = thread_info(session)
            assert only["name"] == "hart0"
            for command in [*RTOS_COMMANDS, "catch unhandled"]:
                answer = session.monitor(command)
                assert answer.startswith(reason) and answer.count("\n") == 1, (command, answer)
            assert session.monitor("cap pcc").startswith("pcc: address=")
            assert session.monitor("catch").startswith("catch cheri: ")
            pc = session.address_of("$pc")
            session.run("-exec-step-instruction")
            assert session.address_of("$pc") != pc
            if image == "hello":
                stop = session.run("-exec-continue")
                assert stop.payload["reason"] == "exited-normally", stop.payload
        finally:
            session.close()
    finally:
        assert server.stop() == 0, server.stderr
