"""Assemble and link small CHERIoT programs with Debian's RISC-V binutils and ``cheriot.inc``.

Used by tests and examples to build firmware images. Sources can ``.include "cheriot.inc"``.
Relaxation is off everywhere: the linker must not rewrite instruction sequences whose meaning
differs on CHERIoT (isa.md §5.1), and label distances stay what the assembler computed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from cheriot_gdbserver.errors import CheriotGdbError

AS = "riscv64-unknown-elf-as"
LD = "riscv64-unknown-elf-ld"
AS_FLAGS = ("-march=rv32emc_zicsr_zifencei", "-mabi=ilp32e", "-mno-relax")
LD_FLAGS = ("-m", "elf32lriscv", "--no-relax", "--no-warn-rwx-segments")


class ToolchainError(CheriotGdbError):
    """The assembler or linker is missing or rejected the program."""


def include_dir() -> Path:
    """The directory holding ``cheriot.inc`` and the default ``link.ld``."""
    return Path(__file__).resolve().parent


def run_tool(command: list[str], what: str) -> None:
    """Run one binutils command; a missing tool or a failure is a ToolchainError."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ToolchainError(f"{command[0]} not found (needed for {what}): install Debian's "
                             "binutils-riscv64-unknown-elf package") from None
    if result.returncode != 0:
        raise ToolchainError(f"{what} failed:\n{result.stderr.strip()}")


def assemble(sources: list[Path] | str, out_dir: Path, *, text_address: int = 0x80000000,
             linker_script: Path | None = None, name: str = "prog",
             extra_symbols: dict[str, int] | None = None, debug: bool = False) -> Path:
    """Assemble ``sources`` (files, or one program text) and link them into ``out_dir/name.elf``.

    Without ``linker_script`` the image starts at ``text_address`` (asm/link.ld); a custom
    script may use the symbol ``__text_address``, which is always defined, as is every entry of
    ``extra_symbols``. ``debug`` adds DWARF line information (``as -g``), so that gdb can step
    by source line. Raises ToolchainError with the tool's messages on failure.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(sources, str):
        text_path = out_dir / f"{name}.s"
        text_path.write_text(sources)
        sources = [text_path]
    objects = []
    for index, source in enumerate(sources):
        obj = out_dir / f"{name}.{index}.{Path(source).stem}.o"
        flags = [*AS_FLAGS, "-g"] if debug else list(AS_FLAGS)
        run_tool([AS, *flags, "-I", str(include_dir()), "-I", str(Path(source).parent),
              "-o", str(obj), str(source)], f"assembling {source}")
        objects.append(str(obj))
    elf = out_dir / f"{name}.elf"
    symbols = {"__text_address": text_address, **(extra_symbols or {})}
    command = [LD, *LD_FLAGS, "-T", str(linker_script or include_dir() / "link.ld"),
               "-o", str(elf)]
    command += [f"--defsym={symbol}={value:#x}" for symbol, value in symbols.items()]
    run_tool(command + objects, f"linking {elf}")
    return elf
