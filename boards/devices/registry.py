"""The device models a board can name, and how a board's devices are built and wired.

This is the one registration route for device models (aesthetics §7.24): the board loader
validates ``emulator.devices`` against ``MODELS``, and ``build_devices`` instantiates them.

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

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from .base import Clock, Device, ExitHandler, LineSetter, PlainMemory
from .cheriot_safe_periph import (
    INTC_SIZE,
    TIMER0_IRQ_BIT,
    TIMER_SIZE,
    SafeGpio,
    SafeIntc,
    SafeTimer,
)
from .clint import LAYOUTS, Clint
from .htif import Htif
from .opentitan_uart import SIZE as OPENTITAN_UART_SIZE
from .opentitan_uart import OpenTitanUart
from .plic import VARIANTS as PLIC_VARIANTS
from .plic import Plic
from .revoker import VARIANTS as REVOKER_VARIANTS
from .revoker import Revoker, RevokerBus
from .uart16550 import Uart16550

if TYPE_CHECKING:
    from ..board import Board, MemoryRegion

Options = Mapping[str, int | str]
Uart = Uart16550 | OpenTitanUart
UART_MODELS = ("uart16550", "opentitan-uart")


def option(options: Options, name: str, default: int) -> int:
    """An integer option (the board loader has checked its type)."""
    value = options.get(name, default)
    return value if isinstance(value, int) else default


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    kind: str                               # region kind: "mmio", or "ram" for plain RAM
    options: Mapping[str, type]             # allowed options in emulator.devices.<name>
    min_size: Callable[[Options], int]      # smallest window that holds every register
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # string options
    ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)    # integer options


MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("clint", "mmio", {"variant": str},
              lambda o: LAYOUTS[str(o.get("variant", "standard"))].mtime + 8,
              choices={"variant": tuple(LAYOUTS)}),
    ModelSpec("plic", "mmio", {"sources": int, "priority_bits": int, "variant": str},
              lambda o: 0x200008, ranges={"sources": (1, 1023), "priority_bits": (1, 32)},
              choices={"variant": PLIC_VARIANTS}),
    ModelSpec("uart16550", "mmio", {"irq": int, "reg_shift": int},
              lambda o: 8 << option(o, "reg_shift", 2),
              ranges={"irq": (1, 1023), "reg_shift": (0, 4)}),
    ModelSpec("opentitan-uart", "mmio", {"irq": int}, lambda o: OPENTITAN_UART_SIZE,
              ranges={"irq": (1, 1023)}),
    ModelSpec("revoker", "mmio", {"irq": int, "cycles_per_granule": int, "variant": str},
              lambda o: 0x18, ranges={"irq": (1, 1023), "cycles_per_granule": (1, 1 << 20)},
              choices={"variant": REVOKER_VARIANTS}),
    ModelSpec("cheriot-safe-intc", "mmio", {"timer": str}, lambda o: INTC_SIZE),
    ModelSpec("cheriot-safe-timer", "mmio", {}, lambda o: TIMER_SIZE),
    ModelSpec("cheriot-safe-gpio", "mmio", {}, lambda o: 0x2C),
    ModelSpec("shadow", "ram", {}, lambda o: 1),
    ModelSpec("memory", "mmio", {}, lambda o: 1),
)}

# What a device is, when the board does not say: by the RTOS's device names (rtos.md §7).
DEFAULT_MODELS = {"clint": "clint", "plic": "plic", "uart": "uart16550", "shadow": "shadow",
                  "revoker": "revoker"}
REVOKER_DEFAULT_IRQ = 1


@dataclass
class Wiring:
    """What the devices connect to on the machine's side."""

    clock: Clock
    set_mtip: LineSetter
    set_msip: LineSetter
    set_meip: LineSetter
    on_exit: ExitHandler
    bus: RevokerBus | None = None              # needed by a hardware revoker
    uart_output: BinaryIO | None = None        # None: stdout
    uart_input: Callable[[], bytes] | None = None


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


def _irq_line(plic: Plic | None, source: int | None) -> LineSetter | None:
    if plic is None or source is None:
        return None
    return lambda level: plic.set_source(source, level)


def build_devices(board: Board, wiring: Wiring, *, tohost: int | None = None) -> DeviceSet:
    """Instantiate ``board``'s device models. ``tohost``: the image's ``tohost`` address."""
    mmio = [r for r in board.regions if r.model is not None and r.model != "shadow"]
    plic_region = next((r for r in mmio if r.model == "plic"), None)
    plic = None
    if plic_region is not None:
        numbers = [i.number for i in board.interrupts]
        numbers += [option(r.options, "irq", 0) for r in mmio]
        plic = Plic(wiring.set_meip, size=plic_region.size,
                    sources=option(plic_region.options, "sources", max([31, *numbers])),
                    edge_sources=[i.number for i in board.interrupts if i.edge_triggered],
                    priority_bits=option(plic_region.options, "priority_bits", 3),
                    variant=str(plic_region.options.get("variant", "standard")))
    result = DeviceSet(devices={}, regions=[], plic=plic)
    uarts = [r for r in mmio if r.model in UART_MODELS]
    console = next((r for r in uarts if r.name == "uart"), uarts[0] if uarts else None)
    for region in mmio:
        device = _make(region, board, wiring, plic, result, console=region is console)
        result.devices[region.name] = device
        result.regions.append((region, device))
    _wire_safe_intc(result)
    if board.exit.kind == "htif" and tohost is not None:
        result.htif = Htif(wiring.on_exit)
        result.htif_address = tohost
        result.devices["tohost"] = result.htif
    return result


def _make(region: MemoryRegion, board: Board, wiring: Wiring, plic: Plic | None,
          result: DeviceSet, *, console: bool) -> Device:
    options = region.options
    irq = option(options, "irq", 0) or None
    if region.model == "plic":
        assert plic is not None
        return plic
    if region.model == "clint":
        result.clint = Clint(wiring.clock, wiring.set_mtip, wiring.set_msip,
                             variant=str(options.get("variant", "standard")),
                             instructions_per_tick=board.instructions_per_tick,
                             size=region.size)
        return result.clint
    if region.model in UART_MODELS:
        output, rx_source = ((wiring.uart_output, wiring.uart_input) if console
                             else (_Unconnected(), None))
    if region.model == "uart16550":
        exits = board.exit.kind == "uart" and board.exit.device == region.name
        uart16550 = Uart16550(output=output, rx_source=rx_source,
                              on_exit=wiring.on_exit if exits else None,
                              irq=_irq_line(plic, irq),
                              reg_shift=option(options, "reg_shift", 2),
                              size=region.size)
        if console:
            result.uart = uart16550
        return uart16550
    if region.model == "opentitan-uart":
        exits = board.exit.kind == "uart-magic" and board.exit.device == region.name
        opentitan = OpenTitanUart(wiring.clock, output=output, rx_source=rx_source,
                                  on_exit=wiring.on_exit if exits else None,
                                  irq=_irq_line(plic, irq), size=region.size)
        if console:
            result.uart = opentitan
        return opentitan
    if region.model == "revoker":
        if wiring.bus is None:
            raise ValueError("a hardware revoker needs the machine's bus (Wiring.bus)")
        source = irq if irq is not None else (REVOKER_DEFAULT_IRQ if plic else None)
        result.revoker = Revoker(wiring.clock, wiring.bus, _irq_line(plic, source) or _no_line,
                                 cycles_per_granule=option(options, "cycles_per_granule", 1),
                                 size=region.size,
                                 variant=str(options.get("variant", "cheriot-safe")))
        return result.revoker
    if region.model == "cheriot-safe-intc":
        return SafeIntc(wiring.clock, size=region.size)
    if region.model == "cheriot-safe-timer":
        return SafeTimer(wiring.clock, size=region.size)
    if region.model == "cheriot-safe-gpio":
        return SafeGpio(wiring.clock, size=region.size)
    return PlainMemory(region.size)


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


def _no_line(level: bool) -> None:
    """An interrupt output connected to nothing."""


class _Unconnected(io.BytesIO):
    """The output of a UART that is not the console: bytes go nowhere."""

    def write(self, data: Any, /) -> int:  # any buffer, as BytesIO takes
        return memoryview(data).nbytes
