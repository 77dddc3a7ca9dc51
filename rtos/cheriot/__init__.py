"""CHERIoT RTOS awareness, read-only: the image model from the ELF alone (``RtosImage``) and
the live state of a halted target read through a ``TargetView`` (``RtosState``). See
docs/rtos.md."""

from .errors import NoRtosView
from .header import GENERATIONS, Generation, Span
from .image import RtosImage
from .model import (
    Component,
    Export,
    Import,
    ImportKind,
    InterruptRights,
    Kind,
    Posture,
    Region,
    SealingType,
    SharedObject,
    StaticSealedObject,
    StaticThread,
)

__all__ = [
    "GENERATIONS", "Component", "Export", "Generation", "Import", "ImportKind",
    "InterruptRights", "Kind", "NoRtosView", "Posture", "Region", "RtosImage", "SealingType",
    "SharedObject", "Span", "StaticSealedObject", "StaticThread",
]

from .faults import FaultOutcome, Outcome  # noqa: E402
from .futexes import Futex, FutexWaiter  # noqa: E402
from .heap import Chunk, Heap, QuotaUse  # noqa: E402
from .reboots import MicroReboot, RebootTable  # noqa: E402
from .sealing import SealedInfo  # noqa: E402
from .state import RtosState  # noqa: E402
from .threads import CallFrame, SavedContext, StackUse, Thread, ThreadState  # noqa: E402

__all__ += ["CallFrame", "Chunk", "FaultOutcome", "Futex", "FutexWaiter", "Heap",
            "MicroReboot", "Outcome", "QuotaUse", "RebootTable", "RtosState", "SavedContext",
            "SealedInfo", "StackUse", "Thread", "ThreadState"]
