"""What a command runs against: the machine, its image, the selected thread's registers and
(once issue 9's model exists) the RTOS model. gdb's ``monitor`` and the CLI build the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..boards.image import Image
from ..boards.machine import Machine
from ..rtos.cheriot import RtosState
from .contexts import LiveContext, RegisterContext
from .rtos_threads import NoRtosError, attach_rtos
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
    through), ``rtos`` (the RTOS model ``rtos.cheriot.RtosState``, attached when the image is
    a CHERIoT RTOS image; else None and ``no_rtos`` says why) and ``reset()``."""

    def __init__(self, machine: Machine, *, rtos: RtosState | None = None) -> None:
        self.machine = machine
        self.live = LiveContext(machine)
        self.view = MachineView(machine, self.live)
        self.registers: RegisterContext = self.live
        self.selected_thread: int | None = None  # gdb's thread ('thread N'); None: the running
        self.rtos = rtos
        self.no_rtos: str | None = None
        if rtos is None:  # build the model only when the caller has none
            attached = attach_rtos(machine, self.view)
            self.rtos, self.no_rtos = attached.state, attached.reason
        # The 'unhandled' catch mode (monitor catch): the engine stops on every exception and
        # run control (run_control.py) delivers those the firmware handles
        # (rtos_threads.firmware_handles).
        self.catch_unhandled = False
        self.reset_listeners: list[Callable[[], None]] = []
        self.baseline = Counters()
        self._take_baseline()

    def require_rtos(self) -> RtosState:
        """The RTOS model (what it read stays until ``state_changed``); raises NoRtosError
        ("no RTOS view: ...") without."""
        if self.rtos is None:
            raise NoRtosError(self.no_rtos or "no RTOS view: no RTOS model is attached")
        return self.rtos

    def state_changed(self) -> None:
        """Target state may have changed (a resume, a write, a reset, a command that changes
        the target): the live registers and everything the RTOS model read are stale."""
        self.live.invalidate()
        if self.rtos is not None:
            self.rtos.invalidate()

    @property
    def image(self) -> Image:
        return self.machine.image

    def reset(self) -> None:
        """Power-on reset of the machine; whoever holds state about it (the gdb target's last
        stop, cached threads) is told through ``reset_listeners``."""
        self.machine.reset()
        self.state_changed()
        self._take_baseline()
        for listener in self.reset_listeners:
            listener()

    def _take_baseline(self) -> None:
        stats = self.machine.engine.stats
        self.baseline = Counters(int(stats["fast"]), int(stats["slow"]), float(stats["seconds"]))
