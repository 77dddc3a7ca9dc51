"""TCP front end: listen, serve one client at a time, refuse the others at once.

An acceptor thread owns the listening socket for the server's whole life. The first client is
handed to ``serve_one`` (the caller's thread runs its session); a client that arrives while
another one is attached is refused at once: its first packet is answered with an RSP error
carrying the reason (gdb prints "Remote failure reply: E.<reason>") and the connection is
closed, and the refusal is logged. OpenOCD does the same with its default of one connection per
target. A client arriving just as the attached one leaves (gdb quit, then reconnected) is not
refused: it waits for that session to wind down.

Per connection the serving thread reads the socket and runs the session; while the target runs
(``resume`` blocks that thread) a ``RunWatch`` thread reads the socket instead, so Ctrl-C and a
dropped connection reach the target. A client that vanishes
mid-packet or mid-run only ends its session: the target is interrupted and keeps its state.
``close`` (SIGTERM, Ctrl-C) ends the session the same way, whatever state it is in.
Binds to loopback by default: RSP has no authentication (debuggers.md §6).
"""

from __future__ import annotations

import os
import queue
import select
import socket
import threading
import time
from collections.abc import Callable

import structlog

from . import codec
from .session import DEFAULT_PACKET_SIZE, Session
from .target import Target
from .transport import SocketTransport, Transport

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3333
BUSY_REASON = ("another gdb is attached to this target; the daemon serves one client at a "
               "time (detach or quit the other one first)")
# A newcomer waits this long for the attached client's session to end before it is refused:
# long enough for a client that has just closed its socket, short enough to feel immediate.
GRACE_SECONDS = 0.5
# How long the session of a client that has already gone may take to wind down (it only has to
# interrupt the target and take out its breakpoints).
WIND_DOWN_SECONDS = 5.0
# A refused client gets this long to send its first packet (gdb sends it at once).
REFUSAL_SECONDS = 2.0


# How often an idle run watch looks whether a run has started. A run shorter than this (a
# single step, the continue gdb uses to step) never wakes it: a thread wake-up under the GIL
# costs more than the whole step. It is also the latency of Ctrl-C (or of noticing a dropped
# client) at the start of a run.
WATCH_POLL_SECONDS = 0.02


class SocketRunWatch:
    """The ``RunWatch`` of a socket connection: a thread that reads the socket while a run is
    in progress (between ``arm`` and ``disarm``), and never otherwise.

    ``arm`` only sets a flag: the thread notices it within ``WATCH_POLL_SECONDS`` and then waits
    for the socket (or its pipe). What it reads it passes to the session under a lock that
    ``disarm`` also takes; ``disarm`` wakes it through the pipe only if it was watching. Once
    ``disarm`` returns no read is in progress and none starts until the next ``arm``: the
    session thread owns the socket again.
    """

    def __init__(self, session: Session, transport: SocketTransport) -> None:
        self.session = session
        self.transport = transport
        self._lock = threading.Lock()
        self._armed = False      # a run is in progress
        self._watching = False   # the thread is waiting for the socket (it noticed the run)
        self._closed = False
        self.runs_watched = 0  # runs the thread noticed and read the socket for
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._watch, name="gdbstub-run-watch",
                                        daemon=True)
        self._thread.start()

    def arm(self) -> None:
        self._armed = True

    def disarm(self) -> None:
        with self._lock:  # waits for a read in progress to be handed over
            self._armed = False
            if self._watching:
                self._watching = False
                os.write(self._wake_w, b"d")

    def close(self) -> None:
        """End the thread (the connection is over); waits for it."""
        with self._lock:
            self._armed = False
            self._closed = True
            os.write(self._wake_w, b"q")
        self._thread.join()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _watch(self) -> None:
        wake = self._wake_r
        idle, running = select.poll(), select.poll()  # poll: no FD_SETSIZE limit
        idle.register(wake, select.POLLIN)
        running.register(wake, select.POLLIN)
        running.register(self.transport.sock.fileno(), select.POLLIN)
        while True:
            if idle.poll(WATCH_POLL_SECONDS * 1000) and b"q" not in os.read(wake, 64):
                # A disarm woke us: a run has just ended. Look again only after a full period:
                # looking now would find the next step armed (the step's emu_start lets this
                # thread run), and every step after it would pay for waking this thread.
                continue
            with self._lock:
                if self._closed:
                    return
                if not self._armed:
                    continue
                self._watching = True
                self.runs_watched += 1
            while self._read_once(running, wake):
                pass

    def _read_once(self, running: select.poll, wake: int) -> bool:
        """Wait for the socket and hand what it has to the session; False once disarmed."""
        ready = {fd for fd, _ in running.poll()}
        with self._lock:
            if wake in ready or not self._watching:
                return False  # disarm wrote to the pipe, or is about to be read above
            chunk = self.transport.recv()
            if chunk:
                self.session.receive(chunk)
                return True
            self.session.connection_lost()  # the peer is gone (or the server closed it)
            self._watching = self._armed = False  # nothing more to read for this run
            return False


def serve_connection(session: Session, transport: Transport) -> None:
    """Run ``session`` over ``transport`` until the peer goes away; closes the transport."""
    watch = SocketRunWatch(session, transport) if isinstance(transport, SocketTransport) else None
    session.watch = watch
    try:
        session.serve()
    finally:
        session.watch = None
        transport.close()
        if watch is not None:
            watch.close()


def refuse(sock: socket.socket, reason: str) -> None:
    """Answer the client's first packet with ``E.reason`` and close (bounded in time)."""
    deadline = time.monotonic() + REFUSAL_SECONDS
    decoder = codec.Decoder(DEFAULT_PACKET_SIZE)
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            chunk = sock.recv(4096)
            if not chunk:
                break
            if any(isinstance(e, codec.Packet | codec.BadChecksum)
                   for e in decoder.feed(chunk)):
                sock.sendall(b"+" + codec.frame(b"E." + reason.encode()))
                break
    except OSError:
        pass  # gone or silent: closing is all that is left
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


class GdbServer:
    """Listens on ``host:port`` (port 0: any free port) and serves one gdb at a time.

    Construction does no I/O; ``bind`` opens the socket and reports the bound address through
    ``address`` and the ``on_listening`` callback (the CLI prints ``listening on HOST:PORT``).
    """

    def __init__(self, target: Target, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 packet_size: int = DEFAULT_PACKET_SIZE, rle: bool = True,
                 on_listening: Callable[[str, int], None] | None = None) -> None:
        self.target = target
        self.host = host
        self.port = port
        self.packet_size = packet_size
        self.rle = rle
        self.on_listening = on_listening
        self.address: tuple[str, int] | None = None
        self.log = structlog.get_logger("cheriot_gdbserver.gdbstub")
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._client: Transport | None = None
        self._session: Session | None = None
        self._peer = ""
        self._free = threading.Event()  # no client is attached or waiting to be served
        self._free.set()
        self._arrivals: queue.Queue[tuple[socket.socket, str] | None] = queue.Queue()
        self._closing = threading.Event()

    def bind(self) -> tuple[str, int]:
        """Open the listening socket; returns (and reports) the bound host and port."""
        host, port = self._open().getsockname()[:2]
        return host, port

    def _open(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(8)
        self._listener = listener
        host, port = listener.getsockname()[:2]
        self.address = (host, port)
        self.log.info("gdbstub.listening", host=host, port=port)
        threading.Thread(target=self._accept_loop, args=(listener,), name="gdbstub-acceptor",
                         daemon=True).start()
        if self.on_listening is not None:
            self.on_listening(host, port)
        return listener

    def _accept_loop(self, listener: socket.socket) -> None:
        try:
            while True:
                sock, address = listener.accept()
                peer = f"{address[0]}:{address[1]}"
                if self._admit():
                    self._arrivals.put((sock, peer))
                else:
                    self.log.warning("gdbstub.client_refused", peer=peer, reason="busy",
                                     attached=self._peer)
                    threading.Thread(target=refuse, args=(sock, BUSY_REASON),
                                     name="gdbstub-refusal", daemon=True).start()
        except OSError:
            if not self._closing.is_set():
                self.log.exception("gdbstub.accept_failed")
        finally:
            self._arrivals.put(None)  # wakes serve_one: no more clients

    def _admit(self) -> bool:
        """May a client that has just connected be served? Waits briefly for the attached
        client's session to end (its peer may just have closed its socket)."""
        session = self._session  # None: free, or a client admitted but not yet served
        gone = session is not None and session.lost
        if not self._free.wait(WIND_DOWN_SECONDS if gone else GRACE_SECONDS):
            return False
        self._free.clear()
        return True

    def serve_one(self) -> bool:
        """Accept one client and serve it to the end. False once the server is closed."""
        if self._listener is None:
            self._open()
        arrival = self._arrivals.get()
        if arrival is None or self._closing.is_set():
            if arrival is not None:
                arrival[0].close()
            self._arrivals.put(None)  # later calls see the end too
            return False
        sock, peer = arrival
        transport = SocketTransport(sock)
        session = Session(self.target, transport, packet_size=self.packet_size, rle=self.rle)
        with self._lock:
            self._client, self._session, self._peer = transport, session, peer
        if self._closing.is_set():  # close() ran before this client was registered
            transport.close()
            session.connection_lost()
        self.log.info("gdbstub.client_connected", peer=peer)
        try:
            serve_connection(session, transport)
        finally:
            with self._lock:
                self._client, self._session, self._peer = None, None, ""
            self._free.set()
        return not self._closing.is_set()

    def serve_forever(self) -> None:
        while self.serve_one():
            pass

    def close(self) -> None:
        """Stop accepting and end the current session, whatever it is doing (thread-safe): a
        running target is interrupted, as when the client drops."""
        self._closing.set()
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept()
            except OSError:
                pass
            self._listener.close()
        self._arrivals.put(None)  # wakes serve_one even if the acceptor is still busy
        with self._lock:
            client, session = self._client, self._session
        if session is not None:
            session.connection_lost()  # even if the reader never sees the socket close
        if client is not None:
            client.close()
