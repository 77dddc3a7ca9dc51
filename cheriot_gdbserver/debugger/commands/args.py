"""The one argument grammar of every command (gdb does not evaluate expressions in ``monitor``).

* numbers: decimal, or hex/octal/binary with ``0x``/``0o``/``0b``;
* registers, with or without gdb's ``$``: capability names (``csp``, ``ca0``, ``pcc``, ``mtdc``),
  integer names (``sp``, ``a0``, ``pc``, ``fp``), ``cN``/``xN``; an address argument takes the
  register's address;
* symbols of the image, optionally ``+OFFSET`` (``buffer+16``).

Each parser takes the word and the DebugContext and raises ``ArgumentError`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..contexts import capability_register_name

if TYPE_CHECKING:
    from ..debug_context import DebugContext


class ArgumentError(ValueError):
    """A word that is not what the argument takes (the message says what it is not)."""


@dataclass(frozen=True, slots=True)
class RegisterRef:
    """A capability register named on the command line (canonical name, e.g. ``csp``)."""

    name: str


Location = RegisterRef | int  # a register, or an address in memory


def word(text: str, context: DebugContext) -> str:
    """Any word, as typed."""
    return text


def number(text: str, context: DebugContext | None = None) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise ArgumentError(f"not a number: {text!r}") from None
    if value < 0:
        raise ArgumentError(f"not a positive number: {text!r}")
    return value


def register(text: str) -> RegisterRef | None:
    """The capability register ``text`` names, if it names one."""
    name = capability_register_name(text)
    return RegisterRef(name) if name is not None else None


def symbol(text: str, context: DebugContext) -> int | None:
    """The address of ``SYMBOL`` or ``SYMBOL+OFFSET`` in the image, if it has that symbol."""
    name, plus, offset = text.partition("+")
    address = context.image.symbols.get(name)
    if address is None:
        return None
    return address + (number(offset) if plus else 0)


def location(text: str, context: DebugContext) -> Location:
    """A register (its capability), or an address given as a number or a symbol."""
    reg = register(text)
    if reg is not None:
        return reg
    return _address_word(text, context, "register")


def address(text: str, context: DebugContext) -> int:
    """An address: a number, a symbol, or the address a register holds."""
    reg = register(text)
    if reg is not None:
        return context.registers.capability(reg.name).address
    return _address_word(text, context, "register holding an address")


def _address_word(text: str, context: DebugContext, also: str) -> int:
    try:
        return number(text)
    except ArgumentError:
        pass
    found = symbol(text, context)
    if found is None:
        raise ArgumentError(f"{text!r} is not a number, a symbol of the image or a {also} "
                            "(try 0x80000000, main, csp, $sp, mtdc ...)")
    return found
