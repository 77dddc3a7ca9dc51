"""HTIF tohost exit (isa.md §8.4) and the revocation bitmap lookup (isa.md §8.2, §9.9)."""

from __future__ import annotations

from cheriot_gdbserver.boards.devices.htif import Htif
from cheriot_gdbserver.boards.devices.shadow import RevocationMap


def test_rtos_exit_sequence():
    codes: list[int] = []
    htif = Htif(codes.append)
    htif.write(0, 4, 1 | (3 << 1))      # tohost[0] = 1 | code << 1
    assert codes == []                  # as in Sail: both halves must be written
    htif.write(4, 4, 0)                 # tohost[1] = 0
    assert codes == [3]
    assert htif.read(0, 4) == 7 and htif.peek(0, 8) == 7


def test_high_half_first_and_eight_byte_store():
    codes: list[int] = []
    htif = Htif(codes.append)
    htif.write(4, 4, 0)
    htif.write(0, 4, 1)
    htif.write(0, 8, 1 | (0x1234 << 1))
    assert codes == [0, 0x1234]


def test_console_and_ignored_commands():
    codes: list[int] = []
    chars: list[int] = []
    htif = Htif(codes.append, on_console=chars.append)
    htif.write(0, 8, (1 << 56) | (1 << 48) | 0x41)
    htif.write(0, 8, 2)                 # device 0 without bit 0: not an exit
    htif.write(0, 8, (2 << 56) | 1)     # unknown device
    assert chars == [0x41]
    assert codes == []


def test_revocation_bit_locations_from_isa_9_9():
    rmap = RevocationMap(0x8000_0000, 0x8300_0000, 0x1000)
    assert rmap.covered_end == 0x8004_0000
    assert rmap.locate(0x8000_1040) == (0x8300_0041, 0)
    assert rmap.locate(0x8000_1078) == (0x8300_0041, 7)
    assert rmap.locate(0x7FFF_FFF0) is None
    assert rmap.locate(0x8004_0000) is None   # beyond the bitmap: never revoked
    bitmap = {0x8300_0041: 0x80}
    assert rmap.is_revoked(lambda a: bitmap.get(a, 0), 0x8000_1078) is True
    assert rmap.is_revoked(lambda a: bitmap.get(a, 0), 0x8000_1040) is False
    assert rmap.is_revoked(lambda a: 0xFF, 0x7FFF_FFF0) is False
