"""x1-x15 and the PC out of Unicorn in one call (``uc_reg_read_batch``).

Unicorn's Python ``reg_read`` costs over a microsecond of binding code per register, and the
engine copies all fifteen general-purpose registers after every run (and again when a debugger
reads them): for gdb, which runs one instruction at a time, that copy was the largest part of a
single-step. One batch call through the library the Python binding already loaded does it in
about two microseconds. Values land in 64-bit slots (wider than any RV32 register) that are
cleared before each read.
"""

from __future__ import annotations

import ctypes

from unicorn import Uc
from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_X1
from unicorn.unicorn_py3 import unicorn as _binding

from ..errors import EngineError

_COUNT = 16  # x1..x15, then pc


class RegisterBatch:
    """Reads x1-x15 and the PC of one ``Uc`` instance."""

    def __init__(self, uc: Uc) -> None:
        self._uc = uc
        self._read = _binding.uclib.uc_reg_read_batch
        self._values = (ctypes.c_uint64 * _COUNT)()
        base = ctypes.addressof(self._values)
        self._pointers = (ctypes.c_void_p * _COUNT)(*(base + 8 * i for i in range(_COUNT)))
        self._ids = (ctypes.c_int * _COUNT)(*(UC_RISCV_REG_X1 + i for i in range(15)),
                                            UC_RISCV_REG_PC)

    def read(self) -> tuple[list[int], int]:
        """(x1..x15, pc)."""
        ctypes.memset(self._values, 0, ctypes.sizeof(self._values))
        err = self._read(self._uc._uch, self._ids, self._pointers, _COUNT)
        if err:
            raise EngineError(f"uc_reg_read_batch failed with Unicorn error {err}")
        values = self._values[:]
        return values[:15], values[15] & 0xFFFF_FFFF
