"""The bundled firmware, assembled from rtos/firmware/ on first use (never shipped as a binary).

Two images: ``rtos`` (the default), a CHERIoT RTOS image in assembly that follows the real
image conventions (docs/firmware.md), one directory per compartment under rtos/firmware/ plus
firmware.ld; and ``hello``, a one-file greeting kept as a small test image.

Built images are cached under ``~/.cache/cheriot-gdbserver/firmware``, keyed by this checkout's
path, the board and a hash of every source, so that an ELF never carries another checkout's
DWARF paths.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..asm.build import AS, AS_FLAGS, LD, LD_FLAGS, ToolchainError, assemble, include_dir, run_tool

if TYPE_CHECKING:
    from ..boards.board import Board

FIRMWARE_DIR = Path(__file__).resolve().parent / "firmware"
DEFAULT_FIRMWARE = "rtos"
DEFAULT_BOARD = "sail"
RTOS_FIRMWARE = "rtos"
# The emulator's CLINT variants: where mtime and mtimecmp sit in the device (rtos.md 4.4).
CLINT_OFFSETS = {"standard": (0xBFF8, 0x4000), "cheriot-safe": (0x10, 0x18)}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cheriot-gdbserver" / "firmware"


def available() -> list[str]:
    return sorted([RTOS_FIRMWARE, *(p.stem for p in FIRMWARE_DIR.glob("*.S"))])


def rtos_sources() -> list[Path]:
    """The RTOS image's sources: every .S of the component directories, in a stable order."""
    return sorted(FIRMWARE_DIR.glob("*/*.S"))


def build(name: str = DEFAULT_FIRMWARE, out_dir: Path | None = None,
          board: Board | str = DEFAULT_BOARD) -> Path:
    """Assemble bundled firmware ``name`` for ``board`` and return the ELF's path."""
    from ..boards.board import load_board

    if isinstance(board, str):
        board = load_board(board)
    if name == RTOS_FIRMWARE:
        sources = rtos_sources()
        inputs = [*sources, *sorted((FIRMWARE_DIR / "include").glob("*.inc")),
                  FIRMWARE_DIR / "firmware.ld"]
    else:
        source = FIRMWARE_DIR / f"{name}.S"
        if not source.exists():
            raise FileNotFoundError(f"no bundled firmware {name!r} "
                                    f"(available: {', '.join(available())})")
        sources = inputs = [source]
    board_inc = board_include(board) if name == RTOS_FIRMWARE else ""
    digest = hashlib.sha256(str(FIRMWARE_DIR).encode())   # this checkout: its DWARF paths
    for path in [*inputs, include_dir() / "cheriot.inc"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(board_inc.encode() + board.name.encode())
    digest.update(" ".join([*AS_FLAGS, *LD_FLAGS, "-g"]).encode())
    target = (out_dir or cache_dir()) / f"{name}-{board.name}-{digest.hexdigest()[:16]}"
    elf = target / f"{name}.elf"
    if elf.exists():
        # the same sources by content, maybe newer by date (a checkout, a merge): gdb would warn
        # that each source is "more recent than executable"
        newest = max(path.stat().st_mtime for path in inputs)
        if elf.stat().st_mtime < newest:
            os.utime(elf)
        return elf
    target.mkdir(parents=True, exist_ok=True)
    if name == RTOS_FIRMWARE:
        built = _build_rtos(sources, board, board_inc, target)
    else:
        built = assemble(sources, target, name=name, debug=True,
                         text_address=board.instruction_memory.start)
    if built != elf:
        built.replace(elf)
    return elf


def board_include(board: Board) -> str:
    """``board.inc``: the board facts the assembly needs, as the RTOS build derives them."""
    devices = {r.device: r for r in _devices(board)}
    for needed in ("uart", "clint", "shadow"):
        if needed not in devices:
            raise ToolchainError(f"board {board.name} has no {needed!r} device: the bundled "
                                 "RTOS firmware needs a 16550 UART, a CLINT and a revocation "
                                 "bitmap (shadow)")
    if devices["uart"].model not in ("uart16550", "opentitan-uart"):
        raise ToolchainError(f"board {board.name}'s UART is a {devices['uart'].model}: the "
                             "bundled RTOS firmware drives a 16550 or an OpenTitan UART only")
    mtime, mtimecmp = CLINT_OFFSETS[str(devices["clint"].options.get("variant", "standard"))]
    ticks = (board.timer_hz or 1000) // (board.tickrate_hz or 10)
    lines = {
        "BOARD_UART_BASE": devices["uart"].base,
        "BOARD_UART_SIZE": devices["uart"].size,
        "BOARD_CLINT_BASE": devices["clint"].base,
        "BOARD_CLINT_SIZE": devices["clint"].size,
        "BOARD_CLINT_MTIME": mtime,
        "BOARD_CLINT_MTIMECMP": mtimecmp,
        "BOARD_CLINT_MSIP": 0,         # both CLINT variants (boards/devices/clint.py)
        "BOARD_TICK_CYCLES": ticks,
        "BOARD_SHADOW_SIZE": devices["shadow"].size,
        "BOARD_REVOCABLE_BASE": board.revocable_base,
        "BOARD_INTERRUPTS": len(board.interrupts),
        "BOARD_EXIT_UART": int(board.exit.kind == "uart"),
        "BOARD_EXIT_MAGIC": int(board.exit.kind == "uart-magic"),
        "BOARD_EXIT_HTIF": int(board.exit.kind == "htif"),
        "BOARD_UART_OPENTITAN": int(devices["uart"].model == "opentitan-uart"),
        # OpenTitan UART: CTRL.NCO = baud * 2^20 / clock, for 115200 baud (its RTOS driver's).
        "OT_UART_NCO": (115200 << 20) // (board.timer_hz or 1) & 0xFFFF,
    }
    lines.update(_uart_interrupt(devices))
    header = f"# Generated by rtos/bundled.py for board {board.name}.\n"
    return header + "".join(f".equ {k}, {v:#x}\n" for k, v in lines.items())


def _uart_interrupt(devices: dict) -> dict[str, int]:  # type: ignore[type-arg]
    """The PLIC, and the UART-receive interrupt through it where the board wires the UART's
    interrupt line to a PLIC source (the UART model's ``irq``); without one the firmware polls
    the receiver (docs/firmware.md, "The UART-receive interrupt")."""
    plic = devices.get("plic")
    irq = int(devices["uart"].options.get("irq", 0) or 0) if plic is not None else 0
    return {"BOARD_PLIC_SIZE": plic.size if plic is not None else 0, "BOARD_UART_IRQ": irq}


def link_symbols(board: Board) -> dict[str, int]:
    """The symbols the generated mmio.ldscript would define (rtos.md 7.2), plus the segments."""
    devices = _devices(board)
    symbols = {"__code_start": board.instruction_memory.start,
               "__export_mem_heap_end": board.heap_end,
               "__mmio_region_start": min(r.base for r in devices),
               "__mmio_region_end": max(r.base + r.size for r in devices)}
    if board.data_memory is not None:
        symbols["__data_start"] = board.data_memory.start
    for r in devices:
        symbols[f"__export_mem_{r.device}"] = r.base
        symbols[f"__export_mem_{r.device}_end"] = r.base + r.size
    return symbols


def _devices(board: Board) -> list:  # type: ignore[type-arg]
    """The board's devices as the RTOS build sees them: MMIO windows and the shadow bitmap."""
    return [r for r in board.regions if r.device and (r.kind == "mmio" or r is board.shadow)]


def _build_rtos(sources: list[Path], board: Board, board_inc: str, out: Path) -> Path:
    (out / "board.inc").write_text(board_inc)
    objects = []
    for source in sources:
        obj = out / f"{source.parent.name}.{source.stem}.o"
        # --strip-local-absolute: the layout constants (.equ) stay out of the symbol table,
        # so that addresses never print as constant names.
        run_tool([AS, *AS_FLAGS, "-g", "--strip-local-absolute",
              "-I", str(FIRMWARE_DIR / "include"), "-I", str(include_dir()), "-I", str(out),
              "-o", str(obj), str(source)], f"assembling {source}")
        objects.append(str(obj))
    elf = out / f"{RTOS_FIRMWARE}.elf"
    # The board's symbols before the script: ld evaluates DEFINED(__data_start) in script
    # order, so a --defsym after -T would not count and the data would follow the code.
    command = [LD, *LD_FLAGS, *(f"--defsym={k}={v:#x}" for k, v in link_symbols(board).items()),
               "-T", str(FIRMWARE_DIR / "firmware.ld"), "-o", str(elf)]
    run_tool(command + objects, f"linking {elf}")
    return elf
