"""Synthetic CHERIoT RTOS images for the RTOS-model tests, assembled and linked by Debian's
RISC-V binutils from generated assembly.

Every byte layout here is written from /work/shared/spec/rtos.md's tables (1.3, 1.4, 2.2, 2.3,
2.5, 5.4), literally and independently of rtos/cheriot: the image header of each generation A-F,
and of generation 0 (older than A: CHERIoT-Platform/cheriot-rtos sdk/core/loader/types.h at
commit 108f0cb, magic 0x43f6af90, a 16-byte switcher record and 20-byte privileged records),
export and import tables, thread descriptors, static sealed objects, the scheduler's and the
allocator's globals. Addresses are fixed in Python first, so the header can be emitted as plain
bytes and every test knows where everything is.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from cheriot_gdbserver.asm.build import assemble

from . import dwarfgen

MAGIC = {"0": 0x43F6AF90, "A": 0x6CEF3879, "B": 0x6CEF3879, "C": 0xCA2B63DE, "D": 0x46391DA0,
         "E": 0x46391DA0, "F": 0xB0531162}
GENERATIONS = tuple(MAGIC)
HEAP_START = 0x80020000
HEAP_END = 0x80040000
UART = (0x10000000, 0x10000100)
CLINT = (0x02000000, 0x02010000)
SHADOW = (0x83000000, 0x83001000)
DEVICES = {"clint": CLINT, "uart": UART, "shadow": SHADOW}
INTERRUPTS = (("FakeInterrupt", 4),)


class Section:
    """One output section at a fixed address, with labels and bytes."""

    def __init__(self, name: str, address: int, unit: str = "main") -> None:
        self.name = name
        self.unit = unit  # object file: local names repeat across compartments (rtos.md 0)
        self.address = address
        self.lines: list[str] = []
        self.size = 0

    @property
    def here(self) -> int:
        return self.address + self.size

    def label(self, name: str, *, size: int | None = None, glob: bool = False,
              kind: str = "object") -> int:
        q = f'"{name}"' if any(c in name for c in "<>") else name
        if glob:
            self.lines.append(f"    .globl {q}")
        if size is not None:
            self.lines.append(f"    .type {q}, @{kind}")
            self.lines.append(f"    .size {q}, {size}")
        self.lines.append(f"{q}:")
        return self.here

    def data(self, blob: bytes) -> int:
        at = self.here
        for i in range(0, len(blob), 16):
            chunk = blob[i:i + 16]
            self.lines.append("    .byte " + ", ".join(str(b) for b in chunk))
        self.size += len(blob)
        return at

    def u16(self, v: int) -> int:
        return self.data(struct.pack("<H", v & 0xFFFF))

    def u32(self, v: int) -> int:
        return self.data(struct.pack("<I", v & 0xFFFFFFFF))

    def zeros(self, n: int) -> int:
        return self.data(bytes(n))

    def align(self, n: int) -> None:
        pad = (-self.here) % n
        if pad:
            self.zeros(pad)


@dataclass
class Layout:
    """Where the builder put everything (the tests' ground truth)."""

    generation: str
    revoker: bool
    symbols: dict[str, int] = field(default_factory=dict)
    code: dict[str, tuple[int, int]] = field(default_factory=dict)
    globals: dict[str, tuple[int, int]] = field(default_factory=dict)
    exports: dict[str, tuple[int, int]] = field(default_factory=dict)   # table ranges
    entries: dict[str, int] = field(default_factory=dict)               # "comp.fn" -> entry
    imports: dict[str, tuple[int, int]] = field(default_factory=dict)   # import table ranges
    sealed: dict[str, tuple[int, int]] = field(default_factory=dict)    # sealed-object ranges
    objects: dict[str, int] = field(default_factory=dict)               # "comp.obj" -> header
    stacks: list[tuple[int, int]] = field(default_factory=list)
    trusted_stacks: list[tuple[int, int]] = field(default_factory=list)
    thread_layout: dict[str, int] = field(default_factory=dict)
    thread_size: int = 80


# Export entry: (function name for the test, symbol, functionStart, min stack /8, flags).
SCHED_EXPORTS = [
    ("futex_timed_wait", "__export_sched__Z16futex_timed_waitP9TimeoutPKjjj", 0x40, 20, 0x14),
    ("thread_count", "__export_sched__Z12thread_countv", 0x60, 0, 0x08),
    ("InterruptKey", "__export.sealing_type.sched.InterruptKey", 0, 0, 0x20),
]
ALLOC_EXPORTS = [
    ("heap_allocate", "__export_alloc__Z13heap_allocateP10SObjStructj", 0x40, 64, 0x0C),
    ("heap_free", "__export_alloc__Z9heap_freeP10SObjStructPv", 0x80, 74, 0x0A),
    ("MallocKey", "__export.sealing_type.alloc.MallocKey", 0, 0, 0x20),
]
REVOKER_EXPORTS = [("revoker_tick", "__export_software_revoker__Z12revoker_tickv", 0x20, 2, 0x10)]
TOKEN_EXPORTS = [("token_obj_unseal",
                  "__library_export_libcalls__Z16token_obj_unsealP10SKeyStructP10SObjStruct",
                  0x18, 0, 0x12)]
SWITCHER_EXPORTS = [("compartment_switcher_entry", "__export_switcher_entry", 0x20, 0, 0x10),
                    ("thread_id_get", "__library_export_libcalls_thread_id_get", 0x60, 0, 0x10)]
LOCKS_EXPORTS = [("flaglock_lock", "__library_export_libcalls__Z13flaglock_lockP8FlagLock",
                  0x10, 0, 0x10)]
HELLO_EXPORTS = [("say_hello", "__export_hello__Z9say_hellov", 0x30, 2, 0x08),
                 ("callback", "__library_export_hello__Z8callbackv", 0x50, 0, 0x10),
                 ("Secret", "__export.sealing_type.hello.Secret", 0, 0, 0x20)]
WORKER_EXPORTS = [("run", "__export_worker__Z3runv", 0x20, 4, 0x08)]
GLOBAL_EXPORTS = {"__export_hello__Z9say_hellov", "__export_worker__Z3runv",
                  "__export_sched__Z16futex_timed_waitP9TimeoutPKjjj",
                  "__export_alloc__Z13heap_allocateP10SObjStructj"}


def _export_table(sec: Section, lay: Layout, comp: str, entries, handler: int | None) -> None:
    sec.align(8)
    start = sec.label(f".{comp}_export_table")
    sec.zeros(16)
    if lay.generation in "0A" or handler is None:
        sec.data(struct.pack("<i", -1 if handler is None else handler))
    else:
        sec.data(struct.pack("<HH", handler, 0xFFFF))
    for fn, sym, start_off, stack, flags in entries:
        lay.entries[f"{comp}.{fn}"] = sec.label(sym, glob=sym in GLOBAL_EXPORTS)
        sec.data(struct.pack("<HBB", start_off, stack, flags))
    sec.label(f".{comp}_export_table_end")
    lay.exports[comp] = (start, sec.here - start)


def _span(data: bytearray, start: int, size: int) -> None:
    data += struct.pack("<IH", start, size)


def build(out_dir: Path, generation: str, *, revoker: bool = True, dwarf: bool = False,
          magic: int | None = None, trailing: int = 0) -> tuple[Path, Layout]:
    """Assemble a synthetic image of ``generation``; ``magic``/``trailing`` corrupt it."""
    lay = Layout(generation, revoker)
    secs: list[Section] = []

    def section(name: str, address: int, unit: str = "main") -> Section:
        s = Section(name, address, unit)
        secs.append(s)
        return s

    # --- code segment ---------------------------------------------------------------------
    boot = section(".loader_start", 0x80000000)
    boot.label("_start", glob=True, kind="function")
    boot.data(bytes.fromhex("6f000000"))  # j .
    lay.code["loader"] = (boot.address, boot.size)
    exports = section(".compartment_export_tables", 0x80000100)
    _export_table(exports, lay, "scheduler", SCHED_EXPORTS, None)
    _export_table(exports, lay, "allocator", ALLOC_EXPORTS, None)
    if revoker:
        _export_table(exports, lay, "software_revoker", REVOKER_EXPORTS, None)
    _export_table(exports, lay, "hello", HELLO_EXPORTS, 0x48)
    _export_table(exports, lay, "worker", WORKER_EXPORTS, None)

    switcher = section("compartment_switcher_code", 0x80000400)
    lay.code["switcher"] = (switcher.label(".compartment_switcher_start"), 0x100)
    switcher.label("compartment_switcher_sealing_key")
    switcher.zeros(0x100)
    switcher.label(".compartment_switcher_end")

    code_at = {"scheduler": 0x80001000, "allocator": 0x80002000, "token_library": 0x80003000,
               "software_revoker": 0x80003800, "locks": 0x80004000, "hello": 0x80005000,
               "worker": 0x80006000}
    lib_tables = section(".library_export_tables", 0x80028000)

    # Library export tables live with the ephemeral loader data (1.3).
    _export_table(lib_tables, lay, "switcher", SWITCHER_EXPORTS, None)
    _export_table(lib_tables, lay, "token_library", TOKEN_EXPORTS, None)
    _export_table(lib_tables, lay, "locks", LOCKS_EXPORTS, None)

    # Data segment addresses (fixed).
    data = section(".data_segment", 0x80010000)
    lay.trusted_stacks = []
    ts_sizes = (192 + 24 * 3, 192 + 24 * 2)
    for n, size in enumerate(ts_sizes, start=1):
        data.align(16)
        start = data.label(f".thread_{n}_trusted_stack_start")
        data.zeros(size)
        data.label(f".thread_{n}_trusted_stack_end")
        lay.trusted_stacks.append((start, size))
    data.align(16)
    lay.symbols["bootStack"] = data.label("bootStack", size=1024)
    data.zeros(1024)
    for n, size in enumerate((0x400, 0x200), start=1):
        data.align(16)
        start = data.label(f".thread_{n}_stack_start")
        data.zeros(size)
        data.label(f".thread_{n}_stack_end")
        lay.stacks.append((start, size))
    data.align(64)
    data.label("__compart_cgps", glob=True)

    # Scheduler globals: the run-time objects of rtos.md 4.1 (2024 symbol names).
    g = data.here
    data.label(".scheduler_globals_start")
    thread_size = 88 if dwarf else 80
    lay.thread_size = thread_size
    for name, size in (("_ZN5sched12threadSpacesE", thread_size * 2),
                       ("_ZN12_GLOBAL__N_110ThreadImplILj32EE7currentE", 8),
                       ("_ZN12_GLOBAL__N_110ThreadImplILj32EE12priorityListE", 256),
                       ("_ZN12_GLOBAL__N_110ThreadImplILj32EE11waitingListE", 8),
                       ("_ZN12_GLOBAL__N_110ThreadImplILj32EE11schedTStackE", 8),
                       ("_ZN12_GLOBAL__N_110ThreadImplILj32EE14ticksSinceBootE", 8),
                       ("_ZN12_GLOBAL__N_116futexWaitingListE", 8),
                       ("_ZN12_GLOBAL__N_119MultiWaiterInternal7threadsE", 8),
                       ("_ZN12_GLOBAL__N_119InterruptController10masterPlicE", 8),
                       # Removed in March 2025, so only the older generations have it (4.1).
                       *([("_ZN12_GLOBAL__N_119MultiWaiterInternal17wokenMultiwaitersE", 8)]
                         if generation in "0ABC" else [])):
        data.align(8)
        lay.symbols[name] = data.label(name, size=size)
        data.zeros(size)
    data.align(8)
    lay.globals["scheduler"] = (g, data.here - g)
    g = data.here
    lay.symbols["_ZN12_GLOBAL__N_12gmE"] = data.label("_ZN12_GLOBAL__N_12gmE", size=8)
    data.zeros(8)
    lay.globals["allocator"] = (g, data.here - g)
    if revoker:
        g = data.here
        lay.symbols["_ZN12_GLOBAL__N_15epochE"] = data.label("_ZN12_GLOBAL__N_15epochE", size=4)
        data.zeros(4)
        data.label("_ZN12_GLOBAL__N_15stateE", size=4)
        data.zeros(4)
        lay.globals["software_revoker"] = (g, data.here - g)
    g = data.here
    lay.symbols["hello_lock"] = data.label("hello_lock", size=4)
    data.zeros(4)
    lay.symbols["hello_counter"] = data.label("hello_counter", size=4)
    data.u32(7)
    lay.globals["hello"] = (g, data.here - g)
    g = data.here
    lay.symbols["worker_flag"] = data.label("worker_flag", size=8)
    data.zeros(8)
    lay.globals["worker"] = (g, data.here - g)
    data.label("__compart_cgps_end", glob=True)

    # Static sealed objects: {u32 sealing-type export entry, u32 0, payload} (5.4).
    data.label(".sealed_objects")
    data = section(".hello_sealed_objects", data.here, "hello")
    start = data.label(".hello_sealed_objects_start")
    data.zeros(4)   # the range start precedes the alignment padding (5.4's first trap)
    data.align(8)
    lay.objects["hello.__default_malloc_capability"] = data.label(
        "__default_malloc_capability", size=32)
    data.u32(lay.entries["allocator.MallocKey"])
    data.u32(0)
    data.u32(4096)
    data.zeros(20)
    lay.objects["hello.interruptCapability"] = data.label("interruptCapability", size=12)
    data.u32(lay.entries["scheduler.InterruptKey"])
    data.u32(0)
    data.data(bytes([4, 0, 1, 1]))
    data.label(".hello_sealed_objects_end")
    lay.sealed["hello"] = (start, data.here - start)
    data.align(8)
    data = section(".worker_sealed_objects", data.here, "worker")
    start = data.label(".worker_sealed_objects_start")
    data.label("__compart_boundary_end")  # an unsized boundary symbol sharing the address
    lay.objects["worker.__default_malloc_capability"] = data.label(
        "__default_malloc_capability", size=32)
    data.u32(lay.entries["allocator.MallocKey"])
    data.u32(0)
    data.u32(1024)
    data.zeros(20)
    data.label(".worker_sealed_objects_end")
    lay.sealed["worker"] = (start, data.here - start)
    data.align(8)
    data = section(".shared_objects", data.here)
    data.label("__shared_objects_start", glob=True)
    for name, size in (("allocator_epoch", 4), ("allocator_hazard_pointers", 32)):
        data.align(8)
        lay.symbols[name] = data.label(f"__cheriot_shared_object_{name}")
        data.zeros(size)
        data.label(f"__cheriot_shared_object_{name}_end")
    data.label("__shared_objects_end", glob=True)

    # --- code sections with import tables (2.3) ---------------------------------------------
    mmio_sym = {True: "__import_mem_uart_true_true_false_false"}

    def privileged_code(name: str, imports: list[tuple[str, int, int]], size: int,
                        rodata: tuple[str, bytes] | None = None) -> None:
        sec = section(f"{name}_code", code_at[name], name)
        sec.label(f".{name}_start")
        sec.label("__sealingkey")
        sec.zeros(8)
        sec.label("__sealingkey2")
        sec.zeros(8)
        imp = sec.label(f".{name}_import_start")
        sec.label(".compartment_switcher")
        sec.zeros(8)
        for sym, target, sp in imports:
            sec.label(sym)
            sec.data(struct.pack("<II", target, sp))
        sec.label(f".{name}_import_end")
        lay.imports[name] = (imp, sec.here - imp)
        if rodata is not None:
            sec.align(4)
            lay.symbols[rodata[0]] = sec.label(rodata[0], size=len(rodata[1]))
            sec.data(rodata[1])
        sec.zeros(size - sec.size)
        sec.label(f".{name}_end")
        lay.code[name] = (code_at[name], size)

    heap_size = HEAP_END - HEAP_START
    privileged_code("scheduler", [("__import_mem_clint_true_true_false_false", CLINT[0],
                                   0xC0000000 | 0x10000 & 0xFFFFFF)], 0x400,
                    # The scheduler's {number, priority, edge-triggered} table (4.8).
                    ("_ZN12_GLOBAL__N_1L20ConfiguredInterruptsE", struct.pack("<III", 4, 2, 0)))
    privileged_code("allocator", [
        ("__import_mem_heap_true_true_true_true", HEAP_START, 0xF0000000 | heap_size),
        ("__import_cheriot_shared_object_allocator_hazard_pointers_true_false_true_false",
         lay.symbols["allocator_hazard_pointers"], 0xA0000000 | 32)], 0x400)
    privileged_code("token_library", [], 0x80)
    if revoker:
        privileged_code("software_revoker", [], 0x100)

    def component(name: str, imports: list[tuple[str, int, int]], size: int) -> None:
        sec = section(f".{name}_code", code_at[name], name)
        sec.label(f".{name}_code_start")
        sec.label("__compartment_pcc_start")
        sec.label(".compartment_switcher")
        sec.zeros(8)
        for sym, target, sp in imports:
            sec.label(sym)
            sec.data(struct.pack("<II", target, sp))
        sec.label(f".{name}_imports_end")
        lay.imports[name] = (code_at[name], sec.here - code_at[name])
        sec.label("__compartment_code_start")
        sec.zeros(size - sec.size)
        lay.code[name] = (code_at[name], size)

    component("locks", [], 0x80)
    hello_objs = lay.objects
    component("hello", [
        ("__import_sched__Z16futex_timed_waitP9TimeoutPKjjj",
         lay.entries["scheduler.futex_timed_wait"], 0),
        ("__library_import_libcalls__Z13flaglock_lockP8FlagLock",
         lay.entries["locks.flaglock_lock"] + 1, 0),
        *([] if generation == "0" else [    # generation 0 records no switcher export table
            ("__library_import_libcalls_thread_id_get",
             lay.entries["switcher.thread_id_get"] + 1, 0)]),
        ("__library_import_libcalls__Z16token_obj_unsealP10SKeyStructP10SObjStruct",
         lay.entries["token_library.token_obj_unseal"] + 1, 0),
        ("__library_import_hello__Z8callbackv", lay.entries["hello.callback"] + 1, 0),
        (mmio_sym[True], UART[0], 0xC0000000 | 0x100),
        ("__import.sealed_object.__default_malloc_capability",
         hello_objs["hello.__default_malloc_capability"], 32),
        ("__import.sealed_object.interruptCapability", hello_objs["hello.interruptCapability"],
         12),
        ("__import.sealing_type.hello.Secret", lay.entries["hello.Secret"], 0),
        ("__import_cheriot_shared_object_allocator_epoch_true_false_false_false",
         lay.symbols["allocator_epoch"], 0x80000000 | 4),
        ("__import_alloc__Z13heap_allocateP10SObjStructj", lay.entries["allocator.heap_allocate"],
         0),
    ], 0x200)
    component("worker", [
        ("__import_hello__Z9say_hellov", lay.entries["hello.say_hello"], 0),
        ("__import.sealed_object.__default_malloc_capability",
         hello_objs["worker.__default_malloc_capability"], 32),
    ], 0x100)

    # --- image header (1.4) -----------------------------------------------------------------
    gen = generation
    unit = 4 if gen in "DEF" else 1
    h = bytearray()
    if gen in "0ABCD":
        _span(h, 0x80029000, 0x100)   # loader code
        _span(h, 0x8002a000, 0x40)    # loader data
    sw_code, sw_size = lay.code["switcher"]
    sw_exp = lay.exports["switcher"]
    if gen == "0":   # code range, entry point, key, scheduler PCC/CGP/CSP slots: no exports
        _span(h, sw_code, sw_size)
        h += struct.pack("<HHHHH", 0x20, 0, 8, 16, 24)
    elif gen in "AB":
        _span(h, sw_code, sw_size)
        h += struct.pack("<HHHH", 0, 8, 16, 24)
    else:
        h += struct.pack("<IHHHHHH", sw_code, sw_size, 0x80, 0, 8, 16, 24)
    if gen != "0":
        _span(h, *sw_exp)
    priv = ["scheduler", "allocator", "token_library"] + (["software_revoker"] if revoker else [])
    for name in priv:
        code, size = lay.code[name]
        _span(h, code, size)
        gstart, gsize = lay.globals.get(name, (0, 0))
        _span(h, gstart, gsize // (1 if gen in "0ABC" else 4))
        imp, isize = lay.imports[name]
        if gen in "0A":
            h += struct.pack("<H", imp + isize - code)   # from code start, key slots included
        else:
            _span(h, imp, isize)
        _span(h, *lay.exports.get(name, (0, 0)))
        if gen != "0":
            _span(h, 0, 0)                               # sealed objects (none)
    h += struct.pack("<IHH", MAGIC[gen] if magic is None else magic, 1, 2)
    if gen == "F":
        _span(h, 0, 0)
    for name in ("locks", "hello", "worker"):
        code, size = lay.code[name]
        imp, isize = lay.imports[name]
        gstart, gsize = lay.globals.get(name, (0, 0))
        h += struct.pack("<IHH", code, (size + 7) // 8, isize)
        _span(h, *lay.exports[name])
        _span(h, gstart, gsize // unit)
        h += struct.pack("<H", gsize)
        _span(h, 0, 0)
        _span(h, *lay.sealed.get(name, (0, 0)))
    h += bytes(trailing)
    headers = section(".compartment_headers", 0x80020000)
    headers.label("__compart_headers", glob=True)
    headers.data(bytes(h))
    threads = section(".thread_config", 0x80020000 + len(h))
    threads.label(".thread_config_start")
    threads.label("__thread_count")
    threads.u16(2)
    for (fn, prio), stack, ts in zip((("hello.say_hello", 2), ("worker.run", 1)), lay.stacks,
                                     lay.trusted_stacks, strict=True):
        threads.data(struct.pack("<HI", prio, lay.entries[fn]))
        threads.data(struct.pack("<IH", *stack))
        threads.data(struct.pack("<IH", *ts))
    threads.label("__compart_headers_end", glob=True)

    # --- assemble ---------------------------------------------------------------------------
    absolute = {"__export_mem_heap": HEAP_START, "__export_mem_heap_end": HEAP_END,
                "__export_mem_uart": UART[0], "__export_mem_uart_end": UART[1],
                "__export_mem_clint": CLINT[0], "__export_mem_clint_end": CLINT[1],
                "__export_mem_shadow": SHADOW[0], "__export_mem_shadow_end": SHADOW[1],
                "__mmio_region_start": CLINT[0], "__mmio_region_end": SHADOW[1],
                "TrustedStack_offset_c10": 0x50}
    units: dict[str, list[str]] = {"main": []}
    for name, value in absolute.items():
        units["main"].append(f"    .globl {name}\n    .set {name}, {value:#x}")
        lay.symbols[name] = value
    for sec in secs:
        lines = units.setdefault(sec.unit, [])
        lines.append(f'    .section {sec.name}, "awx", @progbits')
        lines.extend(sec.lines)
    if dwarf:
        units["main"].append(dwarfgen.emit(lay))
    script = ["ENTRY(_start)", "SECTIONS", "{"]
    for sec in secs:
        script.append(f"  {sec.name} {sec.address:#x} : {{ KEEP(*({sec.name})) }}")
    script.append("  /DISCARD/ : { *(.riscv.attributes) *(.comment) }")
    script.append("}")
    out_dir.mkdir(parents=True, exist_ok=True)
    ld = out_dir / "synth.ld"
    ld.write_text("\n".join(script) + "\n")
    sources = []
    for unit, lines in units.items():
        path = out_dir / f"{unit}.s"
        path.write_text("\n".join(lines) + "\n")
        sources.append(path)
    elf = assemble(sources, out_dir, linker_script=ld, name=f"rtos-{generation}")
    return elf, lay
