"""Multiwaiter objects: the futex words a thread in ``multiwaiter_wait`` watches (rtos.md 4.7).

Two layouts: the 2024 one (a ``Handle`` type word, ``Length`` and ``usedLength`` at +4/+5, a
``next`` link, events from +16; the tree still had the ``wokenMultiwaiters`` list) and the
token-object one of the current tree (capacity and used count at +0/+1, events from +8). DWARF's
``MultiWaiterInternal`` decides where the image has it; otherwise the presence of the
``wokenMultiwaiters`` symbol (removed in March 2025) does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import RtosState

EVENT_SIZE = 16
MAX_EVENTS = 8


@dataclass(frozen=True)
class WatchedEvent:
    word: int              # address of the watched futex word
    expected: int
    ready: int             # readyEvents bits (non-zero once the source fired)


@dataclass(frozen=True)
class Multiwaiter:
    address: int
    capacity: int
    used: int
    events: tuple[WatchedEvent, ...]


def layout(state: RtosState) -> tuple[int, int, int]:
    """(offset of the capacity byte, offset of the used byte, offset of events[0])."""
    image = state.image
    found = image.dwarf.get("multiwaiter")
    if found is not None and "events" in found.fields:
        counts = sorted(f.offset for f in found.fields.values() if f.size == 1)
        if len(counts) >= 2:
            return counts[0], counts[1], found.fields["events"].offset
    if image.symbols.matching(r"MultiWaiterInternal17wokenMultiwaitersE$"):
        return 4, 5, 16
    return 0, 1, 8


def read_multiwaiter(state: RtosState, address: int) -> Multiwaiter | None:
    r = state.reader
    cap_off, used_off, events_off = layout(state)
    capacity = r.maybe(r.u8, address + cap_off)
    used = r.maybe(r.u8, address + used_off)
    if capacity is None or used is None:
        return None
    events = []
    for i in range(min(used, capacity, MAX_EVENTS)):
        e = address + events_off + EVENT_SIZE * i
        word = r.maybe(r.u32, e)
        expected = r.maybe(r.u32, e + 8)
        bits = r.maybe(r.u32, e + 12)
        if word is None or expected is None or bits is None:
            break
        events.append(WatchedEvent(word, expected, (bits >> 6) & 0xFFFFFF))
    return Multiwaiter(address, capacity, used, tuple(events))
