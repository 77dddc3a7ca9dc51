"""A raw RSP client for tests: frames packets, handles acks, decodes replies (RLE included)."""

from __future__ import annotations

import socket

from cheriot_gdbserver.gdbstub import codec

TIMEOUT = 10.0  # a safety net against hangs, never a synchronisation device


class RspClient:
    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.decoder = codec.Decoder(1 << 20)
        self.events: list[codec.Event] = []
        self.ack_mode = True

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, payload: bytes) -> None:
        self.send_raw(codec.frame(payload))

    def next_event(self) -> codec.Event:
        while not self.events:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.events.extend(self.decoder.feed(chunk))
        return self.events.pop(0)

    def reply(self) -> bytes:
        """The next packet's payload, acking it in ack mode; skips '+' from the server."""
        while True:
            event = self.next_event()
            if isinstance(event, codec.Packet):
                if self.ack_mode:
                    self.send_raw(b"+")
                return event.data
            if not isinstance(event, codec.Ack):
                raise AssertionError(f"unexpected {event!r}")

    def ask(self, payload: bytes) -> bytes:
        self.send(payload)
        return self.reply()

    def monitor(self, command: str) -> str:
        """``monitor COMMAND``: the text of the 'O' packets that stream its output, up to the
        final 'OK' (an 'Exx' reply raises)."""
        self.send(b"qRcmd," + command.encode().hex().encode())
        text = bytearray()
        while (reply := self.reply()) != b"OK":
            if not reply.startswith(b"O"):
                raise AssertionError(f"monitor {command}: {reply!r}")
            text += bytes.fromhex(reply[1:].decode())
        return text.decode()

    def close(self) -> None:
        self.sock.close()
