"""RTOS threads for gdb: a ``ThreadSource`` over the RTOS model (rtos/cheriot, docs/rtos.md).

gdb thread ids are the RTOS thread IDs (1, 2, ...: stable from stop to stop). The running
thread's registers are the live CPU; every other thread shows the registers its trusted stack's
save area holds (read-only). Before the scheduler has created its threads, and for an image that
is not a CHERIoT RTOS image, the hart stands alone as thread 1 (``HartThreads``). A model that
cannot read the target at some stop falls back to the hart too, with a warning: gdb must always
see at least one thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from ..errors import CheriotGdbError
from ..rtos.cheriot import NoRtosView, RtosImage, RtosState, SavedContext, Thread, ThreadState
from ..rtos.view import TargetView
from .contexts import CAPABILITY_NAMES
from .contexts import SavedContext as SavedRegisters
from .debug_context import DebugContext
from .threads import DebugThread, HartThreads, ThreadSource

log = structlog.get_logger(__name__)


class RtosThreads:
    """The RTOS's threads at each stop (the target asks once per stop)."""

    def __init__(self, image: RtosImage, view: TargetView) -> None:
        self.image = image
        self.view = view
        self._hart = HartThreads()

    def threads(self) -> Sequence[DebugThread]:
        state = RtosState(self.image, self.view)
        try:
            threads = [t for t in state.threads() if t.id > 0]
            if not threads or all(t.state is ThreadState.NOT_STARTED for t in threads):
                return self._hart.threads()
            return tuple(self._debug_thread(state, t) for t in threads)
        except CheriotGdbError as e:
            log.warning("rtos threads unreadable at this stop; showing the hart alone",
                        error=str(e))
            return self._hart.threads()
        except Exception:  # a model bug must not take gdb's registers with it
            log.exception("rtos thread model failed; showing the hart alone")
            return self._hart.threads()

    @staticmethod
    def _debug_thread(state: RtosState, thread: Thread) -> DebugThread:
        extra = f"{thread.describe()}, priority {thread.priority}"
        if thread.compartment:
            extra += f", in {thread.compartment}"
        if thread.state is ThreadState.RUNNING:
            return DebugThread(thread.id, thread.name, extra)  # the live CPU
        saved = state.context(thread.id)
        return DebugThread(thread.id, thread.name, extra,
                           None if saved is None else _registers(thread, saved))


def _registers(thread: Thread, saved: SavedContext) -> SavedRegisters:
    csrs = {name: value for name, value in (("mstatus", saved.mstatus), ("mcause", saved.mcause),
                                             ("mshwm", saved.mshwm), ("mshwmb", saved.mshwmb))
            if value is not None}
    registers = {name: cap for name, cap in saved.registers if name in CAPABILITY_NAMES}
    return SavedRegisters(registers, csrs,
                          owner=f"thread {thread.id} ({thread.name})")


def attach_rtos(context: DebugContext) -> RtosImage | None:
    """Model the machine's image as a CHERIoT RTOS image, as ``context.rtos``; None (and no
    model) for any other image."""
    if context.rtos is None and context.image.is_elf:
        try:
            context.rtos = RtosImage.from_elf(context.image.elf)
        except NoRtosView as e:
            log.info("no RTOS model", reason=str(e))
        except Exception:  # an image the model cannot read is still served
            log.exception("the RTOS model could not read this image; showing the hart alone")
    return context.rtos


def thread_source_for(context: DebugContext) -> ThreadSource:
    """RTOS threads when the machine's image is a CHERIoT RTOS image, else the hart alone.
    The threads are read through ``context.view``, whose registers the target keeps current."""
    image = attach_rtos(context)
    return HartThreads() if image is None else RtosThreads(image, context.view)
