"""The one derivability rule (core.capability.is_derivable) and the debugger's write policy.

The property: whatever gdb writes to a capability register, the result is either refused or is
exactly what the CHERIoT instructions (core.semantics, the Sail-derived reference: CSetAddr,
CSetBounds, CAndPerm, CClearTag) make of the register's value, so no debugger write widens
authority or yields bounds no instruction could derive (isa.md §1.2 monotonicity).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cheriot_gdbserver.core import semantics
from cheriot_gdbserver.core.capability import (
    ALL_PERMS,
    E_SHIFT,
    ROOT_EXE,
    ROOT_MEM,
    ROOT_SEAL,
    T_SHIFT,
    TOP_LIMIT,
    Cap,
    Perm,
    is_derivable,
    set_cap_bounds,
    with_bounds_fields,
    with_otype,
    with_perms,
)
from cheriot_gdbserver.core.decode import Instr, Kind
from cheriot_gdbserver.core.hart import Hart
from cheriot_gdbserver.core.state import CoreState
from cheriot_gdbserver.debugger import write_policy
from cheriot_gdbserver.debugger.registers import CapFields, capability_fields
from cheriot_gdbserver.errors import RegisterWriteError
from tests.core.fakes import FakeBus

SRC, RD, VALUE = 1, 2, 3  # registers the oracle uses


def oracle_hart() -> Hart:
    hart = Hart(CoreState(), FakeBus(), lambda: 0)
    hart.reset(0x8000_0000)
    return hart


def run(hart: Hart, op: str, value: int | None = None) -> Cap:
    """``op RD, RD, VALUE`` (CSetAddr, CSetBounds, CAndPerm) or ``op RD, RD`` (CClearTag)."""
    if value is not None:
        hart.write_int(VALUE, value & 0xFFFF_FFFF)
    getattr(semantics, op)(hart, Instr(op=op, kind=Kind.EMULATED, length=4, raw=0, rd=RD,
                                       rs1=RD, rs2=VALUE))
    return hart.read_cap(RD)


def by_instructions(current: Cap, fields: CapFields) -> Cap:
    """What a program could make of ``current`` with the edit's instructions."""
    hart = oracle_hart()
    hart.write_cap(RD, current)
    cap = current
    base, top = current.bounds
    if (fields.base, fields.top) != (base, top) or fields.length != current.length:
        want_top = fields.top
        if fields.length != current.length and (fields.base, fields.top) == (base, top):
            want_top = fields.base + fields.length
        run(hart, "csetaddr", fields.base)
        run(hart, "csetbounds", want_top - fields.base)
        cap = run(hart, "csetaddr", fields.address)
    elif fields.address != current.address:
        cap = run(hart, "csetaddr", fields.address)
    if fields.perms != current.perms:
        cap = run(hart, "candperm", fields.perms | (ALL_PERMS & ~current.perms))
    if not fields.tag:
        cap = run(hart, "ccleartag")
    return cap


@st.composite
def capabilities(draw: st.DrawFn) -> Cap:
    """Values a register can hold: roots narrowed by CSetBounds, CAndPerm and sealing, tagged
    or not."""
    root = draw(st.sampled_from([ROOT_MEM, ROOT_EXE, ROOT_SEAL]))
    base = draw(st.integers(0, 0xFFFF_FFFF))
    length = draw(st.integers(0, TOP_LIMIT - base))
    fields, _ = set_cap_bounds(base, length)
    meta = with_bounds_fields(root.meta, fields)
    meta = with_perms(meta, root.perms & draw(st.integers(0, ALL_PERMS)))
    cap = Cap(draw(st.booleans()), base, meta)
    if draw(st.booleans()):
        span = max(cap.top - cap.base, 1)
        cap = cap.set_address(cap.base + draw(st.integers(0, span - 1)))
    if draw(st.integers(0, 4)) == 0:
        cap = cap.with_meta(with_otype(cap.meta, draw(st.integers(1, 7))))
    return cap


_ADDRESS = st.integers(0, 0xFFFF_FFFF)


@st.composite
def edits(draw: st.DrawFn, current: Cap) -> CapFields:
    """gdb's whole-struct write after changing some fields, to anything (inverted, huge...)."""
    f = capability_fields(current)
    choose = draw(st.sets(st.sampled_from(["address", "base", "top", "length", "perms",
                                           "otype", "tag"]), max_size=3))
    near = st.one_of(_ADDRESS, st.integers(max(f.base - 64, 0), min(f.top + 64, TOP_LIMIT)))
    return CapFields(
        draw(near) if "address" in choose else f.address,
        draw(near) if "base" in choose else f.base,
        draw(st.one_of(near, st.integers(0, 1 << 33))) if "top" in choose else f.top,
        draw(st.integers(0, 1 << 33)) if "length" in choose else f.length,
        draw(st.integers(0, ALL_PERMS)) if "perms" in choose else f.perms,
        draw(st.integers(0, 15)) if "otype" in choose else f.otype,
        draw(st.booleans()) if "tag" in choose else f.tag)


@settings(max_examples=600, deadline=None)
@given(data=st.data())
def test_prop_debugger_writes_are_instruction_results(data: st.DataObject) -> None:
    current = data.draw(capabilities())
    fields = data.draw(edits(current))
    name = data.draw(st.sampled_from(["ca0", "mtdc", "mepcc"]))
    try:
        new = write_policy.require_derivable(
            name, current, write_policy.field_write(name, current, fields))
    except RegisterWriteError:
        return
    assert is_derivable(current, new)
    assert new == by_instructions(current, fields)
    if new.tag:
        base, top = new.bounds
        assert current.base <= base <= top <= current.top <= TOP_LIMIT
        assert new.perms & ~current.perms == 0
        assert new.otype == current.otype


@settings(max_examples=300, deadline=None)
@given(current=capabilities(), value=_ADDRESS)
def test_prop_integer_writes_are_csetaddr(current: Cap, value: int) -> None:
    new = write_policy.require_derivable("ca0", current,
                                         write_policy.integer_write(current, value))
    hart = oracle_hart()
    hart.write_cap(RD, current)
    assert new == run(hart, "csetaddr", value)


@settings(max_examples=300, deadline=None)
@given(parent=capabilities(), child=capabilities())
def test_prop_is_derivable_never_grants_more(parent: Cap, child: Cap) -> None:
    if not is_derivable(parent, child) or not child.tag:
        return
    assert parent.tag
    if child != parent and not parent.sealed:
        base, top = child.bounds
        assert parent.base <= base <= top <= parent.top
        assert child.perms & ~parent.perms == 0
        assert not child.sealed


def test_inverted_bounds_are_never_derivable() -> None:
    """issue 7 item 2: e = 24 with B = 0x80 and T = 0x10 decodes to base 0x80000000 above top
    0x10000000 (isa.md §2.5); no instruction makes that, whatever the parent."""
    meta = with_bounds_fields(ROOT_MEM.meta, (0xF << E_SHIFT) | (0x10 << T_SHIFT) | 0x80)
    inverted = Cap(True, 0x8000_0000, meta)
    assert inverted.bounds == (0x8000_0000, 0x1000_0000)
    assert not is_derivable(ROOT_MEM, inverted)
    assert is_derivable(ROOT_MEM, inverted.with_tag(False))  # untagged data is anything


def test_a_write_that_would_invert_bounds_is_refused() -> None:
    """The old policy let 'P' on mtdc produce a tagged root-derived capability with top below
    base; now it is refused with the reason."""
    fields = capability_fields(ROOT_MEM)
    ask = CapFields(fields.address, 0x9000_0000, 0x8000_0000, fields.length, fields.perms,
                    fields.otype, True)
    with pytest.raises(RegisterWriteError, match="top 0x80000000 below base 0x90000000"):
        write_policy.field_write("mtdc", ROOT_MEM, ask)


@pytest.mark.parametrize(("change", "message"), [
    ({"otype": 1}, "object type"),
    ({"perms": Perm.EX | Perm.GL}, "add permissions"),
    ({"top": TOP_LIMIT + 16}, "outside the address space"),
])
def test_widening_edits_are_refused(change: dict[str, int], message: str) -> None:
    narrow = Cap(True, 0x8000_1000,
                 with_bounds_fields(ROOT_MEM.meta, set_cap_bounds(0x8000_1000, 0x100)[0]))
    f = capability_fields(narrow)
    fields = CapFields(**{**{k: getattr(f, k) for k in f.__slots__}, **change})
    with pytest.raises(RegisterWriteError, match=message):
        write_policy.field_write("ca0", narrow, fields)


def test_pcc_only_moves_its_address() -> None:
    pcc = ROOT_EXE.with_address(0x8000_0000)
    assert write_policy.pc_write(pcc, 0x1234) == ROOT_EXE.with_address(0x1234)
    f = capability_fields(pcc)
    with pytest.raises(RegisterWriteError, match="only the address of pcc"):
        write_policy.field_write("pcc", pcc, CapFields(f.address, f.base, f.top, f.length,
                                                       f.perms, f.otype, False))
