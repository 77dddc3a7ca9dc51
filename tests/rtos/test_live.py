"""Live state on a fake halted target: threads and call chains (rtos.md 3.3, 3.9, 4.2, 4.10),
futexes (4.5, 4.6, 4.8), sealed capabilities (5.6), the heap (6.10), where, and the audit
report (8). Run-time structures are written at the documented offsets, or at the offsets the
image's own DWARF declares for the DWARF variant."""

from __future__ import annotations

import json

import pytest

from cheriot_gdbserver.core.capability import Cap
from cheriot_gdbserver.rtos.cheriot import RtosState
from cheriot_gdbserver.rtos.cheriot.threads import ThreadState

from . import synth
from .conftest import open_image
from .target import Scenario, ThreadSpec, cap, load

SCHED_PC = 0x80001100
ALLOC_PC = 0x80002100
WORKER_PC = 0x80006040
HELLO_PC = 0x80005080
HELLO_PC2 = 0x80005090


def two_threads(generation: str, synth_image, *, dwarf: bool = False, thread1=None):
    path, lay = synth_image(generation, dwarf=dwarf)
    image = open_image(path)
    view = load(path)
    scen = Scenario(view, lay, dwarf)
    stack2, size2 = lay.stacks[1]
    # Thread 2 runs, boosted from 1 to 2, inside allocator.heap_allocate called from
    # hello.say_hello, called from its entry worker.run.
    scen.thread(2, ThreadSpec(priority=2, base_priority=1, pc=ALLOC_PC,
                              mshwm=stack2 + size2 - 0x100,
                              frames=[(lay.exports["worker"][0], None),
                                      (lay.entries["hello.say_hello"], WORKER_PC),
                                      (lay.entries["allocator.heap_allocate"], HELLO_PC)]))
    # Thread 1 waits on the PI futex hello_lock held by thread 2, boosting it.
    scen.thread(1, thread1 or ThreadSpec(
        state=1, priority=2, base_priority=2, queue="futex", futex=lay.symbols["hello_lock"],
        pi=True, boosts=2, expiry=5000, pc=SCHED_PC, mcause=11,
        frames=[(lay.exports["hello"][0], None),
                (lay.entries["scheduler.futex_timed_wait"], HELLO_PC2)]))
    scen.current(2)
    view.u32(lay.symbols["hello_lock"], 0x00010002)
    view.u32(lay.symbols["_ZN12_GLOBAL__N_119InterruptController10masterPlicE"] + 4, 3)
    view.csrs["mshwm"] = stack2 + size2 - 0x180
    view.registers["mtdc"] = cap(*lay.trusted_stacks[1])   # the CPU runs thread 2
    view.registers["pcc"] = cap(0x80002000, 0x400, ALLOC_PC + 4, execute=True)
    return image, view, lay, scen


@pytest.mark.parametrize("generation", synth.GENERATIONS)
def test_threads_states_priorities_and_call_chains(synth_image, generation):
    image, view, lay, _ = two_threads(generation, synth_image)
    state = RtosState(image, view)
    t1, t2 = state.threads()
    assert (t2.id, t2.name, t2.state) == (2, "worker.run", ThreadState.RUNNING)
    assert (t2.base_priority, t2.priority, t2.boosted) == (1, 2, True)
    assert t2.compartment == "allocator"
    assert [(f.compartment, f.function, f.caller_compartment, f.caller_pc)
            for f in t2.call_chain] == [
        ("worker", "run", None, None),
        ("hello", "say_hello", "worker", WORKER_PC),
        ("allocator", "heap_allocate", "hello", HELLO_PC)]
    assert state.current_thread_id() == 2 and t2.on_cpu and t2.pc == ALLOC_PC + 4
    # The running thread's stack use comes from the live MSHWM CSR.
    stack, size = lay.stacks[1]
    assert (t2.stack.lowest_used, t2.stack.used) == (stack + size - 0x180, 0x180)

    assert (t1.name, t1.state, t1.futex) == ("hello.say_hello", ThreadState.FUTEX,
                                             lay.symbols["hello_lock"])
    assert (t1.futex_priority_inheriting, t1.boosts, t1.wake_time) == (True, 2, 5000)
    assert t1.compartment == "scheduler" and t1.pc_owner == "scheduler"
    assert t1.context["pcc"].address == SCHED_PC
    assert t1.context.resume_pc == SCHED_PC + 4          # it trapped with ecall (mcause 11)
    assert t1.context["csp"].tag and t1.context["csp"] == t1.context["c2"]
    assert t1.stack.used == 0                             # saved MSHWM = stack top
    assert t1.describe() == f"waiting on futex {lay.symbols['hello_lock']:#010x} until cycle 5000"


def test_thread_layouts_come_from_dwarf(synth_image):
    # The DWARF of this image moves every thread-block field up by 8 bytes and declares the
    # trusted stack without MSHWM: only a reader that follows DWARF gets these answers.
    image, view, lay, _ = two_threads("F", synth_image, dwarf=True)
    assert image.thread_layout.source == "dwarf" and image.thread_layout.size == 88
    assert image.trusted_stack_layout["frames"].offset == 152
    t1, t2 = RtosState(image, view).threads()
    assert (t1.state, t1.futex, t1.boosts) == (ThreadState.FUTEX, lay.symbols["hello_lock"], 2)
    assert t2.state == ThreadState.RUNNING and t2.priority == 2 and t2.base_priority == 1
    assert [f.function for f in t2.call_chain] == ["run", "say_hello", "heap_allocate"]
    assert t1.stack.lowest_used is None                   # no MSHWM in this layout


@pytest.mark.parametrize(("spec", "expected"), [
    (ThreadSpec(state=2), ThreadState.EXITED),
    (ThreadSpec(state=0), ThreadState.READY),
    (ThreadSpec(state=1, expiry=777), ThreadState.SLEEPING),
    (ThreadSpec(state=1, yielding=True, expiry=777), ThreadState.YIELDING),
    (ThreadSpec(state=1, queue="multiwaiter", multiwaiter=0x80031000), ThreadState.MULTIWAITER),
])
def test_thread_states(synth_image, spec, expected):
    image, view, _, _ = two_threads("A", synth_image, thread1=spec)
    t1 = RtosState(image, view).thread(1)
    assert t1.state == expected
    if expected == ThreadState.MULTIWAITER:
        assert t1.multiwaiter == 0x80031000
    if expected == ThreadState.SLEEPING:
        assert t1.wake_time == 777


def test_threads_before_the_scheduler_ran(synth_image):
    path, lay = synth_image("E")
    image, view = open_image(path), load(path)
    threads = RtosState(image, view).threads()
    assert [(t.id, t.name, t.state) for t in threads] == [
        (1, "hello.say_hello", ThreadState.NOT_STARTED), (2, "worker.run", ThreadState.NOT_STARTED)]
    assert RtosState(image, view).current_thread_id() == 0


def test_state_is_cached_per_stop_and_invalidated(synth_image):
    image, view, lay, scen = two_threads("D", synth_image)
    state = RtosState(image, view)
    state.threads()
    reads = view.reads
    state.threads()
    assert view.reads == reads                            # cached for this stop
    scen.current(None)
    scen.thread(2, ThreadSpec(state=2))
    assert state.thread(2).state == ThreadState.RUNNING   # still this stop's answer
    state.invalidate()
    assert state.thread(2).state == ThreadState.EXITED and state.current_thread_id() == 0


@pytest.mark.parametrize("generation", ["A", "F"])
def test_futexes(synth_image, generation):
    image, view, lay, _ = two_threads(generation, synth_image)
    futexes = {f.address: f for f in RtosState(image, view).futexes()}
    lock = futexes[lay.symbols["hello_lock"]]
    assert lock.value == 0x00010002 and lock.pi_owner == 2
    assert "globals of hello" in lock.lives_in and "hello_lock+0x0" in lock.lives_in
    assert [(w.thread, w.wake_time, w.priority_inheriting, w.boosts, w.expected)
            for w in lock.waiters] == [(1, 5000, True, 2, None)]
    irq = futexes[lay.symbols["_ZN12_GLOBAL__N_119InterruptController10masterPlicE"] + 4]
    assert (irq.value, irq.interrupt.number, irq.interrupt.name) == (3, 4, "FakeInterrupt")
    assert irq.waiters == () and irq.lives_in == "interrupt 4 (FakeInterrupt)"


def test_interrupt_numbers_without_a_board_come_from_the_scheduler(synth_image):
    path, lay = synth_image("B")
    image = open_image(path, interrupts=())
    view = load(path)
    irq = lay.symbols["_ZN12_GLOBAL__N_119InterruptController10masterPlicE"] + 4
    futex = next(f for f in RtosState(image, view).futexes() if f.address == irq)
    assert (futex.interrupt.number, futex.interrupt.name, futex.lives_in) == \
        (4, None, "interrupt 4")


def test_sealed_capabilities_2024_scheme(synth_image):
    image, view, lay, _ = two_threads("A", synth_image)
    # The loader numbered the static sealing types (InterruptKey 16, MallocKey 17) and wrote
    # the numbers into the persistent export entries and the objects' header words (5.4).
    view.u16(lay.entries["scheduler.InterruptKey"], 16)
    view.u16(lay.entries["allocator.MallocKey"], 17)
    obj = lay.objects["hello.__default_malloc_capability"]
    view.u32(obj, 17)
    state = RtosState(image, view)
    info = state.sealed(cap(obj, 32, obj, otype=12))
    assert (info.kind, info.key, info.compartment) == ("allocator-sealed object", 17, "allocator")
    assert info.sealing_type.key == "MallocKey"
    assert info.payload == (obj + 8, obj + 32) and info.first_words[0] == 4096
    assert info.static_object.owner == "hello"
    handle = state.sealed(cap(lay.exports["hello"][0], lay.exports["hello"][1],
                              lay.entries["hello.say_hello"], otype=9))
    assert (handle.kind, handle.compartment, handle.function) == \
        ("export entry", "hello", "say_hello")
    ts, size = lay.trusted_stacks[0]
    assert state.sealed(cap(ts, size, otype=10)).thread == 1
    sentry = state.sealed(cap(0x80004000, 0x80, 0x80004010, otype=2, execute=True))
    assert sentry.kind == "sentry" and sentry.compartment == "locks"
    mw = 0x80031000
    view.u32(mw, 1)
    assert state.sealed(cap(mw, 64, mw, otype=11)).kind == "multiwaiter"
    assert state.sealed(Cap(True, 0x1000, 0)).kind == "unsealed"


def test_sealed_payload_addressed_token(synth_image):
    # Handles address the payload (+7 software permission bits) since September 2025 (5.3).
    image, view, lay, _ = two_threads("F", synth_image)
    base = 0x80031000
    view.u32(base + 8, 0x0FFFFFFE)        # header word: a dynamic key from token_key_new
    view.u32(base + 16, 0xABCD)
    info = RtosState(image, view).sealed(cap(base, 48, base + 16 + 7, otype=11))
    assert (info.header, info.payload, info.permissions) == (base + 8, (base + 16, base + 48), 7)
    assert info.key == 0x0FFFFFFE and info.first_words[0] == 0xABCD and info.sealing_type is None


def chunk_header(view, h: int, size: int, in_use: bool, owner: int = 0, sealed: bool = False,
                 dwarf: bool = False) -> None:
    if dwarf:   # the DWARF variant of dwarfgen.CHUNK
        view.u16(h, size // 8)
        view.u16(h + 4, in_use | (sealed << 2) | (owner << 3))
    else:       # rtos.md 6.2
        view.u16(h + 2, size // 8)
        view.u16(h + 4, owner | (sealed << 13) | (in_use << 15))


def heap_state(view, lay, dwarf: bool = False):
    """An initialised heap: MState, four chunks, a free remainder and the end sentinel."""
    ms = 0x80030000
    first = ms + 248 + 2 * 16
    view.cap(lay.symbols["_ZN12_GLOBAL__N_12gmE"], cap(ms, 248))
    view.cap(ms, cap(first, synth.HEAP_END - first))
    chunks = [(48, True, 1, False), (32, True, 1, False), (64, False, 0, False),
              (40, True, 2, True)]
    h = first
    for size, in_use, owner, sealed in chunks:
        chunk_header(view, h, size, in_use, owner, sealed, dwarf)
        h += size
    rest = synth.HEAP_END - 8 - h
    chunk_header(view, h, rest, False, dwarf=dwarf)
    chunk_header(view, synth.HEAP_END - 8, 8, True, dwarf=dwarf)
    # Quarantine: the second chunk's body is painted in the revocation bitmap (6.5).
    granule = (first + 48 + 8 - 0x80000000) >> 3
    view.u32(synth.SHADOW[0] + 4 * (granule >> 5), 1 << (granule & 31))
    total = synth.HEAP_END - first
    view.u32(ms + 220, total)
    view.u32(ms + 224, 64 + rest)
    view.u32(ms + 228, 32)
    hello, worker = (lay.objects["hello.__default_malloc_capability"],
                     lay.objects["worker.__default_malloc_capability"])
    view.u32(hello + 8, 4096 - 80)
    view.u16(hello + 12, 1)
    view.u32(worker + 8, 1024 - 40)
    view.u16(worker + 12, 2)
    view.u32(lay.symbols["_ZN12_GLOBAL__N_15epochE"], 5)
    return first, total, rest


@pytest.mark.parametrize(("generation", "dwarf"), [("B", False), ("F", False), ("F", True)])
def test_heap(synth_image, generation, dwarf):
    # With DWARF, the chunk header is read as the image declares it (sizes swapped, flags in
    # the low bits); MState, which that DWARF lacks, keeps its documented layout.
    image, view, lay, _ = two_threads(generation, synth_image, dwarf=dwarf)
    assert image.chunk_layout.source == ("dwarf" if dwarf else "documented")
    assert image.mstate_layout.source == "documented"
    state = RtosState(image, view)
    assert not state.heap().initialised                  # gm is still null
    first, total, rest = heap_state(view, lay, dwarf)
    state.invalidate()
    heap = state.heap()
    assert heap.initialised and heap.quarantine_known
    assert (heap.total, heap.free, heap.quarantine, heap.in_use) == \
        (total, 64 + rest, 32, total - 64 - rest - 32)
    assert (heap.epoch, heap.sweeping, heap.revoker) == (5, True, "software")
    assert [(c.size, c.state, c.quota) for c in heap.chunks] == [
        (48, "allocated", "hello.__default_malloc_capability"),
        (32, "quarantined", "hello.__default_malloc_capability"),
        (64, "free", None), (40, "allocated", "worker.__default_malloc_capability"),
        (rest, "free", None)]
    assert heap.chunks[3].sealed
    assert [(q.name, q.used, q.identifier) for q in heap.quotas] == [
        ("hello.__default_malloc_capability", 80, 1), ("worker.__default_malloc_capability", 40, 2)]
    chunk = state.chunk(first + 48 + 20)
    assert (chunk.header, chunk.state) == (first + 48, "quarantined")
    assert state.chunk(0x80005000) is None


def test_where(synth_image):
    image, view, lay, _ = two_threads("C", synth_image)
    heap_state(view, lay)
    state = RtosState(image, view)
    assert state.where(lay.symbols["hello_lock"] + 2).describe().startswith("globals of hello")
    assert state.where(lay.symbols["hello_lock"] + 2).detail == "hello_lock+0x2"
    assert state.where(0x80005100).kind == "code" and state.where(0x80005100).owner == "hello"
    assert state.where(0x80005008).kind == "import table"
    stack, size = lay.stacks[1]
    w = state.where(stack + size - 0x20)
    assert (w.kind, w.owner) == ("stack", "thread 2 (worker.run)")
    assert state.where(lay.trusted_stacks[0][0] + 4).kind == "trusted stack"
    assert (state.where(synth.UART[0] + 4).kind, state.where(synth.UART[0] + 4).owner) == \
        ("MMIO", "uart")
    obj = lay.objects["worker.__default_malloc_capability"]
    assert (state.where(obj + 9).kind, state.where(obj + 9).owner) == \
        ("static sealed object", "worker")
    first = 0x80030000 + 248 + 32
    chunk = state.where(first + 48 + 8)
    assert (chunk.kind, chunk.detail) == ("heap chunk", "quarantined")
    token = state.where(first + 48 + 32 + 64 + 8)
    assert (token.owner, token.detail) == ("worker.__default_malloc_capability",
                                           "allocated, a sealed (token) object")
    assert (state.where(0x80000000).kind, state.where(0x80000000).owner) == ("code", "loader")
    # The loader record's C++ code and data (generation C has one) lie in the heap range: the
    # heap's chunk once the allocator runs, the loader's code before.
    assert state.where(0x80029010).kind == "heap"
    before = RtosState(image, load(synth_image("C")[0]))
    assert before.where(0x80029010).describe().startswith("loader code (erased after boot)")
    assert state.where(0x9000_0000) is None


def test_audit_report_shape(synth_image):
    image, view, _, _ = two_threads("A", synth_image)
    report = RtosState(image, view).audit()
    json.dumps(report)                                    # plain JSON
    hello = report["compartments"]["hello"]
    kinds = sorted({i["kind"] for i in hello["imports"]})
    assert kinds == ["CompartmentExport", "LibraryFunction", "MMIO", "SealedObject",
                     "SharedObject"]
    sealed = {i["sealing_type"]["key"]: i["contents"] for i in hello["imports"]
              if i["kind"] == "SealedObject"}
    # cheriot-audit's encoding: bytes in memory order, four per group (rtos.md 8's examples).
    assert sealed["InterruptKey"] == "04000101"
    assert sealed["MallocKey"] == "00100000 00000000 00000000 00000000 00000000 00000000"
    uart = next(i for i in hello["imports"] if i["kind"] == "MMIO")
    assert (uart["start"], uart["length"], uart["permits_load"], uart["permits_store"],
            uart["permits_load_store_capabilities"]) == (synth.UART[0], 0x100, True, True, False)
    say = next(e for e in hello["exports"] if e.get("export_symbol") ==
               "__export_hello__Z9say_hellov")
    assert (say["kind"], say["interrupt_status"], say["start_offset"]) == \
        ("Function", "enabled", 0x30)
    assert report["threads"][0]["entry_point"] == {"compartment_name": "hello",
                                                   "function": "say_hello"}
    assert {o["name"] for o in report["sharedObjects"]} == \
        {"allocator_epoch", "allocator_hazard_pointers"}
    assert list(RtosState(image, view).audit("worker")["compartments"]) == ["worker"]


@pytest.mark.parametrize(("generation", "header"), [("A", 16), ("F", 8)])
def test_multiwaiter_waiters_join_their_futex_words(synth_image, generation, header):
    # 2024 layout: type word, Length at +4, usedLength at +5, events from +16 (its tree still
    # had wokenMultiwaiters); current layout: capacity +0, used +1, events from +8 (4.7).
    mw = 0x80031000
    image, view, lay, _ = two_threads(generation, synth_image, thread1=ThreadSpec(
        state=1, queue="multiwaiter", multiwaiter=mw, priority=2, base_priority=2))
    irq = lay.symbols["_ZN12_GLOBAL__N_119InterruptController10masterPlicE"] + 4
    counts = (4, 5) if header == 16 else (0, 1)
    view.u8(mw + counts[0], 4)
    view.u8(mw + counts[1], 2)
    for i, (word, expected) in enumerate(((lay.symbols["worker_flag"], 0), (irq, 3))):
        e = mw + header + 16 * i
        view.cap(e, cap(word, 4, tag=False))
        view.u32(e + 8, expected)
    futexes = {f.address: f for f in RtosState(image, view).futexes()}
    flag = futexes[lay.symbols["worker_flag"]]
    assert [(w.thread, w.expected, w.multiwaiter) for w in flag.waiters] == [(1, 0, mw)]
    assert "worker_flag" in flag.lives_in
    assert [(w.thread, w.expected) for w in futexes[irq].waiters] == [(1, 3)]


def test_register_context_live_for_the_running_thread(synth_image):
    image, view, lay, _ = two_threads("E", synth_image)
    state = RtosState(image, view)
    # The running thread's registers are the CPU's while MTDC holds its trusted stack.
    view.registers.update({name: Cap(False, 0x1000 + n, 0) for n, name in enumerate(
        ("pcc", "cra", "csp", "cgp", "ctp", "ct0", "ct1", "ct2", "cs0", "cs1", "ca0", "ca1",
         "ca2", "ca3", "ca4", "ca5"))})
    view.registers["pcc"] = cap(0x80002000, 0x400, ALLOC_PC + 8, execute=True)
    view.registers["mtdc"] = cap(*lay.trusted_stacks[1])
    live = state.context(2)
    assert live.live and live["pcc"].address == ALLOC_PC + 8 and live["ca0"].address == 0x100a
    assert state.thread(2).pc == ALLOC_PC + 8 and state.thread(2).pc_owner == "allocator"
    assert live.resume_pc == ALLOC_PC + 8
    # In the trap path or the scheduler MTDC is null: the save area is the freshest copy.
    view.registers["mtdc"] = Cap(False, 0, 0)
    saved = state.context(2)
    assert not saved.live and saved["pcc"].address == ALLOC_PC
    waiting = state.context(1)
    assert not waiting.live and waiting.address == lay.trusted_stacks[0][0]
    assert state.context(9) is None


def test_readers_use_only_the_read_only_view(synth_image):
    from .target import ReadOnly
    image, view, lay, _ = two_threads("C", synth_image)
    heap_state(view, lay)
    view.registers["mtdc"] = Cap(False, 0, 0)
    state = RtosState(image, ReadOnly(view))
    before = (bytes(view.regions[0][1]), set(view.tags))
    state.threads(), state.futexes(), state.heap(), state.audit(), state.context(2)
    state.sealed(cap(lay.trusted_stacks[0][0], 264, otype=10))
    state.where(lay.symbols["hello_lock"])
    assert (bytes(view.regions[0][1]), set(view.tags)) == before


def test_fault_outcomes(synth_image):
    # rtos.md 3.5: no frame ends the thread; a compartment with an error handler runs it;
    # otherwise the top frame is unwound to its caller, which ends the thread at frame 0.
    image, view, lay, scen = two_threads("D", synth_image)
    state = RtosState(image, view)
    unwind = state.fault_outcome(2, 0x1C)                   # in allocator (no handler)
    assert (unwind.outcome.value, unwind.caller) == ("force-unwind to the caller",
                                                     f"hello at {HELLO_PC:#010x}")
    assert state.fault_outcome(2, 0x8000_0007).outcome.value.startswith("not an error")
    view.csrs["mcause"] = 2
    assert state.fault_outcome().thread == 2                # the running thread, CPU's mcause
    scen.thread(2, ThreadSpec(priority=2, base_priority=1, pc=HELLO_PC,
                              frames=[(lay.exports["worker"][0], None),
                                      (lay.entries["hello.say_hello"], WORKER_PC)]))
    state.invalidate()
    assert state.fault_outcome(2, 0x1C).outcome.value == "run the compartment's error handler"
    scen.thread(2, ThreadSpec(priority=2, base_priority=1, pc=WORKER_PC,
                              frames=[(lay.exports["worker"][0], None)]))
    state.invalidate()
    assert state.fault_outcome(2, 0x1C).outcome.value == "end the thread"


def test_idle_context_from_sched_tstack(synth_image):
    image, view, lay, _ = two_threads("F", synth_image)
    boot = lay.symbols["bootStack"]            # any 8-aligned area works as the idle save area
    view.cap(boot, cap(0x80000000, 0x100, 0x80000004, execute=True))
    view.cap(lay.symbols["_ZN12_GLOBAL__N_110ThreadImplILj32EE11schedTStackE"],
             cap(boot, 192, otype=10))
    idle = RtosState(image, view).idle_context()
    assert idle.address == boot and idle["pcc"].address == 0x80000004


def test_current_thread_suspending_in_the_scheduler(synth_image):
    # rtos.md 4.10: inside the trap path and the scheduler, ``current`` still names the thread
    # that trapped, which may already be suspended; MTDC is null there, so its registers are the
    # save area's.
    image, view, lay, scen = two_threads("C", synth_image)
    scen.thread(2, ThreadSpec(state=1, queue="futex", futex=lay.symbols["worker_flag"],
                              pc=SCHED_PC, mcause=11, priority=1, base_priority=1,
                              frames=[(lay.exports["worker"][0], None)]))
    view.registers["mtdc"] = Cap(False, 0, 0)
    state = RtosState(image, view)
    t2 = state.thread(2)
    assert (t2.state, t2.on_cpu, t2.pc) == (ThreadState.FUTEX, True, SCHED_PC)
    assert state.current_thread_id() == 2 and not state.context(2).live


def test_dynamic_key_owner_from_the_globals_holding_it(synth_image):
    # rtos.md 5.6: a dynamic key's owner is the compartment whose globals hold a sealing-format
    # capability for it (token_key_new's result: address = base = the type, length 1).
    from .target import sealing_cap
    image, view, lay, _ = two_threads("F", synth_image)
    key = 0x0FFFFF00
    view.cap(lay.symbols["worker_flag"], sealing_cap(key, 1, key))
    base = 0x80031000
    view.u32(base + 8, key)
    info = RtosState(image, view).sealed(cap(base, 48, base + 16 + 7, otype=11))
    assert info.compartment == "worker" and "held in the globals of worker" in info.description


def test_unreadable_allocator_state_is_a_clear_error_and_loses_nothing(synth_image):
    from cheriot_gdbserver.rtos.view import ViewError
    image, view, lay, _ = two_threads("F", synth_image)
    view.cap(lay.symbols["_ZN12_GLOBAL__N_12gmE"], cap(0x9000_0000, 248))   # nothing there
    state = RtosState(image, view)
    with pytest.raises(ViewError, match=r"allocator's state \(gm -> 0x90000000\) cannot be read"):
        state.heap()
    assert [f.address for f in state.futexes() if f.waiters] == [lay.symbols["hello_lock"]]
    assert state.where(lay.symbols["hello_lock"]).owner == "hello"
    assert state.where(synth.HEAP_START + 0x1000).kind == "heap"
