"""The package builds from pyproject.toml with its licence as an SPDX expression, without the
deprecation warning the old licence table printed on every install (issue 7, item 11). Builds a
wheel in pip's isolated build environment, as ``scripts/test`` installs the project."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_declares_its_licence_without_a_deprecation_warning(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "project.license" not in output and "is deprecated" not in output, output
    (wheel,) = tmp_path.glob("cheriot_gdbserver-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode().splitlines()
    assert "License-Expression: MIT" in metadata
