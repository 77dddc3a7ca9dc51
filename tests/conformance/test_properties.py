"""Property tests over random real machine code (hypothesis, small example counts):

* no sequence of integer instructions yields a tagged register (isa.md §1.2, §5.20);
* no store of non-capability data leaves a tag set on a granule it touched (§8.1);
* random sequences of capability instructions end identically through the reference semantics
  and through the compiled fast path (registers, memory tags and bytes, the trap).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import DATA, DATA_META, STACK_TOP, Result, chain, expect_done, put_cap, run

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

X = [f"x{i}" for i in range(1, 16)]
XP = [f"x{i}" for i in range(8, 16)]            # registers of the compressed 3-bit fields
C = [f"c{i}" for i in range(1, 16)]

# Every register starts tagged: copies of the prologue's capabilities.
ALL_TAGGED = """
    cmove cra, ca4
    cmove cgp, ca5
    cincoffset ctp, ca4, 8
    cmove ct0, csp
    cmove ct1, ca3
    cmove ct2, ca4
    cmove cs0, ca5
    cmove cs1, ca4
    cmove ca0, ca4
    cincoffset ca1, ca4, 16
    cmove ca2, csp
"""

# --- integer instructions ---------------------------------------------------------------------

imm12 = st.integers(-2048, 2047)
R_OPS = ["add", "sub", "and", "or", "xor", "sll", "srl", "sra", "slt", "sltu", "mul", "mulh",
         "mulhu", "mulhsu", "div", "divu", "rem", "remu"]
I_OPS = ["addi", "slti", "sltiu", "xori", "ori", "andi"]


@st.composite
def integer_instruction(draw: st.DrawFn) -> tuple[str, str]:
    """(text, destination). Loads go through ca4 (x14), which is never a destination, so the
    sequence cannot fault; 32-bit forms are emitted under norvc, compressed ones explicitly."""
    rd = draw(st.sampled_from([r for r in X if r != "x14"]))
    rdp = draw(st.sampled_from([r for r in XP if r != "x14"]))
    rs1, rs2 = draw(st.sampled_from(X)), draw(st.sampled_from(X))
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return f"{draw(st.sampled_from(R_OPS))} {rd}, {rs1}, {rs2}", rd
    if kind == 1:
        return f"{draw(st.sampled_from(I_OPS))} {rd}, {rs1}, {draw(imm12)}", rd
    if kind == 2:
        op = draw(st.sampled_from(["slli", "srli", "srai"]))
        return f"{op} {rd}, {rs1}, {draw(st.integers(0, 31))}", rd
    if kind == 3:
        return f"lui {rd}, {draw(st.integers(0, 0xFFFFF))}", rd
    if kind == 4:
        op = draw(st.sampled_from(["clw", "clh", "clhu", "clb", "clbu"]))
        return f"{op} {rd}, {draw(st.integers(0, 0xFC))}(ca4)", rd
    if kind == 5:
        csr = draw(st.sampled_from(["mscratch", "mcycle", "minstret", "mstatus", "mcause"]))
        return f"csrr {rd}, {csr}", rd
    if kind == 6:   # c.mv / c.add need rs2 != x0
        op = draw(st.sampled_from(["c.mv", "c.add"]))
        return f".option rvc\n {op} {rd}, {rs2}\n .option norvc", rd
    if kind == 7:
        nz = draw(st.integers(-32, 31).filter(bool))
        op = draw(st.sampled_from(["c.addi", "c.li"]))
        return f".option rvc\n {op} {rd}, {nz}\n .option norvc", rd
    if kind == 8:
        op = draw(st.sampled_from(["c.sub", "c.xor", "c.or", "c.and"]))
        return f".option rvc\n {op} {rdp}, {draw(st.sampled_from(XP))}\n .option norvc", rdp
    op = draw(st.sampled_from(["c.srli", "c.srai", "c.slli"]))
    return f".option rvc\n {op} {rdp}, {draw(st.integers(1, 31))}\n .option norvc", rdp


@SETTINGS
@given(program=st.lists(integer_instruction(), min_size=1, max_size=20))
def test_integer_instructions_never_yield_tags(mode: str, program: list[tuple[str, str]]) -> None:
    body = ALL_TAGGED + ".option push\n.option norvc\n"
    body += "\n".join(text for text, _ in program) + "\n.option pop\n"
    caps = chain(*(put_cap(DATA + off, True, DATA, DATA_META) for off in range(0, 0x100, 8)))
    before = expect_done(run(mode, ALL_TAGGED))
    result = expect_done(run(mode, body, setup=caps))
    written = {int(rd[1:]) for _, rd in program}
    for i in range(1, 16):
        tag, _address, meta = result.triple(i)
        if i in written:
            assert (tag, meta) == (0, 0), f"x{i} written by an integer instruction is tagged"
        else:
            assert result.triple(i) == before.triple(i), f"x{i} was not written but changed"


# --- non-capability stores --------------------------------------------------------------------

@st.composite
def data_store(draw: st.DrawFn) -> tuple[str, int, int]:
    """(text, offset from DATA, width) of one store inside ca4's 256 bytes."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        op, width = draw(st.sampled_from([("csb", 1), ("csh", 2), ("csw", 4)]))
        off = draw(st.integers(0, 0x100 - width))
        return f"{op} {draw(st.sampled_from(X))}, {off}(ca4)", off, width
    if kind == 1:   # c.sw through cs0 = ca4
        off = draw(st.integers(0, 31)) * 4
        return f"c.sw {draw(st.sampled_from(XP))}, {off}(s0)", off, 4
    # csc of untagged data: an integer register or a tag-cleared copy of a capability
    off = draw(st.integers(0, 31)) * 8
    if kind == 2:
        return f"csc {draw(st.sampled_from(['ca0', 'cnull', 'ca2']))}, {off}(ca4)", off, 8
    return f"ccleartag ct2, {draw(st.sampled_from(C))}\n csc ct2, {off}(ca4)", off, 8


@SETTINGS
@given(stores=st.lists(data_store(), min_size=1, max_size=12))
def test_data_stores_never_leave_tags(mode: str, stores: list[tuple[str, int, int]]) -> None:
    body = "cmove cs0, ca4\nli a0, 0x12345678\nli a2, -1\n" + "\n".join(s for s, _, _ in stores)
    caps = chain(*(put_cap(DATA + off, True, DATA, DATA_META) for off in range(0, 0x100, 8)))
    result = expect_done(run(mode, body, setup=caps))
    touched = {g for _, off, width in stores for g in range(off >> 3, (off + width - 1 >> 3) + 1)}
    for granule in range(0x100 // 8):
        assert result.tag(DATA + 8 * granule) is (granule not in touched), hex(8 * granule)


# --- differential: reference against fast path ------------------------------------------------

DIFF_START = """
    cmove ca0, ca4
    cmove ca1, csp
    cincoffset ca1, ca1, -64
    li tp, 0xfef
    candperm ca2, ca4, tp           # no SL
    li tp, 0xff5
    candperm cs0, ca4, tp           # no LG, no LM: CLC attenuates
    li tp, 9
    csetaddr ct1, ca3, tp
    cseal cs1, ca4, ct1             # sealed
    cllc ct0, snippet
    li a3, 8
    li a5, 0x80020040
    li tp, 0xffe
"""
VALUES = [0, 1, 8, 16, 0x40, 0xF8, 0x100, 0x1FF, 0x200, 0xFFB, 0xFFE, 0x7F, -8, -0x100,
          DATA, DATA + 0x40, DATA + 0x100, STACK_TOP - 64, 0xFFFFFFFF]
OFFSETS = [-16, -8, 0, 4, 8, 16, 0x40, 0xF8, 0x100]


@st.composite
def cap_instruction(draw: st.DrawFn) -> str:
    cd, cs = draw(st.sampled_from(C)), draw(st.sampled_from(C + ["cnull"]))
    rs = draw(st.sampled_from(X + ["zero"]))
    kind = draw(st.integers(0, 15))
    if kind == 13:   # native loads and stores through any register, misaligned included
        op = draw(st.sampled_from(["clw", "clh", "clbu", "csw", "csh", "csb"]))
        return f"{op} {draw(st.sampled_from(X))}, {draw(st.sampled_from(OFFSETS + [1, 3]))}({cs})"
    if kind == 14:   # MIE on or off: changes the links sentries get
        return draw(st.sampled_from(["csrsi mstatus, 8", "csrci mstatus, 8"]))
    if kind == 15:   # a forward jump through a sentry of any otype, linking anywhere
        via, ot = draw(st.sampled_from(C)), draw(st.integers(0, 7))
        link = draw(st.sampled_from(C + ["cnull"]))
        return (f"cllc {via}, 1f\n li tp, {ot}\n csetaddr ct1, ca3, tp\n"
                f" cseal {via}, {via}, ct1\n cjalr {link}, 0({via})\n1:")
    if kind == 0:
        return f"cincoffset {cd}, {cs}, {draw(st.sampled_from([0, 8, -8, 0x1FF, 0x200, -1]))}"
    if kind == 1:
        return f"cincoffset {cd}, {cs}, {rs}"
    if kind == 2:
        return f"csetaddr {cd}, {cs}, {rs}"
    if kind == 3:
        return f"cmove {cd}, {cs}"
    if kind == 4:
        return f"csetbounds {cd}, {cs}, {rs}"
    if kind == 5:
        return f"csetbounds {cd}, {cs}, {draw(st.sampled_from([0, 8, 16, 0x100, 0x800]))}"
    if kind == 6:
        return f"candperm {cd}, {cs}, {rs}"
    if kind == 7:
        return f"cgetaddr {draw(st.sampled_from(X))}, {cs}"
    if kind == 8:
        return f"li {draw(st.sampled_from(X))}, {draw(st.sampled_from(VALUES))}"
    if kind == 9:
        return f"clc {cd}, {draw(st.sampled_from(OFFSETS))}({cs})"
    if kind == 10:
        return f"csc {draw(st.sampled_from(C + ['cnull']))}, {draw(st.sampled_from(OFFSETS))}({cs})"
    if kind == 11:
        return f"cjal {draw(st.sampled_from(C + ['cnull']))}, 1f\n1:"
    link = draw(st.sampled_from(C + ["cnull"]))
    via = draw(st.sampled_from(C))
    return f"cllc {via}, 1f\n cjalr {link}, 0({via})\n1:"


def _state(result: Result) -> tuple:
    regs = tuple(result.triple(i) for i in range(1, 16))
    engine = result.engine
    mem = (engine.read_memory(DATA, 0x200), engine.read_memory(STACK_TOP - 0x200, 0x200),
           tuple(engine.memory.tags(DATA, 0x200)), tuple(engine.memory.tags(STACK_TOP - 0x200,
                                                                            0x200)))
    trap = result.stop.trap
    stop = (result.stop.kind, result.stop.pc,
            None if trap is None else (trap.mcause, trap.mtval, trap.pc))
    hart = (engine.hart.core.mstatus, engine.hart.core.mshwm, engine.core.instret)
    return regs, mem, stop, hart


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(cap_instruction(), min_size=1, max_size=16))
def test_fast_path_matches_reference(program: list[str]) -> None:
    body = DIFF_START + "\n".join(program) + "\n"
    caps = chain(put_cap(DATA + 0x40, True, DATA, DATA_META),
                 put_cap(DATA + 0x48, True, DATA + 0x10, DATA_META | 1 << 22),
                 put_cap(STACK_TOP - 64, True, 0x80001040, 0x7E009040))
    reference = _state(run("reference", body, setup=caps))
    # Random authorities may need CLC's attenuation, which fastpath.c leaves to Python.
    fast = _state(run("fast", body, setup=caps, deferred_ops=("clc",)))
    assert fast == reference, body
