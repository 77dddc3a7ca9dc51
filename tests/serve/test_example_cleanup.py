"""The pygdbmi helpers clean up (issue 7, item 11): a script that raises, inside a ``with
connect(...)`` block or not, leaves no daemon behind."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tests.serve.examples import needs_gdb, script

pytestmark = needs_gdb



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
