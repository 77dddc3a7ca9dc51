"""The byte pipe a session talks over, so the session runs the same over a socket or a test fake."""

from __future__ import annotations

import socket
from typing import Protocol


class TransportClosed(Exception):  # noqa: N818 - an event (the peer went away), not a bug
    """The peer is gone; the session ends. Not a CheriotGdbError: it is never answered."""


class Transport(Protocol):
    def send(self, data: bytes) -> None:
        """Send all of ``data`` or raise TransportClosed."""
        ...

    def recv(self) -> bytes:
        """Some bytes, blocking; b'' once the peer has gone."""
        ...

    def close(self) -> None: ...


class SocketTransport:
    """A connected TCP socket."""

    RECV_SIZE = 65536

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # replies are tiny

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise TransportClosed(str(e)) from e

    def recv(self) -> bytes:
        try:
            return self.sock.recv(self.RECV_SIZE)
        except OSError:
            return b""

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already disconnected
        self.sock.close()
