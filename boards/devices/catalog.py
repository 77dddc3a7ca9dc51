"""The device models a board can name: each model's options, smallest window and constructor.

The one registration route for device models (aesthetics §7.24): the board loader validates
``emulator.devices`` against ``MODELS``, and ``device_set.build_devices`` calls each region's
``ModelSpec.build``. Adding a model is one module in this folder plus one entry here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .base import Clock, Device, ExitHandler, LineSetter, PlainMemory
from .cheriot_safe_periph import INTC_SIZE, TIMER_SIZE, SafeGpio, SafeIntc, SafeTimer
from .clint import LAYOUTS, Clint
from .opentitan_uart import SIZE as OPENTITAN_UART_SIZE
from .opentitan_uart import OpenTitanUart
from .plic import VARIANTS as PLIC_VARIANTS
from .plic import Plic
from .revoker import VARIANTS as REVOKER_VARIANTS
from .revoker import Revoker, RevokerBus
from .uart16550 import Uart16550

Options = Mapping[str, int | str]
REVOKER_DEFAULT_IRQ = 1   # the revoker's PLIC source on both boards that have one (isa.md §8.3)


def option(options: Options, name: str, default: int) -> int:
    """An integer option (the board loader has checked its type)."""
    value = options.get(name, default)
    return value if isinstance(value, int) else default


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


@dataclass(frozen=True)
class Build:
    """What a model's constructor is given: its window, its options and the machine's side."""

    name: str                      # the board's device name
    size: int
    options: Options
    wiring: Wiring
    plic: Plic | None              # the board's interrupt controller, made first
    console: bool                  # the UART connected to the host (device_set's choice)
    exits: bool                    # the board's exit (emulator.exit) names this device
    instructions_per_tick: int

    def irq(self, default: int | None = None) -> LineSetter | None:
        """The line to the PLIC source of option ``irq`` (else ``default``); None without one."""
        source = option(self.options, "irq", 0) or default
        plic = self.plic
        if plic is None or source is None:
            return None
        return lambda level: plic.set_source(source, level)

    def text(self, name: str, default: str) -> str:
        return str(self.options.get(name, default))


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    kind: str                               # region kind: "mmio", or "ram" for plain RAM
    options: Mapping[str, type]             # allowed options in emulator.devices.<name>
    min_size: Callable[[Options], int]      # smallest window that holds every register
    build: Callable[[Build], Device] | None  # None: not a device (the shadow bitmap is RAM)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # string options
    ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)    # integer options
    exit_kind: str | None = None            # the emulator.exit kind this model can end a run by
    uart: bool = False                      # a UART: one of them is the console


def _clint(b: Build) -> Device:
    return Clint(b.wiring.clock, b.wiring.set_mtip, b.wiring.set_msip,
                 variant=b.text("variant", "standard"),
                 instructions_per_tick=b.instructions_per_tick, size=b.size)


def _plic(b: Build) -> Device:
    assert b.plic is not None  # device_set makes the PLIC before the devices wired to it
    return b.plic


class _Unconnected(io.BytesIO):
    """The output of a UART that is not the console: bytes go nowhere."""

    def write(self, data: Any, /) -> int:  # any buffer, as BytesIO takes
        return memoryview(data).nbytes


def _uart_ends(b: Build) -> tuple[BinaryIO | None, Callable[[], bytes] | None]:
    """(output, receive source): the host's for the console; nothing for another UART."""
    if b.console:
        return b.wiring.uart_output, b.wiring.uart_input
    return _Unconnected(), None


def _uart16550(b: Build) -> Device:
    output, rx_source = _uart_ends(b)
    return Uart16550(output=output, rx_source=rx_source,
                     on_exit=b.wiring.on_exit if b.exits else None, irq=b.irq(),
                     reg_shift=option(b.options, "reg_shift", 2), size=b.size)


def _opentitan_uart(b: Build) -> Device:
    output, rx_source = _uart_ends(b)
    return OpenTitanUart(b.wiring.clock, output=output, rx_source=rx_source,
                         on_exit=b.wiring.on_exit if b.exits else None, irq=b.irq(),
                         size=b.size)


def _no_line(level: bool) -> None:
    """An interrupt output connected to nothing."""


def _revoker(b: Build) -> Device:
    if b.wiring.bus is None:
        raise ValueError("a hardware revoker needs the machine's bus (Wiring.bus)")
    return Revoker(b.wiring.clock, b.wiring.bus, b.irq(REVOKER_DEFAULT_IRQ) or _no_line,
                   cycles_per_granule=option(b.options, "cycles_per_granule", 1), size=b.size,
                   variant=b.text("variant", "cheriot-safe"))


MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("clint", "mmio", {"variant": str},
              lambda o: LAYOUTS[str(o.get("variant", "standard"))].mtime + 8, _clint,
              choices={"variant": tuple(LAYOUTS)}),
    ModelSpec("plic", "mmio", {"sources": int, "priority_bits": int, "variant": str},
              lambda o: 0x200008, _plic,
              ranges={"sources": (1, 1023), "priority_bits": (1, 32)},
              choices={"variant": PLIC_VARIANTS}),
    ModelSpec("uart16550", "mmio", {"irq": int, "reg_shift": int},
              lambda o: 8 << option(o, "reg_shift", 2), _uart16550,
              ranges={"irq": (1, 1023), "reg_shift": (0, 4)}, exit_kind="uart", uart=True),
    ModelSpec("opentitan-uart", "mmio", {"irq": int}, lambda o: OPENTITAN_UART_SIZE,
              _opentitan_uart, ranges={"irq": (1, 1023)}, exit_kind="uart-magic", uart=True),
    ModelSpec("revoker", "mmio", {"irq": int, "cycles_per_granule": int, "variant": str},
              lambda o: 0x18, _revoker,
              ranges={"irq": (1, 1023), "cycles_per_granule": (1, 1 << 20)},
              choices={"variant": REVOKER_VARIANTS}),
    ModelSpec("cheriot-safe-intc", "mmio", {"timer": str}, lambda o: INTC_SIZE,
              lambda b: SafeIntc(b.wiring.clock, size=b.size)),
    ModelSpec("cheriot-safe-timer", "mmio", {}, lambda o: TIMER_SIZE,
              lambda b: SafeTimer(b.wiring.clock, size=b.size)),
    ModelSpec("cheriot-safe-gpio", "mmio", {}, lambda o: 0x2C,
              lambda b: SafeGpio(b.wiring.clock, size=b.size)),
    ModelSpec("shadow", "ram", {}, lambda o: 1, None),
    ModelSpec("memory", "mmio", {}, lambda o: 1, lambda b: PlainMemory(b.size)),
)}

# What a device is, when the board does not say: by the RTOS's device names (rtos.md §7).
DEFAULT_MODELS = {"clint": "clint", "plic": "plic", "uart": "uart16550", "shadow": "shadow",
                  "revoker": "revoker"}
