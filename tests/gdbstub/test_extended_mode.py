"""'!', vRun and R (GDB manual, "Packets"): extended mode is offered only by a target that can
restart; vRun answers with the fresh start's stop reply, R with nothing."""

from __future__ import annotations

from cheriot_gdbserver.gdbstub.target import Feature

from .fakes import ALL_FEATURES
from .test_session import EXPEDITED, acked, ask, make


def test_extended_mode_and_restart() -> None:
    target, transport, session = make()
    assert ask(session, transport, b"!") == acked(b"OK")
    vrun = b"vRun;" + b"fw.elf".hex().encode()
    assert ask(session, transport, vrun) == acked(b"T05" + EXPEDITED + b"thread:1;")
    assert ask(session, transport, b"R00") == b"+"  # no reply
    assert target.calls == [("restart",), ("restart",)]


def test_without_restart_extended_mode_is_not_supported() -> None:
    target, transport, session = make(ALL_FEATURES - {Feature.RESTART})
    assert ask(session, transport, b"!") == acked(b"")
    assert ask(session, transport, b"vRun;") == acked(b"")
    assert ask(session, transport, b"R00") == b"+"
    assert target.calls == []
