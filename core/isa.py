"""Which optional ISA features a board's core has: extensions and implementation registers.

One ``Isa`` is fixed per engine (the board description's ``emulator.isa``, docs/boards.md).
The decoder makes an instruction of a missing extension illegal; the CSR/SCR code consults
``scrs`` for registers only some cores have, and ``misa`` reports what is present.

Extensions (lower-case, as in a ``-march`` string): the ratified bit-manipulation set
``zba zbb zbs zbkb zbkc zbc zbkx``. Defaults per core, checked against the sources:

* ``SAIL``: the current CHERIoT Sail model (CHERIoT-Platform/cheriot-sail, since Oct 2025)
  enables Zba, Zbb, Zbs, Zbkb, Zbc and Zbkx and sets misa.B.
* ``CHERIOT_IBEX``: what CHERIoT LLVM's ``-mcpu=cheriot-ibex`` targets (the RTOS uses it for
  the ibex-safe-simulator and sonata boards): ``FeatureStdExtB`` (Zba, Zbb, Zbs) plus
  ``FeatureStdExtZbkb`` and ``FeatureStdExtZbkc`` (CHERIoT-Platform/llvm-project
  ``llvm/lib/Target/RISCV/RISCVProcessors.td``); the core also has the ZTOPC stack-zeroing
  SCR (27, cheriot-ibex ``rtl/cheri_stkz.sv``).
"""

from __future__ import annotations

from dataclasses import dataclass

EXTENSIONS = ("zba", "zbb", "zbs", "zbkb", "zbkc", "zbc", "zbkx")
SCRS = ("ztopc",)  # implementation-specific special capability registers by name
SCR_ZTOPC = 27

MISA_BASE = 0x4000_1014  # MXL=1 (RV32) | M (bit 12) | E (bit 4) | C (bit 2)
MISA_B = 1 << 1


@dataclass(frozen=True, slots=True)
class Isa:
    """The optional parts of one core. The default has everything (a disassembler's view)."""

    extensions: frozenset[str] = frozenset(EXTENSIONS)
    scrs: frozenset[str] = frozenset()

    def has(self, extension: str) -> bool:
        return extension in self.extensions

    @property
    def misa(self) -> int:
        """misa as the core reads it: B when Zba, Zbb and Zbs are all present (B's definition)."""
        b = {"zba", "zbb", "zbs"} <= self.extensions
        return MISA_BASE | (MISA_B if b else 0)

    def describe(self) -> str:
        ext = "_".join(e for e in EXTENSIONS if e in self.extensions)
        return "rv32emc" + (f"_{ext}" if ext else "") + "".join(f" +{s}" for s in sorted(self.scrs))


ALL = Isa()
BASE = Isa(frozenset())
SAIL = Isa(frozenset({"zba", "zbb", "zbs", "zbkb", "zbc", "zbkx"}))
CHERIOT_IBEX = Isa(frozenset({"zba", "zbb", "zbs", "zbkb", "zbkc"}), frozenset({"ztopc"}))

# Core names a board's ``emulator.isa`` may use (and the RTOS ``cpu`` values they match).
CORES = {"sail": SAIL, "cheriot": SAIL, "cheriot-ibex": CHERIOT_IBEX, "base": BASE}
