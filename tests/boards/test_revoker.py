"""Hardware background revoker (isa.md §8.3): registers, sweep, epoch, interrupt."""

from __future__ import annotations

from cheriot_gdbserver.boards.devices.base import ManualClock
from cheriot_gdbserver.boards.devices.revoker import Revoker
from cheriot_gdbserver.core.capability import (
    ROOT_MEM_META,
    ROOT_SEAL_META,
    set_cap_bounds,
    with_bounds_fields,
)


class FakeMemory:
    """Granule -> (bits, tag), a set of revoked granules, and a log of stores."""

    def __init__(self) -> None:
        self.granules: dict[int, tuple[int, bool]] = {}
        self.revoked_granules: set[int] = set()
        self.stores: list[int] = []
        self.queries: list[int] = []

    def load_cap(self, address: int) -> tuple[int, bool]:
        return self.granules.get(address, (0, False))

    def store_cap(self, address: int, bits: int, tag: bool) -> None:
        self.stores.append(address)
        self.granules[address] = (bits, tag)

    def revoked(self, address: int) -> bool:
        self.queries.append(address)
        return address in self.revoked_granules

    def tags(self) -> list[bool]:
        return [self.granules[0x8000_0000 + 8 * i][1] for i in range(6)]


def cap_bits(base: int, length: int, root_meta: int = ROOT_MEM_META) -> int:
    meta = with_bounds_fields(root_meta, set_cap_bounds(base, length)[0])
    return (meta << 32) | base


def make():
    clock = ManualClock(100)
    memory = FakeMemory()
    memory.revoked_granules = {0x8000_1040}
    g = 0x8000_0000
    memory.granules = {
        g + 0x00: (cap_bits(0x8000_1040, 0x10), True),   # revoked base: cleared
        g + 0x08: (cap_bits(0x8000_1080, 0x10), True),   # not revoked: kept
        g + 0x10: (cap_bits(0x8000_1040, 0x10), False),  # untagged: left alone
        g + 0x18: (cap_bits(0x8000_1040, 0x10, ROOT_SEAL_META), True),  # sealing: skipped
        g + 0x20: (cap_bits(0x8000_1044, 0x4), True),    # base inside a revoked granule
        g + 0x28: (cap_bits(0x8000_1040, 0x10), True),   # beyond top: not swept
    }
    levels: list[bool] = []
    revoker = Revoker(clock, memory, levels.append)
    revoker.write(0x00, 4, 0x8000_0000)
    revoker.write(0x04, 4, 0x8000_0028)
    return clock, memory, revoker, levels


def test_registers_at_reset():
    _, _, revoker, _ = make()
    assert [revoker.read(off, 4) for off in range(0, 0x18, 4)] == [
        0x8000_0000, 0x8000_0028, 0x5500_0000, 0, 0, 0]
    assert revoker.next_event() is None


def test_sweep_clears_exactly_the_revoked_tags():
    clock, memory, revoker, levels = make()
    revoker.write(0x08, 4, 0)               # the RTOS writes 0 then 1: one sweep
    revoker.write(0x08, 4, 1)
    assert revoker.read(0x0C, 4) == 1       # running
    assert revoker.next_event() == 105      # five granules, one instruction each
    clock.set(102)
    revoker.update()
    assert memory.stores == [0x8000_0000]   # two granules done so far
    assert memory.tags() == [False, True, False, True, True, True]
    revoker.write(0x14, 4, 1)               # interrupt when this sweep completes
    assert revoker.read(0x10, 4) == 0
    clock.set(104)
    assert revoker.peek(0x0C, 4) == 1
    clock.set(105)
    assert revoker.peek(0x0C, 4) == 2       # the peek sees completion before update()
    revoker.update()
    assert revoker.read(0x0C, 4) == 2
    assert memory.stores == [0x8000_0000, 0x8000_0020]
    assert memory.tags() == [False, True, False, True, False, True]
    assert memory.queries == [0x8000_1040, 0x8000_1080, 0x8000_1040]
    assert levels == [True, False]          # one edge
    assert revoker.read(0x14, 4) == 0       # the request is consumed
    assert revoker.read(0x10, 4) == 1
    revoker.write(0x10, 4, 1)
    assert revoker.read(0x10, 4) == 0
    assert revoker.next_event() is None
    assert revoker.swept == 2


def test_epoch_sequence_and_no_interrupt_unless_requested():
    clock, _, revoker, levels = make()
    epochs = [revoker.read(0x0C, 4)]
    for _ in range(2):
        revoker.write(0x08, 4, 1)
        epochs.append(revoker.read(0x0C, 4))
        revoker.write(0x08, 4, 1)           # ignored while running
        clock.advance(5)
        epochs.append(revoker.read(0x0C, 4))
    assert epochs == [0, 1, 2, 3, 4]
    assert levels == []


def test_empty_range_still_takes_one_step():
    clock, memory, revoker, _ = make()
    revoker.write(0x04, 4, 0x8000_0000)     # top == base
    revoker.write(0x08, 4, 1)
    assert revoker.next_event() == 101
    clock.set(101)
    assert revoker.read(0x0C, 4) == 2
    assert memory.stores == []
