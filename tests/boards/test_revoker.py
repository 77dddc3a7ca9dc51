"""Hardware background revoker (isa.md §8.3): registers, sweep, epoch, interrupt.

Each behaviour is pinned to its source: the sweep to cheriot-ibex ``rtl/cheri_tbre.sv`` (the
granule containing ``top`` is swept: ``load_stop_cond`` is ``cur + 1 > end_addr[31:3]``); the
``cheriot-safe`` register block (ibex-safe-simulator) to cheriot-safe
``src/msft_cheri_subsystem/msftDvIp_mmreg.sv`` (``tbre_intr_o = tbre_intr_stat & tbre_intr_en``,
enable at 0x14 written only by software, status set on completion and auto-cleared while
enabled, 0x10 read-only); the ``sonata`` register block to lowRISC sonata-system
``rtl/ip/rev_ctl/rtl/rev_ctl.sv`` (``rev_ctl_irq_o = done & interrupt_enable``; status set on
``done`` only while disabled, cleared by any write and while enabled). Timing is the model's
(one granule per instruction), not the RTL's, so only orderings are asserted about it.
"""

from __future__ import annotations

import pytest

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


def make(variant: str = "cheriot-safe"):
    clock = ManualClock(100)
    memory = FakeMemory()
    memory.revoked_granules = {0x8000_1040}
    g = 0x8000_0000
    memory.granules = {
        g + 0x00: (cap_bits(0x8000_1040, 0x10), True),   # revoked base: cleared
        g + 0x08: (cap_bits(0x8000_1080, 0x10), True),   # not revoked: kept
        g + 0x10: (cap_bits(0x8000_1040, 0x10), False),  # untagged: left alone
        g + 0x18: (cap_bits(0x8000_1040, 0x10, ROOT_SEAL_META), True),  # sealing: skipped
        g + 0x20: (cap_bits(0x8000_1044, 0x4), True),    # the granule holding top: swept
        g + 0x28: (cap_bits(0x8000_1040, 0x10), True),   # beyond top's granule: not swept
    }
    levels: list[bool] = []
    revoker = Revoker(clock, memory, levels.append, variant=variant)
    revoker.write(0x00, 4, 0x8000_0000)
    revoker.write(0x04, 4, 0x8000_0024)                  # inside the granule at 0x20
    return clock, memory, revoker, levels


def sweep(clock: ManualClock, revoker: Revoker) -> None:
    revoker.write(0x08, 4, 0)               # the RTOS writes 0 then 1: one sweep
    revoker.write(0x08, 4, 1)
    clock.advance(10)
    revoker.update()


@pytest.mark.parametrize("variant", ["cheriot-safe", "sonata"])
def test_registers_at_reset(variant: str):
    _, _, revoker, _ = make(variant)
    assert [revoker.read(off, 4) for off in range(0, 0x18, 4)] == [
        0x8000_0000, 0x8000_0024, 0x5500_0000, 0, 0, 0]
    assert revoker.next_event() is None


@pytest.mark.parametrize("variant", ["cheriot-safe", "sonata"])
def test_sweep_clears_exactly_the_revoked_tags_through_the_granule_holding_top(variant: str):
    clock, memory, revoker, _ = make(variant)
    revoker.write(0x08, 4, 0)
    revoker.write(0x08, 4, 1)
    assert revoker.read(0x0C, 4) == 1       # running
    clock.advance(2)
    revoker.update()
    assert memory.stores == [0x8000_0000]   # the sweep advances with time
    clock.advance(10)
    assert revoker.peek(0x0C, 4) == 2       # the peek sees completion before update()
    revoker.update()
    assert revoker.read(0x0C, 4) == 2
    assert memory.stores == [0x8000_0000, 0x8000_0020]
    assert memory.tags() == [False, True, False, True, False, True]
    assert memory.queries == [0x8000_1040, 0x8000_1080, 0x8000_1040]
    assert revoker.next_event() is None
    assert revoker.swept == 2


def test_top_on_a_granule_boundary_sweeps_that_granule():
    clock, memory, revoker, _ = make()
    revoker.write(0x04, 4, 0x8000_0028)     # the RTOS's exclusive end; the RTL includes it
    sweep(clock, revoker)
    assert memory.tags() == [False, True, False, True, False, False]


def test_epoch_sequence_and_no_interrupt_unless_enabled():
    clock, _, revoker, levels = make()
    epochs = [revoker.read(0x0C, 4)]
    for _ in range(2):
        revoker.write(0x08, 4, 1)
        epochs.append(revoker.read(0x0C, 4))
        revoker.write(0x08, 4, 1)           # ignored while running
        clock.advance(10)
        epochs.append(revoker.read(0x0C, 4))
    assert epochs == [0, 1, 2, 3, 4]
    assert levels == []


def test_base_above_top_still_loads_one_granule():
    clock, memory, revoker, _ = make()
    revoker.write(0x04, 4, 0x7FFF_0000)     # top below base
    revoker.write(0x08, 4, 1)
    assert revoker.next_event() == 101
    clock.set(101)
    assert revoker.read(0x0C, 4) == 2
    assert memory.stores == [0x8000_0000]


# --- cheriot-safe msftDvIp_mmreg.sv ------------------------------------------------------------

def test_safe_enable_is_an_ordinary_register_and_status_self_clears():
    clock, _, revoker, levels = make()
    revoker.write(0x14, 4, 1)
    assert revoker.read(0x14, 4) == 1
    sweep(clock, revoker)
    assert levels == [True, False]          # status & enable: one pulse
    assert revoker.read(0x10, 4) == 0       # status cleared itself while enabled
    assert revoker.read(0x14, 4) == 1       # completion did not consume the enable
    sweep(clock, revoker)                   # still enabled: the next sweep interrupts too
    assert levels == [True, False, True, False]


def test_safe_enabling_after_a_completion_raises_the_interrupt_at_once():
    clock, _, revoker, levels = make()
    sweep(clock, revoker)
    assert levels == []
    assert revoker.read(0x10, 4) == 1       # completed while disabled: status stays set
    revoker.write(0x10, 4, 1)               # not writable
    assert revoker.read(0x10, 4) == 1
    revoker.write(0x14, 4, 1)
    assert levels == [True, False]          # status & enable became 1 immediately
    assert revoker.read(0x10, 4) == 0
    revoker.write(0x14, 4, 0)
    assert revoker.read(0x14, 4) == 0


# --- sonata-system rev_ctl.sv --------------------------------------------------------------------

def test_sonata_enable_is_an_ordinary_register_and_status_stays_clear():
    clock, _, revoker, levels = make("sonata")
    revoker.write(0x14, 4, 1)
    sweep(clock, revoker)
    assert levels == [True, False]          # rev_ctl_irq_o = done & interrupt_enable
    assert revoker.read(0x14, 4) == 1       # not consumed
    assert revoker.read(0x10, 4) == 0       # "when interrupts are enabled ... clear the status"
    sweep(clock, revoker)
    assert levels == [True, False, True, False]


def test_sonata_completion_while_disabled_sets_status_without_a_late_interrupt():
    clock, _, revoker, levels = make("sonata")
    sweep(clock, revoker)
    assert levels == []
    assert revoker.read(0x10, 4) == 1       # "when done raise" the status
    revoker.write(0x10, 4, 0)               # "any value written to the status clears it"
    assert revoker.read(0x10, 4) == 0
    sweep(clock, revoker)
    assert revoker.read(0x10, 4) == 1
    revoker.write(0x14, 4, 1)               # enabling clears the status; the irq needs done
    assert levels == []
    assert revoker.read(0x10, 4) == 0


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="unknown revoker variant"):
        Revoker(ManualClock(0), FakeMemory(), lambda level: None, variant="mpact")
