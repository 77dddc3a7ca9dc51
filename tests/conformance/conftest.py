"""Every conformance test runs through the Python reference and through the compiled fast path
and must see the same architectural result (harness.py explains how the fast path is engaged)."""

from __future__ import annotations

import shutil

import pytest

from cheriot_gdbserver.asm import build

_TOOLCHAIN = shutil.which(build.AS) is not None and shutil.which(build.LD) is not None


@pytest.fixture(autouse=True, scope="session")
def _needs_toolchain() -> None:
    if not _TOOLCHAIN:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")


@pytest.fixture(params=["reference", "fast"], scope="session")
def mode(request: pytest.FixtureRequest) -> str:
    return request.param
