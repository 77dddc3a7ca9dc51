"""One handler per packet: ``(session, packet) -> reply payload`` (None: send nothing).

Handlers receive parsed dataclasses (packets.py), never framing. They raise ``CheriotGdbError``
subclasses for refusals; the session maps those to ``Exx`` (replies.error_reply).
What is advertised (qSupported, vCont?, qXfer objects) is computed from ``target.supports``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ..core.stops import Stop, StopKind, WatchKind
from ..errors import CheriotGdbError, MemoryAccessError, RegisterUnavailableError
from . import packets as pk
from .replies import (
    exit_reply,
    stop_reason,
    stop_reply,
    thread_list_page,
    threads_xml,
    xfer_chunk,
)
from .signals import GdbSignal, signal_for_stop
from .target import WATCH_FEATURES, Feature, ResumeAction
from .tdesc import RegisterSpec, target_xml

if TYPE_CHECKING:
    from .session import Session

Reply = bytes | None
_Z_WATCH_KINDS = {2: WatchKind.WRITE, 3: WatchKind.READ, 4: WatchKind.ACCESS}


class UnknownRegisterError(pk.InvalidArgumentError):
    """p/P named a register number the target description does not have."""

    def __init__(self, regnum: int) -> None:
        super().__init__(f"register number {regnum:#x} is not in the target description")


class UnknownThreadError(pk.InvalidArgumentError):
    """A thread id that is not in the target's thread list."""

    def __init__(self, thread: int) -> None:
        super().__init__(f"thread {thread:#x} does not exist")


# --- connection setup ---------------------------------------------------------------------------

def q_supported(s: Session, p: pk.QSupported) -> Reply:
    """qSupported: what we offer, derived from the target's features and what gdb offered."""
    s.gdb_features = p
    supports = s.target.supports
    offer = [b"PacketSize=%x" % s.packet_size, b"QStartNoAckMode+",
             b"qXfer:features:read+", b"qXfer:threads:read+"]
    if Feature.MEMORY_MAP in supports:
        offer.append(b"qXfer:memory-map:read+")
    if Feature.SW_BREAKPOINTS in supports and p.offers("swbreak"):
        offer.append(b"swbreak+")
    if Feature.HW_BREAKPOINTS in supports and p.offers("hwbreak"):
        offer.append(b"hwbreak+")
    offer.append(b"vContSupported+")
    return b";".join(offer)


def q_start_no_ack_mode(s: Session, p: pk.QStartNoAckMode) -> Reply:
    """QStartNoAckMode: OK, then no more acks in either direction."""
    s.leave_ack_mode_after_reply()
    return b"OK"


def v_must_reply_empty(s: Session, p: pk.VMustReplyEmpty) -> Reply:
    """vMustReplyEmpty: the empty reply, as for any unknown packet."""
    return b""


def q_xfer_read(s: Session, p: pk.QXferRead) -> Reply:
    """qXfer:features:read, qXfer:memory-map:read, qXfer:threads:read."""
    builders: dict[tuple[str, str], Callable[[], bytes]] = {
        ("features", "target.xml"): lambda: target_xml(s.table).encode(),
        ("threads", ""): lambda: threads_xml(s.target.threads()),
    }
    if Feature.MEMORY_MAP in s.target.supports:
        builders[("memory-map", "")] = lambda: s.target.memory_map_xml().encode()
    elif p.object == "memory-map":
        return b""  # not offered: same answer as an unknown packet
    build = builders.get((p.object, p.annex))
    if build is None:
        return b"E00"  # "annex was invalid" (GDB manual, qXfer read replies)
    key = (p.object, p.annex)
    if p.offset == 0 or key not in s.documents:  # re-read from the start: fresh contents
        s.documents[key] = build()
    return xfer_chunk(s.documents[key], p.offset, p.length, s.packet_size)


def q_attached(s: Session, p: pk.QAttached) -> Reply:
    """qAttached: 1, so gdb detaches (rather than kills) when it quits."""
    return b"1"


def q_symbol(s: Session, p: pk.QSymbol) -> Reply:
    """qSymbol: OK; we need no symbol values from gdb."""
    return b"OK"


# --- registers and memory -----------------------------------------------------------------------

def _checked(spec: RegisterSpec, value: bytes) -> bytes:
    if len(value) != spec.size:  # a target bug: gdb would misparse every later register
        raise RuntimeError(f"target returned {len(value)} bytes for {spec.name}, "
                           f"the description says {spec.size}")
    return value


def _read_register(s: Session, regnum: int) -> bytes:
    spec = s.table.by_regnum(regnum)
    if spec is None:
        raise UnknownRegisterError(regnum)
    return _checked(spec, s.target.read_register(regnum))


def read_registers(s: Session, p: pk.ReadRegisters) -> Reply:
    """g: the g block; a register that cannot be read is 'xx' bytes (unavailable)."""
    block = s.table.g_block
    values = s.target.read_registers(s.table.g_regnums)
    return b"".join(b"xx" * spec.size if value is None else _checked(spec, value).hex().encode()
                    for spec, value in zip(block, values, strict=True))


def write_registers(s: Session, p: pk.WriteRegisters) -> Reply:
    """G: write every register of the g block."""
    block = s.table.g_block
    expected = sum(spec.size for spec in block)
    if len(p.data) != expected:
        raise pk.MalformedPacketError(f"G: {len(p.data)} bytes given, the g block is {expected}")
    pos = 0
    for spec in block:
        s.target.write_register(spec.regnum, p.data[pos:pos + spec.size])
        pos += spec.size
    return b"OK"


def read_register(s: Session, p: pk.ReadRegister) -> Reply:
    """p n: one register, in target byte order; 'xx' bytes when the selected thread's context
    does not hold it (gdb prints <unavailable>)."""
    try:
        return _read_register(s, p.regnum).hex().encode()
    except RegisterUnavailableError:
        spec = s.table.by_regnum(p.regnum)
        assert spec is not None  # _read_register checked the number first
        return b"xx" * spec.size


def write_register(s: Session, p: pk.WriteRegister) -> Reply:
    """P n=r: one register; the value must be exactly the register size."""
    spec = s.table.by_regnum(p.regnum)
    if spec is None:
        raise UnknownRegisterError(p.regnum)
    if len(p.data) != spec.size:
        raise pk.MalformedPacketError(f"P: {spec.name} is {spec.size} bytes, {len(p.data)} given")
    s.target.write_register(p.regnum, p.data)
    return b"OK"


def read_memory(s: Session, p: pk.ReadMemory) -> Reply:
    """m: a read that runs into unmapped memory returns the readable prefix (GDB manual: 'the
    reply may contain fewer addressable memory units than requested')."""
    length = min(p.length, (s.packet_size - 1) // 2)
    try:
        data = s.target.read_memory(p.address, length)
    except MemoryAccessError as e:
        if not p.address < e.address < p.address + length:
            raise
        data = s.target.read_memory(p.address, e.address - p.address)
    return data.hex().encode()


def write_memory(s: Session, p: pk.WriteMemory) -> Reply:
    """M / X: write memory ('X addr,0:' is gdb probing for X support)."""
    if p.data:  # 'X addr,0:' is gdb probing for X support
        s.target.write_memory(p.address, p.data)
    return b"OK"


# --- breakpoints and watchpoints ----------------------------------------------------------------

def breakpoint_(s: Session, p: pk.Breakpoint) -> Reply:
    """Z0-Z4 / z0-z4; a type the target lacks gets the empty reply (gdb then stops trying).
    Inserting a point the session already holds is a no-op, as the GDB manual asks ("the
    operations should be implemented in an idempotent way"): one z then removes it."""
    supports = s.target.supports
    target = s.target
    key = (p.type, p.address, p.kind)
    if p.insert and key in s.points:
        return b"OK"
    if p.type in (0, 1):
        hardware = p.type == 1
        if (Feature.HW_BREAKPOINTS if hardware else Feature.SW_BREAKPOINTS) not in supports:
            return b""
        if p.insert:
            target.insert_breakpoint(p.address, p.kind, hardware)
        else:
            target.remove_breakpoint(p.address, p.kind, hardware)
    elif p.type in _Z_WATCH_KINDS:
        kind = _Z_WATCH_KINDS[p.type]
        if WATCH_FEATURES[kind] not in supports:
            return b""
        if p.insert:
            target.insert_watchpoint(kind, p.address, p.kind)
        else:
            target.remove_watchpoint(kind, p.address, p.kind)
    else:
        return b""
    if p.insert:
        s.points.add(key)
    else:
        s.points.discard(key)
    return b"OK"


def remove_all_points(s: Session) -> None:
    """Remove every breakpoint and watchpoint this session inserted (it is ending)."""
    for z_type, address, kind in sorted(s.points):
        try:
            if z_type in (0, 1):
                s.target.remove_breakpoint(address, kind, z_type == 1)
            else:
                s.target.remove_watchpoint(_Z_WATCH_KINDS[z_type], address, kind)
        except Exception:
            s.log.exception("gdbstub.cleanup_failed", z_type=z_type, address=address)
    s.points.clear()


# --- execution ----------------------------------------------------------------------------------

def _breakpoint_kind(s: Session, stop: Stop) -> bytes | None:
    """``swbreak``/``hwbreak`` for a breakpoint stop, if gdb and the target both support it."""
    types = {t for t, address, _ in s.points if address == stop.pc and t in (0, 1)}
    hardware = types == {1}
    name, feature = ("hwbreak", Feature.HW_BREAKPOINTS) if hardware else \
        ("swbreak", Feature.SW_BREAKPOINTS)
    if s.gdb_features is None or not s.gdb_features.offers(name):
        return None
    return name.encode() if feature in s.target.supports else None


def report_stop(s: Session, stop: Stop | None) -> bytes:
    """The stop reply for ``stop`` (None: never ran, reported as SIGTRAP)."""
    target = s.target
    if stop is not None and stop.kind is StopKind.EXIT:
        return exit_reply(stop)
    table = s.table
    regnums = table.expedited_regnums
    read = target.read_registers(regnums)
    if None in read or tuple(map(len, cast("list[bytes]", read))) != table.expedited_sizes:
        # gdb fetches what is not expedited; a wrong size is a target bug (_checked)
        pairs = [(spec.regnum, _checked(spec, value))
                 for spec, value in zip(table.expedited, read, strict=True)
                 if value is not None]
        regnums, values = tuple(r for r, _ in pairs), [v for _, v in pairs]
    else:
        values = cast("list[bytes]", read)  # none is None: checked above
    signal: int
    if stop is None:
        signal, reason = GdbSignal.TRAP, None
    else:
        signal = signal_for_stop(stop, target.exception_signal)
        kind = _breakpoint_kind(s, stop) if stop.kind is StopKind.BREAKPOINT else None
        reason = stop_reason(stop, kind)
    return stop_reply(signal=signal, thread=target.current_thread(), regnums=regnums,
                      values=values, reason=reason)


def _resume_and_report(s: Session, action: ResumeAction) -> Reply:
    if action.step and Feature.SINGLE_STEP not in s.target.supports:
        raise pk.InvalidArgumentError("single-step is not supported by this target (see vCont?)")
    try:
        stop = s.run(action)
    except CheriotGdbError as e:
        s.send_console(f"target error: {e}\n")  # gdb shows it before "Remote failure reply"
        raise
    message = stop.message or (stop.trap.description if stop.trap is not None else "")
    if stop.kind is StopKind.EXIT and (stop.exit_code or 0) & ~0xFF:
        message = (message + "\n" if message else "") + f"exit code {stop.exit_code:#x}"
    if message:
        s.send_console(message.rstrip("\n") + "\n")
    return report_stop(s, stop)


def halt_reason(s: Session, p: pk.HaltReason) -> Reply:
    """?: why the target is stopped (last_stop). gdb takes the thread it names as the current
    one, so it is selected, as gdbserver's handle_status sets its general thread."""
    s.target.select_thread(s.target.current_thread())
    return report_stop(s, s.target.last_stop)


def resume(s: Session, p: pk.Resume) -> Reply:
    """c / C / s / S: resume, then the stop reply."""
    return _resume_and_report(s, ResumeAction(p.step, p.signal, p.address))


def v_cont_query(s: Session, p: pk.VContQuery) -> Reply:
    """vCont?: c and C always; s and S only with SINGLE_STEP."""
    steps = Feature.SINGLE_STEP in s.target.supports
    return b"vCont;c;C" + (b";s;S" if steps else b"")


def v_cont(s: Session, p: pk.VCont) -> Reply:
    """The machine has one hart: apply the leftmost action for the executing thread (or the
    default action); if none names it, the leftmost action."""
    first = p.actions[0]
    if len(p.actions) == 1 or first.thread in (None, pk.ALL_THREADS):
        chosen = first  # whoever is running: no thread list needed (gdb's stepi, continue)
    else:
        current = s.target.current_thread()
        chosen = next((a for a in p.actions if a.thread in (None, pk.ALL_THREADS, current)),
                      first)
    action = _STEP if chosen.step and chosen.signal is None else \
        ResumeAction(chosen.step, chosen.signal)
    return _resume_and_report(s, action)


_STEP = ResumeAction(True)  # gdb's stepi, made once


def detach(s: Session, p: pk.Detach) -> Reply:
    """D: detach; OK."""
    s.target.detach()
    return b"OK"


def kill(s: Session, p: pk.Kill) -> Reply:
    """vKill (OK) and k (no reply)."""
    s.target.kill()
    return b"OK" if p.reply else None  # 'k' has no reply (GDB manual)


def extended_mode(s: Session, p: pk.ExtendedMode) -> Reply:
    """!: OK when the target can restart (extended-remote 'run'); else not supported."""
    return b"OK" if Feature.RESTART in s.target.supports else b""


def restart(s: Session, p: pk.Restart) -> Reply:
    """vRun (the stop reply of the fresh start) / R (no reply): restart the program."""
    if Feature.RESTART not in s.target.supports:
        return b"" if p.reply else None
    s.target.restart()
    return report_stop(s, s.target.last_stop) if p.reply else None


# --- threads ------------------------------------------------------------------------------------

def _thread_ids(s: Session) -> list[int]:
    return [t.id for t in s.target.threads()]


def q_current_thread(s: Session, p: pk.QCurrentThread) -> Reply:
    """qC: the executing thread."""
    return b"QC%x" % s.target.current_thread()


def q_thread_info(s: Session, p: pk.QThreadInfo) -> Reply:
    """qfThreadInfo / qsThreadInfo: the thread ids, as many per reply as fit, then 'l'."""
    reply, s.threads_left = thread_list_page(_thread_ids(s) if p.first else s.threads_left,
                                             s.packet_size)
    return reply


def q_thread_extra_info(s: Session, p: pk.QThreadExtraInfo) -> Reply:
    """qThreadExtraInfo: the thread's text, hex-encoded (cut to what fits in a packet)."""
    for t in s.target.threads():
        if t.id == p.thread:
            return t.extra.encode()[:s.packet_size // 2].hex().encode()
    raise UnknownThreadError(p.thread)


def set_thread(s: Session, p: pk.SetThread) -> Reply:
    """Hg selects the thread for register access; Hc is checked and accepted."""
    if p.thread in (pk.ANY_THREAD, pk.ALL_THREADS):
        thread = s.target.current_thread()
    elif p.thread == s.target.current_thread() or p.thread in _thread_ids(s):
        thread = p.thread  # the running thread needs no thread list (gdb's Hg after a stop)
    else:
        raise UnknownThreadError(p.thread)
    if p.op == "g":
        s.target.select_thread(thread)
    return b"OK"


def thread_alive(s: Session, p: pk.ThreadAlive) -> Reply:
    """T thread: OK if the thread exists."""
    if p.thread not in _thread_ids(s):
        raise UnknownThreadError(p.thread)
    return b"OK"


# --- monitor and the rest -----------------------------------------------------------------------

def q_rcmd(s: Session, p: pk.QRcmd) -> Reply:
    """qRcmd: the output streamed in 'O' packets of at most the packet size, then 'OK' (GDB
    manual, "qRcmd,command"; QEMU does the same), so output of any length is bounded per
    packet. The target may return its output whole or as an iterable of pieces."""
    if Feature.MONITOR not in s.target.supports:
        return b""
    s.send_console(s.target.monitor(p.command))
    return b"OK"


def unknown(s: Session, p: pk.Unknown) -> Reply:
    """Anything not in the packet table: the empty reply ("not supported")."""
    return b""


HANDLERS: dict[type, Callable[[Session, Any], Reply]] = {
    pk.QSupported: q_supported,
    pk.QStartNoAckMode: q_start_no_ack_mode,
    pk.VMustReplyEmpty: v_must_reply_empty,
    pk.QXferRead: q_xfer_read,
    pk.QAttached: q_attached,
    pk.QSymbol: q_symbol,
    pk.ReadRegisters: read_registers,
    pk.WriteRegisters: write_registers,
    pk.ReadRegister: read_register,
    pk.WriteRegister: write_register,
    pk.ReadMemory: read_memory,
    pk.WriteMemory: write_memory,
    pk.Breakpoint: breakpoint_,
    pk.HaltReason: halt_reason,
    pk.Resume: resume,
    pk.VContQuery: v_cont_query,
    pk.VCont: v_cont,
    pk.Detach: detach,
    pk.Kill: kill,
    pk.ExtendedMode: extended_mode,
    pk.Restart: restart,
    pk.QCurrentThread: q_current_thread,
    pk.QThreadInfo: q_thread_info,
    pk.QThreadExtraInfo: q_thread_extra_info,
    pk.SetThread: set_thread,
    pk.ThreadAlive: thread_alive,
    pk.QRcmd: q_rcmd,
    pk.Unknown: unknown,
}
