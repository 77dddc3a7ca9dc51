"""C++ symbol names as people read them, through GCC's own demangler (libstdc++'s
``__cxa_demangle``, by way of the ``cxxfilt`` package), so they read as gdb and c++filt print them.

It lives in ``core/`` only so that every layer that shows names (reports, monitor commands, the
RTOS views in ``rtos/``) can use the one implementation.

CHERIoT images wrap mangled names in prefixes (rtos.md §3: ``__export_<compartment>_<name>``,
``__import_...``, ``__library_export_...``, the switcher's ``__Z26compartment_switcher_entryz``):
the mangled part is demangled and the prefix kept, e.g.
``__export_sched__Z13thread_id_getv`` -> ``__export_sched_thread_id_get()``.
"""

from __future__ import annotations

import functools

import structlog

try:
    import cxxfilt
except (ImportError, OSError) as _error:  # pragma: no cover - libstdc++ missing
    cxxfilt = None
    _WHY = str(_error)

log = structlog.get_logger(__name__)


@functools.lru_cache(maxsize=4096)
def demangle(name: str) -> str:
    """``name`` demangled where it holds a mangled C++ name; otherwise ``name`` unchanged."""
    if "_Z" not in name:
        return name
    if name.startswith("_Z"):
        return _itanium(name) or name
    start = name.find("__Z")
    while start != -1:
        plain = _itanium(name[start + 1:])
        if plain is not None:
            prefix = name[:start + 1]
            return plain if prefix == "_" else prefix + plain
        start = name.find("__Z", start + 1)
    return name


def _itanium(mangled: str) -> str | None:
    if cxxfilt is None:
        _warn_once()
        return None
    try:
        plain = cxxfilt.demangle(mangled)
    except cxxfilt.Error:
        return None
    return plain if plain != mangled else None


@functools.cache
def _warn_once() -> None:
    log.warning("C++ names are shown mangled: the demangler could not be loaded (install "
                "Debian's libstdc++6)", error=_WHY)
