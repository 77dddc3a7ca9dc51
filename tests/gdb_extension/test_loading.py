"""Issue 11 item 1 and the extension's contract: it ships in the package, ``serve`` prints the
attach command that loads it, ``cheriot-gdbserver gdb-extension`` prints its path, it loads in
Debian's gdb-multiarch from the installed package (a wheel) as from the source tree, and on a
target that is not CHERIoT it says so once and changes nothing."""

from __future__ import annotations

import shlex
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cheriot_gdbmi import Daemon

from cheriot_gdbserver.gdb_extension import ENTRY_SCRIPT
from tests.test_packaging import wheel_build  # noqa: F401 - the fixture

from .conftest import ROOT

GDB = ["gdb-multiarch", "-nx", "-batch"]
ON = "cheriot: CHERIoT target: extension on"
OFF = "cheriot: the target is not CHERIoT"


def gdb_batch(*args: str, timeout: float = 120) -> str:
    done = subprocess.run([*GDB, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)
    return done.stdout + done.stderr


def test_the_cli_prints_the_entry_script() -> None:
    done = subprocess.run([sys.executable, "-m", "cheriot_gdbserver.cli", "gdb-extension"],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout == f"{ENTRY_SCRIPT}\n"
    assert ENTRY_SCRIPT.is_file() and ENTRY_SCRIPT.name == "cheriot.py"
    assert ENTRY_SCRIPT.parent == ROOT / "cheriot_gdbserver" / "gdb_extension"


def test_the_second_line_of_serve_attaches_with_the_extension(pointers_elf: Path) -> None:
    daemon = Daemon(pointers_elf)
    try:
        words = shlex.split(daemon.attach_line.removeprefix("attach with: "))
        assert words == ["gdb-multiarch", str(pointers_elf), "-ex",
                         f"target remote {daemon.address}", "-x", str(ENTRY_SCRIPT)]
        # The exact command, run as printed (batch mode and no ~/.gdbinit added).
        done = subprocess.run([words[0], "-nx", "-batch", *words[1:], "-ex", "x/1i $pc"],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        assert daemon.stop() == 0, daemon.stderr
    assert done.stdout.count(ON) == 1, done.stdout + done.stderr
    assert "=> 0x80000000 <_start>:\tcspecialr ca5, mtdc" in done.stdout  # pointers.S:29


def test_without_a_target_the_extension_stays_quiet_and_changes_nothing(
        pointers_elf: Path) -> None:
    plain = gdb_batch(str(pointers_elf), "-ex", "x/3i _start")
    loaded = gdb_batch(str(pointers_elf), "-x", str(ENTRY_SCRIPT), "-ex", "x/3i _start")
    assert "cheriot:" not in loaded
    assert loaded == plain


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("qemu-system-riscv32") is None,
                    reason="needs qemu-system-riscv32 (a plain RV32 target)")
def test_on_a_plain_rv32_target_it_says_so_once_and_changes_nothing() -> None:
    # QEMU's virt machine is a real RV32 target whose description has the standard RISC-V
    # features and no capability registers; halted (-S) at its reset vector (0x1000).
    port = free_port()
    qemu = subprocess.Popen(["qemu-system-riscv32", "-M", "virt", "-display", "none", "-S",
                             "-gdb", f"tcp:127.0.0.1:{port}", "-bios", "none", "-nodefaults",
                             "-monitor", "none", "-serial", "none"])
    try:
        common = ["-ex", "set architecture riscv:rv32", "-ex", f"target remote :{port}"]
        plain = gdb_batch(*common, "-ex", "x/4i $pc", "-ex", "stepi", "-ex", "x/2i $pc")
        qemu_reset = ["-ex", "set $pc = 0x1000"]
        loaded = gdb_batch(*common, *qemu_reset, "-x", str(ENTRY_SCRIPT), "-ex", "x/4i $pc",
                           "-ex", "stepi", "-ex", "x/2i $pc", "-ex", "info cheriot")
    finally:
        qemu.terminate()
        qemu.wait(30)
    assert "auipc" in plain, plain
    assert loaded.count(OFF) == 1, loaded
    assert ON not in loaded
    assert 'Undefined info command: "cheriot"' in loaded
    shown = [line for line in loaded.splitlines() if line.startswith(("=>", "   0x"))]
    assert shown == [line for line in plain.splitlines() if line.startswith(("=>", "   0x"))]


@pytest.mark.skipif(shutil.which("qemu-system-riscv32") is None,
                    reason="needs qemu-system-riscv32 (a plain RV32 target)")
def test_switching_to_a_plain_target_in_the_same_session_restores_gdbs_own_view(
        pointers_elf: Path) -> None:
    port = free_port()
    qemu = subprocess.Popen(["qemu-system-riscv32", "-M", "virt", "-display", "none", "-S",
                             "-gdb", f"tcp:127.0.0.1:{port}", "-bios", "none", "-nodefaults",
                             "-monitor", "none", "-serial", "none"])
    daemon = Daemon(pointers_elf)
    try:
        out = gdb_batch(str(pointers_elf), "-ex", f"target remote {daemon.address}",
                        "-x", str(ENTRY_SCRIPT), "-ex", "x/1i use_locals", "-ex", "disconnect",
                        "-ex", f"target remote :{port}", "-ex", "x/1i 0x1000")
    finally:
        qemu.terminate()
        qemu.wait(30)
        assert daemon.stop() == 0, daemon.stderr
    assert out.count(ON) == 1 and out.count(OFF) == 1, out
    assert "<use_locals>:\tcincoffset csp, csp, -112" in out
    assert "0x1000:\tauipc\tt0,0x0" in out  # gdb's own spelling (tab, no space after comma)


def test_it_loads_from_an_installed_wheel(tmp_path: Path, pointers_elf: Path,
                                          wheel_build: tuple[Path, str]) -> None:  # noqa: F811
    wheel, _ = wheel_build  # built from the tracked files, as from a fresh clone
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    entry = site / "cheriot_gdbserver" / "gdb_extension" / "cheriot.py"
    assert entry.is_file()
    daemon = Daemon(pointers_elf)
    try:
        out = gdb_batch(str(pointers_elf), "-ex", f"target remote {daemon.address}",
                        "-x", str(entry), "-ex", "python import cheriot_gdbserver.core.decode "
                        "as d; print('decoder from', d.__file__)", "-ex", "x/1i $pc")
    finally:
        assert daemon.stop() == 0, daemon.stderr
    assert ON in out, out
    assert f"decoder from {site / 'cheriot_gdbserver' / 'core' / 'decode.py'}" in out
    assert "cspecialr ca5, mtdc" in out


def test_loaded_before_connecting_it_switches_on_at_the_connection(pointers_elf: Path) -> None:
    daemon = Daemon(pointers_elf)
    try:
        out = gdb_batch(str(pointers_elf), "-x", str(ENTRY_SCRIPT),
                        "-ex", f"target remote {daemon.address}", "-ex", "x/1i $pc")
    finally:
        assert daemon.stop() == 0, daemon.stderr
    assert out.count(ON) == 1, out
    assert "cspecialr ca5, mtdc" in out
