"""PLIC (isa.md §8.4): priorities, enables, threshold, claim/complete, edge and level sources."""

from __future__ import annotations

import pytest

from cheriot_gdbserver.boards.devices.plic import CLAIM, ENABLE, PENDING, THRESHOLD, Plic


def make(**kwargs):
    events: list[bool] = []
    plic = Plic(events.append, edge_sources=[1], **kwargs)
    for n, priority in ((1, 2), (2, 5), (3, 5)):
        plic.write(4 * n, 4, priority)
    plic.write(ENABLE, 4, 0b1110)
    return plic, events


def test_registers_read_back():
    plic, _ = make()
    assert [plic.read(4 * n, 4) for n in range(5)] == [0, 2, 5, 5, 0]
    plic.write(4 * 4, 4, 0xF)
    assert plic.read(4 * 4, 4) == 7          # 3 priority bits
    plic.write(0, 4, 3)
    assert plic.read(0, 4) == 0              # source 0 does not exist
    plic.write(ENABLE, 4, 0xFFFF_FFFF)
    assert plic.read(ENABLE, 4) == 0xFFFF_FFFE
    assert plic.read(ENABLE + 4, 4) == 0     # sources 32.. do not exist (31 sources)
    plic.write(THRESHOLD, 4, 4)
    assert plic.read(THRESHOLD, 4) == 4
    assert plic.read(4 * 2 + 0, 1) == 5


def test_level_source_claim_and_complete():
    plic, events = make()
    plic.set_source(2, True)
    assert events == [True]
    assert plic.read(PENDING, 4) == 0b100
    assert plic.peek(CLAIM, 4) == 2          # a peek does not claim
    assert plic.read(PENDING, 4) == 0b100
    assert plic.read(CLAIM, 4) == 2
    assert events == [True, False]
    assert plic.read(PENDING, 4) == 0
    assert plic.read(CLAIM, 4) == 0          # in service: not pending again yet
    plic.write(CLAIM, 4, 2)                  # complete while the line is still high
    assert events == [True, False, True]
    assert plic.read(CLAIM, 4) == 2
    plic.set_source(2, False)
    plic.write(CLAIM, 4, 2)                  # line low at completion: stays quiet
    assert plic.read(PENDING, 4) == 0
    assert events == [True, False, True, False]


def test_priority_order_then_lowest_number():
    plic, _ = make()
    plic.set_source(1, True)
    plic.set_source(3, True)
    plic.set_source(2, True)
    assert plic.read(PENDING, 4) == 0b1110
    assert [plic.read(CLAIM, 4) for _ in range(4)] == [2, 3, 1, 0]


def test_threshold_and_enable_mask():
    plic, events = make()
    plic.write(THRESHOLD, 4, 5)
    plic.set_source(3, True)
    assert events == []                      # priority 5 is not above threshold 5
    assert plic.read(CLAIM, 4) == 0
    plic.write(THRESHOLD, 4, 4)
    assert events == [True]
    plic.write(ENABLE, 4, 0b0010)            # disable source 3
    assert events == [True, False]
    assert plic.read(PENDING, 4) == 0b1000   # still pending, just masked


def test_edge_source_latches_rising_edges():
    plic, events = make()
    plic.set_source(1, True)
    plic.set_source(1, False)
    assert plic.read(PENDING, 4) == 0b10     # the edge was latched
    assert plic.read(CLAIM, 4) == 1
    plic.set_source(1, True)                 # another edge while in service
    plic.set_source(1, False)
    assert plic.read(PENDING, 4) == 0
    plic.write(CLAIM, 4, 1)
    assert plic.read(PENDING, 4) == 0b10     # delivered at completion
    assert plic.read(CLAIM, 4) == 1
    plic.write(CLAIM, 4, 1)
    assert plic.read(PENDING, 4) == 0        # only one edge was remembered
    assert events == [True, False, True, False]


def test_completion_of_a_source_not_in_service_is_ignored():
    plic, _ = make()
    plic.set_source(2, True)
    plic.write(CLAIM, 4, 2)                  # never claimed
    assert plic.read(CLAIM, 4) == 2
    plic.write(ENABLE, 4, 0)
    plic.set_source(2, False)
    plic.write(CLAIM, 4, 2)                  # not enabled: ignored, still in service
    plic.write(ENABLE, 4, 0b100)
    plic.set_source(2, True)
    assert plic.read(CLAIM, 4) == 0


def test_bad_sources():
    plic, _ = make()
    with pytest.raises(ValueError, match=r"PLIC source 32 does not exist \(1..31\)"):
        plic.set_source(32, True)
    with pytest.raises(ValueError, match="a PLIC has 1 to 1023 sources, not 0"):
        Plic(print, sources=0)
