"""Real gdb-multiarch against the stub and the fake target over TCP.

Proves gdb 13 accepts our target.xml, reads integer, CSR and capability registers (struct fields,
permission flags, otype enum), runs monitor commands, and reports every stop kind with the right
signal name (gdb's own numbering: SIGBUS 10, SIGSTOP 17, SIGXCPU 24).
"""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest

from cheriot_gdbserver.core.stops import Stop, StopKind, TrapInfo, WatchHit, WatchKind
from cheriot_gdbserver.gdbstub.server import GdbServer

from .fakes import RAM_BASE, FakeTarget
from .rsp_client import TIMEOUT

GDB = shutil.which("gdb-multiarch")
pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed")
MARK = "=====\n"


def run_gdb(target: FakeTarget, commands: list[str]) -> list[str]:
    """Run gdb -batch with ``commands``; return the output split at each ``mark`` command."""
    server = GdbServer(target, port=0)  # RLE on, as the CLI serves it
    host, port = server.bind()
    thread = threading.Thread(target=server.serve_one, daemon=True)
    thread.start()
    args = [GDB, "-batch", "-nx", "-ex", "set architecture riscv:rv32",
            "-ex", "set confirm off", "-ex", f"target remote {host}:{port}"]
    for command in commands:
        args += ["-ex", 'echo =====\\n' if command == "mark" else command]
    done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60, check=True)
    server.close()
    thread.join(TIMEOUT)
    return done.stdout.split(MARK)[1:]


def test_gdb_reads_registers_and_capabilities() -> None:
    target = FakeTarget()
    out = run_gdb(target, [
        "mark", "info registers pc sp a0",
        "mark", "p $csp",
        "mark", "p $csp.perms",
        "mark", "p/x $csp.base",
        "mark", "p $pcc",
        "mark", "p $mtdc.otype",
        "mark", "ptype $csp",
        "mark", "p/x $mstatus",
        "mark", "info registers cheri",
        "mark", "set $csp.tag = 0",
        "p $csp.tag",
        "mark", "set $ca0.address = 4",
        "mark", "set $a0 = 0x1234",
        "p/x $a0",
        "mark", "x/2xw 0x80000000",
        "mark", "monitor tags 0x80000000 16",
        "mark", "monitor frob",
        "mark", "info threads",
        "mark",
    ])
    assert out[:8] == [
        "pc             0x80000000\t0x80000000\n"
        "sp             0x800010f0\t0x800010f0\n"
        "a0             0x0\t0\n",
        "$1 = {address = 0x800010f0, base = 0x80001000, top = 2147488000, length = 256, "
        "perms = [ GL LG SD LM SL LD MC ], otype = unsealed, tag = true}\n",
        "$2 = [ GL LG SD LM SL LD MC ]\n",
        "$3 = 0x80001000\n",
        "$4 = {address = 0x80000000, base = 0x0, top = 4294967296, length = 4294967296, "
        "perms = [ GL LG LM LD MC SR EX ], otype = unsealed, tag = true}\n",
        "$5 = unsealed\n",
        "type = struct cheriot_data_cap {\n"
        "    void *address;\n"
        "    void *base;\n"
        "    uint64_t top;\n"
        "    uint64_t length;\n"
        "    cheriot_perms perms;\n"
        "    enum cheriot_otype otype;\n"
        "    bool tag;\n"
        "}\n",
        "$6 = 0x1800\n",
    ]
    assert [line.split()[0] for line in out[8].splitlines()] == [
        "cra", "csp", "cgp", "ctp", "ct0", "ct1", "ct2", "cs0", "cs1", "ca0", "ca1", "ca2",
        "ca3", "ca4", "ca5", "pcc", "mtcc", "mtdc", "mscratchc", "mepcc"]
    assert out[9:] == [
        "$7 = false\n",
        "",  # ca0 holds an untagged value: its address may be anything
        "$8 = 0x1234\n",
        "0x80000000:\t0x00000000\t0x00000000\n",
        "tags 0x80000000 16\n",
        "frob\n",  # the stub passes monitor lines through (the fake echoes them)
        "  Id   Target Id                 Frame \n"
        "* 1    Thread 1 \"main\" (running) 0x80000000 in ?? ()\n",
        "[Inferior 1 (Remote target) detached]\n",  # qAttached says 1: quitting detaches
    ]


def test_gdb_reports_each_stop_kind() -> None:
    target = FakeTarget()
    target.stops.extend([
        Stop(StopKind.BREAKPOINT, RAM_BASE + 0x10),
        # RISC-V watchpoints are "non-steppable" for gdb: it steps the accessing instruction
        # with a temporary breakpoint (here at +0x22) before it reports the hit.
        Stop(StopKind.WATCHPOINT, RAM_BASE + 0x20,
             watch=WatchHit(0x8000_1000, 0x8000_1000, WatchKind.READ, False)),
        Stop(StopKind.BREAKPOINT, RAM_BASE + 0x22),
        Stop(StopKind.EXCEPTION, RAM_BASE + 0x24, trap=TrapInfo(
            0x1C, 0x162, RAM_BASE + 0x24, False, "CHERI tag violation on load through ca1")),
        Stop(StopKind.EXCEPTION, RAM_BASE + 0x28, trap=TrapInfo(
            6, 0x8000_1001, RAM_BASE + 0x28, False, "store address misaligned")),
        Stop(StopKind.EXCEPTION, RAM_BASE + 0x2A, trap=TrapInfo(
            2, 0, RAM_BASE + 0x2A, False, "illegal instruction")),
        Stop(StopKind.BUDGET, RAM_BASE + 0x2C),
        Stop(StopKind.HALTED, RAM_BASE + 0x30, message="wfi with no wake source"),
        Stop(StopKind.EXIT, RAM_BASE + 0x34, exit_code=3),
    ])
    out = run_gdb(target, [
        "break *0x80000010", "mark", "continue",
        "mark", "delete", "rwatch *(int*)0x80001000", "mark", "continue", "delete",
        *(c for _ in range(6) for c in ("mark", "continue")), "mark",
    ])
    assert out == [
        "\nBreakpoint 1, 0x80000010 in ?? ()\n",
        "Hardware read watchpoint 2: *(int*)0x80001000\n",
        "\nHardware read watchpoint 2: *(int*)0x80001000\n\nValue = 0\n0x80000022 in ?? ()\n",
        "CHERI tag violation on load through ca1\n\n"
        "Program received signal SIGSEGV, Segmentation fault.\n0x80000024 in ?? ()\n",
        "store address misaligned\n\n"
        "Program received signal SIGBUS, Bus error.\n0x80000028 in ?? ()\n",
        "illegal instruction\n\n"
        "Program received signal SIGILL, Illegal instruction.\n0x8000002a in ?? ()\n",
        "\nProgram received signal SIGXCPU, CPU time limit exceeded.\n0x8000002c in ?? ()\n",
        "wfi with no wake source\n\n"
        "Program received signal SIGSTOP, Stopped (signal).\n0x80000030 in ?? ()\n",
        "[Inferior 1 (Remote target) exited with code 03]\n",
        "",
    ]
    # gdb passes the signals it stopped with back on 'continue' (SIGSEGV 11, SIGBUS 10, ...).
    assert [a.signal for a in target.resumes] == [None, None, None, None, 11, 10, 4, 24, 17]


AS = shutil.which("riscv64-unknown-elf-as")
LD = shutil.which("riscv64-unknown-elf-ld")


@pytest.mark.skipif(AS is None or LD is None, reason="riscv64-unknown-elf binutils missing")
def test_gdb_loads_an_image_with_x_packets(tmp_path) -> None:
    """'load' of a 40 KB image goes through X packets (several per packet size) and lands."""
    source = tmp_path / "image.s"
    source.write_text("    .text\n    .globl _start\n_start:\n    nop\n"
                      "    .fill 20000, 2, 0x2a23\n")
    obj, elf = tmp_path / "image.o", tmp_path / "image.elf"
    subprocess.run([AS, "-march=rv32e", "-mabi=ilp32e", "-o", obj, source], check=True, timeout=60)
    subprocess.run([LD, "-m", "elf32lriscv", "-Ttext=0x80000000", "-o", elf, obj], check=True,
                   timeout=60)
    target = FakeTarget()
    out = run_gdb(target, [f"file {elf}", "mark", "load", "mark", "compare-sections", "mark",
                           "info registers pc", "mark"])
    assert out[0].startswith("Loading section .text, size 0x9c44 lma 0x80000000\n"
                             "Start address 0x80000000, load size 40004\n")
    assert out[1:] == [
        "Section .text, range 0x80000000 -- 0x80009c44: matched.\n",
        "pc             0x80000000\t0x80000000 <_start>\n",
        "[Inferior 1 (Remote target) detached]\n",
    ]
    assert bytes(target.ram[:8]) == bytes.fromhex("13000000232a232a")
    assert bytes(target.ram[0x9C42:0x9C48]) == bytes.fromhex("232a00000000")
