"""Each mechanism by its observable effect on the machine (rtos.md 3.5, 4, 5.3, 5.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import boot

GL, LG, SD, LM, SL, LD, MC, SR, EX, US, SE, U0 = (1 << i for i in range(12))


def test_error_handler_runs_and_forced_unwind_returns_an_error(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    # The handler's global counts the faults it repaired; stop where the demo prints the
    # result of the repaired call and of the unwound one.
    # compartment_error_handler is a local name in several compartments: find faulty's by
    # its export table (the loader made the offset PCC-relative, rtos.md 2.2).
    booted.run_to("demo_main")
    table = syms[".faulty_export_table"]
    handler = booted.cap(table).base + booted.u16(table + 16)
    booted.symbols = {**syms, "faulty handler": handler}
    booted.run_to("faulty handler")
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
    # 16 and 17 are the scheduler's InterruptKey and the allocator's MallocKey (as in rtos.md 5.4)
    assert (key_type, other_type) == (18, 19)
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


def test_freed_capability_loses_its_tag_in_the_revocation_sweep(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    engine = booted.machine.engine
    stale = syms["stale"]                          # uaf's global copy of the freed capability
    booted.run_to("revoke")                        # the sweep before the memory is reused
    kept = booted.cap(stale)
    assert kept.tag                                # still tagged in memory ...
    board = booted.machine.board
    shadow = board.shadow
    assert shadow is not None
    offset = kept.base - board.revocable_base     # ... but its base is painted (rtos.md 6.5)
    assert engine.read_memory(shadow.base + (offset >> 6), 1)[0] >> ((offset >> 3) & 7) & 1
    epoch = booted.u32(syms["_ZN12_GLOBAL__N_15epochE"])
    booted.run_to("merge")                         # the sweep is over
    assert not booted.cap(stale).tag               # the sweep cleared the tag in memory
    assert booted.cap(stale).address == kept.address
    assert booted.u32(syms["_ZN12_GLOBAL__N_15epochE"]) == epoch + 2
    # The heap as rtos.md 6.10 walks it: the reused chunk is in use and owned by uaf's quota.
    booted.run_to_exit()
    gm = booted.cap(syms["_ZN12_GLOBAL__N_12gmE"])
    heap_start = booted.cap(gm.address)
    chunk, end = heap_start.address, heap_start.top
    owners = []
    while chunk < end - 8:
        size, flags = booted.u16(chunk + 2) * 8, booted.u16(chunk + 4)
        owners.append((chunk + 8, size, flags >> 15, flags & 0x1FFF))
        chunk += size
    assert owners[0] == (kept.base, 24, 1, 1)      # the same memory, in use, quota 1
    assert chunk == end - 8                        # the chunks tile the heap up to the sentinel
    assert booted.u16(end - 8 + 4) >> 15 == 1
    quota = syms["__default_malloc_capability"] + 8
    assert booted.u32(quota) == 1024 - 24          # one live allocation charged
    assert booted.u32(syms["caught"]) == 1


def test_micro_reboot_closes_unwinds_and_restores_the_globals(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    table = syms[".flaky_export_table"]
    calls = syms["flaky_globals_start"]
    booted.run_to("demo_main")
    assert booted.u32(calls) == 100                # the initial value, from the image
    booted.run_to("reopen")                        # the reboot happened, flaky is closed
    assert not booted.cap(table).tag               # calls into it fault in the switcher ...
    assert booted.cap(syms["mr_pcc"]).tag          # ... its PCC waits in the record
    assert booted.u32(syms["mr_count"]) == 1
    assert booted.u32(syms["mr_cause"]) == 0x1C    # the CHERI fault that asked for it
    assert booted.u32(calls) == 100                # restored from the pristine copy
    assert booted.u32(calls + 4) == 0              # its fault count too
    out = booted.uart.getvalue().decode()
    assert out.count("demo: flaky_work() = -1\n") == 3   # unwound twice, refused once
    # The consumer, waiting inside flaky, was unwound with an error.
    assert "consumer: flaky_wait() = -1 (unwound by flaky's micro-reboot), exiting\n" in out
    booted.run_to_exit()
    assert booted.cap(table).tag and booted.cap(table).base == syms[".flaky_code_start"]
    assert booted.u32(calls) == 101
    assert "demo: after the reboot flaky_work() = 101 (its globals were restored)\n" in (
        booted.uart.getvalue().decode())


def test_thread_waiting_on_the_interrupt_futex_wakes_on_uart_input(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    word = syms["uart_receive_futex"]
    producer = syms["_ZN12_GLOBAL__N_112threadSpacesE"] + 80    # thread 2 runs the echo
    engine = booted.machine.engine
    # Run until the echo thread sleeps on the interrupt's futex word.
    for _ in range(200):
        engine.run(20_000)
        if booted.u32(producer + 56) == word:
            break
    assert booted.u32(producer + 56) == word
    assert engine.read_memory(producer + 76, 1)[0] & 3 == 1      # Suspended
    assert booted.cap(producer + 32).address == syms["_ZN12_GLOBAL__N_116futexWaitingListE"]
    # The interrupt capability the echo uses: a static object sealed with the scheduler's
    # InterruptKey; the futex word it was given is read-only.
    handle = booted.cap(syms["__import.sealed_object.uart_interrupt_capability"])
    assert handle.tag and handle.otype == 12
    fired = booted.u32(word)
    uart = booted.machine.devices.uart
    assert uart is not None
    uart.feed(b"ok\n")
    assert booted.run_to_exit() == 0
    out = booted.uart.getvalue().decode()
    assert "echo: received byte 111\necho: received byte 107\necho: received byte 10\n" in out
    assert "echo: no input for a while after 3 bytes, exiting\n" in out
    assert booted.u32(word) == fired + 1                         # one firing, completed once


def test_uart_input_from_the_command_line_is_echoed(rtos_elf: Path, tmp_path: Path) -> None:
    from ..run.support import cli

    (tmp_path / "in.txt").write_bytes(b"A")
    done = cli("run", str(rtos_elf), "--uart-input", str(tmp_path / "in.txt"))
    assert done.returncode == 0
    assert "echo: received byte 65\n" in done.stdout
    assert "echo: no input for a while after 1 bytes, exiting\n" in done.stdout


def test_switcher_posture_argument_clearing_and_stack_zeroing(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    engine = booted.machine.engine
    hart = engine.hart
    booted.run_to("demo_main")
    booted.run_to("faulty_crash")            # exported enabled, no arguments
    assert hart.mstatus & 0x8                # interrupts on
    for reg in range(10, 16):                # a0-a5 cleared by the switcher
        assert engine.read_cap(reg) == engine.read_cap(0)
    csp = engine.read_cap(2)
    # The callee's stack is zero below its csp, and MSHWM marks its top (rtos.md 3.6).
    assert engine.read_memory(csp.base, csp.address - csp.base) == bytes(csp.address - csp.base)
    assert engine.read_cap(2).top - 16 == csp.address
    booted.run_to("console_print")           # exported disabled, two arguments
    assert not hart.mstatus & 0x8
    assert engine.read_cap(10).tag           # the string
    for reg in range(12, 16):
        assert engine.read_cap(reg) == engine.read_cap(0)
    assert syms["console_print"] == hart.pcc.address


def test_timer_preempts_a_lower_priority_thread(rtos_elf: Path) -> None:
    booted = boot(rtos_elf)
    syms = booted.symbols
    engine = booted.machine.engine
    # The demo thread (priority 0) sweeps inside heap_allocate, an interrupt-disabled export,
    # while the producer's sleep (priority 1) runs out; the timer interrupt is taken as soon
    # as the allocator returns and the producer runs first.
    booted.run_to("revoke")
    booted.run_to("console_print")
    ts = engine.hart.scr[29]
    assert booted.u16(ts.base + 154) == 2    # the producer (priority 1) woke and runs
    demo_ts = syms[".thread_1_trusted_stack_start"]
    assert booted.u32(demo_ts + 140) == 0x80000007        # the demo was preempted by the timer
    pc = booted.cap(demo_ts).address
    assert syms[".uaf_code_start"] <= pc < syms[".uaf_code_end"]   # back in uaf, not done
    assert "uaf: allocated again" not in booted.uart.getvalue().decode()


@pytest.mark.parametrize("board", ["ibex-safe-simulator", "sonata"])
def test_the_uart_interrupt_comes_through_the_plic(tmp_path: Path, board: str) -> None:
    # cheriot-safe wires the UART's irq_o (msftDvIp_uart.sv: data ready AND IER bit 0) to the
    # PLIC's second input (msftDvIp_tcdev_wrapper.sv: irqs_i = {..., irq_periph, irq_tbre}),
    # source 2. Sonata gives its uart source 8 (Uart0Interrupt in the RTOS's sonata board
    # file; the OpenTitan UART's rx_watermark is INTR_ENABLE bit 1). The firmware enables it
    # there and never polls; the echo thread sleeping on the interrupt's futex word wakes
    # when a byte arrives.
    from cheriot_gdbserver.core.csr import IRQ_MEI
    from cheriot_gdbserver.rtos import bundled

    source = {"ibex-safe-simulator": 2, "sonata": 8}[board]
    elf = bundled.build("rtos", out_dir=tmp_path, board=board)
    booted = boot(elf, board=board)
    syms = booted.symbols
    word = syms["uart_receive_futex"]
    producer = syms["_ZN12_GLOBAL__N_112threadSpacesE"] + 80    # thread 2 runs the echo
    engine = booted.machine.engine
    for _ in range(400):
        engine.run(20_000)
        if booted.u32(producer + 56) == word:
            break
    assert booted.u32(producer + 56) == word                     # waiting on the word
    handle = booted.cap(syms["__import.sealed_object.uart_interrupt_capability"])
    assert booted.u16(handle.base + 8) == source                 # the interrupt's number
    plic = booted.machine.devices.plic
    assert plic is not None
    assert plic.read(4 * source, 4) != 0                         # priority
    assert plic.read(0x2000, 4) & 1 << source                    # enabled
    uart = booted.machine.devices.uart
    assert uart is not None
    if board == "sonata":
        assert uart.read(0x04, 4) & 1 << 1                       # INTR_ENABLE.rx_watermark
    else:
        assert uart.read(0x04, 1) & 1                            # IER: received data
    fired = booted.u32(word)
    assert not engine.hart.mip & 1 << IRQ_MEI
    uart.feed(b"ok\n")
    assert engine.hart.mip & 1 << IRQ_MEI                        # the PLIC raised MEIP
    # The next instruction takes the interrupt; the scheduler claims source 2 and fires the word.
    booted.run_to("plic_claim")
    if board == "sonata":                                        # hardware: no exit
        for _ in range(50):                                      # 400k instructions a tick
            booted.machine.engine.run(2_000_000)
            if b"echo: no input" in booted.uart.getvalue():
                break
    else:
        assert booted.run_to_exit() == 0
    out = booted.uart.getvalue().decode()
    assert "echo: received byte 111\necho: received byte 107\necho: received byte 10\n" in out
    assert "echo: no input for a while after 3 bytes, exiting\n" in out
    assert booted.u32(word) == fired + 1
    assert "poll_uart" not in syms                               # no polling on this board
