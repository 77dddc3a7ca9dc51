"""``cheriot-gdbserver serve`` as a process: the banner, binding, the catch option, stopping."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

from cheriot_gdbmi import Daemon

from cheriot_gdbserver.gdb_extension import ENTRY_SCRIPT
from cheriot_gdbserver.serve_command import attach_command, format_address, is_loopback
from tests.gdbstub.rsp_client import RspClient

from .conftest import Firmware

SERVE = [sys.executable, "-m", "cheriot_gdbserver.cli", "serve"]


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    """A daemon that is expected to fail to start."""
    return subprocess.run([*SERVE, *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_banner_says_where_it_listens_and_how_to_attach(daemon: Daemon,
                                                        firmware: Firmware) -> None:
    assert daemon.host == "127.0.0.1" and daemon.port != 0  # --port 0: a free port
    assert daemon.attach_line == (f"attach with: gdb-multiarch {firmware.elf} "
                                  f"-ex 'target remote 127.0.0.1:{daemon.port}' "
                                  f"-x {ENTRY_SCRIPT}")
    client = RspClient(daemon.host, daemon.port)
    assert client.ask(b"?").startswith(b"T05")  # halted at the entry until gdb resumes it
    assert int.from_bytes(bytes.fromhex(client.ask(b"p20").decode()), "little") == \
        firmware.symbols["_start"]
    client.close()


def test_a_port_in_use_is_an_error(daemon: Daemon, firmware: Firmware) -> None:
    done = serve(str(firmware.elf), "--port", str(daemon.port))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"cheriot-gdbserver: error: cannot listen on 127.0.0.1:"
                           f"{daemon.port}: Address already in use\n")


def test_a_non_loopback_address_is_warned_about(firmware: Firmware) -> None:
    # 0.0.0.0 (every interface) is not loopback and exists on every machine; the port is made
    # busy here first, so the warning comes, then the bind fails, whatever addresses the
    # machine has.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = serve(str(firmware.elf), "--host", "0.0.0.0", "--port", str(port))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "cheriot-gdbserver: warning: listening on 0.0.0.0, not loopback: the gdb remote "
        "protocol has no authentication, so anyone who can reach the port controls the "
        "emulated machine\n"
        f"cheriot-gdbserver: error: cannot listen on 0.0.0.0:{port}: Address already in use\n")


def test_bad_arguments() -> None:
    done = serve("--port", "70000")
    assert done.returncode == 2
    assert done.stderr.endswith("argument --port: port 70000 is not in 0-65535\n")
    done = serve("--catch", "some")
    assert done.returncode == 2
    assert "argument --catch: invalid choice: 'some'" in done.stderr
    done = serve("/nonexistent/fw.elf", "--port", "0")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("cheriot-gdbserver: error: ")


def test_ctrl_c_stops_the_daemon_while_the_firmware_runs(firmware: Firmware) -> None:
    server = Daemon(firmware.elf, "--catch", "none")
    client = RspClient(server.host, server.port)
    assert client.monitor("catch").startswith(
        "catch none: no exception stops the target (the firmware handles its own)\nmodes:\n")
    client.send(b"c")
    assert server.wait_for_uart(b"recovered\n\n") == (
        b"hello from the e2e firmware\nrecovered\n\n")
    assert server.stop() == 0
    assert server.stderr == "cheriot-gdbserver: stopped\n"
    client.close()


def test_sigterm_stops_the_daemon_too(firmware: Firmware) -> None:
    server = Daemon(firmware.elf)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(60) == 0
    assert server.stderr == "cheriot-gdbserver: stopped\n"


def test_address_helpers() -> None:
    assert [is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "localhost",
                                     "0.0.0.0", "::", "10.0.0.1", "example.org")] == [
        True, True, True, True, False, False, False, False]
    assert format_address("::1", 3333) == "[::1]:3333"
    assert format_address("127.0.0.1", 3333) == "127.0.0.1:3333"
    assert attach_command(Path("/tmp/my fw.elf"), "127.0.0.1:1") == (
        f"gdb-multiarch '/tmp/my fw.elf' -ex 'target remote 127.0.0.1:1' -x {ENTRY_SCRIPT}")
    assert attach_command(None, "[::1]:2") == (
        "gdb-multiarch -ex 'set architecture riscv:rv32' -ex 'target remote [::1]:2' "
        f"-x {ENTRY_SCRIPT}")
