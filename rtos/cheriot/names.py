"""Readable names from the RTOS's linker symbols (rtos.md 2.5), demangled by the project's one
demangler (core/demangle.py). Symbols carry the compiler-level compartment name (``sched`` and
``alloc`` in trees before January 2025) while records carry the linker-script name, so
components are always matched by address and these helpers only split strings."""

from __future__ import annotations

import re
from functools import lru_cache

from ...core.demangle import demangle as _demangle

_EXPORT = re.compile(r"^__(?:library_)?(?:export|import)_(.*?)_(_Z.*)$")
_SEALING = re.compile(r"^__(?:export|import)\.sealing_type\.([^.]+)\.(.+)$")


def demangle(symbol: str) -> str:
    """The full demangled form of a C++ symbol, or the symbol itself."""
    return _demangle(symbol) if symbol.startswith("_Z") else symbol


@lru_cache(maxsize=4096)
def function_name(mangled: str) -> str:
    """The function's qualified name without parameters: ``sched::scheduler_entry``."""
    if not mangled.startswith("_Z"):
        return mangled
    return without_parameters(_demangle(mangled))


def without_parameters(demangled: str) -> str:
    """A demangled function name less its parameter list and qualifiers (``f(int) const`` ->
    ``f``); names that are not functions come back unchanged."""
    text = demangled.rstrip()
    for qualifier in (" const", " volatile", " &&", " &"):
        if text.endswith(qualifier):
            text = text[: -len(qualifier)]
    if not text.endswith(")"):
        return demangled
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return text[:i] if i else demangled
    return demangled


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
