"""The RTOS-awareness image model (rtos/cheriot) reads the bundled image through the same path
as official images: it is detected as a genuine generation-F image and every component,
import, thread and static sealed object decodes."""

from __future__ import annotations

from pathlib import Path

from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.rtos.cheriot import RtosImage, RtosState


def test_the_image_model_reads_the_bundled_image(rtos_elf: Path) -> None:
    board = load_board("sail")
    devices = {r.device: (r.base, r.base + r.size) for r in board.regions if r.device}
    with rtos_elf.open("rb") as f:
        image = RtosImage.from_elf(ELFFile(f), devices,
                                   interrupts=[(i.name, i.number) for i in board.interrupts],
                                   revokable_start=board.revocable_base)
        assert image.generation == "F"
        names = [c.name for c in image.components]
        # The loader's persistent boot code is a component too (rtos.md 1.3).
        assert names[:5] == ["loader", "compartment_switcher", "scheduler", "allocator",
                             "token_library"]
        assert names[5:] == ["crt", "console", "queue", "producer", "consumer", "demo", "faulty",
                             "uaf", "flaky", "echo"]
        assert [(t.id, t.compartment, t.function, t.priority) for t in image.threads] == [
            (1, "demo", "demo_main", 0), (2, "producer", "producer_run", 1),
            (3, "consumer", "consumer_run", 2)]
        kinds = {i.symbol: i.kind.value for c in image.components for i in c.imports}
        assert kinds["__import_scheduler_futex_wake"] == "compartment call"
        assert kinds["__library_import_libcalls_strlen"] == "library call"
        assert kinds["__import_mem_uart_RWcm"] == "MMIO"
        assert kinds["__import.sealing_type.demo.SecretKey"] == "sealing key"
        assert kinds["__import.sealed_object.uart_interrupt_capability"] == "sealed object"
        assert kinds["__library_import_libcalls_switcher_unwind_compartment"] == "switcher call"
        owners = sorted((o.owner, o.sealing_type.key) for o in image.sealed_objects)
        assert owners == [("demo", "SecretKey"), ("echo", "InterruptKey"),
                          ("flaky", "MallocKey"), ("uaf", "MallocKey")]


def test_the_model_reads_the_reboot_record_the_firmware_keeps(rtos_elf: Path) -> None:
    # flaky's own handler asks for a reboot at its second fault (flaky.S), with the mcause of
    # that fault: a CHERI tag violation on its null load (mcause 0x1c).
    from cheriot_gdbserver.debugger.view import MachineView

    from .support import boot

    booted = boot(rtos_elf)
    with rtos_elf.open("rb") as f:
        image = RtosImage.from_elf(ELFFile(f))
        table = image.reboot_table
        assert table is not None and table.records == 1 and table.layout.source == "symbols"
        assert table.request == booted.symbols["micro_reboot_request"]
        state = RtosState(image, MachineView(booted.machine))
        booted.run_to("demo_main")
        (flaky,) = state.reboots()
        assert (flaky.compartment, flaky.count, flaky.cause, flaky.reopens_at) == \
            ("flaky", 0, None, None)
        booted.run_to("reopen")                  # the scheduler reopens flaky after its reboot
        state.invalidate()
        (flaky,) = state.reboots()
        assert (flaky.count, flaky.cause, flaky.by_debugger) == (1, 0x1C, False)
        assert flaky.reopens_at is not None
        assert flaky.export_table == booted.symbols[".flaky_export_table"]
