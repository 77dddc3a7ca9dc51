"""The allocator's heap at a stop (rtos.md 6.1-6.8, 6.10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..view import ViewError
from .header import Span

if TYPE_CHECKING:
    from .state import RtosState

GM_NAME = "_ZN12_GLOBAL__N_12gmE"
GM = rf"^{GM_NAME}$"
MAX_CHUNKS = 1 << 16


@dataclass(frozen=True)
class Chunk:
    header: int
    size: int                 # whole chunk, header included
    state: str                # "allocated", "quarantined", "free"
    owner: int                # quota identifier (0 = the allocator itself)
    quota: str | None         # the allocator capability with that identifier, when visible
    sealed: bool              # a token object

    @property
    def payload(self) -> Span:
        return Span(self.header + 8, self.size - 8)


@dataclass(frozen=True)
class QuotaUse:
    name: str                 # compartment.symbol of the allocator capability
    address: int              # of its static sealed object
    quota: int                # in the image
    remaining: int | None     # live
    identifier: int | None    # assigned on first use (0 until then)

    @property
    def used(self) -> int | None:
        return None if self.remaining is None else self.quota - self.remaining


@dataclass(frozen=True)
class Heap:
    region: Span              # [__export_mem_heap, __export_mem_heap_end)
    initialised: bool         # the allocator has run (gm is set)
    chunks_area: Span | None
    total: int | None
    free: int | None
    quarantine: int | None
    epoch: int | None         # revocation epoch; odd while a sweep runs
    revoker: str | None       # "software", "hardware" or None
    quotas: tuple[QuotaUse, ...]
    chunks: tuple[Chunk, ...]
    quarantine_known: bool    # the revocation bitmap could be read (else quarantine = in use)

    @property
    def in_use(self) -> int | None:
        if self.total is None or self.free is None:
            return None
        return self.total - self.free - (self.quarantine or 0)

    @property
    def sweeping(self) -> bool | None:
        return None if self.epoch is None else bool(self.epoch & 1)


def read_heap(state: RtosState) -> Heap:
    image, r = state.image, state.reader
    quotas = _quotas(state)
    epoch, revoker = _epoch(state)
    alloc = image.component("allocator")
    lo, hi = (alloc.globals.start, alloc.globals.end) if alloc and alloc.globals else (0, 1 << 32)
    gm = image.symbols.matching(GM, lo, hi) or image.symbols.named(GM_NAME)
    ms_cap = r.maybe(r.cap, gm[0].address) if gm else None
    if ms_cap is None or not ms_cap.address:
        return Heap(image.heap, False, None, None, None, None, epoch, revoker, quotas, (), False)
    ms = ms_cap.address
    lay = image.mstate_layout
    try:
        raw = r.bytes(ms, lay.size)
        start_cap = r.cap(ms + lay["heapStart"].offset)
    except ViewError as e:
        raise ViewError(f"the allocator's state (gm -> {ms:#010x}) cannot be read: {e}") from None
    area = Span(start_cap.address, max(0, start_cap.top - start_cap.address))
    chunks, known = _walk(state, area, {q.identifier: q.name for q in quotas if q.identifier})
    return Heap(image.heap, True, area, lay.get(raw, "heapTotalSize"),
                lay.get(raw, "heapFreeSize"), lay.get(raw, "heapQuarantineSize"), epoch,
                revoker, quotas, chunks, known)


def _walk(state: RtosState, area: Span, names: dict[int, str]) -> tuple[tuple[Chunk, ...], bool]:
    image, r = state.image, state.reader
    lay = image.chunk_layout
    data = r.maybe(r.bytes, area.start, area.size)
    if data is None:
        return (), False
    shadow = _shadow(state)
    out: list[Chunk] = []
    h = 0
    while h + 8 <= len(data) and len(out) < MAX_CHUNKS:
        size = lay.get(data, "currSize", h) * 8
        if size < 8:
            break
        in_use = bool(lay.get(data, "isCurrInUse", h))
        if size == 8 and h + 8 == len(data):
            break   # the end sentinel
        owner = lay.get(data, "ownerID", h)
        chunk_state = "free"
        if in_use:
            painted = shadow(area.start + h + 8) if shadow else None
            chunk_state = "quarantined" if painted else "allocated"
        out.append(Chunk(area.start + h, size, chunk_state, owner, names.get(owner),
                         bool(lay.get(data, "isSealedObject", h))))
        h += size
    return tuple(out), shadow is not None


def _shadow(state: RtosState):
    """A reader of the revocation bit of a granule, or None without a readable bitmap."""
    image, r = state.image, state.reader
    dev = image.mmio_devices.get("shadow")
    start = image.revokable_start
    if dev is None or start is None:
        return None

    def painted(address: int) -> bool | None:
        index = (address - start) >> 3
        word = r.maybe(r.u32, dev[0] + 4 * (index >> 5))
        return None if word is None else bool(word >> (index & 31) & 1)

    probe = r.maybe(r.u32, dev[0])
    return painted if probe is not None else None


def _quotas(state: RtosState) -> tuple[QuotaUse, ...]:
    r = state.reader
    out = []
    for obj in state.image.sealed_objects:
        if obj.quota is None:
            continue
        remaining = r.maybe(r.u32, obj.address + 8)
        ident = r.maybe(r.u16, obj.address + 12)
        out.append(QuotaUse(f"{obj.owner}.{obj.symbol}", obj.address, obj.quota, remaining,
                            ident))
    return tuple(out)


def _epoch(state: RtosState) -> tuple[int | None, str | None]:
    image, r = state.image, state.reader
    rev = image.component("software_revoker")
    if rev is not None and rev.globals:
        sym = image.symbols.matching(r"^_ZN12_GLOBAL__N_15epochE$", rev.globals.start,
                                     rev.globals.end)
        if sym:
            return r.maybe(r.u32, sym[0].address), "software"
        return None, "software"
    dev = image.mmio_devices.get("revoker")
    if dev is not None:
        return r.maybe(r.u32, dev[0] + 0x0C), "hardware"
    return None, None
