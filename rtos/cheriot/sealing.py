"""What a sealed capability is (rtos.md 5.1-5.6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...core.capability import Cap, Perm
from .model import SealingType, StaticSealedObject

if TYPE_CHECKING:
    from .state import RtosState

DYNAMIC_KEYS = 0x1000000   # token_key_new hands out keys from here up (5.1)

SENTRIES = {1: "forward sentry (interrupts inherited)", 2: "forward sentry (interrupts disabled)",
            3: "forward sentry (interrupts enabled)", 4: "return sentry (interrupts disabled)",
            5: "return sentry (interrupts enabled)"}


@dataclass(frozen=True)
class SealedInfo:
    otype: int
    kind: str                            # "unsealed", "sentry", "export entry", "thread", ...
    description: str
    compartment: str | None = None       # callee / code owner / key owner
    function: str | None = None
    thread: int | None = None
    key: int | None = None               # software sealing type (token objects)
    sealing_type: SealingType | None = None
    header: int | None = None
    payload: tuple[int, int] | None = None   # [base, top) of the unsealed view
    first_words: tuple[int, ...] = ()
    permissions: int | None = None       # software permission bits (current tree)
    static_object: StaticSealedObject | None = None


def identify(state: RtosState, cap: Cap) -> SealedInfo:
    image = state.image
    otype = cap.otype
    if otype == 0:
        return SealedInfo(0, "unsealed", "not sealed")
    if 1 <= otype <= 5:
        owner = image.owner_of_code(cap.address)
        sym = image.symbols.containing(cap.address)
        fn = sym.name if sym else None
        where = owner.name if owner else "no known code"
        return SealedInfo(otype, "sentry", f"{SENTRIES[otype]} into {where}"
                          + (f" at {fn}" if fn else ""), owner.name if owner else None, fn)
    if otype == 9:
        owner = image.owner_of_export(cap.address)
        comp = image.component(owner.name) if owner else None
        exp = next((e for e in comp.exports if e.address == cap.address), None) if comp else None
        fn = exp.function if exp else None
        return SealedInfo(9, "export entry", "compartment call handle for "
                          f"{owner.name if owner else '?'}.{fn or '?'}",
                          owner.name if owner else None, fn)
    if otype == 10:
        tid = state.thread_reader.thread_id_of_trusted_stack(cap.address)
        return SealedInfo(10, "thread", f"trusted stack of thread {tid}", thread=tid)
    if otype in (11, 12):
        return _token(state, cap)
    return SealedInfo(otype, "unknown", f"otype {otype} has no meaning in the CHERIoT RTOS")


def _token(state: RtosState, cap: Cap) -> SealedInfo:
    image, r = state.image, state.reader
    base, top = cap.bounds
    # Handles addressed the header until September 2025, the payload (+ permissions) since.
    if cap.address != base:
        payload = cap.address & ~7
        header, perms = payload - 8, cap.address & 7
    else:
        header, payload, perms = cap.address, cap.address + 8, None
    key = r.maybe(r.u32, header)
    words = tuple(w for w in (r.maybe(r.u32, payload + 4 * i)
                              for i in range(min(4, max(0, (top - payload) // 4))))
                  if w is not None)
    static = next((o for o in image.sealed_objects if o.address == header), None)
    kind = "dynamic token" if cap.otype == 11 else "static token"
    if not image.split_token_otypes:
        kind = "scheduler object" if cap.otype == 11 else "allocator-sealed object"
    if not image.split_token_otypes and cap.otype == 11 and key == 1:
        return SealedInfo(11, "multiwaiter", f"multiwaiter at {header:#010x}", "scheduler",
                          key=key, header=header, payload=(payload, top), first_words=words)
    st = None
    if key is not None and key < 0x10000:
        st = state.sealing_type(key) or (static.sealing_type if static else None)
    owner = st.compartment if st else None
    if st is not None:
        text = f"{kind} of type {st.compartment}.{st.key} (key {key}, unsealed by {owner})"
    elif key is not None and key >= DYNAMIC_KEYS:
        holder = dynamic_key_holder(state, key)
        owner = holder
        text = f"{kind} with dynamic key {key:#x} " + \
            (f"(key held in the globals of {holder})" if holder else "(owner not known)")
    else:
        text = f"{kind} with key {key}"
    if static is not None:
        text += f"; static object {static.symbol} of {static.owner}"
    return SealedInfo(cap.otype, kind, text, owner, key=key, sealing_type=st, header=header,
                      payload=(payload, top), first_words=words, permissions=perms,
                      static_object=static)


def dynamic_key_holder(state: RtosState, key: int) -> str | None:
    """The compartment whose globals hold an unsealing key for dynamic type ``key``: a tagged
    capability with US whose (small) bounds cover the type, as ``token_key_new`` returns."""
    r = state.reader
    for comp in state.image.components:
        if not comp.globals:
            continue
        start = (comp.globals.start + 7) & ~7
        for address in range(start, comp.globals.end - 7, 8):
            found = r.maybe(r.cap, address)
            if found is None or not found.tag or not found.perms & Perm.US:
                continue
            base, top = found.bounds
            if base <= key < top and top - base <= 0x1000:
                return comp.name
    return None
