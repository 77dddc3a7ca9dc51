"""gdbstub/transport.py over real TCP sockets: recv's short poll before it sleeps."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from cheriot_gdbserver.gdbstub.transport import SocketTransport


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    listener = socket.create_server(("127.0.0.1", 0))
    theirs = socket.create_connection(listener.getsockname())
    ours = listener.accept()[0]
    listener.close()
    yield ours, theirs
    ours.close()
    theirs.close()


def test_bytes_that_arrive_during_the_poll_are_taken_without_sleeping(pair) -> None:
    ours, theirs = pair
    transport = SocketTransport(ours, poll_seconds=5.0)  # long: the test cannot miss it
    sender = threading.Timer(0.05, theirs.sendall, (b"$vCont;s#b8",))
    sender.start()
    assert transport.recv() == b"$vCont;s#b8"
    sender.join()
    assert transport.polled == 1


def test_after_the_poll_recv_sleeps_until_bytes_arrive(pair) -> None:
    ours, theirs = pair
    transport = SocketTransport(ours, poll_seconds=0.001)
    sender = threading.Timer(0.2, theirs.sendall, (b"$g#67",))
    sender.start()
    started = time.monotonic()
    assert transport.recv() == b"$g#67"
    assert time.monotonic() - started >= 0.15
    sender.join()
    assert transport.polled == 0  # the poll gave up long before: the blocking recv got it


@pytest.mark.parametrize("closing", ["theirs", "ours"])
def test_a_close_during_the_poll_ends_recv(pair, closing: str) -> None:
    """The peer leaving, or the server's close (SIGTERM) shutting the socket down under a
    session thread in recv."""
    ours, theirs = pair
    transport = SocketTransport(ours, poll_seconds=5.0)
    closer = threading.Timer(0.05, theirs.close if closing == "theirs" else transport.close)
    closer.start()
    started = time.monotonic()
    assert transport.recv() == b""
    assert time.monotonic() - started < 2.0
    closer.join()


def test_a_socket_with_a_timeout_is_not_polled(pair) -> None:
    ours, theirs = pair
    ours.settimeout(5.0)
    transport = SocketTransport(ours, poll_seconds=5.0)
    theirs.sendall(b"+")
    assert transport.recv() == b"+"
    assert transport.polled == 0

