"""Synthetic RTOS images, built once per session per (generation, revoker, dwarf)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.rtos.cheriot import RtosImage

from . import synth


@pytest.fixture(scope="session")
def synth_image(tmp_path_factory) -> Callable[..., tuple[Path, synth.Layout]]:
    cache: dict[tuple, tuple[Path, synth.Layout]] = {}

    def build(generation: str, *, revoker: bool = True, dwarf: bool = False, **corrupt):
        key = (generation, revoker, dwarf, tuple(sorted(corrupt.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(f"rtos-{generation}")
            cache[key] = synth.build(out, generation, revoker=revoker, dwarf=dwarf, **corrupt)
        return cache[key]

    return build


def open_image(path: Path, **board) -> RtosImage:
    elf = ELFFile(path.open("rb"))
    return RtosImage.from_elf(elf, board.get("devices", synth.DEVICES),
                              interrupts=board.get("interrupts", synth.INTERRUPTS),
                              revokable_start=board.get("revokable_start", 0x80000000))
