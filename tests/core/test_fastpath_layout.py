"""The ABI between the compiled fast path (core/fastpath.c) and Python (core/state.py...).

fastpath.c exports its struct layout (every field offset of core_t, region_t and dinsn_t, and
their sizes) and every constant it shares with Python; each is compared one by one with the
ctypes mirror and the Python module that owns the name. The codec helpers it exports are
compared with core/capability.py (the reference) on random inputs.
"""

from __future__ import annotations

import ctypes

from hypothesis import given, settings
from hypothesis import strategies as st

from cheriot_gdbserver.core import capability as cap
from cheriot_gdbserver.core import fastpath
from cheriot_gdbserver.core.state import CoreState

U32 = st.integers(0, 0xFFFF_FFFF)


def test_every_field_and_constant_agrees_one_by_one() -> None:
    lib = fastpath.library()
    c_layout, c_constants = fastpath.c_abi(lib)
    py_layout, py_constants = fastpath.python_abi()
    # Both sides name the same things...
    assert set(c_layout) == set(py_layout)
    assert set(c_constants) == set(py_constants)
    # ...every struct field of the mirror is covered...
    assert {f"core.{name}" for name, *_ in CoreState._fields_} <= set(c_layout)
    # ...and each value agrees.
    for name, value in c_layout.items():
        assert py_layout[name] == value, name
    for name, value in c_constants.items():
        assert py_constants[name] == value, name
    assert fastpath.abi_mismatches(lib) == []


def test_a_mismatch_is_reported_by_name(monkeypatch) -> None:  # noqa: ANN001 - fixture
    lib = fastpath.library()
    real = fastpath.python_abi

    def shifted() -> tuple[dict[str, int], dict[str, int]]:
        layout, constants = real()
        return {**layout, "core.n_exit": layout["core.n_exit"] + 8}, constants

    monkeypatch.setattr(fastpath, "python_abi", shifted)
    assert fastpath.abi_mismatches(lib) == [
        f"core.n_exit: C {real()[0]['core.n_exit']} vs Python {real()[0]['core.n_exit'] + 8}"]


def _lib() -> ctypes.CDLL:
    lib = fastpath.library()
    lib.cheriot_decode_bounds.argtypes = [ctypes.c_uint32, ctypes.c_uint32,
                                          ctypes.POINTER(ctypes.c_uint32),
                                          ctypes.POINTER(ctypes.c_uint64)]
    lib.cheriot_set_bounds.argtypes = [ctypes.c_uint32, ctypes.c_uint32,
                                       ctypes.POINTER(ctypes.c_int)]
    lib.cheriot_set_bounds.restype = ctypes.c_uint32
    lib.cheriot_set_bounds_round_down.argtypes = [ctypes.c_uint32, ctypes.c_uint32]
    lib.cheriot_set_bounds_round_down.restype = ctypes.c_uint32
    for name in ("cheriot_otype", "cheriot_exponent"):
        getattr(lib, name).argtypes = [ctypes.c_uint32]
        getattr(lib, name).restype = ctypes.c_uint32
    return lib


@settings(max_examples=500, deadline=None)
@given(meta=U32, address=U32)
def test_decode_bounds_otype_exponent_match_the_codec(meta: int, address: int) -> None:
    lib = _lib()
    base, top = ctypes.c_uint32(), ctypes.c_uint64()
    lib.cheriot_decode_bounds(meta, address, ctypes.byref(base), ctypes.byref(top))
    assert (base.value, top.value) == cap.get_cap_bounds(meta, address)
    assert lib.cheriot_otype(meta) == cap.get_otype(meta)
    assert lib.cheriot_exponent(meta) == cap.exponent(meta)


@settings(max_examples=500, deadline=None)
@given(base=U32, length=U32 | st.integers(0, 0x2000))
def test_set_bounds_matches_the_codec(base: int, length: int) -> None:
    lib = _lib()
    exact = ctypes.c_int()
    fields = lib.cheriot_set_bounds(base, length, ctypes.byref(exact))
    assert (fields, bool(exact.value)) == cap.set_cap_bounds(base, length)
    assert lib.cheriot_set_bounds_round_down(base, length) == \
        cap.set_cap_bounds_round_down(base, length)
