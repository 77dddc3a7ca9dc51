"""Which Unicorn library the engine loads: our patched build when it has been built, unless
the user chose one (LIBUNICORN_PATH) or the stock wheel (CHERIOT_STOCK_UNICORN=1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cheriot_gdbserver.core import unicorn_build

PROBE = ("import os, cheriot_gdbserver.core.engine as e; "
         "from cheriot_gdbserver.core.memory import Memory, RamRegion; "
         "g = e.Engine(Memory([RamRegion('ram', 0x80000000, 0x1000)])); "
         "print(os.environ.get('LIBUNICORN_PATH'), g.core.hook_executes)")


def _probe(**env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("LIBUNICORN_PATH", unicorn_build.STOCK_VARIABLE)}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True,
                          text=True, timeout=60, check=True)
    return done.stdout.split()


def test_the_build_directory_is_keyed_by_the_patch() -> None:
    directory = unicorn_build.build_dir()
    assert directory.name.startswith(f"cheriot-unicorn-{unicorn_build.VERSION}-")
    assert unicorn_build.PATCH.exists()


def test_the_stock_wheel_on_request_and_the_old_exits_with_it() -> None:
    assert _probe(**{unicorn_build.STOCK_VARIABLE: "1"}) == ["None", "0"]


def test_without_our_build_the_stock_wheel_is_used(tmp_path: Path) -> None:
    assert _probe(**{unicorn_build.DIR_VARIABLE: str(tmp_path)}) == ["None", "0"]


def test_our_build_is_preferred_once_built() -> None:
    directory = unicorn_build.build_dir()
    if not (directory / unicorn_build.LIBRARY).exists():
        pytest.skip("scripts/build-unicorn has not been run (or could not build) here")
    assert _probe() == [str(directory), "1"]


def test_a_build_of_another_patch_level_runs_as_the_stock_one(monkeypatch) -> None:  # noqa: ANN001
    # A library built from an older patch leaves fewer encodings to the hook: relying on it
    # would skip instructions nobody executes.
    from cheriot_gdbserver.core import fastpath
    from cheriot_gdbserver.core.engine import Engine
    from cheriot_gdbserver.core.memory import Memory, RamRegion

    monkeypatch.setattr(fastpath, "patch_level", lambda _lib: fastpath.PATCH_LEVEL - 1)
    engine = Engine(Memory([RamRegion("ram", 0x8000_0000, 0x1000)]))
    assert engine.core.hook_executes == 0
