"""The decoder and disassembler against isa.md §5, §6 and the instruction words of §9.10.

Words not in §9.10 were produced by GNU as (RV32IMC, and RV64C for the C.LD/C.SD/C.LDSP/C.SDSP
layouts that CHERIoT reuses for capabilities) and are copied here literally.
"""

from __future__ import annotations

import pytest

from cheriot_gdbserver.core.decode import Instr, Kind, decode, disassemble

EM, NI, NO, LD, ST, IL = (Kind.EMULATED, Kind.NATIVE_INT, Kind.NATIVE_OTHER, Kind.LOAD,
                          Kind.STORE, Kind.ILLEGAL)
PC = 0x80000000


def r_type(f7: int, rs2: int, rs1: int, f3: int, rd: int, opcode: int) -> int:
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def i_type(imm: int, rs1: int, f3: int, rd: int, opcode: int) -> int:
    return ((imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def s_type(imm: int, rs2: int, rs1: int, f3: int, opcode: int) -> int:
    return (((imm >> 5) & 0x7F) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) \
        | ((imm & 0x1F) << 7) | opcode


def fields(i: Instr) -> tuple[str, Kind, int, int, int, int, int]:
    return (i.op, i.kind, i.length, i.rd, i.rs1, i.rs2, i.imm)


# --- isa.md §9.10 ------------------------------------------------------------------------------

# word, (op, kind, length, rd, rs1, rs2, imm), name, disassembly (with pc = PC)
SPEC_WORDS = [
    (0xFE05855B, ("cgetperm", EM, 4, 10, 11, 0, 0), "cgetperm", "cgetperm a0, ca1"),
    (0xFE15855B, ("cgettype", EM, 4, 10, 11, 0, 0), "cgettype", "cgettype a0, ca1"),
    (0xFE25855B, ("cgetbase", EM, 4, 10, 11, 0, 0), "cgetbase", "cgetbase a0, ca1"),
    (0xFE35855B, ("cgetlen", EM, 4, 10, 11, 0, 0), "cgetlen", "cgetlen a0, ca1"),
    (0xFE45855B, ("cgettag", EM, 4, 10, 11, 0, 0), "cgettag", "cgettag a0, ca1"),
    (0xFE85855B, ("crrl", EM, 4, 10, 11, 0, 0), "crrl", "crrl a0, a1"),
    (0xFE95855B, ("cram", EM, 4, 10, 11, 0, 0), "cram", "cram a0, a1"),
    (0xFEA5855B, ("cmove", EM, 4, 10, 11, 0, 0), "cmove", "cmove ca0, ca1"),
    (0xFEB5855B, ("ccleartag", EM, 4, 10, 11, 0, 0), "ccleartag", "ccleartag ca0, ca1"),
    (0xFEF5855B, ("cgetaddr", EM, 4, 10, 11, 0, 0), "cgetaddr", "cgetaddr a0, ca1"),
    (0xFF75855B, ("cgethigh", EM, 4, 10, 11, 0, 0), "cgethigh", "cgethigh a0, ca1"),
    (0xFF85855B, ("cgettop", EM, 4, 10, 11, 0, 0), "cgettop", "cgettop a0, ca1"),
    (0x03D0055B, ("cspecialrw", EM, 4, 10, 0, 29, 0), "cspecialrw", "cspecialr ca0, mtdc"),
    (0x03C5805B, ("cspecialrw", EM, 4, 0, 11, 28, 0), "cspecialrw", "cspecialw mtcc, ca1"),
    (0x10C5855B, ("csetbounds", EM, 4, 10, 11, 12, 0), "csetbounds", "csetbounds ca0, ca1, a2"),
    (0x12C5855B, ("csetboundsexact", EM, 4, 10, 11, 12, 0), "csetboundsexact",
     "csetboundsexact ca0, ca1, a2"),
    (0x14C5855B, ("csetboundsrounddown", EM, 4, 10, 11, 12, 0), "csetboundsrounddown",
     "csetboundsrounddown ca0, ca1, a2"),
    (0x16C5855B, ("cseal", EM, 4, 10, 11, 12, 0), "cseal", "cseal ca0, ca1, ca2"),
    (0x18C5855B, ("cunseal", EM, 4, 10, 11, 12, 0), "cunseal", "cunseal ca0, ca1, ca2"),
    (0x1AC5855B, ("candperm", EM, 4, 10, 11, 12, 0), "candperm", "candperm ca0, ca1, a2"),
    (0x20C5855B, ("csetaddr", EM, 4, 10, 11, 12, 0), "csetaddr", "csetaddr ca0, ca1, a2"),
    (0x22C5855B, ("cincaddr", EM, 4, 10, 11, 12, 0), "cincaddr", "cincoffset ca0, ca1, a2"),
    (0x28C5855B, ("csub", EM, 4, 10, 11, 12, 0), "csub", "csub a0, ca1, ca2"),
    (0x2CC5855B, ("csethigh", EM, 4, 10, 11, 12, 0), "csethigh", "csethigh ca0, ca1, a2"),
    (0x40C5855B, ("ctestsubset", EM, 4, 10, 11, 12, 0), "ctestsubset",
     "ctestsubset a0, ca1, ca2"),
    (0x42C5855B, ("csetequalexact", EM, 4, 10, 11, 12, 0), "csetequalexact",
     "csetequalexact a0, ca1, ca2"),
    (0xFF01115B, ("cincaddrimm", EM, 4, 2, 2, 0, -16), "cincaddrimm", "cincoffset csp, csp, -16"),
    (0x0105255B, ("csetboundsimm", EM, 4, 10, 10, 0, 16), "csetboundsimm",
     "csetbounds ca0, ca0, 16"),
    (0x00001517, ("auipcc", EM, 4, 10, 0, 0, 0x800), "auipcc", "auipcc ca0, 0x1"),
    (0x0000157B, ("auicgp", EM, 4, 10, 3, 0, 0x800), "auicgp", "auicgp ca0, 0x1"),
    (0x010000EF, ("cjal", EM, 4, 1, 0, 0, 16), "cjal", "cjal 0x80000010"),
    (0x000500E7, ("cjalr", EM, 4, 1, 10, 0, 0), "cjalr", "cjalr ca0"),
    (0x00008067, ("cjalr", EM, 4, 0, 1, 0, 0), "cjalr", "cret"),
    (0x00813503, ("clc", EM, 4, 10, 2, 0, 8), "clc", "clc ca0, 8(csp)"),
    (0x00A13423, ("csc", EM, 4, 0, 2, 10, 8), "csc", "csc ca0, 8(csp)"),
    (0x0045A503, ("lw", LD, 4, 10, 11, 0, 4), "lw", "clw a0, 4(ca1)"),
    (0x6588, ("clc", EM, 2, 10, 11, 0, 8), "c.clc", "clc ca0, 8(ca1)"),
    (0xE588, ("csc", EM, 2, 0, 11, 10, 8), "c.csc", "csc ca0, 8(ca1)"),
    (0x60A2, ("clc", EM, 2, 1, 2, 0, 8), "c.clcsp", "clc cra, 8(csp)"),
    (0x6542, ("clc", EM, 2, 10, 2, 0, 16), "c.clcsp", "clc ca0, 16(csp)"),
    (0xE406, ("csc", EM, 2, 0, 2, 1, 8), "c.cscsp", "csc cra, 8(csp)"),
    (0x713D, ("cincaddrimm", EM, 2, 2, 2, 0, -32), "c.cincaddr16csp", "cincoffset csp, csp, -32"),
    (0x6105, ("cincaddrimm", EM, 2, 2, 2, 0, 32), "c.cincaddr16csp", "cincoffset csp, csp, 32"),
    (0x0808, ("cincaddrimm", EM, 2, 10, 2, 0, 16), "c.cincaddr4cspn", "cincoffset ca0, csp, 16"),
    (0x8082, ("cjalr", EM, 2, 0, 1, 0, 0), "c.cjr", "cret"),
    (0x8502, ("cjalr", EM, 2, 0, 10, 0, 0), "c.cjr", "cjr ca0"),
    (0x9502, ("cjalr", EM, 2, 1, 10, 0, 0), "c.cjalr", "cjalr ca0"),
    (0x2021, ("cjal", EM, 2, 1, 0, 0, 8), "c.cjal", "cjal 0x80000008"),
]


@pytest.mark.parametrize(("word", "expected", "name", "text"), SPEC_WORDS)
def test_spec_instruction_words(word: int, expected: tuple, name: str, text: str) -> None:
    instr = decode(word)
    assert fields(instr) == expected
    assert instr.name == name
    assert instr.raw == word
    assert disassemble(instr, PC) == text


def test_upper_half_of_a_compressed_word_is_ignored() -> None:
    assert decode(0xFFFF_6588) == decode(0x6588)


# --- every canonical operation ----------------------------------------------------------------

# word, op, kind, rd, rs1, rs2, imm (32-bit encodings of everything §5.1 and RV32IM/Zicsr define)
ALL_32 = [
    (0xFFFFF7B7, "lui", NI, 15, 0, 0, -4096),
    (0x80000517, "auipcc", EM, 10, 0, 0, -(1 << 30)),
    (0xFFFFF517, "auipcc", EM, 10, 0, 0, -2048),
    (0x8000057B, "auicgp", EM, 10, 3, 0, -(1 << 30)),
    (0x800000EF, "cjal", EM, 1, 0, 0, -(1 << 20)),
    (0x7FFFF06F, "cjal", EM, 0, 0, 0, (1 << 20) - 2),
    (0x800780E7, "cjalr", EM, 1, 15, 0, -2048),
    (0x7FF50067, "cjalr", EM, 0, 10, 0, 2047),
    (0x80B50063, "beq", NO, 0, 10, 11, -4096),
    (r_type(0, 11, 10, 1, 0, 0x63), "bne", NO, 0, 10, 11, 0),
    (r_type(0, 11, 10, 4, 0, 0x63), "blt", NO, 0, 10, 11, 0),
    (r_type(0, 11, 10, 5, 0, 0x63), "bge", NO, 0, 10, 11, 0),
    (r_type(0, 11, 10, 6, 0, 0x63), "bltu", NO, 0, 10, 11, 0),
    (0x7E97FFE3, "bgeu", NO, 0, 15, 9, 4094),
    (0x80058503, "lb", LD, 10, 11, 0, -2048),
    (0x7FF59503, "lh", LD, 10, 11, 0, 2047),
    (0x0045A503, "lw", LD, 10, 11, 0, 4),
    (0x0015C503, "lbu", LD, 10, 11, 0, 1),
    (0x0025D503, "lhu", LD, 10, 11, 0, 2),
    (i_type(-8, 2, 3, 1, 0x03), "clc", EM, 1, 2, 0, -8),
    (0xFEA58FA3, "sb", ST, 0, 11, 10, -1),
    (0x80A59023, "sh", ST, 0, 11, 10, -2048),
    (0x7EF4AFA3, "sw", ST, 0, 9, 15, 2047),
    (s_type(-2048, 1, 2, 3, 0x23), "csc", EM, 0, 2, 1, -2048),
    (i_type(-1, 11, 0, 10, 0x13), "addi", NI, 10, 11, 0, -1),
    (i_type(5, 11, 2, 10, 0x13), "slti", NI, 10, 11, 0, 5),
    (i_type(-5, 11, 3, 10, 0x13), "sltiu", NI, 10, 11, 0, -5),
    (i_type(-1, 11, 4, 10, 0x13), "xori", NI, 10, 11, 0, -1),
    (i_type(0x7FF, 11, 6, 10, 0x13), "ori", NI, 10, 11, 0, 2047),
    (i_type(0xFF, 11, 7, 10, 0x13), "andi", NI, 10, 11, 0, 255),
    (0x01F59513, "slli", NI, 10, 11, 0, 31),
    (0x01F5D513, "srli", NI, 10, 11, 0, 31),
    (0x41F5D513, "srai", NI, 10, 11, 0, 31),
]
_RV_OPS = [("add", 0, 0), ("sub", 0x20, 0), ("sll", 0, 1), ("slt", 0, 2), ("sltu", 0, 3),
           ("xor", 0, 4), ("srl", 0, 5), ("sra", 0x20, 5), ("or", 0, 6), ("and", 0, 7),
           ("mul", 1, 0), ("mulh", 1, 1), ("mulhsu", 1, 2), ("mulhu", 1, 3), ("div", 1, 4),
           ("divu", 1, 5), ("rem", 1, 6), ("remu", 1, 7)]
ALL_32 += [(r_type(f7, 12, 11, f3, 10, 0x33), op, NI, 10, 11, 12, 0) for op, f7, f3 in _RV_OPS]
ALL_32 += [
    (0x0FF0000F, "fence", NO, 0, 0, 0, 0x0FF),
    (0x0000100F, "fence.i", NO, 0, 0, 0, 0),
    (0x00000073, "ecall", EM, 0, 0, 0, 0),
    (0x00100073, "ebreak", EM, 0, 0, 0, 0),
    (0x30200073, "mret", EM, 0, 0, 0, 0),
    (0x10500073, "wfi", EM, 0, 0, 0, 0),
]
_CHERI_1SRC = [("cgetperm", 0x00), ("cgettype", 0x01), ("cgetbase", 0x02), ("cgetlen", 0x03),
               ("cgettag", 0x04), ("crrl", 0x08), ("cram", 0x09), ("cmove", 0x0A),
               ("ccleartag", 0x0B), ("cgetaddr", 0x0F), ("cgethigh", 0x17), ("cgettop", 0x18)]
ALL_32 += [(r_type(0x7F, sel, 9, 0, 8, 0x5B), op, EM, 8, 9, 0, 0) for op, sel in _CHERI_1SRC]
_CHERI_2SRC = [("csetbounds", 0x08), ("csetboundsexact", 0x09), ("csetboundsrounddown", 0x0A),
               ("cseal", 0x0B), ("cunseal", 0x0C), ("candperm", 0x0D), ("csetaddr", 0x10),
               ("cincaddr", 0x11), ("csub", 0x14), ("csethigh", 0x16), ("ctestsubset", 0x20),
               ("csetequalexact", 0x21)]
ALL_32 += [(r_type(f7, 15, 14, 0, 13, 0x5B), op, EM, 13, 14, 15, 0) for op, f7 in _CHERI_2SRC]
ALL_32 += [
    (r_type(0x01, 31, 1, 0, 2, 0x5B), "cspecialrw", EM, 2, 1, 31, 0),
    (r_type(0x01, 5, 1, 0, 2, 0x5B), "cspecialrw", EM, 2, 1, 5, 0),  # bad SCR: semantics traps
    (i_type(-2048, 2, 1, 2, 0x5B), "cincaddrimm", EM, 2, 2, 0, -2048),
    (i_type(2047, 2, 1, 2, 0x5B), "cincaddrimm", EM, 2, 2, 0, 2047),
    (i_type(0xFFF, 10, 2, 10, 0x5B), "csetboundsimm", EM, 10, 10, 0, 4095),
    (i_type(0x800, 11, 2, 11, 0x5B), "csetboundsimm", EM, 11, 11, 0, 2048),
]


@pytest.mark.parametrize(("word", "op", "kind", "rd", "rs1", "rs2", "imm"), ALL_32)
def test_32_bit_operations(word: int, op: str, kind: Kind, rd: int, rs1: int, rs2: int,
                           imm: int) -> None:
    assert fields(decode(word)) == (op, kind, 4, rd, rs1, rs2, imm)
    assert decode(word).name == op


# word, op, csr, rd, rs1, imm (Zicsr: rs1 for the register forms, zimm in imm and rs1 = 0 else)
CSR_WORDS = [
    (0x30059573, "csrrw", 0x300, 10, 11, 0),
    (0x34202573, "csrrs", 0x342, 10, 0, 0),
    (0x3047B073, "csrrc", 0x304, 0, 15, 0),
    (0x340FD573, "csrrwi", 0x340, 10, 0, 31),
    (0x30046073, "csrrsi", 0x300, 0, 0, 8),
    (0xFFF0F573, "csrrci", 0xFFF, 10, 0, 1),
]


@pytest.mark.parametrize(("word", "op", "csr", "rd", "rs1", "imm"), CSR_WORDS)
def test_csr_instructions(word: int, op: str, csr: int, rd: int, rs1: int, imm: int) -> None:
    instr = decode(word)
    assert (instr.op, instr.kind, instr.csr, instr.rd, instr.rs1, instr.imm) == \
        (op, EM, csr, rd, rs1, imm)


def test_non_csr_instructions_have_no_csr_number() -> None:
    assert decode(0x0045A503).csr == -1


CANONICAL_OPS = {
    "lui", "auipcc", "auicgp", "cjal", "cjalr", "beq", "bne", "blt", "bge", "bltu", "bgeu",
    "lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw", "clc", "csc", "addi", "slti", "sltiu",
    "xori", "ori", "andi", "slli", "srli", "srai", "add", "sub", "sll", "slt", "sltu", "xor",
    "srl", "sra", "or", "and", "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
    "fence", "fence.i", "ecall", "ebreak", "mret", "wfi", "csrrw", "csrrs", "csrrc", "csrrwi",
    "csrrsi", "csrrci", "cgetperm", "cgettype", "cgetbase", "cgetlen", "cgettag", "crrl", "cram",
    "cmove", "ccleartag", "cgetaddr", "cgethigh", "cgettop", "cspecialrw", "csetbounds",
    "csetboundsexact", "csetboundsrounddown", "cseal", "cunseal", "candperm", "csetaddr",
    "cincaddr", "csub", "csethigh", "ctestsubset", "csetequalexact", "cincaddrimm",
    "csetboundsimm",
}


def test_the_tables_cover_every_canonical_operation() -> None:
    covered = {row[1] for row in ALL_32} | {row[1] for row in CSR_WORDS}
    assert covered == CANONICAL_OPS


@pytest.mark.parametrize(("word", "width", "signed"), [
    (0x80058503, 1, True), (0x7FF59503, 2, True), (0x0045A503, 4, False),
    (0x0015C503, 1, False), (0x0025D503, 2, False), (0xFEA58FA3, 1, False),
    (0x80A59023, 2, False), (0x7EF4AFA3, 4, False), (0x00813503, 8, False),
    (0x00A13423, 8, False), (0x6588, 8, False), (0x41C8, 4, False), (0x57FE, 4, False),
])
def test_access_width_and_sign(word: int, width: int, signed: bool) -> None:
    assert (decode(word).width, decode(word).signed) == (width, signed)


# --- compressed forms (isa.md §6), immediates at their extremes --------------------------------

# halfword, name, (op, kind, length, rd, rs1, rs2, imm)
COMPRESSED = [
    (0x1FE8, "c.cincaddr4cspn", ("cincaddrimm", EM, 2, 10, 2, 0, 1020)),
    (0x0040, "c.cincaddr4cspn", ("cincaddrimm", EM, 2, 8, 2, 0, 4)),
    (0x5CFC, "c.lw", ("lw", LD, 2, 15, 9, 0, 124)),
    (0x7CFC, "c.clc", ("clc", EM, 2, 15, 9, 0, 248)),
    (0x6380, "c.clc", ("clc", EM, 2, 8, 15, 0, 0)),
    (0xDCFC, "c.sw", ("sw", ST, 2, 0, 9, 15, 124)),
    (0xFCFC, "c.csc", ("csc", EM, 2, 0, 9, 15, 248)),
    (0x0001, "c.nop", ("addi", NI, 2, 0, 0, 0, 0)),
    (0x1501, "c.addi", ("addi", NI, 2, 10, 10, 0, -32)),
    (0x0505, "c.addi", ("addi", NI, 2, 10, 10, 0, 1)),
    (0x0501, "c.addi", ("addi", NO, 2, 10, 10, 0, 0)),  # hint: a no-op in Sail
    (0x3001, "c.cjal", ("cjal", EM, 2, 1, 0, 0, -2048)),
    (0x2FFD, "c.cjal", ("cjal", EM, 2, 1, 0, 0, 2046)),
    (0x5501, "c.li", ("addi", NI, 2, 10, 0, 0, -32)),
    (0x47FD, "c.li", ("addi", NI, 2, 15, 0, 0, 31)),
    (0x7101, "c.cincaddr16csp", ("cincaddrimm", EM, 2, 2, 2, 0, -512)),
    (0x617D, "c.cincaddr16csp", ("cincaddrimm", EM, 2, 2, 2, 0, 496)),
    (0x7501, "c.lui", ("lui", NI, 2, 10, 0, 0, -(1 << 17))),
    (0x67FD, "c.lui", ("lui", NI, 2, 15, 0, 0, 0x1F000)),
    (0x83FD, "c.srli", ("srli", NI, 2, 15, 15, 0, 31)),
    (0x8405, "c.srai", ("srai", NI, 2, 8, 8, 0, 1)),
    (0x8001, "c.srli", ("srli", NO, 2, 8, 8, 0, 0)),    # hint
    (0x8401, "c.srai", ("srai", NO, 2, 8, 8, 0, 0)),    # hint
    (0x9881, "c.andi", ("andi", NI, 2, 9, 9, 0, -32)),
    (0x8F81, "c.sub", ("sub", NI, 2, 15, 15, 8, 0)),
    (0x8FA1, "c.xor", ("xor", NI, 2, 15, 15, 8, 0)),
    (0x8FC1, "c.or", ("or", NI, 2, 15, 15, 8, 0)),
    (0x8FE1, "c.and", ("and", NI, 2, 15, 15, 8, 0)),
    (0xB001, "c.j", ("cjal", EM, 2, 0, 0, 0, -2048)),
    (0xAFFD, "c.j", ("cjal", EM, 2, 0, 0, 0, 2046)),
    (0xD001, "c.beqz", ("beq", NO, 2, 0, 8, 0, -256)),
    (0xEFFD, "c.bnez", ("bne", NO, 2, 0, 15, 0, 254)),
    (0x07FE, "c.slli", ("slli", NI, 2, 15, 15, 0, 31)),
    (0x0782, "c.slli", ("slli", NO, 2, 15, 15, 0, 0)),  # hint
    (0x57FE, "c.lwsp", ("lw", LD, 2, 15, 2, 0, 252)),
    (0x77FE, "c.clcsp", ("clc", EM, 2, 15, 2, 0, 504)),
    (0x6082, "c.clcsp", ("clc", EM, 2, 1, 2, 0, 0)),
    (0x8082, "c.cjr", ("cjalr", EM, 2, 0, 1, 0, 0)),
    (0x853E, "c.mv", ("add", NI, 2, 10, 0, 15, 0)),
    (0x9002, "c.ebreak", ("ebreak", EM, 2, 0, 0, 0, 0)),
    (0x9782, "c.cjalr", ("cjalr", EM, 2, 1, 15, 0, 0)),
    (0x953E, "c.add", ("add", NI, 2, 10, 10, 15, 0)),
    (0xDFBE, "c.swsp", ("sw", ST, 2, 0, 2, 15, 252)),
    (0xFFBE, "c.cscsp", ("csc", EM, 2, 0, 2, 15, 504)),
]


@pytest.mark.parametrize(("half", "name", "expected"), COMPRESSED)
def test_compressed_forms(half: int, name: str, expected: tuple) -> None:
    instr = decode(half)
    assert (instr.name, fields(instr)) == (name, expected)


# --- ILLEGAL -----------------------------------------------------------------------------------

# word, a fragment of the expected `reason`
ILLEGAL_WORDS = [
    (0x0000, "all-zero halfword"),
    (0x2000, "(C.FLD slot)"), (0xA000, "(C.FSD slot)"), (0x8000, "(reserved slot)"),
    (0x2002, "(C.FLDSP slot)"), (0xA002, "(C.FSDSP slot)"),
    (0x0004, "c.cincaddr4cspn with a zero immediate"),  # rd' = ca1, nzuimm = 0
    (0x6101, "c.cincaddr16csp with a zero immediate"),
    (0x6501, "c.lui with a zero immediate"),
    (0x4002, "c.lwsp with rd = 0"), (0x6002, "c.clcsp with rd = 0"),
    (0x8002, "c.jr with rs1 = 0"),
    (0x1002, "c.slli with shamt[5] set"), (0x9001, "c.srli with shamt[5] set"),
    (0x9401, "c.srai with shamt[5] set"), (0x9C01, "c.subw/c.addw are RV64-only"),
    (0x0000202F, "the A extension is not implemented"), (0x1005A52F, "the A extension"),
    (0x00002007, "floating-point load"), (0x00002027, "floating-point store"),
    (0x00000053, "floating-point operation"), (0x00000043, "fused multiply-add"),
    (0x0000001B, "RV64-only OP-IMM-32"), (0x0000003B, "RV64-only OP-32"),
    (0x0000007F, "unknown encoding (opcode 0x7f"), (0x0000000B, "unknown encoding (opcode 0x0b"),
    *[(i_type(0, 11, f3, 10, 0x5B), f"opcode 0x5b, funct3 {f3}") for f3 in range(3, 8)],
    *[(r_type(0x7F, sel, 11, 0, 10, 0x5B), f"funct7 0x7f, rs2 field {sel})")
      for sel in (5, 6, 7, 0x0C, 0x0D, 0x0E, 0x10, 0x16, 0x19, 0x1F)],
    (r_type(0x00, 12, 11, 0, 10, 0x5B), "opcode 0x5b, funct3 0, funct7 0x00"),
    (r_type(0x7E, 12, 11, 0, 10, 0x5B), "opcode 0x5b, funct3 0, funct7 0x7e"),
    (i_type(0, 11, 6, 10, 0x03), "opcode 0x03, funct3 6"),
    (i_type(0, 11, 7, 10, 0x03), "opcode 0x03, funct3 7"),
    (s_type(0, 10, 11, 4, 0x23), "opcode 0x23, funct3 4"),
    (s_type(0, 10, 11, 7, 0x23), "opcode 0x23, funct3 7"),
    (r_type(0, 11, 10, 2, 0, 0x63), "opcode 0x63, funct3 2"),
    (r_type(0, 11, 10, 3, 0, 0x63), "opcode 0x63, funct3 3"),
    (i_type(0, 10, 1, 0, 0x67), "opcode 0x67, funct3 1"),
    (r_type(0x01, 0, 11, 1, 10, 0x13), "opcode 0x13, funct3 1, funct7 0x01"),  # slli, imm[5]
    (r_type(0x21, 0, 11, 5, 10, 0x13), "opcode 0x13, funct3 5, funct7 0x21"),  # srai, imm[5]
    (r_type(0x30, 3, 11, 1, 10, 0x13), "funct3 1, funct7 0x30, rs2 field 3"),  # Zbb gap
    (r_type(0x20, 12, 11, 1, 10, 0x33), "funct3 1, funct7 0x20"),  # no Zb* op here
    (0x10200073, "funct7 0x08, rs2 field 2"),   # sret
    (0x00200073, "funct7 0x00, rs2 field 2"),   # uret
    (0x7B200073, "funct7 0x3d, rs2 field 18"),  # dret
    (0x12000073, "funct7 0x09, rs2 field 0"),   # sfence.vma
    (0x00004073, "opcode 0x73, funct3 4"),
    (0x00100573, "ebreak with non-zero rd/rs1 fields"),
    (0x30208073, "mret with non-zero rd/rs1 fields"),
]


@pytest.mark.parametrize(("word", "fragment"), ILLEGAL_WORDS)
def test_illegal_encodings(word: int, fragment: str) -> None:
    instr = decode(word)
    assert (instr.op, instr.name, instr.kind) == ("illegal", "illegal", IL)
    assert (instr.length, instr.raw) == ((4, word) if word & 3 == 3 else (2, word))
    assert fragment in instr.reason


# x16-x31 in each register field an instruction uses (isa.md §1.1, RV32E).
HIGH_REGISTER_WORDS = [
    r_type(0, 11, 10, 0, 16, 0x33), r_type(0, 11, 17, 0, 10, 0x33),
    r_type(0, 31, 10, 0, 10, 0x33),                                     # add rd / rs1 / rs2
    i_type(1, 10, 0, 20, 0x13), i_type(1, 21, 0, 10, 0x13),             # addi rd / rs1
    0x00001817, 0x00001F7B, 0x010008EF, 0xFFFFF837,                     # auipcc/auicgp/cjal/lui rd
    i_type(0, 10, 0, 16, 0x67), i_type(0, 16, 0, 1, 0x67),              # cjalr rd / rs1
    i_type(8, 2, 3, 16, 0x03), i_type(8, 18, 3, 10, 0x03),              # clc rd / rs1
    i_type(4, 11, 2, 24, 0x03), i_type(4, 25, 2, 10, 0x03),             # lw rd / rs1
    s_type(8, 16, 2, 3, 0x23), s_type(8, 10, 16, 3, 0x23),              # csc rs2 / rs1
    s_type(4, 30, 11, 2, 0x23), s_type(4, 10, 30, 2, 0x23),             # sw rs2 / rs1
    r_type(0, 16, 10, 0, 0, 0x63), r_type(0, 10, 16, 0, 0, 0x63),       # beq rs2 / rs1
    r_type(0x7F, 0, 11, 0, 16, 0x5B), r_type(0x7F, 0, 16, 0, 10, 0x5B),  # cgetperm rd / rs1
    r_type(0x08, 16, 11, 0, 10, 0x5B), r_type(0x08, 12, 16, 0, 10, 0x5B),
    r_type(0x08, 12, 11, 0, 16, 0x5B),                                  # csetbounds
    r_type(0x01, 28, 16, 0, 10, 0x5B), r_type(0x01, 28, 0, 0, 16, 0x5B),  # cspecialrw rs1 / rd
    i_type(16, 16, 1, 10, 0x5B), i_type(16, 10, 2, 16, 0x5B),           # cincaddrimm/csetboundsimm
    i_type(0x300, 16, 1, 10, 0x73), i_type(0x300, 10, 1, 16, 0x73),     # csrrw rs1 / rd
    i_type(0x300, 16, 5, 31, 0x73),                                     # csrrwi rd
    r_type(1, 11, 10, 0, 19, 0x33),                                     # mul rd
    0x0841, 0x4841, 0x6841, 0x0842,                                     # c.addi/li/lui/slli x16
    0x4842, 0x6842, 0xC0C2, 0xE0C2,                      # c.lwsp, c.clcsp, c.swsp, c.cscsp x16
    0x8802, 0x9802,                                                     # c.jr/c.jalr x16
    0x882A, 0x8542, 0x982A, 0x9542,                                     # c.mv, c.add rd / rs2
]


@pytest.mark.parametrize("word", HIGH_REGISTER_WORDS)
def test_registers_x16_to_x31_are_illegal(word: int) -> None:
    instr = decode(word)
    assert instr.kind is IL
    assert "RV32E" in instr.reason


@pytest.mark.parametrize(("word", "op"), [
    (i_type(0x0FF, 21, 0, 16, 0x0F), "fence"),      # rd = x16, rs1 = x21: not register uses
    (i_type(0x340, 31, 5, 10, 0x73), "csrrwi"),     # zimm 31 in the rs1 field
    (r_type(0x01, 31, 1, 0, 2, 0x5B), "cspecialrw"),  # SCR 31 in the rs2 field
    (r_type(0x7F, 0x18, 1, 0, 2, 0x5B), "cgettop"),   # selector 0x18 in the rs2 field
    (0x01F59513, "slli"),                           # shamt 31 in the rs2 field
    (i_type(0, 0, 1, 0, 0x0F) | (0x1F << 7), "fence.i"),
])
def test_fields_that_are_not_registers_are_not_checked(word: int, op: str) -> None:
    assert decode(word).op == op


# --- disassembly ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "pc", "text"), [
    (0x010000EF, None, "cjal .+16"),
    (0x800000EF, 0x80100000, "cjal 0x80000000"),
    (0x0080006F, PC, "j 0x80000008"),
    (0x008005EF, PC, "cjal ca1, 0x80000008"),
    (0xB001, PC, "j 0x7ffff800"),
    (0x2FFD, None, "cjal .+2046"),
    (0x000580E7, PC, "cjalr ca1"),
    (0x00858567, PC, "cjalr ca0, 8(ca1)"),
    (0x00058067, PC, "cjr ca1"),
    (0x80B50063, 0x80001000, "beq a0, a1, 0x80000000"),
    (0x7E97FFE3, None, "bgeu a5, s1, .+4094"),
    (0xD001, 0x80000100, "beqz s0, 0x80000000"),
    (0xEFFD, PC, "bnez a5, 0x800000fe"),
    (0x80058503, PC, "clb a0, -2048(ca1)"),
    (0x7FF59503, PC, "clh a0, 2047(ca1)"),
    (0x0015C503, PC, "clbu a0, 1(ca1)"),
    (0x0025D503, PC, "clhu a0, 2(ca1)"),
    (0xFEA58FA3, PC, "csb a0, -1(ca1)"),
    (0x80A59023, PC, "csh a0, -2048(ca1)"),
    (0x7EF4AFA3, PC, "csw a5, 2047(cs1)"),
    (0x57FE, PC, "clw a5, 252(csp)"),
    (0xFFBE, PC, "csc ca5, 504(csp)"),
    (0x1FE8, PC, "cincoffset ca0, csp, 1020"),
    (0x0001, PC, "nop"),
    (0x5501, PC, "li a0, -32"),
    (0x853E, PC, "mv a0, a5"),
    (0x953E, PC, "add a0, a0, a5"),
    (0x7501, PC, "lui a0, 0xfffe0"),
    (0xFFFFF7B7, PC, "lui a5, 0xfffff"),
    (0x80000517, PC, "auipcc ca0, 0x80000"),
    (0x41F5D513, PC, "srai a0, a1, 31"),
    (r_type(1, 12, 11, 4, 10, 0x33), PC, "div a0, a1, a2"),
    (r_type(0x01, 5, 11, 0, 10, 0x5B), PC, "cspecialrw ca0, 5, ca1"),
    (r_type(0x01, 31, 11, 0, 10, 0x5B), PC, "cspecialrw ca0, mepcc, ca1"),
    (r_type(0x01, 30, 0, 0, 0, 0x5B), PC, "cspecialr cnull, mscratchc"),
    (0x30059573, PC, "csrrw a0, mstatus, a1"),
    (0x34202573, PC, "csrr a0, mcause"),
    (0x3047B073, PC, "csrc mie, a5"),
    (0x340FD573, PC, "csrrwi a0, mscratch, 31"),
    (0x30046073, PC, "csrsi mstatus, 8"),
    (0xFFF0F573, PC, "csrrci a0, 0xfff, 1"),
    (0x0FF0000F, PC, "fence iorw, iorw"),
    (0x0210000F, PC, "fence r, w"),
    (0x8330000F, PC, "fence.tso"),
    (0x0000100F, PC, "fence.i"),
    (0x00000073, PC, "ecall"),
    (0x9002, PC, "ebreak"),
    (0x30200073, PC, "mret"),
    (0x10500073, PC, "wfi"),
    (0x0000202F, PC, ".4byte 0x0000202f"),
    (0x2000, PC, ".2byte 0x2000"),
])
def test_disassembly(word: int, pc: int | None, text: str) -> None:
    assert disassemble(decode(word), pc) == text


def test_every_halfword_disassembles_as_code_or_data() -> None:
    for half in range(0x10000):
        if half & 3 == 3:
            continue
        instr = decode(half)
        text = disassemble(instr, PC)
        assert text.startswith(".2byte") == (instr.kind is IL), (hex(half), text)


def test_reasons_are_empty_for_legal_instructions() -> None:
    assert decode(0xFE05855B).reason == ""
