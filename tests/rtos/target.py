"""A fake halted target for the live-state tests: a bytes buffer with one tag bit per 8-byte
granule, loaded from a synthetic image's sections, plus the run-time state a scheduler,
switcher and allocator would have left, written at the offsets rtos.md documents (3.3, 4.2,
5.3-5.5, 6.1, 6.2) or, for the DWARF variant, at the offsets the image's DWARF declares."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from elftools.elf.elffile import ELFFile

from cheriot_gdbserver.core.capability import (
    ROOT_EXE_META,
    ROOT_MEM_META,
    Cap,
    Perm,
    set_cap_bounds,
    with_bounds_fields,
    with_otype,
    with_perms,
)
from cheriot_gdbserver.rtos.view import ViewError

from . import dwarfgen, synth

RAM = (0x80000000, 0x80040000)


def cap(base: int, length: int, address: int | None = None, *, otype: int = 0,
        execute: bool = False, tag: bool = True) -> Cap:
    """A capability as the loader could derive it: root perms, given bounds, optional seal."""
    meta = ROOT_EXE_META if execute else ROOT_MEM_META
    fields, _ = set_cap_bounds(base, length)
    meta = with_bounds_fields(meta, fields)
    if otype:
        meta = with_otype(meta, otype if execute else otype - 8)
    return Cap(tag, base if address is None else address, meta)


def sealing_cap(base: int, length: int, address: int) -> Cap:
    meta = with_perms(ROOT_MEM_META, Perm.GL | Perm.SE | Perm.US)
    return Cap(True, address, with_bounds_fields(meta, set_cap_bounds(base, length)[0]))


class FakeView:
    """TargetView over memory regions; every access is checked, nothing is ever written by
    the model (``writes`` stays the test's own)."""

    def __init__(self) -> None:
        self.regions: list[tuple[int, bytearray]] = []
        self.tags: set[int] = set()
        self.registers: dict[str, Cap] = {}
        self.csrs: dict[str, int] = {}
        self.reads = 0

    def add_region(self, start: int, size: int) -> None:
        self.regions.append((start, bytearray(size)))

    def _find(self, address: int, length: int) -> tuple[bytearray, int]:
        for start, buf in self.regions:
            if start <= address and address + length <= start + len(buf):
                return buf, address - start
        raise ViewError(f"nothing mapped at {address:#010x} (+{length})")

    def read_memory(self, address: int, length: int) -> bytes:
        self.reads += 1
        buf, off = self._find(address, length)
        return bytes(buf[off:off + length])

    def read_capability(self, address: int) -> Cap:
        if address % 8:
            raise ViewError(f"misaligned capability read at {address:#010x}")
        addr, meta = struct.unpack("<II", self.read_memory(address, 8))
        return Cap(address in self.tags, addr, meta)

    def register(self, name: str) -> Cap:
        if name not in self.registers:
            raise ViewError(f"no register {name}")
        return self.registers[name]

    def csr(self, name: str) -> int:
        if name not in self.csrs:
            raise ViewError(f"no CSR {name}")
        return self.csrs[name]

    # --- the test's own writes ----------------------------------------------------------------

    def write(self, address: int, data: bytes) -> None:
        buf, off = self._find(address, len(data))
        buf[off:off + len(data)] = data
        for granule in range(address & ~7, address + len(data), 8):
            self.tags.discard(granule)

    def u8(self, address: int, v: int) -> None:
        self.write(address, bytes([v]))

    def u16(self, address: int, v: int) -> None:
        self.write(address, struct.pack("<H", v))

    def u32(self, address: int, v: int) -> None:
        self.write(address, struct.pack("<I", v))

    def u64(self, address: int, v: int) -> None:
        self.write(address, struct.pack("<Q", v))

    def cap(self, address: int, c: Cap) -> None:
        self.write(address, struct.pack("<II", c.address, c.meta))
        if c.tag:
            self.tags.add(address)


def load(elf_path) -> FakeView:
    view = FakeView()
    view.add_region(RAM[0], RAM[1] - RAM[0])
    view.add_region(synth.SHADOW[0], synth.SHADOW[1] - synth.SHADOW[0])
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        for section in elf.iter_sections():
            if section["sh_flags"] & 2 and section["sh_type"] == "SHT_PROGBITS":
                view.write(section["sh_addr"], section.data())
    return view


# --- run-time structures ----------------------------------------------------------------------

DOC_THREAD = {"sleepQueue": 32, "expiryTime": 40, "futexWaitAddress": 56,
              "futexPriorityBoostedThread": 60, "futexPriorityInheriting": 62,
              "multiWaiter": 56, "tStackPtr": 64, "threadId": 72, "priority": 74,
              "OriginalPriority": 75, "state": 76}
DOC_TS = {"mstatus": 136, "mcause": 140, "mshwm": 144, "mshwmb": 148, "frameoffset": 152,
          "threadID": 154, "frames": 168}


@dataclass
class ThreadSpec:
    state: int = 0              # 0 ready, 1 suspended, 2 exited
    priority: int = 1
    base_priority: int = 1
    queue: str | None = None    # "futex", "multiwaiter" or None
    expiry: int = (1 << 64) - 1
    futex: int = 0
    pi: bool = False
    boosts: int = 0xFFFF
    multiwaiter: int = 0
    yielding: bool = False
    pc: int = 0
    mcause: int = 0
    mshwm: int | None = None
    frames: list[tuple[int, int | None]] = field(default_factory=list)
    # (calleeExportTable address, caller pc for k > 0)


class Scenario:
    """Writes scheduler state for the synthetic image's two threads."""

    def __init__(self, view: FakeView, lay: synth.Layout, dwarf: bool = False) -> None:
        self.view, self.lay, self.dwarf = view, lay, dwarf
        self.thread_off = dwarfgen.THREAD_OFFSETS if dwarf else DOC_THREAD
        self.ts_off = dwarfgen.TRUSTED_STACK_NO_MSHWM if dwarf else DOC_TS

    def block(self, tid: int) -> int:
        return self.lay.symbols["_ZN5sched12threadSpacesE"] + self.lay.thread_size * (tid - 1)

    def thread(self, tid: int, spec: ThreadSpec) -> None:
        v, o, lay = self.view, self.thread_off, self.lay
        t = self.block(tid)
        ts, ts_size = lay.trusted_stacks[tid - 1]
        stack, stack_size = lay.stacks[tid - 1]
        queue = {"futex": lay.symbols["_ZN12_GLOBAL__N_116futexWaitingListE"],
                 "multiwaiter": lay.symbols["_ZN12_GLOBAL__N_119MultiWaiterInternal7threadsE"],
                 None: 0}[spec.queue]
        if queue:
            v.cap(t + o["sleepQueue"], cap(queue, 8))
        v.u64(t + o["expiryTime"], spec.expiry)
        if spec.queue == "multiwaiter":
            v.cap(t + o["multiWaiter"], cap(spec.multiwaiter, 64))
        else:
            v.u32(t + o["futexWaitAddress"], spec.futex)
            v.u16(t + o["futexPriorityBoostedThread"], spec.boosts)
            v.u8(t + o["futexPriorityInheriting"], int(spec.pi))
        v.cap(t + o["tStackPtr"], cap(ts, ts_size, otype=10))
        v.u16(t + o["threadId"], tid)
        v.u8(t + o["priority"], spec.priority)
        v.u8(t + o["OriginalPriority"], spec.base_priority)
        v.u8(t + o["state"], spec.state | (4 if spec.yielding else 0))
        # Trusted stack: save area, then frames (3.3).
        s = self.ts_off
        owner_code = next(rng for rng in lay.code.values() if rng[0] <= spec.pc < sum(rng)) \
            if spec.pc else (0x80005000, 0x200)
        v.cap(ts + 0, cap(owner_code[0], owner_code[1], spec.pc, execute=True))
        v.cap(ts + 16, cap(stack, stack_size, stack + stack_size - 0x40))
        v.u32(ts + s["mcause"], spec.mcause)
        v.u32(ts + s["mstatus"], 0x1880)
        if "mshwm" in s:
            v.u32(ts + s["mshwm"], spec.mshwm if spec.mshwm is not None else stack + stack_size)
            v.u32(ts + s["mshwmb"], stack)
        v.u16(ts + s["threadID"], tid)
        v.u16(ts + s["frameoffset"], s["frames"] + 24 * len(spec.frames))
        sp = stack + stack_size
        for k, (table, caller_pc) in enumerate(spec.frames):
            f = ts + s["frames"] + 24 * k
            export_table = next(rng for rng in lay.exports.values()
                                if rng[0] <= table < sum(rng))
            v.cap(f + 8, cap(export_table[0], export_table[1], table))
            if k > 0:
                sp -= 0x80
                spill = sp
                v.cap(spill + 24, cap(0x80005000, 0x200, caller_pc, execute=True))
                v.cap(f + 0, cap(stack, sp - stack, spill))
            v.u16(f + 16, 0)

    def current(self, tid: int | None) -> None:
        at = self.lay.symbols["_ZN12_GLOBAL__N_110ThreadImplILj32EE7currentE"]
        self.view.cap(at, cap(self.block(tid), 80) if tid else Cap(False, 0, 0))


class ReadOnly:
    """Only the TargetView protocol's four read methods: anything else the model tried would
    raise AttributeError."""

    def __init__(self, view: FakeView) -> None:
        self.read_memory = view.read_memory
        self.read_capability = view.read_capability
        self.register = view.register
        self.csr = view.csr
