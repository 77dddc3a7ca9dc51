"""A lost connection stops the run whatever its timing (issue 7, item 1), deterministically: the
run watch's calls are made by hand in each order they can happen in."""

from __future__ import annotations

import threading

from cheriot_gdbserver.core.stops import Stop, StopKind
from cheriot_gdbserver.gdbstub.codec import frame
from cheriot_gdbserver.gdbstub.session import Session, SessionState

from .fakes import RAM_BASE, FakeTarget, FakeTransport
from .rsp_client import TIMEOUT


def test_a_resume_whose_client_dropped_before_it_started_never_runs() -> None:
    target, transport = FakeTarget(), FakeTransport()
    target.default_stop = Stop(StopKind.STEP, RAM_BASE)  # would return, were it ever called
    session = Session(target, transport)
    session.receive(frame(b"c"))   # the reader queues the packet ...
    session.connection_lost()      # ... and sees the end before the session thread wakes up
    session.process_pending()
    assert target.resumes == []
    assert session.state is SessionState.DISCONNECTED


def test_a_drop_during_the_run_interrupts_it() -> None:
    target, transport = FakeTarget(), FakeTransport()  # resume blocks until interrupted
    session = Session(target, transport)
    session.receive(frame(b"c"))
    serving = threading.Thread(target=session.serve, daemon=True)
    serving.start()
    assert target.running.wait(TIMEOUT)
    session.connection_lost()
    serving.join(TIMEOUT)
    assert not serving.is_alive()
    assert target.calls == [("interrupt",)]
    assert target.last_stop is not None and target.last_stop.kind is StopKind.INTERRUPTED
    assert session.state is SessionState.DISCONNECTED
