"""Binding of the compiled fast path (fastpath.c) to a Unicorn engine.

The fast path is a code hook written in C and registered directly with ``uc_hook_add`` (the
Python binding only accepts Python callables, and a Python call per instruction would cap us
near 1 MIPS; see research/perf.md). This module and engine.py are the only Unicorn-aware modules.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
from pathlib import Path

from unicorn import UC_HOOK_CODE, Uc
from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_X1
from unicorn.unicorn_py3 import unicorn as _binding

from ..errors import EngineError
from .state import SLOW_CALLBACK, CoreState


def _library_path() -> Path:
    here = Path(__file__).parent
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = here / f"_fastpath{suffix}"
        if candidate.exists():
            return candidate
    raise EngineError(
        f"the compiled fast path (_fastpath*.so) is missing from {here}; reinstall the package "
        "(pip install .) on a machine with a C compiler")


_lib: ctypes.CDLL | None = None


def library() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(str(_library_path()))
        lib.cheriot_core_size.restype = ctypes.c_size_t
        for name in ("regions", "slow", "n_fast"):
            getattr(lib, f"cheriot_core_offset_{name}").restype = ctypes.c_size_t
        _check_layout(lib)
        _lib = lib
    return _lib


def _check_layout(lib: ctypes.CDLL) -> None:
    """The ctypes mirror must agree with the C struct, or every field would be garbage."""
    expected = {
        "size": ctypes.sizeof(CoreState),
        "regions": CoreState.regions.offset,
        "slow": CoreState.slow.offset,
        "n_fast": CoreState.n_fast.offset,
    }
    actual = {
        "size": lib.cheriot_core_size(),
        "regions": lib.cheriot_core_offset_regions(),
        "slow": lib.cheriot_core_offset_slow(),
        "n_fast": lib.cheriot_core_offset_n_fast(),
    }
    if expected != actual:
        raise EngineError(f"fast path layout mismatch: python {expected} vs C {actual}")


class FastPath:
    """Owns the registration of the C code hook and the objects it points at."""

    def __init__(self, uc: Uc, core: CoreState, slow) -> None:  # noqa: ANN001 - python callable
        lib = library()
        self._slow_cb = SLOW_CALLBACK(slow)  # keep a reference: C holds the pointer
        core.slow = self._slow_cb
        uclib = _binding.uclib
        core.reg_read = ctypes.cast(uclib.uc_reg_read, ctypes.c_void_p).value
        core.reg_write = ctypes.cast(uclib.uc_reg_write, ctypes.c_void_p).value
        core.emu_stop = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value
        for i in range(16):
            core.reg_ids[i] = UC_RISCV_REG_X1 + i - 1 if i else 0
        core.pc_reg_id = UC_RISCV_REG_PC
        self._handle = ctypes.c_size_t()
        hook = ctypes.cast(lib.cheriot_code_hook, ctypes.c_void_p)
        err = uclib.uc_hook_add(
            uc._uch, ctypes.byref(self._handle), UC_HOOK_CODE, hook,
            ctypes.cast(ctypes.byref(core), ctypes.c_void_p), ctypes.c_uint64(1),
            ctypes.c_uint64(0))
        if err:
            raise EngineError(f"uc_hook_add failed with Unicorn error {err}")
        self.core = core
