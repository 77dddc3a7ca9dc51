"""Each mechanism by its observable effect on the machine (rtos.md 3.5, 4, 5.3, 5.4)."""

from __future__ import annotations

from pathlib import Path

from .support import boot

GL, LG, SD, LM, SL, LD, MC, SR, EX, US, SE, U0 = (1 << i for i in range(12))


def test_error_handler_runs_and_forced_unwind_returns_an_error(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    # The handler's global counts the faults it repaired; stop where the demo prints the
    # result of the repaired call and of the unwound one.
    booted.run_to("compartment_error_handler")
    ts = booted.machine.engine.hart.scr[29]                        # MTDC: the demo thread
    assert booted.u16(ts.base + 154) == 1
    frames = (booted.u16(ts.base + 152) - 168) // 24
    top = booted.cap(ts.base + 168 + 24 * (frames - 1) + 8)        # calleeExportTable
    assert top.address == syms["__export_faulty_faulty_read"]
    assert booted.u16(ts.base + 168 + 24 * (frames - 1) + 16) == 1   # a handler is running
    engine = booted.machine.engine
    assert engine.read_cap(11).address == 0x1C                     # a1 = mcause (CHERI)
    assert engine.read_cap(12).address & 0x1F == 1                 # a2 = mtval: bounds
    exit_code = booted.run_to_exit()
    assert exit_code == 0
    out = booted.uart.getvalue().decode()
    assert "demo: faulty_read(8) = -22 (the handler repaired the bounds fault)\n" in out
    assert "demo: faulty_crash() = -1 (forced unwind to the caller)\n" in out
    globals_ = booted.cap(syms[".faulty_export_table"] + 8).base   # CGP's base
    assert booted.u32(syms["faults_handled"]) == 1 and syms["faults_handled"] > globals_


def test_static_sealed_object_and_sealing_keys(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    booted.run_to("demo_main")
    secret = syms["secret"]
    handle = booted.cap(syms["__import.sealed_object.secret"])
    # The static token handle (5.3): otype 12, the whole object, address = payload + 7.
    assert handle.tag and handle.otype == 12
    assert handle.bounds == (secret, secret + 16)
    assert handle.address == secret + 8 + 7
    # The loader numbered the sealing types from 16 in import order and wrote the type into
    # the sealing-type export entry and into the object's header.
    key_type = booted.u16(syms["__export.sealing_type.demo.SecretKey"])
    other_type = booted.u16(syms["__export.sealing_type.demo.OtherKey"])
    assert (key_type, other_type) == (16, 17)
    assert booted.u32(secret) == key_type
    key = booted.cap(syms["__import.sealing_type.demo.SecretKey"])
    assert key.tag and key.bounds == (key_type, key_type + 1)
    assert key.perms == GL | SE | US | U0
    assert booted.run_to_exit() == 0
    out = booted.uart.getvalue().decode()
    assert "demo: unsealing the static object with OtherKey: tag 0\n" in out
    assert "demo: the static sealed object unsealed with SecretKey holds 1234567\n" in out


def test_threads_block_on_the_futex_and_exit(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    booted.run_to("demo_main")
    # The consumer (thread 3) waits on the queue's count word: state Suspended, sleepQueue =
    # the futex list head, futexWaitAddress = the word, waiting forever.
    tcb = syms["_ZN12_GLOBAL__N_112threadSpacesE"] + 80 * 2
    assert booted.u16(tcb + 72) == 3
    assert booted.machine.engine.read_memory(tcb + 76, 1)[0] & 3 == 1
    assert booted.cap(tcb + 32).address == syms["_ZN12_GLOBAL__N_116futexWaitingListE"]
    assert booted.u32(tcb + 56) == syms["count"]
    assert booted.machine.engine.read_memory(tcb + 40, 8) == b"\xff" * 8
    producer = syms["_ZN12_GLOBAL__N_112threadSpacesE"] + 80
    assert booted.machine.engine.read_memory(producer + 76, 1)[0] & 3 == 1   # sleeping
    assert booted.u32(producer + 56) == 0 and not booted.cap(producer + 32).tag
    assert booted.run_to_exit() == 0
    for i in range(3):
        block = syms["_ZN12_GLOBAL__N_112threadSpacesE"] + 80 * i
        assert booted.machine.engine.read_memory(block + 76, 1)[0] & 3 == 2   # Exited
    assert booted.u16(syms["_ZN12_GLOBAL__N_110ThreadImplILj3EE11threadCountE"]) == 0
