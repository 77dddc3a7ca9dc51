"""asm/cheriot.inc and asm/build.py with the real GNU binutils: every macro emits the words of
isa.md §9.10 (and the other encodings of §5/§6) and decodes back to the same operation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.asm import build
from cheriot_gdbserver.asm.build import ToolchainError, assemble, include_dir
from cheriot_gdbserver.core.decode import Kind, decode
from cheriot_gdbserver.errors import CheriotGdbError

pytestmark = pytest.mark.skipif(shutil.which(build.AS) is None,
                                reason="binutils-riscv64-unknown-elf is not installed")

# source line, word, (op, rd, rs1, rs2, imm) after decoding
SPEC_32 = [
    ("cgetperm a0, ca1", 0xFE05855B, ("cgetperm", 10, 11, 0, 0)),
    ("cgettype a0, ca1", 0xFE15855B, ("cgettype", 10, 11, 0, 0)),
    ("cgetbase a0, ca1", 0xFE25855B, ("cgetbase", 10, 11, 0, 0)),
    ("cgetlen a0, ca1", 0xFE35855B, ("cgetlen", 10, 11, 0, 0)),
    ("cgettag a0, ca1", 0xFE45855B, ("cgettag", 10, 11, 0, 0)),
    ("crrl a0, a1", 0xFE85855B, ("crrl", 10, 11, 0, 0)),
    ("cram a0, a1", 0xFE95855B, ("cram", 10, 11, 0, 0)),
    ("cmove ca0, ca1", 0xFEA5855B, ("cmove", 10, 11, 0, 0)),
    ("ccleartag ca0, ca1", 0xFEB5855B, ("ccleartag", 10, 11, 0, 0)),
    ("cgetaddr a0, ca1", 0xFEF5855B, ("cgetaddr", 10, 11, 0, 0)),
    ("cgethigh a0, ca1", 0xFF75855B, ("cgethigh", 10, 11, 0, 0)),
    ("cgettop a0, ca1", 0xFF85855B, ("cgettop", 10, 11, 0, 0)),
    ("cspecialrw ca0, mtdc, cnull", 0x03D0055B, ("cspecialrw", 10, 0, 29, 0)),
    ("cspecialr ca0, mtdc", 0x03D0055B, ("cspecialrw", 10, 0, 29, 0)),
    ("cspecialrw cnull, mtcc, ca1", 0x03C5805B, ("cspecialrw", 0, 11, 28, 0)),
    ("cspecialw mtcc, ca1", 0x03C5805B, ("cspecialrw", 0, 11, 28, 0)),
    ("csetbounds ca0, ca1, a2", 0x10C5855B, ("csetbounds", 10, 11, 12, 0)),
    ("csetboundsexact ca0, ca1, a2", 0x12C5855B, ("csetboundsexact", 10, 11, 12, 0)),
    ("csetboundsrounddown ca0, ca1, a2", 0x14C5855B, ("csetboundsrounddown", 10, 11, 12, 0)),
    ("cseal ca0, ca1, ca2", 0x16C5855B, ("cseal", 10, 11, 12, 0)),
    ("cunseal ca0, ca1, ca2", 0x18C5855B, ("cunseal", 10, 11, 12, 0)),
    ("candperm ca0, ca1, a2", 0x1AC5855B, ("candperm", 10, 11, 12, 0)),
    ("csetaddr ca0, ca1, a2", 0x20C5855B, ("csetaddr", 10, 11, 12, 0)),
    ("cincaddr ca0, ca1, a2", 0x22C5855B, ("cincaddr", 10, 11, 12, 0)),
    ("cincoffset ca0, ca1, a2", 0x22C5855B, ("cincaddr", 10, 11, 12, 0)),
    ("csub a0, ca1, ca2", 0x28C5855B, ("csub", 10, 11, 12, 0)),
    ("csethigh ca0, ca1, a2", 0x2CC5855B, ("csethigh", 10, 11, 12, 0)),
    ("ctestsubset a0, ca1, ca2", 0x40C5855B, ("ctestsubset", 10, 11, 12, 0)),
    ("cseqx a0, ca1, ca2", 0x42C5855B, ("csetequalexact", 10, 11, 12, 0)),
    ("csetequalexact a0, ca1, ca2", 0x42C5855B, ("csetequalexact", 10, 11, 12, 0)),
    ("cincaddrimm csp, csp, -16", 0xFF01115B, ("cincaddrimm", 2, 2, 0, -16)),
    ("cincoffset csp, csp, -16", 0xFF01115B, ("cincaddrimm", 2, 2, 0, -16)),
    ("csetboundsimm ca0, ca0, 16", 0x0105255B, ("csetboundsimm", 10, 10, 0, 16)),
    ("csetbounds ca0, ca0, 16", 0x0105255B, ("csetboundsimm", 10, 10, 0, 16)),
    ("auipcc ca0, 1", 0x00001517, ("auipcc", 10, 0, 0, 0x800)),
    ("auicgp ca0, 1", 0x0000157B, ("auicgp", 10, 3, 0, 0x800)),
    ("cjal cra, .+16", 0x010000EF, ("cjal", 1, 0, 0, 16)),
    ("cjalr cra, 0(ca0)", 0x000500E7, ("cjalr", 1, 10, 0, 0)),
    ("cjalr ca0", 0x000500E7, ("cjalr", 1, 10, 0, 0)),
    ("cjalr cnull, 0(cra)", 0x00008067, ("cjalr", 0, 1, 0, 0)),
    ("cret", 0x00008067, ("cjalr", 0, 1, 0, 0)),
    ("clc ca0, 8(csp)", 0x00813503, ("clc", 10, 2, 0, 8)),
    ("clc ca0, csp, 8", 0x00813503, ("clc", 10, 2, 0, 8)),
    ("csc ca0, 8(csp)", 0x00A13423, ("csc", 0, 2, 10, 8)),
    ("csc ca0, csp, 4+4", 0x00A13423, ("csc", 0, 2, 10, 8)),
    ("clw a0, 4(ca1)", 0x0045A503, ("lw", 10, 11, 0, 4)),
]

# Other encodings of §5.1, with words checked against GNU as (see tests/core/test_decode.py).
MORE_32 = [
    ("cjal .+16", 0x010000EF, ("cjal", 1, 0, 0, 16)),
    ("cjal cnull, .+8", 0x0080006F, ("cjal", 0, 0, 0, 8)),
    ("cjalr cra, -2048(ca5)", 0x800780E7, ("cjalr", 1, 15, 0, -2048)),
    ("cjalr cnull, ca0, 2047", 0x7FF50067, ("cjalr", 0, 10, 0, 2047)),
    ("cjalr ca0, 8(ca1)", 0x00858567, ("cjalr", 10, 11, 0, 8)),
    ("cjr ca1", 0x00058067, ("cjalr", 0, 11, 0, 0)),
    ("auipcc ca0, 0x80000", 0x80000517, ("auipcc", 10, 0, 0, -(1 << 30))),
    ("auipcc ca0, -1", 0xFFFFF517, ("auipcc", 10, 0, 0, -2048)),
    ("auicgp ca0, 0x80000", 0x8000057B, ("auicgp", 10, 3, 0, -(1 << 30))),
    ("clb a0, -2048(ca1)", 0x80058503, ("lb", 10, 11, 0, -2048)),
    ("clh a0, 2047(ca1)", 0x7FF59503, ("lh", 10, 11, 0, 2047)),
    ("clbu a0, 1(ca1)", 0x0015C503, ("lbu", 10, 11, 0, 1)),
    ("clhu a0, 0x2(ca1)", 0x0025D503, ("lhu", 10, 11, 0, 2)),
    ("csb a0, -1(ca1)", 0xFEA58FA3, ("sb", 0, 11, 10, -1)),
    ("csh a0, -2048(ca1)", 0x80A59023, ("sh", 0, 11, 10, -2048)),
    ("csw a5, 2047(cs1)", 0x7EF4AFA3, ("sw", 0, 9, 15, 2047)),
    ("clc ca0, -0x10(csp)", 0xFF013503, ("clc", 10, 2, 0, -16)),
    ("clc ca0, (csp)", 0x00013503, ("clc", 10, 2, 0, 0)),
    ("cincoffset csp, csp, 2047", 0x7FF1115B, ("cincaddrimm", 2, 2, 0, 2047)),
    ("cincoffset csp, csp, -2048", 0x8001115B, ("cincaddrimm", 2, 2, 0, -2048)),
    ("csetbounds ca0, ca0, 4095", 0xFFF5255B, ("csetboundsimm", 10, 10, 0, 4095)),
    ("cspecialrw ca0, 5, ca1", 0x0255855B, ("cspecialrw", 10, 11, 5, 0)),
    ("cspecialr ca0, mscratchc", 0x03E0055B, ("cspecialrw", 10, 0, 30, 0)),
    ("cspecialw mepcc, cra", 0x03F0805B, ("cspecialrw", 0, 1, 31, 0)),
    ("cspecialr c15, 0x1f", 0x03F007DB, ("cspecialrw", 15, 0, 31, 0)),
    ("cmove cs0, cfp", 0xFEA4045B, ("cmove", 8, 8, 0, 0)),
    ("cgetaddr fp, czero", 0xFEF0045B, ("cgetaddr", 8, 0, 0, 0)),
    ("candperm ct0, ct1, x7", 0x1A7302DB, ("candperm", 5, 6, 7, 0)),
]

SPEC_16 = [
    ("c.clc ca0, 8(ca1)", 0x6588, ("clc", 10, 11, 0, 8)),
    ("c.csc ca0, 8(ca1)", 0xE588, ("csc", 0, 11, 10, 8)),
    ("c.clcsp cra, 8(csp)", 0x60A2, ("clc", 1, 2, 0, 8)),
    ("c.clcsp ca0, 16(csp)", 0x6542, ("clc", 10, 2, 0, 16)),
    ("c.cscsp cra, 8(csp)", 0xE406, ("csc", 0, 2, 1, 8)),
    ("c.cincaddr16csp csp, -32", 0x713D, ("cincaddrimm", 2, 2, 0, -32)),
    ("c.cincaddr16csp csp, 32", 0x6105, ("cincaddrimm", 2, 2, 0, 32)),
    ("c.cincaddr4cspn ca0, csp, 16", 0x0808, ("cincaddrimm", 10, 2, 0, 16)),
    ("c.cjr cra", 0x8082, ("cjalr", 0, 1, 0, 0)),
    ("c.cjr ca0", 0x8502, ("cjalr", 0, 10, 0, 0)),
    ("c.cjalr ca0", 0x9502, ("cjalr", 1, 10, 0, 0)),
    ("c.cjal .+8", 0x2021, ("cjal", 1, 0, 0, 8)),
]

MORE_16 = [
    ("c.clc ca5, 248(cs1)", 0x7CFC, ("clc", 15, 9, 0, 248)),
    ("c.clc cs0, ca5, 0", 0x6380, ("clc", 8, 15, 0, 0)),
    ("c.csc ca5, 248(cs1)", 0xFCFC, ("csc", 0, 9, 15, 248)),
    ("c.clcsp ca5, 504(csp)", 0x77FE, ("clc", 15, 2, 0, 504)),
    ("c.cscsp ca5, 504(csp)", 0xFFBE, ("csc", 0, 2, 15, 504)),
    ("c.cscsp ca5, csp, 504", 0xFFBE, ("csc", 0, 2, 15, 504)),
    ("c.cincaddr16csp csp, -512", 0x7101, ("cincaddrimm", 2, 2, 0, -512)),
    ("c.cincaddr16csp 496", 0x617D, ("cincaddrimm", 2, 2, 0, 496)),
    ("c.cincaddr4cspn ca0, csp, 1020", 0x1FE8, ("cincaddrimm", 10, 2, 0, 1020)),
    ("c.cincaddr4cspn cs0, csp, 4", 0x0040, ("cincaddrimm", 8, 2, 0, 4)),
    ("c.cjalr ca5", 0x9782, ("cjalr", 1, 15, 0, 0)),
]

ALL = SPEC_32 + MORE_32 + SPEC_16 + MORE_16


def text_of(elf_path: Path) -> tuple[int, bytes]:
    with elf_path.open("rb") as stream:
        section = ELFFile(stream).get_section_by_name(".text")
        return section["sh_addr"], section.data()


def symbols_of(elf_path: Path) -> dict[str, int]:
    with elf_path.open("rb") as stream:
        table = ELFFile(stream).get_section_by_name(".symtab")
        return {symbol.name: symbol["st_value"] for symbol in table.iter_symbols()}


def program(lines: list[str]) -> str:
    return '.include "cheriot.inc"\n.globl _start\n_start:\n' + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    elf = assemble(program([line for line, _, _ in ALL]), tmp_path_factory.mktemp("macros"))
    return text_of(elf)[1]


def split(code: bytes) -> list[int]:
    """The instruction words of `code`, using the RISC-V length encoding."""
    words, offset = [], 0
    while offset < len(code):
        length = 4 if code[offset] & 3 == 3 else 2
        words.append(int.from_bytes(code[offset:offset + length], "little"))
        offset += length
    return words


def test_macros_emit_the_specified_words(assembled: bytes) -> None:
    assert [f"{w:#x}" for w in split(assembled)] == [f"{word:#x}" for _, word, _ in ALL]


@pytest.mark.parametrize(("line", "word", "expected"), ALL, ids=[line for line, _, _ in ALL])
def test_words_decode_back_to_the_macro(assembled: bytes, line: str, word: int,
                                        expected: tuple) -> None:
    index = [entry[0] for entry in ALL].index(line)
    emitted = split(assembled)[index]
    instr = decode(emitted)
    assert emitted == word
    assert instr.kind is not Kind.ILLEGAL
    assert (instr.op, instr.rd, instr.rs1, instr.rs2, instr.imm) == expected


def test_label_targets(tmp_path: Path) -> None:
    elf = assemble(program([
        "back: cjal fwd",           # 0x00
        "cjal ca0, back",           # 0x04
        "c.cjal fwd",               # 0x08
        "cllc ca1, back",           # 0x0a
        "cllc ca2, fwd",            # 0x12
        "cllc ca3, far",            # 0x1a
        ".space 1492",
        "fwd: cret",
        ".space 3000",
        "far: cret",
    ]), tmp_path, text_address=0x20040000)
    base, code = text_of(elf)
    fwd = symbols_of(elf)["fwd"]
    assert base == 0x20040000
    assert fwd == base + 0x22 + 1492

    def at(offset: int):
        return decode(int.from_bytes(code[offset:offset + 4], "little"))

    assert (at(0x00).op, at(0x00).rd, base + at(0x00).imm) == ("cjal", 1, fwd)
    assert (at(0x04).op, at(0x04).rd, at(0x04).imm) == ("cjal", 10, -4)
    assert (at(0x08).name, at(0x08).length, base + 0x08 + at(0x08).imm) == ("c.cjal", 2, fwd)
    far = symbols_of(elf)["far"]
    for offset, register, target in ((0x0A, 11, base), (0x12, 12, fwd), (0x1A, 13, far)):
        hi, lo = at(offset), at(offset + 4)
        assert (hi.op, hi.rd, lo.op, lo.rd, lo.rs1) == ("auipcc", register, "cincaddrimm",
                                                        register, register)
        assert base + offset + hi.imm + lo.imm == target
    # 1508 bytes away fits the 12-bit immediate: the upper part rounds toward zero, so the
    # intermediate capability never strays beyond the label (a small PCC would lose its tag).
    assert at(0x12).imm == 0
    assert at(0x1A).imm == (far - base - 0x1A) // 2048 * 2048 > 0


@pytest.mark.parametrize(("line", "message"), [
    ("cgetperm ca0, ca1", "cheriot.inc: ca0 is not an RV32E integer register"),
    ("cmove a0, ca1", "cheriot.inc: a0 is not a capability register"),
    ("cgetperm a6, ca1", "cheriot.inc: a6 is not an RV32E integer register"),
    ("clc ca0, 8(a1)", "cheriot.inc: 8(a1) does not name a capability register"),
    ("clc ca0, sym(csp)", "cheriot.inc: sym(csp) is not OFFSET(CREG)"),
    ("cincoffset csp, csp, 4096", "cheriot.inc: cincaddrimm immediate must be in -2048..2047"),
    ("csetbounds ca0, ca0, -1", "cheriot.inc: csetboundsimm immediate"),
    ("c.clc ca0, 4(ca1)", "cheriot.inc: c.clc offset must be a multiple of 8 in 0..248"),
    ("c.clc ca0, 8(csp)", "cheriot.inc: c.clc needs a base register in cs0, cs1, ca0-ca5"),
    ("c.clc cra, 8(ca1)", "cheriot.inc: compressed forms only reach cs0, cs1, ca0-ca5"),
    ("c.clcsp cnull, 8(csp)", "cheriot.inc: c.clcsp into cnull is reserved"),
    ("c.clcsp ca0, 8(ca1)", "cheriot.inc: c.clcsp addresses through csp only"),
    ("c.cincaddr16csp csp, 0", "cheriot.inc: c.cincaddr16csp immediate must not be zero"),
    ("c.cincaddr4cspn ca0, csp, 0", "cheriot.inc: c.cincaddr4cspn immediate must be a multiple"),
    ("c.cjr cnull", "cheriot.inc: c.cjr through cnull is reserved"),
    ("cspecialr ca0, mtvec", "cheriot.inc: SCR mtvec is not mtcc, mtdc, mscratchc, mepcc"),
    ("cspecialr ca0, 32", "cheriot.inc: SCR 32 is not"),
])
def test_assembly_errors_name_the_problem(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ToolchainError, match="assembling") as caught:
        assemble(program([line]), tmp_path)
    assert message in str(caught.value)


# --- asm/build.py -------------------------------------------------------------------------------

def test_include_dir_holds_the_macros_and_the_script() -> None:
    assert (include_dir() / "cheriot.inc").is_file()
    assert (include_dir() / "link.ld").is_file()


def test_sources_as_files_with_symbols_and_a_data_section(tmp_path: Path) -> None:
    (tmp_path / "helper.inc").write_text(".equ ANSWER, 42\n")
    main = tmp_path / "main.s"
    main.write_text('.include "cheriot.inc"\n.include "helper.inc"\n.globl _start\n'
                    "_start: li a0, ANSWER\n.data\nvalue: .word 7\n")
    other = tmp_path / "other.s"
    other.write_text('.globl other\nother: ret\n.include "cheriot.inc"\ncret\n')
    elf = assemble([main, other], tmp_path / "out", text_address=0x100000, name="two",
                   extra_symbols={"BOARD_UART": 0x10000000})
    assert elf == tmp_path / "out" / "two.elf"
    symbols = symbols_of(elf)
    assert symbols["_start"] == 0x100000
    assert symbols["BOARD_UART"] == 0x10000000
    assert symbols["__text_address"] == 0x100000
    assert symbols["value"] % 8 == 0 and symbols["value"] > symbols["other"]
    with elf.open("rb") as stream:
        assert ELFFile(stream).header["e_entry"] == 0x100000
    assert split(text_of(elf)[1]) == [0x02A00513, 0x8082, 0x00008067]  # li; c.jr ra; cret


def test_custom_linker_script(tmp_path: Path) -> None:
    script = tmp_path / "my.ld"
    script.write_text("SECTIONS { .text 0x30000000 : { *(.text) } }\n")
    elf = assemble(program(["cret"]), tmp_path, linker_script=script)
    assert text_of(elf) == (0x30000000, bytes.fromhex("67800000"))


def test_assembler_errors_carry_the_assembler_messages(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError) as caught:
        assemble("  bogus a0\n", tmp_path)
    assert isinstance(caught.value, CheriotGdbError)
    assert "prog.s:1: Error: unrecognized opcode `bogus a0'" in str(caught.value)


def test_link_errors_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match="undefined reference to `missing'"):
        assemble(".globl _start\n_start: jal missing\n", tmp_path)


def test_missing_tools_say_what_to_install(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "AS", "riscv64-unknown-elf-as-not-installed")
    with pytest.raises(ToolchainError) as caught:
        assemble("nop\n", tmp_path)
    assert str(caught.value) == (
        "riscv64-unknown-elf-as-not-installed not found (needed for assembling "
        f"{tmp_path / 'prog.s'}): install Debian's binutils-riscv64-unknown-elf package")
