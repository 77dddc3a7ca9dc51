"""Structural rules of gdbstub/: what each module may import and name (aesthetics.md habits 1-2).

* nothing in gdbstub/ imports unicorn;
* no module imports core modules beyond the stop contract (``core.stops``);
* no module names a RISC-V or CHERI concept: the CHERIoT register view, the write policy and
  the monitor commands live in cheriot_gdbserver/debugger/.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

GDBSTUB = Path(__file__).resolve().parents[2] / "gdbstub"
MODULES = sorted(p for p in GDBSTUB.glob("*.py") if p.name != "__init__.py")
ARCH_WORDS = re.compile(r"riscv|risc-v|rv32|cheri(?!otgdb|ot_gdbserver)|capabilit", re.IGNORECASE)


def imported_modules(path: Path) -> set[str]:
    """Absolute-ish names of everything a module imports ('..core.stops' -> 'core.stops')."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 2:  # from ..x import y: a sibling package of gdbstub
                names.add(module)
            elif node.level == 0:
                names.add(module)
    return names


def test_there_are_modules_to_check() -> None:
    assert {p.name for p in MODULES} >= {"codec.py", "packets.py", "session.py", "server.py",
                                         "tdesc.py", "target.py", "handlers.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_imports(path: Path) -> None:
    names = imported_modules(path)
    assert not any(n == "unicorn" or n.startswith("unicorn.") for n in names)
    core = {n for n in names if n == "core" or n.startswith("core.")}
    assert core <= {"core.stops"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_rsp_layers_name_no_architecture(path: Path) -> None:
    text = path.read_text().replace("CheriotGdbError", "")
    assert ARCH_WORDS.findall(text) == []
