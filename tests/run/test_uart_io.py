"""The UART's receive side and output redirection (`--uart-input`, `--uart-output`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .support import COMMAND, Build, cli


def test_uart_input_from_a_file_is_received_and_echoed(build: Build, tmp_path: Path) -> None:
    elf = build("uart_echo.S", "sail")
    (tmp_path / "in.txt").write_bytes(b"hello, cheriot\n")
    done = cli("run", str(elf), "--uart-input", str(tmp_path / "in.txt"))
    assert done.stdout == "HELLO, CHERIOT\n"
    assert done.returncode == 15  # the firmware exits with the number of bytes received


def test_uart_input_from_stdin(build: Build) -> None:
    elf = build("uart_echo.S", "sail")
    done = subprocess.run([*COMMAND, "run", str(elf), "--uart-input", "stdin"],
                          input=b"abc\n", capture_output=True, timeout=60)
    assert (done.stdout, done.returncode) == (b"ABC\n", 4)


def test_uart_output_to_a_file(build: Build, tmp_path: Path) -> None:
    out = tmp_path / "uart.txt"
    done = cli("run", "--uart-output", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert out.read_text().startswith("consumer: waiting for items\n")  # the bundled RTOS demo


def test_without_input_the_uart_receives_nothing(build: Build) -> None:
    elf = build("uart_echo.S", "sail")
    done = cli("run", str(elf), "--max-instructions", "20000")
    assert (done.stdout, done.returncode) == ("", 124)


def test_unreadable_uart_input_is_a_clear_error(build: Build, tmp_path: Path) -> None:
    done = cli("run", "--uart-input", str(tmp_path / "missing.txt"))
    assert done.returncode == 2
    assert done.stderr.startswith("cheriot-gdbserver: error: cannot read UART input from ")
