"""What a register write from gdb may do: exactly what instructions could do, or nothing.

gdb writes a capability register as a whole struct (read, change one field, write back), or the
integer view of a register (``set $a0 = 5``, ``set $pc = ...``). Each write is turned into the
capability the instructions a program could run would make of the current value (CSetAddr for
the address, CSetBounds for the bounds, CAndPerm for the permissions, clearing the tag), and the
result must pass the one derivability rule, ``core.capability.is_derivable``, which the engine
also applies to every debugger write of a general-purpose register. Anything else is refused
with a ``RegisterWriteError`` that says why (gdb shows ``E0d``), and nothing changes.
"""

from __future__ import annotations

from ..core.capability import (
    ALL_PERMS,
    TOP_LIMIT,
    Cap,
    Perm,
    is_derivable,
    set_cap_bounds,
    with_bounds_fields,
    with_perms,
)
from ..errors import RegisterWriteError
from .registers import CapFields, capability_fields


def integer_write(current: Cap, value: int) -> Cap:
    """The register after its integer view was set to ``value``: CSetAddr (isa.md §5.7) keeps
    the tag only for an unsealed capability whose new address is representable."""
    moved = current.set_address(value)
    return moved.with_tag(moved.tag and not current.sealed)


def pc_write(current: Cap, address: int) -> Cap:
    """PCC with a new pc. Its bounds were decoded when it was installed (isa.md §1.3), so the
    address may go anywhere: the next fetch checks it."""
    return current.with_address(address)


def field_write(name: str, current: Cap, fields: CapFields) -> Cap:
    """The capability a field-wise edit asks for, derived as instructions would derive it.

    Bounds: CSetAddr to the new base, then CSetBounds with the new length (rounded as the
    hardware rounds), then CSetAddr to the address. Permissions: CAndPerm. Tag: only cleared.
    Widening, inverted bounds, a new object type and a new tag are refused.
    """
    if fields.otype != current.otype:
        raise RegisterWriteError(f"refusing to change the object type of {name} (sealing and "
                                 "unsealing need an authority the debugger does not have)")
    if fields.tag and not current.tag:
        raise RegisterWriteError(f"refusing to set the tag of {name}: a debugger cannot create "
                                 "capabilities")
    base, top = current.bounds
    if name == "pcc":
        if fields != capability_fields(current.with_address(fields.address)):
            raise RegisterWriteError("only the address of pcc (the pc) can be written")
        return pc_write(current, fields.address)
    new = current
    if (fields.base, fields.top) != (base, top) or fields.length != current.length:
        want_base, want_top = fields.base, fields.top
        if fields.length != current.length and (fields.base, fields.top) == (base, top):
            want_top = want_base + fields.length
        new = _narrow_bounds(name, current, want_base, want_top).set_address(fields.address)
    elif fields.address != current.address:
        new = integer_write(current, fields.address)
    if fields.perms != current.perms:
        if fields.perms & ~current.perms and current.tag:
            raise RegisterWriteError(f"refusing to add permissions to {name}")
        new = _and_perm(new, fields.perms | (ALL_PERMS & ~current.perms))
    if not fields.tag:
        new = new.with_tag(False)
    return new


def _narrow_bounds(name: str, current: Cap, want_base: int, want_top: int) -> Cap:
    """CSetAddr(want_base) then CSetBounds(want_top - want_base), refusing what would widen."""
    if want_top < want_base:
        raise RegisterWriteError(f"refusing bounds for {name} with top {want_top:#x} below base "
                                 f"{want_base:#x}")
    if want_top > TOP_LIMIT or want_base < 0:
        raise RegisterWriteError(f"refusing bounds for {name} outside the address space")
    if want_top - want_base > 0xFFFF_FFFF:
        # CSetBounds takes its length from a 32-bit register: [0, 2**32) is the root's, never
        # a request.
        raise RegisterWriteError(f"refusing bounds for {name} of length 2**32 (no CSetBounds "
                                 "can ask for it)")
    if current.tag and (current.sealed or not current.in_bounds(want_base,
                                                                want_top - want_base)):
        raise RegisterWriteError(f"refusing to widen the bounds of {name} (or to change a sealed "
                                 "capability)")
    moved = integer_write(current, want_base)
    fields, _exact = set_cap_bounds(want_base, want_top - want_base)
    return Cap(moved.tag, want_base, with_bounds_fields(moved.meta, fields))


def _and_perm(cap: Cap, mask: int) -> Cap:
    """CAndPerm (isa.md §5.11): re-encoded, and on a sealed value only clearing GL keeps the
    tag."""
    keep = cap.tag and (not cap.sealed or (mask | Perm.GL) == ALL_PERMS)
    return Cap(keep, cap.address, with_perms(cap.meta, cap.perms & mask))


def require_derivable(name: str, current: Cap, new: Cap) -> Cap:
    """``new`` if instructions could make it from ``current``; else RegisterWriteError.

    PCC is stricter: its bounds, permissions and tag only change by jumping, so only its
    address (the pc) can be written.
    """
    if name == "pcc":
        if new.meta != current.meta or new.tag != current.tag:
            raise RegisterWriteError("only the address of pcc (the pc) can be written")
        return new
    if not is_derivable(current, new):
        raise RegisterWriteError(f"refusing to write {name}: no instruction could derive that "
                                 "capability from the one it holds (a debugger may only narrow "
                                 "bounds and permissions, move the address, or clear the tag)")
    return new
