"""The CHERIoT capability codec: pure functions over (tag, address, metadata word).

Everything about the bit layout of a capability lives here and nowhere else (isa.md §2-§4).
A register's architectural state is exactly ``(tag, address, metadata word)``; every other field
(bounds, permissions, object type) is decoded on demand, as the Sail model does.
Names follow the Sail functions where one exists (``set_cap_bounds`` ~ ``setCapBounds``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import IntEnum, IntFlag

MASK32 = 0xFFFF_FFFF
TOP_LIMIT = 1 << 32  # largest possible (exclusive) top

# Metadata-word fields (isa.md §2.2).
R_MASK = 0x8000_0000
P_SHIFT, P_MASK = 25, 0x3F
OT_SHIFT, OT_MASK = 22, 0x7
E_SHIFT, E_MASK = 18, 0xF
T_SHIFT, MANTISSA_MASK = 9, 0x1FF
BOUNDS_FIELDS = (E_MASK << E_SHIFT) | (MANTISSA_MASK << T_SHIFT) | MANTISSA_MASK
MAX_EXPONENT = 14  # largest exponent below the special value 24 (E field 0xF)
FULL_EXPONENT = 24


class Perm(IntFlag):
    """Architectural permission bits as CGetPerm returns them (isa.md §3.1)."""

    GL = 0x001  # global
    LG = 0x002  # load-global
    SD = 0x004  # store data
    LM = 0x008  # load-mutable
    SL = 0x010  # store-local
    LD = 0x020  # load data
    MC = 0x040  # load/store capabilities
    SR = 0x080  # access system registers
    EX = 0x100  # execute
    US = 0x200  # unseal
    SE = 0x400  # seal
    U0 = 0x800  # software-defined


ALL_PERMS = 0xFFF
SEALING_PERMS = Perm.SE | Perm.US | Perm.U0
# The order in which gdb (the target description's flags type), the monitor and reports list
# permission names: bit order, as CGetPerm returns them.
PERM_ORDER = tuple(p.name for p in Perm if p.name)  # Flag members all have names
# The CHERIoT RTOS's own notation (cheriot-rtos docs/Debugging.md, sdk/lib/debug/debug.cc):
# "G RWcgml Xa SU0", one letter or '-' per permission, in these groups.
RTOS_PERM_GROUPS = (((Perm.GL, "G"),),
                    ((Perm.LD, "R"), (Perm.SD, "W"), (Perm.MC, "c"), (Perm.LG, "g"),
                     (Perm.LM, "m"), (Perm.SL, "l")),
                    ((Perm.EX, "X"), (Perm.SR, "a")),
                    ((Perm.SE, "S"), (Perm.US, "U"), (Perm.U0, "0")))


class OType(IntEnum):
    """Object types with a hardware meaning (isa.md §4.1); 6-7 and 9-15 are software types."""

    UNSEALED = 0
    SENTRY_INHERIT = 1
    SENTRY_DISABLE = 2
    SENTRY_ENABLE = 3
    RETURN_SENTRY_DISABLE = 4
    RETURN_SENTRY_ENABLE = 5


# Names as gdb prints the otype enum of the target description; other values print as numbers.
OTYPE_NAMES = {
    0: "unsealed",
    1: "sentry",
    2: "sentry_disable_irq",
    3: "sentry_enable_irq",
    4: "return_sentry_disable_irq",
    5: "return_sentry_enable_irq",
}


# --- field access -------------------------------------------------------------------------------

def exponent(meta: int) -> int:
    """Decoded exponent: the E field, or 24 when E is 0xF (isa.md §2.4)."""
    e = (meta >> E_SHIFT) & E_MASK
    return FULL_EXPONENT if e == 0xF else e


def get_cap_bounds(meta: int, address: int) -> tuple[int, int]:
    """Decode (base, top) of a capability at ``address`` (isa.md §2.5, Sail getCapBoundsBits).

    ``top`` is 33 bits wide and may equal 2**32.
    """
    b = meta & MANTISSA_MASK
    t = (meta >> T_SHIFT) & MANTISSA_MASK
    e = exponent(meta)
    a_mid = (address >> e) & MANTISSA_MASK
    a_top = address >> (e + 9)
    a_hi = 1 if a_mid < b else 0
    t_hi = 1 if t < b else 0
    base = (((a_top - a_hi) << (e + 9)) + (b << e)) & MASK32
    top = (((a_top + t_hi - a_hi) << (e + 9)) + (t << e)) & ((1 << 33) - 1)
    return base, top


def decompress_perms(p: int) -> int:
    """Expand the 6-bit compressed permission field into the 12 architectural bits (isa.md §3.2).

    The formats are tested in the order the specification lists them, so ``10000`` is the
    write-only format and never data-only.
    """
    perms = Perm.GL if p & 0x20 else 0
    q = p & 0x1F
    if q >> 3 == 0b11:  # memory capability read-write: 1 1 SL LM LG
        perms |= Perm.LD | Perm.MC | Perm.SD
        perms |= (Perm.SL if q & 4 else 0) | (Perm.LM if q & 2 else 0) | (Perm.LG if q & 1 else 0)
    elif q >> 2 == 0b101:  # memory capability read-only: 1 0 1 LM LG
        perms |= Perm.LD | Perm.MC | (Perm.LM if q & 2 else 0) | (Perm.LG if q & 1 else 0)
    elif q == 0b10000:  # memory capability write-only
        perms |= Perm.SD | Perm.MC
    elif q >> 2 == 0b100:  # memory data-only: 1 0 0 LD SD
        perms |= (Perm.LD if q & 2 else 0) | (Perm.SD if q & 1 else 0)
    elif q >> 3 == 0b01:  # executable: 0 1 SR LM LG
        perms |= Perm.EX | Perm.LD | Perm.MC
        perms |= (Perm.SR if q & 4 else 0) | (Perm.LM if q & 2 else 0) | (Perm.LG if q & 1 else 0)
    else:  # sealing: 0 0 U0 SE US
        perms |= (Perm.U0 if q & 4 else 0) | (Perm.SE if q & 2 else 0) | (Perm.US if q & 1 else 0)
    return int(perms)


def compress_perms(perms: int) -> int:
    """Encode an arbitrary permission set, dropping what its format cannot hold (isa.md §3.3)."""
    gl, lg, sd, lm, sl, ld, mc, sr, ex, us, se, u0 = _PERM_BITS  # plain ints: fast at import
    def has(*bits: int) -> bool:
        return all(perms & bit for bit in bits)

    p_gl = 0x20 if perms & gl else 0
    if has(ex, ld, mc):
        q = 0b01000 | (4 if perms & sr else 0) | (2 if perms & lm else 0) \
            | (1 if perms & lg else 0)
    elif has(ld, mc, sd):
        q = 0b11000 | (4 if perms & sl else 0) | (2 if perms & lm else 0) \
            | (1 if perms & lg else 0)
    elif has(ld, mc):
        q = 0b10100 | (2 if perms & lm else 0) | (1 if perms & lg else 0)
    elif has(sd, mc):
        q = 0b10000
    elif perms & (ld | sd):
        q = 0b10000 | (2 if perms & ld else 0) | (1 if perms & sd else 0)
    else:
        q = (4 if perms & u0 else 0) | (2 if perms & se else 0) | (1 if perms & us else 0)
    return p_gl | q


_PERM_BITS = tuple(int(Perm[name]) for name in
                   ("GL", "LG", "SD", "LM", "SL", "LD", "MC", "SR", "EX", "US", "SE", "U0"))


# The compressed field has only 64 values: decode each once (the functions above stay the
# readable definition; these tables are what the hot paths use).
PERMS_OF_P = tuple(decompress_perms(p) for p in range(64))
P_OF_PERMS = bytes(compress_perms(perms) for perms in range(ALL_PERMS + 1))


def legalise_perms(perms: int) -> int:
    """The permission set that actually results from asking for ``perms``."""
    return PERMS_OF_P[P_OF_PERMS[perms & ALL_PERMS]]


def get_perms(meta: int) -> int:
    return PERMS_OF_P[(meta >> P_SHIFT) & P_MASK]


def with_perms(meta: int, perms: int) -> int:
    """Replace the permission field (legalising); otype, bounds and R are kept bit for bit."""
    return (meta & ~(P_MASK << P_SHIFT) & MASK32) | (P_OF_PERMS[perms & ALL_PERMS] << P_SHIFT)


def is_executable_format(meta: int) -> bool:
    return ((meta >> (P_SHIFT + 3)) & 0b11) == 0b01


def get_otype(meta: int) -> int:
    """4-bit architectural object type from the 3-bit OT field (isa.md §4.1)."""
    ot = (meta >> OT_SHIFT) & OT_MASK
    if ot == 0:
        return 0
    return ot if is_executable_format(meta) else 8 + ot


def with_otype(meta: int, otype: int) -> int:
    """Replace the otype field; only ``otype[2:0]`` is stored."""
    return (meta & ~(OT_MASK << OT_SHIFT) & MASK32) | ((otype & OT_MASK) << OT_SHIFT)


# --- bounds setting (isa.md §2.8 - §2.10) -------------------------------------------------------

def _extract(b: int, t: int, e: int) -> tuple[int, int, bool]:
    b10 = (b >> e) & 0x3FF
    t10 = (t >> e) & 0x3FF
    lost_t = (t & ((1 << e) - 1)) != 0
    if lost_t:
        t10 = (t10 + 1) & 0x3FF
    return b10, t10, lost_t


def set_cap_bounds(base: int, length: int) -> tuple[int, bool]:
    """Bounds fields for [base, base+length) rounded outwards (Sail setCapBounds).

    Returns ``(bounds_fields, exact)`` where ``bounds_fields`` holds only E, T and B in their
    metadata-word positions.
    """
    t = base + length
    e = (length >> 9).bit_length()
    if e > MAX_EXPONENT:
        e = FULL_EXPONENT
    b10, t10, lost_t = _extract(base, t, e)
    if ((t10 - b10) & 0x3FF) > 511:  # rounding made it too long: one retry at e + 1
        e = e + 1 if e < MAX_EXPONENT else FULL_EXPONENT
        b10, t10, lost_t = _extract(base, t, e)
    exact = (base & ((1 << e) - 1)) == 0 and not lost_t
    e_field = 0xF if e == FULL_EXPONENT else e
    fields = (e_field << E_SHIFT) | ((t10 & MANTISSA_MASK) << T_SHIFT) | (b10 & MANTISSA_MASK)
    return fields, exact


def set_cap_bounds_round_down(base: int, length: int) -> int:
    """Bounds fields keeping ``base`` exact, shrinking the length (Sail setCapBoundsRoundDown)."""
    t = base + length
    e_l = (length >> 9).bit_length()
    e_b = (base & -base).bit_length() - 1 if base else 32
    e = min(MAX_EXPONENT, e_l, e_b)
    b = (base >> e) & MANTISSA_MASK
    if e_l > e_b or e_l > MAX_EXPONENT:
        t_field = (b - 1) & MANTISSA_MASK  # the longest length this exponent allows
    else:
        t_field = (t >> e_l) & MANTISSA_MASK
    return (e << E_SHIFT) | (t_field << T_SHIFT) | b


def with_bounds_fields(meta: int, fields: int) -> int:
    return (meta & ~BOUNDS_FIELDS & MASK32) | fields


def representable_alignment_mask(length: int) -> int:
    """CRAM (Sail getRepresentableAlignmentMask)."""
    fields, _ = set_cap_bounds(0, length & MASK32)
    return (MASK32 << exponent(fields)) & MASK32


def representable_length(length: int) -> int:
    """CRRL (Sail getRepresentableLength); may wrap to 0 near 2**32."""
    mask = representable_alignment_mask(length)
    return ((length + (~mask & MASK32)) & mask) & MASK32


# --- the capability value -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Cap:
    """A capability exactly as a register or a tagged granule holds it."""

    tag: bool
    address: int
    meta: int

    @property
    def bounds(self) -> tuple[int, int]:
        return get_cap_bounds(self.meta, self.address)

    @property
    def base(self) -> int:
        return get_cap_bounds(self.meta, self.address)[0]

    @property
    def top(self) -> int:
        return get_cap_bounds(self.meta, self.address)[1]

    @property
    def length(self) -> int:
        """(top - base) mod 2**33, as CGetLen computes it before saturation."""
        base, top = self.bounds
        return (top - base) & ((1 << 33) - 1)

    @property
    def perms(self) -> int:
        return get_perms(self.meta)

    @property
    def otype(self) -> int:
        return get_otype(self.meta)

    @property
    def sealed(self) -> bool:
        return get_otype(self.meta) != 0

    @property
    def exponent(self) -> int:
        return exponent(self.meta)

    @property
    def bits(self) -> int:
        """The 64-bit memory image: metadata word above the address."""
        return (self.meta << 32) | self.address

    def has(self, perms: int) -> bool:
        return (self.perms & perms) == perms

    def in_bounds(self, address: int, size: int) -> bool:
        """base <= address and address + size <= top, on unbounded integers (isa.md §2.6)."""
        base, top = self.bounds
        return base <= address and address + size <= top

    def with_address(self, address: int) -> Cap:
        return Cap(self.tag, address & MASK32, self.meta)

    def with_tag(self, tag: bool) -> Cap:
        return Cap(tag, self.address, self.meta)

    def with_meta(self, meta: int) -> Cap:
        return Cap(self.tag, self.address, meta & MASK32)

    def is_representable(self, address: int) -> bool:
        """Sail's definition: the bounds decode identically at the new address (isa.md §2.7)."""
        return get_cap_bounds(self.meta, address & MASK32) == self.bounds

    def set_address(self, address: int) -> Cap:
        """The capability moved to ``address``, untagged if that is not representable."""
        address &= MASK32
        ok = self.is_representable(address)
        return Cap(self.tag and ok, address, self.meta)

    @staticmethod
    def from_bits(bits: int, tag: bool) -> Cap:
        return Cap(tag, bits & MASK32, (bits >> 32) & MASK32)

    @staticmethod
    def integer(value: int) -> Cap:
        """A NULL-derived value: what every integer result is (isa.md §1.2)."""
        return Cap(False, value & MASK32, 0)


ROOT_MEM_META = 0x7E3E_0000   # memory root: GL LG SD LM SL LD MC, [0, 2**32)
ROOT_EXE_META = 0x5E3E_0000   # executable root: GL LG LM LD MC SR EX
ROOT_SEAL_META = 0x4E3E_0000  # sealing root: GL US SE U0

NULL = Cap(False, 0, 0)
ROOT_MEM = Cap(True, 0, ROOT_MEM_META)
ROOT_EXE = Cap(True, 0, ROOT_EXE_META)
ROOT_SEAL = Cap(True, 0, ROOT_SEAL_META)


# --- derivation (the one rule for every write a debugger makes) -------------------------------

def is_derivable(parent: Cap, child: Cap) -> bool:
    """Could a sequence of instructions turn ``parent`` into ``child``?

    The monotonicity rule of isa.md §1.2, as a subset predicate: an untagged value carries no
    authority and is always derivable. A tagged ``child`` needs a tagged ``parent`` and must be
    what CSetAddr, CSetBounds and CAndPerm can make of it:

    * a sealed capability cannot be changed at all, and nothing can be sealed or unsealed
      (CSeal/CUnseal need an authority the parent is not);
    * bounds only shrink, are never inverted and stay within 2**32 (§2.5: every tagged
      capability has ``base <= top <= 2**32``);
    * permissions only lose bits; the reserved bit stays 0 (§2.2);
    * the address is representable within the child's own bounds (§2.7), as CSetAddr demands.
    """
    if not child.tag:
        return True
    if not parent.tag or child.meta & R_MASK:
        return False
    if parent.sealed or child.sealed:  # only CAndPerm clearing GL keeps a sealed tag (§5.11)
        local = parent.with_meta(parent.meta & ~(0x20 << P_SHIFT))  # P[5] is GL
        return child in (parent, local)
    pbase, ptop = parent.bounds
    cbase, ctop = child.bounds
    if not (pbase <= cbase <= ctop <= min(ptop, TOP_LIMIT)):
        return False
    if child.perms & ~parent.perms:
        return False
    e = child.exponent
    return e == FULL_EXPONENT or cbase <= child.address < cbase + (1 << (e + 9))


# --- presentation (one place, shared by gdb, monitor commands and reports) ----------------------

def perm_names(perms: int) -> list[str]:
    return list(_perm_names(perms))


@functools.lru_cache(maxsize=4096)  # one entry per permission set (12 bits)
def _perm_names(perms: int) -> tuple[str, ...]:
    return tuple(name for name in PERM_ORDER if perms & Perm[name])


def otype_name(otype: int) -> str:
    """The otype as gdb shows it: the enum name, or the number for a software type."""
    return OTYPE_NAMES.get(otype, str(otype))


def describe(cap: Cap) -> str:
    """The field view: gdb's capability struct (fields, order, permission order) in one stable,
    parseable line, numbers in hex. Used by monitor commands, reports and traces."""
    meta = cap.meta
    base, top = get_cap_bounds(meta, cap.address)
    return (f"address={cap.address:#010x} base={base:#010x} top={top:#010x} "
            f"length={(top - base) & ((1 << 33) - 1):#x} perms=[{_perm_text(get_perms(meta))}] "
            f"otype={otype_name(get_otype(meta))} tag={int(cap.tag)}")


@functools.lru_cache(maxsize=4096)
def _perm_text(perms: int) -> str:
    return " ".join(_perm_names(perms))


def rtos_notation(cap: Cap) -> str:
    """The CHERIoT RTOS's own rendering of a pointer (its debug log format), e.g.
    ``0x800058e0 (v:1 0x800058e0-0x800058ec l:0xc o:0xb p: G RWcgm- -- ---)``.

    Differs from the RTOS in one place: a top of 2**32 is written 0x100000000 (the RTOS prints
    the 32-bit truncation, 0x0).
    """
    base, top = cap.bounds
    groups = " ".join("".join(letter if cap.perms & perm else "-" for perm, letter in group)
                      for group in RTOS_PERM_GROUPS)
    return (f"{cap.address:#x} (v:{int(cap.tag)} {base:#x}-{top:#x} l:{cap.length:#x} "
            f"o:{cap.otype:#x} p: {groups})")
