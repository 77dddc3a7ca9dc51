"""Architectural state of the one CHERIoT hart, as the semantics module sees it.

``Hart`` reads and writes the shared ``CoreState`` (so the compiled fast path sees every change)
and keeps the state only Python needs (special capability registers, CSRs). It knows nothing of
Unicorn: the engine copies integer registers in before calling semantics and back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Protocol

from .capability import (
    NULL,
    ROOT_EXE,
    ROOT_MEM,
    ROOT_SEAL,
    Cap,
    get_cap_bounds,
    get_otype,
    get_perms,
)
from .isa import ALL, SCR_ZTOPC
from .state import CoreState

# Special capability register numbers (isa.md §1.4).
SCR_MTCC, SCR_MTDC, SCR_MSCRATCHC, SCR_MEPCC = 28, 29, 30, 31
SCR_NAMES = {SCR_MTCC: "mtcc", SCR_MTDC: "mtdc", SCR_MSCRATCHC: "mscratchc", SCR_MEPCC: "mepcc"}

CAP_REG_NAMES = ("cnull", "cra", "csp", "cgp", "ctp", "ct0", "ct1", "ct2",
                 "cs0", "cs1", "ca0", "ca1", "ca2", "ca3", "ca4", "ca5")
INT_REG_NAMES = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
                 "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5")

MSTATUS_MIE = 1 << 3
MSTATUS_MPIE = 1 << 7
MSTATUS_MPP = 3 << 11
MSTATUS_RESET = 0x0000_1800

# Interrupt bits in mip/mie.
IRQ_MSI, IRQ_MTI, IRQ_MEI = 3, 7, 11

MCAUSE_CHERI = 0x1C


def register_name(reg6: int) -> str:
    """Name of the register an mtval register field (6 bits, isa.md §7.2) designates."""
    if reg6 < 16:
        return CAP_REG_NAMES[reg6]
    if reg6 == 0x20:
        return "pcc"
    return SCR_NAMES.get(reg6 & 0x1F, f"scr{reg6 & 0x1F}")


class Trap(Exception):  # noqa: N818 - a trap is an architectural event, not an error
    """Raised by semantics to take an exception instead of completing the instruction."""

    def __init__(self, mcause: int, mtval: int, description: str = "",
                 capability: Cap | None = None) -> None:
        super().__init__(description or f"mcause={mcause:#x} mtval={mtval:#x}")
        self.mcause = mcause
        self.mtval = mtval
        self.description = description
        self.capability = capability


class AccessFault(Exception):  # noqa: N818 - raised by the bus, turned into a Trap
    """No memory (or a device refusing the access) at an address."""

    def __init__(self, address: int) -> None:
        super().__init__(f"no memory at {address:#010x}")
        self.address = address


class Bus(Protocol):
    """Memory as the semantics module uses it. Every non-capability write clears tags."""

    def load(self, address: int, size: int) -> int: ...
    def store(self, address: int, size: int, value: int) -> None: ...
    def load_cap(self, address: int) -> tuple[int, bool]: ...
    def store_cap(self, address: int, bits: int, tag: bool) -> None: ...
    def revoked(self, address: int) -> bool: ...
    def is_ram(self, address: int) -> bool: ...


class ScrFile(MutableMapping[int, Cap]):
    """The special capability registers as a mapping. MTCC, MTDC, MScratchC and MEPCC (28-31)
    are stored in the shared ``CoreState`` so that the fast path's CSpecialRW sees and makes the
    same changes; ZTOPC (27, CHERIoT-Ibex only) is only ever handled by the reference
    (csr.py), so it lives here, absent until first written."""

    def __init__(self, core: CoreState) -> None:
        self._core = core
        self._reference_only: dict[int, Cap] = {}

    def __getitem__(self, scr: int) -> Cap:
        if scr == SCR_ZTOPC:
            return self._reference_only[scr]
        if scr not in SCR_NAMES:
            raise KeyError(scr)
        i, core = scr - SCR_MTCC, self._core
        return Cap(bool(core.scr_tag[i]), core.scr_x[i], core.scr_meta[i])

    def __setitem__(self, scr: int, cap: Cap) -> None:
        if scr == SCR_ZTOPC:
            self._reference_only[scr] = cap
            return
        if scr not in SCR_NAMES:
            raise KeyError(scr)
        i, core = scr - SCR_MTCC, self._core
        core.scr_x[i], core.scr_meta[i] = cap.address, cap.meta
        core.scr_tag[i] = 1 if cap.tag else 0

    def __delitem__(self, scr: int) -> None:
        raise TypeError("special capability registers cannot be removed")

    def __iter__(self) -> Iterator[int]:
        return iter([*SCR_NAMES, *self._reference_only])

    def __len__(self) -> int:
        return len(SCR_NAMES) + len(self._reference_only)

    def reset(self, values: Mapping[int, Cap]) -> None:
        """Every register to its reset value (``values``); ZTOPC back to absent."""
        self._reference_only.clear()
        for number, cap in values.items():
            self[number] = cap


def _core_field(name: str, doc: str) -> property:
    """A 32-bit CSR that lives in the shared ``CoreState`` (the fast path reads and writes it)."""
    def get(self: Hart) -> int:
        return int(getattr(self.core, name))

    def put(self: Hart, value: int) -> None:
        setattr(self.core, name, value & 0xFFFF_FFFF)
    return property(get, put, doc=doc)


class Hart:
    """Registers, PCC, SCRs and CSRs of the hart, over a shared ``CoreState``."""

    mie = _core_field("mie", "interrupt enables (mie)")
    mip = _core_field("mip", "pending interrupt lines (mip), driven by devices")
    mcause = _core_field("mcause", "trap cause (mcause)")
    mtval = _core_field("mtval", "trap value (mtval)")

    def __init__(self, core: CoreState, bus: Bus, time_source: Callable[[], int]) -> None:
        self.core = core
        self.bus = bus
        self.time_source = time_source  # mtime, for the `time` CSR
        self.isa = ALL        # the core's optional extensions and registers (the engine sets it)
        self.pc = 0           # address of the instruction being executed
        self.next_pc = 0      # where execution continues (semantics sets it)
        self._scr = ScrFile(core)
        self.mscratch = 0
        self.reset(0)

    @property
    def scr(self) -> ScrFile:
        """MTCC, MTDC, MScratchC and MEPCC by number (isa.md §1.4)."""
        return self._scr

    @scr.setter
    def scr(self, values: Mapping[int, Cap]) -> None:
        for number, cap in values.items():
            self._scr[number] = cap

    def reset(self, pc: int) -> None:
        core = self.core
        for i in range(16):
            self.write_cap(i, NULL)
        self.set_pcc(ROOT_EXE.with_address(pc))
        self.pc = self.next_pc = pc
        self._scr.reset({SCR_MTCC: ROOT_EXE, SCR_MTDC: ROOT_MEM, SCR_MSCRATCHC: ROOT_SEAL,
                         SCR_MEPCC: ROOT_EXE})
        core.mstatus = MSTATUS_RESET
        core.mshwm = core.mshwmb = 0
        core.instret = 0
        self.mie = self.mip = self.mcause = self.mtval = self.mscratch = 0
        # mcountinhibit (csr.py): per counter bit (0 cycle, 2 instret) how far the visible
        # counter lags core.instret, and its value while inhibited.
        self.mcountinhibit = 0
        self.counter_lag = {0: 0, 2: 0}
        self.counter_frozen = {0: 0, 2: 0}

    # --- general-purpose capability registers -------------------------------------------------

    def read_cap(self, i: int) -> Cap:
        if i == 0:
            return NULL
        core = self.core
        return Cap(bool(core.tag[i]), core.x[i], core.meta[i])

    def read_x(self, i: int) -> int:
        return self.core.x[i] if i else 0

    def write_cap(self, i: int, cap: Cap) -> None:
        if i == 0:
            return
        core = self.core
        core.x[i] = cap.address
        core.meta[i] = cap.meta
        core.tag[i] = 1 if cap.tag else 0
        if cap.tag:
            base, top = get_cap_bounds(cap.meta, cap.address)
            core.base[i] = base
            core.top[i] = top
            core.perms[i] = get_perms(cap.meta)
            core.otype[i] = get_otype(cap.meta)
        core.xdirty |= 1 << i

    def write_int(self, i: int, value: int) -> None:
        """An integer result: NULL-derived, so tag and metadata are cleared (isa.md §1.2)."""
        self.write_cap(i, Cap.integer(value))

    # --- PCC --------------------------------------------------------------------------------

    @property
    def pcc(self) -> Cap:
        core = self.core
        return Cap(bool(core.pcc_tag), self.pc, core.pcc_meta)

    def set_pcc(self, cap: Cap) -> None:
        """Install a new PCC; bounds and permissions are decoded once, at install (isa.md §1.3)."""
        core = self.core
        core.pcc_tag = 1 if cap.tag else 0
        core.pcc_meta = cap.meta
        base, top = get_cap_bounds(cap.meta, cap.address)
        core.pcc_base = base
        core.pcc_top = top
        core.pcc_perms = get_perms(cap.meta)

    @property
    def pcc_bounds(self) -> tuple[int, int]:
        return self.core.pcc_base, self.core.pcc_top

    # --- status ------------------------------------------------------------------------------

    @property
    def mstatus(self) -> int:
        return self.core.mstatus

    @mstatus.setter
    def mstatus(self, value: int) -> None:
        self.core.mstatus = value & 0xFFFF_FFFF

    @property
    def mie_enabled(self) -> bool:
        return bool(self.core.mstatus & MSTATUS_MIE)

    def set_mie_enabled(self, enabled: bool) -> None:
        if enabled:
            self.core.mstatus |= MSTATUS_MIE
        else:
            self.core.mstatus &= ~MSTATUS_MIE & 0xFFFF_FFFF

    @property
    def instret(self) -> int:
        return self.core.instret
