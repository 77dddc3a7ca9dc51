"""A board's live devices: built from its regions' models (catalog.py) and wired together.

Wiring: the CLINT drives the hart's ``MTIP``/``MSIP``; the PLIC drives ``MEIP``; every other
device's interrupt output drives a PLIC source (option ``irq``; the revoker defaults to source
1, as on both boards that have one, isa.md §8.3). The ``uart`` exit byte, the ``uart-magic``
exit string and the HTIF ``tohost`` word call the machine's ``on_exit``.

UARTs: one of them is the console (the device named ``uart`` if it is a UART, else the first
UART in address order). Only the console is connected to the host (``Wiring.uart_output`` and
``uart_input``) and it is ``DeviceSet.uart`` (``monitor uart``); any other UART sends into
nothing (its own history keeps the bytes) and receives nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import Device
from .catalog import MODELS, Build, Wiring, option
from .cheriot_safe_periph import TIMER0_IRQ_BIT, SafeIntc, SafeTimer
from .clint import Clint
from .htif import Htif
from .opentitan_uart import OpenTitanUart
from .plic import Plic
from .revoker import Revoker
from .uart16550 import Uart16550

if TYPE_CHECKING:
    from ..board import Board, MemoryRegion

Uart = Uart16550 | OpenTitanUart
__all__ = ["DeviceSet", "Wiring", "build_devices"]


@dataclass
class DeviceSet:
    """The live devices of one machine, by board device name."""

    devices: dict[str, Device]
    regions: list[tuple[MemoryRegion, Device]]   # MMIO windows, sorted by base
    clint: Clint | None = None
    plic: Plic | None = None
    uart: Uart | None = None                     # the console UART
    revoker: Revoker | None = None
    htif: Htif | None = None
    htif_address: int | None = None

    def find(self, address: int) -> tuple[Device, int] | None:
        """The device whose window holds ``address``, and the offset into it."""
        for region, device in self.regions:
            if region.base <= address < region.end:
                return device, address - region.base
        return None

    def __post_init__(self) -> None:
        # _due: the next event of each device that can have one (overrides next_event), by id,
        # as of the last full re-evaluation (None: none yet; devices are added after __init__),
        # so that a write re-evaluates only what it can move.
        self._due: dict[int, int | None] | None = None
        self._follow_reads: list[Device] = []
        self._soonest: int | None = None

    def next_event(self) -> int | None:
        """The earliest instant any device's outputs change on their own (every device asked)."""
        timed = [d for d in self.devices.values() if type(d).next_event is not Device.next_event]
        self._follow_reads = [d for d in timed if d.events_follow_reads]
        due = self._due = {id(d): d.next_event() for d in timed}
        self._soonest = min((t for t in due.values() if t is not None), default=None)
        return self._soonest

    def next_event_after_write(self, device: Device) -> int | None:
        """``next_event()`` after a register write to ``device``: only the written device and
        those whose events reads can move are asked again (a write to one device never moves
        another's events; time moving does, and the engine asks ``next_event`` after that)."""
        due = self._due
        if due is None:
            return self.next_event()
        follow = self._follow_reads
        if id(device) not in due and not follow:
            return self._soonest  # a device without events (most writes: a UART's data)
        if id(device) in due:
            due[id(device)] = device.next_event()
        for other in follow:
            due[id(other)] = other.next_event()
        self._soonest = min((t for t in due.values() if t is not None), default=None)
        return self._soonest

    def update(self) -> None:
        for device in self.devices.values():
            device.update()


def build_devices(board: Board, wiring: Wiring, *, tohost: int | None = None) -> DeviceSet:
    """Instantiate ``board``'s device models. ``tohost``: the image's ``tohost`` address."""
    mmio = [r for r in board.regions if r.model is not None and MODELS[r.model].build]
    plic = _plic(board, mmio, wiring)
    result = DeviceSet(devices={}, regions=[], plic=plic)
    uarts = [r for r in mmio if MODELS[str(r.model)].uart]
    console = next((r for r in uarts if r.name == "uart"), uarts[0] if uarts else None)
    for region in mmio:
        spec = MODELS[str(region.model)]
        exits = spec.exit_kind is not None and board.exit.kind == spec.exit_kind and \
            board.exit.device == region.name
        assert spec.build is not None
        device = spec.build(Build(region.name, region.size, region.options, wiring, plic,
                                  console=region is console, exits=exits,
                                  instructions_per_tick=board.instructions_per_tick))
        result.devices[region.name] = device
        result.regions.append((region, device))
        if isinstance(device, Clint):
            result.clint = device
        elif isinstance(device, Revoker):
            result.revoker = device
        elif region is console:
            assert isinstance(device, Uart16550 | OpenTitanUart)
            result.uart = device
    _wire_safe_intc(result)
    if board.exit.kind == "htif" and tohost is not None:
        result.htif = Htif(wiring.on_exit)
        result.htif_address = tohost
        result.devices["tohost"] = result.htif
    return result


def _plic(board: Board, mmio: list[MemoryRegion], wiring: Wiring) -> Plic | None:
    """The board's PLIC, made first: its source count covers every line wired to it."""
    region = next((r for r in mmio if r.model == "plic"), None)
    if region is None:
        return None
    numbers = [i.number for i in board.interrupts]
    numbers += [option(r.options, "irq", 0) for r in mmio]
    return Plic(wiring.set_meip, size=region.size,
                sources=option(region.options, "sources", max([31, *numbers])),
                edge_sources=[i.number for i in board.interrupts if i.edge_triggered],
                priority_bits=option(region.options, "priority_bits", 3),
                variant=str(region.options.get("variant", "standard")))


def _wire_safe_intc(result: DeviceSet) -> None:
    """Timer 0 drives bit 17 of the CHERIoT-SAFE interrupt controller (option ``timer``)."""
    for region, device in result.regions:
        name = region.options.get("timer")
        if not isinstance(device, SafeIntc) or not isinstance(name, str):
            continue
        timer = result.devices.get(name)
        if not isinstance(timer, SafeTimer):
            raise ValueError(f"emulator.devices.{region.name}.timer: '{name}' is not a "
                             "cheriot-safe-timer device")
        device.sources[TIMER0_IRQ_BIT] = timer
