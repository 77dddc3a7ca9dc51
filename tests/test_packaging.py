"""The package builds from pyproject.toml with its licence as an SPDX expression, without the
deprecation warning the old licence table printed on every install (issue 7, item 11). Builds a
wheel in pip's isolated build environment, as ``scripts/test`` installs the project."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel built from the tracked files only, as from a fresh clone: a stale build/ folder
    in the checkout would otherwise hide files the configuration leaves out."""
    tree = tmp_path_factory.mktemp("checkout")
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir",
                           str(out), str(tree)], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("cheriot_gdbserver-*.whl")
    return wheel, done.stdout + done.stderr


def test_the_wheel_declares_its_licence_without_a_deprecation_warning(
        wheel_build: tuple[Path, str]) -> None:
    wheel, output = wheel_build
    assert "project.license" not in output and "is deprecated" not in output, output
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode().splitlines()
    assert "License-Expression: MIT" in metadata


def test_the_wheel_ships_every_source_of_the_bundled_firmware(
        wheel_build: tuple[Path, str]) -> None:
    """A non-editable install assembles the bundled RTOS from the sources in the wheel, so each
    file under rtos/firmware (compartment folders and their shared include) must be in it."""
    wheel, _ = wheel_build
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    sources = ROOT / "rtos" / "firmware"
    expected = {f"cheriot_gdbserver/rtos/firmware/{p.relative_to(sources).as_posix()}"
                for p in sources.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert expected and expected <= shipped, sorted(expected - shipped)
