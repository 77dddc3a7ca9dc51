"""Words for how a run ended: the fault report of ``cheriot-gdbserver run`` (docs/run.md).

``explain_trap`` is the reusable part (the gdb stub's ``monitor fault`` prints it too): the lines
that explain one trap, from its ``TrapInfo`` and the machine's image (symbols, DWARF lines) and
memory (the instruction). ``report`` frames a ``Stop`` with a headline and the last instructions
executed. Every line is stable text, one fact per line, so that scripts and tests can parse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .boards.image import Image
from .boards.machine import Machine
from .core.capability import Cap, describe
from .core.csr import INTERRUPT, cheri_cause_words, describe_trap
from .core.decode import Instr, Kind, decode, disassemble
from .core.demangle import demangle
from .core.hart import CAP_REG_NAMES, MCAUSE_CHERI, SCR_MTCC, register_name
from .core.stops import Stop, StopKind, TrapInfo

if TYPE_CHECKING:
    from .rtos.cheriot import RtosState

PREFIX = "cheriot-gdbserver"
LAST_INSTRUCTIONS = 10
_MEMORY_OPS = ("clc", "csc")
_GPR_INDEX = {name: i for i, name in enumerate(CAP_REG_NAMES)}


@dataclass(frozen=True, slots=True)
class Ending:
    """How a run ended, as the report's headline and the process exit status say it."""

    headline: str       # e.g. "unhandled fault: CHERI bounds violation on store through ca0"
    status: int         # exit status of `cheriot-gdbserver run` (docs/run.md)


# Exit statuses of `run` for endings that are not the firmware's own exit (docs/run.md). The
# firmware's status is returned as is; these sit in a block that firmware conventionally leaves
# alone, next to timeout(1)'s 124 for an exhausted budget and the shell's 130 for Ctrl-C.
EXIT_UNHANDLED_FAULT = 120
EXIT_DOUBLE_FAULT = 121
EXIT_HALTED = 122
EXIT_BUDGET = 124
EXIT_INTERRUPTED = 130


# --- addresses -----------------------------------------------------------------------------

def symbolize(image: Image, address: int) -> str:
    """``<symbol+offset>`` for ``address`` (the sized symbol holding it, else the nearest one
    below; C++ names demangled), or ``""`` when the image has no symbol there."""
    symbol = image.symbol_containing(address) or image.nearest_symbol(address)
    if symbol is None:
        return ""
    return f"<{demangle(symbol.name)}+{address - symbol.address}>"


def where(image: Image, address: int) -> str:
    """``0x80000040 <main+12>`` (the address alone when no symbol covers it)."""
    symbol = symbolize(image, address)
    return f"{address:#010x} {symbol}" if symbol else f"{address:#010x}"


def locate(image: Image, address: int) -> str:
    """``0x80000040 <main+12> at hello.c:12``: as much as the image knows about ``address``."""
    text = where(image, address)
    line = image.line_for_address(address)
    if line is not None:
        text += f" at {line[0]}:{line[1]}"
    return text


def instruction_at(machine: Machine, address: int) -> Instr | None:
    """The instruction in memory at ``address``, or None where nothing is mapped."""
    try:
        low = int.from_bytes(machine.engine.read_memory(address, 2), "little")
        if low & 3 == 3:
            low = int.from_bytes(machine.engine.read_memory(address, 4), "little")
    except Exception:  # noqa: BLE001 - a report must never fail on an odd address
        return None
    return decode(low)


def disassemble_at(machine: Machine, address: int) -> str:
    instr = instruction_at(machine, address)
    return disassemble(instr, address) if instr is not None else "(no memory)"


# --- one trap ------------------------------------------------------------------------------

def cause_words(mcause: int, mtval: int) -> str:
    """``mcause 0x1c (CHERI exception), mtval 0x141 (bounds violation, register ca0)``."""
    if mcause & INTERRUPT:
        return f"mcause {mcause:#x} ({describe_trap(mcause, mtval)})"
    if mcause == MCAUSE_CHERI:
        words = cheri_cause_words(mtval & 0x1F)
        return (f"mcause {mcause:#x} (CHERI exception), mtval {mtval:#x} "
                f"({words}, register {register_name((mtval >> 5) & 0x3F)})")
    words = describe_trap(mcause, mtval).removesuffix(f" at {mtval:#010x}")
    return f"mcause {mcause:#x} ({words}), mtval {mtval:#x}"


def _access(instr: Instr | None, authority: Cap | None) -> str | None:
    """``access: 4 bytes at 0x80000030`` for a load or store through ``authority``."""
    if instr is None or authority is None:
        return None
    if instr.kind not in (Kind.LOAD, Kind.STORE) and instr.op not in _MEMORY_OPS:
        return None
    address = (authority.address + instr.imm) & 0xFFFF_FFFF
    return f"access: {instr.width} bytes at {address:#010x}"


def trap_words(trap: TrapInfo) -> str:
    """What happened, e.g. ``CHERI bounds violation on store through ca0``."""
    if trap.interrupt or not trap.description:
        return describe_trap(trap.mcause, trap.mtval)
    return trap.description


def explain_trap(machine: Machine, trap: TrapInfo, rtos: RtosState | None = None
                 ) -> list[str]:
    """The lines explaining one trap (no headline, no indentation):

    * the cause: ``mcause``/``mtval`` in words (isa.md §7.1, §7.2);
    * where: PC, symbol and source line when the image's DWARF has it;
    * the instruction (CHERIoT spelling) and, for loads and stores, the access it attempted;
    * the capability the failed check looked at, decoded (``capability.describe``);
    * on an RTOS image (``rtos``, read afresh): the thread, its compartment, what the switcher
      will do with the fault and the call chain (``rtos_lines``).
    """
    lines = _explain_trap(machine, trap)
    if rtos is not None and not trap.interrupt:
        lines += rtos_lines(machine, rtos, trap.mcause)
    return lines


def rtos_lines(machine: Machine, rtos: RtosState, mcause: int | None = None) -> list[str]:
    """The RTOS's view of the stop (_rtos_lines); an unreadable state is one line saying so."""
    try:
        return _rtos_lines(machine, rtos, mcause)
    except Exception as e:  # noqa: BLE001 - a report must never fail on odd target memory
        return [f"rtos: the RTOS state could not be read ({type(e).__name__}: {e})"]


def _rtos_lines(machine: Machine, rtos: RtosState, mcause: int | None) -> list[str]:
    """``thread: 1 demo.demo_main``, ``compartment: faulty``, with ``mcause`` the switcher's
    answer (``switcher: run the compartment's error handler``), then ``call chain:`` and one
    ``  #N compartment.export called from ...`` line per trusted-stack frame, innermost first.
    Nothing while no RTOS thread runs (boot code, idle loop). ``rtos`` holds this stop's reads
    (its owner invalidates it whenever the target has run)."""
    thread = rtos.thread(rtos.current_thread_id())
    if thread is None:
        return []
    lines = [f"thread: {thread.id} {thread.name}",
             f"compartment: {thread.compartment or '?'}"]
    if mcause is not None:
        outcome = rtos.fault_outcome(thread.id, mcause)
        if outcome is not None:
            lines.append(f"switcher: {switcher_words(outcome, thread)}")
    lines.append("call chain:")
    for frame in reversed(thread.call_chain):
        text = f"  #{frame.index} {frame.compartment or '?'}.{frame.function or '?'}"
        if frame.caller_pc is not None:
            text += f" called from {locate(machine.image, frame.caller_pc)}"
        lines.append(text)
    return lines


def switcher_words(outcome, thread) -> str:  # noqa: ANN001 - rtos.cheriot FaultOutcome, Thread
    """What the switcher does, with a fault inside a running error handler named as such."""
    from .rtos.cheriot import Outcome

    words = outcome.outcome.value
    if outcome.caller:
        words += f" ({outcome.caller})"
    if in_error_handler(outcome, thread):
        end = "end the thread" if len(thread.call_chain) == 1 else "force-unwind to the caller"
        words = f"double fault (a fault in the error handler): {end}"
    elif outcome.outcome is Outcome.EXIT and thread.call_chain:
        words += " (a fault in its entry compartment, which has no error handler)"
    return words


def in_error_handler(outcome, thread) -> bool:  # noqa: ANN001 - as above
    """A fault while the compartment's error handler runs (its frame's count is odd, rtos.md
    3.5 step 4): the switcher force-unwinds instead of running the handler again."""
    from .rtos.cheriot import Outcome

    return (outcome.outcome in (Outcome.HANDLER, Outcome.STACKLESS_HANDLER)
            and bool(thread.call_chain) and bool(thread.call_chain[-1].error_handler_count & 1))


def _explain_trap(machine: Machine, trap: TrapInfo) -> list[str]:
    lines = [cause_words(trap.mcause, trap.mtval), f"pc {locate(machine.image, trap.pc)}"]
    if trap.interrupt:
        lines.append(f"interrupted instruction: {disassemble_at(machine, trap.pc)}")
        return lines
    instr = instruction_at(machine, trap.pc)
    text = trap.instruction or (disassemble(instr, trap.pc) if instr is not None else None)
    if text is not None:
        lines.append(f"instruction: {text}")
    capability = trap.capability
    register = trap.register
    if capability is None and register in _GPR_INDEX:
        capability = machine.engine.read_cap(_GPR_INDEX[register])
    access = _access(instr, capability) if register != "pcc" else None
    if access is not None:
        lines.append(access)
    if capability is not None:
        lines.append(f"capability {register or 'involved'}: {describe(capability)}")
    return lines


# --- the whole report ----------------------------------------------------------------------

def trap_handler_usable(machine: Machine) -> bool:
    """Whether MTCC names code that can run: tagged, in bounds, over executable memory."""
    mtcc = machine.engine.hart.scr[SCR_MTCC]
    if not mtcc.tag or not mtcc.in_bounds(mtcc.address, 2):
        return False
    region = machine.memory.ram_at(mtcc.address)
    return region is not None and region.dtab is not None


def _instructions(machine: Machine, instructions: int) -> str:
    """``N instructions``, and how many of those instruction times the hart slept in wfi
    (time skips to the next device event; a far timer makes that most of them)."""
    asleep = machine.engine.asleep
    if not asleep:
        return f"{instructions} instructions"
    return f"{instructions} instructions ({instructions - asleep} run, {asleep} asleep in wfi)"


def ending(machine: Machine, stop: Stop, instructions: int) -> Ending:
    """The headline and exit status for a stop that is not the firmware's own exit."""
    trap = stop.trap
    if stop.kind is StopKind.LOCKUP and trap is not None:
        what = "interrupt" if trap.interrupt else "fault"
        if trap_handler_usable(machine):
            return Ending(f"double fault: {trap_words(trap)}", EXIT_DOUBLE_FAULT)
        return Ending(f"unhandled {what}: {trap_words(trap)}", EXIT_UNHANDLED_FAULT)
    after = _instructions(machine, instructions)
    if stop.kind is StopKind.BUDGET:
        return Ending(f"instruction budget exhausted after {after}", EXIT_BUDGET)
    if stop.kind is StopKind.HALTED:
        return Ending(f"halted: {stop.message or 'nothing can wake the hart'}", EXIT_HALTED)
    if stop.kind is StopKind.INTERRUPTED:
        return Ending(f"interrupted after {after}", EXIT_INTERRUPTED)
    return Ending(f"stopped: {stop.kind.value} {stop.message}".rstrip(), EXIT_UNHANDLED_FAULT)


def last_instructions(machine: Machine, count: int = LAST_INSTRUCTIONS) -> list[str]:
    """``0x80000030 <main+0>  cincoffset csp, csp, -16`` for the last ``count`` instructions
    started, oldest first (the engine's history, where an instruction repeated in place, such
    as ``j .``, is listed once)."""
    return [f"{where(machine.image, pc)}  {disassemble_at(machine, pc)}"
            for pc in machine.engine.recent_pcs(count)]


def report(machine: Machine, stop: Stop, instructions: int,
           rtos: RtosState | None = None) -> list[str]:
    """The report ``run`` prints on stderr when the firmware did not exit by itself (with the
    RTOS thread, compartment and call chain on an RTOS image)."""
    end = ending(machine, stop, instructions)
    lines = [f"{PREFIX}: {end.headline}"]
    body: list[str] = []
    if stop.kind is StopKind.LOCKUP and stop.trap is not None:
        body += explain_trap(machine, stop.trap, rtos)
        body.append(stop.message)
    else:
        body.append(f"pc {locate(machine.image, stop.pc)}")
        body.append(f"instruction: {disassemble_at(machine, stop.pc)}")
        if rtos is not None:
            body += rtos_lines(machine, rtos)
    history = last_instructions(machine)
    if history:
        body.append("last instructions:")
        body += [f"  {line}" for line in history]
    return lines + [f"  {line}" for line in body]


__all__ = ["EXIT_BUDGET", "EXIT_DOUBLE_FAULT", "EXIT_HALTED", "EXIT_INTERRUPTED",
           "EXIT_UNHANDLED_FAULT", "Ending", "cause_words", "ending", "explain_trap",
           "last_instructions", "locate", "report", "rtos_lines", "symbolize", "trap_words",
           "where"]
