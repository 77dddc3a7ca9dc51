"""Entry script of the gdb extension: ``gdb-multiarch fw.elf -ex 'target remote :3333' -x PATH``.

gdb runs this file in its own Python (Debian's gdb: Python 3.11, no venv, no pyelftools, no
Unicorn). It makes the project's pure-Python modules importable without the package being
installed in that Python: it registers ``cheriot_gdbserver``, ``cheriot_gdbserver.core`` and
``cheriot_gdbserver.gdb_extension`` as packages whose search paths are the folders beside this
file. That works for an installed wheel (``cheriot_gdbserver/core``) and for the source tree or
an editable install (``core/`` at the repository root, mapped by a finder gdb's Python does not
have). The packages' ``__init__`` files are not run: ``core/__init__.py`` prepares Unicorn, which
gdb must never import.

Then it waits for a target (now, if gdb is already connected, else at the next prompt), checks
that the target is CHERIoT, and installs the features (session.py). Sourcing it twice is
harmless.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path


def _package(name: str, folder: Path) -> None:
    if name in sys.modules:
        return
    module = types.ModuleType(name, f"{name} (folder {folder}, loaded by the gdb extension)")
    module.__path__ = [str(folder)]
    module.__package__ = name
    module.__file__ = None
    sys.modules[name] = module


def _bootstrap(entry: Path) -> None:
    here = entry.resolve().parent                 # .../cheriot_gdbserver/gdb_extension
    package = here.parent                         # .../cheriot_gdbserver
    candidates = (package / "core", package.parent / "core")  # installed wheel, source tree
    core = next((c for c in candidates if (c / "decode.py").is_file()), None)
    if core is None:
        raise ImportError("the gdb extension cannot find the project's core/ package beside "
                          f"{here} (looked in {', '.join(map(str, candidates))}); reinstall "
                          "cheriot-gdbserver or load the script from its own checkout")
    _package("cheriot_gdbserver", package)
    _package("cheriot_gdbserver.core", core)
    _package("cheriot_gdbserver.gdb_extension", here)


_bootstrap(Path(__file__))
importlib.import_module("cheriot_gdbserver.gdb_extension.session").start()
