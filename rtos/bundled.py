"""The bundled default firmware: assembled from rtos/firmware/*.S on first use, never shipped
as a binary. Built images are cached by the hash of their sources."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..asm.build import assemble, include_dir

FIRMWARE_DIR = Path(__file__).parent / "firmware"
DEFAULT_FIRMWARE = "hello"
DEFAULT_BOARD = "sail"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cheriot-gdbserver" / "firmware"


def build(name: str = DEFAULT_FIRMWARE, out_dir: Path | None = None) -> Path:
    """Assemble bundled firmware ``name`` (rtos/firmware/NAME.S) and return the ELF's path."""
    source = FIRMWARE_DIR / f"{name}.S"
    if not source.exists():
        available = ", ".join(sorted(p.stem for p in FIRMWARE_DIR.glob("*.S")))
        raise FileNotFoundError(f"no bundled firmware {name!r} (available: {available})")
    digest = hashlib.sha256(source.read_bytes())
    digest.update((include_dir() / "cheriot.inc").read_bytes())
    digest.update(b"debug")  # built with DWARF line information, so gdb can step by line
    target = (out_dir or cache_dir()) / f"{name}-{digest.hexdigest()[:16]}"
    elf = target / f"{name}.elf"
    if not elf.exists():
        target.mkdir(parents=True, exist_ok=True)
        built = assemble([source], target, name=name, debug=True)
        if built != elf:
            built.replace(elf)
    return elf
