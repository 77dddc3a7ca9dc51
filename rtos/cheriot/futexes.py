"""Futex words with waiters, and the interrupt futex words (rtos.md 4.5, 4.6, 4.8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import InterruptRights
from .multiwaiter import read_multiwaiter
from .threads import Thread, ThreadState

if TYPE_CHECKING:
    from .state import RtosState


@dataclass(frozen=True)
class FutexWaiter:
    thread: int
    name: str
    priority: int
    wake_time: int | None          # timer cycles; None = no timeout
    priority_inheriting: bool
    boosts: int | None             # PI: the owner thread this waiter boosts
    # futex_timed_wait checks the expected value on entry and keeps no copy, so it is only
    # known for multiwaiter waiters, whose event records hold it (docs/rtos.md).
    expected: int | None = None
    multiwaiter: int | None = None   # the multiwaiter object, for a thread waiting through one


@dataclass(frozen=True)
class Futex:
    address: int
    value: int | None
    lives_in: str                  # symbol+offset, heap chunk, or interrupt word
    waiters: tuple[FutexWaiter, ...]
    interrupt: InterruptRights | None = None
    pi_owner: int | None = None    # low 16 bits of a PI futex word: the owning thread


def _waiter(t: Thread) -> FutexWaiter:
    return FutexWaiter(t.id, t.name, t.priority, t.wake_time, t.futex_priority_inheriting,
                       t.boosts)


def read_futexes(state: RtosState) -> tuple[Futex, ...]:
    r = state.reader
    words: dict[int, list[FutexWaiter]] = {}
    for t in state.threads():
        if t.state == ThreadState.FUTEX and t.futex is not None:
            words.setdefault(t.futex, []).append(_waiter(t))
        elif t.state == ThreadState.MULTIWAITER and t.multiwaiter:
            mw = read_multiwaiter(state, t.multiwaiter)
            for event in mw.events if mw else ():
                words.setdefault(event.word, []).append(FutexWaiter(
                    t.id, t.name, t.priority, t.wake_time, False, None, event.expected,
                    t.multiwaiter))
    interrupts = interrupt_words(state)
    out = []
    for address in sorted(set(words) | set(interrupts)):
        waiting = sorted(words.get(address, []), key=lambda w: (-w.priority, w.thread))
        value = r.maybe(r.u32, address)
        irq = interrupts.get(address)
        pi = any(w.priority_inheriting for w in waiting)
        owner = value & 0xFFFF if pi and value is not None else None
        lives = (f"interrupt {irq.number}" + (f" ({irq.name})" if irq.name else "")) if irq \
            else state.describe_location(address)
        out.append(Futex(address, value, lives, tuple(waiting), irq, owner))
    return tuple(out)


def interrupt_words(state: RtosState) -> dict[int, InterruptRights]:
    """The scheduler's per-interrupt counters, one per board interrupt in array order."""
    base = state.thread_reader.symbols.get("interrupts")
    if base is None:
        return {}
    image = state.image
    first = base + image.interrupt_controller_layout["futexWords"].offset
    out = {}
    for i, (name, number) in enumerate(image.board_interrupts):
        out[first + 4 * i] = InterruptRights(number, True, False, name)
    return out
