"""Binding of the compiled fast path (fastpath.c) to a Unicorn engine.

The fast path is a code hook written in C and registered directly with ``uc_hook_add`` (the
Python binding only accepts Python callables, and a Python call per instruction would cap us
near 1 MIPS; see research/perf.md). This module and engine.py are the only Unicorn-aware modules.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.machinery
from collections.abc import Callable
from pathlib import Path

from unicorn import UC_HOOK_CODE, Uc
from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_X1
from unicorn.unicorn_py3 import unicorn as _binding

from ..errors import EngineError
from .state import (
    ACT_JUMP,
    ACT_STOP,
    DECODE_NO_FAST_CLC,
    F_BREAKPOINT,
    F_SIGNED,
    FAST_CSRS,
    FAST_KINDS,
    KIND_ALIASES,
    MAX_REGIONS,
    MAX_WATCH,
    REGION_MMIO,
    REGION_RAM,
    REGION_SLOTS,
    SLOW_CALLBACK,
    TRACE_EFFECT,
    TRACE_FLUSH_CALLBACK,
    TRACE_INSN,
    TRACE_WORDS,
    WATCH_READ,
    WATCH_WRITE,
    CoreState,
    DecodedInsn,
    Region,
)


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


class _AbiEntry(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_uint64)]


_typed: set[str] = set()   # library functions whose ctypes signatures are declared


def library() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(str(_library_path()))
        for name in ("cheriot_abi_layout", "cheriot_abi_constants"):
            getattr(lib, name).restype = ctypes.POINTER(_AbiEntry)
        check_abi(lib)
        _lib = lib
    return _lib


def c_abi(lib: ctypes.CDLL) -> tuple[dict[str, int], dict[str, int]]:
    """The C side's struct layout (``core.FIELD``, ``region.FIELD``, ``dinsn.FIELD`` offsets and
    ``sizeof.*``) and its shared constants, as fastpath.c exports them."""
    def table(entries) -> dict[str, int]:  # noqa: ANN001 - a ctypes pointer
        out: dict[str, int] = {}
        i = 0
        while entries[i].name is not None:
            out[entries[i].name.decode()] = int(entries[i].value)
            i += 1
        return out
    return table(lib.cheriot_abi_layout()), table(lib.cheriot_abi_constants())


def python_abi() -> tuple[dict[str, int], dict[str, int]]:
    """The same two tables from the Python side (state.py and the modules owning each name)."""
    from .capability import SEALING_PERMS, Perm
    from .csr import CSRS, MIE_WRITABLE
    from .decode import Kind
    from .hart import (
        MSTATUS_MIE,
        MSTATUS_MPIE,
        MSTATUS_MPP,
        SCR_MEPCC,
        SCR_MSCRATCHC,
        SCR_MTCC,
        SCR_MTDC,
    )

    layout = {"sizeof.core": ctypes.sizeof(CoreState), "sizeof.region": ctypes.sizeof(Region),
              "sizeof.dinsn": ctypes.sizeof(DecodedInsn)}
    for prefix, struct in (("core", CoreState), ("region", Region), ("dinsn", DecodedInsn)):
        for name, *_ in struct._fields_:
            layout[f"{prefix}.{name}"] = getattr(struct, name).offset
    constants = {
        "MAX_REGIONS": MAX_REGIONS, "REGION_SLOTS": REGION_SLOTS, "MAX_WATCH": MAX_WATCH,
        "K_UNDECODED": Kind.UNDECODED, "K_NATIVE_INT": Kind.NATIVE_INT,
        "K_NATIVE_OTHER": Kind.NATIVE_OTHER, "K_LOAD": Kind.LOAD, "K_STORE": Kind.STORE,
        "F_BREAKPOINT": F_BREAKPOINT, "F_SIGNED": F_SIGNED,
        "REGION_RAM": REGION_RAM, "REGION_MMIO": REGION_MMIO,
        "ACT_JUMP": ACT_JUMP, "ACT_STOP": ACT_STOP,
        "WATCH_READ": WATCH_READ, "WATCH_WRITE": WATCH_WRITE,
        "DECODE_NO_FAST_CLC": DECODE_NO_FAST_CLC, "TRACE_WORDS": TRACE_WORDS,
        "TRACE_INSN": TRACE_INSN, "TRACE_EFFECT": TRACE_EFFECT,
        "PERM_SEALING": SEALING_PERMS, "MSTATUS_MIE": MSTATUS_MIE,
        "MSTATUS_MPIE": MSTATUS_MPIE, "MSTATUS_MPP": MSTATUS_MPP,
        "SCR_MTCC": SCR_MTCC, "SCR_MTDC": SCR_MTDC, "SCR_MSCRATCHC": SCR_MSCRATCHC,
        "SCR_MEPCC": SCR_MEPCC, "MIE_WRITABLE": MIE_WRITABLE,
    }
    names = {"mstatus": "MSTATUS", "mie": "MIE", "mepc": "MEPC", "mcause": "MCAUSE",
             "mtval": "MTVAL", "mip": "MIP", "mshwm": "MSHWM", "mshwmb": "MSHWMB"}
    for number in FAST_CSRS:
        constants[f"CSR_{names[CSRS[number].name]}"] = number
    for op, kind in FAST_KINDS.items():
        if op not in KIND_ALIASES:
            constants[f"K_{op.upper().replace('.', '_')}"] = kind
    for perm in ("GL", "LG", "SD", "LM", "SL", "LD", "MC", "SR", "EX", "US", "SE"):
        constants[f"PERM_{perm}"] = Perm[perm]
    return layout, {k: int(v) for k, v in constants.items()}


def abi_mismatches(lib: ctypes.CDLL) -> list[str]:
    """Every name whose value differs between C and Python, or that only one side has."""
    problems = []
    for c_side, py_side in zip(c_abi(lib), python_abi(), strict=True):
        for name in sorted(c_side.keys() | py_side.keys()):
            c_value, py_value = c_side.get(name), py_side.get(name)
            if c_value != py_value:
                problems.append(f"{name}: C {c_value} vs Python {py_value}")
    return problems


def check_abi(lib: ctypes.CDLL) -> None:
    """The ctypes mirror must agree with the C struct, or every field would be garbage."""
    problems = abi_mismatches(lib)
    if problems:
        raise EngineError("the compiled fast path does not match core/state.py (rebuild it with "
                          "pip install -e .): " + "; ".join(problems))


# The set of encodings our Unicorn patch leaves to this hook (uc_cheriot_patch_level): 2 adds
# bit manipulation. A library with another set runs as the stock one (with block exits).
PATCH_LEVEL = 2


def patch_level(uclib: ctypes.CDLL) -> int:
    """0 for the stock library, else the level of our patch it was built with."""
    level = getattr(uclib, "uc_cheriot_patch_level", None)
    if level is None:
        return 0
    level.restype = ctypes.c_uint
    return int(level())


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
        # Our Unicorn build (scripts/build-unicorn) leaves the instructions this hook executes
        # out of its translated code; with the stock build the hook skips them with a PC write.
        if patch_level(uclib) == PATCH_LEVEL:
            hook_executes = uclib.uc_cheriot_hook_executes
            hook_executes.argtypes = [ctypes.c_void_p, ctypes.c_bool]
            if hook_executes(uc._uch, True) == 0:
                core.hook_executes = 1
        self.core = core


class TraceRecorder:
    """The compiled side of an instruction trace: fastpath.c appends a record for each
    instruction started and each register it changed (fastpath.c, "the instruction trace");
    ``on_full`` is called when the buffer is full and must ``take()`` the records."""

    def __init__(self, core: CoreState, on_full, capacity: int = 1 << 14) -> None:  # noqa: ANN001
        self._lib = library()
        self._lib.cheriot_trace_slow.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                                 ctypes.c_uint32, ctypes.c_uint32]
        self._lib.cheriot_trace_slow.restype = None
        self.core = core
        self._buffer = (ctypes.c_uint32 * (TRACE_WORDS * capacity))()
        self._view = memoryview(self._buffer).cast("B").cast("I")

        def full() -> int:
            try:
                on_full()
            except Exception:  # noqa: BLE001 - never unwind through Unicorn; the next take()
                pass           # at a trap or the end reports what remains
            return 0

        self._on_full = TRACE_FLUSH_CALLBACK(full)  # keep a reference: C holds the pointer
        core.trace_buf = ctypes.addressof(self._buffer)
        core.trace_cap = capacity
        core.trace_len = 0
        core.trace_flush = self._on_full
        core.trace_pending = 0
        core.trace_on = 1

    def slow(self, pc: int, length: int, bits: int) -> None:
        """The slow path is about to execute the instruction at ``pc``."""
        self._lib.cheriot_trace_slow(ctypes.addressof(self.core), pc, length, bits)

    def settle(self) -> None:
        """Record the effects of the instruction started last (at a trap, at the end)."""
        self._lib.cheriot_trace_slow(ctypes.addressof(self.core), 0, 0, 0)

    def take(self) -> list[int]:
        """The records so far, as a flat list of words; the buffer starts again empty."""
        n = self.core.trace_len
        words = self._view[:n * TRACE_WORDS].tolist()
        self.core.trace_len = 0
        return words

    def close(self) -> None:
        self.core.trace_on = 0
        self.core.trace_pending = 0
        self.core.trace_buf = None
        self.core.trace_cap = self.core.trace_len = 0


class TraceFormatter:
    """The trace's lines made by compiled code (core/tracefmt.c) from a ``TraceRecorder``'s
    records; cheriot_gdbserver/trace.py supplies the texts only Python knows (register names,
    permission and otype words, each instruction's "where  disassembly" once) and keeps the
    Python formatter as the oracle."""

    def __init__(self, prefix, int_names, cap_names, tails, capacity: int = 1 << 20) -> None:  # noqa: ANN001
        lib = self._lib = library()
        if "cheriot_tracefmt_run" not in _typed:
            lib.cheriot_tracefmt_new.restype = ctypes.c_void_p
            lib.cheriot_tracefmt_free.argtypes = [ctypes.c_void_p]
            lib.cheriot_tracefmt_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                                 ctypes.c_uint32, ctypes.c_char_p,
                                                 ctypes.c_uint32]
            lib.cheriot_tracefmt_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32,
                                                 ctypes.c_char_p]
            lib.cheriot_tracefmt_missing.argtypes = [ctypes.c_void_p]
            lib.cheriot_tracefmt_missing.restype = ctypes.c_uint64
            lib.cheriot_tracefmt_close.argtypes = [ctypes.c_void_p]
            lib.cheriot_tracefmt_lines.argtypes = [ctypes.c_void_p]
            lib.cheriot_tracefmt_lines.restype = ctypes.c_uint64
            lib.cheriot_tracefmt_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                                 ctypes.c_uint32, ctypes.c_uint32,
                                                 ctypes.c_void_p, ctypes.c_size_t,
                                                 ctypes.POINTER(ctypes.c_size_t)]
            lib.cheriot_tracefmt_run.restype = ctypes.c_uint32
            _typed.add("cheriot_tracefmt_run")
        self._f = lib.cheriot_tracefmt_new()
        if not self._f:
            raise MemoryError("the trace formatter could not allocate its tables")
        self._prefix = prefix  # (pc, bits) -> the line's start
        for kind, texts in enumerate((int_names, cap_names, tails)):
            for index, text in enumerate(texts):
                if lib.cheriot_tracefmt_set(self._f, kind, index, text.encode()):
                    raise ValueError(f"trace text too long for the formatter: {text!r}")
        if capacity < 1024:
            raise ValueError("the trace formatter needs an output buffer of 1 KiB or more")
        self._out = ctypes.create_string_buffer(capacity)
        self._capacity = capacity
        self._written = ctypes.c_size_t()

    def format(self, recorder: TraceRecorder) -> bytes:
        """The recorder's records as text (UTF-8; the last line left open); empties it."""
        lib, f, out, written = self._lib, self._f, self._out, self._written
        n = recorder.core.trace_len
        records = ctypes.addressof(recorder._buffer)
        chunks: list[bytes] = []
        i = 0
        while i < n:
            i = lib.cheriot_tracefmt_run(f, records, i, n, out, self._capacity,
                                         ctypes.byref(written))
            if written.value:
                chunks.append(ctypes.string_at(out, written.value))
            if i < n and not written.value:
                missing = lib.cheriot_tracefmt_missing(f)
                pc, bits = missing >> 32, missing & 0xFFFF_FFFF
                text = self._prefix(pc, bits).encode()
                if not text or len(text) >= self._capacity // 2:
                    raise ValueError(f"a trace line cannot start with {text[:80]!r}...")
                if lib.cheriot_tracefmt_add(f, pc, bits, text, len(text)):
                    raise MemoryError("the trace formatter could not keep a line's start")
        recorder.core.trace_len = 0
        return b"".join(chunks)

    def close_line(self) -> bool:
        """The open line is complete (the caller writes its newline): whether one was open."""
        return bool(self._lib.cheriot_tracefmt_close(self._f))

    @property
    def lines(self) -> int:
        return int(self._lib.cheriot_tracefmt_lines(self._f))

    def free(self) -> None:
        if self._f:
            self._lib.cheriot_tracefmt_free(self._f)
            self._f = None


# --- x1-x15 and the PC in one call ------------------------------------------------------------
# Unicorn's Python reg_read costs over a microsecond of binding code per register, and the engine
# copies all fifteen general-purpose registers after every run (and again when a debugger reads
# them): for gdb, which runs one instruction at a time, that copy was the largest part of a
# single-step. One uc_reg_read_batch call does it in about two microseconds. Values land in
# 64-bit slots (wider than any RV32 register) that are cleared before each read.

_COUNT = 16  # x1..x15, then pc


def emu_starter(uc: Uc) -> Callable[[int, int, int, int], int]:
    """``uc_emu_start`` of ``uc`` itself, returning Unicorn's status: the binding's ``emu_start``
    adds a Python frame and a check for exceptions raised in the binding's own Python hooks,
    which this project never registers (every hook is C, or a ctypes callback that records its
    own exceptions). Its status is an error to raise as ``UcError``."""
    return functools.partial(_binding.uclib.uc_emu_start, uc._uch)


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
        self._pc_id = (ctypes.c_int * 1)(UC_RISCV_REG_PC)
        self._pc_pointer = (ctypes.c_void_p * 1)(base + 8 * 15)

    def read(self) -> tuple[list[int], int]:
        """(x1..x15, pc)."""
        ctypes.memset(self._values, 0, ctypes.sizeof(self._values))
        err = self._read(self._uc._uch, self._ids, self._pointers, _COUNT)
        if err:
            raise EngineError(f"uc_reg_read_batch failed with Unicorn error {err}")
        values = self._values[:]
        return values[:15], values[15] & 0xFFFF_FFFF

    def pc(self) -> int:
        """The PC alone, in one call (the binding's reg_read goes through three frames)."""
        self._values[15] = 0
        err = self._read(self._uc._uch, self._pc_id, self._pc_pointer, 1)
        if err:
            raise EngineError(f"uc_reg_read_batch failed with Unicorn error {err}")
        return self._values[15] & 0xFFFF_FFFF


# uc_mmio_map's callbacks (unicorn.h uc_cb_mmio_read_t / uc_cb_mmio_write_t).
_MMIO_READ = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint,
                              ctypes.c_void_p)
_MMIO_WRITE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint,
                               ctypes.c_uint64, ctypes.c_void_p)


def map_mmio(uc: Uc, base: int, size: int, read, write) -> tuple[object, object]:  # noqa: ANN001
    """Map [base, base+size) as a device window whose accesses call ``read(uc, offset, width,
    None)`` and ``write(uc, offset, width, value, None)`` straight from C; the binding's
    mmio_map wraps each call in two more Python frames. They must not raise. Returns the
    callback objects, which must be kept alive as long as the mapping."""
    callbacks = (_MMIO_READ(read), _MMIO_WRITE(write))
    err = _binding.uclib.uc_mmio_map(uc._uch, base, size,
                                     ctypes.cast(callbacks[0], ctypes.c_void_p), None,
                                     ctypes.cast(callbacks[1], ctypes.c_void_p), None)
    if err:
        raise EngineError(f"uc_mmio_map failed with Unicorn error {err}")
    return callbacks
