"""One gdb connection: acks, dispatch, run control and the error boundary.

The session thread reads the connection and handles each packet itself (``serve``): a thread
handoff per packet (a queue or condition wake-up under the GIL) cost more than handling the
packet. While ``target.resume`` blocks that thread, a ``RunWatch`` (server.py) reads the
connection instead and calls ``receive`` with what arrives and ``connection_lost`` at EOF, so a
Ctrl-C interrupts the target directly. Events are decoded into an inbox before they are
handled, so a Ctrl-C that arrived after a resume packet but before the resume started (in the
same chunk, or read by the watch) is still seen by ``run``; a stale one (queued before the
packet) is simply dropped when idle. Tests drive a session from one thread with ``feed``.

States: IDLE (waiting for packets), RUNNING (inside target.resume), DISCONNECTED (done).
Only transport loss ends a session; every packet gets a reply, an ``Exx`` if anything fails.
A lost connection stops the target whatever its timing: seen while RUNNING it interrupts the
resume; seen before (a client that sends ``c`` and drops at once, whose resume packet is still
queued) it makes ``run`` refuse to start, so nothing is left running that no one can stop.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from enum import Enum
from typing import Protocol

import structlog

from ..core.stops import Stop
from ..errors import CheriotGdbError
from . import codec
from . import packets as pk
from .handlers import HANDLERS, remove_all_points
from .replies import ErrorCode, console_stream, error, error_reply
from .target import ResumeAction, Target
from .tdesc import RegisterTable
from .transport import Transport, TransportClosed

DEFAULT_PACKET_SIZE = 0x4000
# Shorter replies go without run-length encoding: finding runs costs about 18 ns a byte
# (2.3 µs for a 64-byte m reply), more than sending the bytes over a fast link does; big
# replies (mostly zeros, often) still shrink for slow links.
RLE_MIN_PAYLOAD = 1024


class SessionState(Enum):
    IDLE = "idle"
    RUNNING = "running"
    DISCONNECTED = "disconnected"


class _Lost:
    """Inbox marker: the reader saw the end of the connection."""


class RunWatch(Protocol):
    """Reads the connection while the target runs (the session thread is inside resume)."""

    def arm(self) -> None:
        """Start reading: pass what arrives to ``Session.receive``, EOF to ``connection_lost``."""
        ...

    def disarm(self) -> None:
        """Stop reading; on return nothing is being read, so the session thread reads again."""
        ...


class Session:
    """Protocol state of one client over one ``Transport`` for one ``Target``."""

    def __init__(self, target: Target, transport: Transport, *,
                 packet_size: int = DEFAULT_PACKET_SIZE, rle: bool = False,
                 trace: bool = False) -> None:
        self.target = target
        self.transport = transport
        self.packet_size = packet_size
        self.rle = rle
        self.trace = trace
        self.watch: RunWatch | None = None  # set by whoever serves the connection (server.py)
        self.log = structlog.get_logger("cheriot_gdbserver.gdbstub")
        self.gdb_features: pk.QSupported | None = None
        self.points: set[tuple[int, int, int]] = set()  # (Z type, address, kind) we inserted
        self.documents: dict[tuple[str, str], bytes] = {}  # qXfer documents being read
        self.threads_left: list[int] = []  # thread ids for the next qsThreadInfo
        self._table: RegisterTable | None = None
        self._decoder = codec.Decoder(packet_size)
        self._lock = threading.Lock()  # the inbox and state: the run watch reads concurrently
        self._inbox: deque[codec.Event | _Lost] = deque()
        self._state = SessionState.IDLE
        self._ack_mode = True
        self._lost = False  # the reader saw the end of the connection
        self._leave_ack_mode = False
        self._last_sent: bytes | None = None

    # --- state seen by handlers -----------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def lost(self) -> bool:
        """The connection has gone (the session may still be winding down)."""
        return self._lost

    @property
    def ack_mode(self) -> bool:
        return self._ack_mode

    @property
    def table(self) -> RegisterTable:
        if self._table is None:
            self._table = self.target.register_table()
        return self._table

    def leave_ack_mode_after_reply(self) -> None:
        self._leave_ack_mode = True

    def send_console(self, text: str | Iterable[str]) -> None:
        """Console output for gdb ('O' packets of at most the packet size); only valid before
        the reply to a resume or to qRcmd. An iterable is streamed as it is produced."""
        for payload in console_stream((text,) if isinstance(text, str) else text,
                                      self.packet_size):
            self._send_packet(payload)

    def run(self, action: ResumeAction) -> Stop:
        """Resume the target (blocking) with Ctrl-C wired to ``target.interrupt``."""
        with self._lock:
            if self._lost:  # the peer left before the resume started: no one could stop it
                raise TransportClosed("connection lost before the resume started")
            self._state = SessionState.RUNNING
            early_interrupt = bool(self._inbox) and any(
                isinstance(e, codec.Interrupt) for e in self._inbox)
        if early_interrupt:
            self.target.interrupt()
        watch = self.watch
        if watch is not None:
            watch.arm()
        try:
            return self.target.resume(action)
        finally:
            if watch is not None:
                watch.disarm()
            with self._lock:
                if self._state is SessionState.RUNNING:
                    self._state = SessionState.IDLE

    # --- reading (the session thread when idle, the run watch while running) -------------------

    def receive(self, chunk: bytes) -> None:
        """Bytes from the peer; never blocks on the target."""
        whole = self._decoder.whole(chunk)
        for event in self._decoder.feed(chunk) if whole is None else (whole,):
            with self._lock:
                if isinstance(event, codec.Interrupt) and self._state is SessionState.RUNNING:
                    self.log.info("gdbstub.interrupt")
                    self.target.interrupt()
                    continue
                self._inbox.append(event)

    def connection_lost(self) -> None:
        """The peer went away: stop a running target (its state is kept) and end the session.
        Safe to call more than once, from any thread (the server calls it when closing)."""
        with self._lock:
            self._lost = True
            if self._state is SessionState.RUNNING:
                self.target.interrupt()
            self._inbox.append(_Lost())

    # --- session side ---------------------------------------------------------------------------

    def serve(self) -> None:
        """Read the transport and handle what arrives, on this thread, until the connection is
        lost (blocking)."""
        while True:
            self.process_pending()
            if self._state is SessionState.DISCONNECTED:
                return
            chunk = self.transport.recv()
            if chunk:
                self.receive(chunk)
            else:
                self.connection_lost()

    def process_pending(self) -> None:
        """Handle every event already received (non-blocking; for single-threaded use)."""
        while self._state is not SessionState.DISCONNECTED:
            with self._lock:
                if not self._inbox:
                    return
                event = self._inbox.popleft()
            self._handle(event)

    def feed(self, chunk: bytes) -> None:
        """``receive`` then ``process_pending``: drive the session from one thread."""
        self.receive(chunk)
        self.process_pending()

    def _handle(self, event: codec.Event | _Lost) -> None:
        try:
            if isinstance(event, _Lost):
                raise TransportClosed("connection closed by the peer")
            if isinstance(event, codec.Packet):
                self._on_packet(event.data)
            elif isinstance(event, codec.BadChecksum):
                if self._ack_mode:
                    self.log.warning("gdbstub.bad_checksum", expected=event.expected,
                                     received=event.received)
                    self._send_raw(b"-")  # gdb resends the packet
                else:  # no one to NAK to; gdbserver also takes the packet as it is
                    self.log.warning("gdbstub.bad_checksum_no_ack", expected=event.expected)
                    self._on_packet(event.data)
            elif isinstance(event, codec.FrameError):
                self.log.warning("gdbstub.frame_error", reason=event.reason)
                if self._ack_mode:
                    self._send_raw(b"+")  # a NAK would make gdb resend the same bad frame
                self._send_packet(error(ErrorCode.EINVAL))
            elif isinstance(event, codec.Nak):
                if self._last_sent is not None:
                    self._send_raw(self._last_sent)
            # Ack needs nothing; an Interrupt while idle is stale (the stop already went out).
        except TransportClosed as e:
            self._disconnect(str(e))

    def _on_packet(self, data: bytes) -> None:
        if self._ack_mode:
            self._send_raw(b"+")
        if self.trace:
            self.log.debug("gdbstub.rx", packet=data[:200])
        try:
            packet = pk.parse_packet(data)
            reply = HANDLERS[type(packet)](self, packet)
        except TransportClosed:
            raise
        except CheriotGdbError as e:
            self.log.info("gdbstub.error_reply", packet=data[:64], error=str(e))
            reply = error_reply(e)
        except Exception:
            self.log.exception("gdbstub.stub_bug", packet=data[:64])
            reply = error(ErrorCode.STUB_BUG)
        if reply is not None:
            self._send_packet(reply)
        if self._leave_ack_mode:
            self._leave_ack_mode = False
            self._ack_mode = False

    def _send_packet(self, payload: bytes) -> None:
        if len(payload) > self.packet_size:  # a handler forgot the bound: never send it
            self.log.error("gdbstub.reply_too_long", length=len(payload), limit=self.packet_size,
                           start=payload[:32])
            payload = error(ErrorCode.STUB_BUG)
        if self.trace:
            self.log.debug("gdbstub.tx", packet=payload[:200])
        framed = codec.frame(payload, rle=self.rle and len(payload) >= RLE_MIN_PAYLOAD)
        self._last_sent = framed
        self._send_raw(framed)

    def _send_raw(self, data: bytes) -> None:
        self.transport.send(data)

    def _disconnect(self, why: str) -> None:
        """End of the session: take out our breakpoints so the target runs unhindered."""
        with self._lock:
            self._state = SessionState.DISCONNECTED
        remove_all_points(self)
        self.log.info("gdbstub.disconnected", reason=why)
