"""The image model on synthetic images of every header generation (rtos.md 1.4, 2.2-2.6, 4.9,
5.4): detection, components and ranges, export and import tables, sealed objects, threads, and
one clear "no RTOS view: ..." error for anything else."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.asm.build import assemble
from cheriot_gdbserver.rtos.cheriot import ImportKind, Kind, NoRtosView, Posture, RtosImage

from . import synth
from .conftest import open_image

CASES = [(g, r) for g in synth.GENERATIONS for r in (True, False)]


@pytest.mark.parametrize(("generation", "revoker"), CASES)
def test_generation_and_components(synth_image, generation, revoker):
    path, lay = synth_image(generation, revoker=revoker)
    image = open_image(path)
    assert image.generation == generation
    assert image.header.privileged_count == (4 if revoker else 3)
    names = [c.name for c in image.components]
    expected = ["loader", "compartment_switcher", "scheduler", "allocator", "token_library"]
    expected += ["software_revoker"] if revoker else []
    assert names == [*expected, "locks", "hello", "worker"]
    kinds = {c.name: c.kind for c in image.components}
    assert kinds["loader"] == Kind.LOADER
    assert kinds["token_library"] == Kind.PRIVILEGED_LIBRARY
    assert kinds["scheduler"] == Kind.PRIVILEGED_COMPARTMENT
    assert kinds["locks"] == Kind.LIBRARY and kinds["hello"] == Kind.COMPARTMENT
    for comp in image.components:
        key = "switcher" if comp.kind == Kind.SWITCHER else comp.name
        assert (comp.code.start, comp.code.size) == lay.code[key], comp.name
        if key in lay.globals:
            # Globals sizes are counted in 4-byte units from generation D on; same bytes here.
            assert (comp.globals.start, comp.globals.size) == lay.globals[key], comp.name
        if comp.kind == Kind.LOADER:
            continue
        if generation == "0" and comp.kind == Kind.SWITCHER:
            assert not comp.export_table   # generation 0's switcher record has none
        else:
            assert (comp.export_table.start, comp.export_table.size) == lay.exports[key]
    for name in ("scheduler", "allocator", "hello", "worker"):
        comp = image.component(name)
        assert (comp.imports_range.start, comp.imports_range.end) == \
            (lay.imports[name][0], sum(lay.imports[name]))


@pytest.mark.parametrize("generation", synth.GENERATIONS)
def test_export_tables(synth_image, generation):
    path, lay = synth_image(generation)
    image = open_image(path)
    sched = image.component("scheduler")
    wait = sched.export_named("futex_timed_wait")
    assert wait.address == lay.entries["scheduler.futex_timed_wait"]
    assert (wait.function_start, wait.minimum_stack, wait.register_arguments) == (0x40, 160, 4)
    assert wait.interrupts == Posture.DISABLED and wait.exported
    key = sched.export_named("InterruptKey")
    assert key.is_sealing_type and key.minimum_stack == 0
    alloc = image.component("allocator").export_named("heap_allocate")
    assert alloc.interrupts == Posture.ENABLED and alloc.minimum_stack == 512
    hello = image.component("hello")
    assert hello.export_named("say_hello").interrupts == Posture.ENABLED
    callback = hello.export_named("callback")
    assert not callback.exported  # a local symbol: a callback, not callable from outside
    # rtos.md 2.2: the old single offset is PCC-relative in the image; the later u16 pair is
    # relative to .text and rebased by the import-table size.
    rebase = 0 if generation in "0A" else lay.imports["hello"][1]
    assert hello.error_handler == 0x48 + rebase and hello.stackless_error_handler is None
    assert image.component("worker").error_handler is None
    lib = image.component("locks").export_named("flaglock_lock")
    assert lib.symbol.startswith("__library_export_libcalls_")


@pytest.mark.parametrize(("generation", "revoker"), CASES)
def test_import_kinds(synth_image, generation, revoker):
    path, lay = synth_image(generation, revoker=revoker)
    image = open_image(path)
    hello = {(i.kind, i.compartment, i.function or i.device): i
             for i in image.component("hello").imports}
    assert (ImportKind.SWITCHER, "compartment_switcher", None) in hello
    assert (ImportKind.COMPARTMENT_CALL, "scheduler", "futex_timed_wait") in hello
    assert (ImportKind.COMPARTMENT_CALL, "allocator", "heap_allocate") in hello
    assert (ImportKind.LIBRARY_CALL, "locks", "flaglock_lock") in hello
    assert (ImportKind.LIBRARY_CALL, "token_library", "token_obj_unseal") in hello
    if generation != "0":
        assert (ImportKind.SWITCHER_CALL, "compartment_switcher", "thread_id_get") in hello
    assert (ImportKind.LOCAL_CALLBACK, "hello", "callback") in hello
    key = hello[(ImportKind.SEALING_KEY, "hello", "Secret")]
    assert key.sealing_type.compartment == "hello"
    uart = hello[(ImportKind.MMIO, None, "uart")]
    assert (uart.start, uart.length, uart.permits) == (synth.UART[0], 0x100, ("LD", "SD"))
    epoch = hello[(ImportKind.SHARED_OBJECT, None, "allocator_epoch")]
    assert epoch.permits == ("LD",) and epoch.length == 4
    sealed = [i for i in image.component("hello").imports if i.kind == ImportKind.SEALED_OBJECT]
    assert {i.sealing_type.key for i in sealed} == {"MallocKey", "InterruptKey"}
    # Privileged import tables: generation A counts the import size from code start, key slots
    # included; the others record the range directly. Either way the clint import is found.
    sched = image.component("scheduler").imports
    assert [(i.kind, i.device) for i in sched[1:]] == [(ImportKind.MMIO, "clint")]
    alloc = [(i.kind, i.device) for i in image.component("allocator").imports[1:]]
    assert alloc == [(ImportKind.HEAP, "heap"),
                     (ImportKind.SHARED_OBJECT, "allocator_hazard_pointers")]


def test_mmio_device_without_board_uses_symbols(synth_image):
    path, _ = synth_image("F")
    image = RtosImage.from_elf(ELFFile(path.open("rb")))
    uart = next(i for i in image.component("hello").imports if i.kind == ImportKind.MMIO)
    assert uart.device == "uart"


@pytest.mark.parametrize("generation", synth.GENERATIONS)
def test_static_sealed_objects_keyed_by_address(synth_image, generation):
    path, lay = synth_image(generation)
    image = open_image(path)
    hello = image.component("hello").sealed_objects
    worker = image.component("worker").sealed_objects
    # Both compartments have an object named __default_malloc_capability: told apart by address.
    assert [(o.symbol, o.address, o.quota) for o in worker] == \
        [("__default_malloc_capability", lay.objects["worker.__default_malloc_capability"], 1024)]
    by_name = {o.symbol: o for o in hello}
    malloc = by_name["__default_malloc_capability"]
    assert malloc.address == lay.objects["hello.__default_malloc_capability"]
    assert malloc.address % 8 == 0 and malloc.address != lay.sealed["hello"][0]
    assert (malloc.quota, malloc.sealing_type.compartment) == (4096, "allocator")
    irq = by_name["interruptCapability"]
    assert irq.sealing_type.compartment == "scheduler" and irq.sealing_type.key == "InterruptKey"
    assert (irq.interrupt.number, irq.interrupt.may_wait, irq.interrupt.may_complete) == \
        (4, True, True)
    assert irq.interrupt.name == "FakeInterrupt"


@pytest.mark.parametrize("generation", synth.GENERATIONS)
def test_static_threads(synth_image, generation):
    path, lay = synth_image(generation)
    image = open_image(path)
    threads = image.threads
    assert [(t.id, t.name, t.priority) for t in threads] == \
        [(1, "hello.say_hello", 2), (2, "worker.run", 1)]
    assert [(t.stack.start, t.stack.size) for t in threads] == lay.stacks
    assert [(t.trusted_stack.start, t.trusted_stack.size) for t in threads] == \
        lay.trusted_stacks
    assert [t.trusted_stack_frames for t in threads] == [3, 2]


def test_unknown_magic_is_reported_not_guessed(synth_image):
    path, _ = synth_image("F", magic=0x12345678)
    with pytest.raises(NoRtosView, match=r"^no RTOS view: unknown image-header layout"):
        open_image(path)


def test_header_that_does_not_end_at_its_last_record_is_unknown(synth_image):
    path, _ = synth_image("C", trailing=6)
    with pytest.raises(NoRtosView, match=r"^no RTOS view: unknown image-header layout"):
        open_image(path)


def test_magic_of_another_generation_is_unknown(synth_image):
    # Generation F's structure with generation C's magic: no generation has both.
    path, _ = synth_image("F", magic=synth.MAGIC["C"])
    with pytest.raises(NoRtosView, match=r"^no RTOS view: "):
        open_image(path)


def test_plain_firmware_is_not_an_rtos_image(tmp_path):
    elf = assemble("    .globl _start\n_start:\n    j _start\n", tmp_path, name="plain")
    with pytest.raises(NoRtosView, match=r"^no RTOS view: not a CHERIoT RTOS image: .*"
                                          r"\.compartment_headers"):
        RtosImage.from_elf(ELFFile(elf.open("rb")))


def test_foreign_elf_is_not_an_rtos_image():
    with Path(sys.executable).resolve().open("rb") as f:
        if f.read(4) != b"\x7fELF":
            pytest.skip("the interpreter is not an ELF file")
        f.seek(0)
        with pytest.raises(NoRtosView, match=r"^no RTOS view: not a CHERIoT RTOS image: a "):
            RtosImage.from_elf(ELFFile(f))


def test_symbols_keep_local_and_absolute_names(synth_image):
    path, lay = synth_image("A")
    image = open_image(path)
    # Boundary symbols are local; device symbols are absolute (SHN_ABS): both are kept.
    assert image.symbols.address(".hello_code_start") == lay.code["hello"][0]
    assert image.symbols.address("__export_mem_uart") == synth.UART[0]
    assert len(image.symbols.named("__default_malloc_capability")) == 2
    assert image.symbols.address("__default_malloc_capability") is None  # ambiguous by name


def test_thread_records_read_bytewise_at_odd_addresses(synth_image):
    # .thread_config directly follows the last 34-byte record, so it is not 4-aligned.
    path, _ = synth_image("A")
    image = open_image(path)
    section = image.elf.get_section_by_name(".thread_config")
    assert section["sh_addr"] % 4 != 0
    count = struct.unpack_from("<H", section.data())[0]
    assert count == len(image.threads) == 2
