"""The pygdbmi helpers clean up (issue 7, item 11): a script that raises, inside a ``with
connect(...)`` block or not, leaves no daemon behind."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import assemble

EXAMPLES = Path(__file__).resolve().parents[2] / "scripts" / "examples"
SOURCE = Path(__file__).resolve().parents[1] / "firmware" / "handled_faults.S"
pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "gdb-multiarch"], capture_output=True).returncode != 0,
    reason="needs gdb-multiarch")


@pytest.fixture(scope="module")
def faulting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble([SOURCE], tmp_path_factory.mktemp("handled"), name="handled_faults",
                    debug=True)


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          check=False, cwd=EXAMPLES)


@pytest.mark.parametrize("style", ["with", "plain"])
def test_a_script_that_raises_leaves_no_daemon(faulting: Path, style: str) -> None:
    body = {"with": "with connect(ELF, None) as (daemon, gdb):\n"
                    "    print(daemon.process.pid, flush=True)\n"
                    "    raise RuntimeError('the script failed')\n",
            "plain": "daemon, gdb = connect(ELF, None)\n"
                     "print(daemon.process.pid, flush=True)\n"
                     "raise RuntimeError('the script failed')\n"}[style]
    code = textwrap.dedent(f"""\
        from pathlib import Path
        from cheriot_gdbmi import connect
        ELF = Path({str(faulting)!r})
        """) + body
    done = script("-c", code)
    assert done.returncode == 1 and "RuntimeError: the script failed" in done.stderr
    pid = int(done.stdout.split()[0])
    with pytest.raises(ProcessLookupError):  # stopped and reaped before the script exited
        os.kill(pid, 0)
