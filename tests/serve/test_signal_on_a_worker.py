"""A process-directed signal may be delivered to any of its threads (POSIX, signal(7)), and
Python runs the handler only in the main thread, at its next bytecode. SIGTERM landing on a
worker (the gdb server's, the emulator's) must still end ``serve`` and ``run`` promptly: here
it is sent to that worker alone with pthread_kill, which is what the kernel may choose."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

DEADLINE = 3.0  # seconds; the daemon's own limit is one, the interpreter's start-up is extra

# Runs the CLI in this process's main thread; a helper thread waits for the named worker,
# then sends SIGTERM to it alone.
DRIVER = textwrap.dedent("""
    import signal, sys, threading, time
    from cheriot_gdbserver.cli import main

    def aim(name):
        while True:
            for thread in threading.enumerate():
                if thread.name == name:
                    time.sleep(0.3)  # let it settle in its wait or its run
                    signal.pthread_kill(thread.ident, signal.SIGTERM)
                    return
            time.sleep(0.01)

    threading.Thread(target=aim, args=(sys.argv[1],), daemon=True).start()
    sys.exit(main(sys.argv[2:]))
""")


def drive(worker: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", DRIVER, worker, *args], capture_output=True,
                          text=True, timeout=DEADLINE, check=False)


def test_serve_stops_when_sigterm_lands_on_the_gdb_server_thread(states_elf: Path) -> None:
    done = drive("gdb-server", "serve", "--port", "0", str(states_elf))
    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith("cheriot-gdbserver: stopped\n"), done.stderr


def test_run_stops_when_sigterm_lands_on_the_emulator_thread(states_elf: Path) -> None:
    done = drive("cheriot-run", "run", str(states_elf))   # the firmware spins for ever
    assert done.returncode == 143, done.stderr
    assert "interrupted after" in done.stderr, done.stderr


def test_monitor_stops_its_run_when_sigterm_lands_on_the_emulator_thread(
        states_elf: Path) -> None:
    # --break at an address the spinning firmware never reaches: only the signal ends the run,
    # and the commands then run on the state it stopped in
    done = drive("cheriot-run", "monitor", str(states_elf), "--break", "0x4", "-c", "uart")
    assert done.returncode == 0, done.stderr
    assert "cheriot-gdbserver: stopped (interrupted) at " in done.stderr, done.stderr
    assert done.stdout == "spinning\n"
