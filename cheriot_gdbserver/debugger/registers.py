"""How a CHERIoT hart looks to gdb: the register table, the value encodings, the trap signals.

The protocol layer (gdbstub/) only sees the ``RegisterTable`` built here. Layout rules come from
debuggers.md §5.3 (measured on gdb 13.1):

* ``org.gnu.gdb.riscv.cpu``: the 16 RV32E integer registers (regnums 0-15) and ``pc`` (32), all
  32 bits; these form the ``g`` block. gdb accepts 16 GPRs for rv32.
* ``org.gnu.gdb.riscv.csr``: a few CSRs at gdb's own numbering, 65 + CSR address.
* ``org.cheriot.gdbserver.cap``: every capability register as a struct (address, base, top,
  length, perms, otype, tag), group ``cheri`` (``info registers cheri``). Numbers are
  0x2000 + the 6-bit register number mtval uses (isa.md §7.2): clear of the CSR range.
  The struct has no ``size``, so gdb lays its typed fields out back to back (28 bytes).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..core.capability import OTYPE_NAMES, PERM_ORDER, Cap, Perm
from ..core.hart import CAP_REG_NAMES, INT_REG_NAMES, MCAUSE_CHERI, SCR_NAMES
from ..core.stops import TrapInfo
from ..gdbstub.signals import GdbSignal
from ..gdbstub.tdesc import (
    BitField,
    EnumType,
    Feature,
    FlagsType,
    RegisterSpec,
    RegisterTable,
    StructType,
)

ARCHITECTURE = "riscv:rv32"
CPU_FEATURE = "org.gnu.gdb.riscv.cpu"
CSR_FEATURE = "org.gnu.gdb.riscv.csr"
CAP_FEATURE = "org.cheriot.gdbserver.cap"
CAP_GROUP = "cheri"

PC_REGNUM = 32      # gdb's RISC-V numbering: pc follows x0-x31
CSR_REGNUM_BASE = 65
CAP_REGNUM_BASE = 0x2000
REG6_PCC = 0x20     # isa.md §7.2: 0x20 is PCC, 0x3C-0x3F the SCRs (0x20 | SCR number)

# Types of the integer registers, as in gdb's own riscv 32bit-cpu description.
_INT_TYPES = {"ra": "code_ptr", "sp": "data_ptr", "gp": "data_ptr", "tp": "data_ptr",
              "s0": "data_ptr"}
_EXPEDITED = frozenset({"ra", "sp", "s0"})  # with pc: what gdb needs to unwind after a stop

CSRS = (("mstatus", 0x300), ("mie", 0x304), ("mtvec", 0x305), ("mepc", 0x341),
        ("mcause", 0x342), ("mtval", 0x343), ("mip", 0x344), ("mcycle", 0xB00),
        ("minstret", 0xB02), ("mshwm", 0xBC1), ("mshwmb", 0xBC2))

# Capability registers: (name, 6-bit register number, executable?). Executable ones show their
# address as code (gdb prints the symbol), the others as data pointers.
CAPABILITY_REGISTERS: tuple[tuple[str, int, bool], ...] = (
    *((name, i, name == "cra") for i, name in enumerate(CAP_REG_NAMES) if i),
    ("pcc", REG6_PCC, True),
    *((name, 0x20 | scr, name in ("mtcc", "mepcc")) for scr, name in sorted(SCR_NAMES.items())),
)

# gdb prints flags in field order: PERM_ORDER, the order of capability.describe too.
PERMS_TYPE = FlagsType("cheriot_perms", 2, tuple(
    BitField(name, Perm[name].bit_length() - 1, Perm[name].bit_length() - 1)
    for name in PERM_ORDER))
OTYPE_TYPE = EnumType("cheriot_otype", 1, tuple(
    (name, value) for value, name in sorted(OTYPE_NAMES.items())))
# address and base use the pointer type so gdb prints them in hex (with a symbol for code);
# top is 33 bits wide (it may be 2**32), so it and length are uint64.
_CAP_FIELDS = (("top", "uint64"), ("length", "uint64"), ("perms", PERMS_TYPE.id),
               ("otype", OTYPE_TYPE.id), ("tag", "bool"))
CODE_CAP_TYPE = StructType("cheriot_code_cap",
                           (("address", "code_ptr"), ("base", "code_ptr"), *_CAP_FIELDS))
DATA_CAP_TYPE = StructType("cheriot_data_cap",
                           (("address", "data_ptr"), ("base", "data_ptr"), *_CAP_FIELDS))
_CAP_LAYOUT = struct.Struct("<IIQQHBB")  # field for field the struct above
CAP_BYTES = _CAP_LAYOUT.size


@dataclass(frozen=True, slots=True)
class CapFields:
    """A capability register as gdb shows it (and writes it back, whole, after ``set``)."""

    address: int
    base: int
    top: int
    length: int
    perms: int
    otype: int
    tag: bool


def capability_fields(cap: Cap) -> CapFields:
    """Decode a register value into the fields gdb shows (bounds via core.capability)."""
    base, top = cap.bounds
    return CapFields(cap.address, base, top, cap.length, cap.perms, cap.otype, cap.tag)


def encode_capability(fields: CapFields) -> bytes:
    """The register's bytes on the wire: the struct fields in order, little-endian."""
    return _CAP_LAYOUT.pack(fields.address, fields.base, fields.top, fields.length,
                            fields.perms, fields.otype, int(fields.tag))


def decode_capability(data: bytes) -> CapFields:
    """Inverse of ``encode_capability`` (for ``P`` writes)."""
    address, base, top, length, perms, otype, tag = _CAP_LAYOUT.unpack(data)
    return CapFields(address, base, top, length, perms, otype, tag != 0)


GPR_NAMES = CAP_REG_NAMES  # capability view of x0-x15, by index
CSR_BY_REGNUM = {CSR_REGNUM_BASE + number: name for name, number in CSRS}
CAP_BY_REGNUM = {CAP_REGNUM_BASE + reg6: name for name, reg6, _ in CAPABILITY_REGISTERS}


def build_register_table() -> RegisterTable:
    """The CHERIoT register table: cpu (g block), csr and capability features."""
    regs = [RegisterSpec(name, 32, _INT_TYPES.get(name, "int"), i, CPU_FEATURE,
                         in_g_packet=True, expedite=name in _EXPEDITED)
            for i, name in enumerate(INT_REG_NAMES)]
    regs.append(RegisterSpec("pc", 32, "code_ptr", PC_REGNUM, CPU_FEATURE,
                             in_g_packet=True, expedite=True))
    regs += [RegisterSpec(name, 32, "int", CSR_REGNUM_BASE + number, CSR_FEATURE, group="csr")
             for name, number in CSRS]
    regs += [RegisterSpec(name, CAP_BYTES * 8, (CODE_CAP_TYPE if code else DATA_CAP_TYPE).id,
                          CAP_REGNUM_BASE + reg6, CAP_FEATURE, group=CAP_GROUP)
             for name, reg6, code in CAPABILITY_REGISTERS]
    features = (Feature(CPU_FEATURE), Feature(CSR_FEATURE),
                Feature(CAP_FEATURE, (PERMS_TYPE, OTYPE_TYPE, CODE_CAP_TYPE, DATA_CAP_TYPE)))
    return RegisterTable(ARCHITECTURE, features, tuple(regs))


# Trap causes -> gdb signals (isa.md §7.1): faults a program caused by a bad pointer are SEGV,
# misalignment is BUS, an undecodable instruction is ILL, ebreak is TRAP.
_CAUSE_SIGNALS = {
    0: GdbSignal.BUS,    # instruction address misaligned
    1: GdbSignal.SEGV,   # instruction access fault
    2: GdbSignal.ILL,    # illegal instruction
    3: GdbSignal.TRAP,   # breakpoint (ebreak)
    4: GdbSignal.BUS,    # load address misaligned
    5: GdbSignal.SEGV,   # load access fault
    6: GdbSignal.BUS,    # store/AMO address misaligned
    7: GdbSignal.SEGV,   # store/AMO access fault
    MCAUSE_CHERI: GdbSignal.SEGV,  # every CHERI check (tag, seal, permission, bounds)
}


def exception_signal(trap: TrapInfo) -> int:
    """gdb signal for a caught trap; ecall and interrupts are reported as SIGTRAP."""
    if trap.interrupt:
        return GdbSignal.TRAP
    return _CAUSE_SIGNALS.get(trap.mcause & 0x7FFF_FFFF, GdbSignal.TRAP)
