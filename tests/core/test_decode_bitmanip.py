"""Decoding and disassembly of the bit-manipulation instructions, against Debian's binutils.

The instruction words and their spellings come from ``riscv64-unknown-elf-as`` and
``riscv64-unknown-elf-objdump -d -M no-aliases`` run on a listing of every instruction, so the
encodings and mnemonics are the toolchain's, not ours. Which extension defines each instruction
follows the ratified specifications (bit-manipulation v1.0.0, scalar crypto v1.0.1).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cheriot_gdbserver.core.bitmanip import OPERATIONS
from cheriot_gdbserver.core.decode import Kind, decode, disassemble
from cheriot_gdbserver.core.isa import BASE, CHERIOT_IBEX, SAIL, Isa

AS, OBJDUMP = "riscv64-unknown-elf-as", "riscv64-unknown-elf-objdump"
MARCH = "-march=rv32emc_zba_zbb_zbs_zbkb_zbkc_zbc_zbkx"

LISTING = {
    # op: (source line, extensions defining it)
    "sh1add": ("sh1add a0, a1, a2", {"zba"}), "sh2add": ("sh2add s0, s1, a5", {"zba"}),
    "sh3add": ("sh3add t0, t1, t2", {"zba"}),
    "andn": ("andn a0, a1, a2", {"zbb", "zbkb"}), "orn": ("orn a3, a4, a5", {"zbb", "zbkb"}),
    "xnor": ("xnor ra, sp, gp", {"zbb", "zbkb"}),
    "clz": ("clz a0, a1", {"zbb"}), "ctz": ("ctz a0, a1", {"zbb"}),
    "cpop": ("cpop a0, a1", {"zbb"}),
    "max": ("max a0, a1, a2", {"zbb"}), "maxu": ("maxu a0, a1, a2", {"zbb"}),
    "min": ("min a0, a1, a2", {"zbb"}), "minu": ("minu a0, a1, a2", {"zbb"}),
    "sext.b": ("sext.b a0, a1", {"zbb"}), "sext.h": ("sext.h a0, a1", {"zbb"}),
    "zext.h": ("zext.h a0, a1", {"zbb", "zbkb"}),
    "rol": ("rol a0, a1, a2", {"zbb", "zbkb"}), "ror": ("ror a0, a1, a2", {"zbb", "zbkb"}),
    "rori": ("rori a0, a1, 31", {"zbb", "zbkb"}),
    "orc.b": ("orc.b a0, a1", {"zbb"}), "rev8": ("rev8 a0, a1", {"zbb", "zbkb"}),
    "bclr": ("bclr a0, a1, a2", {"zbs"}), "bclri": ("bclri a0, a1, 5", {"zbs"}),
    "bext": ("bext a0, a1, a2", {"zbs"}), "bexti": ("bexti a0, a1, 0", {"zbs"}),
    "binv": ("binv a0, a1, a2", {"zbs"}), "binvi": ("binvi a0, a1, 17", {"zbs"}),
    "bset": ("bset a0, a1, a2", {"zbs"}), "bseti": ("bseti a0, a1, 30", {"zbs"}),
    "pack": ("pack a0, a1, a2", {"zbkb"}), "packh": ("packh a0, a1, a2", {"zbkb"}),
    "brev8": ("brev8 a0, a1", {"zbkb"}), "zip": ("zip a0, a1", {"zbkb"}),
    "unzip": ("unzip a0, a1", {"zbkb"}),
    "clmul": ("clmul a0, a1, a2", {"zbc", "zbkc"}),
    "clmulh": ("clmulh a0, a1, a2", {"zbc", "zbkc"}),
    "clmulr": ("clmulr a0, a1, a2", {"zbc"}),
    "xperm4": ("xperm4 a0, a1, a2", {"zbkx"}), "xperm8": ("xperm8 a0, a1, a2", {"zbkx"}),
}

_TOOLS = shutil.which(AS) is not None and shutil.which(OBJDUMP) is not None


@pytest.fixture(scope="module")
def toolchain_words(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """op -> (instruction word, objdump -M no-aliases text) for every line of LISTING."""
    if not _TOOLS:
        pytest.skip("binutils-riscv64-unknown-elf is not installed")
    work: Path = tmp_path_factory.mktemp("bitmanip")
    source, obj = work / "all.s", work / "all.o"
    ops = list(LISTING)
    source.write_text("".join(LISTING[op][0] + "\n" for op in ops))
    subprocess.run([AS, MARCH, "-mabi=ilp32e", "-o", str(obj), str(source)], check=True)
    dump = subprocess.run([OBJDUMP, "-d", "-M", "no-aliases", str(obj)], check=True,
                          capture_output=True, text=True).stdout
    rows = re.findall(r"^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s+(\S+)\s+(\S+)$", dump, re.M)
    assert len(rows) == len(ops), dump
    return {op: (int(word, 16), f"{name} {args}") for op, (word, name, args) in
            zip(ops, rows, strict=True)}


def _normalise(text: str) -> str:
    """binutils' "rori a0,a1,0x1f" and our "rori a0, a1, 31" compare equal."""
    name, _, args = text.partition(" ")
    parts = [str(int(p, 0)) if re.fullmatch(r"-?(0x[0-9a-f]+|[0-9]+)", p) else p
             for p in args.replace(" ", "").split(",")]
    return f"{name} {','.join(parts)}"


def test_the_listing_covers_every_operation() -> None:
    assert set(LISTING) == set(OPERATIONS)
    assert {op: set(ext) for op, (_, ext) in OPERATIONS.items()} == {
        op: ext for op, (_, ext) in LISTING.items()}


@pytest.mark.parametrize("op", sorted(LISTING))
def test_decodes_and_disassembles_as_binutils(op: str,
                                              toolchain_words: dict[str, tuple[int, str]]) -> None:
    word, objdump_text = toolchain_words[op]
    instr = decode(word)
    assert (instr.op, instr.kind, instr.length) == (op, Kind.EMULATED, 4)
    assert _normalise(disassemble(instr)) == _normalise(objdump_text)


@pytest.mark.parametrize("op", sorted(LISTING))
def test_illegal_without_its_extension(op: str,
                                       toolchain_words: dict[str, tuple[int, str]]) -> None:
    word, _ = toolchain_words[op]
    extensions = LISTING[op][1]
    for ext in extensions:
        assert decode(word, Isa(frozenset({ext}))).op == op
    others = frozenset({"zba", "zbb", "zbs", "zbkb", "zbkc", "zbc", "zbkx"}) - extensions
    instr = decode(word, Isa(others))
    assert instr.kind is Kind.ILLEGAL
    assert op in instr.reason and "does not have" in instr.reason
    assert decode(word, BASE).kind is Kind.ILLEGAL


def test_board_cores() -> None:
    """Sail: Zba Zbb Zbs Zbkb Zbc Zbkx (cheriot-sail); cheriot-ibex: B + Zbkb + Zbkc (LLVM)."""
    legal = {core: {op for op, (_, ext) in OPERATIONS.items() if set(ext) & core.extensions}
             for core in (SAIL, CHERIOT_IBEX)}
    assert legal[SAIL] == set(OPERATIONS)  # Zbc covers clmul*, Zbkx the xperms
    assert legal[CHERIOT_IBEX] == set(OPERATIONS) - {"clmulr", "xperm4", "xperm8"}


def test_rv64_only_and_reserved_forms_stay_illegal() -> None:
    assert decode(0x6205D513).kind is Kind.ILLEGAL       # rori with shamt[5]
    assert decode(0x60359513).kind is Kind.ILLEGAL                    # funct7 0x30, rs2 3
    assert decode(0x08C5C53B).kind is Kind.ILLEGAL                    # packw (OP-32, RV64)
    assert decode(0x60C59533 | (16 << 7)).kind is Kind.ILLEGAL        # rol x16 (RV32E)
