"""How a CHERIoT hart looks to gdb: the register table, the value encodings, the trap signals.

This is the only stub module that knows CHERIoT (it imports ``core``); the RSP layers only see the
``RegisterTable`` it builds. Layout rules come from debuggers.md §5.3 (measured on gdb 13.1):

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
from typing import Protocol

from ..core.capability import OTYPE_NAMES, Cap, Perm
from ..core.hart import CAP_REG_NAMES, INT_REG_NAMES, MCAUSE_CHERI, SCR_NAMES
from ..core.stops import TrapInfo
from .signals import GdbSignal
from .tdesc import BitField, EnumType, Feature, FlagsType, RegisterSpec, RegisterTable, StructType

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

PERMS_TYPE = FlagsType("cheriot_perms", 2, tuple(
    BitField(p.name, p.value.bit_length() - 1, p.value.bit_length() - 1) for p in Perm))
OTYPE_TYPE = EnumType("cheriot_otype", 1, tuple(
    (name.replace("-", "_"), value) for value, name in sorted(OTYPE_NAMES.items())))
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


class CheriotRegisterState(Protocol):
    """What the machine provides for the register view. Writes may raise RegisterWriteError."""

    def read_int(self, index: int) -> int: ...
    def write_int(self, index: int, value: int) -> None: ...
    def read_pc(self) -> int: ...
    def write_pc(self, value: int) -> None: ...
    def read_capability(self, name: str) -> Cap: ...
    def write_capability(self, name: str, fields: CapFields) -> None:
        """gdb wrote the whole struct (read-modify-write); compare with the current value to see
        what the user changed, and refuse (RegisterWriteError) what the policy forbids."""
        ...
    def read_csr(self, name: str) -> int: ...
    def write_csr(self, name: str, value: int) -> None: ...


class CheriotRegisterFile:
    """``register_table``/``read_register``/``write_register`` of a Target, over the machine.

    Writes that leave a register unchanged are dropped, so a whole-block ``G`` (or gdb writing
    a struct back) does not turn every capability into an integer.
    """

    def __init__(self, state: CheriotRegisterState) -> None:
        self.state = state
        self.table = build_register_table()
        self._csr = {CSR_REGNUM_BASE + number: name for name, number in CSRS}
        self._cap = {CAP_REGNUM_BASE + reg6: name for name, reg6, _ in CAPABILITY_REGISTERS}

    def register_table(self) -> RegisterTable:
        return self.table

    def read_register(self, regnum: int) -> bytes:
        s = self.state
        if regnum < len(INT_REG_NAMES):
            return s.read_int(regnum).to_bytes(4, "little")
        if regnum == PC_REGNUM:
            return s.read_pc().to_bytes(4, "little")
        if regnum in self._csr:
            return s.read_csr(self._csr[regnum]).to_bytes(4, "little")
        return encode_capability(capability_fields(s.read_capability(self._cap[regnum])))

    def write_register(self, regnum: int, data: bytes) -> None:
        if data == self.read_register(regnum):
            return
        s = self.state
        if regnum < len(INT_REG_NAMES):
            s.write_int(regnum, int.from_bytes(data, "little"))
        elif regnum == PC_REGNUM:
            s.write_pc(int.from_bytes(data, "little"))
        elif regnum in self._csr:
            s.write_csr(self._csr[regnum], int.from_bytes(data, "little"))
        else:
            s.write_capability(self._cap[regnum], decode_capability(data))


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
