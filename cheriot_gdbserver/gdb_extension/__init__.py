"""The gdb extension: CHERIoT inside stock gdb-multiarch (docs/gdb.md, "The gdb extension").

gdb loads the entry script ``cheriot.py`` (``gdb-multiarch -x PATH``; ``cheriot-gdbserver
gdb-extension`` prints PATH). It runs in gdb's own Python with nothing else installed, so the
modules here use only the standard library, ``gdb`` and the project's pure-Python ``core``
modules (decoder, capability codec). Each feature module has ``install() -> None``; the entry
calls them once the target is known to be CHERIoT. Talking to the daemon goes through
``daemon.py``.
"""

from pathlib import Path

ENTRY_SCRIPT = Path(__file__).resolve().with_name("cheriot.py")  # what ``gdb -x`` loads
