"""Running the pygdbmi example scripts (scripts/examples/) on tests/firmware/handled_faults.S,
which faults twice, takes both faults in its own trap handler and exits 0."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cheriot_gdbserver.asm.build import assemble

EXAMPLES = Path(__file__).resolve().parents[2] / "scripts" / "examples"
HANDLED_FAULTS = Path(__file__).resolve().parents[1] / "firmware" / "handled_faults.S"
needs_gdb = pytest.mark.skipif(shutil.which("gdb-multiarch") is None,
                               reason="needs gdb-multiarch")


def build_handled_faults(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble([HANDLED_FAULTS], tmp_path_factory.mktemp("handled"),
                    name="handled_faults", debug=True)


def script(*args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in scripts/examples, as a user runs an example."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          check=False, cwd=EXAMPLES)
