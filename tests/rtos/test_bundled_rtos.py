"""The model on the bundled RTOS firmware (rtos/firmware/, generation F) running on a real
Machine, read through the gdb layer's MachineView: what the firmware's own tests check byte by
byte (tests/rtos_firmware/test_mechanisms.py), here through the model's answers."""

from __future__ import annotations

import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.boards.board import load_board
from cheriot_gdbserver.debugger.view import MachineView
from cheriot_gdbserver.rtos.cheriot import ImportKind, RtosImage, RtosState, ThreadState

from ..rtos_firmware.support import boot


def model(elf: Path) -> RtosImage:
    board = load_board("sail")
    return RtosImage.from_elf(ELFFile(elf.open("rb")),
                              {r.device: (r.base, r.end) for r in board.regions if r.device},
                              interrupts=[(i.name, i.number) for i in board.interrupts],
                              revokable_start=board.revocable_base)


def test_image_model_of_the_bundled_firmware(rtos_elf: Path) -> None:
    image = model(rtos_elf)
    assert image.generation == "F"
    names = [c.name for c in image.compartments]
    assert {"demo", "producer", "consumer", "queue", "console", "faulty"} <= set(names)
    assert [t.name for t in image.threads] == \
        ["demo.demo_main", "producer.producer_run", "consumer.consumer_run"]
    queue_calls = {(i.compartment, i.function) for i in image.component("queue").imports
                   if i.kind == ImportKind.COMPARTMENT_CALL}
    assert ("scheduler", "futex_timed_wait") in queue_calls
    assert image.component("faulty").error_handler is not None
    secret = next(o for o in image.component("demo").sealed_objects if o.symbol == "secret")
    assert (secret.sealing_type.compartment, secret.sealing_type.key) == ("demo", "SecretKey")


def test_threads_futexes_and_sealed_objects_at_demo_main(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    booted.run_to("demo_main")
    syms = booted.symbols
    state = RtosState(model(rtos_elf), MachineView(booted.machine))
    demo, producer, consumer = state.threads()
    assert demo.on_cpu and state.current_thread_id() == 1 and demo.compartment == "demo"
    assert (consumer.state, consumer.futex, consumer.wake_time) == \
        (ThreadState.FUTEX, syms["count"], None)
    assert [(f.compartment, f.function) for f in consumer.call_chain] == [
        ("consumer", "consumer_run"), ("queue", "queue_get"), ("scheduler", "futex_timed_wait")]
    assert consumer.call_chain[2].caller_compartment == "queue"
    assert consumer.pc_owner == "scheduler"
    assert producer.state == ThreadState.SLEEPING and producer.compartment == "scheduler"
    count = next(f for f in state.futexes() if f.address == syms["count"])
    assert [w.thread for w in count.waiters] == [3] and "queue" in count.lives_in
    handle = booted.cap(syms["__import.sealed_object.secret"])
    info = state.sealed(handle)
    # Static sealing types are numbered from 16 in link order (docs/firmware.md):
    # scheduler.InterruptKey 16, allocator.MallocKey 17, demo.SecretKey 18.
    assert (info.sealing_type.compartment, info.sealing_type.key, info.key) == \
        ("demo", "SecretKey", 18)
    assert info.payload == (syms["secret"] + 8, syms["secret"] + 16)
    assert info.static_object.symbol == "secret"


def test_a_fault_in_rtos_terms(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    # Every compartment has a local compartment_error_handler: take faulty's, by the symbol
    # table (riscv64-unknown-elf-nm), not by the model under test.
    nm = subprocess.run(["riscv64-unknown-elf-nm", str(rtos_elf)], capture_output=True,
                        text=True, check=True).stdout.split("\n")
    table = [(int(a, 16), n) for a, _, n in (line.split(" ", 2) for line in nm if line)]
    start = next(a for a, n in table if n == ".faulty_code_start")
    end = next(a for a, n in table if n == ".faulty_code_end")
    booted.run_to(next(a for a, n in table
                       if n == "compartment_error_handler" and start <= a < end))
    state = RtosState(model(rtos_elf), MachineView(booted.machine))
    demo = state.thread(state.current_thread_id())
    assert demo.name == "demo.demo_main" and demo.compartment == "faulty"
    top = demo.call_chain[-1]
    assert (top.function, top.caller_compartment, top.error_handler_count) == \
        ("faulty_read", "demo", 1)
    outcome = state.fault_outcome(demo.id, 0x1C)
    assert outcome.outcome.value == "run the compartment's error handler"
    assert state.where(booted.machine.engine.pc).owner == "faulty"
