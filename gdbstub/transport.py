"""The byte pipe a session talks over, so the session runs the same over a socket or a test fake."""

from __future__ import annotations

import os
import socket
import time
from typing import Protocol

# A thread blocked in recv sleeps, and its core may halt; on a VM (this project's benchmark
# machine, most CI) waking a halted core costs 50-100 µs, more than the rest of a round trip
# (a bare Python TCP echo measured 60-160 µs on an idle 2-core VM, 18-29 µs with this poll).
# gdb's next packet usually follows a reply within tens of µs, so recv first looks for it
# without sleeping for this long, yielding the core between looks (a loaded machine loses
# nothing), and only then sleeps.
POLL_SECONDS = 0.0003


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
    """A connected TCP socket (blocking; with a timeout recv skips the poll)."""

    RECV_SIZE = 65536

    def __init__(self, sock: socket.socket, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.sock = sock
        self.poll_seconds = poll_seconds
        self.polled = 0  # recv calls answered by the poll, without sleeping (for tests)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # replies are tiny

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise TransportClosed(str(e)) from e

    def recv(self) -> bytes:
        try:
            if self.poll_seconds > 0 and self.sock.gettimeout() is None:
                chunk = self._poll()
                if chunk is not None:
                    return chunk
            return self.sock.recv(self.RECV_SIZE)
        except OSError:
            return b""

    def _poll(self) -> bytes | None:
        """What arrives within ``poll_seconds`` (None if nothing did), without sleeping."""
        deadline = time.perf_counter() + self.poll_seconds
        while True:
            try:
                chunk = self.sock.recv(self.RECV_SIZE, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if time.perf_counter() >= deadline:
                    return None
                os.sched_yield()  # releases the GIL too
                continue
            self.polled += 1
            return chunk

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already disconnected
        self.sock.close()
