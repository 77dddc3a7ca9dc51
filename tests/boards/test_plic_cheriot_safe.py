"""The ibex-safe-simulator's PLIC, as cheriot-safe ``src/msft_cheri_subsystem/msftDvIp_plic.sv``
behaves, and the shipped boards' choice of variant.

From the RTL: ``intr_id`` is the best pending enabled source of non-zero priority
(``pri_tree[5][0] != 0``) and the threshold only gates ``irq_external_o``
(``pri_tree[5][0] > intr_thres_reg``); ``SrcTypeRegAddr`` is offset 0, a read/write edge/level
register (``irq_sig = src_type ? rising edge : level``); there is no pending register (the read
mux has source type, enable, threshold, claim and priorities only); the gateway's
``intr_blocked`` drops edges until completion; ``completion_dec`` does not look at the enables.
"""

from __future__ import annotations

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.boards.devices.device_set import build_devices
from cheriot_gdbserver.boards.devices.plic import CLAIM, ENABLE, PENDING, THRESHOLD, Plic

from .test_device_set import Hart


def make(variant: str = "cheriot-safe"):
    events: list[bool] = []
    plic = Plic(events.append, edge_sources=[1], variant=variant)
    for n, priority in ((1, 2), (2, 5), (3, 5)):
        plic.write(4 * n, 4, priority)
    plic.write(ENABLE, 4, 0b1110)
    return plic, events


def test_claim_ignores_the_threshold():
    plic, events = make()
    plic.write(THRESHOLD, 4, 7)
    plic.set_source(2, True)
    assert events == []                      # the threshold masks the notification...
    assert plic.read(CLAIM, 4) == 2          # ...but not the claim
    standard, events = make("standard")
    standard.write(THRESHOLD, 4, 7)
    standard.set_source(2, True)
    assert standard.read(CLAIM, 4) == 0      # RISC-V PLIC: nothing above the threshold


def test_offset_0_is_the_edge_level_register():
    plic, _ = make()
    assert plic.read(0, 4) == 0b10           # source 1 from the board's edge_triggered
    plic.write(0, 4, 0b100)                  # source 2 edge, source 1 level
    assert plic.read(0, 4) == 0b100
    plic.set_source(1, True)
    assert plic.read(CLAIM, 4) == 1
    plic.write(CLAIM, 4, 1)
    assert plic.read(CLAIM, 4) == 1          # level and still high: pending again
    plic.set_source(1, False)
    plic.write(CLAIM, 4, 1)                  # low at completion: not pending again
    plic.set_source(2, True)
    assert plic.read(CLAIM, 4) == 2
    plic.write(CLAIM, 4, 2)
    assert plic.read(CLAIM, 4) == 0          # edge: one claim per rising edge


def test_no_pending_register():
    plic, _ = make()
    plic.set_source(2, True)
    assert plic.read(PENDING, 4) == 0
    standard, _ = make("standard")
    standard.set_source(2, True)
    assert standard.read(PENDING, 4) == 0b100


def test_edges_while_blocked_are_dropped():
    plic, _ = make()
    plic.set_source(1, True)
    plic.set_source(1, False)
    assert plic.read(CLAIM, 4) == 1
    plic.set_source(1, True)                 # while in service: intr_blocked drops it
    plic.set_source(1, False)
    plic.write(CLAIM, 4, 1)
    assert plic.read(CLAIM, 4) == 0


def test_completion_does_not_need_the_enable():
    plic, _ = make()
    plic.set_source(2, True)
    assert plic.read(CLAIM, 4) == 2
    plic.write(ENABLE, 4, 0)
    plic.write(CLAIM, 4, 2)                  # completes although disabled
    plic.write(ENABLE, 4, 0b100)
    assert plic.read(CLAIM, 4) == 2          # the level source is pending again


def test_shipped_boards_choose_their_plic():
    safe = build_devices(load_board("ibex-safe-simulator"), Hart().wiring())
    sonata = build_devices(load_board("sonata"), Hart().wiring())
    assert safe.plic is not None and safe.plic.variant == "cheriot-safe"
    assert sonata.plic is not None and sonata.plic.variant == "standard"
