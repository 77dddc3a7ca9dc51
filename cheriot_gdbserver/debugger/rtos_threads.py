"""The RTOS model inside the debugger: attaching it to a machine, and the threads gdb sees.

``attach_rtos`` builds the read-only model (``rtos.cheriot``) when the machine's image is a
CHERIoT RTOS image, and otherwise keeps the model's one-line reason ("no RTOS view: ...").
``RtosThreads`` is the ``ThreadSource`` over it (docs/gdb.md, "Threads"):

* gdb thread IDs are the RTOS thread IDs (1..N, from the image's thread table), so they are
  stable from stop to stop;
* the thread the scheduler runs (``current``) has the live CPU's registers, also while the CPU
  is in the switcher or the scheduler on its behalf, so that the stop gdb sees is its stop;
  every other thread shows the registers saved in its trusted stack, read-only;
* before the scheduler has built its thread blocks, one thread (ID 1, ``hart0``) stands for
  the hart; when threads exist and none runs (the idle loop), an ``idle`` thread with ID N+1
  has the CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from ..boards.machine import Machine
from ..core.capability import Cap
from ..core.hart import MCAUSE_CHERI
from ..errors import CheriotGdbError
from ..rtos.cheriot import NoRtosView, Outcome, RtosImage, RtosState, Thread, ThreadState
from ..rtos.cheriot import SavedContext as SaveArea
from .contexts import SavedContext
from .threads import HART_THREAD_ID, DebugThread, HartThreads
from .view import MachineView

log = structlog.get_logger(__name__)
_SAVED_CSRS = ("mstatus", "mcause", "mshwm", "mshwmb")


@dataclass(frozen=True, slots=True)
class RtosAttachment:
    """The model of a machine's image, or why there is none."""

    state: RtosState | None
    reason: str = ""   # "no RTOS view: ..." when state is None


def attach_rtos(machine: Machine, view: MachineView) -> RtosAttachment:
    """The RTOS model of ``machine``'s image; never raises for an image it cannot model."""
    image = machine.image
    if not image.is_elf:
        return RtosAttachment(None, "no RTOS view: the firmware is a raw image, not an ELF")
    board = machine.board
    devices = {r.device: (r.base, r.base + r.size) for r in board.regions
               if r.kind == "mmio" and r.device}
    try:
        model = RtosImage.from_elf(image.elf, devices,
                                   interrupts=[(i.name, i.number) for i in board.interrupts],
                                   revokable_start=board.revocable_base)
    except NoRtosView as e:
        return RtosAttachment(None, str(e))
    except Exception as e:  # noqa: BLE001 - an image the model cannot read is still served
        log.exception("rtos.model_failed")
        return RtosAttachment(None, "no RTOS view: the RTOS model could not read this image "
                                    f"({type(e).__name__}: {e})")
    return RtosAttachment(RtosState(model, view))


class NoRtosError(CheriotGdbError):
    """An RTOS command on an image without an RTOS view (the message says why)."""


def saved_context(area: SaveArea | None, owner: str) -> SavedContext:
    """The debugger's read-only context over a thread's register save area."""
    if area is None:
        return SavedContext({}, owner=owner)
    csrs = {name: getattr(area, name) for name in _SAVED_CSRS
            if getattr(area, name) is not None}
    return SavedContext(dict(area.registers), csrs, owner=owner)


class SaveAreaContext:
    """A waiting thread's registers, read from its save area when first asked for: a thread
    list for gdb reads no save area (``RegisterContext``, read-only like ``SavedContext``)."""

    def __init__(self, thread: Thread, owner: str) -> None:
        self.thread, self.owner = thread, owner
        self._saved: SavedContext | None = None

    def _context(self) -> SavedContext:
        if self._saved is None:
            self._saved = saved_context(self.thread.context, self.owner)
        return self._saved

    def capability(self, name: str) -> Cap:
        return self._context().capability(name)

    def address(self, name: str) -> int:
        return self._context().address(name)

    def addresses(self, names: Sequence[str]) -> list[int]:
        return self._context().addresses(names)

    def csr(self, name: str) -> int:
        return self._context().csr(name)

    def set_capability(self, name: str, cap: Cap) -> None:
        SavedContext({}, owner=self.owner).set_capability(name, cap)  # always refused

    def set_csr(self, name: str, value: int) -> None:
        SavedContext({}, owner=self.owner).set_csr(name, value)


def thread_text(thread: Thread) -> str:
    """What gdb shows in brackets after the name (qThreadExtraInfo, qXfer:threads)."""
    words = [thread.describe()]
    if thread.compartment:
        words.append(f"in {thread.compartment}")
    priority = f"priority {thread.base_priority}"
    if thread.boosted:
        priority += f" boosted to {thread.priority}"
    return ", ".join([*words, priority])


class RtosThreads:
    """A ``ThreadSource`` over the RTOS model, which caches what it reads until the target
    state changes."""

    def __init__(self, state: RtosState) -> None:
        self.state = state

    def threads(self) -> Sequence[DebugThread]:
        # The target invalidates the model whenever target state changes (DebugContext.
        # state_changed): what this stop has read already is current.
        try:
            threads = self.state.threads()
        except Exception:  # noqa: BLE001 - odd target memory must not end the gdb session
            log.warning("rtos.threads_unreadable", exc_info=True)
            threads = ()
        if not threads or all(t.state == ThreadState.NOT_STARTED for t in threads):
            (hart,) = HartThreads().threads()
            return (DebugThread(HART_THREAD_ID, hart.name,
                                "CHERIoT hart (the RTOS has not started its threads yet)"),)
        running = self.state.current_thread_id()
        out = []
        for t in threads:
            owner = f"thread {t.id} ({t.name})"
            context = None if t.id == running else SaveAreaContext(t, owner)
            out.append(DebugThread(t.id, t.name, thread_text(t), context))
        if not running:
            out.append(DebugThread(max(t.id for t in threads) + 1, "idle",
                                   "the scheduler's idle loop (no thread is ready)"))
        return tuple(out)


    def running(self) -> int | None:
        """The running thread from the scheduler's ``current`` (two reads); while none runs,
        whether any thread block exists tells the idle thread from the bare hart."""
        try:
            running = self.state.current_thread_id()
            if running:
                return running
            if not self.state.threads_started():
                return HART_THREAD_ID
            return max(t.id for t in self.state.image.threads) + 1
        except Exception:  # noqa: BLE001 - let the whole list (and its fallback) decide
            log.warning("rtos.current_unreadable", exc_info=True)
            return None


def firmware_handles(state: RtosState, mcause: int) -> bool:
    """Whether the RTOS handles exception ``mcause`` of the running thread without losing
    anything: the scheduler's business (ecall...) or the compartment's error handler runs. Not
    handled (the ``unhandled`` catch mode stops on these): a forced unwind because the
    compartment has no handler, the end of the thread, a fault inside a running error handler
    (the switcher's double fault, rtos.md 3.5), and any fault while no RTOS thread runs (the
    boot code, the idle loop)."""
    from ..report import in_error_handler

    if not (mcause == MCAUSE_CHERI or mcause < 8):
        return True  # not an error (ecall, ...): the scheduler's business (rtos.md 3.4)
    state.invalidate()  # mid-run: read this exception's state, and leave none of it behind
    try:
        thread = state.thread(state.current_thread_id())
        outcome = state.fault_outcome(thread.id, mcause) if thread is not None else None
        if thread is None or outcome is None:
            return False
        if outcome.outcome is Outcome.SCHEDULER:
            return True
        return (outcome.outcome in (Outcome.HANDLER, Outcome.STACKLESS_HANDLER)
                and not in_error_handler(outcome, thread))
    except Exception:  # noqa: BLE001 - unreadable state: stop, so the user can look
        log.warning("rtos.fault_unreadable", exc_info=True)
        return False
    finally:
        state.invalidate()
