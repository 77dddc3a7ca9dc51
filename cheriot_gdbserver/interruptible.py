"""Running the engine so that Ctrl-C and SIGTERM stop it wherever it is (run, monitor).

The engine runs on a worker thread, so that a signal (delivered to the main thread) can stop
it wherever it is, including inside a loop the fast path runs without ever calling Python. The
worker is always joined before this returns: an emulator thread left running while the
interpreter shuts down could crash it.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from .core.engine import Engine
from .core.stops import Stop
from .firmware_args import SIGNAL_POLL_SECONDS


def run_interruptibly(engine: Engine, max_instructions: int | None
                      ) -> tuple[Stop, signal.Signals | None]:
    """Run on a worker thread; SIGINT or SIGTERM stops the engine at the next instruction
    boundary. Returns the stop and the first signal that asked for it (None: no signal)."""
    outcome: list[Stop] = []
    failure: list[BaseException] = []
    signalled: list[signal.Signals] = []
    done = threading.Event()

    def work() -> None:
        try:
            outcome.append(engine.run(max_instructions))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failure.append(exc)
        finally:
            done.set()

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        if not signalled:
            signalled.append(signal.Signals(signum))
        engine.request_stop()  # the engine stops at the next instruction boundary

    # The handlers must not raise: an exception arrives at whatever bytecode this thread is
    # on, inside worker.start() too, and once it escapes, the interpreter shuts down with the
    # worker inside uc.emu_start. The worker's next call into Python (the slow path) then ends
    # the thread with pthread_exit, and unwinding through Unicorn's generated code, which has
    # no unwind tables, is a SIGSEGV. So a signal only asks the engine to stop (a second one
    # asks again, so it cannot cut the report short), and this thread always waits for the
    # worker. A signal before the first instruction leaves the request pending: the run stops
    # at once with the usual report.
    on_main = threading.current_thread() is threading.main_thread()
    saved = ({s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
             if on_main else {})
    handled = [s for s, handler in saved.items() if handler not in (None, signal.SIG_IGN)]
    worker = threading.Thread(target=work, name="cheriot-run", daemon=True)
    try:
        for number in handled:
            signal.signal(number, stop_on_signal)
        worker.start()
        while not done.wait(SIGNAL_POLL_SECONDS):  # see serve_command: a signal may land on
            pass                                   # the worker, and only bytecode runs handlers
        worker.join()
    finally:
        for number in handled:
            signal.signal(number, saved[number])
    if failure:
        raise failure[0]
    return outcome[0], (signalled[0] if signalled else None)
