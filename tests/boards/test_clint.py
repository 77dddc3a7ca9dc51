"""CLINT (isa.md §8.4): mtime from the instruction count, mtimecmp writes, MTIP edges."""

from __future__ import annotations

import pytest

from cheriot_gdbserver.boards.devices.base import ManualClock
from cheriot_gdbserver.boards.devices.clint import Clint


def make(variant: str, instructions_per_tick: int):
    clock = ManualClock()
    events: list[tuple[str, bool]] = []
    clint = Clint(clock, lambda v: events.append(("mtip", v)), lambda v: events.append(("msip", v)),
                  variant=variant, instructions_per_tick=instructions_per_tick)
    return clock, clint, events


def test_standard_mtime_counts_ticks_of_100_instructions():
    clock, clint, _ = make("standard", 100)
    assert clint.size == 0x10000
    clock.set(250)
    assert clint.read(0xBFF8, 4) == 2
    assert clint.read(0xBFFC, 4) == 0
    clock.set(100 * 0x1_0000_0003 + 99)
    assert clint.read(0xBFFC, 4) == 1
    assert clint.read(0xBFF8, 4) == 3
    assert clint.read(0xBFF8, 8) == 0x1_0000_0003
    assert clint.peek(0xBFF8, 8) == 0x1_0000_0003


def test_standard_rtos_mtimecmp_sequence_and_pending_edges():
    clock, clint, events = make("standard", 100)
    clint.update()                       # mtimecmp resets to 0 and 0 >= 0: pending
    assert events == [("mtip", True)]
    clock.set(250)                       # mtime = 2
    clint.write(0x4004, 4, 0xFFFF_FFFF)  # high word first: no spurious match
    assert events[-1] == ("mtip", False)
    clint.write(0x4000, 4, 10)
    clint.write(0x4004, 4, 0)
    assert clint.mtimecmp == 10
    assert clint.read(0x4000, 4) == 10 and clint.read(0x4004, 4) == 0
    assert events == [("mtip", True), ("mtip", False)]
    assert clint.next_event() == 1000    # mtime reaches 10 at instruction 1000
    clock.set(999)
    clint.update()
    assert events[-1] == ("mtip", False)
    clock.set(1000)
    clint.update()
    assert events == [("mtip", True), ("mtip", False), ("mtip", True)]
    assert clint.next_event() is None    # already pending; only a write lowers it
    clint.write(0x4000, 4, 20)           # rewriting mtimecmp acknowledges the timer
    assert events[-1] == ("mtip", False)
    assert clint.next_event() == 2000


def test_standard_mtime_write_moves_the_time_base():
    clock, clint, events = make("standard", 100)
    clint.write(0x4000, 4, 10)
    clock.set(1000)
    clint.update()
    assert events == [("mtip", True)]
    clint.write(0xBFF8, 4, 5)
    assert clint.mtime() == 5
    assert events[-1] == ("mtip", False)
    assert clint.next_event() == 1500
    clock.set(1100)
    assert clint.read(0xBFF8, 4) == 6


def test_msip_drives_the_software_interrupt():
    _, clint, events = make("standard", 1)
    clint.write(0x0, 4, 3)
    assert clint.read(0x0, 4) == 1
    clint.write(0x0, 4, 0)
    assert [e for e in events if e[0] == "msip"] == [("msip", True), ("msip", False)]


def test_cheriot_safe_layout_is_strictly_greater():
    clock, clint, events = make("cheriot-safe", 1)
    assert clint.size == 0x1000
    clint.update()
    assert events == []                  # mtime 0 is not > mtimecmp 0
    clock.set(1)
    clint.update()
    assert events == [("mtip", True)]
    clint.write(0x1C, 4, 0xFFFF_FFFF)
    clint.write(0x18, 4, 100)
    clint.write(0x1C, 4, 0)
    assert events == [("mtip", True), ("mtip", False)]
    assert clint.next_event() == 101
    clock.set(100)
    clint.update()
    assert clint.read(0x10, 4) == 100 and clint.read(0x14, 4) == 0
    assert events[-1] == ("mtip", False)  # mtime == mtimecmp is not yet pending
    clock.set(101)
    clint.update()
    assert events[-1] == ("mtip", True)
    assert clint.read(0x4000, 4) == 0     # the standard offsets are empty here


def test_sub_word_access_and_peek():
    clock, clint, _ = make("standard", 1)
    clint.write(0x4000, 4, 0x1234_5678)
    assert clint.read(0x4001, 2) == 0x3456
    clint.write(0x4002, 1, 0xAB)
    assert clint.mtimecmp == 0x12AB_5678
    clock.set(0x42)
    assert clint.peek(0xBFF8, 1) == 0x42


def test_bad_parameters():
    with pytest.raises(ValueError, match="unknown CLINT variant 'sifive'"):
        Clint(ManualClock(), print, print, variant="sifive")
    with pytest.raises(ValueError, match="instructions_per_tick must be at least 1"):
        Clint(ManualClock(), print, print, instructions_per_tick=0)


def test_a_compare_beyond_what_minstret_can_count_is_never():
    """mtime counts ticks of 100 instructions: a compare past 2**64 / 100 ticks is due after
    more instruction times than the 64-bit minstret holds, so it is no event at all (the
    engine's time would otherwise wrap)."""
    clock, clint, _ = make("standard", 100)
    clint.write(0x4004, 4, 0x0400_0000)
    clint.write(0x4000, 4, 0)             # mtimecmp = 2**58 ticks: 2**58 * 100 > 2**64
    assert clint.next_event() is None
    clint.write(0x4004, 4, 0x0010_0000)   # 2**52 ticks: 2**52 * 100 < 2**64
    assert clint.next_event() == (1 << 52) * 100
