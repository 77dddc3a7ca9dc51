"""The engine's API: stops, stepping, breakpoints, watchpoints, catch, traps, code writes.

Every test runs with the compiled fast path and with the reference semantics only.
"""

from __future__ import annotations

import threading

import pytest

from cheriot_gdbserver.core.capability import ROOT_MEM, Cap
from cheriot_gdbserver.core.engine import Catch
from cheriot_gdbserver.core.stops import StopKind, WatchKind
from cheriot_gdbserver.errors import MemoryAccessError, RegisterWriteError

from .engine_support import build, engine_for

# Every run has a budget (far more than any program here needs): a broken engine then fails a
# test instead of hanging it.
BUDGET = 1_000_000
DEADLINE = 60.0  # seconds, for the one run that only a stop request can end

LOOP = """\
	li a1, 0
count:
	addi a1, a1, 1
	li t1, 1000
	blt a1, t1, count
stored:
	csw a1, 8(ca0)
loaded:
	clw a2, 8(ca0)
fault:
	clw a3, 64(ca0)              # one past the 64-byte object: bounds violation
	ebreak
"""


@pytest.fixture(params=[False, True], ids=["fast", "reference"])
def reference(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def loop(tmp_path_factory: pytest.TempPathFactory):
    return build(LOOP, tmp_path_factory.mktemp("loop"))


def test_step_retires_exactly_n_instructions(loop, reference):
    engine = engine_for(loop, reference=reference)
    stop = engine.step(3)
    assert stop.kind is StopKind.STEP
    assert engine.core.instret == 3
    assert stop.pc == loop.entry + 4 + 4 + 4  # cspecialr, li (lui), li (addi)...


def test_breakpoint_stops_before_the_instruction_and_resumes_past_it(loop, reference):
    engine = engine_for(loop, reference=reference)
    engine.add_breakpoint(loop["count"])
    first = engine.run(BUDGET)
    assert (first.kind, first.pc) == (StopKind.BREAKPOINT, loop["count"])
    assert engine.read_cap(11).address == 0
    second = engine.run(BUDGET)
    assert (second.kind, second.pc) == (StopKind.BREAKPOINT, loop["count"])
    assert engine.read_cap(11).address == 1  # one iteration ran in between
    engine.remove_breakpoint(loop["count"])
    assert engine.run(BUDGET).trap.mcause == 0x1C


def test_cheri_fault_is_caught_before_it_is_taken(loop, reference):
    engine = engine_for(loop, reference=reference)
    stop = engine.run(BUDGET)
    assert stop.kind is StopKind.EXCEPTION
    assert (stop.pc, stop.trap.mcause, stop.trap.mtval) == (loop["fault"], 0x1C, (10 << 5) | 1)
    assert stop.trap.register == "ca0"
    assert stop.trap.description == "CHERI bounds violation on load through ca0"
    assert stop.trap.capability.tag and stop.trap.capability.base == 0x80020000
    assert engine.pending_trap == stop.trap
    assert engine.read_cap(12).address == 1000  # the loop ran to completion


def test_resuming_delivers_the_pending_trap(loop, reference):
    engine = engine_for(loop, reference=reference)
    engine.run(BUDGET)
    stop = engine.run(BUDGET)
    # The trap was taken (MEPCC, mcause), but MTCC is the reset value (address 0, no memory
    # there), so the handler cannot run: a lock-up, reported with the original fault.
    assert stop.kind is StopKind.LOCKUP
    assert stop.trap.mcause == 0x1C and stop.trap.pc == loop["fault"]
    assert (engine.hart.mcause, engine.hart.scr[31].address) == (0x1C, loop["fault"])
    assert engine.pc == 0


def test_catch_none_lets_traps_through_to_the_lockup(loop, reference):
    engine = engine_for(loop, reference=reference)
    engine.catch = Catch.NONE
    stop = engine.run(BUDGET)
    assert stop.kind is StopKind.LOCKUP
    assert stop.trap.mcause == 0x1C and stop.trap.pc == loop["fault"]
    assert engine.hart.scr[31].address == loop["fault"]


def test_watchpoints_stop_before_the_access(loop, reference):
    engine = engine_for(loop, reference=reference)
    engine.add_watchpoint(0x80020008, 4, WatchKind.WRITE)
    stop = engine.run(BUDGET)
    assert (stop.kind, stop.pc) == (StopKind.WATCHPOINT, loop["stored"])
    assert stop.watch.address == 0x80020008 and stop.watch.is_write
    assert engine.read_memory(0x80020008, 4) == bytes(4)  # not written yet
    engine.remove_watchpoint(0x80020008, 4, WatchKind.WRITE)
    engine.add_watchpoint(0x8002000A, 2, WatchKind.READ)
    stop = engine.run(BUDGET)
    assert (stop.kind, stop.pc) == (StopKind.WATCHPOINT, loop["loaded"])
    assert stop.watch.access_address == 0x80020008 and not stop.watch.is_write
    assert engine.read_memory(0x80020008, 4) == (1000).to_bytes(4, "little")


def test_a_step_onto_a_watched_store_stops_before_it_then_steps_past_it(loop, reference):
    # RISC-V debug spec 0.13 mcontrol.timing = 0 ("before"): the data trigger fires on the access,
    # also when single-stepping onto it. Resumed from that stop, the access is made (the stop is
    # not reported twice), as after gdb's step over a nonsteppable watchpoint.
    engine = engine_for(loop, reference=reference)
    engine.add_breakpoint(loop["stored"])
    assert (engine.run(BUDGET).kind, engine.pc) == (StopKind.BREAKPOINT, loop["stored"])
    engine.add_watchpoint(0x80020008, 4, WatchKind.WRITE)
    stop = engine.step(1)
    assert (stop.kind, stop.pc) == (StopKind.WATCHPOINT, loop["stored"])
    assert engine.read_memory(0x80020008, 4) == bytes(4)
    stop = engine.single_step()
    assert stop.kind is StopKind.STEP and stop.pc != loop["stored"]
    assert engine.read_memory(0x80020008, 4) != bytes(4)


def test_access_watchpoint_sees_reads_and_writes(loop, reference):
    engine = engine_for(loop, reference=reference)
    engine.add_watchpoint(0x80020008, 8, WatchKind.ACCESS)
    assert engine.run(BUDGET).pc == loop["stored"]
    assert engine.run(BUDGET).pc == loop["loaded"]


def test_budget_stop(loop, reference):
    engine = engine_for(loop, reference=reference)
    stop = engine.run(100)
    assert stop.kind is StopKind.BUDGET and engine.core.instret == 100


def test_request_stop_from_another_thread_interrupts_a_spin(tmp_path, reference):
    program = build("spin:\n\tj spin\n", tmp_path)
    engine = engine_for(program, reference=reference)
    stops = []
    runner = threading.Thread(target=lambda: stops.append(engine.run()), daemon=True)
    timer = threading.Timer(0.2, engine.request_stop)
    runner.start()
    timer.start()
    runner.join(DEADLINE)
    timer.cancel()
    assert not runner.is_alive(), f"request_stop did not stop the engine in {DEADLINE} s"
    (stop,) = stops
    assert (stop.kind, stop.pc) == (StopKind.INTERRUPTED, program["spin"])
    assert engine.core.instret > 1000


def test_wfi_without_any_wake_source_halts(tmp_path, reference):
    program = build("sleep:\n\twfi\n\tebreak\n", tmp_path)
    engine = engine_for(program, reference=reference)
    stop = engine.run(BUDGET)
    assert (stop.kind, stop.pc) == (StopKind.HALTED, program["sleep"])


def test_code_written_by_the_debugger_takes_effect(tmp_path, reference):
    program = build(".option norvc\npatch:\n\tli a1, 1\n\tebreak\n", tmp_path)
    engine = engine_for(program, reference=reference)
    engine.catch = Catch.ALL
    engine.add_breakpoint(program["patch"])
    engine.run(BUDGET)
    engine.run(BUDGET)  # ebreak: the li has run once (translated and decoded)
    assert engine.read_cap(11).address == 1
    engine.set_pc(program["patch"])
    engine.write_memory(program["patch"], bytes.fromhex("9305f002"))  # li a1, 47 (addi a1,x0,47)
    stop = engine.run(BUDGET)
    assert stop.trap.mcause == 3
    assert engine.read_cap(11).address == 47


def test_self_modifying_code_takes_effect(tmp_path, reference):
    body = """\
	li a1, 0
	cspecialr ca2, mtdc
	auipcc ca3, 0                # code capability to here (data view through the root)
	lui t0, %hi(target)
	addi t0, t0, %lo(target)
	csetaddr ca2, ca2, t0
	li t1, 0x02a00593            # li a1, 42
	csw t1, 0(ca2)
	fence.i
.option norvc
target:
	li a1, 7
	ebreak
"""
    program = build(body, tmp_path)
    engine = engine_for(program, reference=reference)
    engine.catch = Catch.ALL
    assert engine.run(BUDGET).trap.mcause == 3
    assert engine.read_cap(11).address == 42


def test_debugger_memory_writes_clear_tags(loop, reference):
    engine = engine_for(loop, reference=reference)
    engine.memory.store_cap(0x80020010, ROOT_MEM.bits, True)
    assert engine.memory.tags(0x80020010, 8) == [True]
    engine.write_memory(0x80020013, b"\x00")
    assert engine.memory.tags(0x80020010, 8) == [False]


def test_debugger_reads_of_unmapped_memory_fail_clearly(loop):
    engine = engine_for(loop)
    with pytest.raises(MemoryAccessError, match="0x10000000"):
        engine.read_memory(0x1000_0000, 4)


def test_the_debugger_cannot_mint_a_tagged_capability(loop):
    engine = engine_for(loop)
    engine.step(4)  # ca0 is the 64-byte object now
    ca0 = engine.read_cap(10)
    assert ca0.tag
    with pytest.raises(RegisterWriteError):
        engine.write_cap(11, ROOT_MEM)  # a1 holds an integer: nothing to derive from
    with pytest.raises(RegisterWriteError):
        engine.write_cap(10, ROOT_MEM)  # wider than ca0
    engine.write_cap(10, ca0.with_tag(False))
    assert not engine.read_cap(10).tag


def test_integer_writes_from_the_debugger_move_the_address_like_csetaddr(loop):
    engine = engine_for(loop)
    engine.step(4)
    engine.write_int(10, 0x80020020)  # inside the representable range: still tagged
    assert engine.read_cap(10).tag and engine.read_cap(10).address == 0x80020020
    engine.write_int(10, 0x90000000)  # far away: not representable, untagged
    assert not engine.read_cap(10).tag and engine.read_cap(10).address == 0x90000000


# Each watched location meets both kinds of access, in both orders: a store then a load at +8,
# a load then a store at +16 (integer accesses), and the same through clc/csc at +24/+32. A
# watchpoint stops only on the access it is for (GDB manual, "Setting Watchpoints": watch =
# write, rwatch = read, awatch = either), before the access is made.
ORDERS = """\
	li a1, 5
	cmove ca2, ca0
store_then_load:
	csw a1, 8(ca0)
load_after_store:
	clw a2, 8(ca0)
load_then_store:
	clw a3, 16(ca0)
store_after_load:
	csw a1, 16(ca0)
csc_then_clc:
	csc ca2, 24(ca0)
clc_after_csc:
	clc ca3, 24(ca0)
clc_then_csc:
	clc ca4, 32(ca0)
csc_after_clc:
	csc ca2, 32(ca0)
finished:
	ebreak
"""

OBJECT = 0x80020000  # ca0's base (engine_support.PROLOGUE)


@pytest.fixture
def orders(tmp_path_factory: pytest.TempPathFactory):
    return build(ORDERS, tmp_path_factory.mktemp("orders"))


def warm_engine(program, reference: bool):
    """An engine that has run the program once, so that in the fast mode every access below
    is decided by fastpath.c (it only handles instructions Python has decoded), then reset."""
    engine = engine_for(program, reference=reference)
    engine.catch = Catch.ALL
    assert engine.run(BUDGET).trap.mcause == 3  # the ebreak at finished
    engine.reset(program.entry)
    return engine


def watch_stops(engine, budget: int = 100) -> list[tuple[int, bool, WatchKind]]:
    """Run to the end, collecting (pc, is_write, kind) of each watchpoint stop."""
    stops = []
    for _ in range(10):  # at most two stops per location: never more than a few
        stop = engine.run(budget)
        if stop.kind is not StopKind.WATCHPOINT:
            assert stop.trap is not None and stop.trap.mcause == 3, stop  # ran to the ebreak
            return stops
        stops.append((stop.pc, stop.watch.is_write, stop.watch.kind))
    raise AssertionError(f"too many watchpoint stops: {stops}")


@pytest.mark.parametrize(("offset", "width"), [(8, 4), (16, 4), (24, 8), (32, 8)],
                         ids=["int-store-first", "int-load-first", "cap-store-first",
                              "cap-load-first"])
@pytest.mark.parametrize("kind", [WatchKind.READ, WatchKind.WRITE, WatchKind.ACCESS],
                         ids=["rwatch", "watch", "awatch"])
def test_each_watchpoint_kind_stops_only_on_its_accesses(orders, reference, kind, offset,
                                                          width):
    engine = warm_engine(orders, reference)
    engine.add_watchpoint(OBJECT + offset, width, kind)
    names = {8: ("store_then_load", "load_after_store"), 16: ("load_then_store",
             "store_after_load"), 24: ("csc_then_clc", "clc_after_csc"),
             32: ("clc_then_csc", "csc_after_clc")}[offset]
    first, second = (orders[name] for name in names)
    first_is_write = offset in (8, 24)
    accesses = [(first, first_is_write, kind), (second, not first_is_write, kind)]
    wanted = {WatchKind.READ: [False], WatchKind.WRITE: [True],
              WatchKind.ACCESS: [True, False]}[kind]
    assert watch_stops(engine) == [a for a in accesses if a[1] in wanted]


def test_a_read_watchpoint_on_a_location_only_stored_to_never_stops(orders, reference):
    engine = warm_engine(orders, reference)
    engine.add_watchpoint(OBJECT + 40, 8, WatchKind.READ)  # nothing reads or writes +40
    engine.add_watchpoint(OBJECT + 8, 4, WatchKind.WRITE)
    engine.add_watchpoint(OBJECT + 16, 4, WatchKind.READ)
    assert watch_stops(engine) == [(orders["store_then_load"], True, WatchKind.WRITE),
                                   (orders["load_then_store"], False, WatchKind.READ)]


def test_a_watchpoint_stop_names_the_watched_and_the_accessed_address(orders, reference):
    engine = warm_engine(orders, reference)
    engine.write_memory(OBJECT + 16, bytes(4))  # the warm-up run stored 5 there
    engine.add_watchpoint(OBJECT + 18, 1, WatchKind.WRITE)  # inside the word stored at +16
    stop = engine.run(100)
    assert (stop.kind, stop.pc) == (StopKind.WATCHPOINT, orders["store_after_load"])
    assert (stop.watch.address, stop.watch.access_address) == (OBJECT + 18, OBJECT + 16)
    assert engine.read_memory(OBJECT + 16, 4) == bytes(4)  # stopped before the store


def test_the_debugger_can_narrow_but_not_widen_a_capability(loop):
    engine = engine_for(loop)
    engine.step(4)  # ca0 is the 64-byte object [0x80020000, 0x80020040) now
    # Metadata words by isa.md §2.8 (e = 0 below 512 bytes: B = base[8:0], T = top[8:0]) with
    # the memory root's P = 0x3F (§2.11): 64 bytes is T = 0x040, i.e. 0x7E000000 | 0x040 << 9.
    assert (engine.read_cap(10).tag, engine.read_cap(10).meta) == (True, 0x7E008000)
    wider = Cap(True, 0x80020000, 0x7E000000 | 0x080 << 9)      # same base, top + 64
    with pytest.raises(RegisterWriteError):
        engine.write_cap(10, wider)
    narrower = Cap(True, 0x80020000, 0x7E000000 | 0x020 << 9)   # same base, 32 bytes
    engine.write_cap(10, narrower)
    assert engine.read_cap(10).bounds == (0x80020000, 0x80020020)


@pytest.mark.parametrize("kind", [WatchKind.READ, WatchKind.WRITE, WatchKind.ACCESS],
                         ids=["rwatch", "watch", "awatch"])
def test_accesses_next_to_a_watched_range_do_not_stop(orders, reference, kind):
    # [+12, +16) and [+20, +24) touch the accesses at +8..+12, +16..+20 and +24..+32 without
    # overlapping them; [+23, +24) is one byte short of the capability accesses at +24.
    engine = warm_engine(orders, reference)
    engine.add_watchpoint(OBJECT + 12, 4, kind)
    engine.add_watchpoint(OBJECT + 20, 4, kind)
    engine.add_watchpoint(OBJECT + 40, 1, kind)
    slow: list[int] = []
    engine.tracer = lambda pc, _instr: slow.append(pc)
    assert watch_stops(engine) == []
    if not reference:  # and the fast path ran them itself: no watchpoint covers them
        accesses = ["store_then_load", "load_after_store", "load_then_store", "store_after_load",
                    "csc_then_clc", "clc_after_csc", "clc_then_csc", "csc_after_clc"]
        assert [name for name in accesses if orders[name] in slow] == []


class _FarTimer:
    """A timebase whose one event (a timer compare) lies ``distance`` instruction times ahead."""

    def __init__(self, engine, distance: int) -> None:  # noqa: ANN001
        self.engine, self.distance = engine, distance
        self.due = None

    def next_event(self) -> int | None:
        if self.due is None:
            self.due = self.engine.core.instret + self.distance
        return self.due

    def next_event_after_write(self, device: object) -> int | None:
        return self.next_event()

    def advance(self) -> None:
        if self.engine.core.instret >= self.due:
            self.engine.hart.mip |= 0x80  # MTIP


@pytest.mark.parametrize("distance, kind", [(1 << 40, StopKind.BREAKPOINT),
                                            ((1 << 62) + 1000, StopKind.HALTED)])
def test_wfi_skips_to_a_far_timer_but_not_past_minstrets_room(tmp_path, reference, distance,
                                                              kind):
    """wfi skips time to the next device event; one further away than 2**62 instruction times
    (a timer parked as the RTOS parks it: mtimecmp's high word all ones) ends the run as
    halted, since minstret would have no room left to count."""
    program = build("csrwi mie, 0\n\tli t0, 0x80\n\tcsrw mie, t0\nsleep:\n\twfi\n"
                    "woke:\n\tebreak\n", tmp_path)
    engine = engine_for(program, reference=reference)
    engine.timebase = _FarTimer(engine, distance)
    engine.catch = Catch.ALL
    engine.add_breakpoint(program["woke"])
    stop = engine.run()
    assert stop.kind is kind
    if kind is StopKind.HALTED:
        assert stop.pc == program["sleep"]
        assert stop.message == ("wfi with no interrupt due within 2**62 instruction times "
                                "(the timer is parked)")
        assert engine.core.instret < 1000 and engine.asleep == 0
    else:
        assert engine.asleep >= distance - 10 and engine.core.instret >= distance
