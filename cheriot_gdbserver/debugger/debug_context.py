"""What a command runs against: the machine, its image, the selected thread's registers and
(once issue 9's model exists) the RTOS model. gdb's ``monitor`` and the CLI build the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..boards.image import Image
from ..boards.machine import Machine
from ..rtos.cheriot import RtosImage
from .contexts import LiveContext, RegisterContext
from .view import MachineView


@dataclass(frozen=True, slots=True)
class Counters:
    """Engine counters at the last reset, so that statistics are "since reset" throughout."""

    fast: int = 0
    slow: int = 0
    seconds: float = 0.0


class DebugContext:
    """``machine``, ``image``, ``registers`` (the selected thread's; the live CPU by default),
    ``view`` (the read-only ``rtos.view.TargetView`` of the machine that the RTOS model reads
    through), ``rtos`` (the RTOS model, None until one is attached) and ``reset()``."""

    def __init__(self, machine: Machine, *, rtos: RtosImage | None = None) -> None:
        self.machine = machine
        self.live = LiveContext(machine)
        self.view = MachineView(machine, self.live)
        self.registers: RegisterContext = self.live
        self.rtos = rtos  # the RTOS image model; None for an image that is not one
        self.reset_listeners: list[Callable[[], None]] = []
        self.baseline = Counters()
        self._take_baseline()

    @property
    def image(self) -> Image:
        return self.machine.image

    def reset(self) -> None:
        """Power-on reset of the machine; whoever holds state about it (the gdb target's last
        stop, cached threads) is told through ``reset_listeners``."""
        self.machine.reset()
        self.live.invalidate()
        self._take_baseline()
        for listener in self.reset_listeners:
            listener()

    def _take_baseline(self) -> None:
        stats = self.machine.engine.stats
        self.baseline = Counters(int(stats["fast"]), int(stats["slow"]), float(stats["seconds"]))
