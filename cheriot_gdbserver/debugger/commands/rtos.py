"""RTOS commands: compartments, threads, call chains, futexes, sealed objects, the heap, where,
audit. Everything comes from the read-only RTOS model (``rtos.cheriot``), read afresh per
command; names are demangled by the model.

Output is one record per line, ``WORD VALUE: key=value key=value ...`` (addresses in hex;
ranges ``START-END``, END exclusive; a value with spaces is double-quoted), so ``shlex.split``
and ``=`` take a record apart. Detail lines are indented by two spaces under their record.
On an image without an RTOS view every command answers one line, ``no RTOS view: ...``
(docs/gdb.md, "RTOS commands").
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from ...core.capability import Cap, describe
from ...core.csr import MCAUSE_CHERI, describe_trap
from ...errors import CheriotGdbError
from ...report import locate
from ...rtos.cheriot import Component, Import, ImportKind, Kind, RtosState, Span, Thread
from ...rtos.view import ViewError
from ..debug_context import DebugContext
from ..rtos_threads import NoRtosError
from .args import ArgumentError, RegisterRef, address, location, number, word
from .base import Argument, Command, CommandFamily


class RtosCommandError(CheriotGdbError):
    """A name or thread the image does not have (answered as ``error: ...``)."""


Document = dict[str, Any]  # a JSON answer (the --json forms)
Run = Callable[[DebugContext, RtosState, argparse.Namespace], str]
_STATE_WORDS = {"running": "running", "ready": "ready", "sleeping": "sleeping",
                "yielding": "yielding", "waiting on futex": "futex",
                "in a multiwaiter": "multiwaiter", "exited": "exited",
                "not started": "not-started"}


def _rtos(run: Run) -> Callable[[DebugContext, argparse.Namespace], str]:
    """A command that needs the model; without one it answers the one ``no RTOS view`` line."""
    def command(context: DebugContext, args: argparse.Namespace) -> str:
        try:
            state = context.require_rtos()
        except NoRtosError as e:
            return f"{e}\n"
        return run(context, state, args)
    return command


def _quoted(text: str) -> str:
    return json.dumps(text) if " " in text or not text else text


def _span(span: Span | None) -> str:
    return f"{span.start:#010x}-{span.end:#010x}" if span else "-"


def _component(state: RtosState, name: str) -> Component:
    comp = state.image.component(name)
    if comp is None:
        names = ", ".join(c.name for c in state.image.components)
        raise RtosCommandError(f"no compartment or library {name!r} (the image has: {names})")
    return comp


# --- compartments, exports, imports -------------------------------------------------------------

def _reboot_fields(state: RtosState, comp: Component) -> str:
    """` reboots=N last_cause=...` for a compartment; `reboots=unsupported` where the image
    (every official RTOS image) or this compartment cannot be micro-rebooted."""
    if comp.kind is not Kind.COMPARTMENT:
        return ""
    record = state.reboot(comp.name)
    if record is None:
        return " reboots=unsupported"
    if record.cause is None:
        cause = "-"
    elif record.by_debugger:
        cause = "debugger"
    else:
        # The record keeps mcause only (no mtval): name the cause, not the faulting register.
        words = "CHERI exception" if record.cause == MCAUSE_CHERI else \
            describe_trap(record.cause, 0).split(" at ")[0]
        cause = _quoted(f"mcause {record.cause:#x} ({words})")
    closed = f" closed_until_mtime={record.reopens_at}" if record.reopens_at else ""
    return f" reboots={record.count} last_cause={cause}{closed}"


def compartments(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    reboots = state.reboots()
    lines = [f"image: generation={state.image.generation} "
             f"components={len(state.image.components)} threads={len(state.image.threads)} "
             f"micro_reboots={'supported' if reboots is not None else 'unsupported'}"]
    for comp in state.image.components:
        lines.append(f"{comp.kind.value.replace(' ', '-')} {comp.name}: code={_span(comp.code)} "
                     f"globals={_span(comp.globals)} exports={len(comp.exports)} "
                     f"imports={len(comp.imports)} sealed_objects={len(comp.sealed_objects)}"
                     + _reboot_fields(state, comp))
    return "\n".join(lines) + "\n"


def _export_line(exp) -> str:  # noqa: ANN001 - rtos.cheriot.Export
    kind = "sealing-type" if exp.is_sealing_type else "export"
    return (f"{kind} {exp.function}: entry={exp.address:#010x} "
            f"offset={exp.function_start:#x} stack={exp.minimum_stack} "
            f"arguments={exp.register_arguments} interrupts={exp.interrupts.value} "
            f"exported={'yes' if exp.exported else 'no'}")


def _import_line(imp: Import) -> str:
    kind = imp.kind.value.replace(" ", "-")
    fields = [f"slot={imp.address:#010x}"]
    if imp.kind in (ImportKind.COMPARTMENT_CALL, ImportKind.LIBRARY_CALL,
                    ImportKind.SWITCHER_CALL, ImportKind.LOCAL_CALLBACK):
        what = f"{imp.compartment or '?'}.{imp.function or '?'}"
    elif imp.kind is ImportKind.SEALING_KEY and imp.sealing_type is not None:
        what = f"{imp.sealing_type.compartment}.{imp.sealing_type.key}"
    elif imp.kind is ImportKind.SEALED_OBJECT and imp.sealed_object is not None:
        obj = imp.sealed_object
        what = obj.symbol or f"{obj.address:#010x}"
        st = obj.sealing_type
        fields.append(f"type={st.compartment}.{st.key}" if st else f"type={obj.type_word:#x}")
        if obj.interrupt is not None:
            irq = obj.interrupt
            fields.append(f"interrupt={irq.number} name={irq.name or '-'} "
                          f"wait={'yes' if irq.may_wait else 'no'} "
                          f"complete={'yes' if irq.may_complete else 'no'}")
        if obj.quota is not None:
            fields.append(f"quota={obj.quota}")
    elif imp.kind is ImportKind.SWITCHER:
        what = "compartment_switcher"
    else:  # MMIO, shared object, heap
        what = imp.device or imp.compartment or (imp.symbol or "-")
    if imp.start is not None and imp.length is not None:
        fields.append(f"range={imp.start:#010x}-{imp.start + imp.length:#010x}")
    if imp.permits:
        fields.append(f"permits={','.join(imp.permits)}")
    return f"import {what}: kind={kind} " + " ".join(fields)


def exports(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    comp = _component(state, args.name)
    return "".join(_export_line(e) + "\n" for e in comp.exports) or \
        f"{comp.name} exports nothing\n"


def imports(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    comp = _component(state, args.name)
    return "".join(_import_line(i) + "\n" for i in comp.imports) or \
        f"{comp.name} imports nothing\n"


def compartment(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    comp = _component(state, args.name)
    handler = ("stackful" if comp.error_handler is not None else
               "stackless" if comp.stackless_error_handler is not None else "none")
    lines = [f"{comp.kind.value.replace(' ', '-')} {comp.name}: code={_span(comp.code)} "
             f"globals={_span(comp.globals)} imports_table={_span(comp.imports_range)} "
             f"exports_table={_span(comp.export_table)} "
             f"sealed_objects={_span(comp.sealed_objects_range)} error_handler={handler}"
             + _reboot_fields(state, comp)]
    lines += [f"  {_export_line(e)}" for e in comp.exports]
    lines += [f"  {_import_line(i)}" for i in comp.imports]
    for obj in comp.sealed_objects:
        st = obj.sealing_type
        lines.append(f"  sealed-object {obj.symbol or '-'}: at={obj.address:#010x} "
                     f"size={obj.size} type={f'{st.compartment}.{st.key}' if st else '-'}")
    inside = [t for t in state.threads() if t.compartment == comp.name]
    lines += [f"  {_thread_line(context, state, t)}" for t in inside]
    if not inside:
        lines.append("  (no thread executes in it now)")
    return "\n".join(lines) + "\n"


def reboot(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    """Ask the firmware to micro-reboot a compartment. The debugger writes one integer word,
    the firmware's request word, and rings the CLINT's software interrupt (msip) so that the
    scheduler takes the request at once, at its safe point; the firmware does the reboot
    (docs/firmware.md, "Micro-reboots"). No capability is written."""
    comp = _component(state, args.name)
    table = state.image.reboot_table
    if table is None or table.request is None:
        raise RtosCommandError("this image cannot micro-reboot compartments: it has no "
                               "micro_reboots table and request word (no official CHERIoT "
                               "RTOS has micro-reboots; the bundled firmware does)")
    record = state.reboot(comp.name)
    if record is None:
        names = ", ".join(r.compartment for r in state.reboots() or ())
        raise RtosCommandError(f"{comp.name} cannot be micro-rebooted: the firmware keeps "
                               f"reboot records for {names or 'no compartment'} only")
    if record.reopens_at is not None:
        raise RtosCommandError(f"{comp.name} is being micro-rebooted already (it reopens at "
                               f"mtime {record.reopens_at}); continue and try again")
    pending = state.reader.u32(table.request)
    if pending:
        owner = state.image.owner_of_export(pending)
        raise RtosCommandError(f"a reboot of {owner.name if owner else hex(pending)} is "
                               "requested already; continue to let the scheduler take it")
    machine = context.machine
    machine.engine.write_memory(table.request, record.export_table.to_bytes(4, "little"))
    clint = machine.devices.clint
    if clint is not None:
        clint.write(clint.layout.msip, 4, 1)
        machine.advance()
        machine.engine.refresh()
        when = "the software interrupt is raised: the scheduler reboots it when the target runs"
    else:
        when = "the board has no CLINT: the scheduler reboots it at its next entry"
    return (f"reboot {comp.name}: requested (count now {record.count}; the firmware's "
            f"request word {table.request:#010x} = {record.export_table:#010x}); {when}\n")


# --- threads and call chains --------------------------------------------------------------------

def _pc(context: DebugContext, state: RtosState, t: Thread) -> int | None:
    """The pc gdb shows for the thread: the CPU's for the thread on the CPU (rtos_threads.py
    gives it the live registers, also while the switcher or the scheduler runs on its behalf,
    where the model gives the save area's), the saved one for every other thread."""
    if t.id == state.current_thread_id():
        return context.live.capability("pcc").address
    return t.pc


def _thread_line(context: DebugContext, state: RtosState, t: Thread) -> str:
    fields = [f"state={_STATE_WORDS.get(t.state.value, t.state.value)}",
              f"compartment={t.compartment or '-'}",
              f"priority={t.base_priority}"]
    if t.boosted:
        fields.append(f"boosted={t.priority}")
    if t.futex is not None:
        fields.append(f"futex={t.futex:#010x}")
    if t.multiwaiter is not None:
        fields.append(f"multiwaiter={t.multiwaiter:#010x}")
    if t.state.value in ("waiting on futex", "in a multiwaiter", "sleeping", "yielding"):
        fields.append(f"wake={'forever' if t.wake_time is None else t.wake_time}")
    if t.boosts is not None:
        fields.append(f"boosts={t.boosts}")
    pc = _pc(context, state, t)
    if pc is not None:
        fields.append(f"pc={pc:#010x}")
    used = t.stack.used
    fields.append(f"stack={_span(t.stack.stack)}")
    fields.append(f"stack_used={'-' if used is None else used}")
    fields.append(f"calls={len(t.call_chain)}")
    return f"thread {t.id} {t.name}: " + " ".join(fields)


def threads(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    found = state.threads()
    if not found:
        return "the image has no threads\n"
    return "".join(_thread_line(context, state, t) + "\n" for t in found)


def thread_id(text: str, context: DebugContext) -> int:
    value = number(text)
    if value == 0:
        raise ArgumentError("thread 0 is the idle thread, which makes no calls")
    return value


def callchain(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    wanted = args.thread
    if wanted is None:  # gdb's selected thread when it is an RTOS thread, else the running one
        selected = context.selected_thread
        wanted = selected if selected is not None and state.thread(selected) else \
            state.current_thread_id()
    if not wanted:
        if args.json:
            return json.dumps({"thread": None, "image": _image_document(context, state)},
                              sort_keys=True) + "\n"
        return "no thread is running (the idle loop or the boot code has the CPU)\n"
    t = state.thread(wanted)
    if t is None:
        ids = ", ".join(str(x.id) for x in state.threads())
        raise RtosCommandError(f"no thread {wanted} (threads: {ids})")
    if args.json:
        return json.dumps(callchain_document(context, state, t), sort_keys=True) + "\n"
    lines = [f"thread {t.id} {t.name}: frames={len(t.call_chain)} "
             f"compartment={t.compartment or '-'}"]
    image = context.image
    for f in reversed(t.call_chain):  # innermost first, as gdb's bt
        fields = [f"export={f.export_address:#010x}", f"handlers={f.error_handler_count}"]
        if f.caller_compartment is not None:
            fields.insert(0, f"caller={f.caller_compartment}")
        line = f"  #{f.index} {f.compartment or '?'}.{f.function or '?'}: " + " ".join(fields)
        if f.caller_pc is not None:
            line += f"\n    called from {locate(image, f.caller_pc)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


# The machine-readable form (``callchain --json``) is what the gdb extension unwinds with
# (gdb_extension/unwind.py): the switcher's code and entry points, the thread's save area and
# every trusted-stack frame with the caller's registers from its spill (rtos.md 3.2, 3.3, 3.9).
SWITCHER_POINTS = {"switcher_entry": "__Z26compartment_switcher_entryz",
                   "switcher_return": "switcher_after_compartment_call",
                   "trap_entry": "exception_entry_asm"}
SPILL = (("cs0", 0), ("cs1", 8), ("cgp", 16), ("cra", 24))   # the 32-byte spill (3.2)
SPILL_SIZE = 32


def _cap_document(cap: Cap | None) -> Document | None:
    if cap is None:
        return None
    return {"address": cap.address, "tag": cap.tag, "otype": cap.otype}


def _image_document(context: DebugContext, state: RtosState) -> Document:
    """What the unwinder needs of the image, the same at every stop: the switcher's code and
    entry points, its library functions, every export's first instruction, code ranges. Read
    once per stop (the PCC bases are live memory)."""
    return state.memo("image_document", lambda: _read_image_document(context, state))


def _read_image_document(context: DebugContext, state: RtosState) -> Document:
    image = state.image
    switcher = next((c for c in image.components if c.kind.value == "switcher"), None)
    entries, library = [], []
    for comp in image.components:
        for exp in comp.exports:
            found = _entry_pc(context, state, exp.address)
            if found is None:
                continue
            if comp is switcher:
                if exp.symbol and exp.symbol.startswith("__library_export"):
                    library.append(found[2])
            else:
                entries.append(found[2])
    doc: Document = {key: image.symbols.address(name) for key, name in SWITCHER_POINTS.items()}
    doc.update(switcher_code=[switcher.code.start, switcher.code.end] if switcher else None,
               switcher_library=sorted(set(library)), entries=sorted(set(entries)),
               components=[[c.name, c.code.start, c.code.end] for c in image.components
                           if c.code])
    return doc


def _entry_pc(context: DebugContext, state: RtosState, export: int) -> tuple[str, str, int] | None:
    """(compartment, function, first instruction) of the export entry at ``export``: the
    compartment's PCC base (its export table's first word, written by the loader; else the
    code start) plus the entry's function offset."""
    owner = state.image.owner_of_export(export)
    comp = state.image.component(owner.name) if owner is not None else None
    if comp is None:
        return None
    exp = next((e for e in comp.exports if e.address == export), None)
    if exp is None or exp.is_sealing_type:
        return None
    base = comp.code.start
    try:
        pcc = context.view.read_capability(comp.export_table.start)
        if pcc.tag:
            base = pcc.base
    except ViewError:
        pass
    return comp.name, exp.function, base + exp.function_start


def _spill_document(context: DebugContext, spill: int) -> Document:
    caller: Document = {"csp": spill + SPILL_SIZE}
    for name, offset in SPILL:
        try:
            caller[name] = _cap_document(context.view.read_capability(spill + offset))
        except ViewError:
            caller[name] = None
    caller["pc"] = caller["cra"]["address"] if caller["cra"] else None
    return caller


def callchain_document(context: DebugContext, state: RtosState, t: Thread) -> Document:
    frames = []
    static = next((s for s in state.image.threads if s.id == t.id), None)
    for f in reversed(t.call_chain):  # innermost first
        # frames[0] holds the table's start, not an entry: the thread's entry export instead
        export = static.entry_export if f.index == 0 and static else f.export_address
        entry = _entry_pc(context, state, export) if export else None
        spill = f.caller_sp - SPILL_SIZE if f.caller_sp is not None else None
        frames.append({"index": f.index, "compartment": f.compartment, "function": f.function,
                       "export": f.export_address, "entry": entry[2] if entry else None,
                       "caller_compartment": f.caller_compartment, "spill": spill,
                       "caller": _spill_document(context, spill) if spill is not None
                       else None, "handlers": f.error_handler_count})
    saved = None
    if t.context is not None:
        saved = {"address": t.context.address, "mcause": t.context.mcause,
                 "mstatus": t.context.mstatus,
                 "registers": {name: _cap_document(cap) for name, cap in t.context.registers}}
    target = None
    if t.on_cpu:  # a cross-compartment call under way: the sealed export entry in ct1 (3.2)
        ct1 = context.live.capability("ct1")
        found = _entry_pc(context, state, ct1.address) if ct1.tag else None
        if found is not None:
            target = {"export": ct1.address, "compartment": found[0], "function": found[1],
                      "entry": found[2]}
    field = state.image.trusted_stack_layout["frameoffset"]
    address = t.trusted_stack.start + field.offset
    frameoffset: dict[str, int | None] = {"address": address, "value": None}
    try:
        frameoffset["value"] = int.from_bytes(context.view.read_memory(address, 2), "little")
    except ViewError:
        pass
    lay, frame = state.image.trusted_stack_layout, state.image.frame_layout
    records = {"address": t.trusted_stack.start + lay["frames"].offset, "size": frame.size,
               "csp": frame["csp"].offset, "export": frame["calleeExportTable"].offset}
    return {"thread": t.id, "name": t.name, "compartment": t.compartment, "on_cpu": t.on_cpu,
            "frameoffset": frameoffset, "frame_records": records,
            "trusted_stack": t.trusted_stack.start,
            "stack": [t.stack.stack.start, t.stack.stack.end],
            "image": _image_document(context, state),
            "saved": saved, "frames": frames, "call_target": target}


# --- futexes, sealed capabilities, the heap, where, audit ---------------------------------------

def futexes(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    words = state.futexes()
    if not words:
        return "no futex word has a waiter\n"
    lines = []
    for f in words:
        value = "-" if f.value is None else f"{f.value:#x}"
        line = f"futex {f.address:#010x}: value={value} in={_quoted(f.lives_in)} " \
               f"waiters={len(f.waiters)}"
        if f.interrupt is not None:
            line += f" interrupt={f.interrupt.number} name={f.interrupt.name or '-'}"
        if f.pi_owner is not None:
            line += f" owner={f.pi_owner}"
        lines.append(line)
        for w in f.waiters:
            expected = "-" if w.expected is None else f"{w.expected:#x}"
            wake = "forever" if w.wake_time is None else w.wake_time
            extra = f" boosts={w.boosts}" if w.boosts is not None else ""
            lines.append(f"  waiter thread {w.thread} {w.name}: priority={w.priority} "
                         f"expected={expected} wake={wake}{extra}")
    return "\n".join(lines) + "\n"


def _capability(context: DebugContext, where: RegisterRef | int) -> tuple[str, Cap]:
    if isinstance(where, RegisterRef):
        return where.name, context.registers.capability(where.name)
    granule = where & ~7
    try:
        return f"{granule:#010x}", context.view.read_capability(granule)
    except ViewError as e:
        raise RtosCommandError(str(e)) from None


def sealed(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    label, cap = _capability(context, args.reg_or_addr)
    info = state.sealed(cap)
    lines = [f"{label}: {describe(cap)}", f"  kind={info.kind.replace(' ', '-')} "
             f"otype={info.otype}: {info.description}"]
    if info.compartment is not None:
        lines.append(f"  compartment={info.compartment}"
                     + (f" function={info.function}" if info.function else ""))
    if info.thread is not None:
        lines.append(f"  thread={info.thread}")
    if info.payload is not None:
        words = " ".join(f"{w:#010x}" for w in info.first_words)
        lines.append(f"  payload={info.payload[0]:#010x}-{info.payload[1]:#010x}"
                     + (f" words={words.replace(' ', ',')}" if words else ""))
    return "\n".join(lines) + "\n"


def heap(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    h = state.heap()
    if args.addr is not None:
        chunk = state.chunk(args.addr) if h.initialised else None
        if chunk is None:
            inside = args.addr in h.region
            return (f"{args.addr:#010x}: not in a heap chunk"
                    + (" (the allocator has not set up the heap yet)" if inside and
                       not h.initialised else "" if inside else " (outside the heap)") + "\n")
        return (f"chunk {chunk.header:#010x}: size={chunk.size} state={chunk.state} "
                f"owner={chunk.owner} quota={chunk.quota or '-'} "
                f"sealed={'yes' if chunk.sealed else 'no'}\n")

    def n(value: int | None) -> str:
        return "-" if value is None else str(value)
    epoch = "-" if h.epoch is None else str(h.epoch)
    lines = [f"heap {_span(h.region)}: initialised={'yes' if h.initialised else 'no'} "
             f"total={n(h.total)} free={n(h.free)} quarantine={n(h.quarantine)} "
             f"chunks={len(h.chunks)} epoch={epoch} "
             f"sweeping={'-' if h.epoch is None else 'yes' if h.epoch & 1 else 'no'} "
             f"revoker={h.revoker or '-'} "
             f"quarantine_known={'yes' if h.quarantine_known else 'no'}"]
    for q in h.quotas:
        lines.append(f"  quota {q.name}: at={q.address:#010x} quota={q.quota} "
                     f"remaining={n(q.remaining)} identifier={n(q.identifier)}")
    for c in h.chunks:
        lines.append(f"  chunk {c.header:#010x}: size={c.size} state={c.state} "
                     f"owner={c.owner}")
    return "\n".join(lines) + "\n"


def where(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    what = args.reg_or_addr
    if isinstance(what, RegisterRef):
        label, target = _capability(context, what)
        found = state.where(target)
        address = target.address
    else:
        label, address, found = f"{what:#010x}", what, state.where(what)
    if found is None:
        return f"{label}: address={address:#010x} nothing the RTOS image knows\n"
    return f"{label}: address={address:#010x} {found.describe()}\n"


def audit(context: DebugContext, state: RtosState, args: argparse.Namespace) -> str:
    if args.name is not None:
        _component(state, args.name)
    return json.dumps(state.audit(args.name), indent=2, sort_keys=True) + "\n"


NAME = Argument("NAME", "a compartment or library name (monitor compartments lists them)", word)
LOCATION = Argument("REG_OR_ADDR", "register ($ca0, csp...), address or symbol", location)

FAMILY = CommandFamily("rtos", (
    Command("compartments", "list the RTOS image's compartments and libraries",
            _rtos(compartments), changes_target=False),
    Command("compartment", "one compartment: ranges, exports, imports, threads inside it now",
            _rtos(compartment), (NAME,), changes_target=False),
    Command("reboot", "ask the firmware to micro-reboot a compartment (when the target runs)",
            _rtos(reboot), (NAME,)),
    Command("exports", "the export table of a compartment or library", _rtos(exports),
            (NAME,), changes_target=False),
    Command("imports", "the import table of a compartment or library, decoded by kind",
            _rtos(imports), (NAME,), changes_target=False),
    Command("threads", "the RTOS threads: state, compartment, priority, stack use",
            _rtos(threads), changes_target=False),
    Command("callchain", "a thread's compartment call chain (default: gdb's thread)",
            _rtos(callchain), (Argument("THREAD", "an RTOS thread ID", thread_id, True),
                               Argument("JSON", "one JSON document (what the gdb extension "
                                        "unwinds with)", flag=True)), changes_target=False),
    Command("futexes", "every futex word with a waiter, and its waiters", _rtos(futexes),
            changes_target=False),
    Command("sealed", "what a sealed capability (a register, or the one at ADDR) is",
            _rtos(sealed), (LOCATION,), changes_target=False),
    Command("heap", "the heap: totals, quotas, chunks; or the chunk holding ADDR",
            _rtos(heap), (Argument("ADDR", "an address, symbol or register", address, True),),
            changes_target=False),
    Command("where", "which compartment, stack, heap chunk, device... an address belongs to",
            _rtos(where), (LOCATION,), changes_target=False),
    Command("audit", "the image as JSON shaped like the linker's audit report",
            _rtos(audit), (Argument("NAME", "only this compartment or library", word, True),),
            changes_target=False),
))
