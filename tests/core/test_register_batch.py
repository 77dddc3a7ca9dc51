"""fastpath.RegisterBatch (x1-x15 and the pc in one uc_reg_read_batch call) against Unicorn's
own per-register reg_read, its oracle, for random register values; ``pc()`` (the PC alone)
likewise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from unicorn import UC_ARCH_RISCV, UC_MODE_RISCV32, Uc
from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_X1

from cheriot_gdbserver.core.fastpath import RegisterBatch

UC = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
BATCH = RegisterBatch(UC)


@settings(max_examples=200)
@given(st.lists(st.integers(0, 0xFFFF_FFFF), min_size=15, max_size=15),
       st.integers(0, 0x7FFF_FFFF).map(lambda a: a * 2))
def test_batch_read_matches_reg_read(xs: list[int], pc: int) -> None:
    for i, value in enumerate(xs):
        UC.reg_write(UC_RISCV_REG_X1 + i, value)
    UC.reg_write(UC_RISCV_REG_PC, pc)
    got_xs, got_pc = BATCH.read()
    assert got_xs == [UC.reg_read(UC_RISCV_REG_X1 + i) for i in range(15)] == xs
    assert got_pc == UC.reg_read(UC_RISCV_REG_PC) == pc
    assert BATCH.pc() == pc
