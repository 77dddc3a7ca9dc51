"""HTIF ``tohost``: how firmware on the ``sail`` board ends the simulation (isa.md §8.4).

``tohost`` is not an MMIO device but a 64-bit word in RAM, found through the ELF symbol
``tohost`` (the RTOS declares it as ``uint32_t tohost[2]``). The machine keeps the RAM and
forwards every store that overlaps the word to ``write``; ``read``/``peek`` return what was
written.

A command is the 64-bit value ``device << 56 | command << 48 | payload``. As in the Sail
model, it is executed once both halves have been written since the last command (in either
order, or by one 8-byte store): the RTOS writes ``tohost[0] = 1 | code << 1`` then
``tohost[1] = 0``. Commands understood:

* device 0, command 0, payload bit 0 set: exit with code ``payload >> 1`` (0 = success);
* device 1, command 1: print the payload's low byte (the HTIF console), if ``on_console``.

Anything else is ignored.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import MASK64, Device, ExitHandler

PAYLOAD_MASK = (1 << 48) - 1


class Htif(Device):
    size = 8

    def __init__(self, on_exit: ExitHandler, *,
                 on_console: Callable[[int], None] | None = None) -> None:
        self.on_exit = on_exit
        self.on_console = on_console
        self.value = 0
        self._written = [False, False]   # low and high halves since the last command

    def read(self, offset: int, size: int) -> int:
        return (self.value >> (8 * offset)) & ((1 << (8 * size)) - 1)

    def peek(self, offset: int, size: int) -> int | None:
        return self.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        size = min(size, self.size - offset)
        mask = ((1 << (8 * size)) - 1) << (8 * offset)
        self.value = ((self.value & ~mask) | ((value << (8 * offset)) & mask)) & MASK64
        if offset < 4:
            self._written[0] = True
        if offset + size > 4:
            self._written[1] = True
        if all(self._written):
            self._written = [False, False]
            self._execute(self.value)

    def _execute(self, command: int) -> None:
        device, cmd, payload = command >> 56, (command >> 48) & 0xFF, command & PAYLOAD_MASK
        if device == 0 and cmd == 0 and payload & 1:
            self.on_exit(payload >> 1)
        elif device == 1 and cmd == 1 and self.on_console is not None:
            self.on_console(payload & 0xFF)
