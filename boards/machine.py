"""A Machine: the engine, the memory map and devices of a board, and a loaded firmware image.

The CLI (``run``, ``serve``) and the tests build machines the same way, through ``Machine``.
Time is the engine's instruction count: devices see ``clock.now()`` = instructions retired
(plus those skipped while the hart sleeps in ``wfi``), so two runs of the same firmware are
identical.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from ..core.engine import Engine
from ..core.hart import IRQ_MEI, IRQ_MSI, IRQ_MTI
from ..core.memory import Memory, MmioRegion, RamRegion, Region, Revocation
from ..errors import BoardError
from .board import Board
from .devices.device_set import DeviceSet, Wiring, build_devices
from .image import Image, check_fits


class _EngineClock:
    def __init__(self, engine: Engine) -> None:
        self._core = engine.core

    def now(self) -> int:
        return self._core.instret


class Machine:
    """One emulated board running one image. ``engine`` is the hart; ``devices`` its devices."""

    def __init__(self, board: Board, image: Image, *, uart_output: BinaryIO | None = None,
                 uart_input: Callable[[], bytes] | None = None, reference: bool = False) -> None:
        self.board = board
        self.image = image
        self._uart_output = uart_output
        self._uart_input = uart_input
        check_fits(image, board)
        self.memory = Memory(self._regions(), self._revocation())
        self.engine = Engine(self.memory, reference=reference, isa=board.isa)
        self.engine.timebase = self
        self.devices = self._build_devices()
        self._load()

    # --- construction ----------------------------------------------------------------------

    def _regions(self) -> list[Region]:
        regions: list[Region] = []
        for region in self.board.regions:
            if region.kind in ("ram", "rom"):
                regions.append(RamRegion(region.name, region.map_base, region.map_size,
                                         tagged=region.tagged,
                                         executable=region.model != "shadow"))
            else:
                # The device object is attached by _build_devices (and replaced on reset).
                regions.append(MmioRegion(region.name, region.base, region.size, device=None))  # type: ignore[arg-type]
        return regions

    def _revocation(self) -> Revocation | None:
        shadow = self.board.shadow
        if shadow is None:
            return None
        return Revocation(self.board.revocable_base, shadow.base, shadow.size)

    def _build_devices(self) -> DeviceSet:
        engine = self.engine
        exit_symbol = self.board.exit.symbol if self.board.exit.kind == "htif" else None
        tohost = self.image.symbol_address(exit_symbol) if exit_symbol else None
        if self.board.exit.required and tohost is None and self.image.is_elf:
            raise BoardError(f"{self.image.path}: board '{self.board.name}' ends the simulation "
                             f"through the HTIF word '{exit_symbol}', which the image does not "
                             "define (link it in, or use a board whose exit suits the firmware)")
        wiring = Wiring(
            clock=_EngineClock(engine),
            set_mtip=lambda level: engine.set_irq_line(IRQ_MTI, level),
            set_msip=lambda level: engine.set_irq_line(IRQ_MSI, level),
            set_meip=lambda level: engine.set_irq_line(IRQ_MEI, level),
            on_exit=engine.request_exit,
            bus=self.memory,
            uart_output=self._uart_output,
            uart_input=self._uart_input,
        )
        devices = build_devices(self.board, wiring,
                                tohost=tohost)
        by_name = dict(devices.devices)
        for region in self.memory.regions:
            if isinstance(region, MmioRegion):
                device = by_name.get(region.name)
                if device is None:
                    raise BoardError(f"{self.board.path}: no device model for {region.name}")
                region.device = device
        self.memory.write_listeners = []
        if devices.htif is not None and devices.htif_address is not None:
            htif, base = devices.htif, devices.htif_address

            def to_htif(address: int, data: bytes) -> None:
                # One write per store, as the store's size: HTIF runs a command once both
                # halves are written, so splitting a word store into bytes would run it early.
                lo, hi = max(address, base), min(address + len(data), base + 8)
                if lo < hi:
                    value = int.from_bytes(data[lo - address:hi - address], "little")
                    htif.write(lo - base, hi - lo, value)

            self.memory.write_listeners.append((base, 8, to_htif))
            if (base, 8) not in self.engine.store_observers:
                self.engine.observe_stores(base, 8)
        if devices.clint is not None:
            self.engine.mtime_source = devices.clint.mtime
        devices.update()
        return devices

    def _load(self) -> None:
        if self.image.entry is None:  # a raw image without --entry
            raise BoardError(f"{self.image.path}: no entry point: give one with --entry ADDR")
        for segment in self.image.segments:
            self.memory.write(segment.address, segment.data)
        self.engine.reset(self.image.entry)

    # --- Timebase (the engine asks) ---------------------------------------------------------

    def next_event(self) -> int | None:
        return self.devices.next_event()

    def next_event_after_write(self, device: object) -> int | None:
        return self.devices.next_event_after_write(device)  # type: ignore[arg-type]

    def advance(self) -> None:
        self.devices.update()

    # --- control ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Power-on reset: memory cleared and reloaded, fresh devices, the hart at the entry."""
        for region in self.memory.regions:
            if isinstance(region, RamRegion):
                self.memory.write(region.base, bytes(region.size))
        self.engine.hart.mip = 0  # the new devices drive the interrupt lines from scratch
        self.devices = self._build_devices()
        self._load()
        self.engine.events_changed()

    @property
    def uart_history(self) -> bytes:
        uart = self.devices.uart
        return uart.recent_output() if uart is not None else b""
