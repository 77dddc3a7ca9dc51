"""Backtraces across compartments and trap frames (docs/gdb.md, "Backtraces").

Within a compartment gdb unwinds as usual (DWARF CFI, else its RISC-V prologue analyser). What
it cannot know lives in the RTOS's trusted stack (rtos.md 3.3, 3.9), which the daemon decodes:
``monitor callchain --json`` gives, per trusted-stack frame, the callee's entry and the
caller's registers from the switcher's 32-byte spill, plus the thread's register save area and
where the switcher's entry points are. With it this unwinder makes three kinds of caller frame:

* a compartment's **entry frame** (the export entry function of a trusted-stack frame, reached
  through the switcher): its caller is the calling compartment at the return address, with
  ``sp``, ``s0``, ``s1``, ``gp`` and ``ra`` as the switcher restores them, so ``up``, ``finish``
  and ``next`` see the caller directly and never the switcher;
* a frame whose pc is **in the switcher's call or return path** (or one of its library
  functions): the caller from the live ``cra``/``csp`` while they still hold the caller's,
  else from the spill at ``csp``, else from the top trusted-stack frame;
* a frame **on the trap path** (``exception_entry_asm`` up to the switcher's library
  functions): the interrupted code at the faulting PC, from the live registers while the
  switcher has not yet saved them (MEPCC; ``csp`` from MTDC once swapped), else from the
  thread's save area.

The thread's entry function is the outermost frame. A frame filter names each frame's
compartment (``[demo]``) and shows a trap frame's line at its faulting PC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import gdb
from gdb.FrameDecorator import FrameDecorator
from gdb.unwinder import Unwinder, register_unwinder

from ..core.decode import decode
from .daemon import DaemonError, Document, monitor_json

NAME = "cheriot-compartments"
RETURN_SENTRIES = (4, 5)        # backward sentries (isa.md 4.4): what a call links into cra
SPILL_SIZE = 32
CALLEE_SAVED = (("fp", "cs0"), ("s1", "cs1"), ("gp", "cgp"))   # gdb name, spill slot
GPRS = ("ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5")
CAPS = ("cra", "csp", "cgp", "ctp", "ct0", "ct1", "ct2", "cs0", "cs1", "ca0", "ca1", "ca2",
        "ca3", "ca4", "ca5")
_SYMBOL = re.compile(r"<(?P<name>[^+>]+)(\+(?P<offset>\d+))?>")


class FrameId:
    """What gdb identifies a frame by: its stack address and its function's start."""

    def __init__(self, sp: int, pc: int) -> None:
        self.sp = gdb.Value(sp).cast(gdb.lookup_type("unsigned int"))
        self.pc = gdb.Value(pc).cast(gdb.lookup_type("unsigned int"))


# --- the daemon's trusted-stack document, per stop and thread ----------------------------------

class Documents:
    """``monitor callchain --json`` per thread, fetched when first needed after each stop."""

    def __init__(self) -> None:
        self.generation = 0
        self.cache: dict[tuple[int, int], Document | None] = {}
        self.last: dict[int, Document] = {}     # per thread, the latest document of any stop
        self.reused: dict[tuple[int, int], Document] = {}   # taken from ``last`` at this stop
        self.static: Document | None = None     # the image part, the same at every stop
        self.unavailable = False            # not an RTOS image: never ask again

    def invalidate(self, *_: Any) -> None:
        self.generation += 1
        self.cache.clear()
        self.reused.clear()

    def forget(self, *_: Any) -> None:
        """Another image (or another target): ask again what it is."""
        self.invalidate()
        self.last.clear()
        self.static = None
        self.unavailable = False

    def current(self, fresh: bool = True) -> Document | None:
        """The selected thread's document at this stop. ``fresh=False`` (a compartment's entry
        frame) also takes the one of an earlier stop while the trusted stack's frame offset
        is unchanged: its frames and spills are then the same, and one memory read is much
        cheaper than the monitor command at every step."""
        if self.unavailable:
            return None
        thread = gdb.selected_thread()
        if thread is None:
            return None
        tid = thread.ptid[1] or thread.num
        key = (self.generation, tid)
        if not fresh and key in self.reused:
            return self.reused[key]
        if key not in self.cache:
            earlier = self.last.get(tid)
            if not fresh and earlier is not None and self._unchanged(earlier):
                self.reused[key] = earlier
                return earlier
            doc = self._fetch(tid)
            self.cache[key] = doc
            if doc is not None:
                self.last[tid] = doc
        return self.cache[key]

    @staticmethod
    def _unchanged(doc: Document) -> bool:
        """The frame offset, and each call's frame record (spill, export entry) and return
        address, are what the document says."""
        field, records = doc.get("frameoffset") or {}, doc.get("frame_records")
        if field.get("value") is None or records is None:
            return False
        memory = gdb.selected_inferior()

        def word(address: int, length: int = 4) -> int:
            return int.from_bytes(bytes(memory.read_memory(address, length)), "little")
        try:
            if word(field["address"], 2) != field["value"]:
                return False
            for f in doc["frames"]:
                if f["index"] == 0:
                    continue
                at = records["address"] + records["size"] * f["index"]
                if word(at + records["csp"]) != f["spill"] or \
                        word(at + records["export"]) != f["export"] or \
                        word(f["spill"] + 24) != f["caller"]["pc"]:
                    return False
        except (gdb.MemoryError, KeyError, TypeError):
            return False
        return True

    def _fetch(self, tid: int) -> Document | None:
        try:
            doc = monitor_json(f"callchain --json {tid}")
        except DaemonError as exc:
            if "no RTOS view" in str(exc):
                self.unavailable = True
            return None
        if self.static is None and doc.get("image", {}).get("switcher_code"):
            self.static = doc["image"]
        return doc if doc.get("thread") else None

    def image(self) -> Document | None:
        if self.static is None and not self.unavailable:
            self.current()
        return self.static


DOCUMENTS = Documents()


def in_switcher(pc: int) -> bool:
    image = DOCUMENTS.image()
    return image is not None and image["switcher_code"][0] <= pc < image["switcher_code"][1]


def trap_region(image: Document) -> tuple[int, int] | None:
    """From the trap entry to the switcher's first library function after it (rtos.md 3.4)."""
    trap = image.get("trap_entry")
    if trap is None:
        return None
    end = next((a for a in image["switcher_library"] if a > trap), image["switcher_code"][1])
    return trap, end


def compartment_of(pc: int) -> str | None:
    image = DOCUMENTS.image()
    for name, start, end in (image or {}).get("components", ()):
        if start <= pc < end:
            return name
    return None


def function_start(pc: int) -> int | None:
    """The start of the symbol holding ``pc`` (ELF symbols: assembly has no DWARF functions)."""
    block = gdb.block_for_pc(pc)
    while block is not None and block.function is None:
        block = block.superblock
    if block is not None:
        return int(block.start)
    found = _SYMBOL.search(gdb.format_address(pc))
    if found is None:
        return None
    return pc - int(found.group("offset") or 0)


def _u32(value: gdb.Value) -> int:
    return int(value) & 0xFFFFFFFF


def _cap(frame: Any, name: str) -> Document:
    value = frame.read_register(name)
    return {"address": _u32(value["address"]), "tag": bool(value["tag"]),
            "otype": int(value["otype"])}


def _csp_moved(start: int, pc: int) -> int:
    """How far the instructions from ``start`` up to ``pc`` moved csp by ``cincoffset csp,
    csp, IMM`` (the switcher makes room for its spill so: -32 once the spill is reserved).
    Conditional branches are read through (we are past them); a jump ends the walk."""
    if not start <= pc < start + 512:
        return 0
    try:
        code = bytes(gdb.selected_inferior().read_memory(start, pc - start + 4))
    except gdb.MemoryError:
        return 0
    moved, offset = 0, 0
    while start + offset < pc:
        word = int.from_bytes(code[offset:offset + 4].ljust(4, b"\0"), "little")
        instr = decode(word)
        if instr.op in ("cincaddrimm", "cincoffsetimm", "cincoffset") and \
                instr.rd == 2 and instr.rs1 == 2 and instr.rs2 == 0:
            moved += instr.imm
        elif instr.op in ("cjal", "cjalr", "jal", "jalr"):
            break
        offset += instr.length
    return moved


def _read_word(address: int) -> int | None:
    try:
        return int.from_bytes(gdb.selected_inferior().read_memory(address, 4), "little")
    except gdb.MemoryError:
        return None


# --- the unwinder ---------------------------------------------------------------------------------

class CompartmentUnwinder(Unwinder):
    def __init__(self) -> None:
        super().__init__(NAME)

    def __call__(self, pending: Any) -> Any:
        try:
            return self._unwind(pending)
        except (gdb.error, gdb.MemoryError, KeyError, TypeError):
            return None   # leave the frame to gdb's own unwinders

    def _unwind(self, pending: Any) -> Any:
        if DOCUMENTS.unavailable:
            return None
        pc = _u32(pending.read_register("pc"))
        image = DOCUMENTS.image()
        if not image:
            return None
        if pc == 0 and pending.level() > 0:   # the caller of a thread's entry function
            return self._info(pending, _u32(pending.read_register("sp")), 0, {"pc": 0})
        if in_switcher(pc):
            return self._switcher_frame(pending, pc, image)
        return self._entry_frame(pending, pc, image)

    @staticmethod
    def _info(pending: Any, frame_sp: int, frame_pc: int, regs: dict[str, int]) -> Any:
        info = pending.create_unwind_info(FrameId(frame_sp, frame_pc))
        uint = gdb.lookup_type("unsigned int")
        for name, value in regs.items():
            info.add_saved_register(name, gdb.Value(value & 0xFFFFFFFF).cast(uint))
        return info

    # A compartment's entry function, called through the switcher.
    def _entry_frame(self, pending: Any, pc: int, image: Document) -> Any:
        look = pc if pending.level() == 0 else pc - 2   # a return address: its call's function
        start = function_start(look)
        if start is None or start not in image["entries"]:
            return None
        doc = DOCUMENTS.current(fresh=False)
        if doc is None:
            return None
        sp = _u32(pending.read_register("sp"))
        frame = None
        for f in doc["frames"]:          # innermost first: spills rise towards the entry frame
            if f["spill"] is None or sp < f["spill"]:
                frame = f
                break
        if frame is None or frame["entry"] != start:
            return None
        if frame["caller"] is None:      # the thread's entry function: nothing called it
            return self._outermost(pending, start, doc)
        caller = frame["caller"]
        regs = {"pc": caller["pc"], "ra": caller["pc"], "sp": caller["csp"]}
        for reg, slot in CALLEE_SAVED:
            if caller.get(slot) is not None:
                regs[reg] = caller[slot]["address"]
        return self._info(pending, frame["spill"], start, regs)

    def _outermost(self, pending: Any, start: int, doc: Document) -> Any:
        """The thread's entry frame, identified by its stack's top. Its caller gets pc 0,
        where gdb ends a backtrace (a frame whose pc is 0 has no caller); the frame filter
        leaves that frame out of ``bt``."""
        top = doc["stack"][1]
        return self._info(pending, top, start, {"pc": 0, "ra": 0, "sp": top})

    # Inside the switcher.
    def _switcher_frame(self, pending: Any, pc: int, image: Document) -> Any:
        trap = trap_region(image)
        if trap is not None and trap[0] <= pc < trap[1]:
            return self._trap_frame(pending, pc, trap[0])
        level0 = pending.level() == 0
        cra, csp = _cap(pending, "cra"), _cap(pending, "csp")
        points = (image.get("switcher_entry"), image.get("switcher_return"),
                  *image["switcher_library"])
        region = max((a for a in points if a is not None and a <= pc),
                     default=image["switcher_code"][0])
        doc = DOCUMENTS.current()
        top_caller = doc["frames"][0]["caller"] if doc and doc["frames"] else None
        returning = cra["tag"] and cra["otype"] in RETURN_SENTRIES and \
            not in_switcher(cra["address"])
        # 0: the call's trusted-stack frame is pushed (its spill holds the live cra): the
        # caller as the spill has it, whatever the switcher has done to csp since
        if level0 and returning and top_caller is not None and \
                top_caller["cra"] is not None and top_caller["cra"]["address"] == cra["address"]:
            return self._from_spill(pending, top_caller, region)
        # 1: cra still holds the caller's return sentry (the call path before the frame is
        # pushed, library functions, the end of the return path): csp as the caller left it,
        # less what the straight-line code from the region's start has moved it by, or past
        # the spill it points at (the return path has reloaded cra from it)
        if level0 and returning:
            moved = _csp_moved(region, pc)
            sp = csp["address"] - moved
            if not moved and _read_word(sp + 24) == cra["address"]:
                sp += SPILL_SIZE
            regs = {"pc": cra["address"], "ra": cra["address"], "sp": sp,
                    "fp": _u32(pending.read_register("fp")),
                    "s1": _u32(pending.read_register("s1")),
                    "gp": _u32(pending.read_register("gp"))}
            return self._info(pending, sp, region, regs)
        # 2: csp points at a spill (the return path after the frame is popped)
        ret = _read_word(csp["address"] + 24)
        top = int(pending.read_register("csp")["top"])
        if level0 and ret is not None and compartment_of(ret) is not None and \
                not in_switcher(ret) and top >= csp["address"] + SPILL_SIZE:
            spill = csp["address"]
            regs = {"pc": ret, "ra": ret, "sp": spill + SPILL_SIZE,
                    "fp": _read_word(spill) or 0, "s1": _read_word(spill + 8) or 0,
                    "gp": _read_word(spill + 16) or 0}
            return self._info(pending, spill + SPILL_SIZE, region, regs)
        # 3: the top trusted-stack frame's spill
        if top_caller is None:
            return None
        return self._from_spill(pending, top_caller, region)

    def _from_spill(self, pending: Any, caller: Document, region: int) -> Any:
        regs = {"pc": caller["pc"], "ra": caller["pc"], "sp": caller["csp"]}
        for reg, slot in CALLEE_SAVED:
            if caller.get(slot) is not None:
                regs[reg] = caller[slot]["address"]
        return self._info(pending, caller["csp"], region, regs)

    def _trap_frame(self, pending: Any, pc: int, trap: int) -> Any:
        doc = DOCUMENTS.current()
        if doc is None:
            return None
        ts = doc["trusted_stack"]
        level0 = pending.level() == 0
        mtdc = _cap(pending, "mtdc")
        if level0 and (pc == trap or (mtdc["tag"] and mtdc["address"] != ts and
                                       _cap(pending, "csp")["address"] == ts)):
            # nothing saved yet: the interrupted registers are live (csp swapped into MTDC
            # after the first instruction)
            regs = {name: _u32(pending.read_register(name)) for name in GPRS}
            if pc != trap:
                regs["sp"] = mtdc["address"]
            regs["pc"] = _cap(pending, "mepcc")["address"]
        else:
            saved = doc.get("saved")
            if saved is None:
                return None
            values = saved["registers"]
            regs = {gpr: values[cap]["address"] for gpr, cap in zip(GPRS, CAPS, strict=True)}
            regs["pc"] = values["pcc"]["address"]
            if level0 and not mtdc["tag"]:
                regs["pc"] = _cap(pending, "mepcc")["address"]  # saved a moment later
        return self._info(pending, regs["sp"], trap, regs)


# --- the frame filter: compartments and trap frames -----------------------------------------------

class CompartmentFrame(FrameDecorator):
    def __init__(self, base: Any, trapped: bool) -> None:
        super().__init__(base)
        self.trapped = trapped

    def function(self) -> Any:
        name = super().function()
        frame = self.inferior_frame()
        compartment = compartment_of(frame.pc())
        if compartment is None:
            return name
        if isinstance(name, int):        # no DWARF function (assembly): the ELF symbol
            found = _SYMBOL.search(gdb.format_address(frame.pc()))
            name = found.group("name") if found else hex(name)
        marks = [compartment] + (["trapped here"] if self.trapped else [])
        return f"{name} [{', '.join(marks)}]"

    def _sal(self) -> Any:
        return gdb.find_pc_line(self.inferior_frame().pc())

    def line(self) -> Any:
        if self.trapped:                 # gdb looks up pc - 1 for a caller's line
            sal = self._sal()
            return sal.line if sal.symtab else None
        return super().line()

    def filename(self) -> Any:
        if self.trapped:
            sal = self._sal()
            return sal.symtab.filename if sal.symtab else None
        return super().filename()


class CompartmentFilter:
    def __init__(self) -> None:
        self.name = NAME
        self.priority = 100
        self.enabled = True
        gdb.frame_filters[self.name] = self

    def filter(self, frames: Iterator[Any]) -> Iterator[Any]:
        image = None if DOCUMENTS.unavailable else DOCUMENTS.image()
        if not image:
            yield from frames
            return
        trap = trap_region(image)
        previous_pc = None
        for decorated in frames:
            frame = decorated.inferior_frame()
            pc = frame.pc()
            if pc == 0 and frame.level() > 0:   # below the thread's entry function
                return
            trapped = previous_pc is not None and trap is not None and \
                trap[0] <= previous_pc < trap[1]
            yield CompartmentFrame(decorated, trapped)
            previous_pc = pc


def install() -> None:
    register_unwinder(None, CompartmentUnwinder(), replace=True)
    CompartmentFilter()
    for event in (gdb.events.stop, gdb.events.cont, gdb.events.memory_changed,
                  gdb.events.register_changed):
        event.connect(DOCUMENTS.invalidate)
    for event in (gdb.events.new_objfile, gdb.events.clear_objfiles, gdb.events.exited):
        event.connect(DOCUMENTS.forget)
