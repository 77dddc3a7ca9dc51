"""gdb's register numbers over a register context: ``p``/``P``/``g``/``G`` for one thread.

Reads encode the context's values as the target description lays them out (registers.py).
Writes decode what gdb sent, derive the new value through the write policy and hand the result
to the context. A write that leaves a register's bytes unchanged is dropped, so a whole-block
``G`` (or gdb writing a struct back) does not turn every capability into an integer.
"""

from __future__ import annotations

from ..errors import CheriotGdbError
from ..gdbstub.tdesc import RegisterTable
from . import write_policy
from .contexts import RegisterContext
from .registers import (
    CAP_BY_REGNUM,
    CSR_BY_REGNUM,
    GPR_NAMES,
    PC_REGNUM,
    build_register_table,
    capability_fields,
    decode_capability,
    encode_capability,
)


class RegisterFile:
    """The register table and the regnum -> context translation (stateless per thread)."""

    def __init__(self) -> None:
        self.table: RegisterTable = build_register_table()
        self._integer_names: dict[tuple[int, ...], tuple[str, ...]] = {}

    def read(self, context: RegisterContext, regnum: int) -> bytes:
        if regnum < len(GPR_NAMES):
            return context.address(GPR_NAMES[regnum]).to_bytes(4, "little")
        if regnum == PC_REGNUM:
            return context.address("pcc").to_bytes(4, "little")
        if regnum in CSR_BY_REGNUM:
            return context.csr(CSR_BY_REGNUM[regnum]).to_bytes(4, "little")
        cap = context.capability(CAP_BY_REGNUM[regnum])
        return encode_capability(capability_fields(cap))

    def read_many(self, context: RegisterContext, regnums: tuple[int, ...]) -> list[bytes | None]:
        """``read`` of each, None for one the context cannot give. Integer registers and the PC
        (a stop reply's) are read with one ``addresses`` call."""
        names = self._integer_names.get(regnums)
        if names is None:
            names = self._integer_names[regnums] = _integer_names(regnums)
        if names:
            try:
                return [word.to_bytes(4, "little") for word in context.addresses(names)]
            except CheriotGdbError:
                pass  # one is unavailable: each on its own below
        values: list[bytes | None] = []
        for regnum in regnums:
            try:
                values.append(self.read(context, regnum))
            except CheriotGdbError:
                values.append(None)
        return values

    def write(self, context: RegisterContext, regnum: int, data: bytes) -> None:
        if data == self.read(context, regnum):
            return
        if regnum in CSR_BY_REGNUM:
            context.set_csr(CSR_BY_REGNUM[regnum], int.from_bytes(data, "little"))
            return
        if regnum == PC_REGNUM:
            name = "pcc"
            current = context.capability(name)
            new = write_policy.pc_write(current, int.from_bytes(data, "little"))
        elif regnum < len(GPR_NAMES):
            name = GPR_NAMES[regnum]
            current = context.capability(name)
            new = write_policy.integer_write(current, int.from_bytes(data, "little"))
        else:
            name = CAP_BY_REGNUM[regnum]
            current = context.capability(name)
            new = write_policy.field_write(name, current, decode_capability(data))
        context.set_capability(name, write_policy.require_derivable(name, current, new))


def _integer_names(regnums: tuple[int, ...]) -> tuple[str, ...]:
    """The context's names for ``regnums`` if all are integer registers or the PC, else ()."""
    if not all(regnum < len(GPR_NAMES) or regnum == PC_REGNUM for regnum in regnums):
        return ()
    return tuple("pcc" if regnum == PC_REGNUM else GPR_NAMES[regnum] for regnum in regnums)
