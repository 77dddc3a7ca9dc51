"""Readable names from the RTOS's linker symbols (rtos.md 2.5), demangled with
itanium_demangler. Symbols carry the compiler-level compartment name (``sched`` and ``alloc``
in trees before January 2025) while records carry the linker-script name, so components are
always matched by address and these helpers only split strings."""

from __future__ import annotations

import re
from functools import lru_cache

import itanium_demangler

_EXPORT = re.compile(r"^__(?:library_)?(?:export|import)_(.*?)_(_Z.*)$")
_SEALING = re.compile(r"^__(?:export|import)\.sealing_type\.([^.]+)\.(.+)$")


@lru_cache(maxsize=4096)
def demangle(symbol: str) -> str:
    """The full demangled form of a C++ symbol, or the symbol itself."""
    if not symbol.startswith("_Z"):
        return symbol
    try:
        node = itanium_demangler.parse(symbol)
    except Exception:
        return symbol
    return symbol if node is None else str(node)


@lru_cache(maxsize=4096)
def function_name(mangled: str) -> str:
    """The function's qualified name without parameters: ``sched::scheduler_entry``."""
    if not mangled.startswith("_Z"):
        return mangled
    try:
        node = itanium_demangler.parse(mangled)
    except Exception:
        return mangled
    if node is None:
        return mangled
    name = getattr(node, "name", None)
    return str(name) if name is not None else str(node)


def short_name(qualified: str) -> str:
    """The last component of a qualified C++ name (``sched::scheduler_entry`` -> the entry)."""
    depth = 0
    for i in range(len(qualified) - 1, 0, -1):
        c = qualified[i]
        if c == ">":
            depth += 1
        elif c == "<":
            depth -= 1
        elif c == ":" and qualified[i - 1] == ":" and depth == 0:
            return qualified[i + 1:]
    return qualified


def split_entry_symbol(symbol: str, compartment_names: tuple[str, ...] = ()) -> \
        tuple[str | None, str]:
    """(compiler-level compartment name, function) of an export/import entry symbol."""
    m = _SEALING.match(symbol)
    if m:
        return m.group(1), m.group(2)
    m = _EXPORT.match(symbol)
    if m:
        return m.group(1), short_name(function_name(m.group(2)))
    for prefix in ("__library_export_", "__library_import_", "__export_", "__import_"):
        if symbol.startswith(prefix):
            rest = symbol[len(prefix):]
            for comp in sorted(compartment_names, key=len, reverse=True):
                if rest.startswith(comp + "_"):
                    return comp, rest[len(comp) + 1:]
            comp, _, fn = rest.partition("_")
            return (comp, fn) if fn else (None, rest)
    return None, short_name(function_name(symbol))
