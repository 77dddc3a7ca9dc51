"""TCP front end: listen, serve one client at a time, go back to accepting when it leaves.

Per connection a reader thread feeds received bytes to the session (so Ctrl-C reaches the target
while ``resume`` blocks) and the accepting thread runs the session. A client that vanishes
mid-packet or mid-run only ends its session: the target is interrupted and keeps its state.
``close`` (SIGTERM, Ctrl-C) ends the session the same way, whatever state it is in.
Binds to loopback by default: RSP has no authentication (debuggers.md §6).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import structlog

from .session import DEFAULT_PACKET_SIZE, Session
from .target import Target
from .transport import SocketTransport, Transport

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3333


def serve_connection(session: Session, transport: Transport) -> None:
    """Run ``session`` over ``transport`` until the peer goes away; closes the transport."""
    def read() -> None:
        while chunk := transport.recv():
            session.receive(chunk)
        session.connection_lost()

    reader = threading.Thread(target=read, name="gdbstub-reader", daemon=True)
    reader.start()
    try:
        session.serve()
    finally:
        transport.close()  # unblocks the reader if the session ended first
        reader.join()


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
        self._client: Transport | None = None
        self._session: Session | None = None
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
        listener.listen(1)
        self._listener = listener
        host, port = listener.getsockname()[:2]
        self.address = (host, port)
        self.log.info("gdbstub.listening", host=host, port=port)
        if self.on_listening is not None:
            self.on_listening(host, port)
        return listener

    def serve_one(self) -> bool:
        """Accept one client and serve it to the end. False once the server is closed."""
        listener = self._listener if self._listener is not None else self._open()
        try:
            sock, peer = listener.accept()
        except OSError:
            if self._closing.is_set():
                return False
            raise
        transport = SocketTransport(sock)
        session = Session(self.target, transport, packet_size=self.packet_size, rle=self.rle)
        self._client, self._session = transport, session
        if self._closing.is_set():  # close() ran between accept() and here: it missed this one
            transport.close()
            session.connection_lost()
        self.log.info("gdbstub.client_connected", peer=f"{peer[0]}:{peer[1]}")
        try:
            serve_connection(session, transport)
        finally:
            self._client, self._session = None, None
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
        client, session = self._client, self._session
        if session is not None:
            session.connection_lost()  # even if the reader never sees the socket close
        if client is not None:
            client.close()
