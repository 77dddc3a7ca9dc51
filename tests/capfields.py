"""Read the fields of a capability out of the daemon's text, whatever its exact layout.

Tests state the expected capability as literal fields (derived by hand from isa.md, never with
the project's codec) and compare them with what ``monitor cap``, fault reports and the example
scripts print. Only the fields are compared, not the spelling: ``name=value`` pairs in any
order, numbers in hex or decimal with any zero padding, permissions as a set, the object type
as a number or a name. The metadata word is compared when the text shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# isa.md §4.1: the architectural object types with a hardware meaning.
OTYPE_NUMBERS = {"unsealed": 0, "sentry": 1, "sentry_disable_irq": 2, "sentry_enable_irq": 3,
                 "return_sentry_disable_irq": 4, "return_sentry_enable_irq": 5}

_NUMBER = re.compile(r"\b(tag|address|base|top|length|meta)=(0x[0-9a-fA-F]+|\d+)\b")
_PERMS = re.compile(r"\bperms=\[([A-Z0-9 \-]*)\]")
_OTYPE = re.compile(r"\botype=([A-Za-z0-9_\-]+)(?: \(([A-Za-z0-9_\-()]+)\))?")


@dataclass(frozen=True)
class CapFields:
    tag: int
    address: int
    base: int
    top: int
    length: int
    perms: frozenset[str]
    otype: int
    meta: int | None = None


def fields(tag: int, address: int, base: int, top: int, length: int, perms: str, otype: int,
           meta: int | None = None) -> CapFields:
    """Expected fields; ``perms`` as space-separated names (isa.md §3.1)."""
    return CapFields(tag, address, base, top, length, frozenset(perms.split()), otype, meta)


def parse(text: str) -> CapFields:
    numbers = {name: int(value, 0) for name, value in _NUMBER.findall(text)}
    perms = _PERMS.search(text)
    otype = _OTYPE.search(text)
    missing = [n for n in ("tag", "address", "base", "top", "length") if n not in numbers]
    assert not missing and perms and otype, f"not a capability ({missing} missing): {text!r}"
    value = otype.group(1)
    number = int(value, 0) if value[0].isdigit() else OTYPE_NUMBERS[value.replace("-", "_")]
    names = frozenset(p for p in perms.group(1).split() if p != "-")
    return CapFields(numbers["tag"], numbers["address"], numbers["base"], numbers["top"],
                     numbers["length"], names, number, numbers.get("meta"))


def assert_cap(text: str, expected: CapFields) -> None:
    """``text`` shows exactly the capability ``expected`` (its meta word only if shown)."""
    got = parse(text)
    if got.meta is None or expected.meta is None:
        got = CapFields(**{**got.__dict__, "meta": expected.meta})
    assert got == expected, f"{text!r}"


def assert_lines(text: str, expected: list[str | tuple[str, CapFields]]) -> None:
    """Line by line: a string matches exactly; ``(prefix, fields)`` a line that starts with
    ``prefix`` and shows that capability after it."""
    lines = text.splitlines()
    assert len(lines) == len(expected), f"{len(lines)} lines, expected {len(expected)}: {text}"
    for line, want in zip(lines, expected, strict=True):
        if isinstance(want, str):
            assert line == want
        else:
            prefix, cap = want
            assert line.startswith(prefix), f"{line!r} does not start with {prefix!r}"
            assert_cap(line[len(prefix):], cap)
